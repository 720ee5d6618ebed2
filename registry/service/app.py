"""The verifier service: `create_app(settings)` builds the FastAPI app.

The chain indexer is built in the lifespan and kept on ``app.state``; routes get the chain view
through a dependency, so tests can hand in another. Verification reads the index only.
Bodies are read raw and capped before parsing (413), so a huge upload costs nothing.
"""

from __future__ import annotations

import collections
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic_core import PydanticSerializationError, to_json
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel

from registry.chain.view import ChainView
from registry import credentials
from registry.errors import CredregError
from registry.service.settings import Settings
from registry.verification import Verdict, verify

log = logging.getLogger("credreg.service")
PAGE = Path(__file__).with_name("static") / "index.html"


# ---------------------------------------------------------------------------- models
class CheckModel(BaseModel):
    name: str
    passed: bool
    detail: str


class IssuerModel(BaseModel):
    id: int
    name: str
    did: str


class AnchorModel(BaseModel):
    chainId: int
    registry: str
    root: str
    transactionHash: str
    blockNumber: int
    anchoredAt: str


class VerdictModel(BaseModel):
    status: Literal["valid", "invalid", "revoked", "expired", "unverifiable"]
    checks: list[CheckModel]
    issuer: IssuerModel | None
    anchor: AnchorModel | None


class IssuerRecordModel(IssuerModel):
    suspended: bool


class RootModel(BaseModel):
    root: str
    issuerId: int
    leafCount: int
    anchoredAt: int
    revokedAt: int
    blockNumber: int
    transactionHash: str
    revokedLeaves: int


class HealthModel(BaseModel):
    ok: bool
    reason: str
    chainId: int
    registry: str
    indexedBlock: int | None
    headBlock: int | None
    lag: int | None


_CREDENTIAL_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "An Open Badges 3.0 credential with its credreg proof"}}}}
_BATCH_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "array", "maxItems": 1000, "items": {"type": "object"}}}}}


# ---------------------------------------------------------------------------- metrics
class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.verifications = Counter("credreg_verifications", "Verifications by verdict status", ["status"],
                                     registry=self.registry)
        self.latency = Histogram("credreg_verify_seconds", "Time to verify one request", ["route"],
                                 buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1),
                                 registry=self.registry)
        self.indexed_block = Gauge("credreg_indexed_block", "Last block the index reflects", registry=self.registry)
        self.head_block = Gauge("credreg_head_block", "Last head block seen", registry=self.registry)
        self.lag = Gauge("credreg_index_lag_blocks", "Head minus indexed block", registry=self.registry)


# ---------------------------------------------------------------------------- app
def create_app(settings: Settings | None = None, view: ChainView | None = None) -> FastAPI:
    """The app. With ``view`` given (tests), no indexer is started."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What is alive now (the framework, the app) lives as long as the process: the collector
        # need not walk it again on every full collection a 1,000-credential batch sets off.
        # Garbage goes first, so none of it is frozen with them.
        gc.collect()
        gc.freeze()
        if view is not None:
            app.state.views, app.state.indexer = (lambda: view), None
            yield
            return
        from registry.chain import deployments
        from registry.chain.client import connect
        from registry.service.indexer import Indexer

        w3 = connect(settings.rpc_url)
        chain_id = w3.eth.chain_id
        address, recorded_start = deployments.resolve(settings.home, chain_id, settings.registry)
        start = settings.start_block if settings.start_block is not None else recorded_start
        indexer = Indexer(w3, address, start_block=start, reorg_depth=settings.reorg_depth,
                          state_file=settings.home / f"index-{chain_id}-{address.lower()}.json",
                          poll_interval=settings.poll_interval, max_lag=settings.max_lag_blocks,
                          max_staleness=settings.max_staleness_seconds).start()
        app.state.views, app.state.indexer = indexer.view, indexer
        log.info(json.dumps({"event": "started", "registry": address, "chainId": chain_id, "fromBlock": start}))
        try:
            yield
        finally:
            indexer.stop()

    app = FastAPI(title="credreg verifier", version="0.1.0", lifespan=lifespan,
                  description="Verify Open Badges 3.0 micro-credentials anchored in the credreg registry.")
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.include_router(_api_router())
    app.include_router(_ops_router())
    return app


# The dependencies are coroutines because FastAPI runs a plain function in its thread pool: three
# thread hand-offs per request cost more than the verification itself.
async def get_view(request: Request) -> ChainView:
    """A view pinned to one index snapshot for the whole request."""
    return request.app.state.views()


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


View = Annotated[ChainView, Depends(get_view)]
Config = Annotated[Settings, Depends(get_settings)]
Meter = Annotated[Metrics, Depends(get_metrics)]


async def _read_json(request: Request, limit: int) -> tuple[Any, bool]:
    """The body parsed as JSON, and whether it is plain JSON (see parse_json_with_plainness),
    refusing more than ``limit`` bytes before reading them."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {int(declared):,} bytes is over the {limit:,}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"body is over the {limit:,}-byte limit")
    try:
        return credentials.parse_json_with_plainness(bytes(body), "request body")
    except CredregError as exc:  # not JSON, duplicate keys, NaN, nested too deeply
        raise HTTPException(422, str(exc)) from None


