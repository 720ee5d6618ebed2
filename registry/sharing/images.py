"""A badge's image carried in the credential as a ``data:`` URI, and the baked badge made from it.

An achievement's ``image`` is a URI, so a local file cannot be named there: `credreg issue
--image FILE` puts the file in as a ``data:`` URI (PNG or SVG), before signing. `credreg anchor
--bake` then reads that URI back from each credential it writes and bakes the credential into it.
Nothing is fetched: an image given by an ``https:`` URL is not baked.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from registry.errors import BadInput
from registry.sharing import baking

__all__ = ["MAX_EMBEDDED_IMAGE_BYTES", "achievement_image", "badge_for", "checked_image", "data_uri",
           "image_of_data_uri"]

# In every credential of a roster, and a baked credential is at most baking.MAX_CREDENTIAL_BYTES:
# a badge image is a few kilobytes; this leaves the credential's own text room.
MAX_EMBEDDED_IMAGE_BYTES = 256 << 10
_MIME = {"image/png": "png", "image/svg+xml": "svg"}


def checked_image(data: bytes, source: str) -> str:
    """"png" or "svg" when ``data`` is an image that can be baked; BadInput saying why not."""
    if len(data) > MAX_EMBEDDED_IMAGE_BYTES:
        raise BadInput(f"{source}: image of {len(data):,} bytes is over the {MAX_EMBEDDED_IMAGE_BYTES:,}-byte "
                       "limit for an image carried in every credential")
    kind, _ = baking.bake(data, b"{}", source)  # the same checks a bake makes (CRCs, no DTD, no script)
    return kind


def data_uri(data: bytes, kind: str) -> str:
    mime = next(m for m, k in _MIME.items() if k == kind)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def image_of_data_uri(uri: str, source: str) -> tuple[str, bytes] | None:
    """(kind, bytes) of a ``data:image/png`` or ``data:image/svg+xml`` URI; None for any other
    URI (nothing to bake); BadInput for a data: URI of those types that does not decode."""
    if not uri[:5].lower() == "data:" or "," not in uri:
        return None
    meta, payload = uri[5:].split(",", 1)
    params = [p.strip().lower() for p in meta.split(";")]
    kind = _MIME.get(params[0])
    if kind is None:
        return None
    if len(payload) > 2 * MAX_EMBEDDED_IMAGE_BYTES:
        raise BadInput(f"{source}: the image's data: URI is over the {MAX_EMBEDDED_IMAGE_BYTES:,}-byte limit")
    try:
        data = base64.b64decode(payload, validate=True) if "base64" in params[1:] else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise BadInput(f"{source}: the image's data: URI is not valid base64") from None
    if baking.image_kind(data) != kind:
        raise BadInput(f"{source}: the image's data: URI says {params[0]} but does not hold one")
    return kind, data


def achievement_image(doc: dict[str, Any]) -> str | None:
    """The URI of a credential's achievement image (a string, or an Image's ``id``), if any."""
    subject = doc.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    image = achievement.get("image") if isinstance(achievement, dict) else None
    if isinstance(image, dict):
        image = image.get("id")
    return image if isinstance(image, str) else None


def badge_for(text: str) -> tuple[str, bytes] | None:
    """(kind, the baked badge) for a credential file's ``text`` whose achievement image is a PNG or
    SVG ``data:`` URI; None when there is none, or it cannot be baked (checked at issue time: a
    credential file must still be written, badge or not)."""
    try:
        doc = json.loads(text)
        uri = achievement_image(doc) if isinstance(doc, dict) else None
        found = image_of_data_uri(uri, "achievement image") if uri else None
        if found is None:
            return None
        return baking.bake(found[1], text.strip().encode("utf-8"), "achievement image")
    except (BadInput, ValueError, UnicodeEncodeError):
        return None
