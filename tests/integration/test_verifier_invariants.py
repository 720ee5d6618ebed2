"""Attacks on the verifier's invariants (ARCHITECTURE.md 1-6), each of which must fail.

Every presented document goes to both verifiers where it makes sense: the HTTP service (its
event index, `POST /v1/verify`) and `credreg verify FILE` (which reads the chain directly). They
are different code over the same rules, so an attack has to fail against both. The credentials
are real files written by `credreg anchor` on a real anvil node (see verifier_helpers).
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from verifier_helpers import (  # noqa: E402, F401 (service, world: fixtures)
    ACADEMY,
    anchor_by_hand,
    build_world,
    cli_verify,
    edit_receipt,
    failed_check,
    forged_target,
    mine,
    prepared,
    receipt,
    root_of,
    running_service,
    service,
    setter,
    synced,
    verify_http,
    wait_until,
)

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import Anvil, dev_account, rpc  # noqa: E402

CHECK_ORDER = ["format", "integrity", "inclusion", "anchor", "issuer", "revocation", "validity"]
# A credential with a status-list entry (credreg issue sets one) has its status check before validity.
WITH_STATUS = [*CHECK_ORDER[:6], "status", "validity"]
ZERO = "00" * 32


@pytest.fixture(scope="module", params=[2, 1], ids=["format-2", "format-1"])
def world(anvil, tmp_path_factory, request):
    """Every invariant holds for credentials of both proof formats: format 2, what credreg
    writes, and format 1, which holders keep for years (the same answers for both)."""
    return build_world(anvil.url, tmp_path_factory.mktemp(f"world-{request.param}") / "home", fmt=request.param)


@pytest.fixture(params=["service", "cli"])
def verdict_of(request, world, service, tmp_path) -> Callable[[Any], dict[str, Any]]:
    """The verdict on a presented document, from the HTTP service or from `credreg verify`.

    Either way the answer must be a verdict: HTTP 200 (the chain is up), or the CLI exit code
    that matches the verdict's status.
    """
    if request.param == "service":
        def check(doc: Any) -> dict[str, Any]:
            code, verdict = verify_http(service, doc)
            assert code == 200, f"POST /v1/verify answered {code}, not 200 with a verdict"
            return verdict
    else:
        def check(doc: Any) -> dict[str, Any]:
            code, verdict = cli_verify(world, doc, tmp_path)
            assert verdict is not None, f"credreg verify exited {code} without a verdict"
            assert code == {"valid": 0, "unverifiable": 3}.get(verdict["status"], 1)
            return verdict
    return check


def edited(doc: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    edit(out)
    return out


# ---------------------------------------------------------------------------- the baseline

@pytest.mark.parametrize("label", ["sql", "web", "first-aid"])
def test_issued_credential_is_valid_with_its_issuer_and_anchor(verdict_of, world, label):
    doc = world.doc(label)
    verdict = verdict_of(doc)
    assert verdict["status"] == "valid"
    assert [c["name"] for c in verdict["checks"]] == (WITH_STATUS if "credentialStatus" in doc else CHECK_ORDER)
    assert all(c["passed"] for c in verdict["checks"])
    assert verdict["issuer"] == {"id": world.academy.id, "name": ACADEMY[0], "did": ACADEMY[1]}
    anchor = receipt(doc)["anchor"]
    assert verdict["anchor"]["chainId"] == world.chain_id
    assert verdict["anchor"]["registry"] == world.registry.address
    assert verdict["anchor"]["root"] == root_of(doc)
    assert verdict["anchor"]["transactionHash"] == anchor["transactionHash"]
    assert verdict["anchor"]["blockNumber"] == anchor["blockNumber"]


# ---------------------------------------------------------------------------- invariant 1: our own hash

TAMPERINGS = {
    "achievement name": setter(("credentialSubject", "achievement", "name"), "Advanced SQL for Data Science"),
    "validUntil added": setter(("validUntil",), "2099-01-01T00:00:00Z"),
    "validFrom moved": setter(("validFrom",), "2024-05-16T14:30:00Z"),
    "holder's name": setter(("credentialSubject", "identifier", 1, "identityHash"), "Someone Else"),
    "holder's email": setter(("credentialSubject", "identifier", 0, "identityHash"), "sha256$" + "a" * 64),
    "issuer name": setter(("issuer", "name"), "Example University"),
    "credential id": setter(("id",), "urn:uuid:00000000-0000-4000-8000-000000000001"),
    "credential name": setter(("name",), "Introduction to SQL for Reporting "),
    "field added": setter(("awardedDegree",), "Doctor of Philosophy"),
    "field removed": lambda doc: doc["credentialSubject"]["achievement"].pop("humanCode"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_tampered_field_fails_the_integrity_check(verdict_of, world, tampering):
    verdict = verdict_of(edited(world.doc("sql"), TAMPERINGS[tampering]))
    assert verdict["status"] == "invalid"
    assert failed_check(verdict) == "integrity"


def test_supplied_target_hash_of_the_edited_document_fails_inclusion(verdict_of, world):
    doc = world.doc("sql")
    doc["credentialSubject"]["achievement"]["name"] = "Advanced SQL for Data Science"
    edit_receipt(doc, lambda r: r.update(targetHash=forged_target(doc)))  # what a forger would write
    verdict = verdict_of(doc)
    assert verdict["status"] == "invalid"
    assert failed_check(verdict) == "inclusion"
    assert [c["name"] for c in verdict["checks"] if c["passed"]] == ["format", "integrity"]


def test_proof_copied_from_another_credential_is_invalid(verdict_of, world):
    doc = world.doc("sql")
    doc["proof"] = world.doc("web")["proof"]
    verdict = verdict_of(doc)
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "integrity")
    edit_receipt(doc, lambda r: r.update(targetHash=forged_target(doc)))
    verdict = verdict_of(doc)
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "inclusion")


def _swap(step: dict[str, str]) -> dict[str, str]:
    ((side, value),) = step.items()
    return {"right" if side == "left" else "left": value}


def _one(edit: Callable[[dict[str, str]], Any]) -> Callable[[list], list]:
    return lambda path: [edit(path[0]), *path[1:]]


PATH_EDITS: dict[str, Callable[[list], Any]] = {
    "reversed": lambda p: p[::-1],
    "first two swapped": lambda p: [p[1], p[0], *p[2:]],
    "last step dropped": lambda p: p[:-1],
    "first step dropped": lambda p: p[1:],
    "empty": lambda p: [],
    "first side swapped": _one(_swap),
    "every side swapped": lambda p: [_swap(s) for s in p],
    "extra step appended": lambda p: [*p, {"right": ZERO}],
    "extra step prepended": lambda p: [{"left": ZERO}, *p],
    "step repeated": lambda p: [p[0], *p],
    "non-hex step": _one(lambda s: {k: "zz" * 32 for k in s}),
    "half-length step": _one(lambda s: {k: v[:32] for k, v in s.items()}),
    "upper-case hex step": _one(lambda s: {k: v.upper() for k, v in s.items()}),
    "0x-prefixed step": _one(lambda s: {k: "0x" + v for k, v in s.items()}),
    "step naming both sides": _one(lambda s: dict.fromkeys(("left", "right"), next(iter(s.values())))),
    "step with an unknown side": _one(lambda s: {"up": next(iter(s.values()))}),
    "step as a string": _one(lambda s: json.dumps(s)),
    "step as a list": _one(lambda s: list(s.items())[0]),
    "64 steps": lambda p: [*p, *[{"right": ZERO}] * (64 - len(p))],
    "65 steps": lambda p: [*p, *[{"right": ZERO}] * (65 - len(p))],
}


@pytest.mark.parametrize("path_edit", PATH_EDITS)
def test_edited_path_is_invalid_never_valid(verdict_of, world, path_edit):
    doc = world.doc("sql")
    edit_receipt(doc, lambda r: r.update(path=PATH_EDITS[path_edit](r["path"])))
    verdict = verdict_of(doc)
    assert verdict["status"] == "invalid"
    assert failed_check(verdict) in ("format", "inclusion", "revocation")


# ---------------------------------------------------------------------------- invariant 2: only our registry

@pytest.fixture(scope="module")
def forgery(world) -> tuple[RegistryClient, dict[str, Any]]:
    """An attacker's own registry on the same chain, with an issuer of the same name and DID as A,
    anchoring a credential that names A: valid in every way, except for the registry."""
    attacker = dev_account(4)
    fake, _ = RegistryClient.deploy(connect(world.url), attacker)
    fake.register_issuer(*ACADEMY, attacker.address, attacker)
    docs, _ = anchor_by_hand(fake, attacker, [prepared(ACADEMY, name="Master of Surgery")], fmt=world.format)
    return fake, docs[0]


def test_the_forgery_is_valid_against_the_attackers_own_registry(world, forgery, tmp_path):
    # The control: only the registry the verifier trusts tells the forgery apart.
    fake, doc = forgery
    code, verdict = cli_verify(world, doc, tmp_path, "--registry", fake.address)
    assert code == 0 and verdict["status"] == "valid" and verdict["issuer"]["did"] == ACADEMY[1]


def test_credential_anchored_in_another_registry_is_invalid(verdict_of, world, forgery):
    fake, doc = forgery
    verdict = verdict_of(doc)
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "anchor")
    assert world.registry.address in verdict["checks"][-1]["detail"]


def test_forged_proof_naming_the_trusted_registry_is_invalid(verdict_of, world, forgery):
    _, doc = forgery
    doc = copy.deepcopy(doc)
    edit_receipt(doc, lambda r: r["anchor"].update(registry=world.registry.address))
    verdict = verdict_of(doc)
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "anchor")
    assert "not anchored" in verdict["checks"][-1]["detail"]


@pytest.mark.parametrize("chain_id", [1, 11155111, 31338, -31337, 0])
def test_proof_naming_another_chain_is_invalid(verdict_of, world, chain_id):
    doc = world.doc("sql")
    edit_receipt(doc, lambda r: r["anchor"].update(chainId=chain_id))
    verdict = verdict_of(doc)
    # Format 2's anchor proof names the chain twice (its did:pkh key and the receipt): a receipt
    # that contradicts its key is malformed before the chain is asked.
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "anchor" if world.format == 1 else "format")


# ---------------------------------------------------------------------------- invariant 3: issuer, depth

def test_root_anchored_by_another_issuer_is_invalid(verdict_of, world):
    verdict = verdict_of(world.doc("cross-issuer"))
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "issuer")
    assert [c["name"] for c in verdict["checks"] if c["passed"]] == CHECK_ORDER[:4]
    assert verdict["issuer"]["did"] == world.college.did  # who really anchored it


def test_credential_of_a_suspended_issuer_is_not_valid(world, service, tmp_path):
    owner, key = world.owner, dev_account(3)
    suspended = ("Suspended Institute", "did:web:suspended.example")
    issuer_id, _ = world.registry.register_issuer(*suspended, key.address, owner)
    (doc,), _ = anchor_by_hand(world.registry, key, [prepared(suspended)], fmt=world.format)
    synced(service, world)
    assert verify_http(service, doc)[1]["status"] == "valid"
    world.registry.transact("setIssuerSuspended", [issuer_id, True], owner)
    synced(service, world)
    code, verdict = verify_http(service, doc)
    assert (code, verdict["status"], failed_check(verdict)) == (200, "invalid", "issuer")
    code, verdict = cli_verify(world, doc, tmp_path)
    assert (code, verdict["status"], failed_check(verdict)) == (1, "invalid", "issuer")


def test_fresh_anchor_is_unverifiable_until_confirmations_deep(world, tmp_path):
    with running_service(world, tmp_path / "deep", confirmations=3) as client:
        doc = world.anchor_fresh("Fresh")
        for depth in (1, 2):
            synced(client, world)
            code, verdict = verify_http(client, doc)
            assert (code, verdict["status"], failed_check(verdict)) == (200, "unverifiable", "anchor")
            assert f"anchored {depth} block(s) deep; 3 needed" in verdict["checks"][-1]["detail"]
            code, verdict = cli_verify(world, doc, tmp_path, "--confirmations", "3")
            assert (code, verdict["status"]) == (3, "unverifiable")
            mine(world.url, 1)
        synced(client, world)
        code, verdict = verify_http(client, doc)
        assert (code, verdict["status"]) == (200, "valid")
        assert cli_verify(world, doc, tmp_path, "--confirmations", "3")[0] == 0


def test_anchor_reorganised_away_stops_counting_and_deeper_history_survives(world, service, tmp_path):
    kept = world.anchor_fresh("Before the fork")
    fork = rpc(world.url, "evm_snapshot")
    lost = world.anchor_fresh("On the lost branch")
    synced(service, world)
    assert [verify_http(service, d)[1]["status"] for d in (kept, lost)] == ["valid", "valid"]

    assert rpc(world.url, "evm_revert", [fork]) is True
    mine(world.url, 3)  # the new branch: empty blocks, longer than the lost one
    synced(service, world)

    code, verdict = verify_http(service, lost)
    assert (code, verdict["status"], failed_check(verdict)) == (200, "invalid", "anchor")
    assert "not anchored" in verdict["checks"][-1]["detail"]
    assert service.get(f"/v1/roots/{root_of(lost)}").status_code == 404
    assert cli_verify(world, lost, tmp_path)[0] == 1
    # What came before the fork still counts: the recent root, the deep ones, their revocations.
    assert verify_http(service, kept)[1]["status"] == "valid"
    assert verify_http(service, world.doc("sql"))[1]["status"] == "valid"
    assert verify_http(service, world.doc("revoked"))[1]["status"] == "revoked"
    assert verify_http(service, world.doc("batch2-b"))[1]["status"] == "revoked"


# ---------------------------------------------------------------------------- invariant 5: revocation

@pytest.mark.parametrize("label", ["revoked", "revoked-last"])
def test_revoked_leaf_is_revoked(verdict_of, world, label):
    verdict = verdict_of(world.doc(label))
    assert (verdict["status"], failed_check(verdict)) == ("revoked", "revocation")


@pytest.mark.parametrize("label", ["batch2-a", "batch2-b"])
def test_credential_under_a_revoked_root_is_revoked(verdict_of, world, label):
    verdict = verdict_of(world.doc(label))
    assert (verdict["status"], failed_check(verdict)) == ("revoked", "revocation")
    assert "whole batch was revoked" in verdict["checks"][-1]["detail"]


def _proof_edit(edit: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: edit_receipt(doc, edit)


def _path_edit(edit: Callable[[list], list]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: edit_receipt(doc, lambda r: r.__setitem__("path", edit(r["path"])))


def _one_leaf_batch(doc: dict[str, Any]) -> None:
    edit_receipt(doc, lambda r: r.update(path=[], merkleRoot=r["targetHash"]))


def _proof_type_changed(doc: dict[str, Any]) -> None:
    # Format 1 names its proof by type; format 2's anchor is named by its cryptosuite.
    if isinstance(doc["proof"], dict):
        doc["proof"]["type"] = "MerkleProof2019"
    else:
        for proof in doc["proof"]:
            if proof.get("cryptosuite") == "credreg-merkle-2026":
                proof["cryptosuite"] = "merkle-2019"


REVOKED_PROOF_EDITS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "leafIndex 0 added": _proof_edit(lambda p: p.update(leafIndex=0)),
    "leafIndex added to the anchor": _proof_edit(lambda p: p["anchor"].update(leafIndex=0)),
    "index, position and leafCount added": _proof_edit(lambda p: p.update(index=1, position=1, leafCount=1)),
    "path reversed": _path_edit(lambda p: p[::-1]),
    "sides swapped": _path_edit(lambda p: [_swap(s) for s in p]),
    "first side swapped": _path_edit(_one(_swap)),
    "path shortened": _path_edit(lambda p: p[:-1]),
    "path padded": _path_edit(lambda p: [{"right": ZERO}, *p]),
    "root in upper case": _proof_edit(lambda p: p.update(merkleRoot=p["merkleRoot"].upper())),
    "root 0x-prefixed": _proof_edit(lambda p: p.update(merkleRoot="0x" + p["merkleRoot"])),
    "targetHash in upper case": _proof_edit(lambda p: p.update(targetHash=p["targetHash"].upper())),
    "claims a one-leaf batch": _one_leaf_batch,
    "another block number": _proof_edit(lambda p: p["anchor"].update(blockNumber=1)),
    "another transaction": _proof_edit(lambda p: p["anchor"].update(transactionHash="0x" + "ab" * 32)),
    "no transaction": _proof_edit(lambda p: p["anchor"].pop("transactionHash")),
    "registry in lower case": _proof_edit(
        lambda p: p["anchor"].update(registry=p["anchor"]["registry"].lower())),
    "proof type changed": _proof_type_changed,
}


@pytest.mark.parametrize("label", ["revoked", "revoked-last", "batch2-b"])
@pytest.mark.parametrize("proof_edit", REVOKED_PROOF_EDITS)
def test_revoked_credential_with_edited_proof_is_never_valid(verdict_of, world, label, proof_edit):
    verdict = verdict_of(edited(world.doc(label), REVOKED_PROOF_EDITS[proof_edit]))
    assert verdict["status"] in ("revoked", "invalid")


def test_revoked_credential_with_another_batchs_transaction_is_still_revoked(verdict_of, world):
    # `credreg verify` looks the root up through the transaction the proof names: naming another
    # batch's transaction must not hide the revocation.
    doc = world.doc("revoked")
    other = receipt(world.docs["cross-issuer"])["anchor"]
    edit_receipt(doc, lambda r: r["anchor"].update(transactionHash=other["transactionHash"]))
    verdict = verdict_of(doc)
    assert (verdict["status"], failed_check(verdict)) == ("revoked", "revocation")


# ---------------------------------------------------------------------------- the validity period

def test_expired_credential_is_expired(verdict_of, world):
    verdict = verdict_of(world.doc("expired"))
    assert (verdict["status"], failed_check(verdict)) == ("expired", "validity")


def test_credential_not_yet_valid_is_invalid(verdict_of, world):
    verdict = verdict_of(world.doc("future"))
    assert (verdict["status"], failed_check(verdict)) == ("invalid", "validity")


# ---------------------------------------------------------------------------- the presented bytes

def test_document_with_a_duplicate_key_is_not_valid(world, service, tmp_path):
    # Parsers disagree on which duplicate wins (a first-wins reader sees "Doctor of Medicine"), so
    # the hash must not vouch for such a document: `credreg verify` refuses it (exit 2), and the
    # service must not answer `valid` either.
    text = json.dumps(world.doc("sql"))
    forged = '{"name": "Doctor of Medicine", ' + text[1:]
    assert cli_verify(world, None, tmp_path, raw=forged)[0] == 2
    response = service.post("/v1/verify", content=forged, headers={"content-type": "application/json"})
    assert response.status_code == 422 or response.json()["status"] == "invalid"


@pytest.mark.parametrize("route", ["/v1/verify", "/v1/verify/batch"])
def test_deeply_nested_document_gets_an_answer_not_a_server_error(world, service, route):
    # Any nesting depth the parser accepts must be verified (invalid: the hash cannot match) or
    # refused as not JSON (422); it must never crash the verifier.
    doc = world.doc("sql")
    text = json.dumps(doc)
    codes = set()
    for depth in range(880, 1000):
        body = text[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
        if route.endswith("batch"):
            body = f"[{body}]"
        response = service.post(route, content=body, headers={"content-type": "application/json"})
        codes.add(response.status_code)
        if response.status_code == 200:
            verdicts = response.json() if route.endswith("batch") else [response.json()]
            assert [v["status"] for v in verdicts] == ["invalid"]
    assert codes <= {200, 422}, f"depths 880-999 gave {sorted(codes)}"


# ---------------------------------------------------------------------------- invariant 6: fail closed

def test_stopped_node_makes_verdicts_unverifiable_never_valid(tmp_path):
    with Anvil() as node:
        small = build_world(node.url, tmp_path / "home", full=False)  # format 2
        doc = small.doc("sql")
        with running_service(small, tmp_path / "service", max_staleness_seconds=2) as client:
            synced(client, small)
            code, verdict = verify_http(client, doc)
            assert (code, verdict["status"]) == (200, "valid")
            assert client.get("/healthz").status_code == 200

            node.stop()
            stopped = time.monotonic()
            wait_until(lambda: verify_http(client, doc)[0] == 503, timeout=10, what="a 503")
            assert time.monotonic() - stopped > 1.5  # not before the 2 s staleness bound (polls every 0.2 s)
            for _ in range(5):  # and from then on, never valid
                code, verdict = verify_http(client, doc)
                assert (code, verdict["status"], failed_check(verdict)) == (503, "unverifiable", "anchor")
                time.sleep(0.1)
            health = client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["ok"] is False and "no answer from the node" in health.json()["reason"]
            batch = client.post("/v1/verify/batch", json=[doc, doc])
            assert batch.status_code == 200 and [v["status"] for v in batch.json()] == ["unverifiable"] * 2

        code, verdict = cli_verify(small, doc, tmp_path)
        assert code == 3 and verdict is None
