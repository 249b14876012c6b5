"""The desktop app collects garbage on the GUI thread only (app/ui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading

import pytest

from app.ui.gc_guard import GuiGarbageCollector

pytestmark = pytest.mark.ui


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collections_run_on_the_gui_thread_only(qtbot):
    seen: list[int] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(threading.get_ident())

    collector = GuiGarbageCollector(interval_ms=20)
    was_enabled = gc.isenabled()  # the Qt test fixtures switch automatic GC off; switch it on
    gc.enable()  # so the worker below would collect in its own thread without the collector
    gc.callbacks.append(on_gc)
    try:
        collector.start()
        assert not gc.isenabled()
        seen.clear()
        # A worker allocating far past the thresholds triggers no collection of its own.
        worker = threading.Thread(target=lambda: [_Cycle() for _ in range(50_000)])
        worker.start()
        worker.join()
        assert worker.ident not in seen
        qtbot.waitUntil(lambda: collector.collections > 0, timeout=5000)
        assert seen and set(seen) == {threading.main_thread().ident}
    finally:
        gc.callbacks.remove(on_gc)
        collector.stop()
        assert gc.isenabled()  # stop() gives automatic collection back
        if not was_enabled:
            gc.disable()
