"""Shared fixtures. Every test gets its own data dir and a test keyring backend; nothing
touches the user's real files or keyring. Qt runs offscreen.

Two suite-wide checks live here:

- **Unexpected log warnings fail the test** (as Qt warnings do through pytest-qt's
  `qt_log_level_fail`): a handler on the root logger records every WARNING+ record, from the
  `postfordeler` loggers and third-party ones alike, and the test errors in teardown. A test
  that expects a warning says so: `@pytest.mark.expect_log("postfordeler.sync", "quarantined")`
  (logger name or a parent of it, regex searched in the message, optional minimum level), the
  `expect_log` fixture (`expect_log("postfordeler.outbox", "retry")` inside the test), or
  `caplog.at_level(logging.WARNING, ...)` / `caplog.set_level(logging.WARNING, ...)` (records
  caplog captures at WARNING or above are the test's to check).
- **Qt objects die on the GUI thread** (see `pytest_runtest_protocol` below).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
# The test keyring: in memory, shared with subprocesses through a server (tests/keyring_backend.py),
# never a file and never the user's. Subprocesses find `tests` on the path.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
from tests.keyring_backend import BACKEND_ENV, NAME, KeyringServer, MemoryKeyring  # noqa: E402

os.environ[BACKEND_ENV] = NAME
_KEYRING_SERVER: KeyringServer | None = None
# beside the repository (/work/main), or two levels up for a worktree (/work/wt/<name>)
SHARED = next(
    (p / "shared" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared",
).resolve()
CORPUS = SHARED / "corpus"
MESSAGES = CORPUS / "messages"
SPEC_EXAMPLES = SHARED / "spec" / "memo" / "examples"


# --- unexpected log warnings fail the test ---------------------------------------------------


@dataclass(frozen=True)
class ExpectedLog:
    """A warning a test expects: `logger` (a logger name or a parent of it, "" for any) and
    `pattern` (regex searched in the formatted message), at `level` or above."""

    logger: str
    pattern: str = ""
    level: int = logging.WARNING

    def matches(self, record: logging.LogRecord) -> bool:
        name = record.name
        return (
            record.levelno >= self.level
            and (not self.logger or name == self.logger or name.startswith(self.logger + "."))
            and re.search(self.pattern, _message(record)) is not None
        )


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        return str(record.msg)


@dataclass
class LogExpectations:
    expected: list[ExpectedLog] = field(default_factory=list)
    caplog: pytest.LogCaptureFixture | None = None
    unexpected: list[logging.LogRecord] = field(default_factory=list)

    def expects(self, record: logging.LogRecord) -> bool:
        if any(e.matches(record) for e in self.expected):
            return True
        if self.caplog is not None:
            try:
                level = self.caplog.handler.level
            except Exception:  # outside a test phase caplog has no handler
                return False
            return logging.WARNING <= level <= record.levelno
        return False


class LogFailHandler(logging.Handler):
    """On the root logger for the whole session: collects WARNING+ records the running test
    does not expect (records between tests are ignored)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.current: LogExpectations | None = None
        self._lock_current = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_current:
            current = self.current
            if current is not None and not current.expects(record):
                current.unexpected.append(record)


_LOGFAIL = LogFailHandler()
_LOGS_KEY = pytest.StashKey[LogExpectations]()


def _keyring_server() -> KeyringServer:
    global _KEYRING_SERVER
    if _KEYRING_SERVER is None:
        _KEYRING_SERVER = KeyringServer()
        os.environ.update(_KEYRING_SERVER.env())
    return _KEYRING_SERVER


@pytest.fixture(autouse=True)
def _test_keyring() -> Iterator[MemoryKeyring]:
    """A fresh, empty in-memory keyring for every test (shared with its subprocesses)."""
    import keyring

    server = _keyring_server()
    server.values.clear()
    backend = MemoryKeyring(server.address)
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(backend)
    server.values.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "expect_log(logger, pattern='', level=logging.WARNING): this test may log a warning "
        "(or worse) from `logger` whose message matches `pattern` without failing",
    )
    logging.getLogger().addHandler(_LOGFAIL)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_LOGFAIL)


