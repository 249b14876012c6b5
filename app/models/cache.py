"""The client cache's write and read API (synchronous; run it on the `DbWorker` thread).

`Cache` owns every write to the local SQLite cache: ingesting synced pages (items, raw MeMo
blobs, file rows, the facts of each message's one parse, full-text rows and the mailbox cursor in
ONE transaction, so a crash at any moment leaves either the whole page and its cursor or
neither), the outbox state machine (pending → sending → delivered / rejected, or cancelled by
undo), suggestions and read marks.

Reads never parse a MeMo: `facts` returns what the parse at ingest extracted (header, file
index, texts, candidates), `file_bytes` / `delivery_source` stream each file's base64 text out of
the stored raw blob (incremental blob I/O at the span recorded at ingest), decode it and check
its sha256. Big items are stored by `ingest_big` with the blob streamed from a file.

Bulk paths use SQLAlchemy Core `insert()` executemany, never ORM objects, so ingest runs at
thousands of messages per second. `received_at` is the gateway's receipt time and is never
changed after insert. This module must never do network I/O, never import Qt, and never log
message content or CPR numbers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import (
    Connection,
    Table,
    func,
    insert,
    select,
    text,
    update,
)

from app.decisions import (
    Assign,
    Decision,
    DecisionError,
    Forward,
    Journalise,
    JournalNote,
    Reject,
    decision_from_json,
)
from app.hashing import file_size_sha256
from app.models.db import Database
from app.models.schema import (
    DeliveryState,
    Item,
    ItemBlob,
    ItemFacts,
    ItemFile,
    ItemFileData,
    ItemStatus,
    OutboxEntry,
    OutboxStatus,
    SyncState,
)
from app.sf1606.memo import decode_file_base64
from app.sf1606.model import MemoError, MemoFile, MemoMessage
from app.sf1606.stored import IngestMessage, MessageFacts, facts_from_json, facts_to_json

if TYPE_CHECKING:  # pragma: no cover
    from app.sf1606.mailbox_client import MailboxItem

log = logging.getLogger("postfordeler.cache")

ITEMS = cast(Table, Item.__table__)
BLOBS = cast(Table, ItemBlob.__table__)
FACTS = cast(Table, ItemFacts.__table__)
FILE_DATA = cast(Table, ItemFileData.__table__)
FILES = cast(Table, ItemFile.__table__)
OUTBOX = cast(Table, OutboxEntry.__table__)
STATE = cast(Table, SyncState.__table__)
BLOB_CHUNK = 1 << 20  # bytes per incremental blob write when a big item streams in
CURSOR_KEY = "mailbox_cursor"
FACTS_BACKFILLED_KEY = "facts_backfilled"
QUARANTINE_KIND = "ukendt"  # kind of an item the client could not read (see ingest)

# Item status once an action is delivered (a journal note on its own: the item is on the case).
DONE_STATUS = {
    Journalise.action: ItemStatus.JOURNALISED,
    Assign.action: ItemStatus.ASSIGNED,
    Reject.action: ItemStatus.REJECTED,
    Forward.action: ItemStatus.FORWARDED,
    JournalNote.action: ItemStatus.JOURNALISED,
}
DECISION_TYPES = (Journalise, Assign, Reject, Forward, JournalNote)
# The delivery states in which an item is back with the distributor (a new decision allowed).
REOPENED_STATES = DeliveryState.REOPENED


class CacheError(Exception):
    """A request the cache refuses (unknown item, open decision, unreadable stored decision).
    `str()` is Danish."""


class ItemLike(Protocol):  # the fields of app.sf1606.mailbox_client.MailboxItem we use
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    memo: bytes


Parsed = IngestMessage | MemoError  # one item's parse result, as `Cache.ingest` stores it


@dataclass(frozen=True, slots=True)
class DeliverySource:
    """What delivering a decision needs of a cached message: the stored header (no parse) and
    each file with its bytes (read from the raw blob, sha256-checked), in message order."""

    header: MemoMessage
    files: tuple[tuple[MemoFile, bytes], ...]


@dataclass(frozen=True, slots=True)
class IngestResult:
    new: int
    duplicates: int
    quarantined: int = 0


@dataclass(frozen=True, slots=True)
class OutboxTask:
    """An outbox entry taken for delivery (status is now "sending")."""

    id: int
    transaction_id: str  # AnvenderTransaktionsID: the idempotency key of the delivery
    item_id: int
    decision: Decision
    user: str
    attempts: int
    delivered: bool = False  # True: SF2900 part done, only the gateway record is missing

    @property
    def action(self) -> str:
        return self.decision.action


@dataclass(frozen=True, slots=True)
class QueuedDecision:
    """What `Cache.decide` did: the outbox entry, its decision id, and whether an identical
    pending or delivered decision on the item was reused (then nothing new was queued)."""

    outbox_id: int
    decision_id: str
    reused: bool
    state: str  # the item's delivery state now


@dataclass(frozen=True, slots=True)
class RemoteState:
    """An item's delivery state as the gateway reports it (POST /decisions, status, sync)."""

    state: str
    decision: str | None = None  # action name
    reason: str | None = None
    decision_id: str | None = None
    follow_up: bool = False


def item_status_for(state: str, action: str | None, current: str) -> str:
    """The item's inbox status (`ItemStatus`) for a delivery state: a decision the gateway holds
    is done for the distributor (journaliseret, fordelt, videresendt); the distributor's Afvis
    is "afvist"; DUBU's AFVIST puts the item back in the queue ("ny"); a failure is "fejlet";
    "lokal" is still "afventer"; "ny" leaves the status as it is."""
    if state == DeliveryState.LOCAL:
        return ItemStatus.PENDING
    if state == DeliveryState.CLOSED:
        return ItemStatus.REJECTED
    if state == DeliveryState.DUBU_REJECTED:
        return ItemStatus.NEW
    if state == DeliveryState.FAILED:
        return ItemStatus.FAILED
    if state in (DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.ACCEPTED):
        return DONE_STATUS.get(action or "", current)
    return current


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    transaction_id: str
    item_id: int
    decision: Decision
    user: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    receipt: dict[str, Any] | None
    gateway_recorded_at: datetime | None

    @property
    def action(self) -> str:
        return self.decision.action


