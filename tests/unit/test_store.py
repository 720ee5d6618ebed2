"""The store on a real SQLite file: all-or-nothing queueing, batches, release, migrations."""

import pytest
from sqlalchemy import create_engine, text

from registry.errors import BadInput
from registry.store import NewCredential, Store


def _items(n, did="did:web:a", start=0):
    return [NewCredential(f"urn:uuid:{i:08d}", f"{i:064x}", did, '{"n":%d}' % i, f"f{i}.json")
            for i in range(start, start + n)]


def test_a_duplicate_refuses_the_whole_set_and_names_it(tmp_path):
    store = Store.open(tmp_path)
    store.enqueue(_items(3))
    with pytest.raises(BadInput, match="f1.json"):
        store.enqueue(_items(2, start=1) + _items(1, start=10))
    assert store.counts() == {"queued": 3}


def test_batching_assigns_leaves_in_queue_order_and_release_requeues(tmp_path):
    store = Store.open(tmp_path)
    store.enqueue(_items(5) + _items(2, did="did:web:b", start=5))
    rows = store.queued_hashes("did:web:a", 4)
    batch = store.create_batch([r for r, _ in rows], "aa" * 32, issuer_did="did:web:a", signer="0x" + "1" * 40,
                               chain_id=1, registry="0x" + "2" * 40, out_dir=str(tmp_path))
    assert store.leaf_hashes(batch.id) == [h for _, h in rows]
    assert [d[3] for d in store.batch_documents(batch.id)] == ['{"n":%d}' % i for i in range(4)]
    assert store.counts() == {"batched": 4, "queued": 3}
    store.release_batch(batch.id, "reverted")
    assert store.counts() == {"queued": 7}
    # The same credentials give the same root again: the failed row is reused, not duplicated.
    again = store.create_batch([r for r, _ in rows], "aa" * 32, issuer_did="did:web:a", signer="0x" + "1" * 40,
                               chain_id=1, registry="0x" + "2" * 40, out_dir=str(tmp_path))
    assert again.id == batch.id and again.state == "built" and again.error is None


def test_leaves_follow_queue_order_whether_or_not_an_issuers_ids_are_consecutive(tmp_path):
    store = Store.open(tmp_path)
    # a's ids are consecutive (1-3) then interleaved with b's (4-9): both ways of numbering leaves run.
    store.enqueue(_items(3))
    for i in range(3):
        store.enqueue(_items(1, start=10 + i) + _items(1, did="did:web:b", start=20 + i))
    for did, expected in (("did:web:a", [0, 1, 2, 10, 11, 12]), ("did:web:b", [20, 21, 22])):
        rows = store.queued_hashes(did, 100)
        batch = store.create_batch([r for r, _ in rows], did[-1] * 64, issuer_did=did, signer="0x" + "1" * 40,
                                   chain_id=1, registry="0x" + "2" * 40, out_dir=str(tmp_path))
        assert [d[0] for d in store.batch_documents(batch.id)] == list(range(len(expected)))
        assert [d[3] for d in store.batch_documents(batch.id)] == ['{"n":%d}' % i for i in expected]
    assert store.queued_hashes("did:web:a", 1) == [] and store.counts() == {"batched": 9}


def test_migration_0002_moves_documents_out_of_credentials(tmp_path):
    from alembic import command
    from alembic.config import Config

    import registry.store as store_module

    url = f"sqlite:///{tmp_path / 'credreg.db'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(store_module._MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(text("INSERT INTO credentials (credential_id, target_hash, issuer_did, document, queued_at, state)"
                          " VALUES ('urn:uuid:1', :h, 'did:web:a', :doc, 'now', 'queued')"), {"h": "ab" * 32, "doc": '{"old":true}'})
    store = Store.open(tmp_path, url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT document FROM documents")).scalar() == '{"old":true}'
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(credentials)"))]
    assert "document" not in columns
    assert store.queued_count("did:web:a") == 1


def test_the_migrated_store_has_exactly_the_schema_of_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from registry.store.schema import metadata

    store = Store.open(tmp_path)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        indexes = dict(conn.execute(text("SELECT name, sql FROM sqlite_master "
                                         "WHERE type = 'index' AND sql IS NOT NULL")).all())
    # Partial (0003): batching moves a row out of the one and into the other, not within both.
    assert "WHERE state = 'queued'" in indexes["ix_credentials_queued"]
    assert "WHERE batch_id IS NOT NULL" in indexes["ix_credentials_batch_leaf"]


def test_the_queue_and_the_batch_are_read_through_their_partial_indexes(tmp_path):
    store = Store.open(tmp_path)
    store.enqueue(_items(3))
    with store.engine.connect() as conn:
        for sql, params, index in [
            ("SELECT id, target_hash FROM credentials WHERE state = :s AND issuer_did = :d ORDER BY id",
             {"s": "queued", "d": "did:web:a"}, "ix_credentials_queued"),
            ("SELECT leaf_index FROM credentials WHERE batch_id = :b AND leaf_index >= :lo "
             "AND leaf_index < :hi ORDER BY leaf_index", {"b": 1, "lo": 0, "hi": 10},
             "ix_credentials_batch_leaf"),
        ]:
            plan = " ".join(row[3] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql), params))
            assert f"INDEX {index} " in plan, plan


