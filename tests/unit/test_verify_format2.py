"""The verifier on format-2 credentials (a signature chained to the Merkle anchor), over a chain
view in memory; and format 1 beside it, unchanged. See chain_fakes for how they are built."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain_fakes import (  # noqa: E402
    REGISTRY,
    FakeView,
    anchored_format_1,
    anchored_format_2,
    prepared,
    receipt_of,
    signature,
    with_receipt,
)

from registry.chain.view import ViewHealth  # noqa: E402
from registry.credentials import proofs  # noqa: E402
from registry.verification.checks import verify  # noqa: E402

ZERO = "00" * 32


def _failed(verdict) -> tuple[str, str | None, str]:
    last = verdict.checks[-1] if verdict.checks else None
    failed = last is not None and not last.passed
    return verdict.status, last.name if failed else None, last.detail if failed else ""


@pytest.fixture
def view() -> FakeView:
    return FakeView()


@pytest.fixture
def batch(view) -> list[dict[str, Any]]:
    """A format-2 batch of four: sql, web design, first aid, sql again."""
    docs = [prepared("intro-to-sql"), prepared("accessible-web-design"), prepared("workplace-first-aid"),
            prepared("intro-to-sql", name="SQL, second cohort")]
    return anchored_format_2(view, docs)


# ---------------------------------------------------------------------------- valid

def test_a_format_2_credential_is_valid_and_the_verdict_names_its_proofs(view, batch):
    for doc in batch:
        verdict = verify(doc, view)
        assert verdict.status == "valid", verdict
        assert [c.name for c in verdict.checks] == ["format", "integrity", "inclusion", "anchor", "issuer",
                                                    "revocation", "validity"]
        assert verdict.checks[0].detail == \
            "an Open Badges 3.0 credential with an eddsa-rdfc-2022 signature and a Merkle anchor"
        assert verdict.issuer == {"id": 1, "name": "Example Academy", "did": "did:web:academy.example"}
        assert verdict.anchor["root"] == receipt_of(doc)["merkleRoot"]


def test_the_verdict_names_every_proof_of_the_chain(view):
    doc = prepared()
    doc["proof"] = [signature(doc["id"]), {"id": "urn:uuid:x", "type": "Ed25519Signature2020"}, {"id": "urn:uuid:y"}]
    signed = {**doc, "proof": list(doc["proof"])}
    (anchored,) = _anchor_signed(view, [signed])
    assert verify(anchored, view).checks[0].detail == ("an Open Badges 3.0 credential with an eddsa-rdfc-2022 "
                                                        "signature, an Ed25519Signature2020 proof, a proof and "
                                                        "a Merkle anchor")


def _anchor_signed(view: FakeView, signed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Already signed credentials anchored as format 2 (the anchor chained to their first proof)."""
    from registry.merkle.tree import build_tree
    tree = build_tree([proofs.format_2_target_hash(d) for d in signed])
    view.anchor(tree, len(signed))
    template = anchored_format_2(FakeView(), [prepared()])[0]["proof"][-1]
    out = []
    for i, doc in enumerate(signed):
        receipt = {"targetHash": proofs.format_2_target_hash(doc).hex(), "merkleRoot": tree.root_hex,
                   "path": tree.proof(i), "anchor": receipt_of({"proof": [template]})["anchor"]}
        anchor = {**template, "previousProof": doc["proof"][0]["id"], "proofValue": proofs.encode_receipt(receipt)}
        out.append({**doc, "proof": [*doc["proof"], anchor]})
    return out


def test_the_anchor_may_sit_anywhere_in_the_list(view, batch):
    doc = copy.deepcopy(batch[0])
    doc["proof"].reverse()
    assert verify(doc, view).status == "valid"


def test_the_hash_is_computed_over_the_text_alike_whether_or_not_it_is_known_plain(view, batch):
    from registry import credentials
    parsed, plain = credentials.parse_json_with_plainness(json.dumps(batch[1]), "presented")
    assert plain and verify(parsed, view, plain=True) == verify(batch[1], view)


# ---------------------------------------------------------------------------- edits: invalid

