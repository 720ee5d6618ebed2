"""GET /healthz, /metrics and the verification page at / (with its style and script): what
operators and people see."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from registry.service.dependencies import Meter, View
from registry.service.models import HealthModel

STATIC = Path(__file__).parent.parent / "static"
PAGE = STATIC / "index.html"
router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthModel,
            responses={503: {"model": HealthModel, "description": "unhealthy: the reason says why"}})
def healthz(view: View, response: Response) -> dict[str, Any]:
    """Chain id, registry, indexed and head blocks, lag; 503 with the reason when unhealthy."""
    health = view.health()
    response.status_code = 200 if health.ok else 503
    return {"ok": health.ok, "reason": health.reason, "chainId": view.chain_id, "registry": view.registry,
            "indexedBlock": health.indexed_block, "headBlock": health.head_block, "lag": health.lag}


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
    return HTMLResponse(page_html())


# The page's style and script are files of its own origin, not inline: its CSP allows no other (policy.py).
@router.get("/page.css", include_in_schema=False)
def page_css() -> Response:
    return Response(_static("page.css"), media_type="text/css; charset=utf-8")


@router.get("/page.js", include_in_schema=False)
def page_js() -> Response:
    return Response(_static("page.js"), media_type="text/javascript; charset=utf-8")


# The page's other files, served by name the same way: what a verified credential says
# (credential-view.js and .css), its QR code (qr.js, over the vendored encoder) and the printed
# certificate (print.css). Nothing else under static/ is served.
ASSETS = {"credential-view.js": "text/javascript", "credential-view.css": "text/css", "qr.js": "text/javascript",
          "vendor/qrcode-generator.js": "text/javascript", "print.css": "text/css"}


def _asset_route(name: str, media_type: str) -> None:
    def asset() -> Response:
        return Response(_static(name), media_type=f"{media_type}; charset=utf-8")
    router.add_api_route(f"/{name}", asset, methods=["GET"], include_in_schema=False, name=f"asset:{name}")


for _name, _type in ASSETS.items():
    _asset_route(_name, _type)


@cache
def page_html() -> str:
    return PAGE.read_text()


@cache
def _static(name: str) -> bytes:
    return (STATIC / name).read_bytes()
