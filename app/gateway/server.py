"""The receiving gateway: SF1606 EP_FS1 PostModtag + the mailbox SOAP service, one aiohttp app.

`start_gateway(config)` runs it in the current asyncio loop. With `config.tls` it serves HTTPS:
EP_FS1 then requires mutual TLS (a client certificate from `tls.client_ca` whose subject and
SHA-256 fingerprint are pinned in `tls.pins`; any other peer is refused with HTTP 403 before its
body is read: a certificate from another CA already fails the handshake), the mailbox endpoints
take no client certificate (users authenticate in the SOAP header, the REST routes with HTTP
Basic, both with a nonce and a creation time; `app.gateway.login_guard` decides, on its own
bounded pool, with back-off, lockout and replay refusal). Slow peers are closed after a
deadline (`app.gateway.deadlines`).

Parsing, validation and all database work run in a thread pool, never on the loop; scrypt runs
on the login guard's own pool, so failed logins never slow EP_FS1 or signed-in work. A message is answered *accept* only after
its transaction committed. Never logs message content or CPR numbers (only UUIDs, sizes, codes).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import re
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from aiohttp import HttpVersion11, web
from aiohttp.typedefs import Handler

from app import __version__, paths
from app.dbhealth import is_damage
from app.dubu.sf2900_delivery import Sf2900Delivery
from app.gateway import authz, reassign, receipts, soap, team
from app.gateway.deadlines import (
    HEADER_LIMITS,
    read_chunks,
    slow_body_middleware,
    write_within,
)
from app.gateway.delivery import DeliverySettings, GatewayDelivery
from app.gateway.faults import FaultDecision, FaultPlan
from app.gateway.login_guard import LoginGuard, LoginPolicy, LoginRefused, Refusal
from app.gateway.policy import CODE_POLICY
from app.gateway.receivers import RECEIVERS_PATH, CachedReceivers, ReceiversUnavailable
from app.gateway.store import (
    NOT_VISIBLE_TEXT,
    BusinessReceiptLike,
    GatewayStore,
    ReceiptOutcome,
    StoreError,
    StoreHealth,
    StoreUnavailable,
    utcnow,
)
from app.gateway.users import ALL_CONTACT_POINTS, UsersFileError, make_user
from app.oidc import OidcError
from app.resources import resource
from app.sf1606 import postmodtag as pm
from app.sf1606.fresh_auth import CREATED_HEADER, NONCE_HEADER
from app.sf1606.memo import read_memo
from app.sf1606.model import MemoError, MemoMessage
from app.sf1606.stored import MessageFacts, facts_to_json, header_of
from app.sf1606.tls import CertPin, PeerCertificate, TlsConfigError, pin_allows, server_context
from app.sf1606.xmlsafe import xml_attr_escape
from app.version import MIN_CLIENT_VERSION, compatible

log = logging.getLogger("postfordeler.gateway")
_P = ParamSpec("_P")
_T = TypeVar("_T")

DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # just above Digital Post's 99.5 MB
_WRITE_SLICE = 1024 * 1024
SPOOL_FROM = 4 * 1024 * 1024  # request bodies above this are spooled to a file, not held in memory
MEMO_PATH = "/mailbox/items/{item_id}/memo"
DECISIONS_PATH = "/decisions"
STATUS_PATH = "/items/{message_uuid}/status"
MAX_DECISION_BYTES = 256 * 1024
MAX_TOKEN_USERS = 10_000  # users known by their OIDC token only, kept for role checks
DEFAULT_RECEIPT_FOLLOW_UP = timedelta(hours=48)
RECEIPT_PATH = "/sf2900/fordelingskvittering"
# Mounts the business-receipt callback (app.gateway.receipts.callback_routes) on the app; the
# gateway passes `apply`, which applies one receipt to the store off the event loop.
ApplyReceipt = Callable[[BusinessReceiptLike], Awaitable[ReceiptOutcome]]
ReceiptRoutes = Callable[[web.Application, ApplyReceipt], None]
# StoreError code -> HTTP status of the JSON routes
_JSON_STATUS = {
    "UGYLDIG": 400,
    "UKENDT": 404,
    "IKKE_RESERVERET": 409,
    "ALLEREDE_BEHANDLET": 409,
    "OPTAGET": 409,
    CODE_POLICY: 403,
    "LAGER_BESKADIGET": 503,
    "LAGER_UTILGAENGELIG": 503,
}
_XSD_NAMES = ("PostfordelerMailbox.xsd", "AuthorityContext_1.xsd", "ServiceplatformFault_1.xsd")


@dataclass(frozen=True)
class GatewayTls:
    """HTTPS for the gateway and mutual TLS for EP_FS1.

    `cert_file`/`key_file`: the server certificate and key (PEM; the key readable only by the
    service user). `client_ca`: the CA that issues Serviceplatformen's client certificate.
    `pins`: the client certificates allowed to deliver to EP_FS1 (several during a rollover)."""

    cert_file: Path
    key_file: Path
    client_ca: Path
    pins: tuple[CertPin, ...]
    # the client certificates allowed to call the SF2900 business-receipt callback
    # (FordelingskvitteringModtag at RECEIPT_PATH): Serviceplatformen's, pinned like EP_FS1
    callback_pins: tuple[CertPin, ...] = ()

    def context(self) -> ssl.SSLContext:
        if not self.pins:
            raise TlsConfigError(
                "EP_FS1 over TLS kræver mindst én pin for Serviceplatformens klientcertifikat"
            )
        return server_context(self.cert_file, self.key_file, self.client_ca)


@dataclass
class GatewayConfig:
    db_url: str | None = None  # default: paths.gateway_db_url() (SQLite under the data dir)
    # the key sealing the store at rest (the secret store's `store.key`); None: see
    # app.gateway.store.store_cipher ($CREDENTIALS_DIRECTORY, else generated in the data folder)
    store_key_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    municipality_cvr: str | None = None  # None: accept any AuthorityContext CVR
    contact_points: tuple[str, ...] = ()  # accepted contact point ids; empty = accept all
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    users: Mapping[str, str] = field(default_factory=dict)  # user -> secret or scrypt hash
    faults: FaultPlan | None = None
    sandbox: bool = False  # enables POST /_sandbox/faults
    # the demo sandbox only: each receipt's time (app.sandbox.demo_day.DemoClock); None: now
    received_clock: Callable[[], datetime] | None = None
    validate: bool = True  # XSD validation on receipt
    workers: int = 4
    max_page_items: int = 500
    max_page_bytes: int = soap.DEFAULT_PAGE_BYTES
    sqlite_synchronous: str = "FULL"
    spool_dir: Path | None = None  # default: {data dir}/gateway/spool
    spool_from: int = SPOOL_FROM
    tls: GatewayTls | None = None  # None: plain HTTP (loopback tests and development only)
    postmodtag_path: str = pm.PATH
    receipt_format: str = pm.RECEIPT_XML  # pm.RECEIPT_FORMATS
    # a `sendt` decision without a business receipt for this long is flagged for follow-up
    receipt_follow_up: timedelta = DEFAULT_RECEIPT_FOLLOW_UP
    overdue_check_seconds: float = 300.0  # how often flag_overdue runs
    delivery: DeliverySettings | None = None  # SF2900 configured: the delivery worker runs
    # logins: own bounded verification, back-off, lockout, replay window (app.gateway.login_guard)
    login: LoginPolicy = field(default_factory=LoginPolicy)
    # slow peers (app.gateway.deadlines): a request's headers must be complete this long after
    # the connection opened or the previous answer; each body chunk within body_timeout, and the
    # whole body at min_body_rate bytes/s after the first body_timeout seconds
    header_timeout: float = 15.0
    body_timeout: float = 30.0  # also: each slice of an answer must be taken within this
    min_body_rate: float = 256 * 1024
    # the SF2900 callback routes (e.g. app.gateway.receipts.callback_routes), mounted under
    # RECEIPT_PATH; with TLS only a peer pinned in tls.callback_pins reaches them
    receipt_routes: ReceiptRoutes | None = None
    # the address clients reach the gateway at (scheme://host[:port], e.g. behind a proxy): the
    # mailbox WSDL's soap:address; None: the address the gateway is bound to. Never taken
    # from a request (a Host header is the caller's text)
    public_url: str | None = None
    # EP_FS1 parses run on their own threads, apart from the store's and /health's: a slow or
    # hostile message can hold at most `parse_workers` threads, each for at most
    # `parse_timeout` s; a delivery that finds no free parse thread within `parse_wait` s is
    # answered "temporary" (503, the Postkomponent redelivers)
    parse_workers: int = 2
    parse_timeout: float = 120.0
    parse_wait: float = 30.0
    # True: serve SF2900's FordelingskvitteringModtag (app.gateway.receipts.callback_routes,
    # the published WSDL) at RECEIPT_PATH, applying each receipt to the store; with TLS only
    # a peer pinned in tls.callback_pins reaches it, and receipts more than 40 days after
    # the part was sent are refused
    receipt_callback: bool = False
    # how long GET /receivers keeps SF2900's list of receiving systems (seconds)
    receivers_ttl: float = 3600.0
    # the store's integrity check (GatewayStore.check_integrity): before serving (a damaged
    # store refuses to start) and then every integrity_check_seconds (0: only at start); while
    # the store is unhealthy EP_FS1 answers "temporary" and the mailbox refuses
    integrity_check_at_start: bool = True
    integrity_check_seconds: float = 3600.0


@dataclass
class RunningGateway:
    config: GatewayConfig
    store: GatewayStore
    base_url: str
    _runner: web.AppRunner
    _executor: ThreadPoolExecutor
    _app: web.Application
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    delivery: GatewayDelivery | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _parse_executor: ThreadPoolExecutor | None = None

    @property
    def postmodtag_url(self) -> str:
        return self.base_url + self.config.postmodtag_path

    @property
    def mailbox_url(self) -> str:
        return self.base_url + "/mailbox"

    @property
    def mailbox_wsdl_url(self) -> str:
        return self.base_url + "/mailbox?wsdl"

    @property
    def health_url(self) -> str:
        return self.base_url + "/health"

    @property
    def faults(self) -> FaultPlan | None:
        return self._app[_STATE].faults

    def set_faults(self, plan: FaultPlan | None) -> None:
        self._app[_STATE].faults = plan

    def set_bearer(self, bearer: Any) -> None:
        """Accept OIDC bearer tokens on the JSON routes (`app.gateway.oidc_auth.BearerAuth`)."""
        self._app[_STATE].bearer = bearer

    def set_can_see(self, can_see: Callable[[str, str | None], bool]) -> None:
        """Who may see (and decide on) which items: `can_see(user, contact_point_id)`; the
        mailbox (list, fetch, claims, outcomes, MeMo GET) and the decision routes follow it."""
        state = self._app[_STATE]
        state.can_see = can_see
        state.ctx.can_see = can_see

    def set_directory(self, directory: Any) -> None:
        """The users' directory (`app.gateway.users.UserDirectory`): who sees what (as
        `set_can_see`) and each user's role (administrators set the policy)."""
        state = self._app[_STATE]
        token_users = state.token_users

        def known(user: str) -> Any:
            return directory.get(user) or token_users.get(user)

        def can_see(user: str, contact_point_id: str | None) -> bool:
            if directory.get(user) is not None:
                return bool(directory.can_see(user, contact_point_id))
            found = token_users.get(user)
            return found is not None and bool(found.can_see(contact_point_id))

        def role_of(user: str) -> str | None:
            found = known(user)
            return "" if found is None else str(found.role)  # "": unknown, may do nothing

        def caseworker_of(user: str) -> str | None:
            if directory.get(user) is not None:
                return directory.caseworker_of(user)  # type: ignore[no-any-return]
            found = token_users.get(user)
            if found is None or found.role != "caseworker":
                return None
            return str(found.caseworker_id or found.name)

        self.set_can_see(can_see)
        state.role_of = role_of  # type: ignore[method-assign]
        state.ctx.role_of = role_of
        state.caseworker_of = caseworker_of  # type: ignore[method-assign]
        state.ctx.caseworker_of = caseworker_of

    def start_delivery(self, settings: DeliverySettings) -> GatewayDelivery:
        """Start the SF2900 delivery worker (done by `start_gateway` when `config.delivery` is
        set; the sandbox calls it once its SFTP and SF2900 stand-ins listen)."""
        if self.delivery is not None:
            raise RuntimeError("the delivery worker already runs")
        state = self._app[_STATE]
        worker, closers = settings.open(self.store, state.spool_dir, state.run)
        self.delivery = worker
        self._closers.extend(closers)
        state.wake = worker.wake
        if isinstance(worker.deliverer, Sf2900Delivery):  # SF2900 as published
            state.receivers = CachedReceivers(worker.deliverer, ttl=self.config.receivers_ttl)
        self._tasks.append(asyncio.create_task(worker.run_forever()))
        log.info("gateway delivery worker %s started", worker.node_id)
        return worker

    @property
    def receivers(self) -> CachedReceivers | None:
        """What GET /receivers serves (None until the delivery worker runs)."""
        return self._app[_STATE].receivers

    @property
    def decisions_url(self) -> str:
        return self.base_url + DECISIONS_PATH

    def status_url(self, message_uuid: str) -> str:
        return self.base_url + STATUS_PATH.format(message_uuid=message_uuid)

    async def add_user(self, user: str, secret: str) -> None:
        state = self._app[_STATE]
        await state.run(self.store.set_user, user, secret)
        state.guard.forget(user)

    @property
    def login_guard(self) -> LoginGuard:
        return self._app[_STATE].guard

    async def unlock(self, user: str, by: str = "gateway") -> bool:
        """Lift `user`'s lockout now (`postfordeler gateway unlock` does it from outside)."""
        return await self._app[_STATE].guard.unlock(user, by)

    def endpoints(self) -> dict[str, Any]:
        return {
            "ready": True,
            "gateway": self.base_url,
            "postmodtag": self.postmodtag_url,
            "mailbox": self.mailbox_url,
            "mailbox_wsdl": self.mailbox_wsdl_url,
            "health": self.health_url,
            "decisions": self.decisions_url,
        }

    async def stop(self) -> None:
        if self.delivery is not None:
            self.delivery.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for close in self._closers:
            with contextlib.suppress(Exception):
                await close()
        await self._runner.cleanup()
        await self._app[_STATE].guard.aclose()
        if self._parse_executor is not None:
            self._parse_executor.shutdown(wait=True, cancel_futures=True)
        self._executor.shutdown(wait=True, cancel_futures=False)
        self.store.close()


