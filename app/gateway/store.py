"""The gateway's durable store: received MeMo messages, claims (leases), outcomes and users.

One code path for SQLite (default, WAL) and PostgreSQL (`postgresql+psycopg://...`), built on
SQLAlchemy Core. The schema is created with `metadata.create_all` and stamped in a
`gw_schema_version` table (a single-table-set service; upgrades go in `_UPGRADES`).

Invariants this module keeps:
- a message is inserted once per messageUUID (unique constraint + ON CONFLICT DO NOTHING);
- `item_id` is the clients' cursor, so ids become visible in increasing order: inserts are
  serialised (a process lock on SQLite, a transaction advisory lock on PostgreSQL) so no id
  can commit after a larger one was already listed;
- `received_at` is set once, at receipt, and never changed;
- claim/outcome changes on one item are serialised (row lock on PostgreSQL, write lock on SQLite).

All methods are blocking: call them from a worker thread, never on the event loop.
Never log message content or CPR numbers from here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from app.hashing import file_size_sha256

SCHEMA_VERSION = 1
OUTCOMES = ("journaliseret", "fordelt", "afvist", "videresendt")
# "fordelt" (assigned to a caseworker) is not final: the caseworker still journalises it.
NON_FINAL_OUTCOMES = frozenset({"fordelt"})
STATUS_NEW = "ny"
STATUS_ASSIGNED = "fordelt"
STATUS_DONE = "behandlet"
MAX_LEASE_SECONDS = 24 * 3600
_BLOB_STREAM_FROM = 4 * 1024 * 1024
_CHUNK = 1 << 20
_NOT_INLINED_COST = 1024  # page-budget cost of an item listed without its (big) MeMo
_PG_INSERT_LOCK_KEY = 1606_0001  # pg_advisory_xact_lock key serialising message inserts


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the gateway store")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

messages = Table(
    "gw_messages",
    metadata,
    Column(
        "item_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("message_uuid", String(36), nullable=False, unique=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("transaction_id", String(64)),
    Column("contact_point_id", String(256)),
    Column("kind", String(32), nullable=False),
    Column("memo_version", String(8), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(32), nullable=False, default=STATUS_NEW),
    Column("outcome", String(32)),
    Column("outcome_case_id", String(256)),
    Column("outcome_user", String(128)),
    Column("outcome_note", Text),
    Column("outcome_at", UTCDateTime),
    # last column: SQLite then keeps a zeroblob(n) unmaterialised until it is streamed in
    Column("memo", LargeBinary, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused: they are cursors
)

claims = Table(
    "gw_claims",
    metadata,
    Column(
        "item_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("gw_messages.item_id"),
        primary_key=True,
    ),
    Column("user", String(128), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

outcome_log = Table(
    "gw_outcome_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("item_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("case_id", String(256)),
    Column("user", String(128), nullable=False),
    Column("note", Text),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_gw_outcome_log_item", "item_id"),
)

users = Table(
    "gw_users",
    metadata,
    Column("user", String(128), primary_key=True),
    Column("secret_hash", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

schema_version = Table(
    "gw_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

# version -> list of SQL statements bringing the schema from version-1 to version.
_UPGRADES: dict[int, list[str]] = {}


class StoreError(Exception):
    """A refused store operation. `code` is a stable, machine-readable word (Danish, upper case)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class StoredItem:
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    kind: str
    memo_version: str
    size: int
    sha256: str
    status: str
    outcome: str | None
    outcome_case_id: str | None
    outcome_user: str | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    memo: bytes | None  # None when listed without content
    memo_inline: bool = True  # False: too big to inline; stream it (memo_chunks)


@dataclass(frozen=True, slots=True)
class InsertResult:
    item_id: int
    duplicate: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    item_id: int
    user: str
    claimed_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[StoredItem, ...]
    next_cursor: int
    more: bool


# --- secrets -------------------------------------------------------------------------------

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def is_secret_hash(value: str) -> bool:
    return value.startswith("scrypt$") and value.count("$") == 5


