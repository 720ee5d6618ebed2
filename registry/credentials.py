"""Open Badges 3.0 credentials: validation, preparation and the canonical hash.

A credential is an ``OpenBadgeCredential`` (Open Badges 3.0 over the W3C Verifiable Credentials
Data Model 2.0), held as a plain ``dict``. This module decides which documents credreg accepts,
turns an accepted document into the exact document that gets queued (a random ``urn:uuid`` id,
the issuer taken from its on-chain record, no proof), and computes the ``targetHash`` that goes
into the Merkle tree: ``sha256(RFC 8785 canonical JSON of the credential without "proof")``.

Every function here is pure (documents in, new documents out; the caller's objects are never
mutated) except the ``load_*`` functions and :func:`from_roster`, which read files. Every problem
raises :class:`~registry.errors.InvalidCredential` with a message of the form
``<file>: <field path>: <what is wrong>``, so a user can fix the input without reading code.
Loading is all-or-nothing: nothing is returned unless every document is valid.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import rfc8785

from registry.errors import BadInput, InvalidCredential

__all__ = [
    "CONTEXTS",
    "TYPES",
    "VC_CONTEXT",
    "OB_CONTEXT",
    "validate",
    "prepare",
    "canonical_bytes",
    "parse_json_with_plainness",
    "target_hash",
    "target_hash_hex",
    "identity_hash",
    "load_file",
    "load_paths",
    "from_roster",
]

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
_EMAIL_RE = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")

_ROSTER_COLUMNS = ("name", "email", "id", "validFrom", "validUntil")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


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


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


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


# --------------------------------------------------------------------------------------------
# Preparation and hashing
# --------------------------------------------------------------------------------------------


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
    out = copy.deepcopy(doc)
    out.pop("proof", None)
    if "id" not in out:
        out["id"] = f"urn:uuid:{uuid.uuid4()}"
    out["issuer"] = {"id": issuer_did, "type": ["Profile"], "name": issuer_name}
    _validate(out, source)
    return out


def canonical_bytes(doc: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """RFC 8785 (JCS) serialization of the credential with its top-level ``proof`` removed.

    This is the byte string every party hashes; key order, whitespace and number spelling in
    the file do not matter, and the proof (which carries the hash) is never part of it.
    ``plain=True`` says the document is known to be plain JSON (see
    :func:`parse_json_with_plainness`), which spares walking it to find out.
    """
    if not isinstance(doc, Mapping):
        raise InvalidCredential(f"credential must be a JSON object, got {_kind(doc)}")
    body = {k: v for k, v in doc.items() if k != "proof"}
    try:
        fast = _fast_canonical(body, plain)
        if fast is not None:
            return fast
        return rfc8785.dumps(body)
    except rfc8785.CanonicalizationError as exc:
        raise InvalidCredential(f"credential cannot be canonicalized as RFC 8785 JSON: {exc}") from None
    except RecursionError:
        raise InvalidCredential("credential is nested too deeply to canonicalize") from None


_MAX_SAFE_INT = 2**53 - 1


def _plain(value: Any) -> bool:
    """True when the stdlib's sorted compact JSON is byte-for-byte RFC 8785 for ``value``:
    no floats (ECMAScript number spelling differs), integers within the safe range, and ASCII
    keys (UTF-16 and code-point key order then agree). Strings escape alike in both.
    Iterative and string-skipping: the verifier runs it on every credential."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            try:
                if not "".join(item).isascii():
                    return False
            except TypeError:  # a key that is not a string
                return False
            for child in item.values():
                if type(child) is not str:
                    stack.append(child)
        elif kind is list:
            for child in item:
                if type(child) is not str:
                    stack.append(child)
        elif kind is int:
            if not -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                return False
        elif not (kind is str or kind is bool or item is None):
            return False
    return True


def _fast_canonical(body: dict[str, Any], plain: bool = False) -> bytes | None:
    """RFC 8785 at C speed for the common case (checked equal to ``rfc8785`` by a property
    test); None sends the document to ``rfc8785`` itself. The verifier hashes every credential
    it sees, so this is its hot path."""
    if not (plain or _plain(body)):
        return None
    try:
        return _sorted_compact_json(body).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let rfc8785 decide
        return None


# The stdlib's C encoder, made once: json.dumps makes a new one on every call, which is a quarter
# of the time it takes on a credential. (json.encoder.c_make_encoder is None without the C part.)
_SORTED_COMPACT = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, json.JSONEncoder().default, json.encoder.encode_basestring, None, ":", ",", True, False, False)


