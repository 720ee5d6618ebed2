"""What the store's parts share: the timestamp they write and the size of their bulk statements."""

from __future__ import annotations

from datetime import UTC, datetime

CHUNK = 50_000  # rows per executemany / IN list: bounded memory, few round trips


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
