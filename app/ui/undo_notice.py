"""The undo notice: after each decision, what was decided and "Fortryd (Ctrl+Z)" for as long as
the decision waits in the outbox (the undo window, `Settings.undo_seconds`).

A small status-bar widget fed by `DecisionFlow`: `show_decision(text, seconds)` shows the
line with a countdown ("sendes om 8 s") and hides itself when the time is up; its button emits
`undoRequested`. It never touches the outbox itself.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class UndoNotice(QFrame):
    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(6)
        self.label = QLabel(self)
        self.label.setObjectName("undoNoticeText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.countdown = QLabel(self)
        self.countdown.setObjectName("undoNoticeCountdown")
        self.button = QPushButton(self.tr("Fortryd (Ctrl+Z)"), self)
        self.button.setObjectName("undoNoticeButton")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter in the inbox never undoes
        self.button.clicked.connect(self.undoRequested)
        layout.addWidget(self.label)
        layout.addWidget(self.countdown)
        layout.addWidget(self.button)
        self._until = 0.0
        self._timer = QTimer(self, interval=250)
        self._timer.timeout.connect(self._tick)
        self.setVisible(False)

    def show_decision(self, text: str, seconds: float) -> None:
        """Show `text` with the undo button for `seconds` (0: a short notice, no countdown)."""
        self.label.setText(text)
        self.setAccessibleName(text)
        self.button.setVisible(seconds > 0)
        self._until = time.monotonic() + max(seconds, 4.0)
        self._held = seconds > 0
        self._tick()
        self.setVisible(True)
        self._timer.start()

    def show_text(self, text: str) -> None:
        """A line without the undo button (e.g. what an undo did), shown for a few seconds."""
        self.label.setText(text)
        self.setAccessibleName(text)
        self.button.setVisible(False)
        self._held = False
        self._until = time.monotonic() + 6.0
        self._tick()
        self.setVisible(True)
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self._until - time.monotonic()) if self.isVisible() else 0.0

    def _tick(self) -> None:
        left = self._until - time.monotonic()
        if left <= 0:
            self._timer.stop()
            self.setVisible(False)
            return
        self.countdown.setText(
            self.tr("sendes om %1 s").replace("%1", str(int(left + 0.999))) if self._held else ""
        )
