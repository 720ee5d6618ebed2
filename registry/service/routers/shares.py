"""POST /v1/shares, GET and DELETE /v1/shares/{id}, and the page at /s/{id}: encrypted share links.

The verifier stores what the holder's browser (or `credreg share`) encrypted, and nothing it
could read: the key is in the link's fragment (registry/sharing/links.py, invariant 13). So a
share's body is checked for shape only: base64url of a blob of the current version, within the
byte cap. Each client address may store ``shares_per_hour`` an hour (429 with Retry-After).
An expired share is gone (410) even before a new share's transaction deletes its row.

The request is JSON, ``{"ciphertext": base64url, "expiresInDays": 1..3650}``, read raw under
its cap and parsed strictly like the verify routes' bodies; the delete token comes back once, in
the 201, and deletes with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from registry.errors import BadInput
from registry.service.bodies import read_json
from registry.service.dependencies import Config
from registry.service.models import MAX_SHARE_DAYS, SHARE_BODY, ErrorModel, ShareCreatedModel, ShareModel
from registry.service.routers.operations import page_html
from registry.service.settings import Settings
from registry.service.share_store import ShareStore
from registry.sharing import links
from registry.store.shares import StoredShare, stamp


class _OnePathRoute(APIRoute):
    """A route whose 405 names every method of its path: Starlette's names only the first
    route's, and GET and DELETE /v1/shares/{id} are two routes."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allowed = sorted({m for r in router.routes if isinstance(r, APIRoute) and r.path == self.path
                              for m in r.methods})
            raise HTTPException(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})
        await super().handle(scope, receive, send)


router = APIRouter(prefix="/v1", tags=["shares"], route_class=_OnePathRoute)
pages = APIRouter(tags=["shares"])

_ID = Annotated[str, Path(description="the share's id: 12 base64url characters")]
_NOT_FOUND = {"model": ErrorModel, "description": "no such share (or an id that cannot be one)"}


async def get_shares(request: Request) -> ShareStore:
    return request.app.state.shares


Shares = Annotated[ShareStore, Depends(get_shares)]


@router.post("/shares", status_code=201, response_model=ShareCreatedModel, openapi_extra={"requestBody": SHARE_BODY},
             responses={413: {"model": ErrorModel, "description": "body over the byte limit"},
                        422: {"model": ErrorModel, "description": "not a share: see the schema"},
                        429: {"model": ErrorModel, "description": "too many shares from this client this hour; "
                                                                  "Retry-After says when to try again"}})
async def create_share(request: Request, settings: Config, shares: Shares) -> dict[str, Any]:
    """Store an encrypted credential; its short link (append ``#KEY``), expiry and delete token."""
    body = await read_json(request, settings.share_max_body_bytes)
    blob, days = _share_request(body.value, settings)
    at = datetime.now(UTC).replace(microsecond=0)
    token = links.new_token()
    share = StoredShare(links.new_id(), blob, stamp(at), stamp(at + timedelta(days=days)), links.token_hash(token))
    client = shares.client(request.client.host if request.client else "")
    wait = await run_in_threadpool(
        lambda: shares.store().add_share(share, client, settings.shares_per_hour, at))
    if wait is not None:
        raise HTTPException(429, f"at most {settings.shares_per_hour} shares an hour from one address; "
                                 f"try again in {wait:.0f} s", headers={"Retry-After": str(int(wait + 0.999))})
    base = settings.share_base_url or str(request.base_url)
    return {"id": share.id, "url": links.link(base, share.id), "expiresAt": share.expires_at, "deleteToken": token}


def _share_request(value: Any, settings: Settings) -> tuple[bytes, int]:
    """(blob, days) of a request body, or 422 naming what is wrong."""
    if not isinstance(value, dict) or "ciphertext" not in value:
        raise HTTPException(422, 'the body must be a JSON object {"ciphertext": base64url, "expiresInDays": days}')
    extra = sorted(set(value) - {"ciphertext", "expiresInDays"})
    if extra:
        raise HTTPException(422, f"unknown field {extra[0]!r}: a share has ciphertext and expiresInDays")
    days = value.get("expiresInDays", settings.share_default_days)
    if type(days) is float and days.is_integer():  # 30.0 is an integer to JSON Schema, so to the API
        days = int(days)
    if type(days) is not int or not 1 <= days <= MAX_SHARE_DAYS:
        raise HTTPException(422, f"expiresInDays must be a whole number of days from 1 to {MAX_SHARE_DAYS}")
    try:
        blob = links.from_b64url(value["ciphertext"], "ciphertext")
    except BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    if len(blob) < links.MIN_BLOB or blob[0] != links.VERSION:
        raise HTTPException(422, f"the ciphertext is not a version-{links.VERSION} share (version byte, "
                                 f"{links.NONCE_BYTES}-byte nonce, AES-GCM ciphertext and tag)")
    return blob, days


@router.get("/shares/{share_id:path}", response_model=ShareModel,
            responses={404: _NOT_FOUND, 410: {"model": ErrorModel, "description": "the share has expired"}})
async def read_share(share_id: _ID, shares: Shares, response: Response) -> dict[str, Any]:
    """The stored ciphertext, for the page at /s/{id} to decrypt with the key in its fragment."""
    share = await _found(share_id, shares)
    if share.expires_at <= stamp(datetime.now(UTC)):
        raise HTTPException(410, f"share {share_id} expired at {share.expires_at}; ask the holder for a new link")
    response.headers["Cache-Control"] = "no-store"
    return {"id": share.id, "ciphertext": links.b64url(share.ciphertext), "createdAt": share.created_at,
            "expiresAt": share.expires_at}


@router.delete("/shares/{share_id:path}", status_code=204, response_class=Response,
               responses={401: {"model": ErrorModel, "description": "no delete token (Authorization: Bearer)"},
                          403: {"model": ErrorModel, "description": "not this share's delete token"},
                          404: _NOT_FOUND})
async def delete_share(share_id: _ID, request: Request, shares: Shares) -> Response:
    """Delete a share with the token its creation answered (``Authorization: Bearer <token>``)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "give the share's delete token as Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    share = await _found(share_id, shares)
    if not links.token_matches(token.strip(), share.delete_token_hash):
        raise HTTPException(403, "this is not the delete token of this share")
    await run_in_threadpool(shares.store().delete_share, share_id)
    return Response(status_code=204)


async def _found(share_id: str, shares: ShareStore) -> StoredShare:
    if not links.is_id(share_id):
        raise HTTPException(404, f"{share_id[:40]!r} is not a share id (12 characters: letters, digits, - and _)")
    share = await run_in_threadpool(lambda: shares.store().share(share_id))
    if share is None:
        raise HTTPException(404, f"no share {share_id}: it was deleted, or it expired, or the link is mistyped")
    return share


@pages.get("/s/{share_id:path}", response_class=HTMLResponse, include_in_schema=False)
def share_page(share_id: str) -> HTMLResponse:
    """The verification page: its script sees /s/<id>, fetches the share, decrypts it with the key
    in the fragment and verifies it. A malformed id gets the page too (404), which says so."""
    return HTMLResponse(page_html(), status_code=200 if links.is_id(share_id) else 404)
