"""Start every remote party on loopback: gateway, Postkomponent simulator, SF2900, DUBU directory.

`await start_sandbox(SandboxConfig(...))` runs, in the current asyncio loop:
- a generated test CA and certificates in `<data_dir>/tls` (app/sandbox/certs.py);
- the receiving gateway over HTTPS (EP_FS1 with mutual TLS, pinned to the simulator's client
  certificate) (app/gateway/server.py) on SQLite in the sandbox data dir, configured
  with the dataset's municipality CVR and contact points, and a demo user `DEMO_USER` with a
  fresh random secret (returned in `RunningSandbox.secret`, stored in the OS keyring as
  ("postfordeler", "gateway:<user>") when a backend is available), plus the demo users of
  `app/sandbox/demo_users.py` (a distributor per team, a caseworker, a team lead), each with a
  fresh random secret and the contact points it may see: the ready line's `"users"` lists
  `{"name", "role", "team", "secret", "contact_points"}` (`RunningSandbox.users`,
  `RunningSandbox.directory` is their `UserDirectory`);
- the SF2900 service (app/sandbox/sf2900_service.py), recording into `<data_dir>/sf2900`, on
  HTTPS only, SOAP with client certificates (`"sf2900"`; `"sf2900_tls"` names the same URL for
  older readers; `"sf2900_received"` is its inspection URL); it takes SF2900 as published only,
  checks DOKUMENT files on the SFTP server's root, verifies STS tokens and calls the gateway's
  FordelingskvitteringModtag (`"sf2900_callback"`) back with the "serviceplatformen" client
  certificate after `sf2900_callback_delay` seconds;
- the DUBU directory service (app/sandbox/dubu_service.py) over the dataset;
- Serviceplatformen's SFTP server and STS (app/sandbox/sftp_sts.py), files in `<data_dir>/sftp`
  and `<data_dir>/sts`; the ready line names them `"sftp"` and `"sts"`;
- the gateway delivers decisions (POST /decisions) as published: SFTP upload, SOAP to
  `"sf2900"` with the municipality's certificate and an STS token, and serves the callback
  FordelingskvitteringModtag pinned to the "serviceplatformen" certificate;
- once all three listen, the simulator pushes the message folder and/or N generated messages
  to the gateway's EP_FS1 (in a background task; `await running.pushed()` waits for it).

`SandboxThread` runs the same on its own loop in a daemon thread (the desktop app uses it: the
UI loop never runs the servers). Never logs message content, CPR numbers or the secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import ssl
import threading
import zipfile
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from app import paths
from app.core.services import DEMO_USER
from app.dubu.dataset import DubuDataset
from app.dubu.sf2900_delivery import Sf2900Settings
from app.dubu.sftp_upload import SftpConfig
from app.dubu.sts_client import StsConfig
from app.gateway.delivery import DeliverySettings
from app.gateway.oidc_auth import BearerAuth, OidcGatewayConfig
from app.gateway.receipts import CALLBACK_PATH
from app.gateway.server import (
    DEFAULT_RECEIPT_FOLLOW_UP,
    GatewayConfig,
    GatewayTls,
    RunningGateway,
    start_gateway,
)
from app.gateway.users import UserDirectory
from app.keyrings import secure_keyring
from app.oidc import GroupMapping
from app.resources import resource
from app.sandbox.certs import SandboxCertificates
from app.sandbox.demo_day import DemoClock, colleague_decisions
from app.sandbox.demo_users import demo_users
from app.sandbox.dubu_service import DubuDirectoryService
from app.sandbox.generator import MessageGenerator
from app.sandbox.oidc_provider import OidcUser, SandboxOidcProvider
from app.sandbox.sf2900_service import Sf2900Service
from app.sandbox.sftp_sts import SANDBOX_SFTP_USER, SftpAndSts, start_sftp_and_sts
from app.sandbox.simulator import PostkomponentSimulator, SimulatorStats, message_files
from app.sf1606.tls import pem_client_context, server_context

log = logging.getLogger("postfordeler.sandbox")

KEYRING_SERVICE = "postfordeler"


def default_messages_dir() -> Path:
    """The shipped sample letters: `resources/sandbox/messages`, or, in the installed build
    (which carries them as one `messages.zip`), that archive unpacked once into the data
    folder (`<data dir>/sandbox-messages/<archive digest>`)."""
    folder = resource("sandbox") / "messages"
    if folder.is_dir():
        return folder
    archive = resource("sandbox", "messages.zip")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = paths.data_dir() / "sandbox-messages" / digest
    if not (target / ".complete").exists():
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = Path(info.filename).name  # flat: no folders, nothing outside target
                if name.endswith(".xml") and name == info.filename:
                    (target / name).write_bytes(zf.read(info))
        (target / ".complete").touch()
    return target


def default_dubu_data() -> Path:
    return resource("sandbox", "dubu.json")


@dataclass
class SandboxConfig:
    messages_dir: Path | None = None  # None: the shipped corpus (resources/sandbox/messages)
    dubu_data: Path | None = None  # None: resources/sandbox/dubu.json
    generate: int = 0  # generated messages pushed after the folder
    rate: float | None = None  # messages per second (None: as fast as the gateway takes them)
    gateway_port: int = 0
    sf2900_port: int = 0
    dubu_port: int = 0
    sftp_port: int = 0
    sts_port: int = 0
    data_dir: Path | None = None  # None: paths.sub("sandbox")
    host: str = "127.0.0.1"
    push_messages: bool = True  # False: start the servers, push nothing from the folder
    # the desktop demo: receipt times over the last ten working days, some post already
    # decided by colleagues (app/sandbox/demo_day.py); False: every message arrives now
    demo_day: bool = False
    seed: int = 1
    user: str = DEMO_USER
    secret: str | None = None  # None: a fresh random secret
    store_in_keyring: bool = True
    demo_users: bool = True  # False: only `user`
    sf2900_faults: list[dict[str, Any]] = field(default_factory=list)
    sf2900_callback_delay: float = 0.0  # seconds before SF2900 calls the business receipt back
    # a `sendt` decision without a business receipt this long is flagged for follow-up
    receipt_follow_up: timedelta = DEFAULT_RECEIPT_FOLLOW_UP
    overdue_check_seconds: float = 300.0  # how often the gateway looks for overdue receipts
    dubu_faults: list[dict[str, Any]] = field(default_factory=list)
    # extra `DeliverySettings` fields for the gateway's delivery worker (tests shrink its
    # backoff and timeouts: initial_backoff, max_backoff, call_timeout, poll_seconds, ...)
    delivery_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunningSandbox:
    config: SandboxConfig
    dataset: DubuDataset
    gateway: RunningGateway
    sf2900: Sf2900Service
    dubu: DubuDirectoryService
    simulator: PostkomponentSimulator
    certificates: SandboxCertificates  # the test PKI in <data_dir>/tls (app/sandbox/certs.py)
    secret: str
    endpoints: dict[str, Any]
    data_dir: Path
    sftp_sts: SftpAndSts | None = None  # Serviceplatformen SFTP and STS (app/sandbox/sftp_sts.py)
    directory: UserDirectory = field(default_factory=UserDirectory)  # the demo users' roles
    users: list[dict[str, Any]] = field(default_factory=list)  # the ready line's "users"
    oidc: SandboxOidcProvider | None = (
        None  # the demo users sign in here (app/sandbox/oidc_provider.py)
    )
    _push_task: asyncio.Task[SimulatorStats] | None = None

    @property
    def user(self) -> str:
        return self.config.user

    @property
    def municipality_cvr(self) -> str:
        return self.dataset.municipality.cvr

    async def pushed(self) -> SimulatorStats:
        """Wait until the simulator delivered everything it was given; its stats."""
        if self._push_task is None:
            return self.simulator.stats
        return await asyncio.shield(self._push_task)

    async def stop(self) -> None:
        if self._push_task is not None and not self._push_task.done():
            self._push_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._push_task
        # The gateway first (its delivery worker is the busiest client of the others), then
        # SF2900 (its receipt callbacks), then what they call: nobody writes to a closed peer.
        for part in (self.gateway, self.sf2900, self.dubu, self.sftp_sts, self.oidc):
            if part is not None:
                with contextlib.suppress(Exception):
                    await part.stop()


def _store_secret(user: str, secret: str, data_dir: Path, use_keyring: bool) -> bool:
    """Store the demo secret in the OS keyring when one is available (True).

    Credentials never go to files: without a keyring the secret lives only in this process
    (`RunningSandbox.secret`, used by the in-process desktop app), and a separate
    `postfordeler sync` says plainly that it has no secret.
    """
    if not use_keyring:
        return False
    keyring = secure_keyring()  # never a plaintext or other file backend
    if keyring is None:
        log.info("no secure keyring for the sandbox secret")
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, f"gateway:{user}", secret)
        return True
    except Exception as exc:
        log.info("no keyring backend for the sandbox secret (%s)", type(exc).__name__)
        return False


def sandbox_users(
    config: SandboxConfig, dataset: DubuDataset, secret: str
) -> tuple[UserDirectory, list[dict[str, Any]]]:
    """The sandbox's users and the ready line's `users` entries (with their secrets): the
    configured `user` with `secret`, and (unless `demo_users` is off) the demo users, each with a
    fresh random secret. `contact_points` lists ids; a user seeing all lists every one."""
    every = sorted(cp.id for cp in dataset.contact_points)
    users = demo_users(dataset, config.user)
    if not config.demo_users:
        users = users[:1]
    entries = []
    for user in users:
        entries.append(
            {
                **user.to_dict(),
                "secret": secret if user.name == config.user else secrets.token_urlsafe(18),
                "contact_points": every
                if user.contact_points is None
                else sorted(user.contact_points),
            }
        )
    return UserDirectory(users), entries


OIDC_GROUP_PREFIX = "postfordeler-"


async def start_sandbox_oidc(
    entries: list[dict[str, Any]], certs: SandboxCertificates, host: str
) -> SandboxOidcProvider:
    """The sandbox's OIDC provider on loopback HTTPS (the test CA): each demo user signs in with
    their name and ready-line secret; their group is `postfordeler-<role>`."""
    users = {
        str(e["name"]): OidcUser(
            str(e["name"]), str(e["secret"]), (f"{OIDC_GROUP_PREFIX}{e.get('role', 'caseworker')}",)
        )
        for e in entries
    }
    provider = SandboxOidcProvider(users)
    await provider.start(host, ssl_context=server_context(certs.server.cert, certs.server.key))
    return provider


def oidc_bearer_for(
    provider: SandboxOidcProvider, entries: list[dict[str, Any]], certs: SandboxCertificates
) -> BearerAuth:
    roles = {str(e.get("role", "caseworker")) for e in entries}
    config = OidcGatewayConfig(
        provider.issuer,
        provider.client_id,
        groups={f"{OIDC_GROUP_PREFIX}{r}": GroupMapping(r) for r in roles},
    )
    return BearerAuth(config, verify=ssl.create_default_context(cafile=str(certs.ca)))


def gateway_tls(certs: SandboxCertificates) -> GatewayTls:
    """HTTPS with the sandbox CA; EP_FS1 pinned to the Postkomponent simulator's certificate."""
    return GatewayTls(
        cert_file=certs.server.cert,
        key_file=certs.server.key,
        client_ca=certs.ca,
        pins=(certs.postkomponent.pin,),
        callback_pins=(certs.serviceplatformen.pin,),
    )


