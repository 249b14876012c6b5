"""Retention of the client cache: forget finished post locally, age out the access log.

The desktop cache is a working copy. Once an item is decided (journaliseret, fordelt, afvist,
videresendt) AND the decision has left the machine (no pending/sending outbox entry, outcome
recorded on the gateway), the gateway and DUBU keep the record; the PC need not keep sensitive
letters about children. After `decided_days` (default 30) such an item loses its blob, file
rows, full-text row, closed outbox rows and item row. Items still open (ny, afventer, fejlet) or
with an undelivered decision are never purged. Access-log rows are kept (they outlive the item
on purpose) until `access_log_days`.

Why 5 years for the access log (ACCESS_LOG_DAYS) [I: to be confirmed by the municipality's
DPO]: the log exists so a citizen can learn who looked up their data, when and why
(Datatilsynet 2024, CJEU C-579/21). In child-welfare matters such requests typically come when
a case is complained about or reviewed, often years after the post was handled, so the old
6-month security-log habit would answer "nothing" exactly when it matters. Keeping it forever
breaks storage limitation (GDPR art. 5(1)(e)). The log holds no CPR in clear (keyed hashes,
see `app.core.audit`), which lowers the cost of keeping it. Five years is a deliberate middle;
pass another value (`--log-days`) if the municipality's policy says so.

Safe while the app runs: no VACUUM; deletes go in small batches, each its own short write
transaction (SQLite WAL, busy_timeout), so the UI's reads and the sync never wait long.
`secure_delete` is on for the purge connection and the FTS index is merged afterwards, so the
deleted letters do not linger in free pages or old index segments of the file. This module must
never log CPR numbers or message content and never import Qt.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.sql import ColumnElement

from app.models.db import Database
from app.models.schema import AccessLog as AccessLogRow
from app.models.schema import (
    Base,
    Item,
    ItemBlob,
    ItemFile,
    ItemStatus,
    OutboxEntry,
    OutboxStatus,
)

log = logging.getLogger("postfordeler.retention")


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)  # each declarative model maps exactly one Table
    return table


ITEMS = _table(Item)
BLOBS = _table(ItemBlob)
FILES = _table(ItemFile)
OUTBOX = _table(OutboxEntry)
LOG = _table(AccessLogRow)

DECIDED_DAYS = 30
ACCESS_LOG_DAYS = 5 * 365 + 1  # five years, see the module docstring
DECIDED = (
    ItemStatus.JOURNALISED,
    ItemStatus.ASSIGNED,
    ItemStatus.REJECTED,
    ItemStatus.FORWARDED,
)
BATCH = 200  # items per write transaction
LOG_BATCH = 5000  # access-log rows per write transaction


@dataclass(frozen=True, slots=True)
class PurgeResult:
    items: int
    blobs: int
    log_rows: int
    files: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _open_decision() -> ColumnElement[bool]:
    """An outbox entry the item still depends on: not yet sent, or sent but the outcome is not
    yet recorded on the gateway (the outbox worker reads the item row for that)."""
    recorded = text("outbox.gateway_recorded_at IS NULL")  # column from revision c0002
    return exists().where(
        OUTBOX.c.item_id == ITEMS.c.id,
        or_(
            OUTBOX.c.status.in_(OutboxStatus.OPEN),
            and_(OUTBOX.c.status == OutboxStatus.DELIVERED, recorded),
        ),
    )


def _purgeable(cutoff: datetime) -> ColumnElement[bool]:
    decided_at = func.coalesce(
        ITEMS.c.status_changed_at, ITEMS.c.received_at, type_=ITEMS.c.received_at.type
    )
    return and_(ITEMS.c.status.in_(DECIDED), decided_at < cutoff, ~_open_decision())


def purge(
    db: Database,
    now: datetime | None = None,
    *,
    decided_days: int = DECIDED_DAYS,
    access_log_days: int = ACCESS_LOG_DAYS,
    dry_run: bool = False,
) -> PurgeResult:
    """Apply the retention policy once; returns what was (or, with dry_run, would be) removed."""
    if decided_days < 0 or access_log_days < 0:
        raise ValueError("Antal dage kan ikke være negativt")
    now = now or datetime.now(UTC)
    item_cutoff = _naive_utc(now - timedelta(days=decided_days))
    log_cutoff = _naive_utc(now - timedelta(days=access_log_days))
    if dry_run:
        return _count(db, item_cutoff, log_cutoff)

    items = blobs = files = log_rows = 0
    with db.engine.connect() as conn:
        previous = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
        conn.exec_driver_sql("PRAGMA secure_delete=ON")
        conn.commit()
        try:
            while True:
                n_items, n_blobs, n_files = _purge_item_batch(conn, item_cutoff)
                items, blobs, files = items + n_items, blobs + n_blobs, files + n_files
                if n_items < BATCH:
                    break
            if items:
                # Merge the full-text index so deleted bodies leave no old segments behind.
                conn.exec_driver_sql("INSERT INTO items_fts(items_fts) VALUES('optimize')")
                conn.commit()
            while True:
                n = _purge_log_batch(conn, log_cutoff)
                log_rows += n
                if n < LOG_BATCH:
                    break
            _release_space(conn)
        finally:
            conn.rollback()
            conn.exec_driver_sql(f"PRAGMA secure_delete={int(previous or 0)}")
            conn.commit()
    if items or log_rows:
        log.info("retention: purged %d items, %d blobs, %d access-log rows", items, blobs, log_rows)
    return PurgeResult(items=items, blobs=blobs, log_rows=log_rows, files=files)


def _purge_item_batch(conn: Connection, cutoff: datetime) -> tuple[int, int, int]:
    """One short write transaction: up to BATCH purgeable items and everything hanging off them."""
    # A no-op write first, so the transaction holds SQLite's write lock before we choose the
    # ids: nothing can enqueue a decision for them between the choice and the deletes.
    conn.exec_driver_sql("DELETE FROM items WHERE 0")
    ids = list(
        conn.execute(
            select(ITEMS.c.id).where(_purgeable(cutoff)).order_by(ITEMS.c.id).limit(BATCH)
        ).scalars()
    )
    if not ids:
        conn.commit()
        return 0, 0, 0
    conn.execute(delete(OUTBOX).where(OUTBOX.c.item_id.in_(ids)))  # closed entries only
    n_files = conn.execute(delete(FILES).where(FILES.c.item_id.in_(ids))).rowcount or 0
    n_blobs = conn.execute(delete(BLOBS).where(BLOBS.c.item_id.in_(ids))).rowcount or 0
    conn.execute(
        text("DELETE FROM items_fts WHERE rowid IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    n_items = conn.execute(delete(ITEMS).where(ITEMS.c.id.in_(ids))).rowcount or 0
    conn.commit()
    return int(n_items), int(n_blobs), int(n_files)


def _purge_log_batch(conn: Connection, cutoff: datetime) -> int:
    oldest = select(LOG.c.id).where(LOG.c.at < cutoff).order_by(LOG.c.at).limit(LOG_BATCH)
    n = conn.execute(delete(LOG).where(LOG.c.id.in_(oldest.scalar_subquery()))).rowcount or 0
    conn.commit()
    return int(n)


def _release_space(conn: Connection) -> None:
    """Give freed pages back without VACUUM: incremental vacuum when the file allows it, and a
    passive WAL checkpoint (never waits for readers or blocks writers)."""
    if conn.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2:  # INCREMENTAL
        conn.exec_driver_sql("PRAGMA incremental_vacuum(2000)")
        conn.commit()
    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    conn.commit()


def _count(db: Database, item_cutoff: datetime, log_cutoff: datetime) -> PurgeResult:
    with db.engine.connect() as conn:
        ids = select(ITEMS.c.id).where(_purgeable(item_cutoff)).scalar_subquery()
        items = conn.execute(
            select(func.count()).select_from(ITEMS).where(ITEMS.c.id.in_(ids))
        ).scalar_one()
        blobs = conn.execute(
            select(func.count()).select_from(BLOBS).where(BLOBS.c.item_id.in_(ids))
        ).scalar_one()
        files = conn.execute(
            select(func.count()).select_from(FILES).where(FILES.c.item_id.in_(ids))
        ).scalar_one()
        log_rows = conn.execute(
            select(func.count()).select_from(LOG).where(LOG.c.at < log_cutoff)
        ).scalar_one()
    return PurgeResult(
        items=int(items), blobs=int(blobs), log_rows=int(log_rows), files=int(files), dry_run=True
    )
