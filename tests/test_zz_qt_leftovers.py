"""Qt objects a test leaves behind die on the GUI thread (tests/conftest.py,
`pytest_runtest_protocol` → `destroy_qt_leftovers`).

The suite once failed by chance on a loaded machine: "QObject::~QObject: Timers cannot be
stopped from another thread" in tests/test_big_message.py, then a segfault near
tests/test_e2e.py. Cause: a closed qasync loop is kept alive only by reference cycles, and its
timer object (a QObject) still has timers registered; whichever thread next runs the cyclic
garbage collector destroys it, and in the big-message test that is a worker thread.

The same leak destroyed in a worker thread also segfaults in the next processEvents() (seen
while writing this file), so no test here lets that happen on purpose. The first test builds
the leak and shows the clean-up destroys it on the GUI thread first; the file is named to run
last in a whole-suite run, so its last test then does what the unlucky worker did, after every
Qt test before it (run after tests/test_backlog_ui.py it failed before the fix).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import qasync

from tests.conftest import destroy_qt_leftovers

TIMERS = "Timers cannot be stopped from another thread"


def collect_in_a_worker_thread() -> None:
    worker = threading.Thread(target=gc.collect, name="busy-worker")
    worker.start()
    worker.join()


def leak_a_closed_loop(qapp) -> weakref.ref[qasync.QEventLoop]:
    """A closed qasync loop with a timer still registered, reachable only through a cycle."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    async def quick() -> None:
        await asyncio.wait_for(asyncio.sleep(0), 30)  # leaves the 30 s timeout's timer behind

    loop.run_until_complete(quick())
    loop.close()
    asyncio.set_event_loop(None)
    cycle: list[object] = [loop]
    cycle.append(cycle)
    return weakref.ref(loop)


def test_the_cleanup_destroys_the_leak_on_the_gui_thread(qapp, qtlog):
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        leaked = leak_a_closed_loop(qapp)
        assert leaked() is not None  # reference counting alone does not free it
        destroy_qt_leftovers()
        assert leaked() is None  # collected here, on the GUI thread
        collect_in_a_worker_thread()
    finally:
        if was_enabled:
            gc.enable()
    assert not [r.message for r in qtlog.records if TIMERS in r.message]


def test_nothing_an_earlier_test_left_dies_in_a_worker_thread():
    # Not a Qt test itself (no qapp): garbage collection is on, as in the big-message test.
    assert gc.isenabled()
    collect_in_a_worker_thread()
    # pytest-qt fails this test on the Qt warning (qt_log_level_fail = WARNING).
