"""Loading credential files: strict JSON parsing, reading files, and loading many at once.

Strict means a document has one meaning for every parser: duplicate keys and NaN/Infinity are
refused, and errors name the file, line and column. :func:`parse_json_with_plainness` also tells
the verifier, for free while parsing, that a text is plain JSON, so hashing it skips a walk.
Loading is all-or-nothing: nothing is returned unless every document is valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from registry.credentials._kinds import _kind
from registry.credentials.canonical import _MAX_SAFE_INT
from registry.credentials.model import validate
from registry.errors import BadInput, InvalidCredential


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


def read_bytes(path: Path, limit: int | None = None, what: str = "file") -> bytes:
    """A file's bytes, or BadInput naming it: missing, a directory, unreadable, or (with ``limit``)
    over that many bytes, refused unread."""
    try:
        if limit is not None and (size := path.stat().st_size) > limit:
            raise BadInput(f"{path}: {what} of {size:,} bytes is over the {limit:,}-byte limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None


def _read_text(path: Path) -> str:
    data = read_bytes(path)
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