def utcnow() -> datetime:
    return datetime.now(UTC)


def db_utc(value: datetime | None) -> datetime | None:
    """Normalise to naive UTC for storage (SQLite keeps no offset); read back with `as_utc`."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def as_utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Cache:
    """All writes (and the blob reads) of the client cache. Thread-affine by convention: call it
    from the single `DbWorker` thread; reads are safe from any thread (SQLite WAL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    # ------------------------------------------------------------------ ingest / cursor

    def cursor(self) -> int:
        with self.engine.connect() as conn:
            return self._cursor(conn)

    @staticmethod
    def _cursor(conn: Connection) -> int:
        value = conn.execute(select(STATE.c.value).where(STATE.c.key == CURSOR_KEY)).scalar()
        return int(value) if value is not None else 0

    @staticmethod
    def _set_cursor(conn: Connection, value: int) -> None:
        conn.execute(
            text(
                "INSERT INTO sync_state(key, value) VALUES (:k, :v) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value "
                "WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)"
            ),
            {"k": CURSOR_KEY, "v": str(int(value))},
        )

    def set_cursor(self, value: int) -> None:
        """Advance the cursor (never moves it backwards)."""
        with self.engine.begin() as conn:
            self._set_cursor(conn, value)

    def ingest(
        self,
        batch: Sequence[tuple[ItemLike | MailboxItem, Parsed]],
        *,
        cursor: int | None = None,
    ) -> IngestResult:
        """Store a synced page in one transaction, together with the cursor.

        Each element pairs the mailbox item with what its one parse produced
        (`IngestMessage`: the facts later steps read instead of parsing again). A `MemoError`
        in its place (the client's reader refused what the gateway accepted, e.g. a newer MeMo
        version) stores the item *quarantined*: kind "ukendt", status "fejlet", the reason in
        `status_note`, the raw bytes kept — nothing is lost and the distributor sees it.
        Items whose message UUID or gateway item id are already cached are counted as duplicates
        and not stored again; the delivery state a listing carries (`delivery_state` etc.) is
        applied to every item of the page, new or already cached (`apply_remote_states`). `cursor` defaults to the highest gateway item id in the batch.

        The blob's sha256 is the item's `sha256` (the gateway's, which the sync checked against
        the bytes before parsing) when the parse succeeded; otherwise it is computed here.
        """
        now = db_utc(utcnow())
        if cursor is None:
            cursor = max((it.item_id for it, _ in batch), default=None)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")  # open the transaction before reading
            uuids = [it.message_uuid.lower() for it, _ in batch]
            gw_ids = [it.item_id for it, _ in batch]
            seen_uuid: set[str] = set()
            seen_gw: set[int] = set()
            for chunk in _chunks(uuids, 500):
                seen_uuid.update(
                    conn.execute(
                        select(ITEMS.c.message_uuid).where(ITEMS.c.message_uuid.in_(chunk))
                    ).scalars()
                )
            for chunk in _chunks(gw_ids, 500):
                seen_gw.update(
                    conn.execute(
                        select(ITEMS.c.gateway_item_id).where(ITEMS.c.gateway_item_id.in_(chunk))
                    ).scalars()
                )
            rows: list[dict[str, Any]] = []
            extras: list[tuple[Any, Parsed]] = []
            duplicates = 0
            quarantined = 0
            for it, parsed in batch:
                key = it.message_uuid.lower()
                if key in seen_uuid or it.item_id in seen_gw:
                    duplicates += 1
                    continue
                seen_uuid.add(key)
                seen_gw.add(it.item_id)
                rows.append(item_row(it, parsed, now, len(it.memo)))
                extras.append((it, parsed))
                if isinstance(parsed, MemoError):
                    quarantined += 1
            if rows:
                ids = (
                    conn.execute(
                        insert(ITEMS).returning(ITEMS.c.id, sort_by_parameter_order=True), rows
                    )
                    .scalars()
                    .all()
                )
                blob_rows = []
                for item_id, (it, parsed) in zip(ids, extras, strict=True):
                    memo: bytes = it.memo
                    digest = getattr(it, "sha256", None)
                    if isinstance(parsed, MemoError) or not digest:
                        digest = hashlib.sha256(memo).hexdigest()
                    blob_rows.append(
                        {"item_id": item_id, "sha256": str(digest).lower(), "memo": memo}
                    )
                conn.execute(insert(BLOBS), blob_rows)
                self._store_parsed(conn, list(zip(ids, rows, (p for _, p in extras), strict=True)))
            for it, _ in batch:  # delivery states, of new items and of ones listed again
                self._apply_remote(conn, it, now)
            if cursor is not None:
                self._set_cursor(conn, cursor)
        return IngestResult(new=len(rows), duplicates=duplicates, quarantined=quarantined)

    @staticmethod
    def _store_parsed(conn: Connection, stored: list[tuple[int, dict[str, Any], Parsed]]) -> None:
        """File rows, facts, loose file bytes and full-text rows of freshly inserted items."""
        file_rows: list[dict[str, Any]] = []
        fact_rows: list[dict[str, Any]] = []
        loose_rows: list[dict[str, Any]] = []
        fts_rows: list[dict[str, Any]] = []
        for item_id, row, parsed in stored:
            body = ""
            if isinstance(parsed, IngestMessage):
                facts = parsed.facts
                for pos, f in enumerate(facts.files):
                    file_rows.append(
                        {
                            "item_id": item_id,
                            "position": pos,
                            "role": str(f.role),
                            "mime": f.mime[:128],
                            "filename": f.filename,
                            "safe_filename": f.safe_filename,
                            "size": f.size,
                            "sha256": f.sha256,
                        }
                    )
                fact_rows.append(
                    {
                        "item_id": item_id,
                        "facts": facts_to_json(facts),
                        "pdf_pending": facts.pdf_pending,
                    }
                )
                loose_rows.extend(
                    {"item_id": item_id, "position": pos, "content": content}
                    for pos, content in parsed.loose_files
                )
                body = facts.body_text
            fts_rows.append(
                {"rowid": item_id, "s": row["sender_label"], "l": row["label"], "b": body}
            )
        if file_rows:
            conn.execute(insert(FILES), file_rows)
        if fact_rows:
            conn.execute(insert(FACTS), fact_rows)
        if loose_rows:
            conn.execute(insert(FILE_DATA), loose_rows)
        conn.execute(
            text(
                "INSERT INTO items_fts(rowid, sender_label, label, body) VALUES (:rowid, :s, :l, :b)"
            ),
            fts_rows,
        )

    def ingest_big(
        self,
        item: ItemLike | MailboxItem,
        path: Path,
        parsed: Parsed,
        *,
        cursor: int | None = None,
    ) -> IngestResult:
        """Store one big item like `ingest([(item, parsed)], cursor=...)` does, but stream its
        raw MeMo from the file at `path` into the blob (`zeroblob` + incremental blob I/O, 1 MB
        at a time: never held in memory). Same rows as `ingest`; one transaction; blocking (run
        it on the DbWorker thread). `item.memo` is not read (it is empty for a big item)."""
        path = Path(path)
        size, digest = file_size_sha256(path)
        now = db_utc(utcnow())
        cursor = int(item.item_id) if cursor is None else cursor
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")  # open the transaction before reading
            known = conn.execute(
                select(ITEMS.c.id).where(
                    (ITEMS.c.message_uuid == item.message_uuid.lower())
                    | (ITEMS.c.gateway_item_id == int(item.item_id))
                )
            ).first()
            if known is not None:
                self._apply_remote(conn, item, now)
                self._set_cursor(conn, cursor)
                return IngestResult(new=0, duplicates=1)
            row = item_row(item, parsed, now, size)
            item_id = conn.execute(insert(ITEMS).returning(ITEMS.c.id), [row]).scalar_one()
            conn.execute(
                insert(BLOBS).values(item_id=item_id, sha256=digest, memo=func.zeroblob(size))
            )
            with (
                open_blob(conn, "item_blobs", "memo", item_id, readonly=False) as blob,
                path.open("rb") as fh,
            ):
                while piece := fh.read(BLOB_CHUNK):
                    blob.write(piece)
            self._store_parsed(conn, [(item_id, row, parsed)])
            self._apply_remote(conn, item, now)
            self._set_cursor(conn, cursor)
        quarantined = 1 if isinstance(parsed, MemoError) else 0
        return IngestResult(new=1, duplicates=0, quarantined=quarantined)

    def facts_backfilled(self) -> bool:
        """True once every item cached before revision f0005 has its facts (see below)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(STATE.c.value).where(STATE.c.key == FACTS_BACKFILLED_KEY)
            ).scalar()
        return value == "1"

    def items_without_facts(self, limit: int = 200) -> list[tuple[int, bytes]]:
        """(item id, raw MeMo) of readable items cached before facts were stored (revision
        f0005), for the one-time backfill (`app.core.sync.backfill_facts`). When none is left
        the backfill is marked done (`facts_backfilled`), so the scan runs once per cache."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(ITEMS.c.id, BLOBS.c.memo)
                .join(BLOBS, BLOBS.c.item_id == ITEMS.c.id)
                .outerjoin(FACTS, FACTS.c.item_id == ITEMS.c.id)
                .where(FACTS.c.item_id.is_(None), ITEMS.c.kind != QUARANTINE_KIND)
                .order_by(ITEMS.c.id)
                .limit(limit)
            ).all()
            if not rows:
                conn.execute(
                    text(
                        "INSERT INTO sync_state(key, value) VALUES (:k, '1') "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                    ),
                    {"k": FACTS_BACKFILLED_KEY},
                )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def store_facts(self, item_id: int, parsed: Parsed) -> None:
        """Backfill: the facts (and loose file bytes) of an item cached before they were stored.
        A `MemoError` marks the item quarantined, as `ingest` would have."""
        with self.engine.begin() as conn:
            if isinstance(parsed, MemoError):
                conn.execute(
                    update(ITEMS)
                    .where(ITEMS.c.id == item_id)
                    .values(
                        kind=QUARANTINE_KIND,
                        status=ItemStatus.FAILED,
                        status_changed_at=db_utc(utcnow()),
                        status_note=f"Meddelelsen kunne ikke læses: {parsed.reason}",
                    )
                )
                return
            conn.execute(insert(FACTS).values(item_id=item_id, facts=facts_to_json(parsed.facts)))
            if parsed.loose_files:
                conn.execute(
                    insert(FILE_DATA),
                    [
                        {"item_id": item_id, "position": pos, "content": content}
                        for pos, content in parsed.loose_files
                    ],
                )

    def known_gateway_ids(self, ids: Iterable[int]) -> set[int]:
        ids = list(ids)
        out: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(ids, 500):
                out.update(
                    conn.execute(
                        select(ITEMS.c.gateway_item_id).where(ITEMS.c.gateway_item_id.in_(chunk))
                    ).scalars()
                )
        return out

    # ------------------------------------------------------------------ reads

    def item_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ITEMS)).scalar_one())

    def cached_uuids(self, message_uuids: Iterable[str]) -> set[str]:
        """Which of these message UUIDs (lower case) the cache already holds."""
        wanted = sorted({str(u).lower() for u in message_uuids})
        if not wanted:
            return set()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ITEMS.c.message_uuid).where(ITEMS.c.message_uuid.in_(wanted))
            ).scalars()
            return {str(u) for u in rows}

    def item_id_for_uuid(self, message_uuid: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(ITEMS.c.id).where(ITEMS.c.message_uuid == message_uuid.lower())
            ).scalar()

    def item(self, item_id: int) -> dict[str, Any]:
        """The item row as a plain dict (times as UTC-aware datetimes)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(ITEMS).where(ITEMS.c.id == item_id)).mappings().first()
        if row is None:
            raise CacheError(f"Ukendt element {item_id}")
        out = dict(row)
        for key in (
            "received_at",
            "created_at",
            "synced_at",
            "status_changed_at",
            "suggested_at",
            "claim_expires_at",
        ):
            out[key] = as_utc(out[key])
        return out

    def memo_bytes(self, item_id: int) -> bytes:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(BLOBS.c.memo, BLOBS.c.sha256).where(BLOBS.c.item_id == item_id)
            ).first()
        if row is None:
            raise CacheError(f"Ukendt element {item_id}")
        memo, digest = bytes(row[0]), row[1]
        if hashlib.sha256(memo).hexdigest() != digest:
            raise CacheError("Den gemte meddelelse er beskadiget (kontrolsum passer ikke)")
        return memo

    def pdf_pending_facts(self, limit: int = 50) -> list[tuple[int, MessageFacts]]:
        """(item id, facts) of items whose PDF text is still to be extracted, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(FACTS.c.item_id, FACTS.c.facts)
                .where(FACTS.c.pdf_pending.is_(True))
                .order_by(FACTS.c.item_id)
                .limit(limit)
            ).all()
        return [(int(r[0]), facts_from_json(r[1])) for r in rows]

    def complete_facts(self, completed: Sequence[tuple[int, MessageFacts]]) -> None:
        """Store facts completed with their PDF text (see `pdf_pending_facts`)."""
        if not completed:
            return
        with self.engine.begin() as conn:
            for item_id, facts in completed:
                conn.execute(
                    update(FACTS)
                    .where(FACTS.c.item_id == item_id)
                    .values(facts=facts_to_json(facts), pdf_pending=facts.pdf_pending)
                )

    def facts(self, item_id: int) -> MessageFacts:
        """What the one parse at ingest extracted (header, file index, texts, candidates).
        Never parses. CacheError for an unknown or quarantined item."""
        with self.engine.connect() as conn:
            return self._facts(conn, item_id)

    @staticmethod
    def _facts(conn: Connection, item_id: int) -> MessageFacts:
        value = conn.execute(select(FACTS.c.facts).where(FACTS.c.item_id == item_id)).scalar()
        if value is None:
            raise CacheError(f"Elementet {item_id} har ingen læsbar meddelelse")
        return facts_from_json(value)

    def message(self, item_id: int) -> MemoMessage:
        """The stored header of the message (files without bytes; see `file_bytes`)."""
        return self.facts(item_id).header

    def file_bytes(self, item_id: int, position: int) -> bytes:
        """One file's decoded bytes, streamed from the stored raw message (sha256-checked)."""
        with self.engine.connect() as conn:
            files = self._facts(conn, item_id).files
            if not 0 <= position < len(files):
                raise CacheError(f"Elementet har ingen fil nr. {position}")
            return self._file_bytes(conn, item_id, position, files[position])

    def delivery_source(self, item_id: int) -> DeliverySource:
        """The stored header and every file's bytes, for delivering a decision (no parse)."""
        with self.engine.connect() as conn:
            facts = self._facts(conn, item_id)
            files = tuple(
                (f, self._file_bytes(conn, item_id, pos, f)) for pos, f in enumerate(facts.files)
            )
        return DeliverySource(facts.header, files)

    @staticmethod
    def _file_bytes(conn: Connection, item_id: int, position: int, f: MemoFile) -> bytes:
        if f.span is None:
            data = conn.execute(
                select(FILE_DATA.c.content).where(
                    FILE_DATA.c.item_id == item_id, FILE_DATA.c.position == position
                )
            ).scalar()
            if data is None:
                raise CacheError("Filen blev ikke gemt og kan ikke hentes")
            content = bytes(data)
        else:
            offset, length = f.span
            with open_blob(conn, "item_blobs", "memo", item_id) as blob:
                blob.seek(offset)
                encoded = blob.read(length)
            try:
                content = decode_file_base64(encoded)
            except MemoError:
                raise CacheError("Den gemte fil er beskadiget (ugyldig base64)") from None
        if len(content) != f.size or hashlib.sha256(content).hexdigest() != f.sha256:
            raise CacheError("Den gemte fil er beskadiget (kontrolsum passer ikke)")
        return content

    def files(self, item_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(FILES).where(FILES.c.item_id == item_id).order_by(FILES.c.position)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def search(self, query: str, limit: int = 100) -> list[int]:
        """Full-text search (sender, subject, body); returns item ids, best match first."""
        terms = [t for t in query.replace('"', " ").split() if t]
        if not terms:
            return []
        match = " ".join(f'"{t}"*' for t in terms)
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT rowid FROM items_fts WHERE items_fts MATCH :q ORDER BY rank LIMIT :n"
                    ),
                    {"q": match, "n": limit},
                ).scalars()
            )

    # ------------------------------------------------------------------ small updates

    def set_suggestion(
        self,
        item_id: int,
        case_id: str | None,
        case_number: str | None,
        score: float | None,
        misrouted: bool = False,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ITEMS)
                .where(ITEMS.c.id == item_id)
                .values(
                    suggested_case_id=case_id,
                    suggested_case_number=case_number,
                    suggested_score=score,
                    misrouted=bool(misrouted),
                    suggested_at=db_utc(utcnow()),
                )
            )

    def mark_read(self, item_id: int, read: bool = True) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(read=bool(read)))

    def set_claim(self, item_id: int, claimed_by: str | None, expires_at: datetime | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ITEMS)
                .where(ITEMS.c.id == item_id)
                .values(claimed_by=claimed_by, claim_expires_at=db_utc(expires_at))
            )

    def apply_claims(self, claims: Sequence[tuple[int, str, datetime]]) -> int:
        """Mirror the gateway's current claims (gateway item id, user, expiry) onto the cache:
        items in the list get their holder, every other item loses a stale one. Returns the
        number of items claimed."""
        held = {int(gid): (user, db_utc(expires)) for gid, user, expires in claims}
        with self.engine.begin() as conn:
            conn.execute(
                update(ITEMS)
                .where(ITEMS.c.claimed_by.is_not(None))
                .where(ITEMS.c.gateway_item_id.not_in(list(held) or [-1]))
                .values(claimed_by=None, claim_expires_at=None)
            )
            for gid, (user, expires) in held.items():
                conn.execute(
                    update(ITEMS)
                    .where(ITEMS.c.gateway_item_id == gid)
                    .values(claimed_by=user, claim_expires_at=expires)
                )
        return len(held)

    # ------------------------------------------------------------------ outbox

    def enqueue(
        self,
        item_id: int,
        decision: Decision,
        user: str,
        *,
        decision_id: str | None = None,
        hold_s: float = 0.0,
    ) -> int:
        """Write a decision to the outbox and mark the item "afventer" (delivery state "lokal"),
        atomically.

        The decision was validated when it was made (`app.decisions`); the row stores its
        `to_json()` (with its version) and a fresh transaction id, the delivery's idempotency
        key (`decision_id` when given, else a fresh uuid4). Refuses (CacheError) something that
        is not a decision, an unknown item or an item that already has an open (pending/sending)
        decision. Returns the outbox id.

        `hold_s`: the entry is not due before that many seconds (the UI's undo window: the
        distributor can still take the decision back, `undo`, before anything leaves the PC).
        """
        if not isinstance(decision, DECISION_TYPES):
            raise CacheError(f"Ukendt handling: {type(decision).__name__}")
        now = db_utc(utcnow())
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
            exists = conn.execute(select(ITEMS.c.id).where(ITEMS.c.id == item_id)).scalar()
            if exists is None:
                raise CacheError(f"Ukendt element {item_id}")
            open_entry = conn.execute(
                select(OUTBOX.c.id).where(
                    OUTBOX.c.item_id == item_id, OUTBOX.c.status.in_(OutboxStatus.OPEN)
                )
            ).scalar()
            if open_entry is not None:
                raise CacheError(
                    "Elementet har allerede en beslutning, der venter på at blive sendt"
                )
            outbox_id = conn.execute(
                insert(OUTBOX).returning(OUTBOX.c.id),
                {
                    "transaction_id": decision_id or str(uuid.uuid4()),
                    "item_id": item_id,
                    "action": decision.action,
                    "payload": json.dumps(decision.to_json(), ensure_ascii=False, sort_keys=True),
                    "user": user,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": db_utc(utcnow() + timedelta(seconds=hold_s))
                    if hold_s > 0
                    else None,
                },
            ).scalar_one()
            transaction_id = conn.execute(
                select(OUTBOX.c.transaction_id).where(OUTBOX.c.id == outbox_id)
            ).scalar_one()
            values: dict[str, Any] = {
                "status": ItemStatus.PENDING,
                "status_changed_at": now,
                "status_note": None,
                "delivery_state": DeliveryState.LOCAL,
                "delivery_reason": None,
                "decision_id": transaction_id,
                "follow_up": False,
            }
            match decision:
                case (
                    Journalise(case_id=case_id, case_number=number)
                    | Assign(case_id=case_id, case_number=number)
                ) if case_id:
                    values["decided_case_id"] = case_id
                    values["decided_case_number"] = number
                case JournalNote(case_id=case_id):
                    values["decided_case_id"] = case_id
                    values["decided_case_number"] = None
            if isinstance(decision, Assign):
                values["assignee_id"] = decision.caseworker_id
                values["assignee_label"] = decision.caseworker_label
            if isinstance(decision, Reject):
                values["status_note"] = decision.reason
            conn.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(**values))
        return int(outbox_id)

    def undo(self, outbox_id: int) -> bool:
        """Cancel a decision that has not left the machine yet.

        Only a pending entry that was never attempted can be undone: once a send was tried, the
        receiver may have it (a timeout is not a "no"), so it must run to its end.
        """
        now = db_utc(utcnow())
        with self.engine.begin() as conn:
            res = conn.execute(
                update(OUTBOX)
                .where(
                    OUTBOX.c.id == outbox_id,
                    OUTBOX.c.status == OutboxStatus.PENDING,
                    OUTBOX.c.attempts == 0,
                )
                .values(status=OutboxStatus.CANCELLED)
                .returning(OUTBOX.c.item_id)
            ).first()
            if res is None:
                return False
            conn.execute(
                update(ITEMS)
                .where(ITEMS.c.id == res[0])
                .values(
                    status=ItemStatus.NEW,
                    status_changed_at=now,
                    status_note=None,
                    decided_case_id=None,
                    decided_case_number=None,
                    assignee_id=None,
                    assignee_label=None,
                    delivery_state=DeliveryState.NEW,
                    delivery_reason=None,
                    decision_id=None,
                    follow_up=False,
                )
            )
        return True

    def outbox_counts(self) -> dict[str, int]:
        """Counts per outbox status plus "open" (pending + sending) and "unrecorded" (delivered
        but not yet recorded on the gateway)."""
        counts = dict.fromkeys(
            (
                OutboxStatus.PENDING,
                OutboxStatus.SENDING,
                OutboxStatus.DELIVERED,
                OutboxStatus.REJECTED,
                OutboxStatus.CANCELLED,
            ),
            0,
        )
        with self.engine.connect() as conn:
            for status, n in conn.execute(
                select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
            ):
                counts[status] = int(n)
            unrecorded = conn.execute(
                select(func.count())
                .select_from(OUTBOX)
                .where(
                    OUTBOX.c.status == OutboxStatus.DELIVERED,
                    OUTBOX.c.gateway_recorded_at.is_(None),
                )
            ).scalar_one()
        counts["open"] = counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING]
        counts["unrecorded"] = int(unrecorded)
        return counts

    def outbox_entries(self, *, item_id: int | None = None) -> list[OutboxRow]:
        stmt = select(OUTBOX)
        if item_id is not None:
            stmt = stmt.where(OUTBOX.c.item_id == item_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(OUTBOX.c.id)).mappings().all()
        return [_outbox_row(r) for r in rows]

    def recover_sending(self) -> int:
        """After a crash: entries left in "sending" go back to "pending" (same transaction id)."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.status == OutboxStatus.SENDING)
                .values(status=OutboxStatus.PENDING, next_attempt_at=None)
            )
            return int(res.rowcount or 0)

    def pending_ids(self) -> list[int]:
        """Ids of every pending outbox entry, oldest first (due or not)."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(OUTBOX.c.id)
                    .where(OUTBOX.c.status == OutboxStatus.PENDING)
                    .order_by(OUTBOX.c.id)
                ).scalars()
            )

    def take(self, outbox_id: int) -> OutboxTask | None:
        """Take this one pending entry for delivery now (due or not): pending → sending,
        attempts + 1. None when it is not pending (delivered, refused, being sent)."""
        return self.next_due(only=outbox_id)

    def next_due(
        self, now: datetime | None = None, *, only: int | None = None
    ) -> OutboxTask | None:
        """Take the oldest due pending entry: pending → sending, attempts + 1, atomically.

        An entry whose stored decision cannot be read (e.g. written by a newer version) is
        never sent: it becomes "rejected" and its item "fejlet" with the reason, so the
        distributor decides again, and the next due entry is taken."""
        now_n = db_utc(now or utcnow())
        with self.engine.begin() as conn:
            while True:
                row = conn.execute(
                    update(OUTBOX)
                    .where(
                        OUTBOX.c.id
                        == select(OUTBOX.c.id)
                        .where(
                            OUTBOX.c.status == OutboxStatus.PENDING,
                            (OUTBOX.c.next_attempt_at.is_(None))
                            | (OUTBOX.c.next_attempt_at <= now_n)
                            if only is None
                            else OUTBOX.c.id == only,
                        )
                        .order_by(OUTBOX.c.id)
                        .limit(1)
                        .scalar_subquery()
                    )
                    .values(status=OutboxStatus.SENDING, attempts=OUTBOX.c.attempts + 1)
                    .returning(
                        OUTBOX.c.id,
                        OUTBOX.c.transaction_id,
                        OUTBOX.c.item_id,
                        OUTBOX.c.action,
                        OUTBOX.c.payload,
                        OUTBOX.c.user,
                        OUTBOX.c.attempts,
                    )
                ).first()
                if row is None:
                    return None
                try:
                    decision = stored_decision(row.action, row.payload)
                except DecisionError as exc:
                    reason = f"Den gemte beslutning kan ikke sendes: {exc}"
                    log.warning("outbox %s: stored decision unreadable; not sent", row.id)
                    conn.execute(
                        update(OUTBOX)
                        .where(OUTBOX.c.id == row.id)
                        .values(status=OutboxStatus.REJECTED, last_error=reason)
                    )
                    conn.execute(
                        update(ITEMS)
                        .where(ITEMS.c.id == row.item_id)
                        .values(
                            status=ItemStatus.FAILED, status_changed_at=now_n, status_note=reason
                        )
                    )
                    continue
                return OutboxTask(
                    id=row.id,
                    transaction_id=row.transaction_id,
                    item_id=row.item_id,
                    decision=decision,
                    user=row.user,
                    attempts=row.attempts,
                )

    def next_wakeup(self) -> datetime | None:
        """When the earliest deferred pending entry becomes due (None if nothing pending)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.min(OUTBOX.c.next_attempt_at)).where(
                    OUTBOX.c.status == OutboxStatus.PENDING
                )
            ).first()
        if not row or not row[0]:
            return None
        return as_utc(row[1]) or utcnow()

    def apply_delivery_result(
        self,
        outbox_id: int,
        *,
        delivered: bool,
        receipt: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """Final outcome of an SF2900 delivery.

        delivered=True: outbox "delivered", item gets its done status (journaliseret, fordelt,
        afvist, videresendt). delivered=False is a business rejection (AFVIST/FEJLET): outbox
        "rejected" with the reason, item "fejlet" with the reason for the distributor. Never
        retried either way.
        """
        now = db_utc(utcnow())
        with self.engine.begin() as conn:
            row = conn.execute(
                select(OUTBOX.c.item_id, OUTBOX.c.action, OUTBOX.c.status).where(
                    OUTBOX.c.id == outbox_id
                )
            ).first()
            if row is None:
                raise CacheError(f"Ukendt udbakkepost {outbox_id}")
            if row.status in (OutboxStatus.DELIVERED, OutboxStatus.REJECTED):
                return  # idempotent
            receipt_json = json.dumps(receipt, ensure_ascii=False, default=str) if receipt else None
            if delivered:
                conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == outbox_id)
                    .values(
                        status=OutboxStatus.DELIVERED,
                        delivered_at=now,
                        receipt=receipt_json,
                        last_error=None,
                        next_attempt_at=None,
                    )
                )
                item_values: dict[str, Any] = {
                    "status": DONE_STATUS[row.action],
                    "status_changed_at": now,
                    "delivery_state": DeliveryState.CLOSED
                    if row.action == Reject.action
                    else DeliveryState.PENDING,
                    "delivery_reason": None,
                }
                if row.action != "reject":
                    item_values["status_note"] = None
            else:
                conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == outbox_id)
                    .values(
                        status=OutboxStatus.REJECTED,
                        receipt=receipt_json,
                        last_error=reason,
                        next_attempt_at=None,
                    )
                )
                item_values = {
                    "status": ItemStatus.FAILED,
                    "status_changed_at": now,
                    "status_note": reason or "Afvist af modtageren",
                    "delivery_state": DeliveryState.FAILED,
                    "delivery_reason": reason or "Afvist af modtageren",
                }
            conn.execute(update(ITEMS).where(ITEMS.c.id == row.item_id).values(**item_values))

    def defer(self, outbox_id: int, error: str, delay_s: float) -> None:
        """A transient failure: back to pending, retried after `delay_s` with the same id."""
        when = db_utc(utcnow() + timedelta(seconds=max(0.0, delay_s)))
        with self.engine.begin() as conn:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == outbox_id, OUTBOX.c.status == OutboxStatus.SENDING)
                .values(status=OutboxStatus.PENDING, last_error=error, next_attempt_at=when)
            )

    # ------------------------------------------------------------------ delivery state

    def decide(self, item_id: int, decision: Decision, user: str) -> QueuedDecision:
        """Queue `decision` for the item like `enqueue`, unless the item's latest decision is the
        same one (same action and payload), still pending or delivered and not sent back by the
        gateway (afvist_af_dubu / fejlet): then that entry and its decision id are reused and
        nothing new is queued, so making the same decision twice is one delivery."""
        if not isinstance(decision, DECISION_TYPES):
            raise CacheError(f"Ukendt handling: {type(decision).__name__}")
        payload = json.dumps(decision.to_json(), ensure_ascii=False, sort_keys=True)
        with self.engine.connect() as conn:
            latest = conn.execute(
                select(
                    OUTBOX.c.id,
                    OUTBOX.c.transaction_id,
                    OUTBOX.c.action,
                    OUTBOX.c.payload,
                    OUTBOX.c.status,
                    ITEMS.c.delivery_state,
                )
                .join(ITEMS, ITEMS.c.id == OUTBOX.c.item_id)
                .where(OUTBOX.c.item_id == item_id, OUTBOX.c.status != OutboxStatus.CANCELLED)
                .order_by(OUTBOX.c.id.desc())
                .limit(1)
            ).first()
        if (
            latest is not None
            and latest.status in (*OutboxStatus.OPEN, OutboxStatus.DELIVERED)
            and latest.action == decision.action
            and _same_payload(latest.payload, payload)
            and latest.delivery_state not in REOPENED_STATES
        ):
            return QueuedDecision(
                int(latest.id), str(latest.transaction_id), True, str(latest.delivery_state)
            )
        outbox_id = self.enqueue(item_id, decision, user)
        with self.engine.connect() as conn:
            decision_id = conn.execute(
                select(OUTBOX.c.transaction_id).where(OUTBOX.c.id == outbox_id)
            ).scalar_one()
        return QueuedDecision(outbox_id, str(decision_id), False, DeliveryState.LOCAL)

    def delivery(self, item_id: int) -> RemoteState:
        """The item's delivery state as the cache knows it."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    ITEMS.c.delivery_state,
                    ITEMS.c.delivery_reason,
                    ITEMS.c.decision_id,
                    ITEMS.c.follow_up,
                ).where(ITEMS.c.id == item_id)
            ).first()
            if row is None:
                raise CacheError(f"Ukendt element {item_id}")
            action = None
            if row.decision_id:
                action = conn.execute(
                    select(OUTBOX.c.action).where(OUTBOX.c.transaction_id == row.decision_id)
                ).scalar()
        return RemoteState(
            state=row.delivery_state,
            decision=action,
            reason=row.delivery_reason,
            decision_id=row.decision_id,
            follow_up=bool(row.follow_up),
        )

    def apply_gateway_answer(self, outbox_id: int, answer: RemoteState) -> None:
        """The gateway has the entry's decision (`POST /decisions` answered 200): the entry is
        "delivered" (never sent again), the item gets the gateway's delivery state."""
        now = db_utc(utcnow())
        receipt = json.dumps(
            {
                "gateway": {
                    "state": answer.state,
                    "decision": answer.decision,
                    "reason": answer.reason,
                    "decision_id": answer.decision_id,
                }
            },
            ensure_ascii=False,
        )
        with self.engine.begin() as conn:
            row = conn.execute(
                select(
                    OUTBOX.c.item_id, OUTBOX.c.action, OUTBOX.c.status, OUTBOX.c.transaction_id
                ).where(OUTBOX.c.id == outbox_id)
            ).first()
            if row is None:
                raise CacheError(f"Ukendt udbakkepost {outbox_id}")
            if row.status in OutboxStatus.OPEN:
                conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == outbox_id)
                    .values(
                        status=OutboxStatus.DELIVERED,
                        delivered_at=now,
                        receipt=receipt,
                        last_error=None,
                        next_attempt_at=None,
                        gateway_recorded_at=now,  # the gateway holds it: nothing left to record
                        gateway_error=None,
                    )
                )
            state = RemoteState(
                answer.state,
                answer.decision or row.action,
                answer.reason,
                answer.decision_id or row.transaction_id,
                answer.follow_up,
            )
            self._set_delivery(conn, int(row.item_id), state, now, force=True)

    def apply_item_state(self, item_id: int, remote: RemoteState) -> int:
        """The item's delivery state read from the gateway (e.g. after a refusal); an open
        outbox entry of the item keeps "lokal". Returns 1 when the item changed."""
        with self.engine.begin() as conn:
            return self._set_delivery(conn, item_id, remote, db_utc(utcnow()), force=False)

    def refuse_decision(self, outbox_id: int, reason: str) -> None:
        """The gateway refused the entry's decision (HTTP 4xx): final, never retried; the item
        becomes "fejlet" with the gateway's reason (Danish, one line) for the distributor."""
        self.apply_delivery_result(outbox_id, delivered=False, reason=reason)

    def apply_remote_states(self, items: Iterable[Any]) -> int:
        """Mirror the delivery states a mailbox listing carries (`MailboxItem.delivery_state`
        etc.) onto the cached items, matched by message UUID. An item with a decision still
        queued on this PC (an open outbox entry) keeps "lokal". Returns the items changed."""
        now = db_utc(utcnow())
        changed = 0
        with self.engine.begin() as conn:
            for it in items:
                changed += self._apply_remote(conn, it, now)
        return changed

    def _apply_remote(self, conn: Connection, it: Any, now: datetime | None) -> int:
        state = getattr(it, "delivery_state", None)
        if not state:
            return 0  # a gateway that does not report delivery states
        item_id = conn.execute(
            select(ITEMS.c.id).where(ITEMS.c.message_uuid == str(it.message_uuid).lower())
        ).scalar()
        if item_id is None:
            return 0
        remote = RemoteState(
            state=str(state),
            decision=getattr(it, "decision_kind", None),
            reason=getattr(it, "delivery_reason", None),
            decision_id=getattr(it, "decision_id", None),
            follow_up=bool(getattr(it, "follow_up", False)),
        )
        return self._set_delivery(conn, int(item_id), remote, now, force=False)

    @staticmethod
    def _set_delivery(
        conn: Connection, item_id: int, remote: RemoteState, now: datetime | None, *, force: bool
    ) -> int:
        row = conn.execute(
            select(
                ITEMS.c.status,
                ITEMS.c.status_note,
                ITEMS.c.delivery_state,
                ITEMS.c.delivery_reason,
                ITEMS.c.decision_id,
                ITEMS.c.follow_up,
            ).where(ITEMS.c.id == item_id)
        ).first()
        if row is None:
            return 0
        if not force:
            queued = conn.execute(
                select(OUTBOX.c.id).where(
                    OUTBOX.c.item_id == item_id, OUTBOX.c.status.in_(OutboxStatus.OPEN)
                )
            ).first()
            if queued is not None:
                return 0  # our own decision is on its way: the answer to it will tell
        state = remote.state if remote.state in DeliveryState.ALL else row.delivery_state
        if state == DeliveryState.NEW and row.delivery_state == DeliveryState.LOCAL:
            return 0
        decision_id = remote.decision_id or (
            None if state == DeliveryState.NEW else row.decision_id
        )
        status = item_status_for(state, remote.decision, row.status)
        values: dict[str, Any] = {
            "delivery_state": state,
            "delivery_reason": remote.reason,
            "decision_id": decision_id,
            "follow_up": bool(remote.follow_up),
        }
        if status != row.status:
            values["status"] = status
            values["status_changed_at"] = now
        if state in DeliveryState.REOPENED and remote.reason:
            values["status_note"] = remote.reason
        elif state == DeliveryState.DUBU_REJECTED:
            values["status_note"] = None
        current = {k: getattr(row, k) for k in values if k in row._fields}
        if all(current.get(k) == v for k, v in values.items() if k != "status_changed_at"):
            return 0
        conn.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(**values))
        return 1

    def unrecorded_outcomes(self, limit: int = 100) -> list[OutboxRow]:
        """Delivered (or rejected-by-the-user) entries whose outcome the gateway has not got."""
        stmt = (
            select(OUTBOX)
            .where(
                OUTBOX.c.status == OutboxStatus.DELIVERED,
                OUTBOX.c.gateway_recorded_at.is_(None),
            )
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_outbox_row(r) for r in conn.execute(stmt).mappings().all()]

    def mark_gateway_recorded(self, outbox_id: int, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            if error is None:
                conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == outbox_id)
                    .values(gateway_recorded_at=db_utc(utcnow()), gateway_error=None)
                )
            else:
                conn.execute(
                    update(OUTBOX).where(OUTBOX.c.id == outbox_id).values(gateway_error=error)
                )

    def gateway_item_id(self, item_id: int) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(ITEMS.c.gateway_item_id).where(ITEMS.c.id == item_id)
            ).scalar()


