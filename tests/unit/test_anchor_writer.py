"""The anchoring job's file writer on a real SQLite store: each leaf's file carries that leaf's
path, in one process or several, and a store missing a leaf is reported rather than skipped.
The whole job, on a chain and under SIGKILL, is in tests/integration."""

import json

import pytest
from sqlalchemy import text

from registry.anchoring import writer
from registry.errors import CredregError
from registry.merkle.paths import verify_path
from registry.merkle.tree import build_tree
from registry.store import NewCredential, Store

_HEAD = '{"type":"MerkleProof2019","merkleRoot":"%s",'


def _batch(tmp_path, count):
    store = Store.open(tmp_path / "home")
    store.enqueue([NewCredential(f"urn:uuid:00000000-0000-4000-8000-{i:012d}", f"{i + 1:064x}", "did:web:a",
                                 '{"n":%d}' % i, f"f{i}.json") for i in range(count)])
    rows = store.queued_hashes("did:web:a", count)
    tree = build_tree([bytes.fromhex(h) for _, h in rows])
    batch = store.create_batch([r for r, _ in rows], tree.root_hex, issuer_did="did:web:a",
                               signer="0x" + "1" * 40, chain_id=1, registry="0x" + "2" * 40,
                               out_dir=str(tmp_path / "out"))
    spec = writer.WriteSpec(store.engine.url.render_as_string(hide_password=False), batch.id,
                                str(tmp_path / "out"), _HEAD % tree.root_hex)
    (tmp_path / "out").mkdir()
    return store, tree, spec


@pytest.mark.parametrize("count, workers", [(1, 1), (1500, 1), (1500, 2)])
def test_each_file_holds_its_own_leafs_path(tmp_path, count, workers):
    store, tree, spec = _batch(tmp_path, count)
    writer.write_parallel(spec, tree, count, workers, lambda message: None)
    for leaf, cid, target, *_ in store.batch_documents(spec.batch_id):
        doc = json.loads((tmp_path / "out" / writer.credential_file_name(cid)).read_text())
        assert doc["n"] == leaf and doc["proof"]["targetHash"] == target
        assert doc["proof"]["path"] == tree.proof(leaf)
        assert verify_path(target, doc["proof"]["path"], tree.root)
    assert len(list((tmp_path / "out").iterdir())) == count


def test_a_leaf_missing_from_the_store_is_named_not_skipped(tmp_path):
    store, tree, spec = _batch(tmp_path, 5)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM credentials WHERE leaf_index = 2"))
    with pytest.raises(CredregError, match="no credential at leaf 2"):
        writer.write_range(spec, tree, 0, 5, None)
    # The leaves before it were written whole; none after it was written under a wrong path.
    written = {json.loads(p.read_text())["n"] for p in (tmp_path / "out").iterdir()}
    assert written == {0, 1}


def test_a_signed_credential_gets_the_chained_anchor_proof_that_proofs_describes(tmp_path):
    """Format 2: the writer's fast text is exactly ``proofs.anchor_proof`` in RFC 8785 form, it
    joins the signature in the proof list, and the anchor commits to the signed credential."""
    import rfc8785

    from registry import credentials
    from registry.credentials import proofs, securing
    from registry.identity import did
    from registry.identity.keys import SigningKey

    key = SigningKey.generate()
    issuer = did.did_key(key.public_multibase)
    method = did.did_key_verification_method(key.public_multibase)
    example = credentials.load_file(writer.__file__.rsplit("/registry/", 1)[0] + "/examples/credentials/intro-to-sql.json")
    signed = [securing.secure(credentials.prepare({**example, "name": f"SQL {i}"}, issuer, "Academy"), key, method,
                              "2026-01-01T00:00:00Z") for i in range(3)]
    store = Store.open(tmp_path / "home")
    store.enqueue([NewCredential(s.credential_id, s.target_hash, issuer, s.text, None, s.signature_id) for s in signed])
    rows = store.queued_hashes(issuer, 3)
    tree = build_tree([bytes.fromhex(h) for _, h in rows])
    batch = store.create_batch([r for r, _ in rows], tree.root_hex, issuer_did=issuer, signer="0x" + "ab" * 20,
                               chain_id=11155111, registry="0x" + "2" * 40, out_dir=str(tmp_path / "out"))
    anchor = {"chainId": 11155111, "registry": "0x" + "2" * 40, "transactionHash": "0x" + "cd" * 32, "blockNumber": 7}
    receipt_head = f'{{"anchor":{rfc8785.dumps(anchor).decode()},"merkleRoot":"{tree.root_hex}","path":'
    chained = writer.ChainedProof("2026-01-02T00:00:00Z", "did:pkh:eip155:11155111:0x" + "Ab" * 20
                                  + "#blockchainAccountId", receipt_head)
    spec = writer.WriteSpec(store.engine.url.render_as_string(hide_password=False), batch.id, str(tmp_path / "out"),
                            "unused", chained)
    (tmp_path / "out").mkdir()
    writer.write_parallel(spec, tree, 3, 1, lambda message: None)
    for leaf, s in enumerate(signed):
        doc = json.loads((tmp_path / "out" / writer.credential_file_name(s.credential_id)).read_text())
        signature, anchor_proof = doc["proof"]
        assert signature == s.document()["proof"][0] and signature["id"] == s.signature_id
        receipt = {"targetHash": s.target_hash, "merkleRoot": tree.root_hex, "path": tree.proof(leaf), "anchor": anchor}
        assert anchor_proof == proofs.anchor_proof(receipt, s.signature_id, chained.verification_method,
                                                   chained.created)
        assert proofs.decode_receipt(anchor_proof["proofValue"]) == receipt
        assert proofs.format_2_target_hash(doc).hex() == s.target_hash
        assert verify_path(s.target_hash, receipt["path"], tree.root)
        assert {k: v for k, v in doc.items() if k != "proof"} == {k: v for k, v in s.document().items() if k != "proof"}
