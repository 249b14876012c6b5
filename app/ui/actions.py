"""The main window's actions: every QAction with its shortcut, and the list the F1 overlay shows.

`WindowActions` builds the actions on the window (window-wide shortcuts, except Enter, which
journalises only from the inbox table or the suggestion list) and holds the small slots that
move focus or pick a suggestion. What a decision does is `app.ui.decision_flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTime, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QTabWidget, QWidget

from app.ui.command_palette import Command, CommandPalette
from app.ui.inbox_pane import InboxPane
from app.ui.preview import DocumentPreview
from app.ui.suggestion_panel import SuggestionPanel
from app.ui.tasks import Messages

# How a key sequence is written in the F1 list.
SHOWN_KEYS = {
    "Return": "Enter",
    "Escape": "Esc",
    "Alt+1": "Alt+1 … Alt+5",
    "Ctrl+1": "Ctrl+1 … Ctrl+7",
    "Ctrl++": "Ctrl++ / Ctrl+-",
}


class ActionHost(Protocol):
    """What the actions trigger and move between (the main window)."""

    inbox: InboxPane
    panel: SuggestionPanel
    preview: DocumentPreview
    sync_requested: Callable[[], None] | None

    def journalise(self) -> None: ...
    def assign(self) -> None: ...
    def reject_items(self) -> None: ...
    def forward(self) -> None: ...
    def new_case(self) -> None: ...
    def undo(self) -> None: ...
    def toggle_read(self) -> None: ...
    def show_settings(self) -> None: ...
    def show_shortcuts(self) -> None: ...
    def open_dialog(self, dialog: Any, on_accept: Callable[[], None]) -> None: ...

    @property
    def messages(self) -> Messages: ...


class WindowActions(QObject):
    """Builds the actions on `window`; `shortcuts` is the (keys, text) list for the F1 overlay."""

    def __init__(self, window: QWidget, host: ActionHost) -> None:
        super().__init__(window)
        self.window = window
        self.host = host
        self.inbox = host.inbox
        self.panel = host.panel
        self.preview = host.preview
        self.shortcuts: list[tuple[str, str]] = []
        self.commands: list[tuple[str, str, QAction]] = []  # the palette's actions
        self._sync_asked = False  # F5 pressed: say when the sync has run
        self._build()
        self.inbox.search.installEventFilter(self)
        self.inbox.search.returnPressed.connect(self.to_results)

    def _action(self, text: str, keys: list[str], slot: Callable[..., Any], name: str) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.window.addAction(action)
        labels_ = list(dict.fromkeys(SHOWN_KEYS.get(k, k) for k in keys))
        self.shortcuts.append((" / ".join(labels_), text))
        self.commands.append((text, " / ".join(labels_), action))
        return action

    def _unlisted(self, key: str, slot: Callable[[], Any]) -> None:
        """A further key of a listed range (Alt+2 … Alt+5, Ctrl+2 …)."""
        act = QAction(self.window)
        act.setShortcut(QKeySequence(key))
        act.triggered.connect(lambda _c=False: slot())
        self.window.addAction(act)

    def _build(self) -> None:
        w = self.host
        a = self._action
        self.next = a(self.tr("Næste element"), ["J"], lambda: self.inbox.move(1), "next")
        self.prev = a(self.tr("Forrige element"), ["K"], lambda: self.inbox.move(-1), "prev")
        self.shortcuts.append(("↓ / ↑", self.tr("Næste / forrige element")))
        self.journalise = a(
            self.tr("Journalisér på valgt forslag"),
            ["Return", "Enter"],
            w.journalise,
            "journalise",
        )
        # Enter journalises only from the inbox table or the suggestion list: in a search box
        # it must search, in a dialog it must confirm.
        self.window.removeAction(self.journalise)
        self.journalise.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.inbox.table.addAction(self.journalise)
        self.panel.list.addAction(self.journalise)
        self.assign = a(self.tr("Fordel til sagsbehandler"), ["F"], w.assign, "assign")
        self.reject = a(self.tr("Afvis (fejlsendt)"), ["A"], w.reject_items, "reject")
        self.forward = a(self.tr("Videresend"), ["V"], w.forward, "forward")
        self.new_case = a(
            self.tr("Opret ny sag / genåbn sag (til DUBU uden sag)"), ["N"], w.new_case, "newCase"
        )
        self.undo = a(self.tr("Fortryd (mens den venter i udbakken)"), ["Ctrl+Z"], w.undo, "undo")
        a(self.tr("Hurtigsøgning i indbakken"), ["Ctrl+F", "/"], self.focus_search, "search")
        a(
            self.tr("Søg sag (CPR, navn, sagsnummer)"),
            ["Ctrl+Shift+F"],
            self.focus_case_search,
            "caseSearch",
        )
        self.palette = a(
            self.tr("Kommandoer: find og kør en handling eller visning"),
            ["Ctrl+K"],
            self.show_palette,
            "commandPalette",
        )
        a(self.tr("Vælg forslag 1–5"), ["Alt+1"], lambda: self.pick(0), "pick1")
        for n in range(2, 6):
            self._unlisted(f"Alt+{n}", partial(self.pick, n - 1))
        a(self.tr("Markér som ulæst / læst"), ["U"], w.toggle_read, "toggleRead")
        a(self.tr("Gå til indbakken"), ["Escape"], self.focus_inbox, "focusInbox")
        a(
            self.tr("Visning: Ufordelte … Alle"),
            ["Ctrl+1"],
            lambda: self.inbox.tabs.setCurrentIndex(0),
            "view1",
        )
        for n in range(2, self.inbox.tabs.count() + 1):
            self._unlisted(f"Ctrl+{n}", partial(self.inbox.tabs.setCurrentIndex, n - 1))
        a(self.tr("Vis/skjul filtre"), ["Ctrl+L"], self.inbox.filter_button.toggle, "filters")
        a(self.tr("Åbn fil"), ["Ctrl+O"], self.preview.open_current, "openFile")
        a(self.tr("Gem fil"), ["Ctrl+S"], self.preview.save_current, "saveFile")
        a(self.tr("Næste dokument"), ["Ctrl+Tab"], self.next_file, "nextFile")
        a(self.tr("Zoom ind / ud i PDF"), ["Ctrl++"], lambda: self.zoom(1.25), "zoom")
        self._unlisted("Ctrl+-", lambda: self.zoom(1 / 1.25))
        self.sync = a(self.tr("Hent ny post nu"), ["F5"], self.sync_now, "sync")
        self.settings = a(self.tr("Indstillinger"), ["Ctrl+,"], w.show_settings, "settings")
        self.help = a(self.tr("Tastaturgenveje"), ["F1", "?"], w.show_shortcuts, "help")

    # ------------------------------------------------------------------ slots
    def zoom(self, factor: float) -> None:
        self.preview.pdf.zoom_by(factor)

    def next_file(self) -> None:
        n = self.preview.files.count()
        if n:
            self.preview.files.setCurrentIndex((self.preview.files.currentIndex() + 1) % n)

    def focus_search(self) -> None:
        self.inbox.search.setFocus()
        self.inbox.search.selectAll()

    def focus_case_search(self) -> None:
        self.panel.search.setFocus()
        self.panel.search.selectAll()

    def focus_inbox(self) -> None:
        self.inbox.table.setFocus()

    def pick(self, index: int) -> None:
        if index < self.panel.list.count():
            self.panel.list.setCurrentRow(index)

    def sync_now(self) -> None:
        """F5: fetch new post now, and say so (and again when the sync has run)."""
        if self.host.sync_requested is None:
            self.host.messages.show_error(
                self.tr("Kan ikke hente ny post"), self.tr("Der er ingen postserver forbundet.")
            )
            return
        self._sync_asked = True
        self.host.messages.show_info(self.tr("Henter ny post …"))
        self.host.sync_requested()

    def sync_status(self, state: str, message: str) -> None:
        """A sync ran (the syncer's status): after F5, say that the inbox is up to date, or
        why it is not."""
        if not self._sync_asked:
            return
        self._sync_asked = False
        if state == "online":
            at = QTime.currentTime().toString("HH:mm")
            self.host.messages.show_info(
                self.tr("Indbakken er opdateret kl. %1.").replace("%1", at)
            )
        else:
            self.host.messages.show_error(self.tr("Kunne ikke hente ny post"), message)

    # ------------------------------------------------------------------ quick search
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.inbox.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
        ):
            self.to_results()
            return True
        return super().eventFilter(watched, event)

    def to_results(self) -> None:
        """↓ or Enter in the quick search: on to its results (the first one, unless one of
        them is already current)."""
        if not self.inbox.model.rowCount():
            self.host.messages.show_info(self.tr("Ingen elementer passer til søgningen."))
            return
        self.inbox.table.setFocus()
        current = self.inbox.current_id()
        if current is None or self.inbox.model.row_of(current) is None:
            self.inbox.move(0)

    # ------------------------------------------------------------------ palette
    def palette_commands(self) -> list[Command]:
        """Every action of the window, then every view (inbox views, then the main tabs)."""
        out = [
            Command(text, keys, action.trigger)
            for text, keys, action in self.commands
            if action is not self.palette
        ]
        for n in range(self.inbox.tabs.count()):
            text = self.inbox.tabs.tabText(n).split(" (")[0]
            out.append(Command(text, f"Ctrl+{n + 1}", partial(self._show_view, n), kind="view"))
        tabs = getattr(self.window, "tabs", None)
        if isinstance(tabs, QTabWidget) and tabs.count() > 1:
            for n in range(tabs.count()):
                out.append(
                    Command(tabs.tabText(n), "", partial(tabs.setCurrentIndex, n), kind="view")
                )
        return out

    def _show_view(self, index: int) -> None:
        tabs = getattr(self.window, "tabs", None)
        if isinstance(tabs, QTabWidget):
            tabs.setCurrentIndex(0)
        self.inbox.tabs.setCurrentIndex(index)

    def show_palette(self) -> None:
        dialog = CommandPalette(self.palette_commands(), self.window)

        def accepted() -> None:
            command = dialog.chosen()
            if command is not None:  # after the palette closed, so focus is back
                QTimer.singleShot(0, command.run)

        self.host.open_dialog(dialog, accepted)