@pytest.fixture(autouse=True)
def _fail_on_unexpected_log_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    logs = LogExpectations()
    for mark in request.node.iter_markers("expect_log"):
        logs.expected.append(ExpectedLog(*mark.args, **mark.kwargs))
    if "caplog" in request.fixturenames:
        logs.caplog = request.getfixturevalue("caplog")
    request.node.stash[_LOGS_KEY] = logs
    _LOGFAIL.current = logs
    yield
    _LOGFAIL.current = None
    if logs.unexpected:
        lines = [
            f"{r.levelname} {r.name}: {_message(r)[:300]}"
            + (f" [{r.exc_info[0].__name__}]" if r.exc_info and r.exc_info[0] else "")
            for r in logs.unexpected
        ]
        pytest.fail(
            "unexpected log warnings (mark the test with @pytest.mark.expect_log(logger, "
            "pattern) if they are expected):\n  " + "\n  ".join(lines),
            pytrace=False,
        )


@pytest.fixture
def expect_log(request: pytest.FixtureRequest):
    """`expect_log(logger, pattern="", level=logging.WARNING)`: allow that warning from here on."""
    logs = request.node.stash[_LOGS_KEY]

    def allow(logger: str, pattern: str = "", level: int = logging.WARNING) -> None:
        logs.expected.append(ExpectedLog(logger, pattern, level))

    return allow


# --- Qt objects die on the GUI thread ----------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Qt objects die on the GUI thread.

    For a test that uses Qt (its fixtures include `qapp`): the cyclic garbage collector is off
    while it runs, so no worker thread of the test can trigger a collection that destroys a Qt
    object; after it, once pytest has dropped its fixture values (`item.funcargs`), the
    remaining parentless top-level widgets are deleted, deferred deletes delivered and garbage
    collected, all here on the GUI thread.

    Without this, Qt objects caught in reference cycles (a closed qasync loop's timer object
    with timers still registered, widgets held by closures) outlive the test and are destroyed
    by whichever thread next triggers a gc run, typically a worker thread of a later test:
    "QObject::~QObject: Timers cannot be stopped from another thread", or a crash.
    """
    uses_qt = "qapp" in getattr(item, "fixturenames", ())
    was_enabled = gc.isenabled()
    if uses_qt:
        gc.disable()
    try:
        return (yield)
    finally:
        if uses_qt:
            destroy_qt_leftovers()
            if was_enabled:
                gc.enable()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After a test that drove a qasync loop (the `loop` fixture), cancel the UI tasks it left
    pending while that loop runs, before pytest-qt processes events.

    pytest-qt calls QApplication.processEvents() after the call and around teardown. A qasync
    loop's callbacks are Qt timer events, so a task still pending then (a detail load, the
    access-log write) is stepped outside the running loop and dies with "no running event
    loop" (logged as an error), or touches widgets that are being closed."""
    try:
        return (yield)
    finally:
        loop = (getattr(item, "funcargs", None) or {}).get("loop")
        tasks = sys.modules.get("app.ui.tasks")
        if (
            tasks is not None
            and isinstance(loop, asyncio.AbstractEventLoop)
            and not loop.is_closed()
            and not loop.is_running()
        ):
            loop.run_until_complete(tasks.cancel_all())


def destroy_qt_leftovers() -> None:
    """Delete parentless top-level widgets, deliver deferred deletes and collect garbage, all
    on the calling (GUI) thread. A no-op until a QApplication exists."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    app = widgets.QApplication.instance()
    if app is None:
        return
    for widget in widgets.QApplication.topLevelWidgets():
        if widget.parent() is None:  # windows with a parent (popups, dialogs) go with it
            widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    from app import paths

    data = tmp_path / "data"
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    paths.set_data_dir(None)
    yield data
    paths.set_data_dir(None)


# --- PostgreSQL for tests marked `postgres` (team mode) -------------------------------------
_PG = None
PG_ENV = "POSTFORDELER_TEST_PG_URL"


def _xdist_controller(config: pytest.Config) -> bool:
    """True in the controller of a `pytest -n N` run: it runs no test; each worker starts
    its own PostgreSQL (tests drop and create tables: one server per worker)."""
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))


def pytest_sessionstart(session):
    global _PG
    if os.environ.get(PG_ENV) or os.environ.get("POSTFORDELER_NO_PG"):
        return
    if _xdist_controller(session.config):
        return
    from tests.pg_server import PgServer

    server = PgServer()
    if not server.available:
        return
    try:
        os.environ[PG_ENV] = server.start()
        _PG = server
    except Exception as exc:
        print(f"\nPostgreSQL test server could not start: {exc}")
        server.stop()


def pytest_sessionfinish(session, exitstatus):
    if _PG is not None:
        _PG.stop()
    if _KEYRING_SERVER is not None:
        _KEYRING_SERVER.close()


@pytest.fixture
def pg_url():
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            "no PostgreSQL server (install Debian 'postgresql' or set POSTFORDELER_TEST_PG_URL)"
        )
    return url
