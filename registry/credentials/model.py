"""The Open Badges 3.0 model: which documents credreg accepts, and the document it queues.

A credential is an ``OpenBadgeCredential`` (Open Badges 3.0 over the W3C Verifiable Credentials
Data Model 2.0), held as a plain ``dict``. :func:`validate` decides whether a document is one;
:func:`prepare` turns an accepted document into the exact document that gets queued (a random
``urn:uuid`` id, the issuer taken from its on-chain record, no proof).

Every function here is pure: documents in, new documents out, the caller's objects never
mutated. Every problem raises :class:`~registry.errors.InvalidCredential` with a message of the
form ``<file>: <field path>: <what is wrong>``, so a user can fix the input without reading code.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import rfc8785

from registry.credentials._kinds import _kind
from registry.credentials.canonical import _plain
from registry.errors import BadInput, InvalidCredential

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS: tuple[str, ...] = (VC_CONTEXT, OB_CONTEXT)
TYPES: tuple[str, ...] = ("VerifiableCredential", "OpenBadgeCredential")

# Any 3.0.x patch release of the Open Badges context is the same vocabulary.
_OB_CONTEXT_RE = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context-3\.0\.\d+\.json")
# Open Badges 3.0 allows "AchievementCredential" as an alias of "OpenBadgeCredential".
_OB_CREDENTIAL_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
# RFC 3986 scheme, a colon, then no whitespace: enough to tell a URI/DID from a typo or a name.
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
# RFC 3339 date-time in the XSD dateTimeStamp profile that VC 2.0 uses: uppercase T, offset required.
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))"
)
_IDENTITY_HASH_RE = re.compile(r"(sha256\$[0-9a-fA-F]{64}|md5\$[0-9a-fA-F]{32})")


class _Problem(Exception):
    """One thing wrong with a document, located by a field path; becomes InvalidCredential."""

    def __init__(self, path: _Path, message: str) -> None:
        super().__init__(message)
        self.path = _path_text(path)
        self.message = message


# A field path is made only when something is wrong: the checks pass (parent, key) pairs down,
# which cost far less than formatting a string for every field of every valid credential.
_Path = str | tuple[Any, str | int]


def _path_text(path: _Path) -> str:
    if isinstance(path, str):
        return path
    parent, key = path
    parent = _path_text(parent)
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _where(source: str | Path | None, path: str, message: str) -> str:
    parts = [str(source)] if source is not None else []
    if path:
        parts.append(path)
    parts.append(message)
    return ": ".join(parts)


def _require(obj: Mapping[str, Any], key: str, path: _Path) -> Any:
    if key not in obj:
        raise _Problem((path, key), "missing")
    return obj[key]


def _check_object(value: Any, path: _Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Problem(path, f"must be an object, got {_kind(value)}")
    return value


def _check_string(value: Any, path: _Path) -> str:
    if not isinstance(value, str):
        raise _Problem(path, f"must be a string, got {_kind(value)}")
    if not value.strip():
        raise _Problem(path, "must not be empty")
    return value


def _check_uri(value: Any, path: _Path) -> str:
    if not isinstance(value, str):
        raise _Problem(path, f"must be a URI string, got {_kind(value)}")
    if not _URI_RE.fullmatch(value):
        raise _Problem(path, f"must be a URI (scheme:rest, no spaces), got {value!r}")
    return value


def _check_type(value: Any, path: _Path, required: Iterable[str | frozenset[str]] | str) -> list[str]:
    """Check a JSON-LD ``type`` (a string or a list of strings) holds each required term.

    An element of ``required`` that is a set means "at least one of these".
    """
    if isinstance(value, str):
        terms = [value]
    elif isinstance(value, list) and value and all(isinstance(t, str) for t in value):
        terms = value
    else:
        raise _Problem(path, f"must be a string or a non-empty array of strings, got {_kind(value)}")
    for need in (required,) if isinstance(required, str) else required:
        if need in terms if isinstance(need, str) else not need.isdisjoint(terms):
            continue
        wanted = " or ".join(repr(o) for o in sorted({need} if isinstance(need, str) else need))
        raise _Problem(path, f"must include {wanted}")
    return terms


def _parse_datetime(value: Any, path: _Path) -> datetime:
    if not isinstance(value, str):
        raise _Problem(path, f"must be a date-time string, got {_kind(value)}")
    try:
        return _datetime_of(value)
    except _NotRfc3339:
        raise _Problem(
            path,
            f"must be an RFC 3339 date-time with a timezone, e.g. 2025-01-31T09:00:00Z, got {value!r}",
        ) from None
    except ValueError as exc:
        raise _Problem(path, f"is not a valid date-time ({exc}): {value!r}") from None


class _NotRfc3339(ValueError):
    pass


@lru_cache(maxsize=4096)  # the credentials of a batch share their dates; a datetime is immutable
def _datetime_of(value: str) -> datetime:
    m = _DATETIME_RE.fullmatch(value)
    if not m:
        raise _NotRfc3339(value)
    year, month, day, hour, minute, second = map(int, m.group(1, 2, 3, 4, 5, 6))
    fraction, zone, sign, off_h, off_m = m.group(7, 8, 9, 10, 11)
    if zone == "Z":
        tz = UTC
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError("timezone offset out of range")
        delta = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-delta if sign == "-" else delta)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)


def parse_datetime(value: Any, field: str = "date-time") -> datetime:
    """An RFC 3339 date-time with a timezone, as a timezone-aware datetime (InvalidCredential)."""
    try:
        return _parse_datetime(value, field)
    except _Problem as exc:
        raise InvalidCredential(f"{exc.path}: {exc.message}") from None


def _check_context(value: Any) -> None:
    path = "@context"
    if not isinstance(value, list) or not value:
        raise _Problem(path, f"must be a non-empty array, got {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, (str, dict)):
            raise _Problem((path, i), f"must be a URI string or an object, got {_kind(item)}")
    if value[0] != VC_CONTEXT:
        raise _Problem((path, 0), f"must be {VC_CONTEXT!r} (Verifiable Credentials 2.0)")
    if not any(isinstance(c, str) and _OB_CONTEXT_RE.fullmatch(c) for c in value):
        raise _Problem(path, f"must include the Open Badges 3.0 context {OB_CONTEXT!r}")


def _check_profile(value: Any, path: _Path) -> None:
    if isinstance(value, str):
        _check_uri(value, path)
        return
    if not isinstance(value, dict):
        raise _Problem(path, f"must be a URI string or a Profile object, got {_kind(value)}")
    _check_uri(_require(value, "id", path), (path, "id"))
    if "type" in value:
        _check_type(value["type"], (path, "type"), "Profile")
    if "name" in value:
        _check_string(value["name"], (path, "name"))


def _check_achievement(value: Any, path: _Path) -> None:
    """Open Badges 3.0 Achievement: id, type, name, description and criteria are required."""
    ach = _check_object(value, path)
    _check_uri(_require(ach, "id", path), (path, "id"))
    _check_type(_require(ach, "type", path), (path, "type"), "Achievement")
    _check_string(_require(ach, "name", path), (path, "name"))
    _check_string(_require(ach, "description", path), (path, "description"))
    criteria_path = (path, "criteria")
    criteria = _check_object(_require(ach, "criteria", path), criteria_path)
    if "id" in criteria:
        _check_uri(criteria["id"], (criteria_path, "id"))
    if "narrative" in criteria:
        _check_string(criteria["narrative"], (criteria_path, "narrative"))
    if "id" not in criteria and "narrative" not in criteria:
        raise _Problem(criteria_path, "must have a narrative or an id (a URL describing the criteria)")


def validate_achievement(value: Any, where: str) -> None:
    """Accept an Open Badges 3.0 ``Achievement`` found at ``where`` (a field path, named in the
    message) or raise :class:`InvalidCredential`: a pathway's completion achievement is one."""
    try:
        _check_achievement(value, where)
    except _Problem as problem:
        raise InvalidCredential(f"{problem.path}: {problem.message}") from None


def _check_identity_object(value: Any, path: _Path) -> None:
    ident = _check_object(value, path)
    _check_type(_require(ident, "type", path), (path, "type"), "IdentityObject")
    hashed = _require(ident, "hashed", path)
    if not isinstance(hashed, bool):
        raise _Problem((path, "hashed"), f"must be true or false, got {_kind(hashed)}")
    _check_string(_require(ident, "identityType", path), (path, "identityType"))
    identity = _check_string(_require(ident, "identityHash", path), (path, "identityHash"))
    if hashed and not _IDENTITY_HASH_RE.fullmatch(identity):
        raise _Problem(
            (path, "identityHash"), "must be 'sha256$<64 hex>' (or 'md5$<32 hex>') when hashed"
        )
    if "salt" in ident and not isinstance(ident["salt"], str):
        raise _Problem((path, "salt"), f"must be a string, got {_kind(ident['salt'])}")


def _check_subject(value: Any) -> None:
    path = "credentialSubject"
    subject = _check_object(value, path)
    _check_type(_require(subject, "type", path), (path, "type"), "AchievementSubject")
    if "id" in subject:
        _check_uri(subject["id"], (path, "id"))
    if "identifier" in subject:
        ids_path = (path, "identifier")
        identifiers = subject["identifier"]
        if not isinstance(identifiers, list):
            raise _Problem(ids_path, f"must be an array of IdentityObject, got {_kind(identifiers)}")
        for i, ident in enumerate(identifiers):
            _check_identity_object(ident, (ids_path, i))
    if "id" not in subject and not subject.get("identifier"):
        raise _Problem(path, "must have an id or at least one identifier (Open Badges 3.0)")
    _check_achievement(_require(subject, "achievement", path), (path, "achievement"))