def _sorted_compact_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``."""
    if _SORTED_COMPACT is None:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "".join(_SORTED_COMPACT(value, 0))


def target_hash(doc: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """``sha256(canonical_bytes(doc))``: the 32-byte Merkle leaf of the credential."""
    return hashlib.sha256(canonical_bytes(doc, plain=plain)).digest()


def target_hash_hex(doc: Mapping[str, Any]) -> str:
    """:func:`target_hash` as lowercase hex without ``0x``, the form used in proofs."""
    return target_hash(doc).hex()


def identity_hash(identity: str, salt: str) -> str:
    """Open Badges ``IdentityHash`` of an identifier: ``"sha256$" + hex(sha256(identity + salt))``.

    Emails are hashed after trimming and lower-casing, the way :func:`from_roster` stores them,
    so a verifier who knows a learner's address can check it against a credential.
    """
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def _email_identity(email: str) -> dict[str, Any]:
    salt = secrets.token_hex(16)
    return {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": identity_hash(email.strip().lower(), salt),
        "salt": salt,
    }


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        # Parsers disagree on which duplicate wins; a hashed document must be unambiguous.
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"duplicate key {duplicate!r}")
    return out


def parse_json_with_plainness(text: str | bytes, source: str) -> tuple[Any, bool]:
    """Strict JSON, and whether everything in the text is plain JSON in ``_plain``'s sense.

    Strict: duplicate keys and NaN/Infinity are rejected, since the hash must mean the same to
    every parser; errors (InvalidCredential) name ``source``, line and column. Plainness is known
    for free while parsing: no number with a fraction or exponent, every integer within
    ±(2**53 - 1), and ASCII text without ``\\u`` escapes (so every key is ASCII). The verifier
    passes it on to :func:`target_hash`, sparing a walk of each credential it hashes.
    """
    plain = True

    def fraction(token: str) -> float:
        nonlocal plain
        plain = False
        return float(token)

    def integer(token: str) -> int:
        nonlocal plain
        value = int(token)
        if not -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            plain = False
        return value

    value = _parse_json(text, source, parse_float=fraction, parse_int=integer)
    if isinstance(text, (bytes, bytearray)):
        # No NUL byte: UTF-16 and UTF-32 (which json.loads also reads) spell ASCII with NULs,
        # and could hide other characters and escapes in bytes that each look like ASCII.
        return value, plain and text.isascii() and b"\x00" not in text and b"\\u" not in text
    return value, plain and text.isascii() and "\\u" not in text


def _parse_json(text: str | bytes, source: str, **hooks: Any) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant, **hooks)
    except json.JSONDecodeError as exc:
        raise InvalidCredential(
            f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise InvalidCredential(f"{source}: invalid JSON: {exc}") from None
    except RecursionError:
        raise InvalidCredential(f"{source}: invalid JSON: nested too deeply") from None


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCredential(f"{path}: not UTF-8 text (byte {exc.start})") from None


def load_file(path: str | Path) -> dict[str, Any]:
    """Parse one JSON file into an object; errors name the file (and line and column).

    Duplicate keys and NaN/Infinity are rejected: the hash must mean the same to everyone.
    """
    path = Path(path)
    doc = _parse_json(_read_text(path), str(path))
    if not isinstance(doc, dict):
        raise InvalidCredential(f"{path}: must be a JSON object, got {_kind(doc)}")
    return doc


def load_paths(paths: Iterable[str | Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Load and validate credentials from files and directories (every ``*.json``, sorted).

    All or nothing: the first bad document raises, naming its file and field, and nothing is
    returned. The same file reached twice is loaded once; two files with the same ``id`` are
    rejected, since they would be one credential anchored twice.
    """
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                raise BadInput(f"{path}: directory holds no *.json files")
        elif path.exists():
            found = [path]
        else:
            raise BadInput(f"{path}: no such file or directory")
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    if not files:
        raise BadInput("no credential files given")
    loaded: list[tuple[Path, dict[str, Any]]] = []
    ids: dict[str, Path] = {}
    for file in files:
        doc = load_file(file)
        validate(doc, str(file))
        if "id" in doc:
            if doc["id"] in ids:
                raise InvalidCredential(f"{file}: id: {doc['id']!r} is also the id in {ids[doc['id']]}")
            ids[doc["id"]] = file
        loaded.append((file, doc))
    return loaded