def published_sf2900_settings(
    sf2900: Sf2900Service, sftp_sts: SftpAndSts, certs: SandboxCertificates, cvr: str
) -> Sf2900Settings:
    """SF2900 as published for the sandbox's gateway: the HTTPS SF2900 endpoint with the
    municipality's (test FOCES) certificate, a SAML token from the sandbox STS, the sandbox
    SFTP server with its key and pinned host key."""
    ep = sftp_sts.endpoints
    return Sf2900Settings(
        service_url=sf2900.service_url,
        municipality_cvr=cvr,
        sftp=SftpConfig(
            host=sftp_sts.sftp.host,
            port=sftp_sts.sftp.port,
            username=ep["sftp_user"],
            private_key=Path(ep["sftp_key"]),
            known_hosts=Path(ep["sftp_known_hosts"]),
        ),
        auth="sts",
        sts=StsConfig(
            url=ep["sts"], signing_certificate=certs.sts_signing.cert.read_bytes(), cvr=cvr
        ),
        ca_file=certs.ca,
        client_cert=certs.municipality.cert,
        client_key=certs.municipality.key,
    )


def _messages(config: SandboxConfig, dataset: DubuDataset) -> list[Path | bytes]:
    items: list[Path | bytes] = []
    if config.push_messages:
        folder = Path(config.messages_dir) if config.messages_dir else default_messages_dir()
        items.extend(message_files(folder))
    if config.generate > 0:
        gen = MessageGenerator(dataset, seed=config.seed)
        items.extend(m.xml for m in gen.generate(config.generate))
    return items


