"""The demo is a real day (issue 12 point 10): receipt times over the last ten working days,
oldest first, some past the two-working-day frist, some today, and part of the older post
already decided by colleagues through the gateway's ordinary decision path."""

from __future__ import annotations

from datetime import UTC, datetime

from app.sandbox.demo_day import COPENHAGEN, receipt_times, working_days
from app.sandbox.runner import DEMO_USER, SandboxConfig, SandboxThread

from .conftest import MESSAGES

WEDNESDAY_NOON = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


def test_working_days_skip_weekends():
    days = working_days(WEDNESDAY_NOON.date(), 10)
    assert len(days) == 10 and all(d.weekday() < 5 for d in days)
    assert days[-1] == WEDNESDAY_NOON.date() and days[0].isoformat() == "2026-11-19"


def test_receipt_times_spread_over_ten_working_days_in_office_hours():
    times = receipt_times(60, WEDNESDAY_NOON)
    assert times == sorted(times) and len(times) == 60
    assert all(t <= WEDNESDAY_NOON for t in times)
    local = [t.astimezone(COPENHAGEN) for t in times]
    assert {t.date() for t in local} == set(working_days(WEDNESDAY_NOON.date(), 10))
    assert all(t.weekday() < 5 for t in local)
    older = [t for t in local if t.date() < WEDNESDAY_NOON.date()]
    assert all(7 <= t.hour < 16 for t in older)
    today = [t for t in local if t.date() == WEDNESDAY_NOON.date()]
    assert 3 <= len(today) <= 15


def test_the_demo_sandbox_plays_a_day_with_colleagues_decisions(tmp_path):
    folder = tmp_path / "msgs"
    folder.mkdir()
    for src in sorted(MESSAGES.glob("*.xml"))[:30]:
        (folder / src.name).write_bytes(src.read_bytes())
    config = SandboxConfig(messages_dir=folder, data_dir=tmp_path / "sb", demo_day=True)
    sandbox = SandboxThread(config)
    sandbox.start()
    try:
        stats = sandbox.wait_pushed(90)
        assert stats.accepted == 30
        assert sandbox.running is not None
        store = sandbox.running.gateway.store
        items = store.list_after(0, 100, with_memo=False).items
    finally:
        sandbox.stop()
    now = datetime.now(UTC)
    received = sorted(i.received_at for i in items)
    days = {t.astimezone(COPENHAGEN).date() for t in received}
    assert len(days) >= 8  # spread over the working days, not all "now"
    assert (now - received[0]).days >= 9  # the oldest are well past the frist
    decided = [i for i in items if i.decision_id is not None or i.outcome is not None]
    assert 1 <= len(decided) < len(items) // 2
    assert all(i.outcome_user != DEMO_USER for i in decided)  # colleagues, not the demo user
    decided_ids = {i.item_id for i in decided}
    assert all(
        i.received_at.astimezone(COPENHAGEN).date() < now.astimezone(COPENHAGEN).date()
        for i in items
        if i.item_id in decided_ids
    )

    # A relaunch on the same data folder keeps the day (no second round of decisions).
    again = SandboxThread(
        SandboxConfig(messages_dir=folder, data_dir=tmp_path / "sb", demo_day=True)
    )
    again.start()
    try:
        again.wait_pushed(90)
        assert again.running is not None
        items2 = again.running.gateway.store.list_after(0, 100, with_memo=False).items
    finally:
        again.stop()
    assert sorted(i.received_at for i in items2) == received
    assert len([i for i in items2 if i.decision_id or i.outcome]) == len(decided)
