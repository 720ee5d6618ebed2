"""`credreg serve --metrics-port P`: /metrics on its own port, and nothing else there.

The server listens on both ports; this ASGI middleware tells them apart by the local port of the
connection (``scope["server"]``). /metrics is answered only on the metrics port, every other path
only on the main one; the other way round is a 404, as for a path that does not exist. So the
metrics port can be opened to the scraper alone, and the public port gives no metrics away.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

METRICS_PATH = "/metrics"
_NOT_FOUND = JSONResponse({"detail": "Not Found"}, status_code=404)


class MetricsPort:
    """Route /metrics to ``port`` only, and only /metrics there (see the module)."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app = app
        self.port = port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            server = scope.get("server")
            on_metrics_port = server is not None and server[1] == self.port
            if on_metrics_port != (scope["path"] == METRICS_PATH):
                await _NOT_FOUND(scope, receive, send)
                return
        await self.app(scope, receive, send)