async def start_sandbox(config: SandboxConfig) -> RunningSandbox:
    """Start the sandbox in the current loop; returns once every server listens."""
    data_dir = Path(config.data_dir) if config.data_dir else paths.sub("sandbox")
    data_dir.mkdir(parents=True, exist_ok=True)
    dataset = await asyncio.to_thread(DubuDataset.load, config.dubu_data or default_dubu_data())
    cvr = dataset.municipality.cvr
    secret = config.secret or secrets.token_urlsafe(24)
    in_keyring = await asyncio.to_thread(
        _store_secret, config.user, secret, data_dir, config.store_in_keyring
    )

    certs = await asyncio.to_thread(
        SandboxCertificates.ensure, data_dir / "tls", municipality_cvr=cvr
    )
    directory, user_entries = sandbox_users(config, dataset, secret)
    clock = DemoClock(seed=config.seed) if config.demo_day else None
    gateway = await start_gateway(
        GatewayConfig(
            received_clock=clock,
            db_url=f"sqlite:///{data_dir / 'gateway.sqlite3'}",
            host=config.host,
            port=config.gateway_port,
            municipality_cvr=cvr,
            contact_points=tuple(c.id for c in dataset.contact_points),
            users={u["name"]: u["secret"] for u in user_entries},
            sandbox=True,
            tls=gateway_tls(certs),
            receipt_callback=True,  # FordelingskvitteringModtag, pinned to Serviceplatformen
            receipt_follow_up=config.receipt_follow_up,
            overdue_check_seconds=config.overdue_check_seconds,
        )
    )
    gateway.set_directory(directory)  # the demo users' contact points and roles
    oidc_provider = await start_sandbox_oidc(user_entries, certs, config.host)
    gateway.set_bearer(oidc_bearer_for(oidc_provider, user_entries, certs))
    sf2900 = dubu = sftp_sts = None
    try:
        sftp_sts = await start_sftp_and_sts(
            data_dir,
            cvr,
            host=config.host,
            sftp_port=config.sftp_port,
            sts_port=config.sts_port,
            certs=certs,
        )
        # SF2900 checks the files on the SFTP server's root, verifies STS tokens, and calls the
        # gateway's FordelingskvitteringModtag back with Serviceplatformen's client certificate.
        sf2900 = Sf2900Service(
            data_dir=data_dir / "sf2900",
            municipality_cvr=cvr,
            faults=config.sf2900_faults,
            seed=config.seed,
            sftp_root=sftp_sts.sftp.root,
            sftp_user=SANDBOX_SFTP_USER,
            sts_signing_cert=certs.sts_signing.cert.read_bytes(),
            callback_url=f"{gateway.base_url}{CALLBACK_PATH}",
            callback_ssl_context=pem_client_context(
                certs.serviceplatformen.cert, certs.serviceplatformen.key, certs.ca
            ),
            callback_delay=config.sf2900_callback_delay,
        )
        await sf2900.start(
            config.host,
            config.sf2900_port,
            ssl_context=server_context(certs.server.cert, certs.server.key, certs.ca),
        )
        dubu = DubuDirectoryService(dataset, faults=config.dubu_faults, seed=config.seed)
        await dubu.start(config.host, config.dubu_port)
        # the gateway delivers decisions (POST /decisions) by SFTP + SF2900, cases from DUBU
        gateway.start_delivery(
            DeliverySettings(
                sf2900=published_sf2900_settings(sf2900, sftp_sts, certs, cvr),
                dubu_url=str(dubu.base_url),
                **{"node_id": "sandbox", "poll_seconds": 0.5, **config.delivery_options},
            )
        )
    except BaseException:
        for part in (sftp_sts, dubu, sf2900, gateway):
            if part is not None:
                with contextlib.suppress(Exception):
                    await part.stop()
        raise

    items = await asyncio.to_thread(_messages, config, dataset)
    simulator = PostkomponentSimulator(
        gateway.postmodtag_url,
        rate=config.rate,
        seed=config.seed,
        ssl_context=pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca),
    )
    endpoints: dict[str, Any] = {
        "ready": True,
        "gateway": gateway.base_url,
        "mailbox": gateway.mailbox_url,
        "mailbox_wsdl": gateway.mailbox_wsdl_url,
        "postmodtag": gateway.postmodtag_url,
        "tls_ca": str(certs.ca),
        "postkomponent_cert": str(certs.postkomponent.cert),
        "postkomponent_key": str(certs.postkomponent.key),
        "municipality_cert": str(certs.municipality.cert),
        "municipality_key": str(certs.municipality.key),
        "gateway_health": f"{gateway.base_url}/health",
        "gateway_faults": f"{gateway.base_url}/_sandbox/faults",
        "sf2900": sf2900.service_url,  # HTTPS, client certificate: SF2900 as published
        "sf2900_tls": sf2900.service_url,  # the same (an earlier name)
        "sf2900_wsdl": sf2900.wsdl_url,
        "sf2900_received": sf2900.received_url,
        "sf2900_faults": sf2900.faults_url,
        "sf2900_callback": f"{gateway.base_url}{CALLBACK_PATH}",
        "sf2900_settings": f"{sf2900.base_url}/sf2900/settings",
        "serviceplatformen_cert": str(certs.serviceplatformen.cert),
        "dubu": dubu.base_url,
        **sftp_sts.endpoints,
        "user": config.user,
        "secret_in_keyring": in_keyring,
        "users": user_entries,
        "oidc": {"issuer": oidc_provider.issuer, "client_id": oidc_provider.client_id},
        "municipality_cvr": cvr,
        "municipality": dataset.municipality.name,
        "messages": len(items),
        "data_dir": str(data_dir),
    }
    running = RunningSandbox(
        config=config,
        dataset=dataset,
        gateway=gateway,
        sf2900=sf2900,
        dubu=dubu,
        simulator=simulator,
        certificates=certs,
        secret=secret,
        endpoints=endpoints,
        data_dir=data_dir,
        sftp_sts=sftp_sts,
        directory=directory,
        users=user_entries,
        oidc=oidc_provider,
    )
    if items:
        push = simulator.push(items)
        if clock is not None:
            clock.plan(len(items))
            colleagues = [u["name"] for u in user_entries if u["name"] != config.user]
            push = _push_then_decide(running, push, colleagues)
        running._push_task = asyncio.create_task(push, name="sandbox-simulator")
        running._push_task.add_done_callback(_log_push)
    log.info("sandbox ready: %d messages to push", len(items))
    return running