@dataclass
class _State:
    config: GatewayConfig
    store: GatewayStore
    ctx: soap.SoapContext
    executor: ThreadPoolExecutor
    faults: FaultPlan | None
    wsdl_template: str
    xsds: dict[str, bytes]
    spool_dir: Path
    guard: LoginGuard
    # may `user` see items of `contact_point_id`? (default: every authenticated user sees all)
    can_see: Callable[[str, str | None], bool] = field(default=lambda _user, _cp: True)
    wake: Callable[[], None] | None = None  # nudges the delivery worker after a new decision
    receivers: CachedReceivers | None = None  # GET /receivers (SF2900 configured)
    parse_executor: ThreadPoolExecutor | None = None  # EP_FS1 parses (see GatewayConfig)
    parse_slots: asyncio.Semaphore | None = None
    public_base: str | None = None  # scheme://host:port for addresses in documents we serve
    bearer: Any = None  # app.gateway.oidc_auth.BearerAuth when [oidc] is configured
    # users known only by their OIDC token (not in the users' directory): name -> GatewayUser
    # made from the token's groups; the directory wins for a name it knows
    token_users: dict[str, Any] = field(default_factory=dict)

    def role_of(self, user: str) -> str | None:  # replaced by RunningGateway.set_directory
        return None

    def caseworker_of(self, user: str) -> str | None:  # replaced by set_directory
        return None

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(fn, *args, **kwargs))


