"""The command palette (Ctrl+K): every action and view of the main window in one list; typing
filters it (every word must occur, case and accents ignored), ↓/↑ pick, Enter runs the pick.

Fed a list of `Command`s (text, shortcut, what to run); it runs nothing itself until accepted:
`chosen()` is the command to run after the dialog closed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

COMMAND_ROLE = Qt.ItemDataRole.UserRole + 7


@dataclass(frozen=True, slots=True)
class Command:
    text: str  # what the user reads, e.g. "Journalisér på valgt forslag"
    keys: str  # its shortcut as shown ("" when none)
    run: Callable[[], object]
    kind: str = "action"  # "action" or "view"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.replace("æ", "ae").replace("ø", "o").replace("å", "a")


class CommandPalette(QDialog):
    def __init__(self, commands: list[Command], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandPalette")
        self.setWindowTitle(self.tr("Kommandoer"))
        self.setModal(True)
        self.setMinimumWidth(480)
        self.commands = commands
        layout = QVBoxLayout(self)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("commandFilter")
        self.filter.setAccessibleName(self.tr("Find en handling eller visning"))
        self.filter.setPlaceholderText(self.tr("Skriv for at finde en handling eller visning …"))
        self.list = QListWidget(self)
        self.list.setObjectName("commandList")
        self.list.setAccessibleName(self.tr("Handlinger og visninger"))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the filter
        self.empty = QLabel(self.tr("Ingen handling passer."), self)
        self.empty.setObjectName("commandEmpty")
        self.empty.setVisible(False)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        view_text = self.tr("Visning")
        for command in commands:
            label = f"{view_text}: {command.text}" if command.kind == "view" else command.text
            item = QListWidgetItem(f"{label}\t{command.keys}" if command.keys else label)
            item.setData(COMMAND_ROLE, command)
            item.setData(Qt.ItemDataRole.ToolTipRole, command.keys or None)
            self.list.addItem(item)
        self.filter.textChanged.connect(self._apply)
        self.filter.returnPressed.connect(self._run)
        self.list.itemActivated.connect(lambda _i: self._run())
        self.list.itemClicked.connect(lambda _i: self._run())
        self.filter.installEventFilter(self)
        self._chosen: Command | None = None
        self._apply("")
        self.filter.setFocus()

    def _apply(self, text: str) -> None:
        words = _fold(text).split()
        first: QListWidgetItem | None = None
        for n in range(self.list.count()):
            item = self.list.item(n)
            hay = _fold(item.text())
            hidden = not all(w in hay for w in words)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        if first is None:
            self.list.setCurrentRow(-1)
        else:
            self.list.setCurrentItem(first)
        self.empty.setVisible(first is None)

    def visible_commands(self) -> list[Command]:
        return [
            self.list.item(n).data(COMMAND_ROLE)
            for n in range(self.list.count())
            if not self.list.item(n).isHidden()
        ]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.filter and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(event.key()))
            if step is not None:
                self._step(step)
                return True
        return super().eventFilter(watched, event)

    def _step(self, step: int) -> None:
        rows = [n for n in range(self.list.count()) if not self.list.item(n).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        at = rows.index(current) if current in rows else -1
        self.list.setCurrentRow(rows[max(0, min(len(rows) - 1, at + step))])

    def _run(self) -> None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return
        self._chosen = item.data(COMMAND_ROLE)
        self.accept()

    def chosen(self) -> Command | None:
        return self._chosen
