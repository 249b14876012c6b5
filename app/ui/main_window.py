"""The main window: inbox | document preview | case suggestions, in tabs with the backlog and
caseworker views, and the status bar.

The window is fed a `UiBackend` (queries, cache writes, suggestions) and a `Messages` bridge;
it lays out the panes and wires them together. Its actions and shortcuts are
`app.ui.actions.WindowActions`; the decision dialogs and what they send to the outbox are
`app.ui.decision_flow.DecisionFlow`. What any operation changed arrives once on `changes` (a
`ChangeBus`); each pane refreshes itself from it. It never opens a database session or a network
client.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
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

from app.core import changes as op_changes
from app.core.changes import OpChanges
from app.models.inbox import InboxFilter
from app.ui import cache_notice, theme
from app.ui import settings as settings_mod
from app.ui.actions import WindowActions
from app.ui.backend import ItemDetail, UiBackend
from app.ui.backlog_service import BacklogService
from app.ui.backlog_view import BacklogView
from app.ui.caseworker_view import CaseworkerView
from app.ui.decision_flow import DecisionFlow
from app.ui.dialogs import ShortcutOverlay
from app.ui.inbox_pane import InboxPane
from app.ui.preview import DocumentPreview
from app.ui.settings import Settings
from app.ui.settings_dialog import SettingsDialog
from app.ui.suggestion_panel import SuggestionPanel
from app.ui.suggestions import SuggestionView
from app.ui.tasks import ChangeBus, Messages, spawn

log = logging.getLogger("postfordeler.ui")


class MainWindow(QMainWindow):
    """Three panes with splitters; every action has a shortcut (F1 lists them)."""

    detailShown = Signal(int)  # item id whose preview + suggestions are on screen

    def __init__(
        self,
        backend: UiBackend,
        messages: Messages,
        *,
        demo: bool = False,
        settings: QSettings | None = None,
        backlog: BacklogService | None = None,
        changes: ChangeBus | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.messages = messages
        self.changes = changes or ChangeBus(self)
        self.demo = demo
        self.settings = settings
        self.app_settings: Settings | None = None  # set by the app (apply_settings)
        self.detail: ItemDetail | None = None
        self._load_task: asyncio.Task[Any] | None = None
        self._unread = 0
        self.active_dialog: QWidget | None = None
        self.sync_requested: Callable[[], None] | None = None  # "Hent ny post nu" (F5)
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
        # A damaged local cache (rebuilt at start, or found damaged while running): stays until
        # the user closes it, apart from the demo banner.
        self.cache_banner = QLabel(central)
        self.cache_banner.setObjectName("cacheBanner")
        self.cache_banner.setWordWrap(True)
        self.cache_banner.setTextFormat(Qt.TextFormat.RichText)
        theme.style_panel(self.cache_banner)
        self.cache_banner.setStyleSheet("QLabel#cacheBanner { border: 2px solid #c0392b; }")
        self.cache_banner.setVisible(False)
        column.addWidget(self.cache_banner)
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

        self.changes.changed.connect(self.inbox.apply_changes)
        self.changes.changed.connect(self._on_changes)
        if self.backlog_view is not None and self.caseworker_view is not None:
            self.changes.changed.connect(self.backlog_view.apply_changes)
            self.changes.changed.connect(self.caseworker_view.apply_changes)
        self._unread_task: asyncio.Task[Any] | None = None
        self._unread_again = False
        self._unread_counted = False  # the unread count was counted once (then adjusted)
        self.decisions = DecisionFlow(self, self)
        self.decisionQueued = self.decisions.decisionQueued  # item id, outbox id
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
        self.window_actions = WindowActions(self, self)
        self.act_next = self.window_actions.next
        self.act_prev = self.window_actions.prev
        self.act_journalise = self.window_actions.journalise
        self.act_assign = self.window_actions.assign
        self.act_reject = self.window_actions.reject
        self.act_forward = self.window_actions.forward
        self.act_undo = self.window_actions.undo
        self.act_sync = self.window_actions.sync
        self.act_settings = self.window_actions.settings
        self.act_help = self.window_actions.help
        self._tab_order()
        self.update_title()
        self.inbox.table.setFocus()

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

    def apply_settings(self, settings: Settings) -> None:
        """The client's receiving scope from the settings (which contact points it serves)."""
        self.app_settings = settings
        mode = settings.contact_points
        self.inbox.scope = {
            "retursvar": InboxFilter(kinds=("retursvar",)),
            "nyhenvendelser": InboxFilter(kinds=("nyhenvendelse", "videresendt")),
        }.get(mode, InboxFilter())

    def show_settings(self) -> None:
        current = self.app_settings or Settings()
        dialog = SettingsDialog(current, self)

        def accepted() -> None:
            new = dialog.result_settings()
            problems = dialog.store_secrets(new)
            settings_mod.save(new, self.settings)
            self.apply_settings(new)
            self.changes.publish(op_changes.settings_applied())
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

        self.open_dialog(dialog, accepted)

    def show_shortcuts(self) -> None:
        overlay = ShortcutOverlay(self.window_actions.shortcuts, self)
        overlay.open()
        self.active_dialog = overlay

    # ------------------------------------------------------------------ status
    def set_connection_state(self, state: str, message: str) -> None:
        text = {
            "online": self.tr("● Online"),
            "degraded": self.tr("● Forbindelsen svigter"),
            "offline": self.tr("● Offline"),
            "damaged": self.tr("● Lokal kopi beskadiget"),
        }.get(state, state)
        color = {"online": "#1e8449", "degraded": "#b9770e"}.get(state, "#c0392b")
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {color}; padding: 0 8px;")
        self.state_label.setToolTip(message)
        self.state_label.setAccessibleName(f"{text}: {message}")
        if state == "damaged":
            self.show_cache_notice(cache_notice.damaged_text())

    def show_cache_notice(self, text: str) -> None:
        """Tell the user about the local cache's damage in plain words (a banner that stays)."""
        self.cache_banner.setText(text)
        self.cache_banner.setAccessibleName(self.tr("Den lokale kopi af posten"))
        self.cache_banner.setVisible(True)

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
                "(Ctrl+,) for at forbinde til kommunens postserver."
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
        ready = self.backend.take_prefetched(item_id)
        if ready is not None:  # read ahead while the previous item was read: show it now
            detail, view = ready
            self.backend.remember_ranking(detail, view)
            self._show_detail(detail)
            if view is not None or self.backend.suggester is None:
                self._show_suggestions(detail, view or SuggestionView())
            else:  # its ranking failed on the read-ahead: rank again, as a load would
                self._load_task = spawn(
                    self._rank(item_id, detail), self.tr("Vis element"), self.messages
                )
            return
        # The read starts here, not when the task first runs: the item loads on the read
        # thread while this thread paints the selection.
        loading = self.backend.start_detail(item_id)
        self._load_task = spawn(self._load(item_id, loading), self.tr("Vis element"), self.messages)
        self._load_task.add_done_callback(lambda _t: loading.cancel())

    async def _load(self, item_id: int, loading: Awaitable[ItemDetail]) -> None:
        detail = await loading
        if self.inbox.current_id() != item_id:
            return
        self._show_detail(detail)
        await self._rank(item_id, detail)

    async def _rank(self, item_id: int, detail: ItemDetail) -> None:
        view = await self.backend.rank(detail.facts)
        if self.inbox.current_id() != item_id:
            return
        self._show_suggestions(detail, view)

    def _show_detail(self, detail: ItemDetail) -> None:
        self.detail = detail
        self.preview.show_message(
            detail.message, detail.row.contact_point_label, source=detail.source
        )
        self.preview.show_delivery(
            detail.row.delivery_state, detail.row.delivery_reason, detail.row.follow_up
        )
        self.panel.clear()
        if not self.backend.has_ranking(detail.facts):
            self.decisions.show_state(detail)
            self.panel.set_loading()

    def _show_suggestions(self, detail: ItemDetail, view: SuggestionView) -> None:
        item_id = detail.item_id
        self.panel.show_suggestions(view)
        self.decisions.show_state(detail)
        self.detailShown.emit(item_id)
        # What showing writes (the access-log entry, the top suggestion for the "Forslag"
        # column, the read mark) follows the screen, never precedes it, and is not cancelled
        # when the distributor moves on at once: its own task, one trip, one change value.
        spawn(self._store_seen(detail, view), self.tr("Vis element"))
        # The next row is the likeliest next selection (J, auto-advance): read it ahead.
        row = self.inbox.model.row_of(item_id)
        if row is not None:
            self.backend.prefetch(self.inbox.model.item_id(row + 1))

    async def _store_seen(self, detail: ItemDetail, view: SuggestionView) -> None:
        """The access log entry for what was shown, the top suggestion and the read mark."""
        self.changes.publish(await self.backend.seen(detail, view))

    async def reload_current(self) -> None:
        item_id = self.inbox.current_id()
        if item_id is None:
            return
        detail = await self.backend.detail(item_id)
        if self.inbox.current_id() == item_id:
            self.detail = detail
            self.decisions.show_state(detail)
            self.preview.show_delivery(
                detail.row.delivery_state, detail.row.delivery_reason, detail.row.follow_up
            )

    def _on_file_handed_out(self, position: int, action: str) -> None:
        if self.detail is not None:
            spawn(
                self.backend.log_file(self.detail.item_id, self.detail.facts, position, action),
                self.tr("Adgangslog"),
            )

    def _on_case_search(self, query: str) -> None:
        message = self.detail.facts if self.detail else None
        spawn(
            self.backend.log_case_search(query, self.detail.item_id if self.detail else None),
            self.tr("Adgangslog"),
        )

        async def run() -> None:
            view = await self.backend.search_cases(query, message)
            self.panel.show_search_results(view)

        spawn(run(), self.tr("Søg sag"), self.messages)

    # ------------------------------------------------------------------ decisions
    def journalise(self) -> None:
        self.decisions.journalise()

    def assign(self) -> None:
        self.decisions.assign()

    def reject_items(self) -> None:
        self.decisions.reject_items()

    def forward(self) -> None:
        self.decisions.forward()

    def undo(self) -> None:
        self.decisions.undo()

    def toggle_read(self) -> None:
        self.decisions.toggle_read()

    def open_dialog(self, dialog: Any, on_accept: Callable[[], None]) -> None:
        """Non-blocking modal dialog (never a nested exec() inside an asyncio task)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.active_dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: QWidget) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None

    async def refresh_outbox_count(self) -> None:
        counts = await self.backend.outbox_counts()
        self.set_outbox_count(counts.get("open", 0))

    # ------------------------------------------------------------------ what changed
    def _on_changes(self, changes: OpChanges) -> None:
        """The window's own share of a change: the current item's decision state, the outbox
        counter, the unread count in the title and the new-mail notice."""
        self.backend.drop_prefetched(changes)
        if changes.affects(self.inbox.current_id()):
            spawn(self.reload_current(), self.tr("Opdater element"))
        if changes.outbox:
            spawn(self.refresh_outbox_count(), self.tr("Udbakke"))
        if changes.counts:
            self._count_unread()
        elif changes.unread_delta:
            self._adjust_unread(changes.unread_delta)
        if changes.arrived:
            self.notify_new(changes.arrived)

    def _adjust_unread(self, delta: int) -> None:
        """Read marks moved the unread count: adjust it (selecting item after item never
        counts the whole cache); a count under way is repeated instead."""
        if self._unread_counted is False or (
            self._unread_task is not None and not self._unread_task.done()
        ):
            self._count_unread()
            return
        self.set_unread(max(0, self._unread + delta))

    def _count_unread(self) -> None:
        if self._unread_task is not None and not self._unread_task.done():
            self._unread_again = True
            return
        self._unread_task = spawn(self._update_unread(), self.tr("Ulæste"))

    async def _update_unread(self) -> None:
        while True:
            self._unread_again = False
            # Coalesced: a burst of read marks (J held down) is one count, after the selection.
            await asyncio.sleep(0.3)
            count = await self.backend.unread_count()
            if not self._unread_again:
                break
        self._unread_counted = True
        self.set_unread(count)

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


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes
