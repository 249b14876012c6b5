"""UI tests (pytest-qt, offscreen) of the team lead's backlog view and the caseworker's
"Fordelt til mig" over a real filled cache (tests/backlog_fixtures.py) with "now" pinned:
the views show the same figures as the Qt-free queries, the per-caseworker table sorts, the
item models pass qtmodeltester, double-click opens an item, a failed load is reported, and any
Qt warning fails the test."""
# ruff: noqa: F811 - pytest fixtures imported from tests.ui_fixtures

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSortFilterProxyModel, Qt, QtMsgType
from PySide6.QtTest import QTest

from app.core import changes
from app.models.backlog import backlog_report, caseworker_items
from app.models.db import open_cache
from app.ui.backlog_service import BacklogService
from app.ui.backlog_view import SORT_ROLE, AssigneeModel, BacklogView
from app.ui.caseworker_view import ID_ROLE, CaseworkerItemsModel, CaseworkerView
from app.ui.tasks import Background, Messages, cancel_all
from tests.backlog_fixtures import caseworkers, fill_team_cache
from tests.ui_fixtures import loop  # noqa: F401 - fixture

pytestmark = pytest.mark.ui
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BENIGN = ("This plugin does not support propagateSizeHints()",)


@pytest.fixture(autouse=True)
def fail_on_qt_warnings(qtlog):
    yield
    problems = [
        r.message
        for r in qtlog.records
        if r.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        and not r.message.startswith(BENIGN)
    ]
    assert not problems, f"Qt warnings: {problems}"


def run(loop: Any, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def team_db(tmp_path_factory):
    db = open_cache(tmp_path_factory.mktemp("backlog") / "cache.sqlite3")
    fill_team_cache(db, NOW)
    yield db
    db.engine.dispose()


@pytest.fixture
def service(team_db, loop):
    bg = Background()
    yield BacklogService(team_db, bg, directory_caseworkers=caseworkers, now=lambda: NOW)
    run(loop, cancel_all())
    bg.close()


@pytest.fixture
def backlog_view(qtbot, service, loop):
    view = BacklogView(service.report, Messages(), auto_refresh_ms=0)
    qtbot.addWidget(view)
    view.resize(1400, 850)
    view.show()  # showEvent refreshes
    run(loop, until(lambda: view.report is not None))
    return view


def test_backlog_view_shows_the_query_figures(backlog_view, team_db):
    expected = backlog_report(team_db, NOW)
    s = expected.summary
    view = backlog_view
    assert view.report == expected
    assert s.open_total > 20 and s.over_goal > 0 and s.outbox_failed > 0  # a meaningful fixture
    assert view.tile_open.value.text() == str(s.open_total)
    assert str(s.with_caseworkers) in view.tile_open.detail.text()
    assert view.tile_over.value.text() == str(s.over_goal)
    assert view.tile_oldest.value.text() == f"{s.oldest_age_workdays} arbejdsdage"
    assert view.tile_pending.value.text() == str(s.outbox_pending)
    assert view.tile_failed.value.text() == str(s.outbox_failed)
    assert view.age_chart.counts == tuple(b.count for b in s.age_buckets)
    assert view.trend_chart.days == expected.trend and len(expected.trend) == 10
    assert view.model.rowCount() == len(expected.assignees) > 1
    assert view.tile_over.accessibleName() == "Ældre end 2 arbejdsdage"
    assert view.table.accessibleName() and view.age_chart.accessibleName()
    assert str(s.over_goal) in view.tile_over.accessibleDescription()
    assert "Retursvar" in view.breakdown.text()
    image = view.grab().toImage()
    assert not image.isNull() and image.width() >= 1000


def _column(proxy: QSortFilterProxyModel, column: int) -> list[Any]:
    return [proxy.index(r, column).data(SORT_ROLE) for r in range(proxy.rowCount())]


def test_per_caseworker_table_sorts(backlog_view, qtbot):
    view = backlog_view
    proxy = view.proxy
    # Default: oldest first (the team lead acts on what has waited longest).
    ages = _column(proxy, AssigneeModel.OLDEST)
    assert ages == sorted(ages, reverse=True)
    header = view.table.horizontalHeader()
    for column in (AssigneeModel.COUNT, AssigneeModel.NAME, AssigneeModel.OVER):
        pos = header.sectionViewportPosition(column) + 5
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=_point(pos, 5))
        assert header.sortIndicatorSection() == column
        first = _column(proxy, column)
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=_point(pos, 5))
        second = _column(proxy, column)
        assert sorted(first) in (first, list(reversed(first)))
        assert second == list(reversed(first)) or len(set(first)) < len(first)
        assert sorted(second) in (second, list(reversed(second)))
    names = [proxy.index(r, AssigneeModel.NAME).data() for r in range(proxy.rowCount())]
    assert len(names) == len(set(names))


def _point(x: int, y: int):
    from PySide6.QtCore import QPoint

    return QPoint(x, y)


def test_caseworker_activation_signal(backlog_view, qtbot):
    view = backlog_view
    index = view.proxy.index(0, 0)
    expected = view.model.row(view.proxy.mapToSource(index).row()).caseworker_id
    view.table.setFocus()
    view.table.setCurrentIndex(index)
    with qtbot.waitSignal(view.caseworkerActivated, timeout=2000) as blocker:
        QTest.keyClick(view.table, Qt.Key.Key_Return)
    assert blocker.args == [expected]


def test_models_pass_qtmodeltester(qtmodeltester, team_db):
    report = backlog_report(team_db, NOW)
    model = AssigneeModel()
    qtmodeltester.check(model, force_py=True)
    model.set_rows(report.assignees)
    qtmodeltester.check(model, force_py=True)
    busiest = max(report.assignees, key=lambda r: r.count)
    items = CaseworkerItemsModel()
    qtmodeltester.check(items, force_py=True)
    items.set_rows(caseworker_items(team_db, busiest.caseworker_id, NOW, include_done=True))
    assert items.rowCount() > 0
    qtmodeltester.check(items, force_py=True)


@pytest.mark.expect_log("postfordeler.ui", "Opdatér overblik failed: RuntimeError", logging.ERROR)
def test_failed_load_is_reported(qtbot, loop):
    async def broken():
        raise RuntimeError("disk gone")

    messages = Messages()
    view = BacklogView(broken, messages, auto_refresh_ms=0)
    qtbot.addWidget(view)
    with qtbot.waitSignal(messages.error, timeout=5000) as blocker:
        view.refresh()
        run(loop, until(lambda: view._task is not None and view._task.done()))
        run(loop, asyncio.sleep(0.05))
    assert "disk gone" in blocker.args[1]
    assert view.state.text() == "Tallene kunne ikke hentes"
    assert view.tile_open.value.text() == "–"


def test_caseworker_view_lists_distributed_items(qtbot, service, team_db, loop):
    view = CaseworkerView(service, Messages())
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    run(loop, until(lambda: bool(view.choices) and view.model.rowCount() > 0))
    # Directory caseworkers and cache assignees, people with open items first.
    directory_ids = {cw for cw, _l, _t in caseworkers()}
    assert directory_ids <= {c.id for c in view.choices}
    open_counts = [c.open_count for c in view.choices]
    assert open_counts.index(0) == sum(1 for n in open_counts if n)
    report = backlog_report(team_db, NOW)
    busiest = max(report.assignees, key=lambda r: (r.count, r.caseworker_label))
    assert view.select_caseworker(busiest.caseworker_id)
    expected = caseworker_items(team_db, busiest.caseworker_id, NOW)
    run(loop, until(lambda: view.model.rowCount() == len(expected) == busiest.count))
    run(loop, until(lambda: busiest.caseworker_label.split(" (")[0] in view.summary.text()))
    shown = {view.proxy.index(r, 0).data(ID_ROLE) for r in range(view.proxy.rowCount())}
    assert shown == {i.id for i in expected}
    ages = [
        view.proxy.index(r, CaseworkerItemsModel.AGE).data(SORT_ROLE) for r in range(len(expected))
    ]
    assert ages == sorted(ages, reverse=True)  # oldest first
    # Double-click opens the item.
    index = view.proxy.index(0, CaseworkerItemsModel.SUBJECT)
    rect = view.table.visualRect(index)
    with qtbot.waitSignal(view.open_item, timeout=2000) as blocker:
        QTest.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [index.data(ID_ROLE)]
    # "Vis også behandlede" adds what the caseworker already journalised.
    done = caseworker_items(team_db, busiest.caseworker_id, NOW, include_done=True)
    assert len(done) > len(expected)
    view.include_done.setChecked(True)
    run(loop, until(lambda: view.model.rowCount() == len(done)))
    assert view.picker.accessibleName() == "Sagsbehandler"
    assert not view.grab().toImage().isNull()


