"""The window on a real (offscreen) screen: it fits the screen it opens on, works at 1366x768
with the action buttons in view, never widens when the filters show, remembers its size,
panes and columns, and "Nulstil vinduets layout" in the settings forgets them (issue 12.5)."""
# ruff: noqa: F811 - pytest fixtures imported from tests.ui_fixtures

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QSettings, QSize, Qt
from PySide6.QtWidgets import QWidget

from app.dubu.dataset import DubuDataset
from app.models.cache import Cache
from app.models.db import open_cache
from app.models.inbox import SortColumn
from app.ui import settings as settings_mod
from app.ui.app import backlog_service
from app.ui.backend import UiBackend
from app.ui.inbox_pane import DEFAULT_WIDTHS
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog
from app.ui.suggestions import Suggester
from app.ui.tasks import Background, Messages, cancel_all
from tests.ui_fixtures import SANDBOX_DUBU, fill_sample_cache, loop  # noqa: F401 - fixture

pytestmark = pytest.mark.ui


def run(loop: Any, coro: Any, timeout: float = 30.0) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def backend(tmp_path_factory, loop):
    db = open_cache(tmp_path_factory.mktemp("layout") / "cache.sqlite3")
    fill_sample_cache(db, n_each=3)
    bg = Background()
    ui = UiBackend(
        cache=Cache(db),
        background=bg,
        suggester=Suggester(DubuDataset.load(SANDBOX_DUBU)),
        user="demo",
    )
    yield ui
    run(loop, cancel_all())
    bg.close()
    db.engine.dispose()


def make_window(qtbot: Any, backend: UiBackend, store: QSettings | None = None) -> MainWindow:
    window = MainWindow(
        backend, Messages(), demo=True, settings=store, backlog=backlog_service(backend)
    )
    qtbot.addWidget(window)
    return window


def fully_inside(widget: QWidget, window: QWidget) -> bool:
    top_left = widget.mapTo(window, QPoint(0, 0))
    bottom_right = widget.mapTo(window, QPoint(widget.width() - 1, widget.height() - 1))
    return window.rect().contains(top_left) and window.rect().contains(bottom_right)


def test_the_default_size_fits_the_screen_it_opens_on(qtbot, backend):
    window = make_window(qtbot, backend)
    area = window.screen().availableGeometry()  # offscreen: 800x800
    assert window.width() <= area.width() and window.height() <= area.height()
    window.show()
    assert area.contains(window.geometry())


def test_at_1366x768_every_action_button_is_in_view(qtbot, backend, loop):
    window = make_window(qtbot, backend)
    window.resize(1366, 768)
    window.show()
    window.inbox.refresh()
    run(loop, until(lambda: window.inbox.model.rowCount() > 0))
    window.inbox.table.setFocus()
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_Down)
    run(loop, until(lambda: window.detail is not None))
    assert window.size() == QSize(1366, 768)
    minimum = window.minimumSizeHint()
    assert minimum.width() <= 1366 and minimum.height() <= 768
    panel = window.panel
    for button in (
        panel.journalise_button,
        panel.assign_button,
        panel.forward_button,
        panel.reject_button,
        panel.undo_button,
    ):
        assert button.isVisible(), button.text()
        assert fully_inside(button, window), button.text()
    # The columns fit the inbox pane: no horizontal scrollbar at this size.
    assert not window.inbox.table.horizontalScrollBar().isVisible()


def test_showing_the_filters_never_widens_the_window(qtbot, backend):
    window = make_window(qtbot, backend)
    window.show()
    size = window.size()
    qtbot.mouseClick(window.inbox.filter_button, Qt.MouseButton.LeftButton)
    assert window.inbox.filters.isVisible()
    qtbot.wait(10)  # the layout settles on the event loop
    assert window.size() == size
    assert window.minimumSizeHint().width() <= window.screen().availableGeometry().width()
    qtbot.mouseClick(window.inbox.filter_button, Qt.MouseButton.LeftButton)
    qtbot.wait(10)
    assert not window.inbox.filters.isVisible()
    assert window.size() == size