_STATE: web.AppKey[_State] = web.AppKey("state", _State)


# --------------------------------------------------------------------------- faults


async def _apply_fault(request: web.Request, state: _State, target: str) -> FaultDecision:
    plan = state.faults
    if plan is None:
        return FaultDecision()
    decision = plan.decide(target)
    if decision.slow_seconds:
        await asyncio.sleep(decision.slow_seconds)
    if decision.action == "drop":
        _drop(request)
    elif decision.action == "http_500":
        raise web.HTTPInternalServerError(text="Injiceret fejl (sandkasse)")
    return decision


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError  # aiohttp ends the handler quietly; the peer sees a reset


# --------------------------------------------------------------------------- EP_FS1 PostModtag


async def _spool_body(
    request: web.Request, limit: int, spool_dir: Path, spool_from: int
) -> bytes | Path | None:
    """The body: bytes when small, else a spool file (the caller deletes it); None as soon as it
    exceeds `limit`. A big body is never held in memory: chunks go straight to the file."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    total = 0
    fh = None
    path: Path | None = None
    try:
        async for chunk in _body(request):
            total += len(chunk)
            if total > limit:
                return None
            if fh is None and total > spool_from:
                path = spool_dir / f"{os.getpid()}-{uuid.uuid4().hex}.memo.part"
                fh = path.open("wb")
                for held in chunks:
                    fh.write(held)
                chunks.clear()
            if fh is not None:
                fh.write(chunk)  # page-cache write of <= 1 MB; not worth a thread hop
            else:
                chunks.append(chunk)
        if fh is None:
            return b"".join(chunks)
        fh.close()
        fh = None
        assert path is not None
        done, path = path, None
        return done
    finally:
        if fh is not None:
            fh.close()
        if path is not None:
            path.unlink(missing_ok=True)


def _clear_spool(spool_dir: Path) -> None:
    """Remove bodies left behind by killed processes (never answered, so the sender retries);
    files of a live gateway sharing the folder are left alone."""
    for leftover in spool_dir.glob("*.memo.part"):
        pid = leftover.name.partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _body(request: web.Request) -> AsyncIterator[bytes]:
    """The body's chunks under the slow-peer deadlines (BodyTooSlow → 408, closed)."""
    config = request.app[_STATE].config
    return read_chunks(
        request.content,
        chunk=1 << 20,
        timeout=config.body_timeout,
        min_rate=config.min_body_rate,
    )


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it exceeds `limit` (never buffers more than limit+chunk)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    total = 0
    async for chunk in _body(request):
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    data = b"".join(chunks)
    chunks.clear()
    return data


_Parsed = tuple[MemoMessage, str]


def _parse_received(
    state: _State, body: bytes | Path, transaction_id: str | None
) -> _Parsed | pm.Receipt:
    """The one parse of a delivered message (blocking; in the parse pool): (message, facts)
    or the reject receipt.

    Files are checked (strict base64, size, sha256) but their decoded bytes are not kept: the
    gateway stores the raw MeMo, so a 99 MB message costs about its parsed tree, not 3 copies.
    Whatever the bytes make go wrong here goes wrong again on a redelivery, so it is answered
    as a final reject, never "temporary" (only the deadline, memory and our own disk are)."""
    config = state.config
    try:
        # the one parse: it also locates each file's base64 text, so delivery never parses
        message = read_memo(
            body,
            max_bytes=config.max_message_bytes,
            validate=config.validate,
            keep_content=False,
            locate=True,
            timeout=config.parse_timeout,
        )
        return message, facts_to_json(MessageFacts(header_of(message)))
    except MemoError as exc:
        if exc.code in ("timeout", "io"):  # our deadline or our spool file: try again later
            log.warning("postmodtag: message not read (%s)", exc.code)
            return pm.reject(pm.CODE_TEMPORARY, _BUSY_TEXT, transaction_id=transaction_id)
        code = pm.CODE_TOO_LARGE if exc.code == "size" else exc.code
        return pm.reject(code, exc.reason, transaction_id=transaction_id)
    except MemoryError:
        return pm.reject(pm.CODE_TEMPORARY, _BUSY_TEXT, transaction_id=transaction_id)
    except Exception as exc:  # a reader bug on this input: final, the same bytes fail again
        log.error("postmodtag: message could not be read (%s)", type(exc).__name__)
        return pm.reject(
            pm.CODE_UNREADABLE,
            "Ugyldig MeMo: meddelelsen kan ikke læses",
            transaction_id=transaction_id,
        )


_BUSY_TEXT = "Midlertidig fejl i modtagersystemet"


async def _parse_in_pool(
    state: _State, body: bytes | Path, transaction_id: str | None
) -> _Parsed | pm.Receipt:
    """`_parse_received` on the parse pool, waiting at most `parse_wait` for a free thread.
    A slot is released when its parse ends, also when the caller has gone."""
    slots, executor = state.parse_slots, state.parse_executor
    assert slots is not None and executor is not None
    try:
        await asyncio.wait_for(slots.acquire(), state.config.parse_wait)
    except TimeoutError:
        log.warning("postmodtag: every parse thread busy for %.0f s", state.config.parse_wait)
        return pm.reject(pm.CODE_TEMPORARY, _BUSY_TEXT, transaction_id=transaction_id)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(executor, _parse_received, state, body, transaction_id)
    future.add_done_callback(lambda _f: slots.release())
    return await asyncio.shield(future)


