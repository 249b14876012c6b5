"""Run Python's cyclic garbage collector on the GUI thread only.

A collection runs in whichever thread happens to allocate when a generation's threshold is
reached. If that is a worker thread (a sync parse, a database read) and the garbage holds a Qt
object with timers or a closed qasync loop, Qt destroys it in the wrong thread: "QObject::
~QObject: Timers cannot be stopped from another thread", and a crash at the next event (the
order-dependent test crash of issue 8 had exactly this cause). As qutebrowser does, automatic
collection is switched off and a timer on the GUI thread collects by the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

__all__ = ["GuiGarbageCollector"]


class GuiGarbageCollector(QObject):
    """Owns the collection: `start()` disables automatic GC and collects every `interval_ms`
    on the thread this object lives in (the GUI thread); `stop()` gives GC back."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self.collections = 0  # how many collections this object ran (for tests and diagnostics)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def collect(self) -> int:
        """Collect the generations whose thresholds are exceeded, youngest first."""
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        found = 0
        if count0 > threshold0:
            generation = 0
            if count1 > threshold1:
                generation = 1
                if count2 > threshold2:
                    generation = 2
            found = gc.collect(generation)
            self.collections += 1
        return found
