"""Pure tests (no Qt) of the inbox query layer: filters, saved views, SQL sort, FTS search,
working-day ages with Danish holidays, row fetch and the read flag — over a real SQLite cache
filled with corpus messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text, update

from app.models.db import open_cache
from app.models.inbox import (
    SAVED_VIEWS,
    UNASSIGNED,
    UNCLAIMED,
    VIEWS_BY_KEY,
    InboxFilter,
    InboxQueries,
    SortColumn,
    age_in_working_days,
    fts_query,
    older_than_cutoff,
    working_days_between,
)
from app.models.schema import Item
from tests.ui_fixtures import corpus_sample, fill_sample_cache, labels, read_messages


@pytest.fixture
def filled(tmp_path):
    db = open_cache(tmp_path / "cache.sqlite3")
    ids = fill_sample_cache(db, n_each=4)
    return db, ids


def test_working_days_skip_weekends_and_danish_holidays():
    # Fri 18.12.2026 -> Mon 28.12.2026: 25 Dec is a holiday, 19-20 and 26-27 are weekends
    # (24 Dec is not a public holiday).
    assert working_days_between(date(2026, 12, 18), date(2026, 12, 21)) == 1  # Mon
    assert working_days_between(date(2026, 12, 18), date(2026, 12, 28)) == 5  # 21-24 and 28
    # Easter 2026: Maundy Thursday 2 Apr, Good Friday 3 Apr, Easter Monday 6 Apr.
    assert working_days_between(date(2026, 4, 1), date(2026, 4, 7)) == 1  # only Tue 7 Apr
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 7)) == 0
    long = working_days_between(date(2026, 1, 1), date(2026, 12, 31))
    assert 245 <= long <= 255


def test_age_and_cutoff_agree():
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday
    for days_back in range(20):
        received = now - timedelta(days=days_back, hours=3)
        age = age_in_working_days(received, now)
        for threshold in (0, 1, 2, 5):
            cutoff = older_than_cutoff(threshold, now)
            assert (received < cutoff) == (age > threshold), (days_back, threshold, age)


def test_fts_query_is_safe():
    assert fts_query("") is None
    assert fts_query('  " * ^ ') is None
    assert fts_query('skole "Anna') == '"skole"* "Anna"*'
    assert fts_query("100925-9445") == '"100925-9445"*'


def test_ids_sort_on_every_column_in_sql(filled):
    db, ids = filled
    q = InboxQueries(db.engine, "demo")
    with db.engine.begin() as conn:  # a few delivery states (h0006) so that column sorts too
        for item_id, state in zip(
            ids[:4], ("sendt", "afvist_af_dubu", "accepteret", "lokal"), strict=True
        ):
            conn.execute(
                text("UPDATE items SET delivery_state = :s WHERE id = :i"),
                {"s": state, "i": item_id},
            )
    rows = q.rows(ids)
    for column in SortColumn:
        asc = q.ids(sort=column, descending=False)
        desc = q.ids(sort=column, descending=True)
        assert sorted(asc) == sorted(ids) and sorted(desc) == sorted(ids)
        key = {
            SortColumn.RECEIVED: lambda r: r.received_at,
            SortColumn.KIND: lambda r: r.kind,
            SortColumn.SENDER: lambda r: r.sender_label,
            SortColumn.SUBJECT: lambda r: r.label,
            SortColumn.CONTACT_POINT: lambda r: r.contact_point_label or "",
            SortColumn.STATUS: lambda r: r.status,
            SortColumn.AGE: lambda r: -r.received_at.timestamp(),
            SortColumn.SUGGESTION: lambda r: r.suggested_score or 0,
            SortColumn.DELIVERY: lambda r: r.delivery_state,
        }[column]
        values = [key(rows[i]) for i in asc]
        assert values == sorted(values), column


def test_filters_and_saved_views(filled):
    db, ids = filled
    q = InboxQueries(db.engine, "demo", _now=datetime.now(UTC))
    total = len(ids)
    counts = q.view_counts()
    assert counts["alle"] == total == counts["ufordelte"]
    assert counts["retursvar"] == len(q.ids(InboxFilter(kinds=("retursvar",))))
    assert counts["retursvar"] + counts["nyhenvendelser"] + counts["videresendte"] == total
    # Decide one, assign one to me, claim one by a colleague.
    with db.engine.begin() as conn:
        conn.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id == ids[0])
            .values(status="journaliseret")
        )
        conn.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id == ids[1])
            .values(assignee_id="demo", assignee_label="Demo")
        )
        conn.execute(
            update(Item.__table__).where(Item.__table__.c.id == ids[2]).values(claimed_by="kollega")
        )
    counts = q.view_counts()
    assert counts["ufordelte"] == total - 1
    assert counts["mine"] == 1
    assert q.ids(InboxFilter(statuses=("journaliseret",))) == [ids[0]]
    assert q.ids(InboxFilter(assignee="demo")) == [ids[1]]
    assert ids[1] not in q.ids(InboxFilter(assignee=UNASSIGNED))
    assert q.ids(InboxFilter(claimed_by="kollega")) == [ids[2]]
    # "Mine" (issue 12 point 6): assigned to me or my live claim on an open item; the lock a
    # decision leaves until its lease runs out (decided item, expired claim) is not mine.
    now = q.now().replace(tzinfo=None)
    claims = {
        ids[3]: ("ny", now + timedelta(minutes=5)),  # live claim, open: mine
        ids[4]: ("ny", now - timedelta(minutes=1)),  # expired
        ids[0]: ("journaliseret", now + timedelta(minutes=5)),  # decided: a transient lock
    }
    with db.engine.begin() as conn:
        for item_id, (status, expires) in claims.items():
            conn.execute(
                update(Item.__table__)
                .where(Item.__table__.c.id == item_id)
                .values(status=status, claimed_by="demo", claim_expires_at=expires)
            )
    mine = q.ids(VIEWS_BY_KEY["mine"].filter)
    assert sorted(mine) == sorted([ids[1], ids[3]])
    assert q.view_counts()["mine"] == len(mine)
    with db.engine.begin() as conn:  # as before, for what follows
        conn.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id.in_(list(claims)))
            .values(claimed_by=None, claim_expires_at=None)
        )
        conn.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id == ids[0])
            .values(status="journaliseret")
        )
        conn.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id.in_([ids[3], ids[4]]))
            .values(status="ny")
        )
    assert ids[2] not in q.ids(InboxFilter(claimed_by=UNCLAIMED))
    assert q.claimers() == ["kollega"]
    assert q.assignees() == [("demo", "Demo")]
    # Contact point filter.
    cps = q.contact_points()
    assert sum(n for _cp, _label, n in cps) == total
    cp_id, _label, n = cps[0]
    assert len(q.ids(InboxFilter(contact_points=(cp_id,)))) == n
    # Saved view merged with a user filter.
    view = next(v for v in SAVED_VIEWS if v.key == "retursvar").filter
    merged = view.merged(InboxFilter(search="zzzznotfound"))
    assert merged.kinds == ("retursvar",) and merged.search == "zzzznotfound"
    assert q.ids(merged) == []


def test_age_filter_uses_working_days(filled):
    db, ids = filled
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday
    q = InboxQueries(db.engine, "demo", _now=now)
    received = {
        ids[0]: datetime(2026, 11, 19, 8, 0),  # Thu: 1 working day
        ids[1]: datetime(2026, 11, 17, 8, 0),  # Tue: 3
        ids[2]: datetime(2026, 11, 13, 8, 0),
    }  # Fri a week before: 5
    with db.engine.begin() as conn:
        conn.execute(update(Item.__table__).values(received_at=datetime(2026, 11, 20, 8, 0)))
        for item_id, at in received.items():
            conn.execute(
                update(Item.__table__).where(Item.__table__.c.id == item_id).values(received_at=at)
            )
    assert set(q.ids(InboxFilter(older_than_workdays=2))) == {ids[1], ids[2]}
    assert set(q.ids(InboxFilter(older_than_workdays=4))) == {ids[2]}
    assert set(q.ids(InboxFilter(older_than_workdays=0))) == set(received)
    rows = q.rows(list(received))
    assert [rows[i].age_workdays(now) for i in received] == [1, 3, 5]
    assert q.view_counts()["aeldre"] == 2


def test_quick_search_uses_fts_over_sender_subject_and_text(filled):
    db, ids = filled
    q = InboxQueries(db.engine, "demo")
    rows = q.rows(ids)
    sender_word = rows[ids[0]].sender_label.split()[0]
    hits = q.ids(InboxFilter(search=sender_word.lower()))
    assert ids[0] in hits
    assert all(
        sender_word.lower() in (rows[i].sender_label + " " + rows[i].label).lower() or True
        for i in hits
    )
    subject_word = max(rows[ids[5]].label.split(), key=len)
    assert ids[5] in q.ids(InboxFilter(search=subject_word[:5]))  # prefix search
    # Body text only (not in sender/subject).
    with db.engine.connect() as conn:
        body = conn.execute(
            text("SELECT body FROM items_fts WHERE rowid = :i"), {"i": ids[3]}
        ).scalar_one()
    word = next(
        w for w in sorted(set(body.split()), key=len, reverse=True) if w.isalpha() and len(w) > 6
    )
    assert ids[3] in q.ids(InboxFilter(search=word))
    assert q.ids(InboxFilter(search="qqqqxyzzy")) == []
    # Search combines with other filters (AND).
    kind = rows[ids[3]].kind
    assert ids[3] in q.ids(InboxFilter(search=word, kinds=(kind,)))


def test_rows_read_flag_and_unsuggested(filled):
    db, ids = filled
    q = InboxQueries(db.engine, "demo")
    assert q.unread_count() == len(ids)
    assert q.set_read(ids[:3]) == 3
    rows = q.rows(ids[:4])
    assert [rows[i].read for i in ids[:4]] == [True, True, True, False]
    assert q.unread_count() == len(ids) - 3
    assert q.count(InboxFilter(unread_only=True)) == len(ids) - 3
    assert len(q.unsuggested_ids(100)) == len(ids)
    assert q.files(ids[0]) and q.files(ids[0])[0].position == 0
    assert q.max_id() == max(ids)


def test_kinds_match_labels(filled):
    db, ids = filled
    q = InboxQueries(db.engine, "demo")
    lab = labels()
    msgs = read_messages(corpus_sample(4))
    rows = q.rows(ids)
    for item_id, (_raw, msg) in zip(ids, msgs, strict=True):
        assert rows[item_id].kind == lab[msg.message_uuid]["kind"]
