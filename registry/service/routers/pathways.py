"""POST /v1/verify/pathway: a learner's stack of credentials checked against a pathway.

The body (``{"pathway", "credentials", "subject"}``) is read raw under the batch byte cap and
parsed strictly, like a batch; a body that cannot be asked about (no pathway, credentials not an
array, a malformed subject, several learners and no subject) is refused with 422 naming the
field, and more credentials than a check takes with 413. Everything wrong with a document is an
answer: a pathway that fails its own verification is ``invalid``, a credential that fails never
counts. Checking runs in the batch lane (``_batch_lane``): it verifies up to a batch of documents,
and single verifications should not wait for it.
"""

from __future__ import annotations

import collections
import time
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import TypeAdapter

from registry.chain.view import ChainView
from registry.credentials._gc_pause import paused
from registry.errors import BadInput
from registry.pathways import check, read_request
from registry.pathways.checking import MAX_CREDENTIALS
from registry.service.bodies import parse_json, read_bytes, written, written_by_hand
from registry.service.dependencies import Config, Meter, View
from registry.service.metrics import Metrics, log_verdicts
from registry.service.models import PATHWAY_BODY, ErrorModel, StackResultModel
from registry.service.settings import Settings

router = APIRouter(prefix="/v1", tags=["verify"])

_RESULT = TypeAdapter(StackResultModel)


@router.post("/verify/pathway", response_model=StackResultModel, openapi_extra={"requestBody": PATHWAY_BODY},
             responses={413: {"model": ErrorModel, "description": "body over the byte limit, or too many credentials"},
                        422: {"model": ErrorModel, "description": "not a request that can be answered; the "
                                                                  "detail names the field"},
                        503: {"model": StackResultModel, "description": "the chain cannot be read: unverifiable"}})
async def verify_pathway(request: Request, view: View, settings: Config, metrics: Meter) -> Response:
    """Check a learner's credentials against a pathway: complete, incomplete, invalid (the pathway
    itself fails) or unverifiable, with the requirement tree, what is missing, and every
    credential's verdict. Only valid credentials of the one learner count, each for one leaf."""
    started = time.perf_counter()
    text = await read_bytes(request, settings.max_batch_body_bytes)
    lane = request.app.state.batch_lane  # beside the loop, as batches are (_batch_lane)
    if lane is None:
        return _answer(text, view, settings, metrics, started)
    return await lane.run(_answer, text, view, settings, metrics, started)


def _answer(text: bytes, view: ChainView, settings: Settings, metrics: Metrics, started: float) -> Response:
    with paused():  # as for a batch: nothing made between the body and the answer is garbage yet (_gc_pause)
        return _checked(text, view, settings, metrics, started)


def _checked(text: bytes, view: ChainView, settings: Settings, metrics: Metrics, started: float) -> Response:
    body = parse_json(text)
    try:
        pathway, presented, subject = read_request(body.value)
    except BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    limit = min(settings.max_batch, MAX_CREDENTIALS)
    if len(presented) > limit:
        raise HTTPException(413, f"credentials: {len(presented):,} given; at most {limit:,} per check")
    try:
        result = check(pathway, presented, view, subject=subject, confirmations=settings.confirmations,
                       now=datetime.now(UTC))
    except BadInput as exc:  # several learners and no subject: whose stack is it?
        raise HTTPException(422, str(exc)) from None
    verdicts = [result.pathway_verdict, *(use.verdict for use in result.credentials)]
    for status, count in collections.Counter(v.status for v in verdicts).items():
        metrics.verifications.labels(status).inc(count)
    metrics.pathway_checks.labels(result.status).inc()
    metrics.latency.labels("pathway").observe(time.perf_counter() - started)
    code = 503 if result.status == "unverifiable" and not view.health().ok else 200
    log_verdicts("pathway", verdicts, started, code)
    answer = result.as_dict()
    if not body.unicode:  # rare: see bodies.Body
        return written_by_hand(_RESULT, answer, code)
    return written(_RESULT, answer, code)


def document_limits(schema: dict, settings: Settings) -> None:
    """Write the app's limits into its OpenAPI ``schema`` (see verify.document_limits)."""
    route = schema["paths"][router.url_path_for("verify_pathway")]["post"]
    limit = min(settings.max_batch, MAX_CREDENTIALS)
    route["requestBody"]["content"]["application/json"]["schema"]["properties"]["credentials"]["maxItems"] = limit
    route["responses"]["413"]["description"] = (f"body over {settings.max_batch_body_bytes:,} bytes, "
                                                f"or more than {limit:,} credentials")
