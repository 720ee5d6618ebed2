"""GET the issuer's public folder (``credreg serve --public DIR``): its DID document and status lists.

For the demo and small issuers; any static web host serves the same folder as well. Each file is
answered with a strong ``ETag`` (the sha256 of its bytes) and ``Cache-Control: no-cache``: a
verifier may keep a copy but asks again each time, and gets a 304 while the file is unchanged,
so a revocation shows on the next fetch after ``credreg publish`` instead of after a cache
lifetime. ``Access-Control-Allow-Origin: *`` lets browser-based verifiers read the lists.
Only regular files inside the folder are served: no listing, no dotfile (``.well-known`` aside),
nothing outside it, not the temporary files a publish in progress writes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

router = APIRouter(tags=["public files"])
CACHE_CONTROL = "no-cache"
_TYPES = {".json": "application/json", ".jsonld": "application/ld+json"}


def _file(folder: Path, relative: str) -> Path | None:
    parts = relative.split("/")
    if not relative or any(not p or p in (".", "..") or (p.startswith(".") and p != ".well-known") for p in parts):
        return None
    path = (folder / relative).resolve()
    root = folder.resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


@router.api_route("/{relative:path}", methods=["GET", "HEAD"], include_in_schema=False)
def public_file(relative: str, request: Request) -> Response:
    folder: Path | None = request.app.state.settings.public_dir
    path = _file(folder, relative) if folder is not None else None
    if path is None:
        raise HTTPException(404, f"/{relative}: no such file")
    data = path.read_bytes()
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    media = _TYPES.get(path.suffix, "application/octet-stream")
    return Response(data, media_type=media, headers=headers)  # the server sends no body for a HEAD
