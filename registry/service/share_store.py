"""The verifier's store for share links, opened on first use, and the keyed hash of a client.

The verifier had no store: only share links need one, so it is opened (and migrated) by the
first request about a share, in the home's SQLite file or at ``store_url`` (PostgreSQL), as
the CLI opens it. A verifier that never serves a share never touches a database.

The hourly limit counts shares per client address; the store keeps an HMAC of the address, not
the address, under ``share_client_key`` or else a random key written once into the home
(``share-client.key``, mode 0600), so a leaked database does not list who shared, and a
brute force over the IPv4 space needs the key as well.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from registry.service.settings import Settings
from registry.errors import StoreError
from registry.store import Store

KEY_FILE = "share-client.key"


class ShareStore:
    """The store and the client key, made once per app, by whichever request needs them first."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._key: bytes | None = None

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = _opened(self._settings)
            return self._store

    def client(self, address: str) -> str:
        """The hash the store keeps of a client's address."""
        with self._lock:
            if self._key is None:
                given = self._settings.share_client_key
                self._key = given.get_secret_value().encode() if given else _home_key(self._settings.home)
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def close(self) -> None:
        if self._store is not None:
            self._store.engine.dispose()


def _opened(settings: Settings) -> Store:
    """The store, migrated. Workers of one `credreg serve` may migrate a new store at the same
    moment: the one that loses the race fails, and finds the schema made when it tries again."""
    try:
        return Store.open(settings.home, settings.store_url)
    except (StoreError, SQLAlchemyError):
        time.sleep(0.5)
        return Store.open(settings.home, settings.store_url)


def _home_key(home: Path) -> bytes:
    """The key in ``home``, made by the first process that needs it (O_EXCL: workers agree on one)."""
    path = Path(home) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker made it a moment ago and may still be writing it
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.02)
        raise
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key
