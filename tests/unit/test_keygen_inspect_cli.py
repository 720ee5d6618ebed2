"""`credreg issuer keygen` and `credreg inspect`, without a chain: keys, DID documents, proofs decoded."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import pytest

from registry import credentials
from registry.credentials import proofs
from registry.identity import did as dids
from registry.identity import keys
from registry.merkle.tree import build_tree

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "credentials" / "intro-to-sql.json"
PASSWORD = "correct horse battery"
ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.fixture(autouse=True)
def _no_credreg_environment(monkeypatch):
    for name in [n for n in os.environ if n.startswith("CREDREG_")]:
        monkeypatch.delenv(name)
    # scrypt at its default N takes a second a keystore; the format is the same at a smaller one.
    monkeypatch.setattr(keys, "save", functools.partial(keys.save, iterations=2**10))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)


@pytest.fixture()
def env(tmp_path) -> dict[str, str]:
    return {"CREDREG_HOME": str(tmp_path / "home"), "CREDREG_KEYSTORE_PASSWORD": PASSWORD}


def _ok(result) -> dict:
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


def _seed_hex(path: str) -> str:
    return keys.load(Path(path), PASSWORD)._seed().hex()


# --- keygen ----------------------------------------------------------------------------------

def test_keygen_makes_a_did_key_and_an_encrypted_keystore_without_showing_the_secret(run_cli, env, tmp_path):
    code, text, err = run_cli("issuer", "keygen", env=env)
    assert code == 0, err
    made = _ok(run_cli("issuer", "keygen", "--json", env=env))
    public = made["publicKeyMultibase"]
    assert made["did"] == f"did:key:{public}"
    assert made["verificationMethod"] == f"did:key:{public}#{public}"
    assert made["keystore"] == str(tmp_path / "home" / "keys" / f"signing-{public[:16]}.json")
    assert keys.public_multibase(Path(made["keystore"])) == public
    first = text.splitlines()[2].split()[1]  # "keystore: PATH (encrypted)"
    assert Path(first).exists() and first != made["keystore"]
    for path, shown in ((first, text + err), (made["keystore"], json.dumps(made))):
        assert _seed_hex(path) not in shown and PASSWORD not in shown


def test_keygen_did_web_writes_the_did_document_and_a_second_key_keeps_the_first(run_cli, env, tmp_path):
    public = tmp_path / "home" / "public"
    one = _ok(run_cli("issuer", "keygen", "--did-web", "academy.example:issuers:sql", "--address", ADDRESS,
                      "--chain-id", "31337", "--json", env=env))
    where = public / "issuers" / "sql" / "did.json"
    assert one["didDocument"] == str(where)
    assert one["publishAt"] == "https://academy.example/issuers/sql/did.json"
    subject = "did:web:academy.example:issuers:sql"
    assert one["did"] == subject and one["verificationMethod"] == f"{subject}#{one['publicKeyMultibase']}"
    assert json.loads(where.read_text()) == dids.did_web_document(
        subject, [dids.KeyRecord(one["publicKeyMultibase"])], anchoring=(31337, ADDRESS))

    code, text, err = run_cli("issuer", "keygen", "--did-web", "academy.example:issuers:sql", env=env)
    assert code == 0, err
    assert f"publish it at:      {one['publishAt']}" in text
    document = json.loads(where.read_text())
    listed = [m.get("publicKeyMultibase") for m in document["verificationMethod"]]
    assert listed[0] == one["publicKeyMultibase"] and len(listed) == 3 and listed[2] is None
    assert document["assertionMethod"] == [f"{subject}#{k}" for k in listed[:2]]
    assert document["verificationMethod"][2]["blockchainAccountId"] == f"eip155:31337:{ADDRESS}"  # kept
    assert len(list((tmp_path / "home" / "keys").iterdir())) == 2


def test_keygen_keeps_a_revoked_key_revoked(run_cli, env, tmp_path):
    old = keys.SigningKey.generate().public_multibase
    from datetime import datetime, timezone

    revoked = dids.did_web_document("did:web:academy.example", [
        dids.KeyRecord(old, revoked=datetime(2026, 3, 1, tzinfo=timezone.utc))])
    dids.write_did_document(tmp_path / "home" / "public", revoked)
    made = _ok(run_cli("issuer", "keygen", "--did-web", "academy.example", "--json", env=env))
    document = json.loads((tmp_path / "home" / "public" / ".well-known" / "did.json").read_text())
    assert document["verificationMethod"][0]["revoked"] == "2026-03-01T00:00:00Z"
    assert document["assertionMethod"] == [made["verificationMethod"]]


def test_keygen_reads_the_anchoring_address_from_an_ethereum_keystore(run_cli, env, tmp_path):
    eth = tmp_path / "eth.json"
    eth.write_text(json.dumps({"address": ADDRESS[2:].lower(), "crypto": {}, "version": 3}))
    made = _ok(run_cli("issuer", "keygen", "--did-web", "academy.example", "--keystore", str(eth),
                       "--chain-id", "1", "--json", env=env))
    assert made["blockchainAccountId"] == f"eip155:1:{ADDRESS}"


@pytest.mark.parametrize("argv, message", [
    (("--address", ADDRESS), "needs both an address"),
    (("--did-web", "academy.example", "--chain-id", "1"), "needs both an address"),
    (("--address", ADDRESS, "--chain-id", "1"), "give --did-web too"),
    (("--did-web", "https://academy.example"), "no '/'"),
])
def test_keygen_refuses_bad_flags_before_making_a_key(run_cli, env, tmp_path, argv, message):
    code, out, err = run_cli("issuer", "keygen", *argv, env=env)
    assert (code, out) == (2, "") and message in err
    assert not (tmp_path / "home" / "keys").exists()


def test_keygen_without_a_password_off_a_terminal_exits_2(run_cli, tmp_path):
    code, out, err = run_cli("issuer", "keygen", env={"CREDREG_HOME": str(tmp_path / "home")})
    assert (code, out) == (2, "")
    assert err == ("credreg: error: no keystore password: set CREDREG_KEYSTORE_PASSWORD "
                   "(or run keygen in a terminal to be asked for one)\n")
    assert not (tmp_path / "home" / "keys").exists()


def test_keygen_never_overwrites_a_file(run_cli, env, tmp_path):
    target = tmp_path / "mine.json"
    target.write_text("precious")
    code, out, err = run_cli("issuer", "keygen", "--out", str(target), env=env)
    assert (code, out) == (2, "") and f"{target}: already exists" in err
    assert target.read_text() == "precious"
    made = _ok(run_cli("issuer", "keygen", "--out", str(tmp_path / "new.json"), "--json", env=env))
    assert made["keystore"] == str(tmp_path / "new.json")


def test_keygen_refuses_a_did_document_it_would_damage(run_cli, env, tmp_path):
    where = tmp_path / "home" / "public" / ".well-known" / "did.json"
    where.parent.mkdir(parents=True)
    for content, message in (("not json", "is not the DID document of did:web:academy.example"),
                             (json.dumps({"id": "did:web:academy.example", "verificationMethod": [
                                 {"id": "did:web:academy.example#x", "type": "JsonWebKey2020"}]}),
                              "is not one credreg writes")):
        where.write_text(content)
        code, out, err = run_cli("issuer", "keygen", "--did-web", "academy.example", env=env)
        assert code == 2 and message in err
        assert where.read_text() == content
    assert not (tmp_path / "home" / "keys").exists()


# --- inspect ---------------------------------------------------------------------------------

def _prepared(issuer: str = "did:web:academy.example") -> dict:
    return credentials.prepare(credentials.load_file(EXAMPLE), issuer, "Academy")


def _format_1(tmp_path: Path, doc: dict) -> tuple[Path, dict]:
    leaves = [credentials.target_hash(doc), b"\x01" * 32, b"\x02" * 32]
    tree = build_tree(leaves)
    proof = {"type": "CredregMerkleProof2026", "created": "2026-05-01T00:00:00Z",
             "targetHash": leaves[0].hex(), "merkleRoot": tree.root_hex, "path": tree.proof(0),
             "anchor": {"chainId": 31337, "registry": "0x" + "12" * 20, "transactionHash": "0x" + "34" * 32,
                        "blockNumber": 9}}
    path = tmp_path / "one.json"
    path.write_text(json.dumps({**doc, "proof": proof}))
    return path, proof


def test_inspect_decodes_a_format_1_proof(run_cli, tmp_path):
    doc = _prepared()
    path, proof = _format_1(tmp_path, doc)
    shown = _ok(run_cli("inspect", str(path), "--json"))
    assert shown["proofFormat"] == 1 and shown["credential"] == doc
    assert shown["issuer"] == {"id": "did:web:academy.example", "name": "Academy", "method": "did:web",
                               "didDocumentUrl": "https://academy.example/.well-known/did.json"}
    (described,) = shown["proofs"]
    assert described["targetHashMatches"] is True and described["pathReachesRoot"] is True
    assert described["path"] == {"length": 2, "sides": ["right", "right"]}
    assert described["anchor"] == proof["anchor"] and described["merkleRoot"] == proof["merkleRoot"]
    assert "leaf count anchored on chain" in described["leafPosition"]
    code, text, _ = run_cli("inspect", str(path))
    assert code == 0
    assert f"targetHash:         {proof['targetHash']} (matches the document)" in text
    assert "anchor:             chain 31337" in text and "reaches the root:   yes" in text
    assert "2 step(s); the sibling's side, from the leaf up: right, right" in text

    path.write_text(json.dumps({**doc, "name": "Edited", "proof": proof}))
    edited = _ok(run_cli("inspect", str(path), "--json"))["proofs"][0]
    assert edited["targetHashMatches"] is False and edited["pathReachesRoot"] is False
    assert "DOES NOT MATCH" in run_cli("inspect", str(path))[1]


def test_inspect_decodes_a_format_2_proof_chain_and_a_did_key(run_cli, tmp_path):
    public = keys.SigningKey.generate().public_multibase
    doc = _prepared(f"did:key:{public}")
    signature = {"id": "urn:uuid:5d0e0a0b-0000-4000-8000-000000000001", "type": "DataIntegrityProof",
                 "cryptosuite": "eddsa-rdfc-2022", "created": "2026-05-01T00:00:00Z",
                 "verificationMethod": f"did:key:{public}#{public}", "proofPurpose": "assertionMethod",
                 "proofValue": "z3FXQ"}
    signed = {**doc, "proof": [signature]}
    leaf = proofs.format_2_target_hash(signed)
    tree = build_tree([b"\x01" * 32, leaf])
    receipt = {"targetHash": leaf.hex(), "merkleRoot": tree.root_hex, "path": tree.proof(1),
               "anchor": {"chainId": 1, "registry": "0x" + "12" * 20, "transactionHash": "0x" + "34" * 32,
                          "blockNumber": 5}}
    anchor = {"type": "DataIntegrityProof", "cryptosuite": "credreg-merkle-2026", "created": "2026-05-02T00:00:00Z",
              "previousProof": signature["id"], "verificationMethod": f"did:pkh:eip155:1:{ADDRESS}#blockchainAccountId",
              "proofPurpose": "assertionMethod", "proofValue": proofs.encode_receipt(receipt)}
    path = tmp_path / "two.json"
    path.write_text(json.dumps({**doc, "proof": [signature, anchor]}))
    shown = _ok(run_cli("inspect", "--json", str(path)))
    assert shown["proofFormat"] == 2
    assert shown["issuer"]["publicKeyMultibase"] == public and shown["issuer"]["method"] == "did:key"
    first, second = shown["proofs"]
    assert first == {k: v for k, v in signature.items() if k != "proofValue"}
    assert second["previousProof"] == signature["id"] and second["cryptosuite"] == "credreg-merkle-2026"
    assert second["receipt"]["targetHashMatches"] is True and second["receipt"]["pathReachesRoot"] is True
    assert second["receipt"]["path"] == {"length": 1, "sides": ["left"]}
    assert second["receipt"]["anchor"] == receipt["anchor"]
    code, text, _ = run_cli("inspect", str(path))
    assert code == 0 and f"key:        {public}" in text and "previousProof:" in text

    anchor["proofValue"] = "u!!"
    path.write_text(json.dumps({**doc, "proof": [signature, anchor]}))
    code, out, err = run_cli("inspect", str(path))
    assert (code, out) == (2, "")
    assert err == f"credreg: error: {path}: proof[1]: proofValue is not base64url without padding\n"


def test_inspect_shows_a_credential_without_a_proof(run_cli, tmp_path):
    path = tmp_path / "queued.json"
    path.write_text(json.dumps(_prepared()))
    shown = _ok(run_cli("inspect", "--json", str(path)))
    assert (shown["proofFormat"], shown["proofs"]) == (None, [])
    assert "no proof: not anchored yet" in run_cli("inspect", str(path))[1]


@pytest.mark.parametrize("content", ["not json", "[1]", json.dumps({"name": "a badge"}),
                                     json.dumps({**json.loads(EXAMPLE.read_text()), "proof": "zzz"})])
def test_inspect_of_a_file_that_is_no_credential_exits_2_naming_it(run_cli, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run_cli("inspect", str(path))
    assert (code, out) == (2, "") and err.startswith(f"credreg: error: {path}")
    assert run_cli("inspect", str(tmp_path / "missing.json"))[0] == 2
