"""A credential's revocation status entry: W3C Bitstring Status List v1.0 ``BitstringStatusListEntry``.

credreg sets one at issue time, before signing, so the signature covers it::

    {"id": "<list URL>#<index>", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
     "statusListIndex": "<index>", "statusListCredential": "<list URL>"}

Every term is defined by the VC 2.0 context. Lists hold :data:`LIST_SIZE` entries, the spec's
minimum (131,072), so that fetching one list tells its host little about which credential is
being checked. :func:`read_entry` is what a verifier reads back: the entry when the credential
carries one of this shape, None when it carries none, BadInput naming the field otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.errors import BadInput

ENTRY_TYPE = "BitstringStatusListEntry"
PURPOSE = "revocation"
LIST_SIZE = 131_072  # bits per list: W3C Bitstring Status List v1.0, section "Bitstring Encoding"
_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")  # a decimal string, no sign, no leading zero
_URL = re.compile(r"https?://[^\s#?]+")


@dataclass(frozen=True)
class StatusEntry:
    list_url: str  # the statusListCredential
    index: int  # the statusListIndex

    def to_json(self) -> dict[str, str]:
        return {"id": f"{self.list_url}#{self.index}", "type": ENTRY_TYPE, "statusPurpose": PURPOSE,
                "statusListIndex": str(self.index), "statusListCredential": self.list_url}


def read_entry(doc: Mapping[str, Any]) -> StatusEntry | None:
    """The credential's revocation entry, None without ``credentialStatus``; BadInput for one
    that is not a single ``BitstringStatusListEntry`` of credreg's shape."""
    status = doc.get("credentialStatus")
    if status is None:
        return None
    if not isinstance(status, Mapping):
        raise BadInput("credentialStatus: not one object")
    if status.get("type") != ENTRY_TYPE:
        raise BadInput(f"credentialStatus.type: {status.get('type')!r}, not {ENTRY_TYPE}")
    if status.get("statusPurpose") != PURPOSE:
        raise BadInput(f"credentialStatus.statusPurpose: {status.get('statusPurpose')!r}, not {PURPOSE!r}")
    url, index = status.get("statusListCredential"), status.get("statusListIndex")
    if not isinstance(url, str) or not _URL.fullmatch(url):
        raise BadInput(f"credentialStatus.statusListCredential: {url!r} is not an http(s) URL without a fragment")
    if not isinstance(index, str) or not _INDEX.fullmatch(index) or int(index) >= LIST_SIZE:
        raise BadInput(f"credentialStatus.statusListIndex: {index!r} is not a decimal index below {LIST_SIZE:,}")
    entry = StatusEntry(url, int(index))
    if status.get("id") != f"{url}#{index}":
        raise BadInput(f"credentialStatus.id: {status.get('id')!r}, not {url}#{index}")
    if set(status) - {"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"}:
        raise BadInput(f"credentialStatus: unexpected {sorted(set(status) - set(entry.to_json()))}")
    return entry


def list_url(public_url: str, number: int) -> str:
    """The URL of an issuer's status list ``number`` (1, 2, …) under its public folder's URL."""
    return f"{public_url.rstrip('/')}/{list_path(number)}"


def list_path(number: int) -> str:
    """Where status list ``number`` lives in the issuer's public folder (a ``.json`` name, so any
    static host serves it as JSON)."""
    return f"credentials/status/{number}.json"


def check_public_url(url: str, what: str = "public URL") -> str:
    """``url`` if it can be the base of the issuer's public files (http(s), no query or fragment),
    with one trailing slash; BadInput naming it otherwise."""
    if not isinstance(url, str) or not _URL.fullmatch(url):
        raise BadInput(f"{what} {url!r}: give an http(s) URL with no query or fragment, e.g. https://academy.example/")
    return url.rstrip("/") + "/"
