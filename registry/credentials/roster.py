"""Rosters: one unsigned credential per learner in a CSV file, for one achievement.

A learner's email never appears in clear: it becomes a salted, hashed ``IdentityObject``
(:func:`identity_hash`). One bad row, or the same learner twice, rejects the whole roster.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from registry.credentials._gc_pause import paused
from registry.credentials.loading import _read_text, load_file
from registry.credentials.model import (
    _URI_RE,
    CONTEXTS,
    TYPES,
    _check_achievement,
    _check_document,
    _parse_datetime,
    _Problem,
    _where,
    copy_json,
)
from registry.errors import BadInput, InvalidCredential

_EMAIL_RE = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")

_ROSTER_COLUMNS = ("name", "email", "id", "validFrom", "validUntil")


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
    with paused():  # millions of objects kept, no cycles: see _gc_pause
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
    subject["achievement"] = copy_json(achievement)

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
