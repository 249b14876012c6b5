"""Who may sign in to the gateway, and at what cost: the one check every mailbox and REST call
passes (SOAP UsernameToken, HTTP Basic on `/decisions`, status and the MeMo download).

Failed logins must never slow EP_FS1 or signed-in work, and guessing must not pay off:

- **Own, bounded work.** scrypt runs on the guard's own small pool (`LoginPolicy.verify_workers`
  threads), never on the gateway's shared pool. At most `verify_queue` further attempts wait for
  a thread; beyond that an attempt is refused at once (`BUSY`, temporary, `Retry-After`). The
  same user + password checked concurrently (a client's parallel first calls) is one check.
- **Signed in = cheap.** A successful check is remembered for `cache_ttl` seconds as an HMAC of
  user + password under a per-process key: a signed-in client pays no scrypt and is never held
  up by back-off on its name or address.
- **Back-off** per user and per client address: after the free failures, each further failure
  doubles the time during which attempts that are not already signed in are refused unverified
  (`BACKOFF`, temporary, `Retry-After`); the answer to a failure is delayed exponentially too,
  by sleeping on the event loop (no worker is held). An attempt refused during a *user's*
  back-off counts as a failure of that user, so the cache cannot be used as a fast oracle.
- **Lockout** after `lockout_after` failures of one user name within `lockout_window` seconds
  (known names or not, so a lockout tells nothing about who exists). It is written to the
  database, every node honours it, and it stays until an administrator unlocks it
  (`postfordeler gateway unlock USER`); the right password does not get in meanwhile. Failures
  are counted per node: with k nodes at most k × `lockout_after` guesses before the lockout.
- **Replay**: every authenticated request carries a nonce and a creation time; a time more than
  `replay_window` seconds away is refused (`STALE`), and a nonce seen before within the window is
  refused (`REPLAY`). Nonces are kept in memory per node and, on PostgreSQL, also in the
  database, so two nodes on one database refuse each other's replays.
- **Audit**: failures, back-offs, lockouts, refused replays and stale requests go to the
  `gw_login_audit` table (`app.gateway.login_store`; batched every `refresh_seconds`, lockouts at
  once) and to the `postfordeler.gateway.audit` log. Attempts refused unverified (back-off,
  busy, locked, stale, replayed) are summarised: one row per kind, user and address per batch.
  Never a password, a hash or a nonce.

All state lives on the event loop's thread; blocking work goes to the guard's pool.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, ParamSpec, TypeVar

from app.gateway import login_store
from app.gateway.login_store import AuditEvent
from app.gateway.store import GatewayStore, utcnow, verify_secret

log = logging.getLogger("postfordeler.gateway.login")
audit_log = logging.getLogger("postfordeler.gateway.audit")
_P = ParamSpec("_P")
_T = TypeVar("_T")

_DUMMY_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 32
MIN_NONCE, MAX_NONCE = 16, 256


@dataclass(frozen=True)
class LoginPolicy:
    """How hard the gateway makes guessing (gateway.toml `[gateway]`, `gateway serve` flags)."""

    lockout_after: int = 10  # failures of one user name within lockout_window lock it
    lockout_window: float = 900.0
    user_free_failures: int = 2  # failures before a user's back-off starts (typos)
    address_free_failures: int = 20  # per client address (a town hall behind one NAT)
    backoff_base: float = 1.0  # seconds of the first back-off, doubled per failure
    backoff_max: float = 60.0
    answer_delay_base: float = 0.25  # the answer to a failure, doubled per failure of the user
    answer_delay_max: float = 4.0
    verify_workers: int = 2  # scrypt threads
    verify_queue: int = 6  # attempts that may wait for a thread; more are refused at once
    cache_ttl: float = 120.0  # a successful check is remembered this long
    replay_window: float = 300.0  # seconds a request's creation time may be off
    refresh_seconds: float = 2.0  # lockouts re-read (an unlock takes effect), audit written


class Refusal(enum.Enum):
    WRONG = "wrong"
    LOCKED = "locked"
    BACKOFF = "backoff"
    BUSY = "busy"
    STALE = "stale"
    REPLAY = "replay"


_TEXTS = {
    Refusal.WRONG: "Ukendt bruger eller forkert adgangskode",
    Refusal.LOCKED: (
        "Brugeren er spærret efter for mange mislykkede login; en administrator skal låse den op"
    ),
    Refusal.BACKOFF: "For mange mislykkede login; prøv igen om lidt",
    Refusal.BUSY: "Login-kontrollen er optaget; prøv igen om lidt",
    Refusal.STALE: (
        "Forespørgslen mangler nonce og tidsstempel, eller tidsstemplet er for gammelt "
        "(kontrollér computerens ur)"
    ),
    Refusal.REPLAY: "Forespørgslen er allerede modtaget; en gentagelse afvises",
}


@dataclass(frozen=True, slots=True)
class LoginRefused:
    """Why an attempt was refused. `temporary`: retry after `retry_after` seconds (429/503,
    soap:Server); otherwise the client must change something (401, soap:Client)."""

    kind: Refusal
    retry_after: float | None = None

    @property
    def text(self) -> str:
        return _TEXTS[self.kind]

    @property
    def temporary(self) -> bool:
        return self.kind in (Refusal.BACKOFF, Refusal.BUSY)

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after or 1)))


@dataclass
class _Track:
    """Recent failures of one user name or address (monotonic times) and its back-off."""

    failures: collections.deque[float] = field(default_factory=collections.deque)
    until: float = 0.0

    def count(self, now: float, window: float) -> int:
        while self.failures and self.failures[0] < now - window:
            self.failures.popleft()
        return len(self.failures)


def parse_created(value: str | None) -> datetime | None:
    """An ISO 8601 time with a zone (`2026-12-02T05:15:00Z`, `+00:00`), else None."""
    if not value or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo is not None else None


class LoginGuard:
    """The gateway's login check (one per gateway process; use it from the event loop)."""

    def __init__(
        self,
        store: GatewayStore,
        policy: LoginPolicy | None = None,
        *,
        run_shared: Callable[..., Awaitable[Any]] | None = None,
        shared_nonces: bool | None = None,
    ) -> None:
        """`run_shared(fn, *args)`: the gateway's pool, for the nonce write of a request that
        is already signed in; `shared_nonces`: record nonces in the database (default: on
        PostgreSQL)."""
        self.store = store
        self.policy = policy or LoginPolicy()
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, self.policy.verify_workers), thread_name_prefix="gateway-login"
        )
        self._run_shared = run_shared
        self.shared_nonces = (
            store.dialect == "postgresql" if shared_nonces is None else shared_nonces
        )
        self._key = secrets.token_bytes(32)
        self._ok: dict[str, tuple[bytes, float]] = {}
        self._users: dict[str, _Track] = {}
        self._addresses: dict[str, _Track] = {}
        self._locked: set[str] = set()
        self._pending_locks: set[str] = set()
        self._nonces: dict[str, float] = {}  # digest -> expiry (epoch seconds)
        self._inflight = 0
        self._flights: dict[bytes, asyncio.Future[LoginRefused | None]] = {}
        self._audit: list[AuditEvent] = []
        # (event, why, user, address) -> attempts: refusals are audited as one row per key
        # and flush, so a flood of cheap refusals never becomes a flood of rows
        self._refused: collections.Counter[tuple[str, str, str | None, str | None]] = (
            collections.Counter()
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self.verifications = 0  # scrypt runs (for tests and benchmarks)
        self.busy_refusals = 0

    # -- setup --

    async def start(self) -> None:
        """Create the tables, read the lockouts and keep both fresh until `aclose`."""
        await self._run(login_store.ensure_tables, self.store)
        self._locked = set(await self._run(login_store.locked_users, self.store))
        self._spawn(self._refresh_forever())

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self._flush()
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def _run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(fn, *args, **kwargs))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the check --

    def _tag(self, user: str, secret: str) -> bytes:
        return hmac.new(self._key, f"{user}\0{secret}".encode(), hashlib.sha256).digest()

    async def authenticate(
        self,
        user: str,
        secret: str,
        address: str | None,
        *,
        nonce: str | None,
        created: str | None,
    ) -> LoginRefused | None:
        """None when `user` may go on, else why not (after the delay a failure earns)."""
        policy = self.policy
        wall = time.time()
        when = parse_created(created)
        nonce = (nonce or "").strip()
        if (
            when is None
            or abs(wall - when.timestamp()) > policy.replay_window
            or not MIN_NONCE <= len(nonce) <= MAX_NONCE
        ):
            # per address only: the user name of an unverified request is anybody's choice
            self._refused[
                (login_store.STALE, "nonce/tidsstempel mangler eller for gammelt", None, address)
            ] += 1
            return LoginRefused(Refusal.STALE)
        if user in self._locked:
            self._refused[(login_store.REFUSED, "spærret", user, address)] += 1
            return LoginRefused(Refusal.LOCKED)
        now = time.monotonic()
        tag = self._tag(user, secret)
        cached = self._ok.get(user)
        if not (cached and cached[1] > now and hmac.compare_digest(cached[0], tag)):
            refused = await self._checked(tag, user, secret, address, now)
            if refused is not None:
                return refused
        if not await self._fresh_nonce(user, nonce, when.timestamp() + policy.replay_window):
            self._refused[(login_store.REPLAY, "nonce brugt før", user, address)] += 1
            return LoginRefused(Refusal.REPLAY)
        return None

    async def _checked(
        self, tag: bytes, user: str, secret: str, address: str | None, now: float
    ) -> LoginRefused | None:
        """`_verify` once per user + password at a time: concurrent equal attempts share it."""
        while (flight := self._flights.get(tag)) is not None:
            try:
                return await asyncio.shield(flight)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not flight.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the attempt we waited for was cancelled (its client left): check ourselves
        flight = self._flights[tag] = asyncio.get_running_loop().create_future()
        try:
            refused = await self._verify(user, secret, address, now)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                flight.cancel()
            else:
                flight.set_exception(exc)
                flight.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            del self._flights[tag]
        if refused is None:
            self._ok[user] = (tag, time.monotonic() + self.policy.cache_ttl)
            self._users.pop(user, None)
        flight.set_result(refused)
        return refused

    async def _verify(
        self, user: str, secret: str, address: str | None, now: float
    ) -> LoginRefused | None:
        policy = self.policy
        user_track = self._users.get(user)
        addr_track = self._addresses.get(address or "")
        wait_user = user_track.until - now if user_track else 0.0
        wait_addr = addr_track.until - now if addr_track else 0.0
        if wait_user > 0 or wait_addr > 0:
            wait = max(wait_user, wait_addr)
            who = user if wait_user > 0 else None  # an address's back-off: any name
            self._refused[(login_store.REFUSED, "backoff", who, address)] += 1
            delay = 0.0
            if wait_user > 0:  # counts: guessing during back-off is not free
                delay = self._failed(user, address, now, verified=False)
            slept = min(wait, delay or wait, policy.answer_delay_max)
            await self._sleep(slept)
            if user in self._locked:
                return LoginRefused(Refusal.LOCKED)
            return LoginRefused(Refusal.BACKOFF, max(1.0, wait - slept))
        if self._inflight >= max(1, policy.verify_workers) + max(0, policy.verify_queue):
            self.busy_refusals += 1
            self._refused[(login_store.REFUSED, "optaget", None, address)] += 1
            return LoginRefused(Refusal.BUSY, 1.0)
        self._inflight += 1
        try:
            ok, locked = await self._run(self._check_blocking, user, secret)
        finally:
            self._inflight -= 1
        if locked:
            self._locked.add(user)
            self._ok.pop(user, None)
            return LoginRefused(Refusal.LOCKED)
        if ok:
            return None
        delay = self._failed(user, address, time.monotonic(), verified=True)
        await self._sleep(delay)
        if user in self._locked:
            return LoginRefused(Refusal.LOCKED)
        return LoginRefused(Refusal.WRONG)

    def _check_blocking(self, user: str, secret: str) -> tuple[bool, bool]:
        """(password right, user locked in the database) — blocking, on the guard's pool."""
        self.verifications += 1
        if login_store.is_locked(self.store, user):
            return False, True
        stored = self.store.user_hash(user)
        if stored is None:  # same cost as a wrong secret: no user enumeration by timing
            verify_secret(secret, _DUMMY_HASH)
            return False, False
        return verify_secret(secret, stored), False

    @staticmethod
    async def _sleep(seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _backoff(self, failures: int, free: int) -> float:
        over = failures - free
        if over <= 0:
            return 0.0
        return float(min(self.policy.backoff_max, self.policy.backoff_base * 2.0 ** (over - 1)))

    def _track(self, table: dict[str, _Track], key: str) -> _Track:
        track = table.get(key)
        if track is None:
            if len(table) >= 100_000:  # bounded: forget the oldest name or address
                table.pop(next(iter(table)))
            track = table[key] = _Track()
        return track

    def _failed(self, user: str, address: str | None, now: float, *, verified: bool) -> float:
        """Count a failure of `user` (and, when verified, of `address`); start back-off, lock.
        Returns how long to delay the answer."""
        policy = self.policy
        window = policy.lockout_window
        user_track = self._track(self._users, user)
        user_track.failures.append(now)
        failures = user_track.count(now, window)
        if verified:
            self._event(login_store.FAILURE, user, address, f"forsøg {failures}")
            addr_track = self._track(self._addresses, address or "")
            addr_track.failures.append(now)
            backoff = self._backoff(addr_track.count(now, window), policy.address_free_failures)
            if backoff and addr_track.until <= now:
                self._event(login_store.BACKOFF, None, address, f"adresse {backoff:g} s")
            if backoff:
                addr_track.until = max(addr_track.until, now + backoff)
        backoff = self._backoff(failures, policy.user_free_failures)
        if backoff and user_track.until <= now:
            self._event(login_store.BACKOFF, user, address, f"bruger {backoff:g} s")
        if backoff:
            user_track.until = max(user_track.until, now + backoff)
        if failures >= policy.lockout_after and user not in self._locked:
            self._lock(user, failures, address)
        if not policy.answer_delay_base:
            return 0.0
        return float(min(policy.answer_delay_max, policy.answer_delay_base * 2.0 ** (failures - 1)))

    def _lock(self, user: str, failures: int, address: str | None) -> None:
        self._locked.add(user)
        self._ok.pop(user, None)
        self._pending_locks.add(user)
        self._event(login_store.LOCKOUT, user, address, f"{failures} mislykkede login")

        async def write() -> None:
            try:
                await self._run(login_store.lock, self.store, user, failures, address)
            except Exception:
                log.exception("writing a lockout failed")
            finally:
                self._pending_locks.discard(user)

        self._spawn(write())

    async def _fresh_nonce(self, user: str, nonce: str, expires: float) -> bool:
        digest = hashlib.sha256(f"{user}\0{nonce}".encode()).hexdigest()
        if digest in self._nonces:
            return False
        self._nonces[digest] = expires
        if self.shared_nonces:
            run = self._run_shared or self._run
            at = datetime.fromtimestamp(expires, UTC)
            fresh: bool = await run(login_store.remember_nonce, self.store, digest, at)
            return fresh
        return True

    # -- administration --

    def forget(self, user: str | None = None) -> None:
        """Drop remembered successful checks (all, or one user's: a changed secret)."""
        if user is None:
            self._ok.clear()
        else:
            self._ok.pop(user, None)

    def is_locked(self, user: str) -> bool:
        return user in self._locked

    async def unlock(self, user: str, by: str) -> bool:
        """Unlock `user` now (on this node; the others follow within `refresh_seconds`)."""
        gone = await self._run(login_store.unlock, self.store, user, by)
        self._forget_locked(user)
        audit_log.warning("login unlock user=%s by=%s", user, by)
        return gone

    def _forget_locked(self, user: str) -> None:
        self._locked.discard(user)
        self._users.pop(user, None)

    # -- audit and refresh --

    def _event(self, event: str, user: str | None, address: str | None, detail: str) -> None:
        self._audit.append(AuditEvent(utcnow(), event, user, address, detail))
        level = logging.WARNING if event == login_store.LOCKOUT else logging.INFO
        audit_log.log(level, "login %s user=%s address=%s (%s)", event, user, address, detail)

    def events_pending(self) -> int:
        return len(self._audit)

    async def _flush(self) -> None:
        events, self._audit = self._audit, []
        refused, self._refused = self._refused, collections.Counter()
        at = utcnow()
        for (event, why, user, address), n in refused.items():
            events.append(AuditEvent(at, event, user, address, f"{n} × {why}"))
            audit_log.info("login %s user=%s address=%s: %d × %s", event, user, address, n, why)
        if events:
            await self._run(login_store.write_audit, self.store, events)

    async def refresh(self) -> None:
        """Write the pending audit, re-read the lockouts, forget what has expired."""
        await self._flush()
        in_db = set(await self._run(login_store.locked_users, self.store))
        for user in self._locked - in_db - self._pending_locks:
            self._forget_locked(user)  # unlocked by an administrator
        for user in in_db - self._locked:
            self._locked.add(user)  # locked on another node
            self._ok.pop(user, None)
        now, wall = time.monotonic(), time.time()
        window = self.policy.lockout_window
        for table in (self._users, self._addresses):
            for key in [k for k, t in table.items() if not t.count(now, window) and t.until < now]:
                del table[key]
        for user in [u for u, (_tag, exp) in self._ok.items() if exp <= now]:
            del self._ok[user]
        for digest in [d for d, exp in self._nonces.items() if exp < wall]:
            del self._nonces[digest]
        if self.shared_nonces:
            await self._run(login_store.purge_nonces, self.store, utcnow())

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(max(0.05, self.policy.refresh_seconds))
            try:
                await self.refresh()
            except Exception:
                log.exception("login guard refresh failed")


__all__ = ["LoginGuard", "LoginPolicy", "LoginRefused", "Refusal", "parse_created"]
