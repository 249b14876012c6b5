"""The demo as a real day: receipt times spread over the last ten working days and some items
already decided by colleagues, so ages, the SLA highlighting and Overblik mean something from
the first start (issue 12 point 10).

`DemoClock` is the gateway's receipt clock in the demo sandbox only (`GatewayConfig.
received_clock`): the n-th message pushed is stamped with the n-th of `count` times, oldest
first, in office hours (07:30-15:30 Europe/Copenhagen) on weekdays; the last few arrive today.
The receipt time is still set once, at receipt. `colleague_decisions` then has colleagues
assign or reject part of the older post through the store's ordinary decision path.
Synthetic data only; never logs message content.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.decisions import Assign, Reject
from app.dubu.dataset import DubuDataset
from app.gateway.store import GatewayStore, StoredItem, StoreError

log = logging.getLogger("postfordeler.sandbox.demo_day")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WORKDAYS = 10
OPENS, CLOSES = time(7, 30), time(15, 30)
TODAY_SHARE = 0.15  # this part of the post arrives today (the newest)
DECIDED_SHARE = 0.2  # this part of the older post is already decided by colleagues


def working_days(today: date, n: int) -> list[date]:
    """The last `n` weekdays up to and including `today` (a weekday or not), oldest first."""
    days: list[date] = []
    day = today
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return sorted(days)


def receipt_times(
    count: int, now: datetime | None = None, *, workdays: int = WORKDAYS, seed: int = 1
) -> list[datetime]:
    """`count` UTC times over the last `workdays` working days, oldest first, never later than
    `now`; about `TODAY_SHARE` of them today (before now)."""
    now = (now or datetime.now(UTC)).astimezone(COPENHAGEN)
    rng = random.Random(seed)
    days = working_days(now.date(), workdays)
    today_n = max(1, round(count * TODAY_SHARE)) if count else 0
    older_days = [d for d in days if d < now.date()] or days[:1]
    out: list[datetime] = []
    for n in range(count - today_n):
        day = older_days[n * len(older_days) // max(1, count - today_n)]
        minute = rng.randrange((CLOSES.hour - OPENS.hour) * 60)
        at = datetime.combine(day, OPENS, COPENHAGEN) + timedelta(minutes=minute)
        out.append(at)
    start = datetime.combine(now.date(), OPENS, COPENHAGEN)
    if start >= now:  # before office hours: today's post came in overnight
        start = now - timedelta(hours=8)
    span = (now - start).total_seconds()
    for n in range(today_n):
        out.append(start + timedelta(seconds=span * (n + 0.5) / today_n))
    return sorted(t.astimezone(UTC) for t in out)


class DemoClock:
    """The gateway's receipt clock in the demo: once `plan(count)` ran, the n-th call answers
    the n-th receipt time; before and after that, the real time."""

    def __init__(self, *, seed: int = 1) -> None:
        self._seed = seed
        self._times: list[datetime] = []
        self._next = 0
        self._lock = threading.Lock()

    def plan(self, count: int, now: datetime | None = None) -> None:
        with self._lock:
            self._times = receipt_times(count, now, seed=self._seed)
            self._next = 0

    def __call__(self) -> datetime:
        with self._lock:
            if self._next < len(self._times):
                self._next += 1
                return self._times[self._next - 1]
        return datetime.now(UTC)


def colleague_decisions(
    store: GatewayStore,
    dataset: DubuDataset,
    colleagues: Sequence[str],
    *,
    now: datetime | None = None,
    seed: int = 1,
) -> int:
    """Colleagues assign (mostly) or reject about `DECIDED_SHARE` of the post older than
    today; returns how many decisions were taken. Runs once, after the push."""
    if not colleagues:
        return 0
    caseworkers = dataset.caseworkers()
    rng = random.Random(seed)
    today = (now or datetime.now(UTC)).astimezone(COPENHAGEN).date()
    items: list[StoredItem] = []
    after = 0
    while True:
        page = store.list_after(after, 500, with_memo=False)
        if not page.items:
            break
        items.extend(page.items)
        after = page.next_cursor
    if any(i.decision_id is not None or i.outcome is not None for i in items):
        return 0  # a relaunch: the day has been played (and worked on) already
    older = [i for i in items if i.received_at.astimezone(COPENHAGEN).date() < today]
    taken = 0
    for item in older:
        if rng.random() >= DECIDED_SHARE or item.conflict_of is not None:
            continue
        user = colleagues[taken % len(colleagues)]
        if caseworkers and rng.random() < 0.8:
            worker = caseworkers[rng.randrange(len(caseworkers))]
            decision: Assign | Reject = Assign(
                caseworker_id=worker.id, caseworker_label=f"{worker.name} ({worker.initials})"
            )
        else:
            decision = Reject(reason="Dublet af en tidligere henvendelse")
        try:
            store.submit_decision(
                user, str(uuid.uuid4()), item.message_uuid, decision.action, decision.to_json()
            )
        except StoreError as exc:
            log.info("demo colleague decision skipped: %s", exc.code)
            continue
        taken += 1
    log.info("demo day: %d items decided by colleagues", taken)
    return taken
