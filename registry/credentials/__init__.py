"""Open Badges 3.0 credentials: validation, preparation, the canonical hash, loading and rosters.

A credential is an ``OpenBadgeCredential`` (Open Badges 3.0 over the W3C Verifiable Credentials
Data Model 2.0), held as a plain ``dict``. The package decides which documents credreg accepts,
turns an accepted document into the exact document that gets queued, and computes the
``targetHash`` that goes into the Merkle tree: ``sha256(RFC 8785 canonical JSON of the credential
without "proof")``. Callers use the names below (``from registry import credentials``); one module
per job holds them:

- :mod:`~registry.credentials.model`: the Open Badges 3.0 model, :func:`validate`, :func:`prepare`
  and RFC 3339 dates (:func:`parse_datetime`);
- :mod:`~registry.credentials.canonical`: :func:`canonical_bytes` and :func:`target_hash`;
- :mod:`~registry.credentials.loading`: strict JSON, :func:`load_file`, :func:`load_paths`;
- :mod:`~registry.credentials.roster`: :func:`from_roster` and :func:`identity_hash`.

Every problem raises :class:`~registry.errors.InvalidCredential` (or, for a file that cannot be
read or an argument out of shape, :class:`~registry.errors.BadInput`) with a message of the form
``<file>: <field path>: <what is wrong>``.
"""

from registry.credentials.canonical import canonical_bytes, target_hash, target_hash_hex
from registry.credentials.loading import load_file, load_paths, parse_json_with_plainness
from registry.credentials.model import (
    CONTEXTS,
    OB_CONTEXT,
    TYPES,
    VC_CONTEXT,
    parse_datetime,
    prepare,
    validate,
    validate_achievement,
)
from registry.credentials.roster import from_roster, identity_hash

__all__ = [
    "CONTEXTS",
    "TYPES",
    "VC_CONTEXT",
    "OB_CONTEXT",
    "validate",
    "validate_achievement",
    "prepare",
    "parse_datetime",
    "canonical_bytes",
    "parse_json_with_plainness",
    "target_hash",
    "target_hash_hex",
    "identity_hash",
    "load_file",
    "load_paths",
    "from_roster",
]
