"""POST /v1/verify and /v1/verify/batch: the verdicts on presented credentials.

A body is read raw under a byte cap and parsed strictly (``bodies.py``). A body that is not a
credential, or an array of them, is refused (422); a credential wrong in any way gets a verdict,
not an error. POST /v1/verify also takes a baked badge (Content-Type image/png or image/svg+xml,
under the same byte cap): the credential is read out of it (registry/sharing/baking.py), then
verified as a JSON body is; an image that is malformed or hostile is refused (422, naming why).
"""

from __future__ import annotations

import collections
import json
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import TypeAdapter

from registry.chain.view import ChainView
from registry.credentials._gc_pause import paused
from registry.errors import BadInput
from registry.service.bodies import Body, parse_json, read_bytes, read_json, written, written_by_hand
from registry.service.dependencies import Config, Meter, View
from registry.service.metrics import Metrics, log_verdicts
from registry.service.models import BATCH_BODY, CREDENTIAL_BODY, ErrorModel, VerdictModel
from registry.service.settings import Settings
from registry.sharing import baking
from registry.verification import verify

router = APIRouter(prefix="/v1", tags=["verify"])

_VERDICT = TypeAdapter(VerdictModel)
_VERDICTS = TypeAdapter(list[VerdictModel])


@router.post("/verify", response_model=VerdictModel, openapi_extra={"requestBody": CREDENTIAL_BODY},
             responses={413: {"model": ErrorModel, "description": "body over the byte limit"},
                        422: {"model": ErrorModel, "description": "not a JSON object, or an image that holds no "
                                                               "credential or is refused"},
                        503: {"model": VerdictModel, "description": "the chain cannot be read: unverifiable"}})
async def verify_one(request: Request, response: Response, view: View, settings: Config,
                     metrics: Meter) -> dict[str, Any] | Response:
    """Verify one credential. 200 with the verdict, whatever it is; 503 when the chain cannot be read.

    A baked badge is taken too, sent with Content-Type image/png or image/svg+xml: the credential
    is read out of it, then verified the same way; an image without one, malformed or hostile is
    refused with 422 naming why. (Not in the schema's request body: no schema can say "a PNG that
    holds a credential", and any other bytes are refused.)
    """
    started = time.perf_counter()
    kind = _IMAGE_TYPES.get(request.headers.get("content-type", "").split(";")[0].strip().lower())
    if kind is None:  # any other type is read as JSON, as ever (curl -d sends form-urlencoded)
        body = await read_json(request, settings.max_body_bytes)
    else:
        body = _unbaked(await read_bytes(request, settings.max_body_bytes), kind)
    if not isinstance(body.value, dict):
        raise HTTPException(422, "the body must be a JSON object: one credential")
    verdict = verify(body.value, view, confirmations=settings.confirmations, plain=body.plain)
    metrics.verifications.labels(verdict.status).inc()
    metrics.latency.labels("verify").observe(time.perf_counter() - started)
    response.status_code = 503 if verdict.status == "unverifiable" and not view.health().ok else 200
    log_verdicts("verify", [verdict], started, response.status_code)
    answer = verdict.as_dict()
    if not body.unicode:  # rare: see bodies.Body
        return written_by_hand(_VERDICT, answer, response.status_code)
    return answer


_IMAGE_TYPES = {"image/png": "png", "image/svg+xml": "svg"}


@router.post("/unbake", include_in_schema=False)
async def unbake(request: Request, settings: Config) -> Response:
    """The credential's JSON text read out of a baked badge (PNG or SVG, by Content-Type), for the
    page: it shows what a credential holds, so it needs the credential, not only a verdict, and the
    server's reader is the one held to hostile images. Not in the schema, as POST /v1/verify's
    image bodies are not (see there). 415 for another type, 422 naming what is wrong."""
    kind = _IMAGE_TYPES.get(request.headers.get("content-type", "").split(";")[0].strip().lower())
    if kind is None:
        raise HTTPException(415, "send the badge with Content-Type image/png or image/svg+xml")
    body = _unbaked(await read_bytes(request, settings.max_body_bytes), kind, "the image")
    if not isinstance(body.value, dict):
        raise HTTPException(422, "the badge holds no JSON object: not one credential")
    return Response(json.dumps(body.value, ensure_ascii=False), media_type="application/json")