def _json_response(content: Any, status_code: int = 200) -> Response:
    """``content`` as a JSON response, written by pydantic-core (FastAPI's own serializer), which
    is quicker than ``json.dumps`` on verdicts. Text quoted from a document that is not Unicode
    (a lone surrogate, which a JSON escape can spell) goes out escaped."""
    try:
        body = to_json(content)
    except PydanticSerializationError:
        body = json.dumps(content, separators=(",", ":")).encode()
    return Response(body, status_code=status_code, media_type="application/json")


def _log(route: str, verdicts: list[Verdict], started: float, code: int) -> None:
    # No personal data: statuses and timing only, never the credential or its subject.
    if not log.isEnabledFor(logging.INFO):
        return  # the hot path builds no log line nobody reads
    log.info(json.dumps({"event": "verify", "route": route, "code": code, "count": len(verdicts),
                         "statuses": sorted({v.status for v in verdicts}),
                         "ms": round((time.perf_counter() - started) * 1000, 2)}))


@cache
def _page_html() -> str:
    return PAGE.read_text()


def _api_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["verify"])

    @router.post("/verify", response_model=VerdictModel, openapi_extra={"requestBody": _CREDENTIAL_BODY},
                 responses={413: {"description": "body over 1 MiB"}, 422: {"description": "not a JSON object"},
                            503: {"model": VerdictModel, "description": "the chain cannot be read: unverifiable"}})
    async def verify_one(request: Request, view: View, settings: Config, metrics: Meter) -> Response:
        """Verify one credential. 200 with the verdict, whatever it is; 503 when the chain cannot be read."""
        started = time.perf_counter()
        doc, plain = await _read_json(request, settings.max_body_bytes)
        if not isinstance(doc, dict):
            raise HTTPException(422, "the body must be a JSON object: one credential")
        verdict = verify(doc, view, confirmations=settings.confirmations, plain=plain)
        metrics.verifications.labels(verdict.status).inc()
        metrics.latency.labels("verify").observe(time.perf_counter() - started)
        code = 503 if verdict.status == "unverifiable" and not view.health().ok else 200
        _log("verify", [verdict], started, code)
        return _json_response(verdict.as_dict(), status_code=code)

    @router.post("/verify/batch", response_model=list[VerdictModel], openapi_extra={"requestBody": _BATCH_BODY},
                 responses={413: {"description": "body or batch too large"}, 422: {"description": "not a JSON array"}})
    async def verify_batch(request: Request, view: View, settings: Config, metrics: Meter) -> Response:
        """Verify up to 1,000 credentials; the verdicts come back in the same order."""
        started = time.perf_counter()
        docs, plain = await _read_json(request, settings.max_batch_body_bytes)
        if not isinstance(docs, list):
            raise HTTPException(422, "the body must be a JSON array of credentials")
        if len(docs) > settings.max_batch:
            raise HTTPException(413, f"{len(docs):,} credentials; at most {settings.max_batch:,} per batch")
        now = datetime.now(UTC)  # one instant for the whole batch
        verdicts = [verify(doc, view, confirmations=settings.confirmations, now=now, plain=plain) for doc in docs]
        for status, count in collections.Counter(v.status for v in verdicts).items():
            metrics.verifications.labels(status).inc(count)
        metrics.latency.labels("batch").observe(time.perf_counter() - started)
        _log("batch", verdicts, started, 200)
        return _json_response([v.as_dict() for v in verdicts])

    @router.get("/issuers", response_model=list[IssuerRecordModel], tags=["registry"])
    def issuers(view: View) -> list[dict[str, Any]]:
        """The issuers the registry has accredited, as the index holds them."""
        return [{"id": i.id, "name": i.name, "did": i.did, "suspended": i.suspended} for i in view.issuers()]

    @router.get("/roots/{root}", response_model=RootModel, tags=["registry"],
                responses={404: {"description": "root not anchored"}, 422: {"description": "not a 32-byte hex root"}})
    def root(root: str, view: View) -> dict[str, Any]:
        """What the index holds of one anchored root."""
        key = root.lower().removeprefix("0x")
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise HTTPException(422, f"{root!r} is not a 32-byte hex root")
        record = view.root(key)
        if record is None:
            raise HTTPException(404, f"root {key} is not anchored in registry {view.registry}")
        revoked = view.revoked_leaves(key)
        return {"root": key, "issuerId": record.issuer_id, "leafCount": record.leaf_count,
                "anchoredAt": record.anchored_at, "revokedAt": record.revoked_at, "blockNumber": record.block_number,
                "transactionHash": record.transaction_hash, "revokedLeaves": revoked}

    return router


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=HealthModel, responses={503: {"model": HealthModel}})
    def healthz(view: View) -> Response:
        """Chain id, registry, indexed and head blocks, lag; 503 with the reason when unhealthy."""
        health = view.health()
        body = {"ok": health.ok, "reason": health.reason, "chainId": view.chain_id, "registry": view.registry,
                "indexedBlock": health.indexed_block, "headBlock": health.head_block, "lag": health.lag}
        return JSONResponse(body, status_code=200 if health.ok else 503)

    @router.get("/metrics", response_class=PlainTextResponse)
    def metrics(view: View, meter: Meter) -> Response:
        """Prometheus text: verifications by status, latency, indexed block, lag."""
        health = view.health()
        if health.indexed_block is not None:
            meter.indexed_block.set(health.indexed_block)
        if health.head_block is not None:
            meter.head_block.set(health.head_block)
        if health.lag is not None:
            meter.lag.set(health.lag)
        return Response(generate_latest(meter.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(_page_html())

    return router
