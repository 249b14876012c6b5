"""Bundle the client's Qt-free services for one set of endpoints (used by the UI, CLI and tests).

`ClientServices.create(endpoints)` takes the sandbox's ready JSON keys (`gateway`, `dubu`,
`user`, `municipality_cvr`, `tls_ca`) or real endpoints of the same shape, opens the cache and
builds: one `DbWorker`, a `MailboxClient` + `Syncer`, a `GatewayClient` + `OutboxWorker` (the
decisions go to the gateway, which delivers them to SF2900: the client holds no SF2900 settings
and no municipality certificate) and the DUBU directory (case look-ups). `start()` runs the
periodic sync and the outbox in background tasks on the current loop; `close()` stops and
closes everything. Secrets come from the argument, `$POSTFORDELER_SECRET` or the OS keyring
(`postfordeler`, `gateway:{user}`), never from a file or a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from app.core.outbox import OutboxWorker
from app.core.retention import PurgeResult, purge
from app.core.sync import Syncer, SyncResult, SyncStatus
from app.core.worker import DbWorker
from app.decisions import Decision
from app.dubu.directory import DubuDirectory, HttpDubuDirectory
from app.keyrings import NO_SECURE_KEYRING, secure_keyring
from app.models import integrity
from app.models.cache import Cache, QueuedDecision
from app.models.db import Database
from app.models.recovery import RebuildReport, open_cache_recovering
from app.resources import resource
from app.sf1606.gateway_client import GatewayClient
from app.sf1606.mailbox_client import MailboxClient, MailboxError, MailboxUnavailable

log = logging.getLogger("postfordeler.services")

KEYRING_SERVICE = "postfordeler"
# The gateway user when none is given: the sandbox's demo user (app.sandbox.runner uses it).
DEMO_USER = "demo"
ENV_CVR = "POSTFORDELER_MUNICIPALITY_CVR"
ENV_SECRET = "POSTFORDELER_SECRET"  # scripts and CI: the gateway secret (wins over the keyring)


CLAIM_LEASE_SECONDS = 300


class _Timeout(TypedDict, total=False):
    timeout: float  # absent: each client's own default


class ClaimRefused(RuntimeError):
    """A colleague holds the item at the gateway: `str()` is the Danish message for the user."""

    def __init__(self, item_id: int, holder: str) -> None:
        super().__init__(f"Elementet er låst af {holder}, som arbejder på det lige nu.")
        self.item_id = item_id
        self.holder = holder


class MissingSecret(RuntimeError):
    """No secret for the gateway user in the keyring. `str()` is bilingual, for the CLI/UI."""


def default_user() -> str:
    """The gateway user when none is configured: the sandbox's demo user."""
    return DEMO_USER


def default_municipality_cvr() -> str:
    """`$POSTFORDELER_MUNICIPALITY_CVR`, else the CVR of the shipped sandbox dataset."""
    if os.environ.get(ENV_CVR):
        return os.environ[ENV_CVR]
    try:
        with open(resource("sandbox", "dubu.json"), encoding="utf-8") as fh:
            return str(json.load(fh)["municipality"]["cvr"])
    except Exception:
        return "00000000"


def gateway_secret(user: str) -> str:
    """The gateway secret of `user`: `$POSTFORDELER_SECRET` when it is set (scripts, CI), else
    the OS keyring (`postfordeler` / `gateway:{user}`). Raises MissingSecret."""
    env = os.environ.get(ENV_SECRET)
    if env:
        return env
    try:
        keyring = secure_keyring()  # never a plaintext or other file backend
        if keyring is None:
            raise MissingSecret(
                f"{NO_SECURE_KEYRING} Angiv adgangskoden for '{user}' på anden vis "
                f"(${ENV_SECRET}). (Give the gateway secret another way.)"
            )
        secret = keyring.get_password(KEYRING_SERVICE, f"gateway:{user}")
    except MissingSecret:
        raise
    except Exception as exc:
        raise MissingSecret(
            f"Kan ikke læse nøgleringen ({type(exc).__name__}); gem adgangskoden for '{user}' "
            f"under '{KEYRING_SERVICE}' / 'gateway:{user}'. "
            f"(Cannot read the keyring; store the secret for '{user}'.)"
        ) from exc
    if not secret:
        raise MissingSecret(
            f"Ingen adgangskode til postserveren for brugeren '{user}' i nøgleringen "
            f"('{KEYRING_SERVICE}', 'gateway:{user}'). Gem den fx med: "
            f"python -m keyring set {KEYRING_SERVICE} gateway:{user} "
            f"(No gateway secret for user '{user}' in the keyring.)"
        )
    return secret


