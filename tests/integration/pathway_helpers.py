"""Pathway documents and a learner's credentials for the integration tests of pathway checking
(test_pathway_check.py, test_page.py): the example pathway under a test world's issuer, and
example credentials awarded to one learner, ready for `anchor_by_hand`."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from registry import credentials

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PATHWAY_FILE = EXAMPLES / "pathways" / "junior-data-analyst.json"
LEARNER = "did:example:learner-ada"
SQL, PYTHON, WEB, AID = "sql", "python", "web", "aid"
_SOURCES = {SQL: "intro-to-sql", PYTHON: "intro-to-sql", WEB: "accessible-web-design", AID: "workplace-first-aid"}


def pathway_doc(issuer: tuple[str, str], **changes: Any) -> dict[str, Any]:
    """The example pathway, published by ``issuer`` (name, DID), valid from 2026."""
    name, did = issuer
    doc = json.loads(PATHWAY_FILE.read_text())
    doc["issuer"] = {"id": did, "name": name}
    doc["validFrom"] = "2026-01-01T00:00:00Z"
    doc.update(changes)
    return doc


def earned(issuer: tuple[str, str], which: str, learner: str = LEARNER, **fields: Any) -> dict[str, Any]:
    """An example credential of ``which`` (SQL, PYTHON, WEB, AID) for ``learner`` (by id), prepared
    under ``issuer`` (name, DID)."""
    name, did = issuer
    doc = json.loads((EXAMPLES / "credentials" / f"{_SOURCES[which]}.json").read_text())
    if which == PYTHON:
        doc["name"] = "Data Analysis with Python – Level 1"
        doc["credentialSubject"]["achievement"] = json.loads((EXAMPLES / "achievement.json").read_text())
    doc = credentials.prepare({**doc, "id": f"urn:uuid:{uuid.uuid4()}", **fields}, did, name)
    subject = copy.deepcopy(doc["credentialSubject"])
    subject["id"] = learner
    subject.pop("identifier", None)
    return {**doc, "credentialSubject": subject}


def anchor_pathway_by_hand(client, signer, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a pathway) anchored in a batch of its own with ``signer``'s key, with the proof
    chain of format 2: a signature proof (the verifier checks the anchor, not the signature's
    value, as for credentials anchored by hand), then the anchor proof chained to it."""
    from registry.credentials import proofs
    from registry.identity import did as dids
    from registry.merkle.tree import build_tree

    signature_id = f"urn:uuid:{uuid.uuid4()}"
    signed = {**copy.deepcopy(doc), "proof": [{
        "id": signature_id, "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
        "created": "2026-01-01T00:00:00Z", "verificationMethod": doc["issuer"]["id"] + "#key-1",
        "proofPurpose": "assertionMethod", "proofValue": "z" + uuid.uuid4().hex * 2}]}
    target = proofs.format_2_target_hash(signed)
    tree = build_tree([target])
    receipt = client.transact("anchorRoot", [tree.root, 1], signer)
    anchor = {"chainId": client.chain_id, "registry": client.address,
              "transactionHash": "0x" + bytes(receipt["transactionHash"]).hex(), "blockNumber": receipt["blockNumber"]}
    method = f"did:pkh:{dids.blockchain_account_id(client.chain_id, signer.address)}#blockchainAccountId"
    chained = {"targetHash": target.hex(), "merkleRoot": tree.root_hex, "path": tree.proof(0), "anchor": anchor}
    signed["proof"].append(proofs.anchor_proof(chained, signature_id, method, "2026-01-01T00:00:00Z"))
    return signed
