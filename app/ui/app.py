"""Desktop app start-up: QApplication + qasync loop, the sandbox or real endpoints, the client
services (cache, sync, outbox) and the main window.

With no settings the demo sandbox runs in its own thread with its own asyncio loop (the UI
loop never runs servers) and the window title says "Demo (sandkasse)". Sync and the outbox run
as tasks on the qasync loop (network I/O is async); SQLite work goes to C's DB worker thread.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from app.ui import diagnostics
from app.ui.settings import Settings

log = logging.getLogger("postfordeler.ui.app")

# KLE main groups asked for receiving systems when forwarding (FordelingsmodtagerList).
FORWARD_KLE = (
    "00.00.00",
    "02.00.00",
    "09.00.00",
    "15.00.00",
    "17.00.00",
    "23.00.00",
    "25.00.00",
    "28.00.00",
    "29.00.00",
    "32.00.00",
)
OWN_KLE_PREFIX = "27."


class CoreEvents(QObject):
    """Callbacks from the Qt-free core, as Qt signals (the main window subscribes)."""

    syncStatus = Signal(str, str)  # state, message
    itemsArrived = Signal(int)  # new items in the last sync
    outboxChanged = Signal(dict)  # outbox counts
    outboxStatus = Signal(str, str)  # delivery to SF2900/DUBU: state, message

    def on_sync_status(self, status: Any) -> None:
        self.syncStatus.emit(str(status.state), status.message)

    def on_sync_result(self, result: Any) -> None:
        self.itemsArrived.emit(int(result.new))

    def on_outbox_change(self, counts: dict[str, int]) -> None:
        self.outboxChanged.emit(dict(counts))

    def on_outbox_status(self, status: Any) -> None:
        self.outboxStatus.emit(str(status.state), status.message)


@dataclass
class Runtime:
    """Everything the running client holds, so it can be closed in one place."""

    settings: Settings
    events: CoreEvents
    sandbox: Any | None = None
    services: Any | None = None
    backend: Any | None = None
    window: Any | None = None
    background: Any | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def demo(self) -> bool:
        return self.sandbox is not None

    async def close(self) -> None:
        from app.ui.tasks import cancel_all

        await cancel_all()
        if self.services is not None:
            await self.services.close()
        if self.background is not None:
            self.background.close()
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.stop)


def sf2900_client_tls(settings: Settings) -> Any:
    """The SF2900 client TLS context from the configured PKCS#12 file; its passphrase comes from
    the keyring entry the settings dialog writes (`postfordeler` / `certificate:{path}`).
    Raises `ClientCertificateError` (Danish text). Blocking: call off the UI thread."""
    from app.core.tls import client_ssl_context
    from app.ui.settings import KEYRING_SERVICE

    path = settings.certificate_path.strip()
    passphrase: str | None = None
    try:
        import keyring

        passphrase = keyring.get_password(KEYRING_SERVICE, f"certificate:{path}")
    except Exception as exc:
        log.warning("certificate passphrase not readable from the keyring: %s", type(exc).__name__)
    return client_ssl_context(Path(path), passphrase)


async def start_runtime(
    settings: Settings, *, sandbox_config: Any | None = None, sync_interval: float = 15.0
) -> Runtime:
    """Start the sandbox (if not configured) and the client services on the running loop."""
    from app.core.services import ClientServices
    from app.dubu.dataset import DubuDataset
    from app.ui.backend import UiBackend
    from app.ui.suggestions import Suggester
    from app.ui.tasks import Background

    events = CoreEvents()
    runtime = Runtime(settings, events)
    secret: str | None = None
    dubu_data = Path(settings.dubu_data) if settings.dubu_data else None
    sf2900_ssl = None
    if settings.configured:
        endpoints: dict[str, Any] = settings.endpoints()
        if settings.certificate_path.strip() and endpoints.get("sf2900"):
            sf2900_ssl = await asyncio.to_thread(sf2900_client_tls, settings)
    else:
        from app.sandbox.runner import SandboxConfig, SandboxThread, default_dubu_data

        config = sandbox_config or SandboxConfig()
        runtime.sandbox = SandboxThread(config)
        endpoints = await asyncio.to_thread(runtime.sandbox.start)
        secret = runtime.sandbox.secret
        dubu_data = Path(config.dubu_data) if config.dubu_data else default_dubu_data()
        log.info("demo sandbox running (gateway %s)", endpoints.get("gateway"))
    runtime.services = services = await ClientServices.create(
        endpoints,
        secret=secret,
        sync_interval=sync_interval,
        on_sync_status=events.on_sync_status,
        on_sync_result=events.on_sync_result,
        on_outbox_change=events.on_outbox_change,
        on_outbox_status=events.on_outbox_status,
        sf2900_ssl=sf2900_ssl,
    )
    suggester = None
    if dubu_data is not None and dubu_data.exists():
        dataset = await asyncio.to_thread(DubuDataset.load, dubu_data)
        suggester = await asyncio.to_thread(Suggester, dataset)
    runtime.background = Background(writer=services.worker)

    async def receivers() -> list[tuple[str, str]]:
        if services.sf2900 is None:
            return []
        found: dict[str, tuple[str, str]] = {}
        results = await asyncio.gather(
            *(services.sf2900.receivers(k) for k in FORWARD_KLE), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                continue
            for r in result:
                if not r.kle.startswith(OWN_KLE_PREFIX):
                    found.setdefault(r.system_uuid, (r.system_uuid, r.name))
        return sorted(found.values(), key=lambda x: x[1])

    runtime.backend = UiBackend(
        cache=services.cache,
        background=runtime.background,
        suggester=suggester,
        user=services.user,
        receivers=receivers,
        wake_outbox=services.outbox.trigger if services.outbox is not None else None,
        claim=services.claim if services.mailbox is not None else None,
    )
    return runtime


def backlog_service(backend: Any) -> Any:
    """The team lead's backlog and the caseworker list, over the same cache and threads."""
    from app.ui.backlog_service import BacklogService

    return BacklogService(backend.cache.db, backend.bg, directory_caseworkers=backend.caseworkers)


