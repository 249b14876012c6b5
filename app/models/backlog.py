"""Backlog figures over the client cache, for the team lead (teamleder) and the caseworker.

Journaliseringspligt: an incoming document must be journalised "snarest muligt"; the team's goal
is within 2 working days of the gateway's receipt. This module answers how much is unhandled,
how old (in Danish working days, holidays included, via `app.models.inbox`'s working-day
helpers), with whom, and how the daily intake compares with the daily decisions. It also lists
what was distributed ("fordelt") to one caseworker.

"Unhandled" (`BACKLOG_STATUSES`) is every item not yet journalised, rejected or forwarded: new,
awaiting delivery, failed, and distributed to a caseworker who has not journalised it yet.

Everything is read-only, returns small frozen dataclasses (UTC-aware datetimes), and runs
blocking SQL: call it from a worker thread, never the UI thread. Never imports Qt, never returns
ORM objects, never writes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, and_, case, func, select

from app.models.cache import as_utc
from app.models.db import Database
from app.models.inbox import (
    LOCAL_TZ,
    age_in_working_days,
    is_working_day,
    local_date,
    older_than_cutoff,
)
from app.models.schema import Item, ItemStatus, OutboxEntry, OutboxStatus

_items = Item.__table__
_outbox = OutboxEntry.__table__

GOAL_WORKDAYS = 2  # "snarest muligt": the team's goal, as in the inbox's "aeldre" view
BACKLOG_STATUSES: tuple[str, ...] = (
    ItemStatus.NEW,
    ItemStatus.PENDING,
    ItemStatus.FAILED,
    ItemStatus.ASSIGNED,
)
# With a caseworker and not yet journalised (a pending/failed decision keeps its assignee).
WITH_CASEWORKER_STATUSES: tuple[str, ...] = (
    ItemStatus.ASSIGNED,
    ItemStatus.PENDING,
    ItemStatus.FAILED,
)
KIND_ORDER = ("retursvar", "nyhenvendelse", "videresendt", "ukendt")


@dataclass(frozen=True, slots=True)
class AgeBucket:
    """Items whose age in working days is in [low, high] (high None: no upper bound)."""

    key: str  # "0", "1", "2", "3-5", ">5"
    low: int
    high: int | None
    count: int


# (key, low, high); the cut points (age > n) are the highs: 0, 1, 2, 5.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-5", 3, 5),
    (">5", 6, None),
)
_CUTS = (0, 1, 2, 5)


@dataclass(frozen=True, slots=True)
class BacklogSummary:
    as_of: datetime  # UTC "now" the ages were computed for
    open_total: int  # unhandled: ny + afventer + fejlet + fordelt
    awaiting_decision: int  # status "ny": nobody has decided yet
    with_caseworkers: int  # assigned to a caseworker, not journalised
    by_kind: tuple[tuple[str, int], ...]  # unhandled per kind (KIND_ORDER first)
    by_status: tuple[tuple[str, int], ...]  # unhandled per status (BACKLOG_STATUSES order)
    by_contact_point: tuple[tuple[str, int], ...]  # unhandled per contact point label
    age_buckets: tuple[AgeBucket, ...]
    oldest_received_at: datetime | None
    oldest_age_workdays: int | None
    over_goal: int  # unhandled with age > GOAL_WORKDAYS
    outbox_pending: int  # decisions not yet delivered (pending + sending)
    outbox_retrying: int  # of which a delivery attempt failed and is being retried
    outbox_failed: int  # refused by the receiver (AFVIST/FEJLET) and not re-decided
    claimed: tuple[tuple[str, int], ...]  # unhandled items locked per distributor
    goal_workdays: int = GOAL_WORKDAYS

    def kind_count(self, kind: str) -> int:
        return dict(self.by_kind).get(kind, 0)

    def status_count(self, status: str) -> int:
        return dict(self.by_status).get(status, 0)

    def bucket(self, key: str) -> int:
        return next(b.count for b in self.age_buckets if b.key == key)


@dataclass(frozen=True, slots=True)
class BacklogByAssignee:
    """One caseworker's share: distributed to them and not yet journalised."""

    caseworker_id: str
    caseworker_label: str
    count: int
    over_goal: int  # of which older than the goal (from the gateway's receipt)
    pending: int  # of which a decision awaits delivery
    failed: int  # of which a delivery failed
    oldest_received_at: datetime
    oldest_age_workdays: int


@dataclass(frozen=True, slots=True)
class TrendDay:
    day: date  # a working day; non-working days' events count on the working day before
    received: int  # items received by the gateway
    decided: int  # items decided (outbox entries created, undone ones excluded)


@dataclass(frozen=True, slots=True)
class BacklogReport:
    summary: BacklogSummary
    assignees: tuple[BacklogByAssignee, ...]
    trend: tuple[TrendDay, ...]


@dataclass(frozen=True, slots=True)
class CaseworkerItem:
    """One item in a caseworker's "fordelt til mig" list."""

    id: int
    received_at: datetime  # UTC
    assigned_at: datetime | None  # when the distributor decided "fordel" (UTC)
    kind: str
    sender_label: str
    label: str
    contact_point_label: str | None
    status: str
    status_note: str | None
    decided_case_number: str | None
    age_workdays: int  # from the gateway's receipt (journaliseringspligt)


