"""Desktop app start-up: QApplication + qasync loop, the sandbox or real endpoints, the client
services (cache, sync, outbox) and the main window.

With no settings the demo sandbox runs in its own thread with its own asyncio loop (the UI
loop never runs servers) and the window title says "Demo (sandkasse)". The sandbox is handed in
(`app.ui.cli.demo_sandbox`), so a configured client never loads its servers. Sync and the outbox run
as tasks on the qasync loop (network I/O is async); SQLite work goes to the client's DB worker
thread (`app.core.worker.DbWorker`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from app import paths
from app.core import changes
from app.core.audit import AuditError
from app.core.services import ClientServices
from app.core.session_keyring import os_keyring_available, use_session_keyring
from app.dubu.dataset import DubuDataset
from app.models.crypto import CacheKeyUnavailable
from app.resources import resource
from app.ui import cache_notice, diagnostics, i18n, theme
from app.ui import settings as settings_mod
from app.ui.backend import UiBackend
from app.ui.backlog_service import BacklogService
from app.ui.gc_guard import GuiGarbageCollector
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.suggestions import Suggester
from app.ui.tasks import Background, Messages, cancel_all, spawn

if TYPE_CHECKING:
    from app.sandbox.runner import SandboxThread

log = logging.getLogger("postfordeler.ui.app")


class CoreEvents(QObject):
    """Callbacks from the Qt-free core, as Qt signals (the main window subscribes)."""

    syncStatus = Signal(str, str)  # state, message
    itemsArrived = Signal(int)  # new items in the last sync
    synced = Signal(int, int)  # new items, cached items with a changed delivery state
    outboxChanged = Signal(dict)  # outbox counts
    outboxStatus = Signal(str, str)  # delivery to the gateway: state, message

    def on_sync_status(self, status: Any) -> None:
        self.syncStatus.emit(str(status.state), status.message)

    def on_sync_result(self, result: Any) -> None:
        if result.new:
            self.itemsArrived.emit(int(result.new))
        self.synced.emit(int(result.new), int(getattr(result, "changed", 0)))

    def on_outbox_change(self, counts: dict[str, int]) -> None:
        self.outboxChanged.emit(dict(counts))

    def on_outbox_status(self, status: Any) -> None:
        self.outboxStatus.emit(str(status.state), status.message)


@dataclass
class Runtime:
    """Everything the running client holds, so it can be closed in one place."""

    settings: Settings
    events: CoreEvents
    sandbox: SandboxThread | None = None
    services: ClientServices | None = None
    backend: UiBackend | None = None
    window: MainWindow | None = None
    background: Background | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def demo(self) -> bool:
        return self.sandbox is not None

    async def close(self) -> None:
        await cancel_all()
        if self.services is not None:
            await self.services.close()
        if self.background is not None:
            self.background.close()
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.stop)


async def start_runtime(
    settings: Settings, *, sandbox: SandboxThread | None = None, sync_interval: float = 15.0
) -> Runtime:
    """Start the client services on the running loop, against the configured endpoints or,
    when the settings name none, against `sandbox` (not started yet; the runtime owns it)."""
    events = CoreEvents()
    runtime = Runtime(settings, events)
    secret: str | None = None
    dubu_data = Path(settings.dubu_data) if settings.dubu_data else None
    if settings.configured:
        endpoints: dict[str, Any] = settings.endpoints()
    else:
        if sandbox is None:
            raise ValueError("no endpoints configured and no demo sandbox")
        runtime.sandbox = sandbox
        endpoints = await asyncio.to_thread(sandbox.start)
        secret = sandbox.secret
        config = sandbox.config
        dubu_data = Path(config.dubu_data) if config.dubu_data else resource("sandbox", "dubu.json")
        log.info("demo sandbox running (gateway %s)", endpoints.get("gateway"))
    runtime.services = services = await ClientServices.create(
        endpoints,
        secret=secret,
        sync_interval=sync_interval,
        on_sync_status=events.on_sync_status,
        on_sync_result=events.on_sync_result,
        on_outbox_change=events.on_outbox_change,
        on_outbox_status=events.on_outbox_status,
    )
    suggester = None
    if dubu_data is not None and dubu_data.exists():
        dataset = await asyncio.to_thread(DubuDataset.load, dubu_data)
        suggester = await asyncio.to_thread(Suggester, dataset)
    runtime.background = Background(writer=services.worker)
    runtime.backend = UiBackend(
        cache=services.cache,
        background=runtime.background,
        suggester=suggester,
        user=services.user,
        receivers=services.gateway.receivers if services.gateway is not None else None,
        wake_outbox=services.outbox.trigger if services.outbox is not None else None,
        claim=services.claim if services.mailbox is not None else None,
    )
    return runtime


def backlog_service(backend: UiBackend) -> BacklogService:
    """The team lead's backlog and the caseworker list, over the same cache and threads."""
    return BacklogService(backend.cache.db, backend.bg, directory_caseworkers=backend.caseworkers)


