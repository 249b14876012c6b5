"""Issue 12, a distributor's whole day without a surprise (points 2, 3, 4, 8, 9), used the way a
person does: keys and clicks on the real window offscreen, over a real cache, and against the
in-process sandbox (gateway → outbox → SF2900) where delivery matters. Any Qt warning fails."""
# ruff: noqa: F811 - pytest fixtures imported from tests.test_ui / tests.ui_fixtures

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtTest import QTest

from app.sf1606.tls import trust_context
from app.ui.main_window import MainWindow
from app.ui.suggestions import CaseChoice, SuggestionView
from tests.test_ui import (
    click,
    fail_on_qt_warnings,  # noqa: F401 - autouse fixture
    filled,  # noqa: F401 - fixture
    key,
    open_window,
    run,
    sandbox_runtime,  # noqa: F401 - fixture
    until,
    window,  # noqa: F401 - fixture
)
from tests.ui_fixtures import loop  # noqa: F401 - fixture

pytestmark = pytest.mark.ui

CTRL = Qt.KeyboardModifier.ControlModifier


async def dialog_named(window: MainWindow, name: str, timeout: float = 20.0) -> Any:
    await until(
        lambda: (
            window.active_dialog is not None
            and window.active_dialog.objectName() == name
            and window.active_dialog.isVisible()
        ),
        timeout,
        name,
    )
    return window.active_dialog


async def no_dialog(window: MainWindow) -> None:
    await until(
        lambda: window.active_dialog is None or not window.active_dialog.isVisible(),
        10,
        "the dialog closed",
    )


async def show_item(window: MainWindow, item_id: int) -> None:
    window.inbox.select_id(item_id)
    await until(
        lambda: (
            window.detail is not None
            and window.detail.item_id == item_id
            and window.panel.assign_button.isEnabled()
            and window.panel.empty.text() != window.panel.tr("Finder forslag…")
        ),
        20,
        "the item on screen",
    )
    await asyncio.sleep(0.05)


async def type_text(widget: Any, text: str) -> None:
    """Type `text` into `widget` key by key, from the event loop."""
    QTimer.singleShot(0, lambda: QTest.keyClicks(widget, text))
    await asyncio.sleep(0.05)


def choice(case_id: str, number: str, score: float | None, is_open: bool = True) -> CaseChoice:
    return CaseChoice(
        case_id, number, "Sag om Testbarn", score, ("grund",), is_open, None, None, None
    )


def feed(window: MainWindow, view: SuggestionView) -> None:
    """The engine's ranking for the item on screen (a fixed one, so the test knows it)."""
    window.panel.show_suggestions(view)
    window.panel.set_decidable(True, False)


def entries(window: MainWindow, item_id: int) -> list[Any]:
    return window.backend.cache.outbox_entries(item_id=item_id)


# --------------------------------------------------------------------------- point 4