# --------------------------------------------------------------------------- helpers


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    """The stored form of a UTC instant (SQLite keeps naive UTC; see app.models.cache)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def working_day_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def last_working_days(n: int, now: datetime | None = None) -> tuple[date, ...]:
    """The `n` most recent working days up to today (local time), oldest first."""
    day = working_day_on_or_before(local_date(_now(now)))
    days = [day]
    while len(days) < n:
        day = working_day_on_or_before(day - timedelta(days=1))
        days.append(day)
    return tuple(reversed(days))


def _ordered(counter: Counter[str], order: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    known = [(k, counter[k]) for k in order if counter.get(k)]
    rest = sorted(
        ((k, n) for k, n in counter.items() if k not in order and n), key=lambda kv: kv[0]
    )
    return tuple(known + rest)


# --------------------------------------------------------------------------- queries


def backlog_summary(db: Database | Engine, now: datetime | None = None) -> BacklogSummary:
    """Every team-lead figure in one scan of the unhandled items plus two outbox counts."""
    now = _now(now)
    c = _items.c
    cuts = {n: _naive(older_than_cutoff(n, now)) for n in _CUTS}
    older = [func.coalesce(func.sum(case((c.received_at < cuts[n], 1), else_=0)), 0) for n in _CUTS]
    stmt = (
        select(
            c.kind,
            c.status,
            c.contact_point_label,
            c.assignee_id.is_not(None),
            c.claimed_by,
            func.count(),
            func.min(c.received_at),
            *older,
        )
        .where(c.status.in_(BACKLOG_STATUSES))
        .group_by(c.kind, c.status, c.contact_point_label, c.assignee_id.is_not(None), c.claimed_by)
    )
    by_kind: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_cp: Counter[str] = Counter()
    claimed: Counter[str] = Counter()
    over = Counter[int]()
    total = with_cw = 0
    oldest: datetime | None = None
    outbox = _outbox.c
    with _engine(db).connect() as conn:
        for kind, status, cp_label, has_cw, claimer, n, first, *gt in conn.execute(stmt):
            total += n
            by_kind[kind] += n
            by_status[status] += n
            by_cp[cp_label or ""] += n
            if claimer:
                claimed[claimer] += n
            if has_cw and status in WITH_CASEWORKER_STATUSES:
                with_cw += n
            for cut, value in zip(_CUTS, gt, strict=True):
                over[cut] += int(value)
            first_utc = as_utc(first)
            if first_utc is not None and (oldest is None or first_utc < oldest):
                oldest = first_utc
        pending, retrying = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((outbox.attempts > 0, 1), else_=0)), 0),
            ).where(outbox.status.in_(OutboxStatus.OPEN))
        ).one()
        failed = conn.execute(
            select(func.count(func.distinct(outbox.item_id)))
            .select_from(_outbox.join(_items, _items.c.id == outbox.item_id))
            .where(outbox.status == OutboxStatus.REJECTED, c.status == ItemStatus.FAILED)
        ).scalar_one()
    # age > n counts → buckets: [0]=total-(>0), [1]=(>0)-(>1), [2]=(>1)-(>2), [3-5]=(>2)-(>5)
    gt_counts = [total, *(over[n] for n in _CUTS)]
    buckets = tuple(
        AgeBucket(
            key, low, high, gt_counts[i] - (gt_counts[i + 1] if i + 1 < len(gt_counts) else 0)
        )
        for i, (key, low, high) in enumerate(AGE_BUCKETS)
    )
    return BacklogSummary(
        as_of=now,
        open_total=total,
        awaiting_decision=by_status[ItemStatus.NEW],
        with_caseworkers=with_cw,
        by_kind=_ordered(by_kind, KIND_ORDER),
        by_status=_ordered(by_status, BACKLOG_STATUSES),
        by_contact_point=tuple(sorted(by_cp.items(), key=lambda kv: (-kv[1], kv[0]))),
        age_buckets=buckets,
        oldest_received_at=oldest,
        oldest_age_workdays=age_in_working_days(oldest, now) if oldest else None,
        over_goal=over[GOAL_WORKDAYS],
        outbox_pending=int(pending),
        outbox_retrying=int(retrying),
        outbox_failed=int(failed),
        claimed=tuple(sorted(claimed.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def backlog_by_assignee(
    db: Database | Engine, now: datetime | None = None
) -> tuple[BacklogByAssignee, ...]:
    """Per caseworker: items distributed to them and not journalised; oldest first."""
    now = _now(now)
    c = _items.c
    cutoff = _naive(older_than_cutoff(GOAL_WORKDAYS, now))
    stmt = (
        select(
            c.assignee_id,
            func.max(c.assignee_label),
            func.count(),
            func.coalesce(func.sum(case((c.received_at < cutoff, 1), else_=0)), 0),
            func.coalesce(func.sum(case((c.status == ItemStatus.PENDING, 1), else_=0)), 0),
            func.coalesce(func.sum(case((c.status == ItemStatus.FAILED, 1), else_=0)), 0),
            func.min(c.received_at),
        )
        .where(c.assignee_id.is_not(None), c.status.in_(WITH_CASEWORKER_STATUSES))
        .group_by(c.assignee_id)
    )
    rows = []
    with _engine(db).connect() as conn:
        for cw_id, label, n, over, pending, failed, first in conn.execute(stmt):
            first_utc = as_utc(first)
            assert first_utc is not None
            rows.append(
                BacklogByAssignee(
                    caseworker_id=cw_id,
                    caseworker_label=label or cw_id,
                    count=int(n),
                    over_goal=int(over),
                    pending=int(pending),
                    failed=int(failed),
                    oldest_received_at=first_utc,
                    oldest_age_workdays=age_in_working_days(first_utc, now),
                )
            )
    rows.sort(key=lambda r: (r.oldest_received_at, -r.count, r.caseworker_label))
    return tuple(rows)


def daily_trend(
    db: Database | Engine, days: int = 10, now: datetime | None = None
) -> tuple[TrendDay, ...]:
    """Received vs decided per working day for the last `days` working days (oldest first).

    An event on a weekend or holiday counts on the working day before it: an item received on a
    Saturday has the same age on Monday as one received on Friday."""
    now = _now(now)
    window = last_working_days(days, now)
    start = datetime.combine(window[0], time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC)
    received: Counter[date] = Counter()
    decided: dict[date, set[int]] = defaultdict(set)
    c, o = _items.c, _outbox.c
    in_window = set(window)
    with _engine(db).connect() as conn:
        for (at,) in conn.execute(select(c.received_at).where(c.received_at >= _naive(start))):
            day = working_day_on_or_before(local_date(as_utc(at)))  # type: ignore[arg-type]
            if day in in_window:
                received[day] += 1
        stmt = select(o.item_id, o.created_at).where(
            and_(o.created_at >= _naive(start), o.status != OutboxStatus.CANCELLED)
        )
        for item_id, at in conn.execute(stmt):
            day = working_day_on_or_before(local_date(as_utc(at)))  # type: ignore[arg-type]
            if day in in_window:
                decided[day].add(item_id)
    return tuple(TrendDay(d, received[d], len(decided[d])) for d in window)


def backlog_report(
    db: Database | Engine, now: datetime | None = None, trend_days: int = 10
) -> BacklogReport:
    """Summary, per-caseworker rows and the trend for one moment (what the team-lead view shows)."""
    now = _now(now)
    return BacklogReport(
        summary=backlog_summary(db, now),
        assignees=backlog_by_assignee(db, now),
        trend=daily_trend(db, trend_days, now),
    )


def caseworker_items(
    db: Database | Engine,
    caseworker_id: str,
    now: datetime | None = None,
    *,
    include_done: bool = False,
) -> tuple[CaseworkerItem, ...]:
    """The caseworker's "fordelt til mig": items assigned to `caseworker_id` and not yet
    journalised (with `include_done`, also those since journalised/rejected/forwarded), oldest
    first."""
    now = _now(now)
    c, o = _items.c, _outbox.c
    assigned_at = (
        select(func.max(o.created_at))
        .where(o.item_id == c.id, o.action == "assign", o.status != OutboxStatus.CANCELLED)
        .correlate(_items)
        .scalar_subquery()
    )
    stmt = select(
        c.id,
        c.received_at,
        assigned_at,
        c.kind,
        c.sender_label,
        c.label,
        c.contact_point_label,
        c.status,
        c.status_note,
        c.decided_case_number,
    ).where(c.assignee_id == caseworker_id)
    if not include_done:
        stmt = stmt.where(c.status.in_(WITH_CASEWORKER_STATUSES))
    stmt = stmt.order_by(c.received_at, c.id)
    out = []
    with _engine(db).connect() as conn:
        for id_, received, assigned, kind, sender, label, cp, status, note, case_no in conn.execute(
            stmt
        ):
            received_utc = as_utc(received)
            assert received_utc is not None
            out.append(
                CaseworkerItem(
                    id=id_,
                    received_at=received_utc,
                    assigned_at=as_utc(assigned),
                    kind=kind,
                    sender_label=sender or "",
                    label=label or "",
                    contact_point_label=cp,
                    status=status,
                    status_note=note,
                    decided_case_number=case_no,
                    age_workdays=age_in_working_days(received_utc, now),
                )
            )
    return tuple(out)


def assignees_in_cache(db: Database | Engine) -> tuple[tuple[str, str, int], ...]:
    """(caseworker id, label, unhandled count) of everyone the cache has items assigned to."""
    c = _items.c
    open_count = func.coalesce(
        func.sum(case((c.status.in_(WITH_CASEWORKER_STATUSES), 1), else_=0)), 0
    )
    stmt = (
        select(c.assignee_id, func.max(c.assignee_label), open_count)
        .where(c.assignee_id.is_not(None))
        .group_by(c.assignee_id)
    )
    with _engine(db).connect() as conn:
        rows = [(cw, label or cw, int(n)) for cw, label, n in conn.execute(stmt)]
    return tuple(sorted(rows, key=lambda r: r[1].casefold()))
