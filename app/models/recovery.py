"""Rebuild a damaged client cache without losing anything silently.

The cache is a copy of the gateway's mailbox, except for what only this PC holds: decisions
not yet handed to the gateway (outbox entries pending/sending), the access log and read marks.
`rebuild_cache`:

1. salvages those from the damaged file, row by row where a whole-table read fails, and counts
   what could not be read (nothing is dropped without being counted);
2. moves the damaged file (and its WAL) aside as `<name>.beskadiget-<UTC time>` — still
   encrypted under the same keyring key, for IT to inspect; never deleted here;
3. creates a new, empty cache (cursor 0: the next sync fetches every item again), writes the
   access log back and keeps the salvaged decisions and read marks in `sync_state` (encrypted
   like the rest) until the re-sync has brought their items back: `restore_salvaged`, called at
   the end of every `sync_once`, puts each decision back in the outbox with its original
   decision id (the gateway's idempotency key: a decision that did reach the gateway is not
   delivered twice).

Qt-free; never logs message content, CPR numbers or decision payloads.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlcipher3 import dbapi2

from app import paths
from app.models import crypto, integrity
from app.models.cache import Cache, CacheError, stored_decision
from app.models.crypto import CacheUnreadable
from app.models.db import Database, open_cache
from app.models.integrity import CacheDamaged
from app.models.schema import AccessLog, OutboxStatus, SyncState

log = logging.getLogger("postfordeler.cache.recovery")

DAMAGED_SUFFIX = ".beskadiget-"
SALVAGED_DECISIONS_KEY = "salvaged_decisions"
SALVAGED_READS_KEY = "salvaged_reads"
_PROBE_LIMIT = 200_000  # row ids probed one by one when even max(id) cannot be read
_PROBE_GAP = 2_000  # ...stopping after this many ids in a row that do not exist
_OUTBOX_COLS = ("id", "transaction_id", "item_id", "action", "payload", "user", "created_at")
_LOG_COLS = ("at", "user", "action", "purpose", "subject_key", "detail")
_OPEN = "status IN ('" + "', '".join(OutboxStatus.OPEN) + "')"


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did; every count is of things only this PC held."""

    moved_to: Path | None  # the damaged file, set aside
    readable: bool  # False: the old file could not be read at all (key, salt or page 1)
    decisions_saved: int  # open decisions salvaged (put back in the outbox after the re-sync)
    decisions_lost: int  # outbox rows (or their item) that could not be read
    access_log_saved: int
    access_log_lost: int
    read_marks_saved: int
    read_marks_lost: bool  # the read marks could not be read
    outbox_lost: bool = False  # the outbox as a whole could not be read (how many: unknown)
    access_log_unreadable: bool = False  # the access log as a whole could not be read

    @property
    def lost_anything(self) -> bool:
        return (
            not self.readable
            or self.outbox_lost
            or self.access_log_unreadable
            or self.decisions_lost > 0
            or self.access_log_lost > 0
            or self.read_marks_lost
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "moved_to": str(self.moved_to) if self.moved_to else None,
            "readable": self.readable,
            "decisions_saved": self.decisions_saved,
            "decisions_lost": self.decisions_lost,
            "access_log_saved": self.access_log_saved,
            "access_log_lost": self.access_log_lost,
            "read_marks_saved": self.read_marks_saved,
            "read_marks_lost": self.read_marks_lost,
            "outbox_lost": self.outbox_lost,
            "access_log_unreadable": self.access_log_unreadable,
        }

    def text_da(self) -> str:
        """Plain Danish for the CLI (the UI words it through its translations)."""
        parts = [
            (
                "Den lokale kopi af posten er lagt til side og bygget op på ny; posten hentes "
                "igen fra postserveren."
            )
        ]
        if self.moved_to is not None:
            parts.append(f"Den beskadigede kopi er lagt til side som {self.moved_to.name}.")
        if not self.readable:
            parts.append(
                "Den gamle kopi kunne slet ikke læses: beslutninger, der ikke var sendt fra "
                "denne computer, og adgangsloggen kunne ikke reddes."
            )
        elif self.outbox_lost:
            parts.append(
                "Udbakken kunne ikke læses: beslutninger, der ikke var sendt fra denne "
                "computer, kunne ikke reddes."
            )
        else:
            parts.append(f"{self.decisions_saved} beslutning(er), der ikke var sendt, er reddet.")
            if self.decisions_lost:
                parts.append(
                    f"{self.decisions_lost} post(er) i udbakken kunne ikke læses og er tabt; "
                    "kontrollér de seneste beslutninger."
                )
        if self.readable and self.access_log_unreadable:
            parts.append("Adgangsloggen kunne ikke læses og er tabt.")
        if self.readable:
            if self.access_log_lost:
                parts.append(
                    f"{self.access_log_lost} linje(r) i adgangsloggen kunne ikke læses "
                    f"({self.access_log_saved} er reddet)."
                )
            if self.read_marks_lost:
                parts.append("Markeringer af læste meddelelser kunne ikke reddes.")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class _Salvage:
    decisions: list[dict[str, Any]]
    decisions_lost: int
    outbox_lost: bool
    access_log: list[dict[str, Any]]
    access_log_lost: int
    log_lost: bool
    reads: list[str]
    reads_lost: bool


# SQLCipher answers SQLITE_NOMEM (MemoryError) on a connection that met a failed page
_READ_ERRORS: tuple[type[BaseException], ...] = (dbapi2.DatabaseError, MemoryError)


def _rows(
    con: Any, table: str, cols: Sequence[str], where: str = ""
) -> tuple[list[tuple[Any, ...]], int, bool]:
    """Every row of `table` (by rowid order), or — when a whole-table read meets damage — row
    by row: (rows, row ids that could not be read, the table could not be read at all)."""
    names = ", ".join(f'"{c}"' for c in cols)
    cond = f"WHERE {where}" if where else ""
    try:
        whole = [tuple(r) for r in con.execute(f"SELECT {names} FROM {table} {cond} ORDER BY id")]
        return whole, 0, False
    except _READ_ERRORS:
        pass
    try:
        top = int(con.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0)
        bounded = True
    except _READ_ERRORS:
        top, bounded = _PROBE_LIMIT, False
    one = f"SELECT {names} FROM {table} WHERE id = ?" + (f" AND ({where})" if where else "")
    rows: list[tuple[Any, ...]] = []
    bad = gap = 0
    for rid in range(1, top + 1):
        try:
            row = con.execute(one, (rid,)).fetchone()
        except _READ_ERRORS:
            bad += 1
            row = None
        if row is None:
            gap += 1  # a run of ids that neither exist nor read: past the end
            if not bounded and gap > _PROBE_GAP:
                break
            continue
        gap = 0
        rows.append(tuple(row))
    if not bounded and not rows:
        return [], 0, True  # not one row readable: the table as a whole is lost
    if not bounded:
        bad = max(0, bad - gap)  # the trailing run was past the end, not damage
    return rows, bad, False


def _salvage(path: Path, key: bytes | None) -> _Salvage:
    con = crypto.keyed_connect(path, key, check_same_thread=False, timeout=10.0)
    try:
        outbox, out_bad, out_lost = _rows(con, "outbox", _OUTBOX_COLS, _OPEN)
        decisions: list[dict[str, Any]] = []
        for row in outbox:
            entry = dict(zip(_OUTBOX_COLS, row, strict=True))
            try:
                found = con.execute(
                    "SELECT message_uuid FROM items WHERE id = ?", (entry["item_id"],)
                ).fetchone()
            except _READ_ERRORS:
                found = None
            if found is None:
                out_bad += 1  # the decision without its message cannot be put back
                continue
            entry["message_uuid"] = str(found[0]).lower()
            entry["created_at"] = None if entry["created_at"] is None else str(entry["created_at"])
            del entry["id"], entry["item_id"]
            decisions.append(entry)
        logged, log_bad, log_lost = _rows(con, "access_log", ("id", *_LOG_COLS))
        access = [dict(zip(_LOG_COLS, row[1:], strict=True)) for row in logged]
        try:
            reads = [
                str(r[0]).lower() for r in con.execute("SELECT message_uuid FROM items WHERE read")
            ]
            reads_lost = False
        except _READ_ERRORS:
            reads, reads_lost = [], True
    finally:
        con.close()
    return _Salvage(decisions, out_bad, out_lost, access, log_bad, log_lost, reads, reads_lost)


def _move_aside(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}-{n}")
    os.replace(path, target)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        os.replace(wal, target.with_name(target.name + "-wal"))
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    integrity.damage_marker(path).unlink(missing_ok=True)  # the new cache starts sound
    return target