async def _push_then_decide(
    running: RunningSandbox, push: Awaitable[SimulatorStats], colleagues: list[str]
) -> SimulatorStats:
    """The demo day: the push, then colleagues' decisions on part of the older post."""
    stats = await push
    await asyncio.to_thread(
        colleague_decisions,
        running.gateway.store,
        running.dataset,
        colleagues,
        seed=running.config.seed,
    )
    if running.gateway.delivery is not None:
        running.gateway.delivery.wake()
    return stats


def _log_push(task: asyncio.Task[SimulatorStats]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("sandbox simulator failed: %s", type(exc).__name__)
    else:
        log.info("sandbox simulator done: %s", task.result().to_json())


class SandboxThread:
    """The sandbox on its own asyncio loop in a daemon thread.

    `start()` blocks until every server listens and returns the endpoints dict; `stop()` shuts
    everything down and joins the thread. Safe to call `stop()` twice.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.running: RunningSandbox | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    @property
    def endpoints(self) -> dict[str, Any]:
        if self.running is None:
            raise RuntimeError("sandbox not started")
        return self.running.endpoints

    @property
    def secret(self) -> str:
        if self.running is None:
            raise RuntimeError("sandbox not started")
        return self.running.secret

    def start(self, timeout: float = 60.0) -> dict[str, Any]:
        if self._thread is not None:
            return self.endpoints
        self._thread = threading.Thread(target=self._main, name="postfordeler-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("sandbox did not start in time")
        if self._error is not None:
            raise RuntimeError(f"sandbox failed to start: {self._error}") from self._error
        return self.endpoints

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            self.running = await start_sandbox(self.config)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.running.stop()

    def wait_pushed(self, timeout: float = 120.0) -> SimulatorStats:
        """Block until the simulator finished (from any thread but the sandbox's own)."""
        if self._loop is None or self.running is None:
            raise RuntimeError("sandbox not started")
        fut = asyncio.run_coroutine_threadsafe(self.running.pushed(), self._loop)
        return fut.result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is None or self._loop is None:
            return
        if self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None
