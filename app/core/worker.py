"""One dedicated database writer thread for the client.

Async code (sync, outbox, the UI's qasync loop) hands every blocking SQLite call to
`DbWorker.submit(fn, *args)` and awaits the returned `asyncio.Future`; the event loop never
blocks on the disk, and because there is exactly one thread, writes are serialised in the order
they were submitted (an ingest of page N+1 can never overtake page N).

Qt-free: plain asyncio + concurrent.futures. It must never run network I/O (that belongs on the
event loop) and never swallow an exception (it is set on the future).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import ParamSpec, Self, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


class DbWorker:
    """A single-thread executor with an asyncio face."""

    def __init__(self, name: str = "postfordeler-db") -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name
        )
        self._thread_ident: int | None = None
        self._closed = False
        # Learn the worker's thread id so `in_worker()` can detect re-entrant calls.
        self._executor.submit(self._remember_thread).result()

    def _remember_thread(self) -> None:
        self._thread_ident = threading.get_ident()

    def in_worker(self) -> bool:
        return threading.get_ident() == self._thread_ident

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[T]:
        """Run `fn(*args, **kwargs)` on the writer thread; await the result on the current loop."""
        if self._closed:
            raise RuntimeError("DbWorker is closed")
        loop = asyncio.get_running_loop()
        cfut = self._executor.submit(fn, *args, **kwargs)
        return asyncio.wrap_future(cfut, loop=loop)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Blocking variant for non-async callers (CLI set-up, tests). Runs inline if re-entrant."""
        if self.in_worker():
            return fn(*args, **kwargs)
        return self._executor.submit(fn, *args, **kwargs).result()

    def close(self, wait: bool = True) -> None:
        self._closed = True
        self._executor.shutdown(wait=wait)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