@dataclass
class ClientServices:
    endpoints: dict[str, Any]
    db: Database
    cache: Cache
    worker: DbWorker
    user: str
    mailbox: MailboxClient | None = None
    syncer: Syncer | None = None
    gateway: GatewayClient | None = None
    directory: DubuDirectory | None = None
    outbox: OutboxWorker | None = None
    # the cache was found damaged at open and rebuilt (what was salvaged, what was lost)
    rebuild: RebuildReport | None = None
    cache_damaged: bool = False  # the periodic check found damage: sync stopped
    cache_check_seconds: float = 3600.0  # the periodic integrity check (0: only at open)
    cache_check_first: float = 5.0  # the first one, soon after start (big files skip the open)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def create(
        cls,
        endpoints: Mapping[str, Any],
        *,
        secret: str | None = None,
        db_path: Path | None = None,
        user: str | None = None,
        sync_interval: float = 15.0,
        page_size: int = 200,
        on_sync_status: Callable[[SyncStatus], None] | None = None,
        on_sync_result: Callable[[SyncResult], None] | None = None,
        on_outbox_change: Callable[[dict[str, int]], None] | None = None,
        on_outbox_status: Callable[[SyncStatus], None] | None = None,
        timeout: float | None = None,
        syncer_options: Mapping[str, Any] | None = None,
        outbox_options: Mapping[str, Any] | None = None,
        gateway_ssl: ssl.SSLContext | None = None,
    ) -> ClientServices:
        """Build the services on the running loop. Endpoints without a key are left out (no
        `gateway` → no sync and no outbox worker: decisions stay queued on this PC).

        `timeout`: per-call timeout in seconds for the gateway and DUBU clients (None:
        each client's default). `syncer_options` / `outbox_options`: extra keyword arguments for
        `Syncer` / `OutboxWorker` (backoff, attempts, ...), e.g. to shrink waits in tests.
        `endpoints["tls_ca"]`: the CA file the gateway's certificate must chain to (the sandbox
        names its test CA; None/"" = the system store, `SSL_CERT_FILE` honoured).
        `gateway_ssl`: an explicit TLS context for the gateway (overrides `tls_ca`)."""
        timeouts: _Timeout = {} if timeout is None else {"timeout": float(timeout)}
        endpoints = dict(endpoints)
        user = user or endpoints.get("user") or default_user()
        cvr = str(endpoints.get("municipality_cvr") or default_municipality_cvr())
        db, rebuild = await asyncio.to_thread(open_cache_recovering, db_path)
        worker = DbWorker()
        cache = Cache(db)
        services = cls(
            endpoints=endpoints, db=db, cache=cache, worker=worker, user=user, rebuild=rebuild
        )
        if endpoints.get("gateway"):
            if secret is None:
                secret = gateway_secret(user)
            services.mailbox = MailboxClient(
                endpoints["gateway"],
                municipality_cvr=cvr,
                user=user,
                secret=secret,
                ca_bundle=endpoints.get("tls_ca") or None,
                ssl_context=gateway_ssl,
                **timeouts,
            )
            services.syncer = Syncer(
                services.mailbox,
                cache,
                worker,
                interval=sync_interval,
                page_size=page_size,
                on_status=on_sync_status,
                on_result=on_sync_result,
                **dict(syncer_options or {}),
            )
        if endpoints.get("dubu"):
            services.directory = HttpDubuDirectory(endpoints["dubu"], **timeouts)
        if endpoints.get("gateway"):
            assert secret is not None
            services.gateway = GatewayClient(
                endpoints["gateway"],
                user=user,
                secret=secret,
                ca_bundle=endpoints.get("tls_ca") or None,
                ssl_context=gateway_ssl,
                **timeouts,
            )
            outbox_kwargs: dict[str, Any] = dict(outbox_options or {})
            if timeout is not None:
                outbox_kwargs.setdefault("call_timeout", float(timeout) * 2)
            services.outbox = OutboxWorker(
                cache,
                services.gateway,
                worker=worker,
                on_change=on_outbox_change,
                on_status=on_outbox_status,
                claim=services.claim_for_outbox,
                **outbox_kwargs,
            )
        return services

    def start(self) -> None:
        """Run the periodic sync, the claims mirror and the outbox in background tasks of the
        current loop."""
        if self.syncer is not None:
            self._tasks.append(asyncio.ensure_future(self.syncer.run_forever()))
            self._tasks.append(asyncio.ensure_future(self._mirror_claims_forever()))
        if self.outbox is not None:
            self._tasks.append(asyncio.ensure_future(self.outbox.run_forever()))
        self._tasks.append(asyncio.ensure_future(self._purge_daily()))
        if self.cache_check_seconds > 0:
            self._tasks.append(asyncio.ensure_future(self._check_cache_forever()))

    async def check_cache(self) -> bool:
        """Run the cache's integrity check now (off the loop, on its own connection). False
        when it is damaged: then sync stops and says so (`SyncStatus` state `damaged`); the
        next start rebuilds the cache and fetches every item again."""
        try:
            result = await asyncio.to_thread(integrity.check_cache, self.db.path)
            sound = result.ok
            detail = result.detail
        except Exception as exc:  # unreadable as a whole counts as damaged too
            sound, detail = False, type(exc).__name__
        if not sound and not self.cache_damaged:
            self.cache_damaged = True
            log.error("client cache damaged (periodic check): %s", detail)
            with contextlib.suppress(OSError):
                integrity.mark_damaged(self.db.path)  # the next start rebuilds
            if self.syncer is not None:
                self.syncer.cache_damaged()
        return sound

    async def _check_cache_forever(self) -> None:
        await asyncio.sleep(self.cache_check_first)
        while not self.cache_damaged:
            try:
                await self.check_cache()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cache integrity check failed")
            await asyncio.sleep(self.cache_check_seconds)

    async def purge_once(self) -> PurgeResult:
        """Retention: drop decided, delivered items older than 30 days from this PC's cache
        (the gateway and DUBU keep them) and access-log rows past their retention."""
        result = await self.worker.submit(purge, self.db)
        if result.items or result.log_rows:
            log.info("retention purge: %s items, %s access-log rows", result.items, result.log_rows)
        return result

    async def _purge_daily(self, interval: float = 24 * 3600.0) -> None:
        await asyncio.sleep(60.0)  # not at start-up: the inbox comes first
        while True:
            try:
                await self.purge_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention purge failed")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ team mode: claims

    async def claim(self, item_id: int, lease_seconds: int = CLAIM_LEASE_SECONDS) -> bool:
        """Claim an item at the gateway before acting on it (team mode).

        True: we hold it (a lease; it expires by itself if this client dies). False: the
        gateway is unreachable — the decision may still be queued, the gateway settles it when
        the outcome is recorded. Raises ClaimRefused when a colleague holds it.
        """
        if self.mailbox is None:
            return False
        gateway_id = await self.worker.submit(self.cache.gateway_item_id, item_id)
        if gateway_id is None:
            return False
        try:
            info = await self.mailbox.claim(gateway_id, lease_seconds)
        except MailboxUnavailable:
            return False
        except MailboxError as exc:
            if exc.code == "RESERVERET":
                holder = await self._holder(gateway_id)
                raise ClaimRefused(item_id, holder or "en kollega") from exc
            raise
        await self.worker.submit(self.cache.set_claim, item_id, info.user, info.expires_at)
        return True

    async def claim_for_outbox(self, item_id: int) -> bool | str:
        """The outbox's claim before it hands over a decision made without one (offline):
        True claimed, False unreachable, else the Danish refusal (a colleague holds it)."""
        try:
            return await self.claim(item_id)
        except ClaimRefused as exc:
            return str(exc)
        except MailboxError as exc:
            return exc.text

    async def _holder(self, gateway_id: int) -> str | None:
        if self.mailbox is None:
            return None
        try:
            claims = await self.mailbox.claims()
        except Exception:
            return None
        await self.worker.submit(
            self.cache.apply_claims, [(c.item_id, c.user, c.expires_at) for c in claims]
        )
        return next((c.user for c in claims if c.item_id == gateway_id), None)

    async def mirror_claims(self) -> int:
        """Copy the gateway's current claims into the cache so the inbox shows who holds what.
        Returns what `Cache.apply_claims` returns; 0 without a gateway."""
        if self.mailbox is None:
            return 0
        claims = await self.mailbox.claims()
        return await self.worker.submit(
            self.cache.apply_claims, [(c.item_id, c.user, c.expires_at) for c in claims]
        )

    async def _mirror_claims_forever(self, interval: float = 10.0) -> None:
        while True:
            try:
                await self.mirror_claims()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("claims mirror failed: %s", type(exc).__name__)
            await asyncio.sleep(interval)

    async def enqueue(self, item_id: int, decision: Decision) -> int:
        """Write a decision to the outbox (off the loop) and wake the outbox worker."""
        outbox_id = await self.worker.submit(self.cache.enqueue, item_id, decision, self.user)
        if self.outbox is not None:
            self.outbox.trigger()
        return outbox_id

    async def decide(self, item_id: int, decision: Decision) -> QueuedDecision:
        """Queue a decision like `enqueue`, reusing an identical pending or delivered one on the
        item (`Cache.decide`: the same decision twice is one delivery)."""
        queued = await self.worker.submit(self.cache.decide, item_id, decision, self.user)
        if self.outbox is not None and not queued.reused:
            self.outbox.trigger()
        return queued

    async def undo(self, outbox_id: int) -> bool:
        return await self.worker.submit(self.cache.undo, outbox_id)

    async def close(self) -> None:
        if self.syncer is not None:
            self.syncer.stop()
        if self.outbox is not None:
            self.outbox.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except BaseException:  # noqa: S110 - cancelled on close; its own errors were logged
                pass
        self._tasks.clear()
        if self.outbox is not None:
            await self.outbox.close()
        for closer in (self.mailbox, self.gateway, self.directory):
            if closer is not None:
                try:
                    await closer.close()
                except Exception:
                    log.exception("close failed")
        self.worker.close()
        self.db.engine.dispose()
