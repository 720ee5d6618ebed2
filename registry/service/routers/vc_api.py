"""POST /credentials/verify: the W3C CCG VC-API's verifier route, over credreg's own verdict.

A VC-API client sends ``{"verifiableCredential": ..., "options": {...}}`` and reads back
``{"verified", "errors", "warnings", "results"}``. The credential gets the same ``verify`` as
POST /v1/verify, whatever proof format it carries, and that verdict, unchanged, is the answer's
``results.credreg``; ``verified`` is true only for a ``valid`` one. The status codes are the API's:
400 for a request the route cannot read (where /v1/verify says 422), 200 with ``verified`` false
for a credential that fails, and, as /v1/verify, 503 while the chain cannot be read.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import TypeAdapter

from registry.service.bodies import read_json, written_by_hand
from registry.service.dependencies import Config, Meter, View
from registry.service.metrics import log_verdicts
from registry.service.models import VC_API_BODY, VC_API_OPTIONS, ErrorModel, VcApiVerificationModel
from registry.service.settings import Settings
from registry.verification import Verdict, verify

router = APIRouter(tags=["VC-API"])

_ANSWER = TypeAdapter(VcApiVerificationModel)


@router.post("/credentials/verify", response_model=VcApiVerificationModel, operation_id="verifyCredential",
             openapi_extra={"requestBody": VC_API_BODY},
             responses={400: {"model": ErrorModel, "description": "not a VC-API verify-credential request"},
                        413: {"model": ErrorModel, "description": "body over the byte limit"},
                        503: {"model": VcApiVerificationModel,
                              "description": "the chain cannot be read: not verified, the verdict unverifiable"}})
async def verify_credential(request: Request, response: Response, view: View, settings: Config,
                            metrics: Meter) -> dict[str, Any] | Response:
    """Verify one credential (VC-API verifyCredential). 200 whatever the verdict; 503 when the
    chain cannot be read."""
    started = time.perf_counter()
    body = await read_json(request, settings.max_body_bytes, malformed=400)
    doc, options = _request(body.value)
    verdict = verify(doc, view, confirmations=settings.confirmations, plain=body.plain)
    metrics.verifications.labels(verdict.status).inc()
    metrics.latency.labels("vc-api").observe(time.perf_counter() - started)
    response.status_code = 503 if verdict.status == "unverifiable" and not view.health().ok else 200
    log_verdicts("vc-api", [verdict], started, response.status_code)
    answer = _answer(verdict, doc if options.get("returnCredential") else None)
    if not body.unicode:  # rare: see bodies.Body
        return written_by_hand(_ANSWER, answer, response.status_code)
    return answer


def document_limits(schema: dict[str, Any], settings: Settings) -> None:
    """Write the app's body limit into its OpenAPI ``schema`` (see routers/verify.py)."""
    route = schema["paths"][router.url_path_for("verify_credential")]["post"]
    route["responses"]["413"]["description"] = f"body over {settings.max_body_bytes:,} bytes"


def _request(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The credential and the options of a VerifyCredentialRequest, or 400 naming what is wrong."""
    if not isinstance(value, dict):
        raise HTTPException(400, "the body must be a JSON object: {\"verifiableCredential\": ..., \"options\": ...}")
    doc = value.get("verifiableCredential")
    if not isinstance(doc, dict):
        raise HTTPException(400, "verifiableCredential: missing or not a JSON object")
    options = value.get("options", {})
    if not isinstance(options, dict):
        raise HTTPException(400, "options: not a JSON object")
    for name, option in options.items():
        kind = VC_API_OPTIONS.get(name)
        if kind is None:  # an option we would silently ignore might be one the client relies on
            raise HTTPException(400, f"options.{name}: not an option this verifier knows "
                                     f"(it knows {', '.join(VC_API_OPTIONS)})")
        if not isinstance(option, kind):
            raise HTTPException(400, f"options.{name}: not a {kind.__name__}")
    return doc, options


def _answer(verdict: Verdict, credential: dict[str, Any] | None) -> dict[str, Any]:
    # Each failed check is a ProblemDetail-shaped object, its title the check's name and its detail
    # the verdict's own words: the VC-API reports problems as such objects (not strings), so a
    # client reads the name apart from the explanation. credreg has no warnings: a check passes or
    # decides the verdict.
    answer: dict[str, Any] = {
        "verified": verdict.status == "valid",
        "errors": [{"title": c.name, "detail": c.detail} for c in verdict.checks if not c.passed],
        "warnings": [],
        "results": {"credreg": verdict.as_dict()},
    }
    if credential is not None:
        answer["credential"] = credential
    return answer
