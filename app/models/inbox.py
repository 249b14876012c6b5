"""Inbox queries over the client cache: the Qt-free read side of the desktop inbox.

The UI's inbox model holds only item IDs and asks this module, from a worker thread, for
(1) the ordered ID list for a filter + sort + quick search + saved view, (2) small frozen
`InboxRow`s for a page of IDs, and (3) counts. Sorting, filtering and full-text search all run
in SQL (indexes from revision e0002, FTS5 table `items_fts`), so 100k items stay fast.

The access log the UI owes the citizen is written through `app.core.audit.AccessLog`.

This module never imports Qt, never returns ORM objects and never changes an item's decision
state (decisions go through `Cache.enqueue`); its only write is the per-user read flag.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import cast
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import (
    DateTime,
    Engine,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import TextClause

from app.models.schema import AccessLog, Item, ItemFile, ItemStatus

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
_items = cast(Table, Item.__table__)
_files = ItemFile.__table__
_access = AccessLog.__table__
_DATETIME = DateTime(timezone=True)


# --------------------------------------------------------------------------- working days


@lru_cache(maxsize=64)
def _dk_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("DK", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _dk_holidays(day.year)


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).date()


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end (0 when end <= start): the age of an item
    received on `start`, seen on `end` (journaliseringspligt: received "snarest muligt")."""
    if end <= start:
        return 0
    days = 0
    day = start + timedelta(days=1)
    # Whole weeks first, then the remainder day by day (holidays checked individually).
    while (end - day).days >= 7:
        week = [day + timedelta(days=i) for i in range(7)]
        days += sum(1 for d in week if is_working_day(d))
        day += timedelta(days=7)
    while day <= end:
        days += is_working_day(day)
        day += timedelta(days=1)
    return days