def _receive(
    state: _State,
    parsed: _Parsed,
    body: bytes | Path,
    transaction_id: str | None,
    received_at: datetime,
) -> pm.Receipt:
    """Store a parsed message (blocking; in the store's pool). Returns the receipt to send."""
    config = state.config
    message, facts = parsed
    size = body.stat().st_size if isinstance(body, Path) else len(body)
    contact_point = message.contact_point_id
    if config.contact_points and contact_point not in config.contact_points:
        return pm.reject(
            pm.CODE_CONTACT_POINT,
            "Modtagersystemet modtager ikke post til dette kontaktpunkt",
            message_uuid=message.message_uuid,
            transaction_id=transaction_id,
        )
    refused = state.store.policy_version().policy.receive_refusal(contact_point, str(message.kind))
    if refused is not None:  # the municipality's policy: permanent, NOT_ALLOWED
        log.info(
            "postmodtag refused by policy: uuid=%s kind=%s", message.message_uuid, message.kind
        )
        return pm.reject(
            pm.CODE_POLICY,
            refused,
            message_uuid=message.message_uuid,
            transaction_id=transaction_id,
        )
    state.store.require_healthy()  # never accept into a store found damaged meanwhile
    result = state.store.insert_message(
        message_uuid=message.message_uuid,
        memo=body,
        kind=str(message.kind),
        memo_version=message.version,
        contact_point_id=contact_point,
        received_at=received_at,
        transaction_id=transaction_id,
        facts=facts,
    )
    log.info(
        "postmodtag %s%s item=%d uuid=%s bytes=%d",
        "duplicate" if result.duplicate else "accepted",
        "" if result.conflict_of is None else f" conflict-of={result.conflict_of}",
        result.item_id,
        message.message_uuid,
        size,
    )
    if result.conflict_of is not None and not result.duplicate:
        # the same messageUUID with other content: kept as its own item, flagged for the
        # distributors; the sender hears "accepted" (the content is safe with us, and a
        # retry could not change anything)
        log.warning(
            "postmodtag: messageUUID %s repeated with other content; kept as item %d",
            message.message_uuid,
            result.item_id,
        )
    return pm.accept(message.message_uuid, transaction_id, duplicate=result.duplicate)


def _receipt_response(request: web.Request, receipt: pm.Receipt) -> web.Response:
    body, content_type = receipt.render(request.app[_STATE].config.receipt_format)
    headers = {**pm.echo_headers(request.headers), **receipt.headers()}
    return web.Response(
        status=receipt.http_status,
        body=body,
        content_type=content_type,
        charset="utf-8",
        headers=headers,
    )


def _peer_allowed(request: web.Request) -> bool:
    """Without TLS everyone may deliver (plain HTTP is for loopback only); with TLS only a
    pinned client certificate (the handshake already verified its chain against client_ca)."""
    tls = request.app[_STATE].config.tls
    if tls is None:
        return True
    return peer_pinned(request, tls.pins, "postmodtag")