def test_size_panes_and_columns_survive_a_restart_and_reset_forgets_them(qtbot, backend, tmp_path):
    store = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    first = make_window(qtbot, backend, store)
    first.show()
    first.resize(790, 700)
    first.splitter.setSizes([300, 250, 150])
    first.inbox.table.horizontalHeader().resizeSection(SortColumn.SENDER, 177)
    sizes = first.splitter.sizes()
    first.close()  # closing saves, as the app does

    second = make_window(qtbot, backend, store)
    second.restore_state()
    second.show()
    assert second.size() == QSize(790, 700)
    assert second.splitter.sizes() == sizes
    assert second.inbox.table.horizontalHeader().sectionSize(SortColumn.SENDER) == 177

    # Reset, as a person does it: Indstillinger → "Nulstil vinduets layout".
    second.show_settings()
    dialog = second.active_dialog
    assert isinstance(dialog, SettingsDialog)
    qtbot.mouseClick(dialog.reset_layout, Qt.MouseButton.LeftButton)
    assert not dialog.reset_layout.isEnabled()
    dialog.reject()
    header = second.inbox.table.horizontalHeader()
    assert second.inbox.auto_columns  # default widths, fitted to the pane again
    assert header.sectionSize(SortColumn.SENDER) != 177
    assert header.sectionSize(SortColumn.SENDER) <= DEFAULT_WIDTHS[SortColumn.SENDER]
    assert second.size() != QSize(790, 700)
    assert second.splitter.sizes() != sizes
    assert store.value(settings_mod.WINDOW_GEOMETRY) is None
    assert store.value(settings_mod.WINDOW_INBOX_HEADER) is None
    assert "nulstillet" in second.statusBar().currentMessage()


def test_a_geometry_saved_on_a_bigger_screen_is_shrunk_to_this_one(qtbot, backend, tmp_path):
    store = QSettings(str(tmp_path / "big.ini"), QSettings.Format.IniFormat)
    big = make_window(qtbot, backend, store)
    big.resize(1760, 960)  # larger than the 800x800 offscreen screen
    big.save_state()
    window = make_window(qtbot, backend, store)
    window.restore_state()
    area = window.screen().availableGeometry()
    assert window.width() <= area.width() and window.height() <= area.height()


def test_vis_cpr_logs_the_reveal_before_the_number_is_shown(qtbot, backend, loop):
    """Issue 12 point 6: one mask everywhere, and an explicit, logged reveal."""
    from app.core.audit import REVEAL_CPR

    window = make_window(qtbot, backend)
    window.show()
    window.inbox.set_view("alle")
    window.inbox.refresh()
    run(loop, until(lambda: window.inbox.model.rowCount() > 0))
    header = window.preview.header
    window.inbox.table.setFocus()
    cpr_sender = None
    for _ in range(window.inbox.model.rowCount()):
        qtbot.keyClick(window.inbox.table, Qt.Key.Key_Down)
        run(loop, until(lambda: window.detail is not None and header._message is not None))
        msg = header._message
        assert msg is not None
        detail = window.detail
        if (
            (msg.sender.id_type or "").upper() == "CPR"
            and detail is not None
            and detail.message.message_uuid == msg.message_uuid
        ):
            cpr_sender = msg.sender.id
            break
    assert cpr_sender, "the sample has a citizen sender"
    assert cpr_sender not in header.details.text()  # masked
    assert header.reveal_button.isVisible()
    assert [e for e in backend.audit.for_citizen(cpr_sender) if e.action == REVEAL_CPR] == []
    qtbot.mouseClick(header.reveal_button, Qt.MouseButton.LeftButton)
    run(loop, until(lambda: header.revealed))
    assert cpr_sender in header.details.text()
    assert not header.reveal_button.isVisible()
    reveals = [e for e in backend.audit.for_citizen(cpr_sender) if e.action == REVEAL_CPR]
    assert len(reveals) == 1 and reveals[0].item_id == window.detail.item_id
    # Another item is masked again.
    shown = header._message.message_uuid
    up = window.inbox.table.currentIndex().row() > 0
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_Up if up else Qt.Key.Key_Down)
    run(loop, until(lambda: header._message is not None and header._message.message_uuid != shown))
    assert not header.revealed