def age_in_working_days(received_at: datetime, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    return working_days_between(local_date(received_at), local_date(now))


def older_than_cutoff(workdays: int, now: datetime | None = None) -> datetime:
    """UTC instant such that `received_at < cutoff` <=> age in working days > `workdays`.

    age(r) >= n+1 exactly when (r, today] holds the (n+1)-th working day counted back from
    today (inclusive), so the cutoff is local midnight of that day."""
    day = local_date(now or datetime.now(UTC))
    found = 0
    while True:
        if is_working_day(day):
            found += 1
            if found == workdays + 1:
                break
        day -= timedelta(days=1)
    midnight = datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)
    return midnight.astimezone(UTC)


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One inbox line, as small and immutable as the table needs."""

    id: int
    received_at: datetime  # UTC-aware gateway receipt time (never changes)
    kind: str
    sender_label: str
    label: str
    contact_point_id: str | None
    contact_point_label: str | None
    suggested_case_number: str | None
    suggested_score: float | None
    misrouted: bool
    status: str
    status_note: str | None
    decided_case_number: str | None
    assignee_label: str | None
    claimed_by: str | None
    read: bool
    n_files: int
    delivery_state: str = "ny"  # DeliveryState: the team's truth about the decision's delivery
    delivery_reason: str | None = None  # e.g. why DUBU refused it (afvist_af_dubu)
    follow_up: bool = False  # sent, but no business receipt in time
    # a conflict: the gateway had the sender's messageUUID (this value) with other content
    conflict_of: str | None = None

    def age_workdays(self, now: datetime | None = None) -> int:
        return age_in_working_days(self.received_at, now)


_ROW_COLUMNS = (
    _items.c.id,
    _items.c.received_at,
    _items.c.kind,
    _items.c.sender_label,
    _items.c.label,
    _items.c.contact_point_id,
    _items.c.contact_point_label,
    _items.c.suggested_case_number,
    _items.c.suggested_score,
    _items.c.misrouted,
    _items.c.status,
    _items.c.status_note,
    _items.c.decided_case_number,
    _items.c.assignee_label,
    _items.c.claimed_by,
    _items.c.read,
    _items.c.n_files,
    _items.c.delivery_state,
    _items.c.delivery_reason,
    _items.c.follow_up,
    _items.c.conflict_of,
)


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.fromtimestamp(0, UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _row(values: Sequence) -> InboxRow:  # type: ignore[type-arg]
    (
        id_,
        received,
        kind,
        sender,
        label,
        cp_id,
        cp_label,
        sug_no,
        sug_score,
        misrouted,
        status,
        note,
        decided_no,
        assignee,
        claimed,
        read,
        n_files,
        delivery_state,
        delivery_reason,
        follow_up,
        conflict_of,
    ) = values
    return InboxRow(
        id=id_,
        received_at=_aware(received),
        kind=kind,
        sender_label=sender or "",
        label=label or "",
        contact_point_id=cp_id,
        contact_point_label=cp_label,
        suggested_case_number=sug_no,
        suggested_score=sug_score,
        misrouted=bool(misrouted),
        status=status,
        status_note=note,
        decided_case_number=decided_no,
        assignee_label=assignee,
        claimed_by=claimed,
        read=bool(read),
        n_files=n_files or 0,
        delivery_state=delivery_state or "ny",
        delivery_reason=delivery_reason,
        follow_up=bool(follow_up),
        conflict_of=conflict_of,
    )


@dataclass(frozen=True, slots=True)
class FileRow:
    """Metadata of one file of an item (the bytes come from the cache's blob on demand)."""

    position: int
    role: str
    mime: str
    filename: str  # as declared by the sender: display only
    safe_filename: str
    size: int
    sha256: str


# --------------------------------------------------------------------------- filters


class SortColumn(enum.IntEnum):
    """Inbox columns in display order; every one sorts in SQL."""

    RECEIVED = 0
    KIND = 1
    SENDER = 2
    SUBJECT = 3
    CONTACT_POINT = 4
    SUGGESTION = 5
    AGE = 6
    STATUS = 7
    DELIVERY = 8  # the delivery state of the decision (h0006)


_SORT_EXPR = {
    SortColumn.RECEIVED: _items.c.received_at,
    SortColumn.KIND: _items.c.kind,
    SortColumn.SENDER: _items.c.sender_label,
    SortColumn.SUBJECT: _items.c.label,
    SortColumn.CONTACT_POINT: _items.c.contact_point_label,
    SortColumn.SUGGESTION: _items.c.suggested_score,
    SortColumn.AGE: _items.c.received_at,  # older = larger age: inverted below
    SortColumn.STATUS: _items.c.status,
    SortColumn.DELIVERY: _items.c.delivery_state,
}

UNASSIGNED = "\x00unassigned"  # `assignee` filter value meaning "nobody"
UNCLAIMED = "\x00unclaimed"


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Everything that narrows the inbox; the empty filter shows all items."""

    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    contact_points: tuple[str, ...] = ()
    older_than_workdays: int | None = None  # age filter (journaliseringspligt)
    assignee: str | None = None  # caseworker id, or UNASSIGNED
    claimed_by: str | None = None  # user, or UNCLAIMED
    mine: bool = False  # claimed by or assigned to the current user
    unread_only: bool = False
    misrouted: bool | None = None
    search: str = ""  # quick search: sender, subject and text (FTS5)

    def merged(self, other: InboxFilter) -> InboxFilter:
        """`other`'s non-empty fields on top of this filter (saved view + user filters)."""
        changes = {}
        for name in self.__dataclass_fields__:
            value = getattr(other, name)
            if value not in ((), None, False, ""):
                changes[name] = value
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SavedView:
    key: str
    filter: InboxFilter


SAVED_VIEWS: tuple[SavedView, ...] = (
    SavedView("ufordelte", InboxFilter(statuses=ItemStatus.OPEN)),
    SavedView("retursvar", InboxFilter(kinds=("retursvar",), statuses=ItemStatus.OPEN)),
    SavedView("nyhenvendelser", InboxFilter(kinds=("nyhenvendelse",), statuses=ItemStatus.OPEN)),
    SavedView("videresendte", InboxFilter(kinds=("videresendt",), statuses=ItemStatus.OPEN)),
    SavedView("mine", InboxFilter(mine=True)),
    SavedView("aeldre", InboxFilter(statuses=ItemStatus.OPEN, older_than_workdays=2)),
    SavedView("alle", InboxFilter()),
)
VIEWS_BY_KEY = {view.key: view for view in SAVED_VIEWS}

_TOKEN_RE = re.compile(r"[^\s\"]+")


def fts_query(search: str) -> str | None:
    """Turn what a user typed into a safe FTS5 query: every word must match as a prefix."""
    tokens = _TOKEN_RE.findall(search.replace("*", " ").replace("^", " "))
    tokens = [t for t in tokens if any(ch.isalnum() for ch in t)]
    if not tokens:
        return None
    return " ".join(f'"{t}"*' for t in tokens[:12])


# --------------------------------------------------------------------------- queries


def _unindexed(column: ColumnElement[str]) -> ColumnElement[str]:
    return literal_column(f"+items.{column.name}", String())


@dataclass
class InboxQueries:
    """Queries for one user over one cache engine. Call from a worker thread, never the UI's."""

    engine: Engine
    user: str = ""
    _now: datetime | None = field(default=None, repr=False)  # tests pin "now"

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def _where(self, flt: InboxFilter) -> list[ColumnElement[bool] | TextClause]:
        c = _items.c
        where: list[ColumnElement[bool] | TextClause] = []
        # "+column" keeps SQLite from choosing the narrow kind/status indexes with a table
        # lookup per row; the covering inbox indexes scan in display order instead (3x faster).
        if flt.kinds:
            where.append(_unindexed(c.kind).in_(flt.kinds))
        if flt.statuses:
            where.append(_unindexed(c.status).in_(flt.statuses))
        if flt.contact_points:
            where.append(c.contact_point_id.in_(flt.contact_points))
        if flt.older_than_workdays is not None:
            cutoff = older_than_cutoff(flt.older_than_workdays, self.now())
            dialect = self.engine.dialect
            to_db = _DATETIME.dialect_impl(dialect).bind_processor(dialect)
            naive = cutoff.replace(tzinfo=None)
            stored = to_db(naive) if to_db else naive
            where.append(c.received_at < bindparam("cutoff", stored, type_=String()))
        if flt.assignee == UNASSIGNED:
            where.append(c.assignee_id.is_(None))
        elif flt.assignee:
            where.append(c.assignee_id == flt.assignee)
        if flt.claimed_by == UNCLAIMED:
            where.append(c.claimed_by.is_(None))
        elif flt.claimed_by:
            where.append(c.claimed_by == flt.claimed_by)
        if flt.mine:
            # Assigned to me, or a live claim of mine on an item still open; a decision's
            # transient lock (held while it is sent, until the lease runs out) is not "mine".
            dialect = self.engine.dialect
            to_db = _DATETIME.dialect_impl(dialect).bind_processor(dialect)
            naive_now = self.now().replace(tzinfo=None)
            stored_now = to_db(naive_now) if to_db else naive_now
            live_claim = and_(
                c.claimed_by == self.user,
                _unindexed(c.status).in_(ItemStatus.OPEN),
                c.claim_expires_at > bindparam("claim_now", stored_now, type_=String()),
            )
            where.append(or_(c.assignee_id == self.user, live_claim))
        if flt.unread_only:
            where.append(c.read.is_(False))
        if flt.misrouted is not None:
            where.append(c.misrouted.is_(flt.misrouted))
        query = fts_query(flt.search)
        if query is not None:
            where.append(
                text(
                    "items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH :fts)"
                ).bindparams(fts=query)
            )
        return where

    def ids(
        self,
        flt: InboxFilter = InboxFilter(),
        sort: SortColumn = SortColumn.RECEIVED,
        descending: bool = True,
    ) -> list[int]:
        """All matching item IDs, ordered in SQL (ties broken by id, stable across pages)."""
        expr = _SORT_EXPR[SortColumn(sort)]
        if sort == SortColumn.AGE:
            descending = not descending
        order = (expr.desc(), _items.c.id.desc()) if descending else (expr.asc(), _items.c.id)
        stmt = select(_items.c.id).where(and_(True, *self._where(flt))).order_by(*order)
        return self._fetch_ids(stmt)

    def _fetch_ids(self, stmt: Select[tuple[int]]) -> list[int]:
        """Run a one-column id query on the raw DBAPI cursor: for 100k ids this is about twice
        as fast as SQLAlchemy's result rows. Every parameter is already a plain value."""
        compiled = stmt.compile(
            dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True}
        )
        params = compiled.params
        args = [params[name] for name in compiled.positiontup or ()]
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None  # a checked-out pool connection always has one
            cursor = driver.execute(compiled.string, args)
            return [row[0] for row in cursor]

    def rows(self, ids: Iterable[int]) -> dict[int, InboxRow]:
        wanted = list(dict.fromkeys(ids))
        result: dict[int, InboxRow] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                stmt = select(*_ROW_COLUMNS).where(_items.c.id.in_(chunk))
                for values in conn.execute(stmt):
                    row = _row(values)
                    result[row.id] = row
        return result

    def count(self, flt: InboxFilter = InboxFilter()) -> int:
        stmt = select(func.count()).select_from(_items).where(and_(True, *self._where(flt)))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def view_counts(self, scope: InboxFilter | None = None) -> dict[str, int]:
        """Item count of every saved view (the view list shows them), in one scan; within
        `scope` (the client's receiving scope, as the list applies it)."""
        columns = []
        for view in SAVED_VIEWS:
            flt = scope.merged(view.filter) if scope is not None else view.filter
            where = self._where(flt)
            cond = and_(True, *where) if where else None
            columns.append(
                func.count()
                if cond is None
                else func.coalesce(func.sum(case((cond, 1), else_=0)), 0)
            )
        with self.engine.connect() as conn:
            values = conn.execute(select(*columns).select_from(_items)).one()
        return {view.key: int(n) for view, n in zip(SAVED_VIEWS, values, strict=True)}

    def unread_count(self) -> int:
        return self.count(InboxFilter(statuses=ItemStatus.OPEN, unread_only=True))

    def max_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(_items.c.id), 0))).scalar_one())

    def contact_points(self) -> list[tuple[str, str, int]]:
        """(id, label, count) of every contact point present in the cache."""
        c = _items.c
        stmt = (
            select(c.contact_point_id, func.max(c.contact_point_label), func.count())
            .where(c.contact_point_id.is_not(None))
            .group_by(c.contact_point_id)
            .order_by(func.max(c.contact_point_label))
        )
        with self.engine.connect() as conn:
            return [(cp, label or cp, n) for cp, label, n in conn.execute(stmt)]

    def assignees(self) -> list[tuple[str, str]]:
        c = _items.c
        stmt = (
            select(c.assignee_id, func.max(c.assignee_label))
            .where(c.assignee_id.is_not(None))
            .group_by(c.assignee_id)
            .order_by(func.max(c.assignee_label))
        )
        with self.engine.connect() as conn:
            return [(a, label or a) for a, label in conn.execute(stmt)]

    def claimers(self) -> list[str]:
        c = _items.c
        stmt = select(c.claimed_by).where(c.claimed_by.is_not(None)).distinct()
        with self.engine.connect() as conn:
            return sorted(conn.execute(stmt).scalars())

    def files(self, item_id: int) -> list[FileRow]:
        f = _files.c
        stmt = (
            select(f.position, f.role, f.mime, f.filename, f.safe_filename, f.size, f.sha256)
            .where(f.item_id == item_id)
            .order_by(f.position)
        )
        with self.engine.connect() as conn:
            return [FileRow(*values) for values in conn.execute(stmt)]

    def unsuggested_ids(self, limit: int = 50) -> list[int]:
        """Open items that have no suggestion yet, newest first (filled in the background)."""
        c = _items.c
        stmt = (
            select(c.id)
            .where(c.suggested_at.is_(None), c.status.in_(ItemStatus.OPEN), c.kind != "ukendt")
            .order_by(c.received_at.desc(), c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def set_read(self, item_ids: Sequence[int], read: bool = True) -> int:
        """The per-user read flag: the one write this module does (not a decision)."""
        return self.set_read_counted(item_ids, read)[0]

    def set_read_counted(self, item_ids: Sequence[int], read: bool = True) -> tuple[int, int]:
        """`set_read`, also telling how the unread count (`unread_count`) moved: (rows written,
        change of the number of unread open items), in one transaction."""
        if not item_ids:
            return 0, 0
        ids = list(item_ids)
        c = _items.c
        flipped = (
            select(func.count())
            .select_from(_items)
            .where(c.id.in_(ids), c.read.is_(not read), c.status.in_(ItemStatus.OPEN))
        )
        stmt = update(_items).where(c.id.in_(ids)).values(read=read)
        with self.engine.begin() as conn:
            moved = int(conn.execute(flipped).scalar_one())
            written = conn.execute(stmt).rowcount
        return written, -moved if read else moved