def _check_document(doc: Any, *, require_issuer: bool = True, canonical: bool = True) -> None:
    if not isinstance(doc, dict):
        raise _Problem("", f"must be a JSON object, got {_kind(doc)}")
    _check_context(_require(doc, "@context", ""))
    _check_type(_require(doc, "type", ""), "type", ["VerifiableCredential", _OB_CREDENTIAL_TYPES])
    if "id" in doc:
        _check_uri(doc["id"], "id")
    _check_string(_require(doc, "name", ""), "name")
    if "description" in doc:
        _check_string(doc["description"], "description")
    if require_issuer or "issuer" in doc:
        _check_profile(_require(doc, "issuer", ""), "issuer")
    valid_from = _parse_datetime(_require(doc, "validFrom", ""), "validFrom")
    if "validUntil" in doc:
        valid_until = _parse_datetime(doc["validUntil"], "validUntil")
        if valid_until < valid_from:
            raise _Problem("validUntil", f"is before validFrom ({doc['validUntil']} < {doc['validFrom']})")
    _check_subject(_require(doc, "credentialSubject", ""))
    if "proof" in doc:
        _check_object(doc["proof"], "proof")
    if canonical and not _plain(doc):  # plain JSON always canonicalizes; only the rest needs the full check
        try:
            rfc8785.dumps(doc)
        except rfc8785.CanonicalizationError as exc:
            raise _Problem("", f"cannot be canonicalized as RFC 8785 JSON: {exc}") from None


def _validate(
    doc: Any, source: str | Path | None, *, require_issuer: bool = True, canonical: bool = True
) -> None:
    try:
        _check_document(doc, require_issuer=require_issuer, canonical=canonical)
    except _Problem as problem:
        raise InvalidCredential(_where(source, problem.path, problem.message)) from None


def copy_json(value: Any) -> Any:
    """``copy.deepcopy`` of parsed JSON (no shared parts, immutable scalars), a few times faster:
    a roster of 100,000 learners copies one document per learner, twice."""
    kind = type(value)
    if kind is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if kind is list:
        return [copy_json(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def validate(doc: Any, source: str | None = None, *, canonical: bool = True) -> None:
    """Accept an Open Badges 3.0 ``OpenBadgeCredential`` or raise :class:`InvalidCredential`.

    Besides the Verifiable Credentials 2.0 shape (contexts, types, issuer, ``validFrom`` and
    ``validUntil`` as RFC 3339 date-times with a timezone) this enforces what Open Badges 3.0
    requires: a credential ``name``, a subject typed ``AchievementSubject`` with an ``id`` or an
    ``identifier``, and an achievement with ``id``, ``type``, ``name``, ``description`` and
    ``criteria``. The ``id`` may be absent because :func:`prepare` mints it. ``proof`` must be an object; its content belongs
    to the verifier. The message names ``source`` (when given) and the field path at fault.

    ``canonical=False`` skips the check that the document has an RFC 8785 form, for a caller
    that canonicalizes it next anyway (the verifier, which hashes it) and so learns the same.
    """
    _validate(doc, source, canonical=canonical)


def prepare(doc: Any, issuer_did: str, issuer_name: str, source: str | None = None) -> dict[str, Any]:
    """Return the document exactly as it will be queued and hashed.

    A copy with a fresh ``urn:uuid`` id when it has none (so two issues of the same content
    never share a hash and no hash can be recomputed from public data alone), the issuer
    replaced by the on-chain record (a credential cannot claim another issuer), and any
    ``proof`` dropped (a new one is embedded after anchoring). The input's issuer, if any, must
    be well formed but is replaced; roster credentials, which have none, pass through here too.
    """
    if not isinstance(issuer_did, str) or not _URI_RE.fullmatch(issuer_did):
        raise BadInput(f"issuer DID must be a URI such as did:web:example.org, got {issuer_did!r}")
    if not isinstance(issuer_name, str) or not issuer_name.strip():
        raise BadInput(f"issuer name must be a non-empty string, got {issuer_name!r}")
    _validate(doc, source, require_issuer=False)
    out = copy_json(doc)
    out.pop("proof", None)
    if "id" not in out:
        out["id"] = f"urn:uuid:{uuid.uuid4()}"
    out["issuer"] = {"id": issuer_did, "type": ["Profile"], "name": issuer_name}
    _validate(out, source)
    return out
