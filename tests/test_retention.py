"""Retention of the client cache (app.core.retention) on real SQLite files.

Items are inserted with SQLAlchemy Core straight into the 0001 tables (plus one test through
the real `Cache` API), so the policy is checked against the schema itself.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select, text, update

from app.core import retention
from app.core.audit import AccessLog
from app.core.retention import PurgeResult, purge
from app.decisions import Journalise
from app.models.db import Database, open_cache
from app.models.schema import AccessLog as AccessLogRow
from app.models.schema import Item, ItemBlob, ItemFile, OutboxEntry

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


def add_item(
    db: Database,
    *,
    status: str,
    decided_days_ago: float | None,
    received_days_ago: float = 60,
    outbox: str | None = None,
    gateway_recorded: bool = True,
    word: str | None = None,
) -> int:
    """One cached item with blob, two file rows, an FTS row and optionally an outbox entry."""
    n = next(_ids)
    word = word or f"markord{n:05d}"
    memo = f"<Message>{word} brev nr {n}</Message>".encode()
    with db.engine.begin() as conn:
        item_id = conn.execute(
            insert(Item.__table__).returning(Item.__table__.c.id),
            {
                "gateway_item_id": n,
                "message_uuid": str(uuid.uuid4()),
                "kind": "nyhenvendelse",
                "memo_version": "1.2",
                "received_at": naive(NOW - timedelta(days=received_days_ago)),
                "synced_at": naive(NOW - timedelta(days=received_days_ago)),
                "label": f"Henvendelse {n}",
                "sender_id": "29189846",
                "sender_id_type": "CVR",
                "sender_label": "Fjordby Skole",
                "n_files": 2,
                "size_bytes": len(memo),
                "status": status,
                "status_changed_at": None
                if decided_days_ago is None
                else naive(NOW - timedelta(days=decided_days_ago)),
                "misrouted": False,
                "read": True,
            },
        ).scalar_one()
        conn.execute(
            insert(ItemBlob.__table__),
            {"item_id": item_id, "sha256": hashlib.sha256(memo).hexdigest(), "memo": memo},
        )
        conn.execute(
            insert(ItemFile.__table__),
            [
                {
                    "item_id": item_id,
                    "position": p,
                    "role": "main",
                    "mime": "text/plain",
                    "filename": f"f{p}.txt",
                    "safe_filename": f"f{p}.txt",
                    "size": 3,
                    "sha256": "0" * 64,
                }
                for p in (0, 1)
            ],
        )
        conn.execute(
            text("INSERT INTO items_fts(rowid, sender_label, label, body) VALUES (:r, :s, :l, :b)"),
            {"r": item_id, "s": "Fjordby Skole", "l": f"Henvendelse {n}", "b": f"Brødtekst {word}"},
        )
        if outbox:
            outbox_id = conn.execute(
                insert(OutboxEntry.__table__).returning(OutboxEntry.__table__.c.id),
                {
                    "transaction_id": str(uuid.uuid4()),
                    "item_id": item_id,
                    "action": "journalise",
                    "payload": "{}",
                    "user": "anna",
                    "status": outbox,
                    "attempts": 1,
                    "created_at": naive(NOW - timedelta(days=received_days_ago)),
                },
            ).scalar_one()
            if outbox == "delivered" and gateway_recorded:
                conn.execute(
                    text("UPDATE outbox SET gateway_recorded_at = :t WHERE id = :i"),
                    {"t": naive(NOW - timedelta(days=received_days_ago)), "i": outbox_id},
                )
    return int(item_id)


def fts(db: Database, word: str) -> list[int]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT rowid FROM items_fts WHERE items_fts MATCH :q"), {"q": word}
            ).scalars()
        )


def count(db: Database, table: str, where: str = "1") -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {where}").scalar_one())


def item_ids(db: Database) -> set[int]:
    with db.engine.connect() as conn:
        return set(conn.execute(select(Item.__table__.c.id)).scalars())


@pytest.fixture
def db(tmp_path):
    database = open_cache(tmp_path / "cache.sqlite3")
    yield database
    database.engine.dispose()


def test_policy_keeps_open_and_undelivered_purges_old_decided(db):
    purged = {
        add_item(db, status=s, decided_days_ago=45, word=f"gammel{s}")
        for s in ("journaliseret", "fordelt", "afvist", "videresendt")
    }
    purged.add(
        add_item(
            db, status="journaliseret", decided_days_ago=31, outbox="delivered", word="leveret"
        )
    )
    purged.add(add_item(db, status="fordelt", decided_days_ago=40, outbox="cancelled"))
    kept = {
        add_item(db, status="ny", decided_days_ago=None, received_days_ago=400, word="aabenny"),
        add_item(db, status="afventer", decided_days_ago=200, outbox="pending", word="venter"),
        add_item(db, status="fejlet", decided_days_ago=200, outbox="rejected"),
        # decided, but the decision has not fully left the machine
        add_item(db, status="journaliseret", decided_days_ago=90, outbox="pending", word="igen"),
        add_item(db, status="journaliseret", decided_days_ago=90, outbox="sending"),
        add_item(
            db,
            status="journaliseret",
            decided_days_ago=90,
            outbox="delivered",
            gateway_recorded=False,
        ),
        # decided recently
        add_item(db, status="journaliseret", decided_days_ago=29, outbox="delivered", word="nylig"),
        # decided long ago per received_at, but recently per status_changed_at
        add_item(db, status="afvist", decided_days_ago=2, received_days_ago=365),
    }
    assert fts(db, "gammeljournaliseret") and fts(db, "leveret")

    result = purge(db, NOW)

    assert result == PurgeResult(items=6, blobs=6, log_rows=0, files=12)
    assert item_ids(db) == kept
    assert count(db, "item_blobs") == len(kept)
    assert count(db, "item_files") == 2 * len(kept)
    assert count(db, "items_fts") == len(kept)
    assert count(db, "outbox", f"item_id IN ({','.join(map(str, purged))})") == 0
    for word in ("gammeljournaliseret", "gammelvideresendt", "leveret"):
        assert fts(db, word) == []
    for word in ("aabenny", "venter", "igen", "nylig"):
        assert len(fts(db, word)) == 1
    # a second run finds nothing more
    assert purge(db, NOW) == PurgeResult(0, 0, 0)


def test_decided_days_is_configurable_and_falls_back_to_receipt_time(db):
    a = add_item(db, status="journaliseret", decided_days_ago=10)
    b = add_item(
        db, status="fordelt", decided_days_ago=None, received_days_ago=20
    )  # no decision time
    assert purge(db, NOW, decided_days=30).items == 0
    assert purge(db, NOW, decided_days=15).items == 1
    assert item_ids(db) == {a}
    assert purge(db, NOW, decided_days=0).items == 1
    assert item_ids(db) == set() and b not in item_ids(db)
    with pytest.raises(ValueError):
        purge(db, NOW, decided_days=-1)


def test_dry_run_counts_without_deleting(db):
    for _ in range(3):
        add_item(db, status="journaliseret", decided_days_ago=60)
    add_item(db, status="ny", decided_days_ago=None)
    log = AccessLog(db, user="anna", key=b"k" * 32)
    log.view_item(1, ["0703145123"])
    with db.engine.begin() as conn:
        conn.execute(update(AccessLogRow.__table__).values(at=naive(NOW - timedelta(days=3000))))
    dry = purge(db, NOW, dry_run=True)
    assert dry == PurgeResult(items=3, blobs=3, log_rows=1, files=6, dry_run=True)
    assert count(db, "items") == 4 and count(db, "access_log") == 1
    assert purge(db, NOW) == PurgeResult(items=3, blobs=3, log_rows=1, files=6)


def test_access_log_rows_age_out_but_outlive_the_item(db):
    item = add_item(db, status="journaliseret", decided_days_ago=60)
    log = AccessLog(db, user="anna", key=b"k" * 32)
    cpr = "1512089876"
    for _ in range(3):
        log.view_item(item, [cpr])
    ages = [10, retention.ACCESS_LOG_DAYS - 1, retention.ACCESS_LOG_DAYS + 1]
    with db.engine.begin() as conn:
        ids = list(
            conn.execute(
                select(AccessLogRow.__table__.c.id).order_by(AccessLogRow.__table__.c.id)
            ).scalars()
        )
        for row_id, age in zip(ids, ages, strict=True):
            conn.execute(
                update(AccessLogRow.__table__)
                .where(AccessLogRow.__table__.c.id == row_id)
                .values(at=naive(NOW - timedelta(days=age)))
            )
    result = purge(db, NOW)
    assert (result.items, result.log_rows) == (1, 1)
    # the item is gone from the cache; what was done with it stays answerable per citizen
    assert len(log.for_citizen(cpr)) == 2
    assert purge(db, NOW, access_log_days=5).log_rows == 2
    assert log.for_citizen(cpr) == []


def test_default_access_log_retention_is_five_years():
    assert retention.ACCESS_LOG_DAYS >= 5 * 365
    assert retention.DECIDED_DAYS == 30


def test_many_items_are_purged_in_batches(db, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 50)
    monkeypatch.setattr(retention, "LOG_BATCH", 7)
    old = [add_item(db, status="journaliseret", decided_days_ago=40) for _ in range(130)]
    keep = add_item(db, status="ny", decided_days_ago=None)
    AccessLog(db, user="anna", key=b"k" * 32).view_item(old[0], ["0703145123", "1512089876"] * 1)
    with db.engine.begin() as conn:
        conn.execute(
            insert(AccessLogRow.__table__),
            [
                {
                    "at": naive(NOW - timedelta(days=4000)),
                    "user": "u",
                    "action": "view_item",
                    "purpose": "fordeling",
                    "item_id": 1,
                    "subject_key": None,
                    "detail": None,
                }
            ]
            * 20,
        )
    result = purge(db, NOW)
    assert (result.items, result.blobs, result.log_rows) == (130, 130, 20)
    assert item_ids(db) == {keep}
    assert count(db, "access_log") == 2


@pytest.fixture
def plain_db(tmp_path, monkeypatch):
    """An UNENCRYPTED cache (developer opt-out, no keyring): the cache is normally SQLCipher-
    encrypted, so only a plain file lets a test see what purge leaves in freed pages."""
    import keyring
    from keyring.backends import fail

    from app.models.crypto import UNENCRYPTED_ENV

    monkeypatch.setenv(UNENCRYPTED_ENV, "1")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    database = open_cache(tmp_path / "plain.sqlite3")
    yield database
    database.engine.dispose()
    keyring.set_keyring(previous)


@pytest.mark.expect_log("postfordeler.cache", "the client cache is NOT encrypted")
def test_purged_letters_do_not_linger_in_the_file(plain_db):
    db = plain_db
    # Debian's SQLite defaults to secure_delete=ON; other builds (e.g. python.org's) do not.
    # Force it off on every connection so the test checks that purge turns it on itself.
    event.listen(
        db.engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA secure_delete=OFF")
    )
    db.engine.dispose()
    secret = "hemmeligtord" + uuid.uuid4().hex[:8]
    add_item(db, status="journaliseret", decided_days_ago=60, word=secret)
    add_item(db, status="ny", decided_days_ago=None, word="bliverher")
    db.engine.dispose()
    assert secret.encode() in Path(db.path).read_bytes()
    purge(db, NOW)
    db.engine.dispose()  # last connection closes: WAL checkpointed into the file and removed
    data = Path(db.path).read_bytes()
    wal = Path(f"{db.path}-wal")
    if wal.exists():
        data += wal.read_bytes()
    assert secret.encode() not in data
    assert b"bliverher" in data


def test_purge_works_on_items_stored_by_the_real_cache(db):
    """Ingest corpus messages through `Cache`, decide and deliver one, then purge."""
    from dataclasses import dataclass

    from app.core.parse import parse_memo
    from app.models.cache import Cache
    from tests.conftest import MESSAGES

    @dataclass
    class Mailbox:  # the fields of MailboxItem the cache uses
        item_id: int
        message_uuid: str
        received_at: datetime
        contact_point_id: str | None
        memo: bytes

    cache = Cache(db)
    batch = []
    for i, path in enumerate(sorted(MESSAGES.glob("*.xml"))[:3], start=1):
        data = path.read_bytes()
        parsed = parse_memo(data)
        uuid = parsed.facts.header.message_uuid
        batch.append((Mailbox(i, uuid, NOW - timedelta(days=50), None, data), parsed))
    assert cache.ingest(batch).new == 3
    ids = [cache.item_id_for_uuid(it.message_uuid) for it, _ in batch]
    done, waiting, _untouched = ids
    ob_done = cache.enqueue(done, Journalise("c-1", "27.24.00-G01-1-25"), "anna")
    cache.enqueue(waiting, Journalise("c-2"), "anna")
    task = cache.next_due()
    assert task is not None and task.id == ob_done
    cache.apply_delivery_result(ob_done, delivered=True, receipt={"ok": True})
    cache.mark_gateway_recorded(ob_done)
    assert cache.item(done)["status"] == "journaliseret"

    # decided "now" (wall clock): nothing is 30 days old yet
    assert purge(db).items == 0
    later = datetime.now(UTC) + timedelta(days=31)
    result = purge(db, later)
    assert (result.items, result.blobs) == (1, 1)
    assert cache.item_count() == 2
    assert cache.item_id_for_uuid(batch[0][0].message_uuid) is None
    assert set(cache.files(done)) == set() and cache.outbox_entries(item_id=done) == []
    assert count(db, "items_fts", f"rowid = {done}") == 0
    assert count(db, "items_fts") == 2
    # the stored facts (header, body text, CPR candidates) go with the item
    assert count(db, "item_facts", f"item_id = {done}") == 0
    assert count(db, "item_facts") == 2
    assert cache.outbox_counts()["open"] == 1  # the undelivered decision is untouched


def test_the_client_services_run_the_purge(tmp_path):
    """The running client purges by itself (daily); `purge_once` is that step."""
    import asyncio

    from app.core.services import ClientServices

    async def main() -> None:
        services = await ClientServices.create({}, db_path=tmp_path / "c.sqlite3", user="eva")
        try:
            old = add_item(services.db, status="journaliseret", decided_days_ago=45)
            fresh = add_item(services.db, status="journaliseret", decided_days_ago=2)
            result = await services.purge_once()
            assert result.items == 1
            assert count(services.db, "items", f"id = {old}") == 0
            assert count(services.db, "items", f"id = {fresh}") == 1
        finally:
            await services.close()

    asyncio.run(main())