# --------------------------------------------------------------------------------------------
# Rosters
# --------------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_roster(
    roster_csv: str | Path, achievement_json: str | Path, valid_from: str | None = None
) -> list[dict[str, Any]]:
    """Mint one unsigned ``OpenBadgeCredential`` per roster row for the given achievement.

    The achievement file holds an Open Badges 3.0 ``Achievement``. The CSV has a header with
    ``name`` and ``email`` and/or ``id``, optionally ``validFrom`` and ``validUntil``. A learner's
    email never appears in clear: it becomes a salted, hashed ``IdentityObject`` (the privacy
    option Open Badges recommends); an ``id`` (a DID or URI) becomes ``credentialSubject.id``;
    the name is a plain ``IdentityObject`` of type ``name`` so a reader can see who earned it.
    ``validFrom`` comes from the row, else ``valid_from``, else now. The result has no ``id``
    and no ``issuer``: :func:`prepare` adds both. Errors name the file, row, line and column;
    one bad row (or the same learner twice) rejects the whole roster.
    """
    roster_path, achievement_path = Path(roster_csv), Path(achievement_json)
    achievement = load_file(achievement_path)
    try:
        _check_achievement(achievement, "")
    except _Problem as problem:
        raise InvalidCredential(_where(achievement_path, problem.path, problem.message)) from None
    if valid_from is not None:
        try:
            _parse_datetime(valid_from, "valid_from")
        except _Problem as problem:
            raise BadInput(_where(None, problem.path, problem.message)) from None
    default_from = valid_from or _now()

    text = _read_text(roster_path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidCredential(f"{roster_path}: line 1: not valid CSV: {exc}") from None
    if header is None or not any(h.strip() for h in header):
        raise InvalidCredential(f"{roster_path}: empty roster (expected a header and one row per learner)")
    columns = [h.strip() for h in header]
    for col in columns:
        if col not in _ROSTER_COLUMNS:
            raise InvalidCredential(
                f"{roster_path}: header: unknown column {col!r} (expected {', '.join(_ROSTER_COLUMNS)})"
            )
        if columns.count(col) > 1:
            raise InvalidCredential(f"{roster_path}: header: column {col!r} appears twice")
    if "name" not in columns:
        raise InvalidCredential(f"{roster_path}: header: missing column 'name'")
    if "email" not in columns and "id" not in columns:
        raise InvalidCredential(f"{roster_path}: header: needs an 'email' or an 'id' column")

    credentials: list[dict[str, Any]] = []
    learners: dict[tuple[str, str], int] = {}
    row_no = 0
    while True:
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            raise InvalidCredential(f"{roster_path}: line {reader.line_num}: not valid CSV: {exc}") from None
        if fields is None:
            break
        if not any(f.strip() for f in fields):
            continue  # blank line
        row_no += 1
        where = f"{roster_path}: row {row_no} (line {reader.line_num})"
        if len(fields) != len(columns):
            raise InvalidCredential(f"{where}: has {len(fields)} fields, the header has {len(columns)}")
        row = {col: value.strip() for col, value in zip(columns, fields)}
        credentials.append(_roster_credential(row, achievement, default_from, where, learners, row_no))
    if not credentials:
        raise InvalidCredential(f"{roster_path}: empty roster (a header but no learners)")
    return credentials


def _roster_credential(
    row: dict[str, str],
    achievement: dict[str, Any],
    default_from: str,
    where: str,
    learners: dict[tuple[str, str], int],
    row_no: int,
) -> dict[str, Any]:
    name, email, learner_id = row.get("name", ""), row.get("email", ""), row.get("id", "")
    if not name:
        raise InvalidCredential(f"{where}: column name: empty")
    if not email and not learner_id:
        raise InvalidCredential(f"{where}: column email/id: one of them must be given")
    if email and not _EMAIL_RE.fullmatch(email):
        raise InvalidCredential(f"{where}: column email: not an email address: {email!r}")
    if learner_id and not _URI_RE.fullmatch(learner_id):
        raise InvalidCredential(f"{where}: column id: must be a DID or URI, got {learner_id!r}")
    # The same learner twice in one roster is almost always a copy-paste slip, not two awards.
    for column, value in (("email", email.lower()), ("id", learner_id)):
        if value:
            if (column, value) in learners:
                earlier = learners[column, value]
                raise InvalidCredential(f"{where}: column {column}: same learner as row {earlier}")
            learners[column, value] = row_no

    identifiers: list[dict[str, Any]] = []
    if email:
        identifiers.append(_email_identity(email))
    # The learner's name, in clear so a reader sees who earned it (identityType "name").
    identifiers.append(
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
    )
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if learner_id:
        subject["id"] = learner_id
    subject["identifier"] = identifiers
    subject["achievement"] = copy.deepcopy(achievement)

    doc: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "type": list(TYPES),
        "name": achievement["name"],
        "validFrom": row.get("validFrom") or default_from,
        "credentialSubject": subject,
    }
    if row.get("validUntil"):
        doc["validUntil"] = row["validUntil"]
    try:
        _check_document(doc, require_issuer=False)
    except _Problem as problem:
        column = problem.path if problem.path in ("validFrom", "validUntil") else problem.path or "row"
        raise InvalidCredential(f"{where}: column {column}: {problem.message}") from None
    return doc