def test_risky_decisions_ask_once_more_with_annuller_as_default_safe_ones_take_three_keys(
    window, loop
):
    async def scenario() -> None:
        ids = window.inbox.model.ids()
        table = window.inbox.table
        # Safe: an open case at 92 % → Enter, Enter, no second question.
        await show_item(window, ids[0])
        feed(window, SuggestionView(choices=(choice("c-safe", "27.24.00-G01-1-26", 0.92),)))
        table.setFocus()
        await key(table, Qt.Key.Key_Return)
        dialog = await dialog_named(window, "journaliseDialog")
        await key(dialog, Qt.Key.Key_Return)
        await until(lambda: entries(window, ids[0]), what="safe decision queued")
        assert entries(window, ids[0])[0].decision.case_id == "c-safe"
        await no_dialog(window)
        # Risky: a closed case at 16 % → the second question; Enter there cancels.
        await show_item(window, ids[1])
        feed(
            window,
            SuggestionView(choices=(choice("c-closed", "27.24.00-G01-2-26", 0.16, False),)),
        )
        table.setFocus()
        await key(table, Qt.Key.Key_Return)
        dialog = await dialog_named(window, "journaliseDialog")
        await key(dialog, Qt.Key.Key_Return)
        risk = await dialog_named(window, "riskDialog")
        text = risk.label.text()
        assert "lukket" in text and "16 %" in text
        assert risk.cancel.isDefault() and not risk.ok.isDefault()
        await key(risk, Qt.Key.Key_Return)  # Annullér
        await no_dialog(window)
        await asyncio.sleep(0.2)
        assert entries(window, ids[1]) == []
        # ... and a deliberate "Ja" journalises it.
        table.setFocus()
        await key(table, Qt.Key.Key_Return)
        await key(await dialog_named(window, "journaliseDialog"), Qt.Key.Key_Return)
        risk = await dialog_named(window, "riskDialog")
        await click(risk.ok)
        await until(lambda: entries(window, ids[1]), what="risky decision queued")
        # A case found by search: no "100 %", marked as found, and asked once more.
        await show_item(window, ids[2])
        suggested = {c.case_id for c in window.panel.suggested().choices}
        other = next(c for c in window.backend.suggester.dataset.cases if c.id not in suggested)
        window.panel.search.setFocus()
        await type_text(window.panel.search, other.number)
        await key(window.panel.search, Qt.Key.Key_Return)
        await until(
            lambda: (
                window.panel.list.count() > 0
                and window.panel.list.item(0).data(Qt.ItemDataRole.UserRole + 1) is not None
            ),
            what="search results",
        )
        found = [window.panel.list.item(n).text() for n in range(window.panel.list.count())]
        suggested = {c.case_id for c in window.panel.suggested().choices}
        hits = [
            window.panel.list.item(n)
            for n in range(window.panel.list.count())
            if window.panel.list.item(n).data(Qt.ItemDataRole.UserRole + 1).case_id not in suggested
        ]
        assert hits, found
        assert all("fundet ved søgning" in h.text() and "100 %" not in h.text() for h in hits)
        window.panel.list.setCurrentItem(hits[0])
        window.panel.list.setFocus()
        await key(window.panel.list, Qt.Key.Key_Return)
        await key(await dialog_named(window, "journaliseDialog"), Qt.Key.Key_Return)
        risk = await dialog_named(window, "riskDialog")
        assert "søgning" in risk.label.text()
        await key(risk, Qt.Key.Key_Escape)
        await no_dialog(window)
        # Three selected items: Enter acts on all three and says how many.
        targets = ids[3:6]
        await show_item(window, targets[0])
        feed(window, SuggestionView(choices=(choice("c-three", "27.24.00-G01-3-26", 0.95),)))
        model = window.inbox.model
        for item_id in targets[1:]:
            table.selectionModel().select(
                model.index(model.row_of(item_id), 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
        assert set(window.inbox.selected_ids()) == set(targets)
        table.setFocus()
        await key(table, Qt.Key.Key_Return)
        dialog = await dialog_named(window, "journaliseDialog")
        assert "3 elementer" in dialog.findChild(type(risk.label)).text()
        await key(dialog, Qt.Key.Key_Return)
        risk = await dialog_named(window, "riskDialog")
        assert "3" in risk.label.text()
        await click(risk.ok)
        await until(lambda: all(entries(window, i) for i in targets), what="three queued")
        assert {entries(window, i)[0].decision.case_id for i in targets} == {"c-three"}

    run(loop, scenario(), 90)


# --------------------------------------------------------------------------- points 2 and 3


@pytest.mark.expect_log("asyncio", r"socket\.send\(\) raised exception")  # a peer gone at shutdown
def test_undo_window_holds_delivery_and_ctrl_z_undoes_the_last_decision_forward_preselects(
    sandbox_runtime, loop, qtbot
):
    runtime = sandbox_runtime
    cache = runtime.services.cache

    async def reject(window: MainWindow, item_id: int) -> None:
        await show_item(window, item_id)
        window.inbox.table.setFocus()
        await key(window.inbox.table, Qt.Key.Key_A)
        dialog = await dialog_named(window, "rejectDialog")
        # the preset reasons by keyboard (point 8): Down picks the first, Enter confirms
        await key(dialog.reason, Qt.Key.Key_Down)
        assert dialog.ok.isEnabled() and dialog.text()
        await key(dialog.reason, Qt.Key.Key_Return)
        await until(lambda: cache.outbox_entries(item_id=item_id), what="reject queued")

    async def scenario() -> None:
        window = open_window(runtime, qtbot)
        await until(lambda: window.inbox.model.rowCount() >= 12, 40, "sync")
        ids = window.inbox.model.ids()
        # Point 8: F5 says it fetches, and again when the inbox is updated.
        said: list[str] = []
        window.messages.info.connect(said.append)
        await key(window.inbox.table, Qt.Key.Key_F5)
        assert said and "Henter ny post" in said[0]
        await until(lambda: any("opdateret" in t for t in said), 30, "F5 done")
        # Point 3: the decision waits in the outbox for the undo window, visibly.
        runtime.backend.undo_hold = 30.0
        await reject(window, ids[0])
        notice = window.decisions.notice
        await until(notice.isVisible, what="undo notice")
        assert "Afvist" in notice.label.text() and notice.button.isVisible()
        assert "sendes om" in notice.countdown.text()
        await until(lambda: window.outbox_label.text().endswith(" 1"), what="outbox counter 1")
        await until(lambda: window.inbox.current_id() == ids[1], what="auto-advance")
        await asyncio.sleep(1.5)  # the sandbox would have it in well under a second
        entry = cache.outbox_entries(item_id=ids[0])[0]
        assert (entry.status, entry.attempts) == ("pending", 0)
        # Ctrl+Z undoes it though another item is selected, and goes back to it.
        await key(window.inbox.table, Qt.Key.Key_Z, CTRL)
        await until(
            lambda: cache.outbox_entries(item_id=ids[0])[0].status == "cancelled", what="undo"
        )
        await until(lambda: "Fortrudt" in notice.label.text(), what="undo said")
        await until(lambda: window.inbox.current_id() == ids[0], what="back to the item")
        await until(lambda: window.outbox_label.text().endswith(" 0"), what="outbox counter 0")
        # The notice's own button undoes too.
        await reject(window, ids[0])
        await until(notice.button.isVisible, what="notice again")
        await click(notice.button)
        await until(
            lambda: cache.outbox_entries(item_id=ids[0])[-1].status == "cancelled",
            what="undo by the button",
        )
        # Nothing left to undo: said, not silent.
        await key(window.inbox.table, Qt.Key.Key_Z, CTRL)
        await until(lambda: "ingen beslutning" in notice.label.text(), what="nothing to undo")
        # A short window: delivered once it is over.
        runtime.backend.undo_hold = 0.3
        await reject(window, ids[0])
        await until(
            lambda: cache.outbox_entries(item_id=ids[0])[-1].status == "delivered",
            30,
            "delivered after the window",
        )
        await until(lambda: window.outbox_label.text().endswith(" 0"), what="outbox empty")
        # Point 2: Videresend preselects the suggested receiver by KLE among the gateway's
        # receivers, never the first entry; no match: nothing preselected, OK waits, says why.
        await show_item(window, ids[2])
        feed(
            window,
            SuggestionView(
                misrouted=True, receiver="Byggeri (Teknik og Miljø)", receiver_kle="02.00.00"
            ),
        )
        window.inbox.table.setFocus()
        await key(window.inbox.table, Qt.Key.Key_V)
        dialog = await dialog_named(window, "forwardDialog")
        assert dialog.selected()[1] == "Byg og miljø (Byggesag)"
        assert dialog.receiver.itemText(0) != "Byg og miljø (Byggesag)"  # not the first entry
        assert dialog.ok.isEnabled()
        await key(dialog, Qt.Key.Key_Escape)
        await no_dialog(window)
        feed(window, SuggestionView(misrouted=True, receiver="Skat og opkrævning"))
        await key(window.inbox.table, Qt.Key.Key_V)
        dialog = await dialog_named(window, "forwardDialog")
        assert dialog.selected() is None and not dialog.ok.isEnabled()
        assert "Skat og opkrævning" in dialog.why.text() and dialog.why.isVisible()
        await key(dialog.receiver, Qt.Key.Key_Down)
        assert dialog.selected() is not None and dialog.ok.isEnabled()
        await key(dialog, Qt.Key.Key_Escape)
        await no_dialog(window)
        # Point 9: "Opret ny sag / genåbn sag" hands the letter to DUBU without a case: an
        # SF2900 DOKUMENT without SagForslag, routed by its KLE subject, BrugerRef the caseworker
        # who creates the case.
        item = ids[3]
        await show_item(window, item)
        feed(
            window,
            SuggestionView(
                choices=(choice("c-old", "27.24.00-G01-9-20", 0.2, is_open=False),),
                needs_new_case=True,
                note="Barnet har kun lukkede sager – opret ny sag eller genoptag",
            ),
        )
        assert "Tryk N" in window.panel.empty.text() or window.panel.list.count() == 1
        window.inbox.table.setFocus()
        await key(window.inbox.table, Qt.Key.Key_N)
        dialog = await dialog_named(window, "newCaseDialog")
        assert "lukkede sager" in dialog.explain.text()
        assert dialog.focusWidget() in (dialog.picker, dialog.picker.lineEdit())
        assert dialog.selected() is None and not dialog.ok.isEnabled()  # nobody guessed
        await key(dialog.picker, Qt.Key.Key_Down)  # the first caseworker
        cw_id, _cw_label = dialog.selected()
        assert dialog.ok.isEnabled() and dialog.chosen_kle() == "27.24.00"
        await key(dialog.case, Qt.Key.Key_Down)  # "Genåbn lukket sag 27.24.00-G01-9-20"
        assert dialog.reopen() is not None
        await key(dialog.case, Qt.Key.Key_Up)  # no: a new case
        assert dialog.reopen() is None
        await key(dialog, Qt.Key.Key_Return)
        await until(lambda: cache.outbox_entries(item_id=item), what="new case queued")
        entry = cache.outbox_entries(item_id=item)[0]
        decision = entry.decision
        assert decision.new_case and decision.case_id is None
        assert (decision.caseworker_id, decision.new_case_kle) == (cw_id, "27.24.00")
        assert "opretter en ny sag" in notice.label.text()
        await until(lambda: cache.outbox_entries(item_id=item)[0].status == "delivered", 30)
        ep = runtime.services.endpoints
        verify = trust_context(ep["tls_ca"])

        def received() -> list[dict[str, Any]]:
            got = httpx.get(ep["sf2900_received"], verify=verify).json()
            return [r for r in got if r["anvender_transaktions_id"] == entry.transaction_id]

        await until(received, 30, "the DOKUMENT at SF2900")
        doc = received()[0]
        assert doc["type"] == "DOKUMENT" and doc["sag_forslag"] is None
        assert doc["KLEEmneForslag"] == "27.24.00" and doc["RoutingKLEEmne"] == "27.24.00"
        assert doc["Beskrivelse"].startswith("Opret ny sag (KLE 27.24.00)")
        assert doc["BrugerRef"]

    run(loop, scenario(), 120)


def test_the_undo_time_is_a_setting_typed_in_the_settings_dialog(window, loop, tmp_path):
    from PySide6.QtCore import QSettings

    from app.ui import settings as settings_mod
    from app.ui.settings import Settings
    from app.ui.settings_dialog import SettingsDialog

    assert Settings().undo_hold_s == 10.0  # the default
    assert Settings(undo_seconds="x").undo_hold_s == 10.0
    assert Settings(undo_seconds="9999").undo_hold_s == 600.0
    dialog = SettingsDialog(Settings(), window)
    spin = dialog.undo_seconds
    assert spin.value() == 10

    async def scenario() -> None:
        spin.setFocus()
        spin.selectAll()
        await type_text(spin, "25")
        await key(spin, Qt.Key.Key_Up)

    run(loop, scenario())
    new = dialog.result_settings()
    assert new.undo_seconds == "26"
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings_mod.save(new, store)
    loaded = settings_mod.load(store)
    assert loaded.undo_hold_s == 26.0
    window.apply_settings(loaded)
    assert window.backend.undo_hold == 26.0
    dialog.deleteLater()


# --------------------------------------------------------------------------- point 8


def test_command_palette_lists_every_action_and_view_filters_and_runs(window, loop):
    async def scenario() -> None:
        ids = window.inbox.model.ids()
        await show_item(window, ids[0])
        table = window.inbox.table
        table.setFocus()
        await key(table, Qt.Key.Key_K, CTRL)
        palette = await dialog_named(window, "commandPalette")
        listed = [c.text for c in palette.visible_commands()]
        for name in ("journalise", "assign", "reject", "forward", "undo", "sync", "settings"):
            action = getattr(window.window_actions, name)
            assert action.text() in listed, name
        views = [c.text for c in palette.visible_commands() if c.kind == "view"]
        assert len(views) >= window.inbox.tabs.count()
        # typing filters (accents and case ignored); Enter runs the first match
        await type_text(palette.filter, "fordel til")
        shown = palette.visible_commands()
        assert [c.text for c in shown] == [window.window_actions.assign.text()]
        await type_text(palette.filter, "xyz")
        assert palette.visible_commands() == [] and palette.empty.isVisible()
        palette.filter.clear()
        await type_text(palette.filter, "visning alle")
        matches = palette.visible_commands()
        assert len(matches) >= 2  # the Ctrl+1 … action and the view "Alle"
        for _ in range(len(matches)):  # ↓ to the view (↑/↓ move within the matches)
            if palette.list.currentItem().data(Qt.ItemDataRole.UserRole + 7).kind == "view":
                break
            await key(palette.filter, Qt.Key.Key_Down)
        chosen = palette.list.currentItem().data(Qt.ItemDataRole.UserRole + 7)
        assert chosen.kind == "view" and "Alle" in chosen.text
        await key(palette.filter, Qt.Key.Key_Up)
        await key(palette.filter, Qt.Key.Key_Down)
        assert palette.list.currentItem().data(Qt.ItemDataRole.UserRole + 7) == chosen
        await key(palette.filter, Qt.Key.Key_Return)
        await no_dialog(window)
        await until(lambda: window.inbox.view_key == "alle", what="the view ran")
        # an action: Ctrl+K, "afvis", Enter opens the reject dialog
        await key(table, Qt.Key.Key_K, CTRL)
        palette = await dialog_named(window, "commandPalette")
        await type_text(palette.filter, "afvis")
        await key(palette.filter, Qt.Key.Key_Return)
        dialog = await dialog_named(window, "rejectDialog")
        await key(dialog, Qt.Key.Key_Escape)
        await no_dialog(window)

    run(loop, scenario(), 60)


def test_quick_search_results_reachable_by_keyboard_and_f5_without_server_says_so(window, loop):
    async def scenario() -> None:
        search = window.inbox.search
        window.inbox.table.clearSelection()
        search.setFocus()
        label = window.backend.queries.rows(window.inbox.model.ids()[:1])
        word = next(w for w in next(iter(label.values())).label.split() if len(w) > 3)
        await type_text(search, word)
        await until(lambda: window.inbox.model.rowCount() >= 1, what="search results")
        await key(search, Qt.Key.Key_Down)
        await until(window.inbox.table.hasFocus, what="focus on the results")
        assert window.inbox.current_id() in window.inbox.model.ids()
        search.setFocus()
        await key(search, Qt.Key.Key_Return)
        await until(window.inbox.table.hasFocus, what="Enter: on to the results")
        # nothing matches: said
        search.setFocus()
        search.selectAll()
        await type_text(search, "zzqqxxnothing")
        await until(lambda: window.inbox.model.rowCount() == 0, what="no results")
        await key(search, Qt.Key.Key_Return)
        assert "Ingen elementer" in window.statusBar().currentMessage()
        # F5 without a gateway: says why nothing happens
        await key(window.inbox.table, Qt.Key.Key_F5)
        assert "ingen postserver" in window.statusBar().currentMessage()

    run(loop, scenario(), 60)


def test_open_and_save_say_what_happened(window, loop, tmp_path, monkeypatch):
    from PySide6.QtCore import QObject, Slot
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QFileDialog

    class Opener(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list[str] = []

        @Slot("QUrl")
        def open(self, url: Any) -> None:
            self.urls.append(url.toLocalFile())

    opener = Opener()
    QDesktopServices.setUrlHandler("file", opener, "open")

    async def scenario() -> None:
        ids = window.inbox.model.ids()
        item = next(i for i in ids if window.backend.cache.files(i))  # an item with a file
        await show_item(window, item)
        await until(lambda: window.preview.files.count() >= 1, what="files")
        window.preview.files.setCurrentIndex(0)
        name = window.preview.current_file().safe_filename
        await key(window.inbox.table, Qt.Key.Key_O, CTRL)
        await until(lambda: opener.urls, what="opened")
        assert "åbnet" in window.statusBar().currentMessage()

        # the disk is full: said, with why
        def full(*_a: Any, **_k: Any) -> str:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("app.ui.preview.tempfile.mkdtemp", full)
        await key(window.inbox.table, Qt.Key.Key_O, CTRL)
        await until(
            lambda: "kunne ikke åbnes" in window.statusBar().currentMessage(), what="open failed"
        )
        assert "No space left" in window.statusBar().currentMessage()
        # Gem says where it saved, or why not
        target = tmp_path / "gemt.bin"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
        await key(window.inbox.table, Qt.Key.Key_S, CTRL)
        await until(target.exists, what="saved")
        assert str(target) in window.statusBar().currentMessage()
        missing = tmp_path / "findes-ikke" / "x.bin"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(missing), ""))
        await key(window.inbox.table, Qt.Key.Key_S, CTRL)
        await until(
            lambda: "kunne ikke gemmes" in window.statusBar().currentMessage(), what="save failed"
        )
        assert name in window.statusBar().currentMessage()

    try:
        run(loop, scenario(), 60)
    finally:
        QDesktopServices.unsetUrlHandler("file")


def test_the_new_case_button_and_its_kle_field_by_keyboard(window, loop):
    async def scenario() -> None:
        ids = window.inbox.model.ids()
        await show_item(window, ids[0])
        feed(window, SuggestionView(needs_new_case=True, note="Barnet i brevet har ingen sag"))
        assert "Tryk N" in window.panel.empty.text()
        await click(window.panel.new_case_button)
        dialog = await dialog_named(window, "newCaseDialog")
        await key(dialog.picker, Qt.Key.Key_Down)
        assert dialog.ok.isEnabled() and dialog.case.count() == 1  # no closed case: new only
        dialog.kle.setFocus()
        dialog.kle.lineEdit().selectAll()
        await type_text(dialog.kle, "99")
        assert not dialog.ok.isEnabled()  # not a KLE subject
        dialog.kle.lineEdit().selectAll()
        await type_text(dialog.kle, "27.24.10")
        assert dialog.chosen_kle() == "27.24.10" and dialog.ok.isEnabled()
        await key(dialog.kle, Qt.Key.Key_Return)
        await until(lambda: entries(window, ids[0]), what="queued")
        assert entries(window, ids[0])[0].decision.new_case_kle == "27.24.10"
        # Åbn and Gem with no file at all say so
        window.preview.clear()
        await key(window.inbox.table, Qt.Key.Key_O, CTRL)
        assert "ingen fil" in window.statusBar().currentMessage()

    run(loop, scenario(), 60)