def peer_pinned(request: web.Request, pins: tuple[CertPin, ...], what: str) -> bool:
    """Does the TLS peer of `request` present a client certificate pinned in `pins`? Logs a
    refusal (fingerprint only) under `what`."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    try:
        peer = PeerCertificate.of_ssl_object(ssl_object)
    except ValueError:
        peer = None
    if pin_allows(pins, peer):
        return True
    if peer is None:
        log.warning("%s refused: no client certificate", what)
    else:
        log.warning("%s refused: client certificate not pinned (sha256=%s)", what, peer.sha256)
    return False


def _refused() -> web.HTTPForbidden:
    refused = web.HTTPForbidden(text="Klientcertifikatet er ikke godkendt til PostModtag")
    refused.force_close()
    return refused


async def _postmodtag_expect(request: web.Request) -> None:
    """`Expect: 100-continue`: refuse an unpinned peer before it sends the body."""
    if not _peer_allowed(request):
        raise _refused()
    expect = request.headers.get("Expect", "")
    if request.version == HttpVersion11:
        if expect.lower() != "100-continue":
            raise web.HTTPExpectationFailed(text="Ukendt Expect")
        writer = request.writer
        await writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        writer.output_size = 0  # the 100 is not part of the response proper


async def _postmodtag(request: web.Request) -> web.StreamResponse:
    state = request.app[_STATE]
    clock = state.config.received_clock
    received_at = clock() if clock is not None else utcnow()
    if not _peer_allowed(request):
        raise _refused()
    decision = await _apply_fault(request, state, "postmodtag")
    transaction_id = pm.checked_transaction_id(request.headers.get(pm.HEADER_TRANSACTION_ID))
    if (sick := _store_sick(state)) is not None:
        return _store_sick_receipt(request, sick, transaction_id)
    limit = state.config.max_message_bytes
    body = await _spool_body(request, limit, state.spool_dir, state.config.spool_from)
    if body is None:
        receipt = pm.reject(
            pm.CODE_TOO_LARGE,
            f"Meddelelsen er større end {limit} bytes",
            transaction_id=transaction_id,
        )
        resp = _receipt_response(request, receipt)
        resp.force_close()
        log.info("postmodtag refused: over %d bytes", limit)
        return resp
    try:
        parsed = await _parse_in_pool(state, body, transaction_id)
        if isinstance(parsed, pm.Receipt):
            receipt = parsed
        else:
            receipt = await state.run(_receive, state, parsed, body, transaction_id, received_at)
    except StoreUnavailable as exc:
        log.warning("postmodtag: store unavailable (%s): answered temporary", exc.code)
        receipt = pm.reject(pm.CODE_TEMPORARY, exc.text, transaction_id=transaction_id)
    except Exception:
        log.exception("postmodtag: storing failed")
        receipt = pm.reject(
            pm.CODE_TEMPORARY, "Midlertidig fejl i modtagersystemet", transaction_id=transaction_id
        )
    finally:
        if isinstance(body, Path):
            body.unlink(missing_ok=True)
    del body
    if decision.action == "drop_after_store" and receipt.accepted:
        _drop(request)
    return _receipt_response(request, receipt)


# --------------------------------------------------------------------------- mailbox

_ADDRESS_RE = re.compile(r'(<soap:address\s+location=")[^"]*(")')


def public_base(config_url: str | None, bound: str) -> str:
    """The gateway's address for documents it serves: the configured public URL, else the
    bound one. Refuses (ValueError) a configured value that is not a plain http(s) base URL."""
    if not config_url:
        return bound
    url = config_url.strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~\-/]*)?", url):
        raise ValueError("public_url skal være en http(s)-adresse uden forespørgsel")
    return url


async def _mailbox_get(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    query = request.query
    if "wsdl" in query or "WSDL" in query:
        # the address comes from configuration (or the bound socket), never from the request
        url = xml_attr_escape((state.public_base or "") + "/mailbox")
        text = _ADDRESS_RE.sub(lambda m: m.group(1) + url + m.group(2), state.wsdl_template)
        return web.Response(text=text, content_type="text/xml", charset="utf-8")
    name = query.get("xsd")
    if name in state.xsds:
        return web.Response(body=state.xsds[name], content_type="text/xml", charset="utf-8")
    raise web.HTTPNotFound(text="Brug ?wsdl")


async def _mailbox_post(request: web.Request) -> web.StreamResponse:
    state = request.app[_STATE]
    decision = await _apply_fault(request, state, "mailbox")
    if decision.action == "soap_fault":
        body = soap.fault_body("MIDLERTIDIG_FEJL", "Injiceret fejl (sandkasse)", server=True)
        return web.Response(status=500, body=body, content_type="text/xml", charset="utf-8")
    if (sick := _store_sick(state)) is not None:
        return _store_sick_fault(sick)
    data = await _read_limited(request, soap.MAX_REQUEST_BYTES)
    if data is None:
        body = soap.fault_body("UGYLDIG_FORESPOERGSEL", "Forespørgslen er for stor")
        refused = web.Response(status=500, body=body, content_type="text/xml", charset="utf-8")
        refused.force_close()
        return refused
    prepared = await state.run(soap.prepare, data)
    del data
    if isinstance(prepared, tuple):
        status, parts = prepared
    else:
        assert prepared.user is not None and prepared.password is not None
        login = await state.guard.authenticate(
            prepared.user,
            prepared.password,
            request.remote,
            nonce=prepared.nonce,
            created=prepared.created,
        )
        if login is not None:
            return _soap_refusal(login)
        status, parts = await state.run(soap.answer, prepared, state.ctx)
    if status != 200 and (sick := _store_sick(state)) is not None:
        return _store_sick_fault(sick)  # this request met the damage: the same clean refusal
    resp = web.StreamResponse(status=status)
    resp.content_type = "text/xml"
    resp.charset = "utf-8"
    resp.content_length = sum(len(p) for p in parts)
    await resp.prepare(request)
    for part in parts:
        # big parts (a large MeMo in base64) go out in slices with back-pressure, so the
        # transport never buffers a second copy of them
        view = memoryview(part)
        for start in range(0, len(view), _WRITE_SLICE):
            await write_within(
                request, resp, view[start : start + _WRITE_SLICE], state.config.body_timeout
            )
        del view
    parts.clear()
    await resp.write_eof()
    return resp


_SOAP_CODES = {
    Refusal.WRONG: "AUTENTIFIKATION",
    Refusal.LOCKED: "SPAERRET",
    Refusal.BACKOFF: "FOR_MANGE_FORSOEG",
    Refusal.BUSY: "LOGIN_OPTAGET",
    Refusal.STALE: "TIDSSTEMPEL",
    Refusal.REPLAY: "GENTAGELSE",
}


def _soap_refusal(refused: LoginRefused) -> web.Response:
    """A refused login as a SOAP fault: temporary ones soap:Server + 503 + Retry-After."""
    body = soap.fault_body(_SOAP_CODES[refused.kind], refused.text, server=refused.temporary)
    resp = web.Response(
        status=503 if refused.temporary else 500,
        body=body,
        content_type="text/xml",
        charset="utf-8",
    )
    if refused.temporary:
        resp.headers["Retry-After"] = refused.retry_after_header
    return resp


async def _basic_login(
    request: web.Request, state: _State
) -> tuple[str | None, LoginRefused | None]:
    """(user, None) when the request's HTTP Basic login (with the nonce and creation-time
    headers) passes the login guard, else (None, why not); (None, None): no credentials."""
    creds = _basic_credentials(request)
    if creds is None:
        return None, None
    refused = await state.guard.authenticate(
        creds[0],
        creds[1],
        request.remote,
        nonce=request.headers.get(NONCE_HEADER),
        created=request.headers.get(CREATED_HEADER),
    )
    return (None, refused) if refused is not None else (creds[0], None)


def _http_refusal_status(refused: LoginRefused | None) -> int:
    if refused is None or not refused.temporary:
        return 401
    return 429 if refused.kind is Refusal.BACKOFF else 503


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, secret = (
            base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, secret) if sep and user else None


async def _memo_get(request: web.Request) -> web.StreamResponse:
    """Stream one stored MeMo raw (application/xml), for items too big to inline in PostListe.

    HTTP Basic with the mailbox user/secret (loopback or behind TLS only). Headers carry the
    size (Content-Length) and `x-Sha256`, so the client verifies what it wrote to disk."""
    state = request.app[_STATE]
    await _apply_fault(request, state, "mailbox")
    user, refused = await _basic_login(request, state)
    if user is None:
        status = _http_refusal_status(refused)
        headers = {"WWW-Authenticate": 'Basic realm="postfordeler"'}
        if refused is not None and refused.temporary:
            headers = {"Retry-After": refused.retry_after_header}
        text = refused.text if refused is not None else "Ukendt bruger eller forkert adgangskode"
        return web.Response(status=status, text=text, headers=headers)
    if (role_refused := _role_refusal(state, user, "memo.get")) is not None:
        return role_refused
    if (sick := _store_sick(state)) is not None:
        raise web.HTTPServiceUnavailable(text=sick.reason or "", headers=_RETRY_HEADERS)
    try:
        item_id = int(request.match_info["item_id"])
        await state.run(soap.visible_item, state.ctx, user, item_id)
        size, digest, chunks = await state.run(state.store.memo_chunks, item_id)
    except ValueError:
        raise web.HTTPNotFound(text="Ukendt element") from None
    except StoreUnavailable as exc:
        raise web.HTTPServiceUnavailable(text=exc.text, headers=_RETRY_HEADERS) from None
    except StoreError as exc:
        raise web.HTTPNotFound(text=exc.text) from None
    resp = web.StreamResponse(status=200, headers={"x-Sha256": digest})
    resp.content_type = "application/xml"
    resp.content_length = size
    try:
        await resp.prepare(request)
        while (piece := await state.run(next, chunks, None)) is not None:
            await write_within(request, resp, piece, state.config.body_timeout)
        await resp.write_eof()
    except Exception as exc:
        if not is_damage(exc):
            raise
        state.store.mark_damaged("memo stream")  # the client sees a cut stream and retries
        _drop(request)
    finally:
        await state.run(chunks.close)
    return resp


# --------------------------------------------------------------------------- decisions (JSON)


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _role_refusal(state: _State, user: str, operation: str) -> web.Response | None:
    """403 ROLLE when `user`'s role may not do `operation` (`app.gateway.authz`), else None."""
    why = authz.refusal(state.role_of(user), operation)
    if why is None:
        return None
    log.info("%s refused to %s: role", operation, user)
    return _json_error(403, "ROLLE", why)


async def _json_user(request: web.Request, state: _State) -> str | web.Response:
    """The authenticated user (HTTP Basic, the mailbox users, with a fresh nonce and creation
    time), or the refusal to answer (401; 429/503 with Retry-After when temporary).
    With [oidc] configured, `Authorization: Bearer <access token>` is accepted too."""
    bearer = await _bearer_user(request, state)
    if bearer is not None:
        return bearer
    user, refused = await _basic_login(request, state)
    if user is not None:
        return user
    status = _http_refusal_status(refused)
    if refused is None:
        resp = _json_error(401, "AUTENTIFIKATION", "Ukendt bruger eller forkert adgangskode")
    else:
        resp = _json_error(status, _SOAP_CODES[refused.kind], refused.text)
    if refused is not None and refused.temporary:
        resp.headers["Retry-After"] = refused.retry_after_header
    else:
        resp.headers["WWW-Authenticate"] = 'Basic realm="postfordeler"'
    return resp


async def _bearer_user(request: web.Request, state: _State) -> str | web.Response | None:
    """None: no bearer token (or no [oidc]); else the token's user or a 401 (never echoing it)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if state.bearer is None or scheme.lower() != "bearer":
        return None
    try:
        identity = await state.run(state.bearer.authenticate, token.strip())
    except OidcError as exc:
        resp = _json_error(401, "AUTENTIFIKATION", str(exc))
        resp.headers["WWW-Authenticate"] = 'Bearer realm="postfordeler"'
        return resp
    user = str(identity.user)
    if user not in state.token_users:  # the token's groups give role, team and contact points
        try:
            points = identity.contact_points
            state.token_users[user] = make_user(
                user,
                identity.role,
                identity.team or "oidc",
                None if tuple(points) == (ALL_CONTACT_POINTS,) else points,
            )
        except UsersFileError:
            resp = _json_error(401, "AUTENTIFIKATION", "Brugeren er ikke tildelt en rolle")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="postfordeler"'
            return resp
        while len(state.token_users) > MAX_TOKEN_USERS:  # bounded: the oldest goes first
            state.token_users.pop(next(iter(state.token_users)))
    return user


def _store_refusal(exc: StoreError) -> web.Response:
    status = _JSON_STATUS.get(exc.code)
    if status is None:
        log.warning("decision route: store refused with %s", exc.code)
        return _json_error(500, "INTERN_FEJL", "Midlertidig fejl i modtagersystemet")
    return _json_error(status, exc.code, exc.text)


def _decision_request(data: bytes) -> tuple[str, str, str, dict[str, Any]] | str:
    """(decision_id, message_uuid, action, decision) of a POST /decisions body, or the
    one-line Danish reason it is refused."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return "Forespørgslen er ikke gyldig JSON"
    if not isinstance(body, dict):
        return "Forespørgslen skal være et JSON-objekt"
    fields = [body.get(k) for k in ("decision_id", "message_uuid", "action")]
    decision_id, message_uuid, action = fields
    if not (
        isinstance(decision_id, str)
        and isinstance(message_uuid, str)
        and isinstance(action, str)
        and decision_id
        and message_uuid
        and action
    ):
        return "decision_id, message_uuid og action skal angives som tekst"
    decision = body.get("decision")
    if not isinstance(decision, dict):
        return "decision skal være et JSON-objekt"
    try:
        uuid.UUID(decision_id)
        uuid.UUID(message_uuid)
    except ValueError:
        return "decision_id og message_uuid skal være UUID'er"
    return decision_id, message_uuid, action, decision


async def _decisions_post(request: web.Request) -> web.Response:
    """POST /decisions: a client hands a decision to the gateway (idempotent on decision_id)."""
    state = request.app[_STATE]
    fault = await _apply_fault(request, state, "decisions")
    if (sick := _store_sick(state)) is not None:
        return _store_sick_json(sick)
    user = await _json_user(request, state)
    if isinstance(user, web.Response):
        return user
    if (role_refused := _role_refusal(state, user, "decisions.post")) is not None:
        return role_refused
    data = await _read_limited(request, MAX_DECISION_BYTES)
    if data is None:
        refused = _json_error(413, "UGYLDIG", "Beslutningen er for stor")
        refused.force_close()
        return refused
    parsed = _decision_request(data)
    if isinstance(parsed, str):
        return _json_error(400, "UGYLDIG", parsed)
    decision_id, message_uuid, action, decision = parsed
    if (not_yours := await _caseworker_refusal(state, user, message_uuid, action)) is not None:
        return not_yours
    try:
        status = await state.run(
            state.store.submit_decision,
            user,
            decision_id,
            message_uuid,
            action,
            decision,
            can_see=partial(state.can_see, user),
            refuse=partial(_policy_refusal, state, user, action, decision),
            require_claim=authz.needs_claim(state.role_of(user)),
        )
    except StoreError as exc:
        log.info("decision %s refused: %s", decision_id[:36], exc.code)
        return _store_refusal(exc)
    log.info("decision %s on %s (%s): %s", status.decision_id, message_uuid, action, status.state)
    try:  # the access log: who decided on which citizen's post
        await state.run(
            team.log_decision,
            state.store,
            user,
            status.decision_id or decision_id,
            message_uuid,
            action,
        )
    except Exception:
        log.exception("decision %s not written to the access log", decision_id[:36])
    if state.wake is not None:
        state.wake()
    if fault.action == "drop_after_store":
        _drop(request)  # sandbox: the decision is stored, the answer lost; the client retries
    return web.json_response(
        {
            "decision_id": status.decision_id,
            "message_uuid": status.message_uuid,
            "state": status.state,
            "decision": status.decision,
            "reason": status.reason,
        }
    )


def _policy_refusal(state: _State, user: str, action: str, decision: dict[str, Any]) -> str | None:
    """Why the policy in force refuses this new decision (None: allowed); in the store's pool."""
    policy = state.store.policy_version().policy
    return policy.decision_refusal(action, decision, caseworker=state.role_of(user) == "caseworker")


CASEWORKER_ACTIONS = frozenset({"journalise", "journal_note"})


async def _caseworker_refusal(
    state: _State, user: str, message_uuid: str, action: str | None
) -> web.Response | None:
    """A caseworker sees and decides only the items assigned to them (others: the answer for
    an item that does not exist), and only journalises them (`action`; None: a read)."""
    caseworker = state.caseworker_of(user)
    if caseworker is None:
        return None
    mine = await state.run(state.store.is_assigned, caseworker, user, message_uuid=message_uuid)
    if not mine:
        return _json_error(404, "UKENDT", NOT_VISIBLE_TEXT)
    if action is not None and action not in CASEWORKER_ACTIONS:
        return _json_error(
            403, "ROLLE", "En sagsbehandler kan kun journalisere det, der er fordelt til dem"
        )
    return None


async def _status_get(request: web.Request) -> web.Response:
    """GET /items/{message_uuid}/status: the item's delivery state, the team's truth."""
    state = request.app[_STATE]
    await _apply_fault(request, state, "decisions")
    if (sick := _store_sick(state)) is not None:
        return _store_sick_json(sick)
    user = await _json_user(request, state)
    if isinstance(user, web.Response):
        return user
    if (role_refused := _role_refusal(state, user, "status.get")) is not None:
        return role_refused
    message_uuid = request.match_info["message_uuid"]
    if (refused := await _caseworker_refusal(state, user, message_uuid, None)) is not None:
        return refused
    try:
        status = await state.run(
            state.store.decision_status,
            message_uuid,
            user,
            can_see=partial(state.can_see, user),
        )
    except StoreError as exc:
        return _store_refusal(exc)
    return web.json_response(status.to_json())


