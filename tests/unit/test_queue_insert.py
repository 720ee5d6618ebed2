"""Queueing through the SQLite driver's executemany stores exactly what SQLAlchemy's insert stores.

``registry.store.queue._insert_many`` hands SQLite the compiled insert with one tuple per row;
held here to ``conn.execute(insert(table), rows)``: the same rows, ids (queue order) and columns,
and the same refusal of a duplicate, nothing queued.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text

from registry.errors import BadInput
from registry.store import NewCredential, Store, queue


def _items(n: int, start: int = 0) -> list[NewCredential]:
    return [NewCredential(f"urn:uuid:{i:08d}", f"{i:064x}", "did:web:a", '{"n":%d,"t":"é\\"\\n"}' % i,
                          f"roster.csv:row {i}" if i % 3 else None, f"urn:uuid:sig-{i}" if i % 2 else None)
            for i in range(start, start + n)]


def _dump(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM credentials ORDER BY id")).all()
        docs = conn.execute(text("SELECT * FROM documents ORDER BY credential_id")).all()
    return [tuple(r) for r in rows], [tuple(d) for d in docs]


def test_the_driver_path_stores_what_sqlalchemy_stores(tmp_path, monkeypatch):
    items = _items(1200)
    fast = Store.open(tmp_path / "fast")
    fast.enqueue(items)
    monkeypatch.setattr(queue, "_insert_many", lambda conn, table, rows: conn.execute(insert(table), rows))
    slow = Store.open(tmp_path / "slow")
    slow.enqueue(items)
    fast_rows, fast_docs = _dump(fast)
    slow_rows, slow_docs = _dump(slow)
    stamp = 5  # queued_at: the time of each enqueue
    assert [r[:stamp] + r[stamp + 1:] for r in fast_rows] == [r[:stamp] + r[stamp + 1:] for r in slow_rows]
    assert fast_docs == slow_docs
    assert len(fast_rows) == 1200 and fast_rows[0][1] == "urn:uuid:00000000"


def test_a_duplicate_through_the_driver_path_queues_nothing(tmp_path):
    store = Store.open(tmp_path)
    store.enqueue(_items(3))
    with pytest.raises(BadInput, match="roster.csv:row 2"):
        store.enqueue(_items(5, start=10) + _items(1, start=2))
    assert store.counts() == {"queued": 3}
