"""The main window: inbox | document preview | case suggestions, the actions and shortcuts.

The window is fed a `UiBackend` (queries, cache writes, suggestions) and a `Messages` bridge;
it turns user decisions into outbox entries through the backend and shows each item's state
("afventer", then the result). It never opens a database session or a network client itself.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.schema import ItemStatus, OutboxStatus
from app.ui import labels, theme
from app.ui.backend import ItemDetail, UiBackend
from app.ui.backlog_service import BacklogService
from app.ui.backlog_view import BacklogView
from app.ui.caseworker_view import CaseworkerView
from app.ui.dialogs import (
    AssignDialog,
    ForwardDialog,
    JournaliseDialog,
    RejectDialog,
    ShortcutOverlay,
)
from app.ui.inbox_pane import InboxPane
from app.ui.preview import DocumentPreview
from app.ui.suggestion_panel import SuggestionPanel
from app.ui.tasks import Messages, spawn

log = logging.getLogger("postfordeler.ui")


class MainWindow(QMainWindow):
    """Three panes with splitters; every action has a shortcut (F1 lists them)."""

    decisionQueued = Signal(int, int)  # item id, outbox id
    detailShown = Signal(int)  # item id whose preview + suggestions are on screen

    def __init__(
        self,
        backend: UiBackend,
        messages: Messages,
        *,
        demo: bool = False,
        settings: QSettings | None = None,
        backlog: BacklogService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.messages = messages
        self.demo = demo
        self.settings = settings
        self.app_settings: Any = None  # app.ui.settings.Settings, set by the app
        self.detail: ItemDetail | None = None
        self._load_task: asyncio.Task[Any] | None = None
        self._unread = 0
        self.active_dialog: QWidget | None = None
        self._last_decisions: list[tuple[int, int]] = []  # (item id, outbox id), for Ctrl+Z
        self.setObjectName("mainWindow")
        self.inbox = InboxPane(backend, messages, self)
        self.preview = DocumentPreview(self)
        self.panel = SuggestionPanel(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.inbox)
        self.splitter.addWidget(self.preview)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([900, 450, 250])
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 4, 6, 0)
        column.setSpacing(4)
        self.banner = QLabel(central)
        self.banner.setObjectName("demoBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        theme.style_panel(self.banner)
        self.banner.setVisible(False)
        column.addWidget(self.banner)
        # Tabs: the distributor's inbox, the team lead's backlog, the caseworker's own items.
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName(self.tr("Visninger"))
        self.tabs.addTab(self.splitter, self.tr("Indbakke"))
        self.backlog_view: BacklogView | None = None
        self.caseworker_view: CaseworkerView | None = None
        if backlog is not None:
            self.backlog_view = BacklogView(backlog.report, messages, self)
            self.caseworker_view = CaseworkerView(backlog, messages, self)
            self.tabs.addTab(self.backlog_view, self.tr("Overblik"))
            self.tabs.addTab(self.caseworker_view, self.tr("Fordelt til mig"))
            self.backlog_view.caseworkerActivated.connect(self._show_caseworker)
            self.caseworker_view.open_item.connect(self._open_from_list)
        self.tabs.tabBar().setVisible(self.tabs.count() > 1)
        column.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.tray: QSystemTrayIcon | None = None
        self.resize(1760, 960)

        self.state_label = QLabel(self)
        self.state_label.setObjectName("connectionState")
        self.outbox_label = QLabel(self)
        self.outbox_label.setObjectName("outboxCount")
        self.statusBar().addPermanentWidget(self.state_label)
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.set_connection_state("offline", self.tr("Ikke synkroniseret endnu"))
        self.set_outbox_count(0)

        self.inbox.currentItemChanged.connect(self._on_current)
        self.panel.searchRequested.connect(self._on_case_search)
        self.preview.fileHandedOut.connect(self._on_file_handed_out)
        self.panel.journaliseClicked.connect(self.journalise)
        self.panel.assignClicked.connect(self.assign)
        self.panel.rejectClicked.connect(self.reject_items)
        self.panel.forwardClicked.connect(self.forward)
        self.panel.undoClicked.connect(self.undo)
        messages.info.connect(lambda text: self.statusBar().showMessage(text, 8000))
        messages.error.connect(self._show_error)
        self._build_actions()
        self._tab_order()
        self.update_title()
        self.inbox.table.setFocus()

    # ------------------------------------------------------------------ actions
    def _action(self, text: str, keys: list[str], slot: Any, name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        shown = {
            "Return": "Enter",
            "Escape": "Esc",
            "Alt+1": "Alt+1 … Alt+5",
            "Ctrl+1": "Ctrl+1 … Ctrl+7",
        }
        labels_ = list(dict.fromkeys(shown.get(k, k) for k in keys))
        self._shortcuts.append((" / ".join(labels_), text))
        return action

    def _build_actions(self) -> None:
        self._shortcuts: list[tuple[str, str]] = []
        a = self._action
        self.act_next = a(self.tr("Næste element"), ["J"], lambda: self.inbox.move(1), "next")
        self.act_prev = a(self.tr("Forrige element"), ["K"], lambda: self.inbox.move(-1), "prev")
        self._shortcuts.append(("↓ / ↑", self.tr("Næste / forrige element")))
        self.act_journalise = a(
            self.tr("Journalisér på valgt forslag"),
            ["Return", "Enter"],
            self.journalise,
            "journalise",
        )
        # Enter journalises only from the inbox table or the suggestion list: in a search box
        # it must search, in a dialog it must confirm.
        self.removeAction(self.act_journalise)
        self.act_journalise.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.inbox.table.addAction(self.act_journalise)
        self.panel.list.addAction(self.act_journalise)
        self.act_assign = a(self.tr("Fordel til sagsbehandler"), ["F"], self.assign, "assign")
        self.act_reject = a(self.tr("Afvis (fejlsendt)"), ["A"], self.reject_items, "reject")
        self.act_forward = a(self.tr("Videresend"), ["V"], self.forward, "forward")
        self.act_undo = a(
            self.tr("Fortryd (mens den venter i udbakken)"), ["Ctrl+Z"], self.undo, "undo"
        )
        a(self.tr("Hurtigsøgning i indbakken"), ["Ctrl+F", "/"], self._focus_search, "search")
        a(
            self.tr("Søg sag (CPR, navn, sagsnummer)"),
            ["Ctrl+K"],
            self._focus_case_search,
            "caseSearch",
        )
        a(self.tr("Vælg forslag 1–5"), ["Alt+1"], lambda: self._pick(0), "pick1")
        for n in range(2, 6):
            act = QAction(self)
            act.setShortcut(QKeySequence(f"Alt+{n}"))
            act.triggered.connect(lambda _c=False, i=n - 1: self._pick(i))
            self.addAction(act)
        a(self.tr("Markér som ulæst / læst"), ["U"], self.toggle_read, "toggleRead")
        a(self.tr("Gå til indbakken"), ["Escape"], self._focus_inbox, "focusInbox")
        a(
            self.tr("Visning: Ufordelte … Alle"),
            ["Ctrl+1"],
            lambda: self.inbox.tabs.setCurrentIndex(0),
            "view1",
        )
        for n in range(2, self.inbox.tabs.count() + 1):
            act = QAction(self)
            act.setShortcut(QKeySequence(f"Ctrl+{n}"))
            act.triggered.connect(lambda _c=False, i=n - 1: self.inbox.tabs.setCurrentIndex(i))
            self.addAction(act)
        a(self.tr("Vis/skjul filtre"), ["Ctrl+L"], self.inbox.filter_button.toggle, "filters")
        a(self.tr("Åbn fil"), ["Ctrl+O"], self.preview.open_current, "openFile")
        a(self.tr("Gem fil"), ["Ctrl+S"], self.preview.save_current, "saveFile")
        a(self.tr("Næste dokument"), ["Ctrl+Tab"], self._next_file, "nextFile")
        a(self.tr("Zoom ind / ud i PDF"), ["Ctrl++", "Ctrl+-"], self._zoom_key, "zoom")
        self.act_sync = a(self.tr("Hent ny post nu"), ["F5"], self._sync_now, "sync")
        self.act_settings = a(self.tr("Indstillinger"), ["Ctrl+,"], self.show_settings, "settings")
        self.act_help = a(self.tr("Tastaturgenveje"), ["F1", "?"], self.show_shortcuts, "help")
        self.sync_requested = None

    def _tab_order(self) -> None:
        """Search → inbox → documents → preview → case search → suggestions → actions."""
        chain = [
            self.inbox.search,
            self.inbox.filter_button,
            self.inbox.table,
            self.preview.header.toggle,
            self.preview.open_button,
            self.preview.save_button,
            self.preview.files,
            self.preview.text,
            self.panel.search,
            self.panel.list,
            self.panel.journalise_button,
            self.panel.assign_button,
            self.panel.forward_button,
            self.panel.reject_button,
            self.panel.undo_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def apply_settings(self, settings: Any) -> None:
        """The client's receiving scope from the settings (which contact points it serves)."""
        from app.models.inbox import InboxFilter

        self.app_settings = settings
        mode = getattr(settings, "contact_points", "both")
        self.inbox.scope = {
            "retursvar": InboxFilter(kinds=("retursvar",)),
            "nyhenvendelser": InboxFilter(kinds=("nyhenvendelse", "videresendt")),
        }.get(mode, InboxFilter())

    def _zoom_key(self) -> None:
        self.preview.pdf._zoom(1.25)

    def _next_file(self) -> None:
        n = self.preview.files.count()
        if n:
            self.preview.files.setCurrentIndex((self.preview.files.currentIndex() + 1) % n)

    def _focus_search(self) -> None:
        self.inbox.search.setFocus()
        self.inbox.search.selectAll()

    def _focus_case_search(self) -> None:
        self.panel.search.setFocus()
        self.panel.search.selectAll()

    def _focus_inbox(self) -> None:
        self.inbox.table.setFocus()

    def _pick(self, index: int) -> None:
        if index < self.panel.list.count():
            self.panel.list.setCurrentRow(index)

    def _sync_now(self) -> None:
        if callable(self.sync_requested):
            self.sync_requested()

    def show_settings(self) -> None:
        from app.ui import settings as settings_mod
        from app.ui.settings_dialog import SettingsDialog

        current = self.app_settings or settings_mod.Settings()
        dialog = SettingsDialog(current, self)

        def accepted() -> None:
            new = dialog.result_settings()
            problems = dialog.store_secrets(new)
            settings_mod.save(new, self.settings)
            self.apply_settings(new)
            self.inbox.refresh(data_changed=True)
            app = QApplication.instance()
            if new.dark != current.dark and isinstance(app, QApplication):
                theme.apply(app, new.dark)
            text = self.tr(
                "Indstillingerne er gemt. Nye forbindelser og sprog bruges ved næste start."
            )
            if problems:
                self.messages.show_error(text, problems[0])
            else:
                self.messages.show_info(text)

        self._open(dialog, accepted)

    def show_shortcuts(self) -> None:
        overlay = ShortcutOverlay(self._shortcuts, self)
        overlay.open()
        self.active_dialog = overlay

    # ------------------------------------------------------------------ status
    def set_connection_state(self, state: str, message: str) -> None:
        text = {
            "online": self.tr("● Online"),
            "degraded": self.tr("● Forbindelsen svigter"),
            "offline": self.tr("● Offline"),
        }.get(state, state)
        color = {"online": "#1e8449", "degraded": "#b9770e"}.get(state, "#c0392b")
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {color}; padding: 0 8px;")
        self.state_label.setToolTip(message)
        self.state_label.setAccessibleName(f"{text}: {message}")

    def set_delivery_state(self, state: str, message: str) -> None:
        """Delivery of decisions (outbox → SF2900 → DUBU): the outbox label turns amber/red
        while the Fordelingskomponent does not answer; decisions wait safely in the outbox."""
        color = {"online": "", "degraded": "#b9770e"}.get(state, "#c0392b")
        self.outbox_label.setStyleSheet(f"color: {color}; padding: 0 8px;" if color else "")
        self.outbox_label.setToolTip(message)
        self.outbox_label.setAccessibleName(f"{self.outbox_label.text()}: {message}")

    def set_outbox_count(self, count: int) -> None:
        self.outbox_label.setText(self.tr("Udbakke: %1").replace("%1", str(count)))

    def set_unread(self, count: int) -> None:
        self._unread = count
        self.update_title()

    def update_title(self) -> None:
        title = "Postfordeler"
        if self._unread:
            title = f"({self._unread}) {title}"
        if self.demo:
            title += " – " + self.tr("Demo (sandkasse)")
        self.setWindowTitle(title)

    def show_first_run(self) -> None:
        """Say plainly that this is the demo sandbox, and how to connect for real."""
        self.banner.setText(
            self.tr(
                "<b>Demo (sandkasse)</b>: Postfordeler kører mod en indbygget sandkasse med "
                "syntetiske data – intet sendes til rigtige systemer. Åbn <b>Indstillinger</b> "
                "(Ctrl+,) for at forbinde til kommunens postserver og SF2900."
            )
        )
        self.banner.setAccessibleName(self.tr("Demo (sandkasse)"))
        self.banner.setVisible(True)

    def notify_new(self, count: int) -> None:
        text = self.tr("%n ny(e) meddelelse(r) i indbakken", "", count)
        self.statusBar().showMessage(text, 8000)
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.show()
        if self.tray is not None:
            self.tray.showMessage(
                "Postfordeler", text, QSystemTrayIcon.MessageIcon.Information, 5000
            )

    def _show_error(self, text: str, detail: str) -> None:
        self.statusBar().showMessage(f"{text}: {detail}" if detail else text, 15000)

    # ------------------------------------------------------------------ current item
    def _show_caseworker(self, caseworker_id: str) -> None:
        assert self.caseworker_view is not None
        self.tabs.setCurrentWidget(self.caseworker_view)
        self.caseworker_view.select_caseworker(caseworker_id)

    def _open_from_list(self, item_id: int) -> None:
        """An item opened from the backlog or caseworker list is shown in the inbox."""
        self.tabs.setCurrentIndex(0)
        self.inbox.set_view("alle")
        if not self.inbox.select_id(item_id):
            self._on_current(item_id)  # not loaded yet: show it anyway

    def _on_current(self, item_id: int | None) -> None:
        if self._load_task is not None and not self._load_task.done():
            self._load_task.cancel()
        if item_id is None:
            self.detail = None
            self.preview.clear()
            self.panel.clear()
            return
        self._load_task = spawn(self._load(item_id), self.tr("Vis element"), self.messages)

    async def _load(self, item_id: int) -> None:
        detail = await self.backend.detail(item_id)
        if self.inbox.current_id() != item_id:
            return
        self.detail = detail
        self.preview.show_message(detail.message, detail.row.contact_point_label)
        spawn(self.backend.log_view(item_id, detail.message), self.tr("Adgangslog"))
        self.panel.clear()
        self._show_state(detail)
        self.panel.set_loading()
        if not detail.row.read:
            await self.backend.mark_read([item_id])
            self.inbox.model.invalidate([item_id])
        view = await self.backend.suggest(item_id, detail.message)
        if self.inbox.current_id() != item_id:
            return
        self.panel.show_suggestions(view)
        self._show_state(detail)
        self.inbox.model.invalidate([item_id])
        self.detailShown.emit(item_id)

    def _show_state(self, detail: ItemDetail) -> None:
        row = detail.row
        pending = detail.open_outbox
        last = detail.last_outbox
        decidable = row.status in (ItemStatus.NEW, ItemStatus.FAILED) and pending is None
        claimed_by_other = bool(row.claimed_by) and row.claimed_by != self.backend.user
        undoable = (
            pending is not None and pending.status == OutboxStatus.PENDING and pending.attempts == 0
        )
        self.panel.set_decidable(decidable and not claimed_by_other, undoable)
        text = ""
        if pending is not None:
            text = self.tr("<b>Afventer</b> afsendelse: %1").replace(
                "%1", _describe(pending.action, pending.payload)
            )
            if pending.last_error:
                text += "<br>" + self.tr("Seneste forsøg: %1").replace("%1", pending.last_error)
        elif row.status == ItemStatus.FAILED:
            text = self.tr("<b>Fejlet:</b> %1").replace("%1", row.status_note or "")
        elif row.status != ItemStatus.NEW and last is not None:
            text = (
                "<b>"
                + labels.status_label(row.status)
                + "</b>: "
                + _describe(last.action, last.payload)
            )
        if claimed_by_other:
            text += "<br>" + self.tr("Låst af %1 – du kan ikke handle på det.").replace(
                "%1", row.claimed_by or ""
            )
        self.panel.set_state_text(text)

    async def reload_current(self) -> None:
        item_id = self.inbox.current_id()
        if item_id is None:
            return
        detail = await self.backend.detail(item_id)
        if self.inbox.current_id() == item_id:
            self.detail = detail
            self._show_state(detail)

    def _on_file_handed_out(self, position: int, action: str) -> None:
        if self.detail is not None:
            spawn(
                self.backend.log_file(self.detail.item_id, self.detail.message, position, action),
                self.tr("Adgangslog"),
            )

    def _on_case_search(self, query: str) -> None:
        message = self.detail.message if self.detail else None
        spawn(
            self.backend.log_case_search(query, self.detail.item_id if self.detail else None),
            self.tr("Adgangslog"),
        )

        async def run() -> None:
            view = await self.backend.search_cases(query, message)
            self.panel.show_search_results(view)

        spawn(run(), self.tr("Søg sag"), self.messages)

    # ------------------------------------------------------------------ decisions
    def _targets(self) -> list[int]:
        ids = self.inbox.selected_ids()
        current = self.inbox.current_id()
        if current is not None and current not in ids:
            ids = [current]
        return ids

    def _open(self, dialog: Any, on_accept: Any) -> None:
        """Non-blocking modal dialog (never a nested exec() inside an asyncio task)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.active_dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: QWidget) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None

    def journalise(self) -> None:
        choice = self.panel.selected_choice()
        item_id = self.inbox.current_id()
        if choice is None or item_id is None or not self.panel.journalise_button.isEnabled():
            return
        dialog = JournaliseDialog(choice, parent=self)

        def accepted() -> None:
            payload: dict[str, Any] = {"case_id": choice.case_id, "case_number": choice.case_number}
            note = dialog.note()
            if note:
                payload.update(note=note["text"], note_title=note["title"])
            self._decide([item_id], "journalise", payload)

        self._open(dialog, accepted)

    def assign(self) -> None:
        ids = self._targets()
        if not ids or not self.panel.assign_button.isEnabled():
            return

        async def run() -> None:
            workers = await self.backend.caseworkers()
            choice = self.panel.selected_choice()
            dialog = AssignDialog(workers, choice.caseworker_id if choice else None, len(ids), self)

            def accepted() -> None:
                selected = dialog.selected()
                if not selected:
                    return
                payload: dict[str, Any] = {
                    "caseworker_id": selected[0],
                    "caseworker_label": selected[1],
                }
                if choice is not None and len(ids) == 1:
                    payload.update(case_id=choice.case_id, case_number=choice.case_number)
                self._decide(ids, "assign", payload)

            self._open(dialog, accepted)

        spawn(run(), self.tr("Fordel"), self.messages)

    def reject_items(self) -> None:
        ids = self._targets()
        if not ids or not self.panel.reject_button.isEnabled():
            return
        dialog = RejectDialog(len(ids), self)

        def accepted() -> None:
            if dialog.text():
                self._decide(ids, "reject", {"reason": dialog.text()})

        self._open(dialog, accepted)

    def forward(self) -> None:
        ids = self._targets()
        if not ids or not self.panel.forward_button.isEnabled():
            return

        async def run() -> None:
            receivers = await self.backend.receivers()
            dialog = ForwardDialog(receivers, self.panel.suggested().receiver, len(ids), self)

            def accepted() -> None:
                selected = dialog.selected()
                if not selected:
                    return
                payload = {"receiver_id": selected[0], "receiver_label": selected[1]}
                if dialog.comment.text().strip():
                    payload["comment"] = dialog.comment.text().strip()
                self._decide(ids, "forward", payload)

            self._open(dialog, accepted)

        spawn(run(), self.tr("Videresend"), self.messages)

    def _decide(self, item_ids: list[int], action: str, payload: dict[str, Any]) -> None:
        async def run() -> None:
            failures = []
            for item_id in item_ids:
                try:
                    outbox_id = await self.backend.enqueue(item_id, action, payload)
                except Exception as exc:
                    failures.append(str(exc))
                    continue
                self.decisionQueued.emit(item_id, outbox_id)
                self._last_decisions.append((item_id, outbox_id))
            self.inbox.model.invalidate(item_ids)
            self.inbox.update_counts()
            await self.reload_current()
            await self.refresh_outbox_count()
            if failures:
                self.messages.show_error(labels.action_label(action), failures[0])
            else:
                self.messages.show_info(
                    self.tr("%1: lagt i udbakken (Ctrl+Z fortryder)").replace(
                        "%1", labels.action_label(action)
                    )
                )
            # Auto-advance from the decided item, unless the user has moved on meanwhile.
            if len(item_ids) == 1 and not failures and self.inbox.current_id() == item_ids[0]:
                self.inbox.move(1)

        spawn(run(), labels.action_label(action), self.messages)

    def undo(self) -> None:
        """Undo the current item's pending decision, else the last decision made here."""
        detail = self.detail
        pending = detail.open_outbox if detail else None
        if detail is not None and pending is not None:
            target = (detail.item_id, pending.id)
        elif self._last_decisions:
            target = self._last_decisions.pop()
        else:
            return

        async def run() -> None:
            ok = await self.backend.undo(target[1])
            self.inbox.model.invalidate([target[0]])
            self.inbox.update_counts()
            await self.reload_current()
            await self.refresh_outbox_count()
            self.messages.show_info(
                self.tr("Handlingen er fortrudt.")
                if ok
                else self.tr("For sent at fortryde: handlingen er sendt.")
            )

        spawn(run(), self.tr("Fortryd"), self.messages)

    def toggle_read(self) -> None:
        ids = self._targets()
        rows = [self.inbox.model.cached_row(i) for i in ids]
        read = not all(r.read for r in rows if r is not None)

        async def run() -> None:
            await self.backend.mark_read(ids, read)
            self.inbox.model.invalidate(ids)

        spawn(run(), self.tr("Læst/ulæst"), self.messages)

    async def refresh_outbox_count(self) -> None:
        counts = await self.backend.outbox_counts()
        self.set_outbox_count(counts.get("open", 0))

    # ------------------------------------------------------------------ events from the core
    def on_outbox_changed(self) -> None:
        """The worker delivered/failed something: refresh pending rows and the current item."""
        pending = [
            i
            for i in self.inbox.model.ids()
            if (r := self.inbox.model.cached_row(i)) is not None and r.status == ItemStatus.PENDING
        ]
        if pending:
            self.inbox.model.invalidate(pending)
            self.inbox.update_counts()
        spawn(self.reload_current(), self.tr("Opdater element"))
        spawn(self.refresh_outbox_count(), self.tr("Udbakke"))

    # ------------------------------------------------------------------ window state
    def restore_state(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        header = self.settings.value("window/inboxHeader")
        if isinstance(header, QByteArray):
            self.inbox.table.horizontalHeader().restoreState(header)
        view = self.settings.value("window/view")
        if isinstance(view, str):
            self.inbox.set_view(view)

    def save_state(self) -> None:
        if self.settings is None:
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue(
            "window/inboxHeader", self.inbox.table.horizontalHeader().saveState()
        )
        self.settings.setValue("window/view", self.inbox.view_key)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)


def _describe(action: str, payload: dict[str, Any]) -> str:
    label = labels.action_label(action)
    target = (
        payload.get("case_number")
        or payload.get("caseworker_label")
        or payload.get("receiver_label")
        or payload.get("receiver_id")
        or payload.get("reason")
        or ""
    )
    if action == "assign" and payload.get("case_number"):
        target = f"{payload.get('caseworker_label')} · {payload['case_number']}"
    return f"{label} {target}".strip()


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes
