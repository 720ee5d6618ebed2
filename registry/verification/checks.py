"""Verification: pure logic over a chain view, returning the verdict of ARCHITECTURE.md.

One named check per step, in order: format, integrity, inclusion, anchor, issuer, revocation,
validity. Both proof formats of ARCHITECTURE.md are read ("The proof embedded in a credential"):
format 1, one credreg proof object; format 2, a chain of Data Integrity proofs whose
``credreg-merkle-2026`` anchor carries the Merkle receipt and commits to the issuer's signature,
which is therefore not re-verified here (invariant 10). From the receipt on, both take the same
steps. The verifier trusts nothing the document says about itself: it recomputes targetHash
(invariant 1), only counts the registry and chain it is configured with (2), binds the root to the
issuer the credential names and requires depth (3), derives the leaf position from the path and
the on-chain leaf count (5), and answers `unverifiable` when its view of the chain is not fresh (6).
A verification makes no RPC call: the view is an index kept by the service, or a direct reader
for the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from registry import credentials
from registry.chain.view import ChainView
from registry.credentials import proofs, status_entry
from registry.errors import CredregError
from registry.merkle import paths as merkle
from registry.verification.verdict import Check, Verdict

MAX_PATH_STEPS = 64
_FORMAT_1_FIELDS = ("type", "created", "targetHash", "merkleRoot", "path", "anchor")
# The anchor proof's key: the issuer's anchoring account, as did:pkh names an Ethereum account.
_ANCHORING_ACCOUNT = re.compile(r"did:pkh:eip155:([1-9][0-9]{0,19}):0x[0-9a-fA-F]{40}#blockchainAccountId")
_PROOF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")  # a cryptosuite or type short enough to quote


class Document(NamedTuple):
    """Another kind of document anchored as credentials are: what to call it, and its format check."""

    kind: str  # "a credreg pathway"
    validate: Callable[[Any], None]  # raises CredregError, naming the field at fault


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


def _read_proof(proof: Any, where: str = "proof", fields: tuple[str, ...] = _FORMAT_1_FIELDS) -> tuple[str, str]:
    """The receipt's (targetHash, merkleRoot) as lowercase hex, once its whole shape is checked.

    ``proof`` is a format-1 proof, or (``where`` naming it, ``fields`` its fields) the receipt a
    format-2 anchor proof carries."""
    if not isinstance(proof, Mapping):
        raise _Malformed(f"{where}: missing or not an object")
    for key in fields:
        if key not in proof:
            raise _Malformed(f"{where}.{key}: missing")
    target, root = _hex32(proof["targetHash"]), _hex32(proof["merkleRoot"])
    if target is None:
        raise _Malformed(f"{where}.targetHash: not 32 bytes of hex")
    if root is None:
        raise _Malformed(f"{where}.merkleRoot: not 32 bytes of hex")
    path = proof["path"]
    if not isinstance(path, list):
        raise _Malformed(f"{where}.path: not a list")
    if len(path) > MAX_PATH_STEPS:
        raise _Malformed(f"{where}.path: {len(path)} steps, more than the {MAX_PATH_STEPS} allowed")
    anchor = proof["anchor"]
    if not isinstance(anchor, Mapping):
        raise _Malformed(f"{where}.anchor: not an object")
    if not isinstance(anchor.get("chainId"), int) or isinstance(anchor.get("chainId"), bool):
        raise _Malformed(f"{where}.anchor.chainId: missing or not an integer")
    if not isinstance(anchor.get("registry"), str):
        raise _Malformed(f"{where}.anchor.registry: missing or not a string")
    return target, root


def _read_chain(chain: list[Any]) -> tuple[str, str, Mapping[str, Any], str, str]:
    """A format-2 proof chain read: (targetHash, merkleRoot, the receipt, where the receipt sits,
    what the chain carries), once the chain's shape is checked. Exactly one proof is the
    ``credreg-merkle-2026`` anchor, chained by ``previousProof`` to another proof of the list."""
    anchors = []
    for n, proof in enumerate(chain):
        if not isinstance(proof, Mapping):
            raise _Malformed(f"proof[{n}]: not an object")
        if proof.get("cryptosuite") == proofs.MERKLE_CRYPTOSUITE:
            anchors.append(n)
    if not anchors:
        raise _Malformed(f"proof: none of its {len(chain)} proofs is a {proofs.MERKLE_CRYPTOSUITE} anchor")
    if len(anchors) > 1:
        raise _Malformed(f"proof: {len(anchors)} {proofs.MERKLE_CRYPTOSUITE} anchors "
                         f"({', '.join(f'proof[{n}]' for n in anchors)}); a credential carries one")
    at = anchors[0]
    anchor, where = chain[at], f"proof[{at}]"
    for key in ("type", "created", "previousProof", "verificationMethod", "proofValue"):
        if key not in anchor:
            raise _Malformed(f"{where}.{key}: missing")
    if anchor["type"] != "DataIntegrityProof":
        raise _Malformed(f"{where}.type: not DataIntegrityProof")
    others = [proof for n, proof in enumerate(chain) if n != at]
    previous = anchor["previousProof"]
    if not isinstance(previous, str) or not any(proof.get("id") == previous for proof in others):
        raise _Malformed(f"{where}.previousProof: names no other proof in the list")
    method = anchor["verificationMethod"]
    account = _ANCHORING_ACCOUNT.fullmatch(method) if isinstance(method, str) else None
    if account is None:
        raise _Malformed(f"{where}.verificationMethod: not did:pkh:eip155:<chainId>:<address>#blockchainAccountId")
    try:
        receipt = proofs.decode_receipt(anchor["proofValue"], proof=where)
    except CredregError as exc:
        raise _Malformed(str(exc)) from None
    target, root = _read_proof(receipt, f"{where}.proofValue", proofs.RECEIPT_FIELDS)
    if int(account.group(1)) != receipt["anchor"]["chainId"]:
        raise _Malformed(f"{where}.verificationMethod: names chain {account.group(1)}, but the receipt "
                         f"names chain {receipt['anchor']['chainId']}")
    carries = [_carried(proof) for proof in others] + ["a Merkle anchor"]
    return target, root, receipt, f"{where}.proofValue", ", ".join(carries[:-1]) + " and " + carries[-1]


def _carried(proof: Mapping[str, Any]) -> str:
    """A proof named for the verdict, by its cryptosuite or its type (quoted only when short and plain)."""
    for key, kind in (("cryptosuite", "signature"), ("type", "proof")):
        name = proof.get(key)
        if isinstance(name, str) and _PROOF_NAME.fullmatch(name):
            return f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name} {kind}"
    return "a proof"


def _without_proof(doc: Mapping[str, Any]) -> dict[str, Any]:
    body = dict(doc)
    del body["proof"]
    return body


def _issuer_id_of(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


def _status_failure(doc: Mapping[str, Any], view: ChainView, issuer_did: str, root: str, leaf: int,
                    run: _Run) -> str:
    """Why the credential's status entry is wrong ("" when it is not, the check then recorded).

    Revocation is answered from the chain above, never from the list (no fetch per request). A
    list this verifier knows (from the issuers' published folders it reads) must be the issuer's
    own, and its anchor map must place this very credential at the entry's index: an entry that
    points at another issuer's list, or at an index another credential holds, would show a
    standard verifier another credential's revocation, or none."""
    status = doc.get("credentialStatus")
    if status is None:
        return ""
    if not (isinstance(status, Mapping) and status.get("type") == status_entry.ENTRY_TYPE):
        # Not credreg's kind (a credential anchored before credreg set one kept its own): left alone.
        run.ok("status", "a status entry credreg does not check; revocation is read from the chain")
        return ""
    try:
        entry = status_entry.read_entry(doc)
    except CredregError as exc:
        return str(exc)
    where = f"index {entry.index} of {entry.list_url}"
    lists = getattr(view, "status_lists", None)
    owner = lists.list_issuer(entry.list_url) if lists is not None else None
    if owner is None:
        run.ok("status", f"status list entry {where}; revocation is read from the chain, the list is not fetched")
        return ""
    if owner != issuer_did:
        return f"the status entry points at a status list of another issuer ({owner}): {where}"
    held = lists.holder(entry.list_url, entry.index)
    if held is not None and held != (root, leaf):
        return (f"the status entry names {where}, which the issuer's published map gives to another credential "
                f"(root {held[0][:16]}…, leaf {held[1]})")
    state = "its published map agrees" if held else "not in the issuer's published map yet"
    run.ok("status", f"status list entry {where} ({state}); revocation is read from the chain, the list is not fetched")
    return ""


def verify(doc: Any, view: ChainView, *, confirmations: int = 1, now: datetime | None = None,
           plain: bool = False, document: Document | None = None) -> Verdict:
    """The verdict on one presented credential. Never raises for bad input: that is a verdict.

    ``plain`` passes on what :func:`credentials.parse_json_with_plainness` said of the text the
    document came from, so that hashing it need not walk it first. ``document`` names another
    kind of anchored document and its format check (a pathway, registry.pathways): from the proof
    chain on, it is verified as a credential is.
    """
    run = _Run()
    now = now or datetime.now(UTC)

    # format: an Open Badges 3.0 credential with a credreg proof (format 1) or proof chain (format 2)
    if not isinstance(doc, Mapping):
        return run.verdict("invalid", "format", "not a JSON object")
    proof = doc.get("proof")
    chained = isinstance(proof, list)
    try:  # the integrity check canonicalizes it; a proof chain is read below, not by the OB 3.0 model
        if document is None:
            credentials.validate(_without_proof(doc) if chained else doc, canonical=False)
        elif not chained:
            return run.verdict("invalid", "format", f"{document.kind} carries a proof chain (a list of proofs)")
        else:
            document.validate(doc)
    except CredregError as exc:
        return run.verdict("invalid", "format", str(exc))
    except RecursionError:
        return run.verdict("invalid", "format", "nested too deeply")
    try:
        if chained:
            target, root, receipt, where, carries = _read_chain(proof)
        else:
            target, root = _read_proof(proof)
            receipt, where, carries = proof, "proof", "a Merkle proof"
    except _Malformed as exc:
        return run.verdict("invalid", "format", str(exc))
    try:
        steps = merkle.parse_path(receipt["path"])  # read once: walked for inclusion, placed for revocation
    except CredregError as exc:
        return run.verdict("invalid", "format", f"{where}.path: {exc}")
    run.ok("format", f"{document.kind if document else 'an Open Badges 3.0 credential'} with {carries}")

    # integrity: the hash is ours to compute, never taken from the proof (invariant 1); in format 2
    # it covers every proof but the anchor, so an edited, swapped, added or removed one fails (10)
    try:
        computed = (proofs.format_2_target_hash(doc, plain=plain) if chained
                    else credentials.target_hash(doc, plain=plain))
    except CredregError as exc:
        return run.verdict("invalid", "integrity", str(exc))
    computed_hex = computed.hex()
    if computed_hex != target:
        if chained:
            return run.verdict("invalid", "integrity", "the document or one of its proofs was changed after it was "
                                                       "anchored: its hash does not match the anchor's receipt")
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
    anchor = receipt["anchor"]
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

    # status: the credential's status-list entry agrees with where it was anchored
    failure = _status_failure(doc, view, issuer.did, root, leaf, run)
    if failure:
        return run.verdict("invalid", "status", failure)

    # validity period
    valid_from = credentials.parse_datetime(doc["validFrom"])
    if valid_from > now:
        return run.verdict("invalid", "validity", f"not valid before {doc['validFrom']}")
    if "validUntil" in doc and credentials.parse_datetime(doc["validUntil"]) < now:
        return run.verdict("expired", "validity", f"expired on {doc['validUntil']}")
    until = f" until {doc['validUntil']}" if "validUntil" in doc else ""
    run.ok("validity", f"valid from {doc['validFrom']}{until}")
    return run.verdict("valid")
