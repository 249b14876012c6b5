"""Backlog figures (Qt-free) over a real migrated SQLite cache filled through `Cache.ingest`,
decisions made through the real outbox (`enqueue` / `next_due` / `defer` / `undo` /
`apply_delivery_result`), and every figure checked against a hand computation at a pinned
"now": Wednesday 8 April 2026, 10:00 in Copenhagen, just after Easter (2, 3 and 6 April are
Danish public holidays) and ten days after the switch to summer time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from app.decisions import Assign, Decision, Journalise, Reject
from app.models.backlog import (
    GOAL_WORKDAYS,
    assignees_in_cache,
    backlog_by_assignee,
    backlog_report,
    backlog_summary,
    caseworker_items,
    daily_trend,
    last_working_days,
)
from app.models.cache import Cache
from app.models.db import open_cache
from app.models.inbox import InboxFilter, InboxQueries
from app.models.schema import ItemStatus
from app.sf1606.memo import read_memo
from app.sf1606.model import MemoError
from app.suggest.text import ingest_message
from tests.backlog_fixtures import FakeItem
from tests.conftest import CORPUS, MESSAGES

NOW = datetime(2026, 4, 8, 8, 0, tzinfo=UTC)  # Wed 8 Apr 2026 10:00 CEST
CW1 = ("c999adf3-136d-4618-9835-957f9068565d", "Nanni Bech (NABE)")
CW2 = ("c24f36c2-c8b7-45c7-9fba-155f5dba1b43", "Edith Thomsen (EDTH)")


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# letter: (kind, received (UTC), age in working days at NOW — worked out by hand)
ITEMS: dict[str, tuple[str, datetime, int]] = {
    "A": ("retursvar", utc(4, 8, 7), 0),  # today 09:00 local
    "B": ("nyhenvendelse", utc(4, 7, 22, 30), 0),  # Tue 22:30 UTC = Wed 00:30 local: today
    "C": ("videresendt", utc(4, 7, 8), 1),  # Tue
    "D": ("retursvar", utc(4, 6, 8), 2),  # Easter Monday (holiday): (6 Apr, 8 Apr] = 7, 8
    "E": ("nyhenvendelse", utc(4, 1, 21, 30), 2),  # Wed 1 Apr 23:30 local: 2, 3, 6 Apr are holidays
    "F": ("retursvar", utc(3, 31, 8), 3),  # Tue 31 Mar: 1, 7, 8 Apr
    "G": ("retursvar", utc(3, 30, 8), 4),  # Mon 30 Mar
    "H": ("nyhenvendelse", utc(3, 27, 9), 5),  # Fri 27 Mar (CET)
    "I": ("videresendt", utc(3, 26, 9), 6),  # Thu 26 Mar
    "J": ("retursvar", utc(3, 20, 9), 10),  # Fri 20 Mar: journalised by the caseworker
    "K": ("nyhenvendelse", utc(3, 19, 9), 11),  # rejected (misrouted)
    "L": ("retursvar", utc(4, 8, 6), 0),  # today, claimed by "anna"
    "M": ("retursvar", utc(4, 7, 10), 1),  # journalise decision, first delivery failed: retrying
    "N": ("nyhenvendelse", utc(4, 8, 5), 0),  # refused once, decided again: pending
    "Q": ("ukendt", utc(4, 8, 5, 30), 0),  # unreadable by the client: quarantined ("fejlet")
}


def _pick_messages() -> dict[str, list]:
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    by_kind: dict[str, list] = {"retursvar": [], "nyhenvendelse": [], "videresendt": []}
    for path in sorted(MESSAGES.glob("*.xml")):
        entry = labels.get(path.stem)
        if entry and "large" not in entry["notes"] and path.stat().st_size < 200_000:
            by_kind[entry["kind"]].append(path)
    return by_kind


def _set_created(cache: Cache, outbox_id: int, at: datetime) -> None:
    """Place a decision on a given day (the outbox stamps the real clock)."""
    with cache.engine.begin() as conn:
        conn.execute(
            text("UPDATE outbox SET created_at = :at WHERE id = :id"),
            {"at": at.replace(tzinfo=None).isoformat(sep=" "), "id": outbox_id},
        )


def _decide(
    cache: Cache,
    item: int,
    decision: Decision,
    at: datetime,
    *,
    result: bool | None = True,
) -> int:
    outbox_id = cache.enqueue(item, decision, "fordeler")
    _set_created(cache, outbox_id, at)
    if result is not None:
        task = cache.next_due()
        assert task is not None and task.id == outbox_id
        cache.apply_delivery_result(
            outbox_id, delivered=result, reason=None if result else "AFVIST"
        )
    return outbox_id


@pytest.fixture()
def filled(tmp_path):
    db = open_cache(tmp_path / "cache.sqlite3")
    cache = Cache(db)
    pool = _pick_messages()
    batch = []
    for n, (_letter, (kind, received, _age)) in enumerate(ITEMS.items(), start=1):
        if kind == "ukendt":
            raw = b"<not-memo/>"
            fake = FakeItem(n, f"00000000-0000-4000-8000-{n:012d}", received, "cp-x", raw)
            batch.append((fake, MemoError("unsupported MeMo version", "version")))
            continue
        path = pool[kind].pop(0)
        raw = path.read_bytes()
        msg = read_memo(raw, locate=True)
        batch.append((FakeItem(n, msg.message_uuid, received, None, raw), ingest_message(msg)))
    assert cache.ingest(batch).new == len(ITEMS)
    ids = {
        letter: cache.item_id_for_uuid(it.message_uuid)
        for letter, (it, _m) in zip(ITEMS, batch, strict=True)
    }
    case = Journalise("11111111-1111-4111-8111-111111111111", "27.24.00-G01-1-26")
    cw1 = Assign(*CW1)
    cw2 = Assign(*CW2)
    # Delivered decisions first: `next_due` takes the oldest pending entry.
    # A: decided and undone today (an undone decision is no decision)
    undo_id = cache.enqueue(ids["A"], case, "fordeler")
    _set_created(cache, undo_id, utc(4, 8, 7, 30))
    assert cache.undo(undo_id)
    _decide(cache, ids["F"], cw1, utc(4, 1, 9))
    _decide(cache, ids["G"], cw2, utc(3, 31, 9))
    _decide(cache, ids["H"], case, utc(3, 30, 9), result=False)  # refused
    _decide(cache, ids["I"], cw1, utc(3, 27, 10))
    _decide(cache, ids["J"], cw1, utc(3, 20, 10))
    _decide(cache, ids["J"], case, utc(3, 23, 9))  # the caseworker journalised
    _decide(cache, ids["K"], Reject("Forkert afdeling"), utc(3, 19, 12))
    m = _decide(cache, ids["M"], case, utc(4, 8, 6, 30), result=None)
    task = cache.next_due()
    assert task is not None and task.id == m
    cache.defer(m, "timeout", 60)  # a failed attempt: pending again, attempts = 1
    _decide(cache, ids["N"], case, utc(4, 7, 13), result=False)
    _decide(cache, ids["N"], case, utc(4, 8, 6), result=None)  # decided again
    _decide(cache, ids["E"], cw1, utc(4, 7, 12), result=None)  # afventer, with NABE
    cache.set_claim(ids["L"], "anna", utc(4, 8, 9))
    yield db, ids
    db.engine.dispose()


BACKLOG = [k for k in ITEMS if k not in ("J", "K")]


def test_fixture_statuses_are_what_the_hand_computation_assumes(filled):
    db, ids = filled
    cache = Cache(db)
    status = {k: cache.item(ids[k])["status"] for k in ITEMS}
    assert status == {
        "A": "ny",
        "B": "ny",
        "C": "ny",
        "D": "ny",
        "E": "afventer",
        "F": "fordelt",
        "G": "fordelt",
        "H": "fejlet",
        "I": "fordelt",
        "J": "journaliseret",
        "K": "afvist",
        "L": "ny",
        "M": "afventer",
        "N": "afventer",
        "Q": "fejlet",
    }
    # The per-item ages the buckets below are built from (inbox's working-day helper).
    rows = InboxQueries(db.engine, _now=NOW).rows(ids.values())
    assert {k: rows[ids[k]].age_workdays(NOW) for k in ITEMS} == {k: v[2] for k, v in ITEMS.items()}


def test_summary_figures(filled):
    db, _ids = filled
    s = backlog_summary(db, NOW)
    assert s.as_of == NOW
    assert s.open_total == 13 == len(BACKLOG)
    assert s.awaiting_decision == 5  # A B C D L
    assert s.with_caseworkers == 4  # E (pending assign), F, G, I
    assert s.by_status == (("ny", 5), ("afventer", 3), ("fejlet", 2), ("fordelt", 3))
    assert s.by_kind == (("retursvar", 6), ("nyhenvendelse", 4), ("videresendt", 2), ("ukendt", 1))
    assert s.kind_count("videresendt") == 2 and s.status_count("afvist") == 0
    assert [(b.key, b.count) for b in s.age_buckets] == [
        ("0", 5),  # A B L N Q
        ("1", 2),  # C M
        ("2", 2),  # D E
        ("3-5", 3),  # F G H
        (">5", 1),  # I
    ]
    assert sum(b.count for b in s.age_buckets) == s.open_total
    assert s.over_goal == 4 == s.bucket("3-5") + s.bucket(">5")
    assert s.goal_workdays == GOAL_WORKDAYS == 2
    assert s.oldest_received_at == ITEMS["I"][1]
    assert s.oldest_age_workdays == 6
    assert s.outbox_pending == 3  # E, M, N (second decision)
    assert s.outbox_retrying == 1  # M
    assert s.outbox_failed == 1  # H; N's refusal was decided again, Q never reached the outbox
    assert s.claimed == (("anna", 1),)
    assert sum(n for _cp, n in s.by_contact_point) == s.open_total


def test_over_goal_matches_the_inbox_view(filled):
    """The team lead's "Ældre end 2 arbejdsdage" is the inbox's saved view plus fordelt items."""
    db, _ids = filled
    queries = InboxQueries(db.engine, _now=NOW)
    older = InboxFilter(statuses=(*ItemStatus.OPEN, ItemStatus.ASSIGNED), older_than_workdays=2)
    assert queries.count(older) == backlog_summary(db, NOW).over_goal


def test_ages_move_with_the_working_days(filled):
    """Thursday 9 April: every item one working day older; Easter Monday adds nothing."""
    db, _ids = filled
    s = backlog_summary(db, utc(4, 9, 8))
    assert [(b.key, b.count) for b in s.age_buckets] == [
        ("0", 0),
        ("1", 5),
        ("2", 2),
        ("3-5", 4),
        (">5", 2),  # D E → 3; H → 6
    ]
    # Good Friday 3 April, looking back from Tuesday 7 April 10:00: 3 and 6 April are holidays,
    # so an item from Wednesday 1 April is only 1 working day old.
    assert backlog_summary(db, utc(4, 7, 8)).oldest_age_workdays == 5  # I: 27, 30, 31, 1, 7


def test_by_assignee(filled):
    db, _ids = filled
    rows = backlog_by_assignee(db, NOW)
    assert [(r.caseworker_id, r.caseworker_label) for r in rows] == [CW1, CW2]
    nabe, edth = rows
    assert (nabe.count, nabe.over_goal, nabe.pending, nabe.failed) == (3, 2, 1, 0)  # E F I
    assert nabe.oldest_received_at == ITEMS["I"][1] and nabe.oldest_age_workdays == 6
    assert (edth.count, edth.over_goal, edth.pending, edth.failed) == (1, 1, 0, 0)  # G
    assert edth.oldest_age_workdays == 4
    assert assignees_in_cache(db) == ((CW2[0], CW2[1], 1), (CW1[0], CW1[1], 3))  # by label


def test_trend_last_ten_working_days(filled):
    db, _ids = filled
    window = last_working_days(10, NOW)
    assert window == (
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 3, 25),
        date(2026, 3, 26),
        date(2026, 3, 27),
        date(2026, 3, 30),
        date(2026, 3, 31),
        date(2026, 4, 1),
        date(2026, 4, 7),
        date(2026, 4, 8),
    )
    trend = daily_trend(db, 10, NOW)
    assert [t.day for t in trend] == list(window)
    received = {t.day.isoformat(): t.received for t in trend if t.received}
    decided = {t.day.isoformat(): t.decided for t in trend if t.decided}
    assert received == {
        "2026-03-26": 1,  # I
        "2026-03-27": 1,  # H
        "2026-03-30": 1,  # G
        "2026-03-31": 1,  # F
        "2026-04-01": 2,  # E, and D (Easter Monday counts on the working day before)
        "2026-04-07": 2,  # C M
        "2026-04-08": 5,  # A B(00:30 local) L N Q
    }
    assert decided == {
        "2026-03-23": 1,  # J journalised (its assignment on 20 March is outside the window)
        "2026-03-27": 1,  # I
        "2026-03-30": 1,  # H (refused later, still a decision)
        "2026-03-31": 1,  # G
        "2026-04-01": 1,  # F
        "2026-04-07": 2,  # E, N (first decision)
        "2026-04-08": 2,  # M, N again; A's undone decision does not count
    }


def test_trend_on_a_weekend_ends_on_friday_and_keeps_weekend_arrivals(filled):
    db, _ids = filled
    saturday = utc(4, 11, 10)
    assert last_working_days(3, saturday) == (date(2026, 4, 8), date(2026, 4, 9), date(2026, 4, 10))
    cache = Cache(db)
    raw = max(MESSAGES.glob("*.xml")).read_bytes()
    msg = read_memo(raw, locate=True)
    cache.ingest([(FakeItem(999, msg.message_uuid, utc(4, 11, 9), None, raw), ingest_message(msg))])
    trend = daily_trend(db, 3, saturday)
    assert [(t.day.isoformat(), t.received) for t in trend] == [
        ("2026-04-08", 5),
        ("2026-04-09", 0),
        ("2026-04-10", 1),
    ]


def test_caseworker_items(filled):
    db, ids = filled
    mine = caseworker_items(db, CW1[0], NOW)
    assert [i.id for i in mine] == [ids["I"], ids["F"], ids["E"]]  # oldest first
    assert [i.age_workdays for i in mine] == [6, 3, 2]
    assert [i.status for i in mine] == ["fordelt", "fordelt", "afventer"]
    assert [i.assigned_at for i in mine] == [utc(3, 27, 10), utc(4, 1, 9), utc(4, 7, 12)]
    assert [i.kind for i in mine] == ["videresendt", "retursvar", "nyhenvendelse"]
    assert all(i.label for i in mine)
    done = caseworker_items(db, CW1[0], NOW, include_done=True)
    assert [i.id for i in done] == [ids["J"], ids["I"], ids["F"], ids["E"]]
    assert done[0].status == "journaliseret" and done[0].assigned_at == utc(3, 20, 10)
    assert caseworker_items(db, "nobody", NOW) == ()


def test_report_bundles_the_three(filled):
    db, _ids = filled
    report = backlog_report(db, NOW)
    assert report.summary == backlog_summary(db, NOW)
    assert report.assignees == backlog_by_assignee(db, NOW)
    assert report.trend == daily_trend(db, 10, NOW)


def test_empty_cache(tmp_path):
    db = open_cache(tmp_path / "empty.sqlite3")
    try:
        s = backlog_summary(db, NOW)
        assert s.open_total == 0 and s.oldest_age_workdays is None and s.oldest_received_at is None
        assert [b.count for b in s.age_buckets] == [0, 0, 0, 0, 0]
        assert backlog_by_assignee(db, NOW) == ()
        assert [t.received for t in daily_trend(db, 10, NOW)] == [0] * 10
    finally:
        db.engine.dispose()
