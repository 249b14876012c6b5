"""The client cache on a real SQLite file: ingest (idempotent, cursor in the same transaction),
quarantine, blob re-read, full-text search, and the outbox rules (enqueue / undo / results)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy.exc

from app.core.parse import parse_memo
from app.decisions import Assign, DecisionError, Forward, Journalise, JournalNote, Reject
from app.models.cache import Cache, CacheError
from app.models.db import open_cache, raw_connect
from app.sf1606.memo import read_memo
from app.sf1606.model import MemoError
from app.sf1606.stored import IngestMessage
from tests.conftest import CORPUS, MESSAGES

FILES = sorted(MESSAGES.glob("*.xml"))


@dataclass(frozen=True)
class Item:  # the fields of MailboxItem the cache reads (the gateway's item, as synced)
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    memo: bytes
    kind: str = ""


def _batch(paths: list[Path], start: int = 1):
    """(item, what the sync's one parse stores) pairs, as `Cache.ingest` takes them."""
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    out = []
    for i, p in enumerate(paths):
        data = p.read_bytes()
        parsed = parse_memo(data)
        uuid = parsed.facts.header.message_uuid
        out.append((Item(start + i, uuid, t0 + timedelta(seconds=i), None, data), parsed))
    return out


@pytest.fixture()
def cache(tmp_path):
    db = open_cache(tmp_path / "cache.sqlite3")
    yield Cache(db)
    db.engine.dispose()


def test_ingest_stores_everything_and_is_idempotent(cache):
    batch = _batch(FILES[:40])
    res = cache.ingest(batch)
    assert (res.new, res.duplicates) == (40, 0)
    assert cache.cursor() == 40
    assert cache.item_count() == 40
    # second ingest of the same page: all duplicates, nothing re-inserted
    res = cache.ingest(batch)
    assert (res.new, res.duplicates) == (0, 40)
    assert cache.item_count() == 40
    # same message under a new gateway id is still a duplicate (message UUID)
    it, parsed = batch[0]
    res = cache.ingest(
        [(Item(999, it.message_uuid.upper(), it.received_at, None, it.memo), parsed)]
    )
    msg = read_memo(it.memo)
    assert (res.new, res.duplicates) == (0, 1)
    # the receipt time is the gateway's, unchanged
    item_id = cache.item_id_for_uuid(it.message_uuid)
    row = cache.item(item_id)
    assert row["received_at"] == it.received_at
    assert row["kind"] == str(msg.kind)
    assert row["n_files"] == len(msg.files)
    # blob round trip and per-file bytes
    assert cache.memo_bytes(item_id) == it.memo
    again = cache.message(item_id)
    assert again.message_uuid == msg.message_uuid
    files = cache.files(item_id)
    assert [f["sha256"] for f in files] == [f.sha256 for f in msg.files]
    assert cache.file_bytes(item_id, 0) == msg.files[0].content


def test_cursor_never_moves_back_and_is_committed_with_the_page(cache, tmp_path):
    cache.ingest(_batch(FILES[:5]), cursor=50)
    cache.set_cursor(10)
    assert cache.cursor() == 50
    # a failing transaction leaves neither the items nor the cursor
    bad = _batch(FILES[5:8], start=100)
    # force a failure late inside the transaction, after the items and blobs are inserted:
    # a loose file row whose bytes are None (NOT NULL)
    late = IngestMessage(bad[0][1].facts, loose_files=((0, None),))  # type: ignore[arg-type]
    broken = [
        *bad,
        (Item(104, "0f6c4a39-2f0a-4b6e-9d0e-1a2b3c4d5e6f", datetime.now(UTC), None, b"x"), late),
    ]
    with pytest.raises(sqlalchemy.exc.SQLAlchemyError):
        cache.ingest(broken, cursor=200)
    assert cache.cursor() == 50
    assert cache.item_count() == 5


def test_quarantined_item_is_kept_with_reason(cache):
    data = b"<not memo"
    res = cache.ingest(
        [
            (
                Item(7, "0f6c4a39-2f0a-4b6e-9d0e-1a2b3c4d5e6f", datetime.now(UTC), "cp", data),
                MemoError("Ikke XML", "xml"),
            )
        ]
    )
    assert (res.new, res.quarantined) == (1, 1)
    row = cache.item(cache.item_id_for_uuid("0f6c4a39-2f0a-4b6e-9d0e-1a2b3c4d5e6f"))
    assert row["status"] == "fejlet" and "Ikke XML" in row["status_note"]
    assert cache.memo_bytes(row["id"]) == data
    assert cache.cursor() == 7


def test_blob_corruption_is_detected(cache, tmp_path):
    cache.ingest(_batch(FILES[:1]))
    with raw_connect(tmp_path / "cache.sqlite3") as con:
        con.execute("UPDATE item_blobs SET memo = x'00'")
    with pytest.raises(CacheError):
        cache.memo_bytes(1)


def test_full_text_search_finds_body_sender_and_subject(cache):
    batch = _batch(FILES[:60])
    cache.ingest(batch)
    # a word from a body
    msgs = [read_memo(it.memo) for it, _ in batch]
    msg = next(m for m in msgs if len(m.main_text().split()) > 5)
    word = max((w.strip(".,:;!?()\"'") for w in msg.main_text().split()), key=len)
    hits = cache.search(word)
    assert cache.item_id_for_uuid(msg.message_uuid) in hits
    # a subject word
    label_word = max(msg.label.split(), key=len).strip(".,:;!?()")
    assert cache.item_id_for_uuid(msg.message_uuid) in cache.search(label_word)
    assert cache.search("zzzyyyxxxnothere") == []


def test_enqueue_and_undo_rules(cache):
    cache.ingest(_batch(FILES[:3]))
    # what a decision needs is checked when it is made (tests/test_decisions.py) ...
    with pytest.raises(DecisionError):
        Journalise("")  # no case
    with pytest.raises(DecisionError):
        Reject(" ")
    # ... the cache refuses what is not a decision, an unknown item and a second open decision
    with pytest.raises(CacheError):
        cache.enqueue(1, {"case_id": "c1"}, "fordeler")  # type: ignore[arg-type]
    with pytest.raises(CacheError):
        cache.enqueue(999, Journalise("x"), "fordeler")
    oid = cache.enqueue(1, Journalise("c1", "27.24.00-G01-1-26"), "fordeler")
    assert cache.item(1)["status"] == "afventer"
    assert cache.item(1)["decided_case_id"] == "c1"
    assert cache.item(1)["decided_case_number"] == "27.24.00-G01-1-26"
    with pytest.raises(CacheError):
        cache.enqueue(1, Assign("cw"), "fordeler")  # already open
    assert cache.outbox_counts()["pending"] == 1
    assert cache.undo(oid) is True
    assert cache.item(1)["status"] == "ny" and cache.item(1)["decided_case_id"] is None
    assert cache.undo(oid) is False
    assert cache.outbox_counts()["cancelled"] == 1
    # once taken for sending, no undo
    oid2 = cache.enqueue(1, Assign("cw", case_id="c1"), "fordeler")
    task = cache.next_due()
    assert task is not None and task.id == oid2 and task.attempts == 1
    assert cache.undo(oid2) is False
    assert cache.outbox_counts()["sending"] == 1
    # crash in sending → recover gives it back with the same transaction id
    tx = task.transaction_id
    assert cache.recover_sending() == 1
    again = cache.next_due()
    assert again.transaction_id == tx and again.attempts == 2
    # transient failure: deferred, not due yet
    cache.defer(again.id, "netværksfejl", 60)
    assert cache.next_due() is None
    assert cache.next_wakeup() > datetime.now(UTC)
    assert cache.undo(oid2) is False  # attempted before: must run to its end


def test_delivery_results(cache):
    cache.ingest(_batch(FILES[:3]))
    a = cache.enqueue(1, Assign("cw1", case_id="c1"), "fordeler")
    b = cache.enqueue(2, Journalise("c2"), "fordeler")
    cache.next_due(), cache.next_due()
    cache.apply_delivery_result(a, delivered=True, receipt={"status": "MODTAGET"})
    cache.apply_delivery_result(b, delivered=False, reason="Sagen er lukket")
    cache.apply_delivery_result(b, delivered=True)  # idempotent: a final state stays
    assert cache.item(1)["status"] == "fordelt" and cache.item(1)["assignee_id"] == "cw1"
    assert cache.item(2)["status"] == "fejlet" and cache.item(2)["status_note"] == "Sagen er lukket"
    rows = {r.id: r for r in cache.outbox_entries()}
    assert rows[a].status == "delivered" and rows[a].receipt == {"status": "MODTAGET"}
    assert rows[b].status == "rejected" and rows[b].last_error == "Sagen er lukket"
    # a failed item can be decided again
    cache.enqueue(2, Journalise("c3"), "fordeler")
    # gateway record bookkeeping
    assert [r.id for r in cache.unrecorded_outcomes()] == [a]
    cache.mark_gateway_recorded(a)
    assert cache.unrecorded_outcomes() == []
    counts = cache.outbox_counts()
    assert counts["delivered"] == 1 and counts["rejected"] == 1 and counts["open"] == 1


def test_suggestion_and_read(cache):
    cache.ingest(_batch(FILES[:1]))
    cache.set_suggestion(1, "case-1", "27.24.00-G01-1-26", 0.9, misrouted=False)
    cache.mark_read(1)
    row = cache.item(1)
    assert row["suggested_case_id"] == "case-1" and row["suggested_score"] == 0.9 and row["read"]


def test_whole_corpus_ingests_with_labels(cache):
    labels = json.loads((CORPUS / "labels.json").read_text())
    res = cache.ingest(_batch(FILES))
    assert res.new == len(FILES) == 300
    with raw_connect(cache.db.path) as con:
        kinds = dict(con.execute("SELECT message_uuid, kind FROM items"))
        n_fts = con.execute("SELECT count(*) FROM items_fts").fetchone()[0]
    assert n_fts == 300
    assert all(kinds[u.lower()] == v["kind"] for u, v in labels.items())


def test_decisions_are_stored_typed_with_their_version(cache):
    cache.ingest(_batch(FILES[:5]))
    decisions = [
        Journalise("c1", "27.24.00-G01-1-26", note=JournalNote("c1", "Notat", "Titel")),
        Assign("cw", "Anna", case_id="c2", case_number="27.24.00-G01-2-26"),
        Reject("Hører til Jobcenteret"),
        Forward("sys-1", "Nexus", kle="29.01.00", comment="Til sundhed"),
        JournalNote("c5", "Mor ringede"),
    ]
    oids = [cache.enqueue(i + 1, d, "fordeler") for i, d in enumerate(decisions)]
    rows = {r.id: r for r in cache.outbox_entries()}
    assert [rows[o].decision for o in oids] == decisions
    assert [rows[o].action for o in oids] == [d.action for d in decisions]
    with raw_connect(cache.db.path) as con:
        stored = [json.loads(p) for (p,) in con.execute("SELECT payload FROM outbox ORDER BY id")]
    assert all(p["version"] == 1 for p in stored)
    assert stored[0] == {
        "version": 1,
        "case_id": "c1",
        "case_number": "27.24.00-G01-1-26",
        "note": "Notat",
        "note_title": "Titel",
    }
    # the item carries what the decision decided
    assert cache.item(2)["assignee_id"] == "cw" and cache.item(2)["assignee_label"] == "Anna"
    assert cache.item(2)["decided_case_id"] == "c2"
    assert cache.item(3)["status_note"] == "Hører til Jobcenteret"
    assert cache.item(4)["decided_case_id"] is None
    assert cache.item(5)["decided_case_id"] == "c5"
    # the task taken for delivery carries the same typed decision
    task = cache.next_due()
    assert task is not None and task.decision == decisions[0] and task.action == "journalise"


@pytest.mark.expect_log("postfordeler.cache", "stored decision unreadable")
def test_old_payload_rows_load_and_unreadable_ones_are_not_sent(cache):
    cache.ingest(_batch(FILES[:3]))
    with raw_connect(cache.db.path) as con:
        for item_id, action, payload in (
            (1, "assign", {"caseworker_id": "cw", "case_id": "c1", "note": ""}),
            (2, "forward", {"version": 99, "kle": "29.01.00"}),  # a newer Postfordeler wrote it
            (3, "reject", {"reason": "Fejlsendt"}),
        ):
            con.execute(
                "INSERT INTO outbox(transaction_id, item_id, action, payload, user, status, "
                "attempts, created_at) VALUES (?, ?, ?, ?, 'fordeler', 'pending', 0, "
                "'2026-11-20 08:00:00')",
                (
                    f"00000000-0000-4000-8000-00000000000{item_id}",
                    item_id,
                    action,
                    json.dumps(payload),
                ),
            )
            con.execute("UPDATE items SET status='afventer' WHERE id=?", (item_id,))
    first = cache.next_due()
    assert first is not None and first.decision == Assign("cw", case_id="c1")
    # the unreadable row is skipped for good, its item needs the distributor again
    second = cache.next_due()
    assert second is not None and second.decision == Reject("Fejlsendt")
    assert cache.next_due() is None
    item = cache.item(2)
    assert item["status"] == "fejlet" and "nyere version" in item["status_note"]
    counts = cache.outbox_counts()
    assert counts["rejected"] == 1 and counts["sending"] == 2
    with pytest.raises(CacheError, match="kan ikke læses"):
        cache.outbox_entries(item_id=2)


def test_files_stream_from_the_blob_or_the_fallback_table_sha_checked(cache, tmp_path):
    """A file whose base64 is verbatim in the raw MeMo is read from the blob at its span; one
    that is not (a comment inside it, CRLF-wrapped lines are fine) is kept decoded in
    item_file_data. Both come back sha256-checked, without a parse; a damaged blob is refused."""
    import base64
    import hashlib

    from app.sf1606.memo import parse_count
    from tests.hostile import make_hostile as H

    payload = bytes(range(256)) * 40
    b64 = base64.b64encode(payload).decode()
    wrapped = "\r\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    plain = H.message(content_b64=wrapped, mime="application/octet-stream", filename="a.bin")
    split = H.message(content_b64=b64[:8] + "<!-- x -->" + b64[8:], mime="text/plain")
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    batch = []
    for n, data in enumerate((plain, split), start=1):
        parsed = parse_memo(data, validate=False)
        uuid = f"0f6c4a39-2f0a-4b6e-9d0e-1a2b3c4d5e6{n}"
        batch.append((Item(n, uuid, t0, None, data), parsed))
    assert batch[0][1].facts.files[0].span is not None and not batch[0][1].loose_files
    assert batch[1][1].facts.files[0].span is None and batch[1][1].loose_files
    cache.ingest(batch)
    parses = parse_count()
    assert cache.file_bytes(1, 0) == payload
    split_file = cache.facts(2).files[0]
    assert hashlib.sha256(cache.file_bytes(2, 0)).hexdigest() == split_file.sha256
    assert [data for _, data in cache.delivery_source(1).files] == [payload]
    assert parse_count() == parses
    with raw_connect(tmp_path / "cache.sqlite3") as con:  # damage the base64 inside the blob
        offset = cache.facts(1).files[0].span[0]
        con.execute(
            "UPDATE item_blobs SET memo = substr(memo, 1, ?) || CAST('AAAA' AS BLOB) "
            "|| substr(memo, ?) WHERE item_id = 1",
            (offset, offset + 5),
        )
    with pytest.raises(CacheError):
        cache.file_bytes(1, 0)


def test_a_big_file_not_verbatim_in_the_raw_message_is_still_kept(cache, tmp_path):
    """The big-message path keeps only small files' bytes and serves the rest from the stored
    blob; a file whose base64 is not verbatim there (a comment inside it) cannot be served that
    way, so it is kept decoded whatever its size and lands in the fallback table: nothing lost."""
    import base64
    import hashlib

    from app.sf1606.stored import loose_files
    from tests.hostile import make_hostile as H

    payload = bytes(range(256)) * 64  # 16 KB, far above keep_below below
    b64 = base64.b64encode(payload).decode()
    split = H.message(content_b64=b64[:8] + "<!-- x -->" + b64[8:], mime="application/octet-stream")
    path = tmp_path / "big.xml"
    path.write_bytes(split)
    message = read_memo(path, validate=False, keep_content=False, keep_below=1024, locate=True)
    (f,) = message.files
    assert f.span is None and f.size == len(payload)
    assert loose_files(message) == ((0, payload),)
    plain = H.message(content_b64=b64, mime="application/octet-stream")
    path.write_bytes(plain)
    message = read_memo(path, validate=False, keep_content=False, keep_below=1024, locate=True)
    assert message.files[0].span is not None and loose_files(message) == ()
    assert hashlib.sha256(payload).hexdigest() == message.files[0].sha256
