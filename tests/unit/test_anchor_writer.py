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
