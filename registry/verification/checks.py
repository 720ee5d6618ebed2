"""Verification: pure logic over a chain view, returning the verdict of ARCHITECTURE.md.

One named check per step, in order: format, integrity, inclusion, anchor, issuer, revocation,
validity. The verifier trusts nothing the document says about itself: it recomputes targetHash
(invariant 1), only counts the registry and chain it is configured with (2), binds the root to the
issuer the credential names and requires depth (3), derives the leaf position from the path and
the on-chain leaf count (5), and answers `unverifiable` when its view of the chain is not fresh (6).
A verification makes no RPC call: the view is an index kept by the service, or a direct reader
for the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from registry import credentials
from registry.chain.view import ChainView
from registry.errors import CredregError
from registry.merkle import paths as merkle
from registry.verification.verdict import Check, Verdict

MAX_PATH_STEPS = 64


class _Run:
    """The checks made so far, and what they learnt of the issuer and the anchor."""

    __slots__ = ("checks", "issuer", "anchor")

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.issuer: dict[str, Any] | None = None
        self.anchor: dict[str, Any] | None = None

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, True, detail))

    def verdict(self, status: str, name: str | None = None, detail: str = "") -> Verdict:
        if name is not None:
            self.checks.append(Check(name, False, detail))
        return Verdict(status, tuple(self.checks), self.issuer, self.anchor)


@lru_cache(maxsize=4096)  # one per anchored batch: a batch of credentials shares a handful
def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _hex32(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.lower().removeprefix("0x")
    return text if len(text) == 64 and merkle.digest_from_hex(text) is not None else None


class _Malformed(Exception):
    """The embedded proof is not of the credreg shape; the message says where."""


def _read_proof(proof: Any) -> tuple[str, str]:
    """The proof's (targetHash, merkleRoot) as lowercase hex, once its whole shape is checked."""
    if not isinstance(proof, Mapping):
        raise _Malformed("proof: missing or not an object")
    for key in ("type", "created", "targetHash", "merkleRoot", "path", "anchor"):
        if key not in proof:
            raise _Malformed(f"proof.{key}: missing")
    target, root = _hex32(proof["targetHash"]), _hex32(proof["merkleRoot"])
    if target is None:
        raise _Malformed("proof.targetHash: not 32 bytes of hex")
    if root is None:
        raise _Malformed("proof.merkleRoot: not 32 bytes of hex")
    path = proof["path"]
    if not isinstance(path, list):
        raise _Malformed("proof.path: not a list")
    if len(path) > MAX_PATH_STEPS:
        raise _Malformed(f"proof.path: {len(path)} steps, more than the {MAX_PATH_STEPS} allowed")
    anchor = proof["anchor"]
    if not isinstance(anchor, Mapping):
        raise _Malformed("proof.anchor: not an object")
    if not isinstance(anchor.get("chainId"), int) or isinstance(anchor.get("chainId"), bool):
        raise _Malformed("proof.anchor.chainId: missing or not an integer")
    if not isinstance(anchor.get("registry"), str):
        raise _Malformed("proof.anchor.registry: missing or not a string")
    return target, root


