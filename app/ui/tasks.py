"""The one way the UI runs background work, and the one way it tells the user something.

`Background` runs blocking reads on a read thread and writes on the client's single DB writer
thread (`app.core.worker.DbWorker`), and hands results back as awaitables on the qasync loop
(the UI thread). `spawn` starts a coroutine as a task that is kept alive and whose failure is
reported through the `Messages` bridge instead of vanishing. `ChangeBus` broadcasts what an
operation changed (`app.core.changes.OpChanges`) once to every view. Widgets never touch
threads themselves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from app.core.changes import OpChanges

log = logging.getLogger("postfordeler.ui")
T = TypeVar("T")


class Messages(QObject):
    """Message bridge: anything may post; the main window shows (status bar / dialog)."""

    info = Signal(str)
    error = Signal(str, str)  # text, detail

    def show_info(self, text: str) -> None:
        self.info.emit(text)

    def show_error(self, text: str, detail: str = "") -> None:
        self.error.emit(text, detail)


class ChangeBus(QObject):
    """The one "what changed" signal: operations publish their `OpChanges` once; each view
    connects to `changed` and decides how to refresh (rows, ids, counts, outbox counter)."""

    changed = Signal(object)  # OpChanges

    def publish(self, changes: OpChanges) -> None:
        if changes:
            self.changed.emit(changes)


class Background:
    """Read executor + writer (DbWorker-like: `submit(fn, *a) -> asyncio.Future`)."""

    def __init__(self, writer: Any | None = None) -> None:
        self._reads = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ui-read")
        # The selected item's load never waits behind the inbox's row fetches and counts that
        # the previous selection's writes set off: its own thread.
        self._selection = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ui-select")
        # Long background computations (ranking every new item) must never queue in front of
        # the inbox's reads: their own thread.
        self._background = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="ui-background"
        )
        self._own_writer = writer is None
        self._writes = (
            concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ui-write")
            if writer is None
            else None
        )
        self._writer = writer

    def read(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`fn(*args)` on the read thread, started now; also from a Qt slot called before the
        loop runs (its answer then arrives once it does)."""
        loop = current_loop()
        return asyncio.wrap_future(self._reads.submit(fn, *args), loop=loop)

    def select(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`read`, on the selection's own thread (the item a key press selected)."""
        return asyncio.wrap_future(self._selection.submit(fn, *args), loop=current_loop())

    def background(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        return asyncio.wrap_future(self._background.submit(fn, *args), loop=loop)

    def write(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if self._writer is not None:
            return self._writer.submit(fn, *args)
        loop = asyncio.get_running_loop()
        assert self._writes is not None
        return asyncio.wrap_future(self._writes.submit(fn, *args), loop=loop)

    def close(self) -> None:
        self._reads.shutdown(wait=True, cancel_futures=True)
        self._selection.shutdown(wait=True, cancel_futures=True)
        self._background.shutdown(wait=True, cancel_futures=True)
        if self._writes is not None:
            self._writes.shutdown(wait=True, cancel_futures=True)


_tasks: set[asyncio.Task[Any]] = set()


def current_loop() -> asyncio.AbstractEventLoop:
    """The running loop, else the thread's set loop (a Qt slot may run before qasync's loop)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


def spawn(
    coro: Coroutine[Any, Any, Any] | Awaitable[Any], what: str, messages: Messages | None = None
) -> asyncio.Task[Any]:
    """Run `coro` on the loop; keep a reference; log and report a failure (not cancellation)."""
    task = asyncio.ensure_future(coro)
    _tasks.add(task)

    def _done(t: asyncio.Task[Any]) -> None:
        _tasks.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            log.error("%s failed: %s", what, type(exc).__name__, exc_info=exc)
            if messages is not None:
                messages.show_error(what, str(exc))

    task.add_done_callback(_done)
    return task


async def cancel_all() -> None:
    pending = [t for t in _tasks if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
