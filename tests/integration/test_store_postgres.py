"""The store on a real PostgreSQL server (`CREDREG_STORE_URL`), which the README offers beside SQLite.

A throwaway cluster is started for this module (initdb into a temporary directory, a Unix socket
only, no TCP port); each test gets a database of its own. The migrations, the queue, both ways of
numbering a batch's leaves, release, and one whole issue -> anchor -> revoke run through the CLI
on anvil, with every proof checked as a verifier would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    Issuer,
    StoreView,
    academy,
    check_proof_files,
    env,
    generated_credentials,
    home,
    issued_files,
    queue_credentials,
    registry,
)

from registry.errors import BadInput  # noqa: E402
from registry.store import Store  # noqa: E402


def _postgres_bin() -> Path:
    found = shutil.which("initdb") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                                                       reverse=True)), None)
    if not found:
        pytest.fail("PostgreSQL's initdb is not installed: `make sysdeps` installs Debian's postgresql")
    return Path(found).resolve().parent


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on a Unix socket in a temporary directory; yields (socket dir, port)."""
    bindir = _postgres_bin()
    socket_dir = Path(tempfile.mkdtemp(prefix="credreg-pg-"))
    as_server_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        as_server_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(socket_dir, "postgres", "postgres")
    data, port = socket_dir / "data", 54329
    subprocess.run([*as_server_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync"], check=True, capture_output=True)
    server = subprocess.Popen([*as_server_user, str(bindir / "postgres"), "-D", str(data),
                               "-k", str(socket_dir), "-p", str(port),
                               "-c", "listen_addresses=", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run([str(bindir / "pg_isready"), "-h", str(socket_dir), "-p", str(port)],
                             capture_output=True).returncode != 0:
            assert server.poll() is None and time.monotonic() < deadline, "PostgreSQL did not start"
            time.sleep(0.2)
        yield socket_dir, port
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture()
def pg_url(postgres, monkeypatch) -> str:
    """A fresh database; `CREDREG_STORE_URL` points at it for the CLI and the helpers alike."""
    socket_dir, port = postgres
    name = f"credreg_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"postgresql+psycopg://postgres@/postgres?host={socket_dir}&port={port}",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"postgresql+psycopg://postgres@/{name}?host={socket_dir}&port={port}"
    monkeypatch.setenv("CREDREG_STORE_URL", url)
    return url


def test_the_migrations_give_postgresql_the_schema_of_the_models(pg_url, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from registry.store.schema import metadata

    store = Store.open(tmp_path, pg_url)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        indexes = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                         "WHERE tablename = 'credentials'")).all())
    assert "WHERE ((state)::text = 'queued'::text)" in indexes["ix_credentials_queued"]
    assert "WHERE (batch_id IS NOT NULL)" in indexes["ix_credentials_batch_leaf"]
    store.engine.dispose()


def test_queue_batches_and_release_on_postgresql(pg_url, tmp_path, dev_accounts):
    # Store only: the issuers need no registry here.
    academy = Issuer(1, "Northwind Training", "did:web:northwind.example", dev_accounts[1])
    other = Issuer(2, "Guild of Welders", "did:web:welders.example", dev_accounts[2])
    store = Store.open(tmp_path, pg_url)
    mine, theirs = generated_credentials(academy, 6), generated_credentials(other, 3)
    # Interleaved, so one issuer's queue is not consecutive ids: the ranked numbering runs.
    store.enqueue([mine[0], theirs[0], mine[1], theirs[1], mine[2]])
    store.enqueue(mine[3:] + theirs[2:])
    with pytest.raises(BadInput, match=f"credential {mine[0].credential_id} is already in the store"):
        store.enqueue([generated_credentials(academy, 1)[0], mine[0]])  # the whole set is refused
    assert store.counts() == {"queued": 9}

    rows = store.queued_hashes(academy.did, 100)
    assert [h for _, h in rows] == [c.target_hash for c in mine]
    batch = store.create_batch([r for r, _ in rows], "aa" * 32, issuer_did=academy.did,
                               signer="0x" + "1" * 40, chain_id=1, registry="0x" + "2" * 40,
                               out_dir=str(tmp_path))
    assert [(leaf, cid) for leaf, cid, *_ in store.batch_documents(batch.id)] == [
        (i, c.credential_id) for i, c in enumerate(mine)]
    assert [row[3] for row in store.batch_documents(batch.id, 2, 4)] == [c.document for c in mine[2:4]]

    # Consecutive ids: the leaf is the offset from the first.
    rows = store.queued_hashes(other.did, 100)
    other_batch = store.create_batch([r for r, _ in rows[1:]], "bb" * 32, issuer_did=other.did,
                                     signer="0x" + "3" * 40, chain_id=1, registry="0x" + "2" * 40,
                                     out_dir=str(tmp_path))
    assert [leaf for leaf, *_ in store.batch_documents(other_batch.id)] == [0, 1]

    store.release_batch(batch.id, "reverted")
    assert store.counts() == {"queued": 7, "batched": 2}
    assert [h for _, h in store.queued_hashes(academy.did, 100)] == [c.target_hash for c in mine]
    store.engine.dispose()


def test_issue_anchor_and_revoke_with_the_store_on_postgresql(run_cli, pg_url, env, home, registry, academy):
    items = queue_credentials(home, academy, 40)
    code, out, err = run_cli("anchor", env=env)
    assert code == 0, err
    docs = check_proof_files(issued_files(home / "issued"), registry, academy)
    assert sorted(docs) == sorted(i.credential_id for i in items)
    assert not (home / "credreg.db").exists()  # the store really was PostgreSQL

    code, out, err = run_cli("revoke", items[3].credential_id, env=env)
    assert code == 0, err
    leaf = StoreView(home).find(items[3].credential_id).leaf_index
    root = bytes.fromhex(docs[items[3].credential_id]["proof"]["merkleRoot"].removeprefix("0x"))
    assert registry.is_revoked(root, leaf) and not registry.is_revoked(root, (leaf + 1) % 40)
    assert StoreView(home).find(items[3].credential_id).revoked_at is not None
    assert StoreView(home).counts() == {"issued": 40}


def test_share_links_are_stored_read_limited_expired_and_deleted_on_postgresql(pg_url, tmp_path):
    """The verifier's shares in PostgreSQL (bytea ciphertext): what SQLite does, the same answers."""
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import update

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from chain_fakes import FakeView

    from registry.service.app import Settings, create_app
    from registry.sharing import links
    from registry.store.schema import shares
    from registry.store.shares import stamp

    app = create_app(Settings(home=tmp_path, store_url=pg_url, shares_per_hour=2), view=FakeView())
    with TestClient(app) as client:
        sealed = links.seal(b'{"name": "Introduction to SQL"}')
        made = client.post("/v1/shares", json={"ciphertext": links.b64url(sealed.blob), "expiresInDays": 7})
        assert made.status_code == 201
        share_id, token = made.json()["id"], made.json()["deleteToken"]
        got = client.get(f"/v1/shares/{share_id}")
        assert links.open_sealed(links.from_b64url(got.json()["ciphertext"]), sealed.key) == b'{"name": "Introduction to SQL"}'
        second = client.post("/v1/shares", json={"ciphertext": links.b64url(sealed.blob)}).json()
        assert client.post("/v1/shares", json={"ciphertext": links.b64url(sealed.blob)}).status_code == 429
        engine = app.state.shares.store().engine
        with engine.begin() as conn:
            conn.execute(update(shares).where(shares.c.id == second["id"])
                         .values(expires_at=stamp(datetime.now(UTC) - timedelta(seconds=1))))
        assert client.get(f"/v1/shares/{second['id']}").status_code == 410
        assert client.delete(f"/v1/shares/{share_id}", headers={"Authorization": "Bearer nope"}).status_code == 403
        assert client.delete(f"/v1/shares/{share_id}", headers={"Authorization": f"Bearer {token}"}).status_code == 204
        assert client.get(f"/v1/shares/{share_id}").status_code == 404
    assert not (tmp_path / "credreg.db").exists()  # the URL was used, not SQLite in the home
