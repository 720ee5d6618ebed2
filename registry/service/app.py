"""The verifier service: `create_app(settings)` builds the FastAPI app.

The chain indexer is built in the lifespan and kept on ``app.state``; routes get the chain view
through a dependency (``dependencies.py``), so tests can hand in another. Verification reads the
index only; share links alone need a store, opened on first use (``share_store.py``). The
routes live in ``routers/``, one module per resource; the answers' shapes in ``models.py``.

Every answer carries the policy headers of ``policy.py`` (CSP, nosniff, no referrer), set outside
every other layer, 500s included. Calls from other origins' pages are refused unless
``cors_origins`` names them; with ``metrics_port``, /metrics is served on that port alone
(``ports.py``).
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from registry.chain.view import ChainView
from registry.service._batch_lane import BatchLane
from registry.service.metrics import Metrics
from registry.service.policy import DOCS_PATH, SecurityHeaders, docs_page
from registry.service.ports import MetricsPort
from registry.service.routers import operations, pathways, public, registry, shares, vc_api, verify
from registry.service.settings import Settings
from registry.service.share_store import ShareStore

__all__ = ["Settings", "create_app"]

log = logging.getLogger("credreg.service")


class _App(FastAPI):
    """FastAPI with the policy headers wrapped around its whole stack (its error answers too)."""

    docs_policy: str | None = None

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.docs_policy)


def create_app(settings: Settings | None = None, view: ChainView | None = None) -> FastAPI:
    """The app. With ``view`` given (tests), no indexer is started."""
    settings = settings or Settings()
    # FastAPI's own /docs (and /redoc, which loads from two more sites) are off: /docs is served
    # below with the narrow policy it needs (policy.py).
    app = _App(title="credreg verifier", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
               description="Verify Open Badges 3.0 micro-credentials anchored in the credreg registry.")
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.view = view
    app.state.batch_lane = None  # made in the lifespan
    app.state.shares = ShareStore(settings)  # its store opened by the first request about a share
    docs_html, app.docs_policy = docs_page(app.openapi_url, app.title)

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_html)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    if settings.metrics_port is not None:
        app.add_middleware(MetricsPort, port=settings.metrics_port)
    app.include_router(verify.router)
    app.include_router(pathways.router)
    app.include_router(vc_api.router)
    app.include_router(registry.router)
    app.include_router(operations.router)
    app.include_router(shares.router)
    app.include_router(shares.pages)
    if settings.public_dir is not None:
        app.include_router(public.router)  # last: it answers only paths no other route has

    def openapi() -> dict[str, Any]:
        # The routes are made once, at import; the limits they enforce are this app's settings.
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            verify.document_limits(schema, settings)
            vc_api.document_limits(schema, settings)
            pathways.document_limits(schema, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the batch lane and the chain indexer (unless the app was handed a view); stop them on the way out."""
    # What is alive now (the framework, the app) lives as long as the process: the collector
    # need not walk it again on every full collection a 1,000-credential batch sets off.
    # Garbage goes first, so none of it is frozen with them.
    gc.collect()
    gc.freeze()
    lane = BatchLane() if app.state.settings.batch_lane else None
    app.state.batch_lane = lane
    try:
        async with _indexed(app):
            yield
    finally:
        if lane is not None:
            lane.close()
        app.state.shares.close()


@asynccontextmanager
async def _indexed(app: FastAPI) -> AsyncIterator[None]:
    """The chain view for the routes: the one handed in, or an indexer's, started and stopped here."""
    view = app.state.view
    if view is not None:
        app.state.views, app.state.indexer = (lambda: view), None
        yield
        return
    from registry.chain import deployments
    from registry.chain.client import connect
    from registry.chain.indexer import Indexer

    settings: Settings = app.state.settings
    w3 = connect(settings.rpc_url)
    chain_id = w3.eth.chain_id
    address, recorded_start = deployments.resolve(settings.home, chain_id, settings.registry)
    start = settings.start_block if settings.start_block is not None else recorded_start
    indexer = Indexer(w3, address, start_block=start, reorg_depth=settings.reorg_depth,
                      state_file=settings.home / f"index-{chain_id}-{address.lower()}.json",
                      poll_interval=settings.poll_interval, max_lag=settings.max_lag_blocks,
                      max_staleness=settings.max_staleness_seconds)
    if settings.public_dir is not None:  # the folder it serves: its anchor maps back the status check
        from registry.status.lookup import PublishedFolders

        indexer.status_lists = PublishedFolders([settings.public_dir], deployment=(chain_id, address))
    indexer.start()
    app.state.views, app.state.indexer = indexer.view, indexer
    log.info(json.dumps({"event": "started", "registry": address, "chainId": chain_id, "fromBlock": start}))
    try:
        yield
    finally:
        indexer.stop()
