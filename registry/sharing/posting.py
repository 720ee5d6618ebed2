"""Storing a share on a verifier and reading it back, over its HTTP API (`credreg share`, tests).

The credential is sealed here, before anything leaves the machine (links.seal); the verifier
gets the ciphertext and answers the short link, to which the key is appended as its fragment.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, NamedTuple

from registry.errors import BadInput, CredregError
from registry.sharing import links


class Shared(NamedTuple):
    link: str  # the full link, with #KEY
    id: str
    expires_at: str
    delete_token: str


class VerifierUnavailable(CredregError):
    """The verifier could not be reached, or refused the share (its message says why)."""


def share(verifier: str, plaintext: bytes, days: int | None = None, timeout: float = 30) -> Shared:
    """``plaintext`` sealed and stored on ``verifier``; the link with its key in the fragment."""
    sealed = links.seal(plaintext)
    body: dict[str, Any] = {"ciphertext": links.b64url(sealed.blob)}
    if days is not None:
        body["expiresInDays"] = days
    answer = _call("POST", f"{verifier.rstrip('/')}/v1/shares", json.dumps(body).encode(), timeout)
    if not links.is_id(str(answer.get("id"))) or not isinstance(answer.get("url"), str):
        raise VerifierUnavailable(f"{verifier} answered something that is not a share: {answer!r:.200}")
    return Shared(f"{answer['url']}#{sealed.key}", answer["id"], answer["expiresAt"], answer["deleteToken"])


def fetch(link: str, timeout: float = 30) -> bytes:
    """The plaintext behind a full share link: its ciphertext fetched, opened with the fragment's key."""
    base, share_id, key = links.split_link(link)
    answer = _call("GET", f"{base}/v1/shares/{share_id}", None, timeout)
    return links.open_sealed(links.from_b64url(answer.get("ciphertext", ""), "ciphertext"), key)


def _call(method: str, url: str, body: bytes | None, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = _detail(exc.read())
        error = BadInput if exc.code in (404, 410, 413, 422) else VerifierUnavailable
        raise error(f"{url}: HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise VerifierUnavailable(f"the verifier at {url} cannot be reached: {reason}") from None


def _detail(text: bytes) -> str:
    try:
        detail = json.loads(text).get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else text[:200].decode("utf-8", "replace")