# ---------------------------------------------------------------------------------------------


def _chunks(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def open_blob(
    conn: Connection, table: str, column: str, rowid: int, *, readonly: bool = True
) -> Any:
    """Incremental blob I/O on a SQLAlchemy connection's DB-API connection: sqlcipher3 (the
    encrypted cache) spells it `open_blob`, the stdlib sqlite3 `blobopen`; both read and write
    in place, page by page, without loading the whole value."""
    raw = conn.connection.driver_connection
    opener = getattr(raw, "open_blob", None)
    if opener is not None:
        return opener(table, column, rowid, readonly)
    return raw.blobopen(table, column, rowid, readonly=readonly)  # type: ignore[union-attr]


def item_row(it: Any, parsed: Parsed, now: datetime | None, size: int) -> dict[str, Any]:
    """The `items` row of a mailbox item and its parse result (`size`: raw MeMo bytes). Used by
    both `Cache.ingest` and `Cache.ingest_big`, so both paths store identical rows."""
    base = {
        "gateway_item_id": it.item_id,
        "message_uuid": it.message_uuid.lower(),
        "received_at": db_utc(it.received_at),
        "synced_at": now,
        "size_bytes": size,
        "status": ItemStatus.NEW,
        "status_changed_at": None,
        "status_note": None,
        "misrouted": False,
        "read": False,
        "conflict_of": getattr(it, "conflict_of", None),
    }
    if isinstance(parsed, MemoError):
        base.update(
            kind=QUARANTINE_KIND,
            memo_version="?",
            created_at=None,
            label="(meddelelsen kunne ikke læses)",
            sender_id="",
            sender_id_type="",
            sender_label="",
            contact_point_id=getattr(it, "contact_point_id", None),
            contact_point_label=None,
            reply_case_id=None,
            n_files=0,
            status=ItemStatus.FAILED,
            status_changed_at=now,
            status_note=f"Meddelelsen kunne ikke læses: {parsed.reason}",
        )
        return base
    msg = parsed.facts.header
    cp = msg.recipient.contact_point
    reply_case = next((r.case_id for r in msg.reply_data if r.case_id), None)
    base.update(
        kind=str(msg.kind),
        memo_version=msg.version,
        created_at=db_utc(msg.created),
        label=msg.label,
        sender_id=msg.sender.id,
        sender_id_type=msg.sender.id_type,
        sender_label=msg.sender.label or "",
        contact_point_id=cp.contact_point_id if cp else getattr(it, "contact_point_id", None),
        contact_point_label=cp.label if cp else None,
        reply_case_id=reply_case,
        n_files=len(msg.files),
    )
    return base


def _same_payload(stored: str, payload: str) -> bool:
    """Two outbox payloads are the same decision (JSON compared as values)."""
    try:
        return bool(json.loads(stored) == json.loads(payload))
    except (TypeError, ValueError):
        return False


def stored_decision(action: str, payload: str) -> Decision:
    """The decision an outbox row stores (its `action` and JSON `payload`, in any version so
    far). Raises DecisionError when the row cannot be read as a decision."""
    try:
        data = json.loads(payload)
    except (TypeError, ValueError):
        raise DecisionError("Den gemte beslutning er ikke gyldig JSON") from None
    return decision_from_json(action, data)


def _outbox_row(r: Any) -> OutboxRow:
    try:
        decision = stored_decision(r["action"], r["payload"])
    except DecisionError as exc:
        raise CacheError(f"Udbakkepost {r['id']} kan ikke læses: {exc}") from exc
    return OutboxRow(
        id=r["id"],
        transaction_id=r["transaction_id"],
        item_id=r["item_id"],
        decision=decision,
        user=r["user"],
        status=r["status"],
        attempts=r["attempts"],
        last_error=r["last_error"],
        created_at=as_utc(r["created_at"]),  # type: ignore[arg-type]
        next_attempt_at=as_utc(r["next_attempt_at"]),
        delivered_at=as_utc(r["delivered_at"]),
        receipt=json.loads(r["receipt"]) if r["receipt"] else None,
        gateway_recorded_at=as_utc(r["gateway_recorded_at"]),
    )