def test_both_views_refresh_from_a_change_while_on_screen(qtbot, service, loop):
    """Decisions, deliveries and new items (`OpChanges`) refresh the figures and the
    caseworker's list while the view is shown; a read mark does not, nor a hidden view."""
    reports: list[int] = []
    loads: list[int] = []

    async def report():
        reports.append(1)
        return await service.report()

    class Counting:
        async def caseworkers(self):
            return await service.caseworkers()

        async def caseworker_items(self, caseworker_id, include_done=False):
            loads.append(1)
            return await service.caseworker_items(caseworker_id, include_done)

    backlog = BacklogView(report, Messages(), auto_refresh_ms=0)
    caseworker = CaseworkerView(Counting(), Messages())
    for view in (backlog, caseworker):
        qtbot.addWidget(view)
        view.show()
    run(loop, until(lambda: backlog.report is not None and loads))
    run(loop, until(lambda: backlog._task.done() and caseworker._task.done()))
    before = (len(reports), len(loads))
    for view in (backlog, caseworker):
        view.apply_changes(changes.marked_read([1]))
    run(loop, asyncio.sleep(0.1))
    assert (len(reports), len(loads)) == before
    for view in (backlog, caseworker):
        view.apply_changes(changes.decided([1]))
    run(loop, until(lambda: len(reports) > before[0] and len(loads) > before[1]))
    run(loop, until(lambda: backlog._task.done() and caseworker._task.done()))
    hidden = (len(reports), len(loads))
    for view in (backlog, caseworker):
        view.hide()
        view.apply_changes(changes.outbox_moved())
    run(loop, asyncio.sleep(0.1))
    assert (len(reports), len(loads)) == hidden


def test_every_string_has_english(tmp_path):
    """Each source string of the two views has English (en.py, or en_backlog.py, which en.py
    includes)."""
    import subprocess
    import sys
    import xml.etree.ElementTree as ET
    from pathlib import Path

    from app.ui.translations.en import EN, EN_DISAMBIGUATED
    from app.ui.translations.en_backlog import EN_BACKLOG, EN_BACKLOG_DISAMBIGUATED

    repo = Path(__file__).resolve().parent.parent
    tool = Path(sys.executable).with_name("pyside6-lupdate")
    ts = tmp_path / "backlog.ts"
    sources = ["app/ui/backlog_view.py", "app/ui/caseworker_view.py"]
    subprocess.run([str(tool), *sources, "-ts", str(ts)], check=True, cwd=repo, capture_output=True)
    plain = {**EN, **EN_BACKLOG}
    disambiguated = {**EN_DISAMBIGUATED, **EN_BACKLOG_DISAMBIGUATED}
    messages = list(ET.parse(ts).getroot().iter("message"))
    assert len(messages) > 50
    missing = [
        m.findtext("source")
        for m in messages
        if not (
            disambiguated.get((m.findtext("source"), m.findtext("comment")))
            if m.findtext("comment")
            else plain.get(m.findtext("source") or "")
        )
    ]
    assert not missing, missing
