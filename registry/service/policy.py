"""The headers every answer carries against hostile pages and scripts, and the policy of /docs.

The verification page loads only from its own origin (``PAGE_POLICY``): its style and script are
files the app serves (static/page.css, page.js), so no inline script or style, no ``eval``, no
other site's script runs in it, even if text from a credential were ever parsed as HTML; no site
may frame it (clickjacking); nothing is sniffed into another type; no URL leaks in a Referer.

/docs is FastAPI's Swagger UI, which loads its script and style from a CDN and starts with an
inline script. It keeps its place (the README and `credreg serve` point at it) under a policy of
its own, as narrow as it can be: those two files by their full URL, that one inline script by its
hash, calls to this origin only, no framing. The page at / and the API never get this policy.
/openapi.json is plain JSON under the page's policy.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
               "form-action 'self'")
DOCS_PATH = "/docs"
# FastAPI's defaults, named here so that the page and its policy cannot disagree.
SWAGGER_JS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
SWAGGER_FAVICON = "https://fastapi.tiangolo.com/img/favicon.png"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_page(openapi_url: str, title: str) -> tuple[bytes, str]:
    """Swagger UI's page for ``openapi_url`` and the policy it runs under (see the module)."""
    html = bytes(get_swagger_ui_html(openapi_url=openapi_url, title=title, swagger_js_url=SWAGGER_JS,
                                     swagger_css_url=SWAGGER_CSS, swagger_favicon_url=SWAGGER_FAVICON).body)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                      for s in _INLINE_SCRIPT.findall(html))
    # Swagger UI's React sets style attributes as it renders: styles may be inline, scripts may not.
    policy = (f"default-src 'none'; script-src {SWAGGER_JS} {hashes}; style-src {SWAGGER_CSS} 'unsafe-inline'; "
              f"img-src 'self' data: {SWAGGER_FAVICON}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
              "frame-ancestors 'none'; form-action 'none'")
    return html, policy


class SecurityHeaders:
    """ASGI middleware: the policy headers on every answer (see the module), /docs with its own CSP.

    A plain ASGI wrapper rather than a BaseHTTPMiddleware: it only appends fixed headers to the
    answer's head, costing no task or body copy per request.
    """

    def __init__(self, app: ASGIApp, docs_policy: str | None) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        self._page = [(b"content-security-policy", PAGE_POLICY.encode()), *common]
        self._docs = [(b"content-security-policy", (docs_policy or PAGE_POLICY).encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._docs if scope["path"] == DOCS_PATH else self._page

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