def _unbaked(data: bytes, kind: str, source: str = "request body") -> Body:
    """The credential baked into a PNG or SVG body, parsed as a JSON body is; 422 naming what is
    wrong with the image (not that type, bad CRC, two credentials, a bomb, a DOCTYPE, a script)."""
    found = baking.image_kind(data)
    if found != kind:
        raise HTTPException(422, f"the body is not {'a PNG' if kind == 'png' else 'an SVG'} image, "
                                 "as its Content-Type says")
    try:
        text = baking.unbake(data, source).text
    except BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    return parse_json(text)


@router.post("/verify/batch", response_model=list[VerdictModel], openapi_extra={"requestBody": BATCH_BODY},
             responses={413: {"model": ErrorModel, "description": "body or batch too large"},
                        422: {"model": ErrorModel, "description": "not a JSON array"}})
async def verify_batch(request: Request, view: View, settings: Config, metrics: Meter) -> Response:
    """Verify a batch of credentials; the verdicts come back in the same order."""
    started = time.perf_counter()
    text = await read_bytes(request, settings.max_batch_body_bytes)
    lane = request.app.state.batch_lane  # beside the loop, so single requests need not wait (_batch_lane)
    if lane is None or not lane.takes(len(text)):
        return _answer_batch(text, view, settings, metrics, started)
    return await lane.run(_answer_batch, text, view, settings, metrics, started)


def _answer_batch(text: bytes, view: ChainView, settings: Settings, metrics: Metrics, started: float) -> Response:
    """The answer to a batch, written: all that verifying it made is let go when this returns."""
    with paused():  # from the body's bytes to the answer's, no collection would find anything (_gc_pause)
        return _verified_batch(text, view, settings, metrics, started)


def _verified_batch(text: bytes, view: ChainView, settings: Settings, metrics: Metrics, started: float) -> Response:
    body = parse_json(text)
    if not isinstance(body.value, list):
        raise HTTPException(422, "the body must be a JSON array of credentials")
    if len(body.value) > settings.max_batch:
        raise HTTPException(413, f"{len(body.value):,} credentials; at most {settings.max_batch:,} per batch")
    now = datetime.now(UTC)  # one instant for the whole batch
    verdicts = [verify(doc, view, confirmations=settings.confirmations, now=now, plain=body.plain)
                for doc in body.value]
    for status, count in collections.Counter(v.status for v in verdicts).items():
        metrics.verifications.labels(status).inc(count)
    metrics.latency.labels("batch").observe(time.perf_counter() - started)
    log_verdicts("batch", verdicts, started, 200)
    answer = [v.as_dict() for v in verdicts]
    if not body.unicode:  # rare: see bodies.Body
        return written_by_hand(_VERDICTS, answer, 200)
    return written(_VERDICTS, answer)


def document_limits(schema: dict[str, Any], settings: Settings) -> None:
    """Write the app's limits into its OpenAPI ``schema``: the routes are made once, at import,
    and the limits come with each app's settings."""
    paths = schema["paths"]
    one = paths[router.url_path_for("verify_one")]["post"]
    one["responses"]["413"]["description"] = f"body over {settings.max_body_bytes:,} bytes"
    batch = paths[router.url_path_for("verify_batch")]["post"]
    batch["description"] = (f"Verify up to {settings.max_batch:,} credentials; the verdicts come back "
                            "in the same order.")
    batch["requestBody"]["content"]["application/json"]["schema"]["maxItems"] = settings.max_batch
    batch["responses"]["413"]["description"] = (f"body over {settings.max_batch_body_bytes:,} bytes, "
                                                f"or more than {settings.max_batch:,} credentials")