def _enqueue_at_0002(engine, items):
    """Queue as the code of revision 0002 did (its documents table has no signature_id)."""
    with engine.begin() as conn:
        for i in items:
            conn.execute(text("INSERT INTO credentials (credential_id, target_hash, issuer_did, source, queued_at, "
                              "state) VALUES (:c, :h, :d, :s, '2026-01-01T00:00:00Z', 'queued')"),
                         {"c": i.credential_id, "h": i.target_hash, "d": i.issuer_did, "s": i.source})
            conn.execute(text("INSERT INTO documents (credential_id, document) VALUES (:c, :t)"),
                         {"c": i.credential_id, "t": i.document})


def _store_at(tmp_path, revision: str) -> str:
    """The URL of a new SQLite store upgraded only as far as ``revision``."""
    from alembic import command
    from alembic.config import Config

    import registry.store as store_module

    url = f"sqlite:///{tmp_path / 'credreg.db'}"
    config = Config()
    config.set_main_option("script_location", str(store_module._MIGRATIONS))
    with create_engine(url).begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return url


def test_migration_0004_keeps_unsigned_documents_unsigned(tmp_path):
    url = _store_at(tmp_path, "0003")
    _enqueue_at_0002(create_engine(url), _items(2))
    store = Store.open(tmp_path, url)  # upgrades to 0004
    rows = store.queued_hashes("did:web:a", 10)
    batch = store.create_batch([r for r, _ in rows], "ab" * 32, issuer_did="did:web:a", signer="0x" + "1" * 40,
                               chain_id=1, registry="0x" + "2" * 40, out_dir=str(tmp_path))
    assert [(d[3], d[4]) for d in store.batch_documents(batch.id)] == [('{"n":0}', None), ('{"n":1}', None)]
    store.enqueue([NewCredential("urn:uuid:signed", "ff" * 32, "did:web:a", '{"proof":[]}', "s.json", "urn:uuid:sig")])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT signature_id FROM documents WHERE credential_id = 'urn:uuid:signed'")
                            ).scalar() == "urn:uuid:sig"


def test_migration_0003_keeps_queued_and_batched_credentials_findable(tmp_path):
    url = _store_at(tmp_path, "0002")
    old = Store(create_engine(url))
    _enqueue_at_0002(old.engine, _items(5))
    rows = old.queued_hashes("did:web:a", 3)
    # Batched as the code of revision 0002 did (today's Store reads columns 0002 does not have).
    from sqlalchemy import text

    with old.engine.begin() as conn:
        batch_id = conn.execute(text(
            "INSERT INTO batches (root, leaf_count, issuer_did, signer, chain_id, registry, out_dir, state, "
            "tx_hashes, fee_bumps, created_at, updated_at) VALUES (:root, 3, 'did:web:a', :signer, 1, :registry, "
            ":out, 'built', '[]', 0, 'now', 'now')"),
            {"root": "aa" * 32, "signer": "0x" + "1" * 40, "registry": "0x" + "2" * 40, "out": str(tmp_path)}).lastrowid
        for leaf, (row_id, _) in enumerate(rows):
            conn.execute(text("UPDATE credentials SET state = 'batched', batch_id = :b, leaf_index = :leaf "
                              "WHERE id = :id"), {"b": batch_id, "leaf": leaf, "id": row_id})
    store = Store.open(tmp_path, url)  # upgrades to the newest
    assert [h for _, h in store.queued_hashes("did:web:a", 10)] == [f"{i:064x}" for i in (3, 4)]
    assert [d[0] for d in store.batch_documents(batch_id)] == [0, 1, 2]
    assert store.counts() == {"queued": 2, "batched": 3}