def connect_window(runtime: Runtime, window: Any) -> None:
    """Wire core events to the window (a sync or an outbox move becomes one `OpChanges` on the
    window's change bus); start sync + outbox."""
    from app.core import changes
    from app.ui.tasks import spawn

    events = runtime.events
    events.syncStatus.connect(window.set_connection_state)
    events.outboxStatus.connect(window.set_delivery_state)
    events.itemsArrived.connect(lambda n: window.changes.publish(changes.synced(n)))
    events.itemsArrived.connect(lambda _n: start_suggesting(runtime, window))
    events.outboxChanged.connect(lambda _counts: window.changes.publish(changes.outbox_moved()))
    services = runtime.services
    if services.syncer is not None:
        window.sync_requested = services.syncer.trigger
    services.start()
    start_suggesting(runtime, window)
    if runtime.sandbox is not None and services.syncer is not None:

        async def sync_when_pushed() -> None:  # demo: show the whole corpus quickly
            await asyncio.to_thread(runtime.sandbox.wait_pushed)
            services.syncer.trigger()

        spawn(sync_when_pushed(), "sandbox push")


def start_suggesting(runtime: Runtime, window: Any) -> None:
    """(Re)start the background suggestion filler unless it is already running."""
    from app.ui.tasks import spawn

    task = runtime.extra.get("suggest_task")
    if task is not None and not task.done():
        runtime.extra["suggest_again"] = True
        return

    async def run() -> None:
        while True:
            runtime.extra["suggest_again"] = False
            await runtime.backend.suggest_pending(window.changes.publish)
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


def main(args: Any) -> int:
    """`postfordeler` with no command: run the desktop app until the window closes."""
    import qasync

    from app.ui import i18n, theme
    from app.ui import settings as settings_mod
    from app.ui.main_window import MainWindow
    from app.ui.tasks import Messages

    diagnostics.route_qt_messages()
    app = create_application()
    diagnostics.install_excepthook()
    store = settings_mod.qsettings()
    settings = settings_mod.load(store)
    if getattr(args, "lang", None):
        settings.language = args.lang
    i18n.install(app, settings.language)
    theme.apply(app, settings.dark)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)  # close the services on a running loop first
    app.lastWindowClosed.connect(closed.set)

    ephemeral = False
    if not settings.configured:
        from app.core.session_keyring import os_keyring_available, use_session_keyring

        if not os_keyring_available():
            # Demo only: synthetic data, a throw-away data dir and an in-process keyring.
            import tempfile

            from app import paths

            use_session_keyring()
            paths.set_data_dir(tempfile.mkdtemp(prefix="postfordeler-demo-"))
            ephemeral = True

    async def run() -> int:
        from app.core.audit import AuditError
        from app.core.tls import ClientCertificateError
        from app.models.crypto import CacheKeyUnavailable

        try:
            runtime = await start_runtime(settings)
        except (CacheKeyUnavailable, AuditError, ClientCertificateError) as exc:
            # No keyring for real data: say so plainly, never fall back to plain files.
            title = app.translate("app", "Postfordeler kan ikke starte")
            if headless():
                print(f"{title}: {exc}", file=sys.stderr)
            else:
                from PySide6.QtWidgets import QMessageBox

                QMessageBox.critical(None, title, str(exc))
            return 3
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
        freeze_startup_objects()
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
        return 0

    try:
        with loop:
            return loop.run_until_complete(run())
    finally:
        if ephemeral:  # the demo's throw-away folder goes with the process
            import shutil

            from app import paths

            shutil.rmtree(paths.data_dir(), ignore_errors=True)


def headless() -> bool:
    return os.environ.get("QT_QPA_PLATFORM") == "offscreen"
