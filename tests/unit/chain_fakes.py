"""A chain view held in memory, and credentials anchored in it by hand, in both proof formats.

For the verifier's unit tests: no node, no registry contract. A batch is built with
:func:`registry.merkle.tree.build_tree` over the leaves each format anchors, its root recorded in
:class:`FakeView` as the registry would record it, and each credential given the proof
`credreg anchor` writes (format 1) or the proof chain of ARCHITECTURE.md (format 2).
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from registry import credentials
from registry.chain.view import IssuerView, RootRecord, ViewHealth
from registry.credentials import proofs
from registry.merkle.tree import MerkleTree, build_tree

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "credentials"
CHAIN_ID = 31337
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ANCHORING = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
ACADEMY = IssuerView(1, "Example Academy", "did:web:academy.example", False)
TX = "0x" + "ab" * 32
BLOCK = 5


class FakeView:
    """A ChainView over roots and revocations recorded by the tests themselves."""

    def __init__(self, chain_id: int = CHAIN_ID, registry: str = REGISTRY) -> None:
        self.chain_id, self.registry = chain_id, registry
        self.roots: dict[str, RootRecord] = {}
        self.revoked: set[tuple[str, int]] = set()
        self._issuers = {ACADEMY.id: ACADEMY}

    def health(self) -> ViewHealth:
        return ViewHealth(True, "", self.head_block(), self.head_block())

    def root(self, root: str) -> RootRecord | None:
        return self.roots.get(root.lower().removeprefix("0x"))

    def issuer(self, issuer_id: int) -> IssuerView | None:
        return self._issuers.get(issuer_id)

    def is_revoked(self, root: str, leaf_index: int) -> bool:
        return (root.lower().removeprefix("0x"), leaf_index) in self.revoked

    def head_block(self) -> int:
        return BLOCK + 10

    def issuers(self) -> list[IssuerView]:
        return list(self._issuers.values())

    def revoked_leaves(self, root: str) -> int:
        return sum(1 for r, _ in self.revoked if r == root.lower().removeprefix("0x"))

    def anchor(self, tree: MerkleTree, leaf_count: int) -> None:
        self.roots[tree.root_hex] = RootRecord(ACADEMY.id, leaf_count, 1_767_225_600, 0, BLOCK, TX)


def prepared(example: str = "intro-to-sql", **fields: Any) -> dict[str, Any]:
    """An example credential made ready for anchoring under Example Academy."""
    doc = json.loads((EXAMPLES / f"{example}.json").read_text())
    doc = {**doc, "id": f"urn:uuid:{uuid.uuid4()}", **fields}
    return credentials.prepare(doc, ACADEMY.did, ACADEMY.name)


def signature(doc_id: str) -> dict[str, Any]:
    """An eddsa-rdfc-2022 proof as `credreg issue` adds it; its value is never checked by the verifier."""
    return {"id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, doc_id)}", "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
            "verificationMethod": ACADEMY.did + "#key-1", "proofPurpose": "assertionMethod",
            "proofValue": "z" + hashlib.sha512(doc_id.encode()).hexdigest()[:86]}  # one per credential


def _anchor_of(receipt: dict[str, Any], previous: str, chain_id: int = CHAIN_ID) -> dict[str, Any]:
    return {"type": "DataIntegrityProof", "cryptosuite": proofs.MERKLE_CRYPTOSUITE, "created": "2026-01-01T00:00:01Z",
            "previousProof": previous,
            "verificationMethod": f"did:pkh:eip155:{chain_id}:{ANCHORING}#blockchainAccountId",
            "proofPurpose": "assertionMethod", "proofValue": proofs.encode_receipt(receipt)}


def _anchor_fields(chain_id: int, registry: str) -> dict[str, Any]:
    return {"chainId": chain_id, "registry": registry, "transactionHash": TX, "blockNumber": BLOCK}


def anchored_format_1(view: FakeView, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``docs`` anchored as one batch in ``view``, each with its format-1 proof."""
    tree = build_tree([credentials.target_hash(d) for d in docs])
    view.anchor(tree, len(docs))
    out = []
    for i, doc in enumerate(docs):
        proven = copy.deepcopy(doc)
        proven["proof"] = {"type": proofs.FORMAT_1_TYPE, "created": "2026-01-01T00:00:00Z",
                           "proofPurpose": "assertionMethod", "merkleRoot": tree.root_hex,
                           "targetHash": credentials.target_hash_hex(doc), "path": tree.proof(i),
                           "anchor": _anchor_fields(view.chain_id, view.registry)}
        out.append(proven)
    return out


def anchored_format_2(view: FakeView, docs: list[dict[str, Any]], *, chain_id: int | None = None,
                      registry: str | None = None) -> list[dict[str, Any]]:
    """``docs`` signed (a fake signature), anchored as one batch in ``view``, each with its proof chain.
    ``chain_id`` and ``registry`` are what the receipts name (default: the view's)."""
    chain_id = view.chain_id if chain_id is None else chain_id
    signed = [{**copy.deepcopy(d), "proof": [signature(d["id"])]} for d in docs]
    tree = build_tree([proofs.format_2_target_hash(d) for d in signed])
    view.anchor(tree, len(docs))
    for i, doc in enumerate(signed):
        receipt = {"targetHash": proofs.format_2_target_hash(doc).hex(), "merkleRoot": tree.root_hex,
                   "path": tree.proof(i), "anchor": _anchor_fields(chain_id, registry or view.registry)}
        doc["proof"].append(_anchor_of(receipt, doc["proof"][0]["id"], chain_id))
    return signed


def receipt_of(doc: dict[str, Any]) -> dict[str, Any]:
    return proofs.decode_receipt(doc["proof"][-1]["proofValue"])


def with_receipt(doc: dict[str, Any], receipt: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its anchor proof carrying ``receipt`` instead."""
    out = copy.deepcopy(doc)
    out["proof"][-1]["proofValue"] = proofs.encode_receipt(receipt)
    return out