def _db_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def rebuild_cache(path: Path | None = None) -> tuple[Database, RebuildReport]:
    """Salvage what only this PC holds, move the cache file aside, open a new one (see the
    module docstring). The caller then syncs: every item is fetched again."""
    path = Path(path) if path else paths.client_db_path()
    readable = True
    salvage = _Salvage([], 0, False, [], 0, False, [], False)
    if path.exists() and path.stat().st_size > 0:
        try:
            key = crypto.load_cache_key(path, create=False)
            if key is None and not crypto.is_plain_sqlite(path):
                raise CacheUnreadable(crypto.KEY_MISSING_MESSAGE)
            salvage = _salvage(path, key)
            readable = not (salvage.outbox_lost and salvage.log_lost and salvage.reads_lost)
        except Exception as exc:  # the key does not fit, or the file is unreadable throughout
            log.warning("nothing could be salvaged from the damaged cache: %s", type(exc).__name__)
            readable = False
    moved = _move_aside(path) if path.exists() else None
    db = open_cache(path, check=False)
    with db.engine.begin() as conn:
        if salvage.access_log:
            rows = [{**r, "at": _db_time(r["at"]), "item_id": None} for r in salvage.access_log]
            conn.execute(insert(AccessLog.__table__), rows)  # type: ignore[arg-type]
        for key_name, value in (
            (SALVAGED_DECISIONS_KEY, salvage.decisions),
            (SALVAGED_READS_KEY, salvage.reads),
        ):
            if value:
                conn.execute(
                    insert(SyncState.__table__),  # type: ignore[arg-type]
                    {"key": key_name, "value": json.dumps(value, ensure_ascii=False)},
                )
    report = RebuildReport(
        moved_to=moved,
        readable=readable,
        decisions_saved=len(salvage.decisions),
        decisions_lost=salvage.decisions_lost,
        access_log_saved=len(salvage.access_log),
        access_log_lost=salvage.access_log_lost,
        read_marks_saved=len(salvage.reads),
        read_marks_lost=salvage.reads_lost,
        outbox_lost=salvage.outbox_lost,
        access_log_unreadable=salvage.log_lost,
    )
    log.warning(
        "client cache rebuilt: %d decisions salvaged, %d lost; %d access-log rows salvaged, %d lost",
        report.decisions_saved,
        report.decisions_lost,
        report.access_log_saved,
        report.access_log_lost,
    )
    return db, report


def open_cache_recovering(path: Path | None = None) -> tuple[Database, RebuildReport | None]:
    """`open_cache`, rebuilding a damaged cache (`CacheDamaged`) instead of refusing."""
    try:
        return open_cache(path), None
    except CacheDamaged:
        return rebuild_cache(path)


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored: int  # decisions back in the outbox (or already held by the gateway)
    waiting: int  # decisions whose item the re-sync has not brought back yet


def _state(conn: Any, key: str) -> list[Any]:
    raw = conn.execute(select(SyncState.value).where(SyncState.key == key)).scalar()
    return list(json.loads(raw)) if raw else []


def _put_state(conn: Any, key: str, value: list[Any]) -> None:
    if value:
        conn.execute(
            text(
                "INSERT INTO sync_state(key, value) VALUES (:k, :v) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            ),
            {"k": key, "v": json.dumps(value, ensure_ascii=False)},
        )
    else:
        conn.execute(text("DELETE FROM sync_state WHERE key = :k"), {"k": key})


def salvaged_waiting(cache: Cache) -> int:
    """Salvaged decisions not yet back in the outbox."""
    with cache.engine.connect() as conn:
        return len(_state(conn, SALVAGED_DECISIONS_KEY))


def restore_salvaged(cache: Cache) -> RestoreResult:
    """Put salvaged decisions back in the outbox and re-apply read marks, for every item the
    re-sync has brought back; the rest keep waiting (run on the DbWorker thread)."""
    with cache.engine.connect() as conn:
        decisions = _state(conn, SALVAGED_DECISIONS_KEY)
        reads = _state(conn, SALVAGED_READS_KEY)
    if not decisions and not reads:
        return RestoreResult(0, 0)
    waiting: list[dict[str, Any]] = []
    restored = 0
    for entry in decisions:
        item_id = cache.item_id_for_uuid(entry["message_uuid"])
        if item_id is None:
            waiting.append(entry)
            continue
        if cache.delivery(item_id).decision_id == entry["transaction_id"]:
            restored += 1  # the gateway already holds it (the sync said so)
            continue
        try:
            decision = stored_decision(entry["action"], entry["payload"])
            cache.enqueue(item_id, decision, entry["user"], decision_id=entry["transaction_id"])
            restored += 1
        except CacheError as exc:
            # a newer decision on the item is already open: that one wins; say so in the log
            log.warning("a salvaged decision was not put back: %s", type(exc).__name__)
            restored += 1
    left_reads: list[str] = []
    for message_uuid in reads:
        item_id = cache.item_id_for_uuid(message_uuid)
        if item_id is None:
            left_reads.append(message_uuid)
        else:
            cache.mark_read(item_id, True)
    with cache.engine.begin() as conn:
        _put_state(conn, SALVAGED_DECISIONS_KEY, waiting)
        _put_state(conn, SALVAGED_READS_KEY, left_reads)
    if restored:
        log.info("%d salvaged decisions are back in the outbox", restored)
    return RestoreResult(restored, len(waiting))