async def _receivers_get(request: web.Request) -> web.Response:
    """GET /receivers: the receiving systems Videresend offers, asked of SF2900 by the gateway
    (`app.gateway.receivers`); desktops hold no Serviceplatformen credentials."""
    state = request.app[_STATE]
    user = await _json_user(request, state)
    if isinstance(user, web.Response):
        return user
    if (role_refused := _role_refusal(state, user, "receivers.get")) is not None:
        return role_refused
    if state.receivers is None:
        return _json_error(503, "IKKE_OPSAT", "Gatewayen har ingen forbindelse til SF2900")
    try:
        found = await state.receivers.get()
    except ReceiversUnavailable as exc:
        return _json_error(503, "SF2900_UTILGAENGELIG", str(exc))
    policy = (await state.run(state.store.policy_version)).policy  # only the allowed ones
    found = [(rid, name) for rid, name in found if policy.receiver_allowed(rid)]
    if not policy.forwarding_allowed():
        found = []
    kles = state.receivers.kles
    return web.json_response(
        {
            "receivers": [
                {"id": rid, "name": name, "kle": list(kles.get(rid, ()))} for rid, name in found
            ]
        }
    )


# --------------------------------------------------------------------------- misc


async def _health(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    if (sick := _store_sick(state)) is not None:
        return _health_sick(sick)
    try:
        last = await state.run(state.store.max_item_id)
    except Exception as exc:
        if (sick := _store_sick(state)) is not None:
            return _health_sick(sick)
        return web.json_response(
            {"status": "fejl", "reason": f"Databasen svarer ikke ({type(exc).__name__})"},
            status=503,
        )
    health = state.store.health
    # Versions (issue 14): the client sends its own and is told whether it is accepted.
    client = request.headers.get("X-Postfordeler-Version", "")
    answer: dict[str, object] = {
        "status": "ok",
        "last_item_id": last,
        "faults": state.faults.active if state.faults else False,
        "integrity": {"check": health.check, "checked_at": _iso(health.checked_at)},
        "version": __version__,
        "min_client_version": MIN_CLIENT_VERSION,
    }
    if client:
        try:
            answer["client_accepted"] = compatible(client, MIN_CLIENT_VERSION)
        except ValueError:
            answer["client_accepted"] = False
    return web.json_response(answer)


# --------------------------------------------------------------------------- store health

_RETRY_HEADERS = {"Retry-After": str(pm.RETRY_AFTER_SECONDS)}


def _store_sick(state: _State) -> StoreHealth | None:
    """The store's health when it is not ok (damaged or unreachable), else None."""
    health = state.store.health
    return None if health.ok else health


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _health_sick(health: StoreHealth) -> web.Response:
    return web.json_response(
        {
            "status": "fejl",
            "reason": health.reason,
            "damaged": health.damaged,
            "checked_at": _iso(health.checked_at),
        },
        status=503,
        headers=_RETRY_HEADERS,
    )


def _store_sick_receipt(
    request: web.Request, health: StoreHealth, transaction_id: str | None
) -> web.Response:
    """EP_FS1 while the store is unhealthy: a *temporary* failure (503, Retry-After, no
    receiptStatus) before the body is read, so the Postkomponent redelivers later."""
    receipt = pm.reject(
        pm.CODE_TEMPORARY, health.reason or "Midlertidig fejl", transaction_id=transaction_id
    )
    resp = _receipt_response(request, receipt)
    resp.force_close()  # the unread body is not drained
    log.warning("postmodtag refused while the store is unhealthy: answered temporary")
    return resp


def _store_sick_fault(health: StoreHealth) -> web.Response:
    code = "LAGER_BESKADIGET" if health.damaged else "LAGER_UTILGAENGELIG"
    body = soap.fault_body(code, health.reason or "Midlertidig fejl", server=True)
    refused = web.Response(
        status=500, body=body, content_type="text/xml", charset="utf-8", headers=_RETRY_HEADERS
    )
    refused.force_close()
    return refused


def _store_sick_json(health: StoreHealth) -> web.Response:
    code = "LAGER_BESKADIGET" if health.damaged else "LAGER_UTILGAENGELIG"
    refused = _json_error(503, code, health.reason or "Midlertidig fejl")
    refused.headers.update(_RETRY_HEADERS)
    refused.force_close()
    return refused


async def _check_store_forever(
    store: GatewayStore, executor: ThreadPoolExecutor, interval: float
) -> None:
    """The periodic integrity check, on its own thread (it reads the whole database)."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(max(0.05, interval))
        before = store.health
        try:
            health = await loop.run_in_executor(executor, store.check_integrity)
        except Exception:
            log.exception("store integrity check failed")
            continue
        if health.ok != before.ok:
            log.warning(
                "gateway store is %s",
                "healthy again" if health.ok else "unhealthy: " + str(health.reason),
            )


async def _faults_get(request: web.Request) -> web.Response:
    plan = request.app[_STATE].faults
    return web.json_response(plan.to_dict() if plan else {})


async def _faults_post(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    try:
        data = await request.json()
        state.faults = FaultPlan.from_dict(data) if data else None
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(state.faults.to_dict() if state.faults else {})


@web.middleware
async def _receipt_pinning(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only Serviceplatformen (a pinned client certificate) reaches the receipt callback; the
    body of anyone else is never read."""
    if request.path == RECEIPT_PATH or request.path.startswith(RECEIPT_PATH + "/"):
        tls = request.app[_STATE].config.tls
        if tls is not None and not peer_pinned(request, tls.callback_pins, "receipt callback"):
            refused = web.HTTPForbidden(text="Klientcertifikatet er ikke godkendt til kvitteringer")
            refused.force_close()
            raise refused
    return await handler(request)


@web.middleware
async def client_gone(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A client that hangs up mid-request (timeout, crash) is normal: one quiet log line, no
    traceback. Nothing was half-stored: receipts are only sent after the commit. Every server
    of ours (the gateway and the sandbox's stand-ins) uses it."""
    try:
        return await handler(request)
    except ConnectionResetError:
        log.info("client closed the connection during %s %s", request.method, request.path)
        return web.Response(status=499)


async def start_gateway(config: GatewayConfig) -> RunningGateway:
    """Start the gateway on `config.host:config.port` (0 = a free port) in the current loop."""
    if config.receipt_format not in pm.RECEIPT_FORMATS:
        raise ValueError(f"unknown receipt format {config.receipt_format!r}")
    ssl_context = config.tls.context() if config.tls is not None else None
    if config.public_url:
        public_base(config.public_url, "")  # a bad value fails the start, not every WSDL fetch
    executor = ThreadPoolExecutor(max_workers=max(2, config.workers), thread_name_prefix="gateway")
    parse_executor = ThreadPoolExecutor(
        max_workers=max(1, config.parse_workers), thread_name_prefix="gateway-parse"
    )
    loop = asyncio.get_running_loop()
    url = config.db_url or paths.gateway_db_url()
    spool_dir = Path(config.spool_dir) if config.spool_dir else paths.sub("gateway", "spool")
    spool_dir.mkdir(parents=True, exist_ok=True)
    await loop.run_in_executor(executor, _clear_spool, spool_dir)
    store = await loop.run_in_executor(
        executor,
        partial(
            GatewayStore,
            url,
            sqlite_synchronous=config.sqlite_synchronous,
            key_file=config.store_key_file,
        ),
    )
    try:
        if config.integrity_check_at_start:
            health = await loop.run_in_executor(executor, store.check_integrity)
            if not health.ok:
                code = "LAGER_BESKADIGET" if health.damaged else "LAGER_UTILGAENGELIG"
                raise StoreUnavailable(code, health.reason or "")
        for user, secret in config.users.items():
            await loop.run_in_executor(executor, store.set_user, user, secret)
        wsdl = resource("mailbox", "PostfordelerMailbox.wsdl").read_text("utf-8")
        wsdl = wsdl.replace(
            'schemaLocation="PostfordelerMailbox.xsd"',
            'schemaLocation="mailbox?xsd=PostfordelerMailbox.xsd"',
        )
        wsdl = wsdl.replace(
            'schemaLocation="ServiceplatformFault_1.xsd"',
            'schemaLocation="mailbox?xsd=ServiceplatformFault_1.xsd"',
        )
        xsds = {}
        for name in _XSD_NAMES:
            raw = resource("mailbox", name).read_bytes()
            xsds[name] = raw.replace(
                b'schemaLocation="AuthorityContext_1.xsd"',
                b'schemaLocation="mailbox?xsd=AuthorityContext_1.xsd"',
            )
        ctx = soap.SoapContext(
            store=store,
            municipality_cvr=config.municipality_cvr,
            max_page_items=config.max_page_items,
            max_page_bytes=config.max_page_bytes,
        )

        def run_shared(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
            return loop.run_in_executor(executor, partial(fn, *args))

        # a signed-in request's nonce write goes to the shared pool; scrypt to the guard's own
        guard = LoginGuard(store, config.login, run_shared=run_shared)
        await guard.start()
        state = _State(config, store, ctx, executor, config.faults, wsdl, xsds, spool_dir, guard)
        state.parse_executor = parse_executor
        state.parse_slots = asyncio.Semaphore(max(1, config.parse_workers))
        app = web.Application(
            client_max_size=soap.MAX_REQUEST_BYTES,
            middlewares=[client_gone, slow_body_middleware, _receipt_pinning],
        )
        app[_STATE] = state
        app.router.add_get("/health", _health)
        app.router.add_post(config.postmodtag_path, _postmodtag, expect_handler=_postmodtag_expect)
        app.router.add_get("/mailbox", _mailbox_get)
        app.router.add_post("/mailbox", _mailbox_post)
        app.router.add_get(MEMO_PATH, _memo_get)
        app.router.add_post(DECISIONS_PATH, _decisions_post)
        app.router.add_get(STATUS_PATH, _status_get)
        app.router.add_get(RECEIVERS_PATH, _receivers_get)
        team.mount(app, lambda: state, state.run, partial(_json_user, state=state))
        reassign.mount(app, lambda: state, state.run, partial(_json_user, state=state))
        if config.receipt_routes is not None:

            async def apply_receipt(receipt: BusinessReceiptLike) -> ReceiptOutcome:
                return await state.run(store.apply_business_receipt, receipt)

            config.receipt_routes(app, apply_receipt)
        if config.receipt_callback:
            _mount_receipt_callback(app, state)
        if config.sandbox:
            app.router.add_get("/_sandbox/faults", _faults_get)
            app.router.add_post("/_sandbox/faults", _faults_post)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=5.0,
            lingering_time=1.0,  # do not drain refused oversized bodies long
            # slowloris: a request's headers must be complete within header_timeout of the
            # connection or the previous answer (aiohttp's idle timer; bytes do not renew it)
            keepalive_timeout=config.header_timeout,
            max_line_size=HEADER_LIMITS["max_line_size"],
            max_field_size=HEADER_LIMITS["max_field_size"],
            max_headers=HEADER_LIMITS["max_headers"],
        )
        await runner.setup()
        site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context)
        await site.start()
    except BaseException:
        if "guard" in locals():
            await guard.aclose()
        executor.shutdown(wait=False)
        parse_executor.shutdown(wait=False)
        store.close()
        raise
    port = runner.addresses[0][1] if runner.addresses else config.port
    host = config.host if ":" not in config.host else f"[{config.host}]"
    base = f"{'https' if ssl_context else 'http'}://{host}:{port}"
    state.public_base = public_base(config.public_url, base)
    log.info("gateway listening on %s", base)
    if ssl_context is None and config.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("gateway without TLS on %s: EP_FS1 accepts any peer (test use only)", base)
    gateway = RunningGateway(config, store, base, runner, executor, app)
    gateway._parse_executor = parse_executor
    gateway._tasks.append(asyncio.create_task(_flag_overdue_forever(state)))
    if config.integrity_check_seconds > 0:
        checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-health")

        async def stop_checker() -> None:
            checker.shutdown(wait=False, cancel_futures=True)

        gateway._closers.append(stop_checker)
        gateway._tasks.append(
            asyncio.create_task(
                _check_store_forever(store, checker, config.integrity_check_seconds)
            )
        )
    if config.delivery is not None:
        try:
            gateway.start_delivery(config.delivery)
        except BaseException:
            await gateway.stop()
            raise
    return gateway


def _mount_receipt_callback(app: web.Application, state: _State) -> None:
    """FordelingskvitteringModtag (app/gateway/receipts.py) on this app, applying to the store
    off the event loop; the part's send time enables the 40-day refusal."""
    store = state.store

    async def apply(receipt: BusinessReceiptLike) -> ReceiptOutcome:
        return await state.run(store.apply_business_receipt, receipt)

    async def sent_at(anvender_transaktions_id: str) -> datetime | None:
        return await state.run(store.receipt_sent_at, anvender_transaktions_id)

    tls = state.config.tls
    receipts.callback_routes(
        app,
        apply,
        path=RECEIPT_PATH,
        pins=tls.callback_pins if tls is not None else None,
        sent_at=sent_at,
        public_base=lambda: state.public_base,
    )


async def _flag_overdue_forever(state: _State) -> None:
    """Flag `sendt` decisions whose business receipt is overdue, every overdue_check_seconds."""
    config = state.config
    while True:
        try:
            flagged = await state.run(state.store.flag_overdue, utcnow(), config.receipt_follow_up)
            if flagged:
                log.warning(
                    "%d decisions have had no business receipt for %s",
                    flagged,
                    config.receipt_follow_up,
                )
        except Exception:
            log.exception("flag_overdue failed")
        await asyncio.sleep(max(0.05, config.overdue_check_seconds))


def endpoints_json(gateway: RunningGateway) -> str:
    return json.dumps(gateway.endpoints())