def test_every_tab_count_equals_its_list_within_the_receiving_scope(qtbot, backend, loop):
    """Issue 12 point 6: a tab said 116 while its list said 122 (the count ignored the
    client's contact-point scope)."""
    import re

    from app.ui.settings import Settings

    window = make_window(qtbot, backend)
    window.apply_settings(Settings(contact_points="retursvar"))
    window.show()
    pane = window.inbox
    pane.refresh(data_changed=True)
    run(loop, until(lambda: "(" in pane.tabs.tabText(0)))
    run(loop, until(lambda: pane._counts_task is not None and pane._counts_task.done()))
    for index in range(pane.tabs.count()):
        shown: list[int] = []
        pane.refreshed.connect(shown.append)
        qtbot.mouseClick(
            pane.tabs, Qt.MouseButton.LeftButton, pos=pane.tabs.tabRect(index).center()
        )
        if pane.tabs.currentIndex() != index:  # scrolled out of the tab bar
            pane.tabs.setCurrentIndex(index)
        elif not shown:  # already on it: its list again
            pane.refresh()
        run(loop, until(lambda shown=shown: bool(shown)))
        pane.refreshed.disconnect(shown.append)
        match = re.search(r"\((\d+)\)$", pane.tabs.tabText(index))
        assert match, pane.tabs.tabText(index)
        assert int(match.group(1)) == pane.model.rowCount() == shown[-1], pane.tabs.tabText(index)


def test_no_status_or_cell_is_cut_short_without_a_tooltip(qtbot, backend, loop):
    from app.ui.inbox_model import ROW_ROLE

    window = make_window(qtbot, backend)
    window.show()
    window.inbox.set_view("alle")
    window.inbox.refresh()
    model = window.inbox.model
    run(loop, until(lambda: model.rowCount() > 0 and model.index(0, 0).data(ROW_ROLE)))
    run(loop, until(lambda: all(model.index(r, 0).data(ROW_ROLE) for r in range(model.rowCount()))))
    for r in range(model.rowCount()):
        for column in SortColumn:
            index = model.index(r, column)
            text = index.data(Qt.ItemDataRole.DisplayRole)
            if text:
                tip = index.data(Qt.ItemDataRole.ToolTipRole)
                assert tip, (column.name, text)
                if column in (SortColumn.STATUS, SortColumn.SENDER, SortColumn.KIND):
                    assert text in tip, (column.name, text, tip)


def test_a_new_list_paints_real_rows_at_once_and_a_long_sync_shows_progress(qtbot, backend, loop):
    """Issue 12 point 11: no "…" placeholders flash when a list is shown; while a sync
    has more pages to fetch, the status bar says how far it has come."""
    window = make_window(qtbot, backend)
    window.show()
    pane = window.inbox
    painted: list[list[str]] = []

    def on_reset() -> None:  # what the view would paint right after the list changed
        model = pane.model
        painted.append(
            [str(model.index(r, SortColumn.SENDER).data()) for r in range(model.rowCount())]
        )

    pane.model.modelReset.connect(on_reset)
    pane.set_view("alle")
    pane.refresh()
    run(loop, until(lambda: bool(painted) and pane.model.rowCount() > 0))
    assert painted[-1] and "…" not in painted[-1]

    window.show_sync_progress(200, True)
    assert window.sync_progress.isVisible() and window.sync_label.isVisible()
    assert window.sync_label.text() == "Henter post … 200 hentet"
    window.show_sync_progress(400, True)
    assert "400" in window.sync_label.text()
    window.show_sync_progress(450, False)
    assert not window.sync_progress.isVisible() and not window.sync_label.isVisible()
