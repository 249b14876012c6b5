"""The login guard's durable tables: lockouts, replay nonces and the login audit trail.

A separate table block next to `app.gateway.store` (its own `MetaData`, created with
`create_all` on the store's engine, so the store's schema version is untouched): new tables
only, nothing to migrate in existing rows.

- `gw_login_lockouts`: one row per locked user name (known or not, so a lockout never tells
  whether a user exists). A row stays until an administrator removes it
  (`postfordeler gateway unlock USER`); every gateway node on the database honours it.
- `gw_auth_nonces`: the nonces of authenticated requests until their timestamp leaves the
  replay window, as SHA-256 digests of user + nonce. Written on PostgreSQL, so two nodes on one
  database refuse each other's replays; a SQLite gateway (one node) keeps them in memory only.
- `gw_login_audit`: every failed login, back-off, lockout, refused replay and unlock, with the
  user name, the client address and a short reason. Never a password, a hash or a nonce.

All functions are blocking: call them from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql as pg_dialect

from app.gateway.store import GatewayStore, UTCDateTime, utcnow

login_metadata = MetaData()

lockouts = Table(
    "gw_login_lockouts",
    login_metadata,
    Column("user", String(128), primary_key=True),
    Column("locked_at", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("address", String(64)),  # the client address of the failure that locked it
)

nonces = Table(
    "gw_auth_nonces",
    login_metadata,
    Column("digest", String(64), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_gw_auth_nonces_expires", "expires_at"),
)

audit = Table(
    "gw_login_audit",
    login_metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(32), nullable=False),
    Column("user", String(128)),
    Column("address", String(64)),
    Column("detail", String(256)),
    Index("ix_gw_login_audit_user", "user"),
)

# audit events
FAILURE = "failure"  # a wrong user or password (verified)
BACKOFF = "backoff"  # a user or address entered back-off (answers delayed, attempts refused)
REFUSED = "refused"  # attempts refused unverified (back-off, busy, locked), summarised
LOCKOUT = "lockout"
UNLOCK = "unlock"
REPLAY = "replay"  # a reused nonce
STALE = "stale"  # a timestamp outside the window, or no nonce/timestamp


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    event: str
    user: str | None = None
    address: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "event": self.event,
            "user": self.user,
            "address": self.address,
            "detail": self.detail,
        }


def ensure_tables(store: GatewayStore) -> None:
    with store._writing() as conn:
        login_metadata.create_all(conn)


def _cut(value: str | None, size: int) -> str | None:
    return None if value is None else value[:size]


def write_audit(store: GatewayStore, events: Iterable[AuditEvent]) -> None:
    rows = [
        {
            "at": e.at,
            "event": e.event,
            "user": _cut(e.user, 128),
            "address": _cut(e.address, 64),
            "detail": _cut(e.detail, 256),
        }
        for e in events
    ]
    if rows:
        with store._writing() as conn:
            conn.execute(audit.insert(), rows)


def audit_events(
    store: GatewayStore, user: str | None = None, limit: int = 1000
) -> list[AuditEvent]:
    """The newest `limit` audit events (of `user` when given), oldest first."""
    query = select(audit).order_by(audit.c.id.desc()).limit(limit)
    if user is not None:
        query = query.where(audit.c.user == user)
    with store.engine.connect() as conn:
        rows = list(conn.execute(query))
    return [AuditEvent(r.at, r.event, r.user, r.address, r.detail) for r in reversed(rows)]


def lock(store: GatewayStore, user: str, failures: int, address: str | None) -> bool:
    """Lock `user` (True when this call locked it, False when it already was)."""
    with store._writing() as conn:
        found = conn.execute(select(lockouts.c.user).where(lockouts.c.user == user)).first()
        if found is not None:
            return False
        conn.execute(
            lockouts.insert().values(
                user=user[:128], locked_at=utcnow(), failures=failures, address=_cut(address, 64)
            )
        )
        return True


def unlock(store: GatewayStore, user: str, by: str) -> bool:
    """Remove `user`'s lockout (True when there was one) and audit who did it."""
    with store._writing() as conn:
        gone = conn.execute(select(lockouts.c.user).where(lockouts.c.user == user)).first()
        if gone is not None:
            conn.execute(delete(lockouts).where(lockouts.c.user == user))
        conn.execute(
            audit.insert().values(
                at=utcnow(),
                event=UNLOCK,
                user=user[:128],
                detail=_cut(f"af {by}" if gone else f"af {by} (var ikke spærret)", 256),
            )
        )
    return gone is not None


def is_locked(store: GatewayStore, user: str) -> bool:
    with store.engine.connect() as conn:
        return (
            conn.execute(select(lockouts.c.user).where(lockouts.c.user == user)).first() is not None
        )


def locked_users(store: GatewayStore) -> dict[str, Mapping[str, Any]]:
    """user -> {locked_at, failures, address} of every lockout."""
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(lockouts).order_by(lockouts.c.user)))
    return {
        r.user: {"locked_at": r.locked_at, "failures": r.failures, "address": r.address}
        for r in rows
    }


def remember_nonce(store: GatewayStore, digest: str, expires_at: datetime) -> bool:
    """Record a nonce digest (PostgreSQL); False when it was already recorded (a replay)."""
    statement = (
        pg_dialect.insert(nonces)
        .values(digest=digest, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["digest"])
        .returning(nonces.c.digest)
    )
    with store.engine.begin() as conn:
        # a nonce lost in a crash only reopens a replay for requests of the last moment:
        # not worth an fsync per mailbox call
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        return conn.execute(statement).first() is not None


def purge_nonces(store: GatewayStore, now: datetime) -> int:
    with store.engine.begin() as conn:
        return int(conn.execute(delete(nonces).where(nonces.c.expires_at < now)).rowcount)


__all__ = [
    "BACKOFF",
    "FAILURE",
    "LOCKOUT",
    "REFUSED",
    "REPLAY",
    "STALE",
    "UNLOCK",
    "AuditEvent",
    "audit_events",
    "ensure_tables",
    "is_locked",
    "lock",
    "locked_users",
    "purge_nonces",
    "remember_nonce",
    "unlock",
    "write_audit",
]