def _sig(edit: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: edit(doc["proof"][0])


def _anchor(edit: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: edit(doc["proof"][1])


def _receipt(edit: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        receipt = receipt_of(doc)
        edit(receipt)
        doc["proof"][1]["proofValue"] = proofs.encode_receipt(receipt)
    return apply


def _swap_signature(doc: dict[str, Any]) -> None:
    other = signature("urn:uuid:another-credential")
    doc["proof"][0] = other
    doc["proof"][1]["previousProof"] = other["id"]


def _swap_signature_keeping_its_id(doc: dict[str, Any]) -> None:
    doc["proof"][0] = {**signature("urn:uuid:another-credential"), "id": doc["proof"][0]["id"]}


def _rehash_edited_body(doc: dict[str, Any]) -> None:
    """An edited body with the receipt's targetHash set to its new hash: the path no longer leads to the root."""
    doc["name"] = "Advanced SQL"
    _receipt(lambda r: r.update(targetHash=proofs.format_2_target_hash(doc).hex()))(doc)


def _second_anchor(doc: dict[str, Any]) -> None:
    doc["proof"].append(copy.deepcopy(doc["proof"][1]))


EDITS: dict[str, tuple[Callable[[dict[str, Any]], Any], str, str]] = {
    # the anchor commits to the body and to every proof but itself (invariants 1, 10)
    "body edited": (lambda d: d.update(name="Advanced SQL"), "integrity", "does not match the anchor's receipt"),
    "subject edited": (lambda d: d["credentialSubject"].update(id="did:example:mallory"), "integrity", "changed"),
    "signature value edited": (_sig(lambda s: s.update(proofValue="z" + "4" * 86)), "integrity", "changed"),
    "signature's key changed": (_sig(lambda s: s.update(verificationMethod="did:key:z6Mkattacker#k")),
                                "integrity", "changed"),
    "signature swapped": (_swap_signature, "integrity", "changed"),
    "signature swapped, same id": (_swap_signature_keeping_its_id, "integrity", "changed"),
    "proof added": (lambda d: d["proof"].append({"id": "urn:uuid:extra", "type": "DataIntegrityProof"}),
                    "integrity", "changed"),
    "body edited, receipt rehashed": (_rehash_edited_body, "inclusion", "does not lead"),
    "receipt's hash edited": (_receipt(lambda r: r.update(targetHash=ZERO)), "integrity", "changed"),
    # the chain's shape
    "signature removed": (lambda d: d["proof"].pop(0), "format", "proof[0].previousProof: names no other proof"),
    "anchor removed": (lambda d: d["proof"].pop(1), "format",
                       "proof: none of its 1 proofs is a credreg-merkle-2026 anchor"),
    "no proofs": (lambda d: d.update(proof=[]), "format", "none of its 0 proofs"),
    "second anchor": (_second_anchor, "format", "proof: 2 credreg-merkle-2026 anchors (proof[1], proof[2])"),
    "previousProof names nothing": (_anchor(lambda a: a.update(previousProof="urn:uuid:nothing")), "format",
                                    "proof[1].previousProof: names no other proof in the list"),
    "previousProof names the anchor": (_anchor(lambda a: a.update(id="urn:uuid:a", previousProof="urn:uuid:a")),
                                       "format", "proof[1].previousProof: names no other proof"),
    "previousProof not a string": (_anchor(lambda a: a.update(previousProof=["urn:uuid:x"])), "format",
                                   "proof[1].previousProof"),
    "previousProof missing": (_anchor(lambda a: a.pop("previousProof")), "format", "proof[1].previousProof: missing"),
    "created missing": (_anchor(lambda a: a.pop("created")), "format", "proof[1].created: missing"),
    "anchor type changed": (_anchor(lambda a: a.update(type="CredregMerkleProof2026")), "format",
                            "proof[1].type: not DataIntegrityProof"),
    "a proof not an object": (lambda d: d["proof"].insert(0, "z123"), "format", "proof[0]: not an object"),
    "verificationMethod not did:pkh": (_anchor(lambda a: a.update(verificationMethod="did:web:academy.example#k")),
                                       "format", "proof[1].verificationMethod: not did:pkh:eip155"),
    "verificationMethod on another chain": (
        _anchor(lambda a: a.update(verificationMethod=a["verificationMethod"].replace(":31337:", ":1:"))),
        "format", "proof[1].verificationMethod: names chain 1, but the receipt names chain 31337"),
    "proofValue not multibase": (_anchor(lambda a: a.update(proofValue="z" + a["proofValue"][1:])), "format",
                                 "proof[1]: proofValue must start with 'u'"),
    "proofValue missing": (_anchor(lambda a: a.pop("proofValue")), "format", "proof[1].proofValue: missing"),
    "receipt without path": (_receipt(lambda r: r.pop("path")), "format", "proof[1]: the receipt in proofValue has no path"),
    "receipt root not hex": (_receipt(lambda r: r.update(merkleRoot="xy" * 32)), "format",
                             "proof[1].proofValue.merkleRoot: not 32 bytes of hex"),
    "receipt path step malformed": (_receipt(lambda r: r.update(path=[{"up": ZERO}])), "format",
                                    "proof[1].proofValue.path: "),
    "receipt chainId a string": (_receipt(lambda r: r["anchor"].update(chainId="31337")), "format",
                                 "proof[1].proofValue.anchor.chainId: missing or not an integer"),
    "receipt chainId changed": (_receipt(lambda r: r["anchor"].update(chainId=1)), "format",
                                "proof[1].verificationMethod: names chain 31337, but the receipt names chain 1"),
    "receipt registry changed": (_receipt(lambda r: r["anchor"].update(registry="0x" + "66" * 20)), "anchor",
                                 "this verifier trusts only"),
    "credential body malformed": (lambda d: d.pop("credentialSubject"), "format", "credentialSubject"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edited_format_2_credential_is_invalid_naming_the_check(view, batch, edit):
    change, check, detail = EDITS[edit]
    doc = copy.deepcopy(batch[0])
    change(doc)
    status, failed, said = _failed(verify(doc, view))
    assert (status, failed) == ("invalid", check), said
    assert detail in said


# ---------------------------------------------------------------------------- trust, revocation, validity

def test_a_receipt_naming_another_chain_or_registry_is_invalid(view):
    other_chain = anchored_format_2(view, [prepared()], chain_id=1)[0]
    assert _failed(verify(other_chain, view))[:2] == ("invalid", "anchor")
    other_registry = anchored_format_2(view, [prepared()], registry="0x" + "66" * 20)[0]
    status, check, detail = _failed(verify(other_registry, view))
    assert (status, check) == ("invalid", "anchor") and f"trusts only {REGISTRY} on chain 31337" in detail


def test_a_root_the_registry_does_not_hold_is_invalid(batch):
    assert _failed(verify(batch[0], FakeView()))[:2] == ("invalid", "anchor")


def _revoke(view: FakeView, doc: dict[str, Any], leaf: int) -> None:
    view.revoked.add((receipt_of(doc)["merkleRoot"], leaf))


def _path(edit: Callable[[list[Any]], list[Any]]) -> Callable[[dict[str, Any]], None]:
    return lambda r: r.update(path=edit(r["path"]))


def _swap(step: dict[str, str]) -> dict[str, str]:
    ((side, value),) = step.items()
    return {"right" if side == "left" else "left": value}


RECEIPT_EDITS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "leafIndex added": lambda r: r.update(leafIndex=0),
    "leafIndex added to the anchor": lambda r: r["anchor"].update(leafIndex=0, leafCount=1),
    "path reversed": _path(lambda p: p[::-1]),
    "sides swapped": _path(lambda p: [_swap(s) for s in p]),
    "first side swapped": _path(lambda p: [_swap(p[0]), *p[1:]]),
    "path shortened": _path(lambda p: p[:-1]),
    "path padded": _path(lambda p: [{"right": ZERO}, *p]),
    "no path, the hash as root": lambda r: r.update(path=[], merkleRoot=r["targetHash"]),
    "root in upper case": lambda r: r.update(merkleRoot=r["merkleRoot"].upper()),
    "root 0x-prefixed": lambda r: r.update(merkleRoot="0x" + r["merkleRoot"]),
    "another block and transaction": lambda r: r["anchor"].update(blockNumber=1, transactionHash="0x" + "cd" * 32),
}


@pytest.mark.parametrize("leaf", [1, 3])  # 3: the last leaf of its batch
@pytest.mark.parametrize("edit", RECEIPT_EDITS)
def test_a_revoked_format_2_credential_stays_revoked_whatever_its_receipt_says(view, batch, leaf, edit):
    _revoke(view, batch[leaf], leaf)
    assert _failed(verify(batch[leaf], view))[:2] == ("revoked", "revocation")
    receipt = receipt_of(batch[leaf])
    RECEIPT_EDITS[edit](receipt)
    verdict = verify(with_receipt(batch[leaf], receipt), view)
    assert verdict.status in ("revoked", "invalid"), verdict
    assert verify(batch[leaf - 1], view).status == "valid"  # the revocation is of that leaf only


def test_a_format_2_credential_under_a_revoked_root_is_revoked(view, batch):
    root = receipt_of(batch[0])["merkleRoot"]
    view.roots[root] = view.roots[root].__class__(**{**view.roots[root].__dict__, "revoked_at": 1_767_300_000})
    status, check, detail = _failed(verify(batch[2], view))
    assert (status, check) == ("revoked", "revocation") and "whole batch was revoked" in detail


def test_validity_and_freshness_are_checked_as_for_format_1(view):
    expired, future = anchored_format_2(view, [
        prepared(validFrom="2020-01-01T00:00:00Z", validUntil="2021-01-01T00:00:00Z"),
        prepared(validFrom="2999-01-01T00:00:00Z")])
    assert _failed(verify(expired, view))[:2] == ("expired", "validity")
    assert _failed(verify(future, view))[:2] == ("invalid", "validity")
    assert verify(expired, view, now=datetime(2020, 6, 1, tzinfo=UTC)).status == "valid"

    class Stale(FakeView):
        def health(self) -> ViewHealth:
            return ViewHealth(False, "the index lags")

    stale = Stale()
    (doc,) = anchored_format_2(stale, [prepared()])
    assert _failed(verify(doc, stale))[:2] == ("unverifiable", "anchor")
    assert verify(doc, stale_free := FakeView(), confirmations=1).status == "invalid"  # root unknown there
    stale_free.roots.update(stale.roots)
    assert _failed(verify(doc, stale_free, confirmations=100))[:2] == ("unverifiable", "anchor")


# ---------------------------------------------------------------------------- format 1, unchanged

def test_format_1_reads_as_before(view):
    docs = anchored_format_1(view, [prepared(), prepared("accessible-web-design")])
    verdict = verify(docs[0], view)
    assert verdict.status == "valid"
    assert verdict.checks[0].detail == "an Open Badges 3.0 credential with a Merkle proof"
    edited = copy.deepcopy(docs[1])
    edited["name"] = "Advanced web design"
    assert _failed(verify(edited, view)) == (
        "invalid", "integrity", "the document was changed after it was issued: its hash does not match the proof")
    missing = copy.deepcopy(docs[0])
    del missing["proof"]["created"]
    assert _failed(verify(missing, view)) == ("invalid", "format", "proof.created: missing")
    bad = copy.deepcopy(docs[0])
    bad["proof"]["path"] = [{"up": ZERO}]
    assert _failed(verify(bad, view))[:2] == ("invalid", "format")
    assert _failed(verify(bad, view))[2].startswith("proof.path: ")
    assert _failed(verify({**docs[0], "proof": "z"}, view)) == ("invalid", "format",
                                                                 "proof: must be an object, got a string")


def test_a_format_1_proof_dressed_as_a_list_is_not_format_2(view):
    (doc,) = anchored_format_1(view, [prepared()])
    status, check, _ = _failed(verify({**doc, "proof": [doc["proof"]]}, view))
    assert (status, check) == ("invalid", "format")


# ---------------------------------------------------------------------------- the service

def test_the_service_answers_valid_for_a_format_2_credential(view, batch, tmp_path):
    from fastapi.testclient import TestClient

    from registry.service.app import Settings, create_app

    app = create_app(Settings(registry=REGISTRY, home=tmp_path), view=view)
    with TestClient(app) as client:
        response = client.post("/v1/verify", json=batch[0])
        assert response.status_code == 200 and response.json()["status"] == "valid", response.json()
        assert response.json()["checks"][0]["detail"].endswith("an eddsa-rdfc-2022 signature and a Merkle anchor")
        edited = {**batch[0], "name": "Advanced SQL"}
        assert client.post("/v1/verify", json=edited).json()["status"] == "invalid"
