"""The client cache's schema: one straight migration chain, `schema.py` equal to what the
migrations build, and an upgrade of a *populated* encrypted cache from every earlier revision
that leaves every item, outbox and access-log row intact and usable (facts backfilled once)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.core.parse import parse_memo
from app.core.sync import backfill_facts
from app.core.worker import DbWorker
from app.models.cache import Cache, item_row
from app.models.db import alembic_config, cache_engine, migrate, open_cache
from app.models.schema import Base
from app.sf1606.memo import parse_count
from tests.conftest import MESSAGES

FILES = sorted(MESSAGES.glob("*.xml"))[:6]
EARLIER = ["0001", "c0002", "e0002", "e0003", "g0002", "m0004", "f0005"]
FTS_TABLES = {"items_fts", "items_fts_data", "items_fts_idx", "items_fts_content"}
FTS_TABLES |= {"items_fts_docsize", "items_fts_config"}


@dataclass(frozen=True)
class Item:  # the fields of MailboxItem the row builder reads
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    memo: bytes


def _script(engine: Any) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(engine))


def test_the_migrations_form_one_straight_line(tmp_path):
    db = open_cache(tmp_path / "c.sqlite3")
    script = _script(db.engine)
    assert len(script.get_heads()) == 1
    head = script.get_current_head()
    with db.engine.connect() as conn:
        assert set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == {
            head
        }
    # from the merge point on, every revision has exactly one parent
    merge = script.get_revision("m0004")
    assert set(merge.down_revision) == {"c0002", "e0003", "g0002"}
    rev = script.get_revision(head)
    while rev.revision != "m0004":
        assert isinstance(rev.down_revision, str)
        rev = script.get_revision(rev.down_revision)
    db.engine.dispose()


def _include(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    return not (type_ == "table" and name in FTS_TABLES)


def test_schema_py_matches_the_migrated_database(tmp_path):
    """schema.py declares every table, column and index the migrations create (and no more)."""
    db = open_cache(tmp_path / "c.sqlite3")
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _include}
        )
        assert compare_metadata(ctx, Base.metadata) == []
    db.engine.dispose()


def _populate(engine: Any, revision: str) -> dict[str, Any]:
    """Rows as a client of `revision` wrote them: items (+ blob, files, FTS), an open and a
    delivered outbox entry, access-log rows and the cursor."""
    t0 = datetime(2026, 11, 20, 8, 0)
    has_gateway_columns = revision not in ("0001", "e0002", "e0003", "g0002")
    expected: dict[str, Any] = {"files": {}}
    with engine.begin() as conn:
        for n, path in enumerate(FILES, start=1):
            data = path.read_bytes()
            parsed = parse_memo(data)
            header = parsed.facts.header
            item = Item(n, header.message_uuid, t0 + timedelta(minutes=n), None, data)
            row = item_row(item, parsed, t0, len(data))
            row.pop("conflict_of", None)  # i0007 adds it; every revision tested here is older
            cols = ", ".join(row)
            conn.execute(
                text(
                    f"INSERT INTO items(id, {cols}) VALUES (:id, {', '.join(':' + c for c in row)})"
                ),
                {"id": n, **row},
            )
            conn.execute(
                text("INSERT INTO item_blobs(item_id, sha256, memo) VALUES (:i, :s, :m)"),
                {"i": n, "s": hashlib.sha256(data).hexdigest(), "m": data},
            )
            for pos, f in enumerate(header.files):
                conn.execute(
                    text(
                        "INSERT INTO item_files(item_id, position, role, mime, filename, "
                        "safe_filename, size, sha256) VALUES (:i, :p, :r, :m, :f, :sf, :s, :h)"
                    ),
                    {
                        "i": n,
                        "p": pos,
                        "r": str(f.role),
                        "m": f.mime,
                        "f": f.filename,
                        "sf": f.safe_filename,
                        "s": f.size,
                        "h": f.sha256,
                    },
                )
            conn.execute(
                text(
                    "INSERT INTO items_fts(rowid, sender_label, label, body) VALUES (:i, :s, :l, :b)"
                ),
                {"i": n, "s": row["sender_label"], "l": row["label"], "b": parsed.facts.body_text},
            )
            expected["files"][n] = [f.sha256 for f in header.files]
        outbox = [
            (1, "11111111-1111-4111-8111-111111111111", 1, "journalise", "delivered"),
            (2, "22222222-2222-4222-8222-222222222222", 2, "assign", "pending"),
        ]
        for oid, tx, item_id, action, status in outbox:
            payload = json.dumps({"case_id": "c-1", "caseworker_id": "cw-1"})
            conn.execute(
                text(
                    "INSERT INTO outbox(id, transaction_id, item_id, action, payload, user, "
                    "status, attempts, created_at) VALUES (:id, :tx, :it, :a, :p, 'anna', :s, 0, :c)"
                ),
                {
                    "id": oid,
                    "tx": tx,
                    "it": item_id,
                    "a": action,
                    "p": payload,
                    "s": status,
                    "c": t0,
                },
            )
        if has_gateway_columns:
            conn.execute(text("UPDATE outbox SET gateway_recorded_at = :t WHERE id = 1"), {"t": t0})
        for k in range(3):
            conn.execute(
                text(
                    "INSERT INTO access_log(at, user, action, purpose, item_id, subject_key, "
                    "detail) VALUES (:at, 'anna', 'view_item', 'fordeling', :i, :k, NULL)"
                ),
                {"at": t0 + timedelta(seconds=k), "i": k + 1, "k": f"{k:064x}"},
            )
        conn.execute(text("INSERT INTO sync_state(key, value) VALUES ('mailbox_cursor', '6')"))
    expected["gateway_recorded"] = has_gateway_columns
    return expected


def _dump(engine: Any, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        cols = [c["name"] for c in inspect(conn).get_columns(table)]
        return [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table}"))]


@pytest.mark.parametrize("revision", EARLIER)
def test_a_populated_cache_upgrades_from_every_earlier_revision(tmp_path, revision):
    path = tmp_path / "old.sqlite3"
    engine, encrypted = cache_engine(path)
    assert encrypted  # the keyed SQLCipher file, as a real client has it
    migrate(engine, revision)
    expected = _populate(engine, revision)
    before = {t: _dump(engine, t) for t in ("items", "item_blobs", "item_files", "access_log")}
    outbox_before = _dump(engine, "outbox")
    engine.dispose()

    db = open_cache(path)  # migrates to head
    try:
        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == _script(db.engine).get_current_head()
        for table, rows in before.items():
            # h0006 appends the delivery columns to items: every earlier column is unchanged
            assert [r[: len(rows[0])] for r in _dump(db.engine, table)] == rows, table
        after = _dump(db.engine, "outbox")
        assert [r[: len(outbox_before[0])] for r in after] == outbox_before
        cache = Cache(db)
        assert cache.cursor() == 6
        # the one-time backfill parses each old item once, then never again
        worker = DbWorker()
        try:
            parses = parse_count()
            assert asyncio.run(backfill_facts(cache, worker)) == len(FILES)
            assert parse_count() - parses == len(FILES)
            assert asyncio.run(backfill_facts(cache, worker)) == 0
        finally:
            worker.close()
        parses = parse_count()
        for item_id, digests in expected["files"].items():
            facts = cache.facts(item_id)
            assert facts.header.message_uuid == cache.item(item_id)["message_uuid"]
            got = [
                hashlib.sha256(cache.file_bytes(item_id, n)).hexdigest()
                for n in range(len(facts.files))
            ]
            assert got == digests
            source = cache.delivery_source(item_id)
            assert [hashlib.sha256(b).hexdigest() for _, b in source.files] == digests
        assert parse_count() == parses  # reading the upgraded items parses nothing
        rows = {r.id: r for r in cache.outbox_entries()}
        assert rows[2].status == "pending" and rows[2].decision.case_id == "c-1"
        recorded = rows[1].gateway_recorded_at
        assert (recorded is not None) == expected["gateway_recorded"]
        cache.mark_gateway_recorded(2)
        assert cache.outbox_entries(item_id=2)[0].gateway_recorded_at is not None
        # h0006: delivery states from the old outbox (the old client delivered to SF2900 itself)
        assert cache.delivery(1).state == "sendt"
        assert cache.delivery(1).decision_id == "11111111-1111-4111-8111-111111111111"
        assert cache.delivery(2).state == "lokal"
        assert cache.delivery(3).state == "ny" and cache.delivery(3).decision_id is None
        word = max(cache.item(1)["label"].split(), key=len).strip(".,:;!?()")
        assert 1 in cache.search(word)
    finally:
        db.engine.dispose()