def _issuer_id_of(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


def verify(doc: Any, view: ChainView, *, confirmations: int = 1, now: datetime | None = None,
           plain: bool = False) -> Verdict:
    """The verdict on one presented credential. Never raises for bad input: that is a verdict.

    ``plain`` passes on what :func:`credentials.parse_json_with_plainness` said of the text the
    document came from, so that hashing it need not walk it first.
    """
    run = _Run()
    now = now or datetime.now(UTC)

    # format: an Open Badges 3.0 credential with a credreg proof
    if not isinstance(doc, Mapping):
        return run.verdict("invalid", "format", "not a JSON object")
    try:
        credentials.validate(doc, canonical=False)  # the integrity check canonicalizes it
    except CredregError as exc:
        return run.verdict("invalid", "format", str(exc))
    except RecursionError:
        return run.verdict("invalid", "format", "nested too deeply")
    try:
        target, root = _read_proof(doc.get("proof"))
    except _Malformed as exc:
        return run.verdict("invalid", "format", str(exc))
    proof = doc["proof"]
    try:
        steps = merkle.parse_path(proof["path"])  # read once: walked for inclusion, placed for revocation
    except CredregError as exc:
        return run.verdict("invalid", "format", f"proof.path: {exc}")
    run.ok("format", "an Open Badges 3.0 credential with a Merkle proof")

    # integrity: the hash is ours to compute, never taken from the proof (invariant 1)
    try:
        computed = credentials.target_hash(doc, plain=plain)
    except CredregError as exc:
        return run.verdict("invalid", "integrity", str(exc))
    computed_hex = computed.hex()
    if computed_hex != target:
        return run.verdict("invalid", "integrity",
                           "the document was changed after it was issued: its hash does not match the proof")
    run.ok("integrity", f"document hash {computed_hex[:16]}… matches the proof")

    # inclusion: the path leads from our hash to the claimed root
    try:
        included = merkle.verify_path(computed, steps, bytes.fromhex(root))
    except CredregError as exc:
        return run.verdict("invalid", "inclusion", f"the Merkle path cannot be walked: {exc}")
    if not included:
        return run.verdict("invalid", "inclusion", "the Merkle path does not lead from the document to the root")
    run.ok("inclusion", f"the path of {len(steps)} step{'s' if len(steps) != 1 else ''} leads to root {root[:16]}…")

    # anchor: a registry and chain we trust, a root it holds, deep enough (invariants 2, 3)
    anchor = proof["anchor"]
    if anchor["chainId"] != view.chain_id or anchor["registry"].lower() != view.registry.lower():
        return run.verdict("invalid", "anchor",
                           f"the proof names registry {anchor['registry']} on chain {anchor['chainId']}; this verifier "
                           f"trusts only {view.registry} on chain {view.chain_id}")
    health = view.health()
    if not health.ok:
        return run.verdict("unverifiable", "anchor", f"the registry cannot be checked right now: {health.reason}")
    record = view.root(root)
    if record is None:
        return run.verdict("invalid", "anchor", f"root {root[:16]}… is not anchored in the registry")
    depth = view.head_block() - record.block_number + 1
    run.anchor = {"chainId": view.chain_id, "registry": view.registry, "root": root,
                  "transactionHash": record.transaction_hash, "blockNumber": record.block_number,
                  "anchoredAt": _iso(record.anchored_at)}
    if depth < confirmations:
        return run.verdict("unverifiable", "anchor", f"anchored {depth} block(s) deep; {confirmations} needed: "
                                                     "try again shortly")
    run.ok("anchor", f"anchored in block {record.block_number} on {_iso(record.anchored_at)}, {depth} blocks deep")

    # issuer: the one that anchored the root is the one the credential names, and is in good standing
    issuer = view.issuer(record.issuer_id)
    named = _issuer_id_of(doc)
    if issuer is None:
        return run.verdict("invalid", "issuer", f"issuer {record.issuer_id} is not in the registry")
    run.issuer = {"id": issuer.id, "name": issuer.name, "did": issuer.did}
    if issuer.did != named:
        return run.verdict("invalid", "issuer", f"the credential names issuer {named}, but the root was anchored "
                                                f"by {issuer.name} ({issuer.did})")
    if issuer.suspended:
        return run.verdict("invalid", "issuer", f"{issuer.name} ({issuer.did}) is suspended by the registry")
    run.ok("issuer", f"issued by {issuer.name} ({issuer.did}), accredited by the registry")

    # revocation: the position comes from the path and the on-chain leaf count (invariant 5)
    try:
        leaf = merkle.leaf_index(steps, record.leaf_count)
    except CredregError as exc:
        return run.verdict("invalid", "revocation", f"the path cannot belong to a batch of {record.leaf_count}: {exc}")
    if record.revoked_at:
        return run.verdict("revoked", "revocation", f"the whole batch was revoked on {_iso(record.revoked_at)}")
    if view.is_revoked(root, leaf):
        return run.verdict("revoked", "revocation", f"credential {leaf + 1} of {record.leaf_count} in its batch "
                                                    "was revoked by the issuer")
    run.ok("revocation", f"not revoked (credential {leaf + 1} of {record.leaf_count} in its batch)")

    # validity period
    valid_from = credentials.parse_datetime(doc["validFrom"])
    if valid_from > now:
        return run.verdict("invalid", "validity", f"not valid before {doc['validFrom']}")
    if "validUntil" in doc and credentials.parse_datetime(doc["validUntil"]) < now:
        return run.verdict("expired", "validity", f"expired on {doc['validUntil']}")
    until = f" until {doc['validUntil']}" if "validUntil" in doc else ""
    run.ok("validity", f"valid from {doc['validFrom']}{until}")
    return run.verdict("valid")