def verify_secret(secret: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            secret.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# --- engine --------------------------------------------------------------------------------


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine for the gateway DB. SQLite gets WAL, a busy timeout and foreign keys.

    `sqlite_synchronous=FULL` fsyncs the WAL at every commit: an accept must survive power loss.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class GatewayStore:
    """Blocking access to the gateway DB; thread-safe (one instance per gateway process)."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        self.engine = make_engine(url, sqlite_synchronous=sqlite_synchronous)
        self.dialect = self.engine.dialect.name
        # SQLite allows one writer: serialise writers in-process instead of spinning on BUSY.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None
        self._migrate()

    # -- schema --

    def _migrate(self) -> None:
        with self._writing() as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INSERT_LOCK_KEY + 1}
                )
            metadata.create_all(conn)
            current = conn.execute(select(func.max(schema_version.c.version))).scalar()
            if current is None:
                conn.execute(
                    schema_version.insert().values(version=SCHEMA_VERSION, applied_at=utcnow())
                )
                return
            if current > SCHEMA_VERSION:
                raise StoreError(
                    "SKEMA", f"database schema {current} is newer than {SCHEMA_VERSION}"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _UPGRADES.get(version, []):
                    conn.execute(text(statement))
                conn.execute(schema_version.insert().values(version=version, applied_at=utcnow()))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    def _lock_item(self, conn: Connection, item_id: int) -> Any:
        row = conn.execute(
            select(
                messages.c.item_id,
                messages.c.outcome,
                messages.c.outcome_case_id,
                messages.c.outcome_user,
            )
            .where(messages.c.item_id == item_id)
            .with_for_update()
        ).first()
        if row is None:
            raise StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
        return row

    # -- messages --

    def insert_message(
        self,
        *,
        message_uuid: str,
        memo: bytes | Path,
        kind: str,
        memo_version: str,
        contact_point_id: str | None,
        received_at: datetime,
        transaction_id: str | None = None,
    ) -> InsertResult:
        """Insert once; a repeated messageUUID returns the stored row with `duplicate=True`.

        `memo` is the raw MeMo or a path to a file holding it (a spooled big request body: it
        is hashed and, on SQLite, streamed into the blob without ever being held in memory).
        Returns only after the transaction committed (durable receipt)."""
        message_uuid = message_uuid.lower()
        if isinstance(memo, Path):
            size, digest = file_size_sha256(memo)
            if self.dialect != "sqlite" or size <= _BLOB_STREAM_FROM:
                memo = memo.read_bytes()  # PostgreSQL: kept simple (one bytes bind)
        else:
            size, digest = len(memo), hashlib.sha256(memo).hexdigest()
        # SQLite copies a bound blob twice (bind + record); big ones are streamed in instead.
        stream_blob = self.dialect == "sqlite" and size > _BLOB_STREAM_FROM
        values: dict[str, Any] = {
            "message_uuid": message_uuid,
            "received_at": received_at,
            "transaction_id": transaction_id,
            "contact_point_id": contact_point_id,
            "kind": kind,
            "memo_version": memo_version,
            "size": size,
            "sha256": digest,
            "memo": func.zeroblob(size) if stream_blob else memo,
            "status": STATUS_NEW,
        }
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
        stmt = (
            dialect_insert(messages)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["message_uuid"])
            .returning(messages.c.item_id)
        )
        with self._writing() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INSERT_LOCK_KEY})
            new_id = conn.execute(stmt).scalar()
            if new_id is not None:
                if stream_blob:
                    _write_blob(conn, int(new_id), memo)
                return InsertResult(int(new_id), False, received_at)
            row = conn.execute(
                select(messages.c.item_id, messages.c.received_at).where(
                    messages.c.message_uuid == message_uuid
                )
            ).one()
            return InsertResult(int(row.item_id), True, row.received_at)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(messages)).scalar() or 0)

    def max_item_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(messages.c.item_id))).scalar() or 0)

    _ITEM_COLUMNS = (
        messages.c.item_id,
        messages.c.message_uuid,
        messages.c.received_at,
        messages.c.contact_point_id,
        messages.c.kind,
        messages.c.memo_version,
        messages.c.size,
        messages.c.sha256,
        messages.c.status,
        messages.c.outcome,
        messages.c.outcome_case_id,
        messages.c.outcome_user,
        claims.c.user.label("claim_user"),
        claims.c.expires_at.label("claim_expires_at"),
    )

    @staticmethod
    def _item(row: Any, memo: bytes | None, now: datetime, inline: bool = True) -> StoredItem:
        claimed = row.claim_user is not None and row.claim_expires_at > now
        return StoredItem(
            item_id=int(row.item_id),
            message_uuid=row.message_uuid,
            received_at=row.received_at,
            contact_point_id=row.contact_point_id,
            kind=row.kind,
            memo_version=row.memo_version,
            size=int(row.size),
            sha256=row.sha256,
            status=row.status,
            outcome=row.outcome,
            outcome_case_id=row.outcome_case_id,
            outcome_user=row.outcome_user,
            claimed_by=row.claim_user if claimed else None,
            claim_expires_at=row.claim_expires_at if claimed else None,
            memo=memo,
            memo_inline=inline,
        )

    @staticmethod
    def _memo_column(inline_max: int | None) -> ColumnElement[Any]:
        if inline_max is None:
            return messages.c.memo
        return case((messages.c.size <= inline_max, messages.c.memo), else_=None).label("memo")

    def _row_item(
        self, row: Any, with_memo: bool, inline_max: int | None, now: datetime
    ) -> StoredItem:
        if not with_memo:
            return self._item(row, None, now)
        if inline_max is not None and int(row.size) > inline_max:
            return self._item(row, None, now, inline=False)
        return self._item(row, bytes(row.memo), now)

    def list_after(
        self,
        after: int,
        limit: int,
        *,
        max_bytes: int = 8 * 1024 * 1024,
        with_memo: bool = True,
        inline_max: int | None = None,
    ) -> Page:
        """Items with item_id > after, in id order: at most `limit` items and, beyond the first,
        at most `max_bytes` of MeMo. Two SELECTs: sizes first, then the chosen rows.

        `inline_max`: MeMo bigger than this are not loaded (`memo_inline=False`, memo None) and
        count only a token amount against `max_bytes`; the client streams them separately."""
        limit = max(1, limit)
        with self.engine.connect() as conn:
            sizes = conn.execute(
                select(messages.c.item_id, messages.c.size)
                .where(messages.c.item_id > after)
                .order_by(messages.c.item_id)
                .limit(limit + 1)
            ).all()
            if not sizes:
                return Page((), after, False)
            total, last, count = 0, after, 0  # the first row is always taken
            for item_id, item_size in sizes[:limit]:
                size = item_size
                if with_memo and inline_max is not None and item_size > inline_max:
                    size = _NOT_INLINED_COST
                if count and total + size > max_bytes:
                    break
                total += size
                last = item_id
                count += 1
            more = count < len(sizes)
            cols = self._ITEM_COLUMNS + ((self._memo_column(inline_max),) if with_memo else ())
            rows = conn.execute(
                select(*cols)
                .select_from(messages.outerjoin(claims, claims.c.item_id == messages.c.item_id))
                .where(messages.c.item_id > after, messages.c.item_id <= last)
                .order_by(messages.c.item_id)
            ).all()
        now = utcnow()
        items = tuple(self._row_item(r, with_memo, inline_max, now) for r in rows)
        return Page(items, int(last), more)

    def fetch(
        self, item_id: int, *, with_memo: bool = True, inline_max: int | None = None
    ) -> StoredItem:
        cols = self._ITEM_COLUMNS + ((self._memo_column(inline_max),) if with_memo else ())
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*cols)
                .select_from(messages.outerjoin(claims, claims.c.item_id == messages.c.item_id))
                .where(messages.c.item_id == item_id)
            ).first()
        if row is None:
            raise StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
        return self._row_item(row, with_memo, inline_max, utcnow())

    def memo_chunks(
        self, item_id: int, chunk: int = _CHUNK
    ) -> tuple[int, str, Generator[bytes, None, None]]:
        """(size, sha256, chunks) of one stored MeMo, for streaming it out without loading it.

        The iterator holds one read connection (a consistent snapshot) until exhausted or
        closed; call `next()` from worker threads, never on the event loop."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(messages.c.size, messages.c.sha256).where(messages.c.item_id == item_id)
            ).first()
        if row is None:
            raise StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")
        size = int(row.size)
        return size, row.sha256, self._chunks(item_id, size, chunk)

    def _chunks(self, item_id: int, size: int, chunk: int) -> Generator[bytes, None, None]:
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                raw = conn.connection.driver_connection
                assert raw is not None  # an open connection has its DBAPI connection
                with raw.blobopen("gw_messages", "memo", item_id, readonly=True) as blob:
                    while piece := blob.read(chunk):
                        yield piece
                return
            pg_chunk = max(chunk, 8 * _CHUNK)  # each substring detoasts: fewer, larger reads
            for offset in range(0, size, pg_chunk):
                piece = conn.execute(
                    select(func.substring(messages.c.memo, offset + 1, pg_chunk)).where(
                        messages.c.item_id == item_id
                    )
                ).scalar()
                if not piece:
                    return
                yield bytes(piece)

    # -- claims --

    def claim(self, item_id: int, user: str, lease_seconds: float) -> Claim:
        """Take or extend a lease. Refused while another user holds an unexpired claim, and
        for items with a final outcome."""
        lease = min(max(float(lease_seconds), 1.0), MAX_LEASE_SECONDS)
        with self._writing() as conn:
            item = self._lock_item(conn, item_id)
            if item.outcome is not None and item.outcome not in NON_FINAL_OUTCOMES:
                raise StoreError(
                    "ALLEREDE_BEHANDLET", f"Element {item_id} er allerede {item.outcome}"
                )
            now = utcnow()
            held = conn.execute(select(claims).where(claims.c.item_id == item_id)).first()
            if held is not None and held.user != user and held.expires_at > now:
                raise _claimed_error(item_id, held.user, held.expires_at)
            expires = now + timedelta(seconds=lease)
            claimed_at = (
                held.claimed_at
                if held is not None and held.user == user and held.expires_at > now
                else now
            )
            if held is None:
                conn.execute(
                    claims.insert().values(
                        item_id=item_id, user=user, claimed_at=claimed_at, expires_at=expires
                    )
                )
            else:
                conn.execute(
                    claims.update()
                    .where(claims.c.item_id == item_id)
                    .values(user=user, claimed_at=claimed_at, expires_at=expires)
                )
            return Claim(item_id, user, claimed_at, expires)

    def release(self, item_id: int, user: str) -> None:
        """Give up a claim; releasing what one does not hold (or an expired lease) is a no-op,
        but another user's live claim is refused."""
        with self._writing() as conn:
            self._lock_item(conn, item_id)
            held = conn.execute(select(claims).where(claims.c.item_id == item_id)).first()
            if held is None:
                return
            if held.user != user and held.expires_at > utcnow():
                raise _claimed_error(item_id, held.user, held.expires_at)
            conn.execute(claims.delete().where(claims.c.item_id == item_id))

    def claims(self) -> list[Claim]:
        now = utcnow()
        with self.engine.connect() as conn:
            rows = conn.execute(select(claims).order_by(claims.c.item_id)).all()
        return [
            Claim(int(r.item_id), r.user, r.claimed_at, r.expires_at)
            for r in rows
            if r.expires_at > now
        ]

    # -- outcomes --

    def record_outcome(
        self,
        item_id: int,
        user: str,
        outcome: str,
        *,
        case_id: str | None = None,
        note: str | None = None,
    ) -> StoredItem:
        """Record what was done with an item. Needs the caller's claim or no live claim.
        Repeating the same final outcome (same case) is idempotent; a different one after a final
        outcome is refused. Recording releases the caller's claim."""
        if outcome not in OUTCOMES:
            raise StoreError("UGYLDIGT_UDFALD", f"Ukendt udfald: {outcome[:40]}")
        with self._writing() as conn:
            item = self._lock_item(conn, item_id)
            now = utcnow()
            held = conn.execute(select(claims).where(claims.c.item_id == item_id)).first()
            if held is not None and held.user != user and held.expires_at > now:
                raise _claimed_error(item_id, held.user, held.expires_at)
            if item.outcome is not None and item.outcome not in NON_FINAL_OUTCOMES:
                if item.outcome == outcome and item.outcome_case_id == case_id:
                    if held is not None and held.user == user:
                        conn.execute(claims.delete().where(claims.c.item_id == item_id))
                    return self._fetch_in(conn, item_id)
                raise StoreError(
                    "ALLEREDE_BEHANDLET", f"Element {item_id} er allerede {item.outcome}"
                )
            status = STATUS_ASSIGNED if outcome in NON_FINAL_OUTCOMES else STATUS_DONE
            conn.execute(
                messages.update()
                .where(messages.c.item_id == item_id)
                .values(
                    status=status,
                    outcome=outcome,
                    outcome_case_id=case_id,
                    outcome_user=user,
                    outcome_note=note,
                    outcome_at=now,
                )
            )
            conn.execute(
                outcome_log.insert().values(
                    item_id=item_id, outcome=outcome, case_id=case_id, user=user, note=note, at=now
                )
            )
            if held is not None:
                conn.execute(claims.delete().where(claims.c.item_id == item_id))
            return self._fetch_in(conn, item_id)

    def _fetch_in(self, conn: Connection, item_id: int) -> StoredItem:
        row = conn.execute(
            select(*self._ITEM_COLUMNS)
            .select_from(messages.outerjoin(claims, claims.c.item_id == messages.c.item_id))
            .where(messages.c.item_id == item_id)
        ).one()
        return self._item(row, None, utcnow())

    def outcome_history(self, item_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outcome_log)
                .where(outcome_log.c.item_id == item_id)
                .order_by(outcome_log.c.id)
            ).all()
        return [dict(r._mapping) for r in rows]

    # -- users --

    def set_user(self, user: str, secret_or_hash: str) -> None:
        """Create or replace a user. A plain secret is hashed (scrypt); only hashes are stored."""
        if not user or len(user) > 128:
            raise StoreError("UGYLDIG_BRUGER", "Brugernavnet skal være 1-128 tegn")
        stored = secret_or_hash if is_secret_hash(secret_or_hash) else hash_secret(secret_or_hash)
        with self._writing() as conn:
            exists = conn.execute(select(users.c.user).where(users.c.user == user)).first()
            if exists:
                conn.execute(users.update().where(users.c.user == user).values(secret_hash=stored))
            else:
                conn.execute(
                    users.insert().values(user=user, secret_hash=stored, created_at=utcnow())
                )

    def user_hash(self, user: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.secret_hash).where(users.c.user == user)).scalar()

    def user_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(users.c.user).order_by(users.c.user)).scalars())


def _write_blob(conn: Connection, item_id: int, data: bytes | Path) -> None:
    """Fill a zeroblob in place (same transaction), 1 MB at a time, from bytes or a file."""
    raw = conn.connection.driver_connection
    with raw.blobopen("gw_messages", "memo", item_id) as blob:  # type: ignore[union-attr]
        if isinstance(data, Path):
            with data.open("rb") as fh:
                while piece := fh.read(_CHUNK):
                    blob.write(piece)
            return
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            blob.write(view[start : start + _CHUNK])


def _claimed_error(item_id: int, holder: str, expires: datetime) -> StoreError:
    return StoreError(
        "RESERVERET",
        f"Element {item_id} er reserveret af {holder} til {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
    )


__all__: Sequence[str] = (
    "OUTCOMES",
    "Claim",
    "GatewayStore",
    "InsertResult",
    "Page",
    "StoreError",
    "StoredItem",
    "hash_secret",
    "is_secret_hash",
    "make_engine",
    "utcnow",
    "verify_secret",
)