def connect_window(runtime: Runtime, window: MainWindow) -> None:
    """Wire core events to the window (a sync or an outbox move becomes one `OpChanges` on the
    window's change bus); start sync + outbox."""
    events = runtime.events
    events.syncStatus.connect(window.set_connection_state)
    events.outboxStatus.connect(window.set_delivery_state)
    events.synced.connect(lambda n, k: window.changes.publish(changes.synced(n, k)))
    events.itemsArrived.connect(lambda _n: start_suggesting(runtime, window))
    events.outboxChanged.connect(lambda _counts: window.changes.publish(changes.outbox_moved()))
    services = runtime.services
    assert services is not None, "start_runtime first"
    syncer = services.syncer
    if syncer is not None:
        window.sync_requested = syncer.trigger
    services.start()
    start_suggesting(runtime, window)
    sandbox = runtime.sandbox
    if sandbox is not None and syncer is not None:

        async def sync_when_pushed() -> None:  # demo: show the whole corpus quickly
            await asyncio.to_thread(sandbox.wait_pushed)
            syncer.trigger()

        spawn(sync_when_pushed(), "sandbox push")


def start_suggesting(runtime: Runtime, window: MainWindow) -> None:
    """(Re)start the background suggestion filler unless it is already running."""
    task = runtime.extra.get("suggest_task")
    if task is not None and not task.done():
        runtime.extra["suggest_again"] = True
        return

    backend = runtime.backend
    assert backend is not None, "start_runtime first"

    async def run() -> None:
        while True:
            runtime.extra["suggest_again"] = False
            await backend.suggest_pending(window.changes.publish)
            if not runtime.extra.get("suggest_again"):
                return

    runtime.extra["suggest_task"] = spawn(run(), "suggestions")


def freeze_startup_objects() -> None:
    """Move everything allocated at start-up (Qt wrappers, SQLAlchemy, zeep, the DUBU dataset)
    out of the cyclic GC's reach: a full collection over them took ~50 ms on the UI thread,
    which is a visible stall; later collections only walk objects made after this point."""
    gc.collect()
    gc.freeze()


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Postfordeler")
    app.setOrganizationName("Postfordeler")
    app.setApplicationDisplayName("Postfordeler")
    return app  # type: ignore[return-value]


def main(lang: str | None = None, demo_sandbox: Callable[[], SandboxThread] | None = None) -> int:
    """`postfordeler` with no command: run the desktop app until the window closes. `lang`:
    the UI language for this run instead of the settings' ("da", "en"); `demo_sandbox` makes
    the sandbox used when the settings name no endpoints."""
    diagnostics.route_qt_messages()
    app = create_application()
    diagnostics.install_excepthook()
    store = settings_mod.qsettings()
    settings = settings_mod.load(store)
    if lang:
        settings.language = lang
    i18n.install(app, settings.language)
    theme.apply(app, settings.dark)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)  # close the services on a running loop first
    app.lastWindowClosed.connect(closed.set)

    ephemeral = False
    if not settings.configured and not os_keyring_available():
        # Demo only: synthetic data, a throw-away data dir and an in-process keyring.
        use_session_keyring()
        paths.set_data_dir(tempfile.mkdtemp(prefix="postfordeler-demo-"))
        ephemeral = True

    async def run() -> int:
        try:
            demo = None if settings.configured or demo_sandbox is None else demo_sandbox()
            runtime = await start_runtime(settings, sandbox=demo)
        except (CacheKeyUnavailable, AuditError) as exc:
            # No keyring for real data: say so plainly, never fall back to plain files.
            title = app.translate("app", "Postfordeler kan ikke starte")
            if headless():
                print(f"{title}: {exc}", file=sys.stderr)
            else:
                QMessageBox.critical(None, title, str(exc))
            return 3
        assert runtime.backend is not None
        messages = Messages()
        window = MainWindow(
            runtime.backend,
            messages,
            demo=runtime.demo,
            settings=store,
            backlog=backlog_service(runtime.backend),
        )
        runtime.window = window
        window.apply_settings(settings)
        window.restore_state()
        connect_window(runtime, window)
        window.show()
        window.inbox.refresh()
        if runtime.services is not None and runtime.services.rebuild is not None:
            window.show_cache_notice(cache_notice.rebuilt_text(runtime.services.rebuild))
        freeze_startup_objects()
        collector = GuiGarbageCollector()
        collector.start()  # garbage (Qt objects among it) dies on the GUI thread only
        if runtime.demo and not settings.configured:
            window.show_first_run()
        if ephemeral:
            window.statusBar().showMessage(
                app.translate(
                    "app",
                    "Ingen nøglering på denne computer: demoen kører i en midlertidig mappe, "
                    "som glemmes når programmet lukkes.",
                ),
                0,
            )
        await closed.wait()
        await runtime.close()
        collector.stop()
        return 0

    try:
        with loop:
            return int(loop.run_until_complete(run()))
    finally:
        if ephemeral:  # the demo's throw-away folder goes with the process
            shutil.rmtree(paths.data_dir(), ignore_errors=True)


def headless() -> bool:
    return os.environ.get("QT_QPA_PLATFORM") == "offscreen"
