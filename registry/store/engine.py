"""Opening the store: its URL (SQLite in the home folder unless one is given), the engine with
SQLite's pragmas, and the alembic upgrade to the current schema.

The URL is a parameter only: the caller (the CLI, from its settings) decides where the store is;
nothing here reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from registry.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def store_url(home: Path, url: str | None = None) -> str:
    """``url`` if given, else the SQLite file ``credreg.db`` in the home folder."""
    return url or f"sqlite:///{Path(home).resolve() / 'credreg.db'}"


def open_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, its connections get the pragmas."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    """Upgrade the store to the newest alembic revision, in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StoreError(f"cannot open the store at {engine.url!r}: {exc.orig}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (status, the service) never block the job
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
