"""POST /v1/verify and /v1/verify/batch: the verdicts on presented credentials.

A body is read raw and refused over its byte limit before it is parsed (413), so a huge upload
costs nothing; then parsed strictly (`credentials.parse_json_with_plainness`: no duplicate keys,
no NaN). A body that is not a credential, or an array of them, is refused (422); a credential
wrong in any way gets a verdict, not an error.
"""

from __future__ import annotations

import collections
import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError, to_json

from registry import credentials
from registry.errors import CredregError
from registry.service.dependencies import Config, Meter, View
from registry.service.models import BATCH_BODY, CREDENTIAL_BODY, ErrorModel, VerdictModel
from registry.service.settings import Settings
from registry.verification import Verdict, verify

log = logging.getLogger("credreg.service")
router = APIRouter(prefix="/v1", tags=["verify"])

_VERDICT = TypeAdapter(VerdictModel)
_VERDICTS = TypeAdapter(list[VerdictModel])


@router.post("/verify", response_model=VerdictModel, openapi_extra={"requestBody": CREDENTIAL_BODY},
             responses={413: {"model": ErrorModel, "description": "body over the byte limit"},
                        422: {"model": ErrorModel, "description": "not a JSON object"},
                        503: {"model": VerdictModel, "description": "the chain cannot be read: unverifiable"}})
async def verify_one(request: Request, response: Response, view: View, settings: Config,
                     metrics: Meter) -> dict[str, Any] | Response:
    """Verify one credential. 200 with the verdict, whatever it is; 503 when the chain cannot be read."""
    started = time.perf_counter()
    body = await _read_json(request, settings.max_body_bytes)
    if not isinstance(body.value, dict):
        raise HTTPException(422, "the body must be a JSON object: one credential")
    verdict = verify(body.value, view, confirmations=settings.confirmations, plain=body.plain)
    metrics.verifications.labels(verdict.status).inc()
    metrics.latency.labels("verify").observe(time.perf_counter() - started)
    response.status_code = 503 if verdict.status == "unverifiable" and not view.health().ok else 200
    _log("verify", [verdict], started, response.status_code)
    answer = verdict.as_dict()
    if not body.unicode:  # rare: see _Body
        return _written_by_hand(_VERDICT, answer, response.status_code)
    return answer


@router.post("/verify/batch", response_model=list[VerdictModel], openapi_extra={"requestBody": BATCH_BODY},
             responses={413: {"model": ErrorModel, "description": "body or batch too large"},
                        422: {"model": ErrorModel, "description": "not a JSON array"}})
async def verify_batch(request: Request, view: View, settings: Config,
                       metrics: Meter) -> list[dict[str, Any]] | Response:
    """Verify a batch of credentials; the verdicts come back in the same order."""
    started = time.perf_counter()
    body = await _read_json(request, settings.max_batch_body_bytes)
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
    _log("batch", verdicts, started, 200)
    answer = [v.as_dict() for v in verdicts]
    if not body.unicode:  # rare: see _Body
        return _written_by_hand(_VERDICTS, answer, 200)
    return answer


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


class _Body(NamedTuple):
    value: Any
    plain: bool  # plain JSON (see parse_json_with_plainness): hashing need not walk it
    unicode: bool  # no lone surrogate can be in its text, so pydantic can write what quotes it


async def _read_json(request: Request, limit: int) -> _Body:
    """The body parsed as JSON, refusing more than ``limit`` bytes before reading them."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {int(declared):,} bytes is over the {limit:,}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"body is over the {limit:,}-byte limit")
    text = bytes(body)
    try:
        value, plain = credentials.parse_json_with_plainness(text, "request body")
    except CredregError as exc:  # not JSON, duplicate keys, NaN, nested too deeply
        raise HTTPException(422, str(exc)) from None
    return _Body(value, plain, plain or not _may_hold_a_lone_surrogate(text))


# A lone surrogate is valid JSON (the escape \ud800) but not Unicode. The document's own fields
# cannot carry one past the integrity check (RFC 8785 refuses it), but verdicts quote the proof's.
# json.loads reads one from an escape, from UTF-8 bytes that spell one (it decodes with
# surrogatepass), or from UTF-16 or UTF-32 text, which spells ASCII with NUL bytes.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_SURROGATE_UTF8 = re.compile(rb"\xed[\xa0-\xbf]")


def _may_hold_a_lone_surrogate(body: bytes) -> bool:
    """Whether the text parsed from ``body`` may hold a lone surrogate (a surrogate pair, such as
    an escaped emoji, is also reported: rare, and the slower writer handles it as well)."""
    # A search for one byte runs at memory speed; the patterns (each led by a literal, which the
    # regex engine looks for first) only run where it found something.
    return (b"\x00" in body
            or (b"\\" in body and _SURROGATE_ESCAPE.search(body) is not None)
            or (b"\xed" in body and _SURROGATE_UTF8.search(body) is not None))


def _written_by_hand(adapter: TypeAdapter[Any], answer: Any, status_code: int) -> Response:
    """``answer`` validated against the route's model as FastAPI validates it, then written as
    FastAPI would, except that text which is not Unicode goes out escaped (by json.dumps), where
    pydantic's writer would fail. Only for bodies that may hold such text: see ``_Body.unicode``."""
    data = adapter.dump_python(adapter.validate_python(answer), mode="json")
    try:
        content = to_json(data)
    except PydanticSerializationError:
        content = json.dumps(data, separators=(",", ":")).encode()
    return Response(content, status_code=status_code, media_type="application/json")


def _log(route: str, verdicts: list[Verdict], started: float, code: int) -> None:
    # No personal data: statuses and timing only, never the credential or its subject.
    if not log.isEnabledFor(logging.INFO):
        return  # the hot path builds no log line nobody reads
    log.info(json.dumps({"event": "verify", "route": route, "code": code, "count": len(verdicts),
                         "statuses": sorted({v.status for v in verdicts}),
                         "ms": round((time.perf_counter() - started) * 1000, 2)}))
