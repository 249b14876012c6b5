"""Open the client cache: an encrypted (SQLCipher) SQLite file under the data dir, migrated with
Alembic on open.

Use `open_cache()` once per process and share the returned `Database`. Writes are meant to be
serialised through one worker thread (see `app.core.worker`); SQLite runs in WAL mode so reads
from the UI's row cache never block on a sync transaction.

Every connection is keyed before any other statement (see `app.models.crypto`): tables, blobs,
the FTS index and the WAL are encrypted on disk; the key is in the OS keyring only. Never open
the cache file with `sqlite3.connect` — use `open_cache()` or, for tools and tests,
`raw_connect()`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlcipher3 import dbapi2

from app import paths
from app.dbhealth import is_damage
from app.models import crypto, integrity
from app.models.crypto import CacheKeyUnavailable, CacheUnreadable

__all__ = [
    "CacheKeyUnavailable",
    "CacheUnreadable",
    "Database",
    "alembic_config",
    "cache_engine",
    "migrate",
    "open_cache",
    "raw_connect",
]

log = logging.getLogger("postfordeler.cache")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    path: Path
    encrypted: bool = True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable across app crashes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Decrypted pages stay in the page cache (32 MB per connection): inbox filters and
    # searches over a large cache do not pay for decryption on every query.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # The URL carries no key (connections are keyed by the engine's creator); env.py only uses
    # the connection handed over in `migrate`.
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=True))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`: the newest by default (one straight chain: a second head
    is an error). Tests pass an earlier revision to build a cache of an earlier version."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def cache_key(path: Path) -> bytes | None:
    """The key for the cache at `path`, after finishing/doing the move of an unencrypted file.

    None means "unencrypted", which only happens with no keyring AND the developer opt-out
    `POSTFORDELER_UNENCRYPTED_CACHE=1`. Raises `CacheKeyUnavailable` (no keyring, no opt-out;
    Danish message) or `CacheUnreadable` (the file is encrypted and its key is gone/wrong)."""
    crypto.finish_interrupted_move(path)
    key = crypto.load_cache_key(path)
    has_data = path.exists() and path.stat().st_size > 0
    if key is None:
        if not crypto.unencrypted_allowed():
            raise CacheKeyUnavailable(crypto.NO_KEYRING_MESSAGE)
        if has_data and not crypto.is_plain_sqlite(path):
            raise CacheKeyUnavailable(crypto.NO_KEYRING_MESSAGE)
        log.warning(
            "the client cache is NOT encrypted (%s=1, no OS keyring)", crypto.UNENCRYPTED_ENV
        )
        return None
    if crypto.is_plain_sqlite(path):
        crypto.encrypt_plain_file(path, key)
    if has_data:
        crypto.check_readable(path, key)
    return key


def raw_connect(path: Path | None = None, **kwargs: Any) -> Any:
    """A keyed DB-API (sqlcipher3) connection to an existing cache, for tools and tests that
    need SQL below SQLAlchemy. Never creates a key."""
    path = Path(path) if path else paths.client_db_path()
    key = crypto.load_cache_key(path, create=False)
    if key is None and not (crypto.unencrypted_allowed() or crypto.is_plain_sqlite(path)):
        raise CacheKeyUnavailable(crypto.NO_KEYRING_MESSAGE)
    return crypto.keyed_connect(path, key, **kwargs)


def cache_engine(path: Path) -> tuple[Engine, bool]:
    """The engine of the cache at `path` (every connection keyed first; pragmas set), not yet
    migrated, and whether it is encrypted. `open_cache` is the way in; tests building a cache of
    an earlier schema version use this with `migrate(engine, revision)`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = cache_key(path)

    def connect() -> Any:
        return crypto.keyed_connect(path, key, check_same_thread=False, timeout=10.0)

    # Same dialect and pool as a plain file URL (pysqlite, QueuePool); sqlcipher3 as the DB-API
    # so SQLAlchemy maps its exceptions; the creator keys each connection before anything else.
    engine = create_engine(f"sqlite:///{path}", module=dbapi2, creator=connect)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine, key is not None


def open_cache(path: Path | None = None, *, check: bool = True) -> Database:
    """Open (and migrate) the cache. `check`: verify the file first (`integrity.verify_at_open`;
    `CacheDamaged` when it is damaged: `app.models.recovery.open_cache_recovering` rebuilds)."""
    path = Path(path) if path else paths.client_db_path()
    if check:
        integrity.verify_at_open(path)
    engine, encrypted = cache_engine(path)
    try:
        migrate(engine)
    except Exception as exc:
        engine.dispose()
        if check and is_damage(exc):
            raise integrity.CacheDamaged(type(exc).__name__) from None
        raise
    return Database(engine, sessionmaker(engine, expire_on_commit=False), path, encrypted)
