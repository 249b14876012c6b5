"""Deliver the distributor's decisions from the local outbox to the gateway.

Every decision was written to the outbox before anything left the machine (`Cache.enqueue` /
`Cache.decide`). `OutboxWorker` takes due entries one at a time (pending → sending, atomically)
and hands each to the gateway (`POST /decisions`, `app.sf1606.gateway_client`) with its own
UUID as `decision_id` — the same on every retry, so a retry after a crash or a timeout is never
a second delivery (the gateway answers the same id with the same state). The gateway keeps its
own durable outbox and delivers to SF2900 (SFTP + SOAP, `AnvenderTransaktionsID` = the
decision id); the desktop holds no Serviceplatformen certificate, key or token.

The gateway's answer is the item's delivery state (`afventer`, or `afsluttet` for the
distributor's Afvis), stored on the item; later states (sendt, accepteret, afvist_af_dubu,
fejlet) come with the sync. Until the gateway has it the item is `lokal` (on this PC only).

Transport trouble (network, TLS, HTTP 5xx, timeouts) is retried with tenacity exponential
backoff + jitter and per-call timeouts; when a round's attempts are used up the entry goes back
to pending with a later `next_attempt_at` (offline it simply stays queued; so does a refused
login, HTTP 401/403: a configuration problem, not a verdict). A refusal (HTTP 4xx:
ALLEREDE_BEHANDLET, OPTAGET, UKENDT, UGYLDIG) is never retried: the entry becomes "rejected"
and the item "fejlet" with the gateway's Danish reason for the user; when the item is taken
(another decision or a colleague), its real state is then read from the gateway. `on_status
(SyncStatus)` reports the connection in plain Danish (degraded while retrying, offline after
`offline_after` consecutive failures, online again after the next answer). Qt-free; never logs
message content or CPR numbers.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

import tenacity

from app.core.audit_delivery import AccessLogDelivery, AuditSink
from app.core.sync import ConnectionState, SyncStatus, seconds_da
from app.core.worker import DbWorker
from app.models.cache import Cache, OutboxTask, RemoteState, utcnow
from app.sf1606.gateway_client import DeliveryStatus, GatewayRefused, GatewayUnavailable
from app.sf1606.mailbox_client import MailboxError, MailboxUnavailable

__all__ = [
    "TRANSIENT_ERRORS",
    "DecisionGateway",
    "OutboxWorker",
    "remote_state",
]

log = logging.getLogger("postfordeler.outbox")

T = TypeVar("T")

# Transport trouble with the gateway: retried, never a final outcome.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    GatewayUnavailable,
    TimeoutError,
    ConnectionError,
)
# Refusals after which the item's real state is read back from the gateway.
NOT_CLAIMED = "IKKE_RESERVERET"  # the gateway's answer to a decision without the caller's claim
TAKEN_CODES = ("ALLEREDE_BEHANDLET", "OPTAGET")


class DecisionGateway(Protocol):
    """Where decisions go: the gateway's decision API (`GatewayClient`)."""

    async def submit(
        self, decision_id: str, message_uuid: str, action: str, decision: Mapping[str, Any]
    ) -> DeliveryStatus: ...

    async def status(self, message_uuid: str) -> DeliveryStatus: ...


def remote_state(answer: DeliveryStatus) -> RemoteState:
    """The gateway's answer as the cache stores it."""
    return RemoteState(
        state=answer.state,
        decision=answer.decision,
        reason=answer.reason,
        decision_id=answer.decision_id,
        follow_up=answer.follow_up,
    )


class OutboxWorker:
    def __init__(
        self,
        cache: Cache,
        gateway: DecisionGateway,
        *,
        worker: DbWorker | None = None,
        call_timeout: float = 30.0,
        attempts_per_round: int = 4,
        initial_backoff: float = 0.2,
        max_backoff: float = 5.0,
        max_defer: float = 300.0,
        defer_base: float = 1.0,
        on_change: Callable[[dict[str, int]], None] | None = None,
        on_status: Callable[[SyncStatus], None] | None = None,
        offline_after: int = 3,
        claim: Callable[[int], Awaitable[bool | str]] | None = None,
    ) -> None:
        self.cache = cache
        # claims an item at the gateway before a decision made without a claim (offline) is
        # handed over again: True claimed, False unreachable, a str the Danish refusal
        self.claim = claim
        self.gateway = gateway
        self._own_worker = worker is None
        self.worker = worker or DbWorker()
        self.call_timeout = call_timeout
        self.attempts_per_round = attempts_per_round
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_defer = max_defer
        self.defer_base = defer_base
        self.on_change = on_change
        self.on_status = on_status
        self.offline_after = offline_after
        self._failures = 0
        self.status: SyncStatus | None = None  # the last status emitted (None: nothing yet)
        self._recovered = False
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._transient = TRANSIENT_ERRORS
        # the gateway's message when it refused our login (401/403) last time, else None
        self.login_refused: str | None = None
        # the local access log is a buffer: each round also delivers its new rows (a gateway
        # without the access-log API, e.g. a test double, is left alone)
        self.access_log: AccessLogDelivery | None = None
        if hasattr(gateway, "audit_deliver") and hasattr(gateway, "audit_high_water"):
            self.access_log = AccessLogDelivery(cache, cast(AuditSink, gateway), self.worker)

    # ----------------------------------------------------------------- public

    async def run_once(self, *, all_pending: bool = False) -> int:
        """Hand every entry that is due now to the gateway (`all_pending`: every pending entry,
        its backoff ignored, e.g. `postfordeler outbox run --once`). Returns how many entries
        reached a final state (the gateway has it, or refused it) in this round."""
        if not self._recovered:
            recovered = await self.worker.submit(self.cache.recover_sending)
            if recovered:
                log.info(
                    "%d outbox entries were left in 'sending' by a crash; retrying them", recovered
                )
            self._recovered = True
        done = 0
        if all_pending:  # each pending entry once, in order, due or not
            for outbox_id in await self.worker.submit(self.cache.pending_ids):
                if self._stop.is_set():
                    break
                if await self.deliver(outbox_id):
                    done += 1
            await self._deliver_access_log()
            return done
        while not self._stop.is_set():
            task = await self.worker.submit(self.cache.next_due)
            if task is None:
                break
            if await self._deliver(task):
                done += 1
            self._changed()
        await self._deliver_access_log()
        return done

    async def _deliver_access_log(self) -> None:
        if self.access_log is None:
            return
        try:
            sent = await self.access_log.deliver_once()
        except (GatewayRefused, GatewayUnavailable) as exc:  # kept locally; next round
            log.info("access log not delivered yet (%s)", type(exc).__name__)
            return
        if sent:
            log.info("access log: %d events delivered to the gateway", sent)

    def trigger(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self, poll: float = 2.0) -> None:
        """Run rounds until `stop()`; sleeps until the next entry is due, `poll` at most."""
        while not self._stop.is_set():
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox round failed")
            self._wake.clear()
            delay = poll
            try:
                wake_at = await self.worker.submit(self.cache.next_wakeup)
                if wake_at is not None:
                    delay = max(0.05, min(poll, (wake_at - utcnow()).total_seconds()))
            except Exception:  # the next round reads it again; poll meanwhile
                log.debug("next_wakeup failed", exc_info=True)
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def close(self) -> None:
        if self._own_worker:
            self.worker.close()

    # ----------------------------------------------------------------- delivery

    def _changed(self) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(self.cache.outbox_counts())
        except Exception:
            log.exception("outbox change callback failed")

    def _emit(self, status: SyncStatus) -> None:
        self.status = status
        if self.on_status is None:
            return
        try:
            self.on_status(status)
        except Exception:
            log.exception("outbox status callback failed")

    def _trouble(self, exc: BaseException, retry_in: float | None) -> None:
        """A transient failure talking to SF2900 / DUBU / the gateway: degraded, then offline."""
        self._failures += 1
        party = _party(exc)
        when = f" Næste forsøg om {seconds_da(retry_in)}." if retry_in is not None else ""
        if self._failures >= self.offline_after:
            state = ConnectionState.OFFLINE
            msg = (
                f"Offline: {party} kan ikke nås. Dine beslutninger venter sikkert i udbakken "
                f"og sendes, når forbindelsen er tilbage.{when}"
            )
        else:
            state = ConnectionState.DEGRADED
            msg = f"Forbindelsen til {party} svigter – udbakken prøver igen.{when}"
        last = self.status
        self._emit(
            SyncStatus(
                state,
                msg,
                last_error=_plain(exc),
                last_success_at=getattr(last, "last_success_at", None),
                failures=self._failures,
                retry_in=retry_in,
            )
        )

    def _answered(self) -> None:
        """The gateway answered (it has the decision, or refused it): online."""
        was = self.status
        self._failures = 0
        self.login_refused = None
        if was is None or was.state != ConnectionState.ONLINE:
            self._emit(
                SyncStatus(
                    ConnectionState.ONLINE,
                    "Forbundet. Udbakken sendes.",
                    last_success_at=datetime.now(UTC),
                )
            )

    def _retrying(self) -> tenacity.AsyncRetrying:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if exc is not None:
                self._trouble(exc, state.next_action.sleep if state.next_action else None)

        return tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception_type(self._transient),
            wait=tenacity.wait_exponential_jitter(
                multiplier=self.initial_backoff, jitter=self.initial_backoff, max=self.max_backoff
            ),
            stop=tenacity.stop_after_attempt(self.attempts_per_round),
            before_sleep=before_sleep,
            reraise=True,
        )

    async def _retry(self, fn: Callable[[], Awaitable[T]]) -> T:
        async for attempt in self._retrying():
            with attempt:
                return await asyncio.wait_for(fn(), self.call_timeout)
        raise AssertionError("unreachable")  # pragma: no cover

    def _defer_delay(self, attempts: int) -> float:
        """Wait before the next round for an entry: exponential in its attempts, jittered
        (`defer_base` * 2^attempts * [0.5, 1)), at most `max_defer`."""
        base = min(self.max_defer, self.defer_base * 2.0 ** min(attempts, 12))
        return base * (0.5 + random.random() / 2)

    async def deliver(self, outbox_id: int) -> bool:
        """Hand one entry to the gateway now if it is due (the CLI's single delivery). True
        when it reached a final state; False when it stays queued (gateway out of reach)."""
        task = await self.worker.submit(self.cache.take, outbox_id)
        if task is None:
            return False
        done = await self._deliver(task)
        self._changed()
        return done

    async def _deliver(self, task: OutboxTask) -> bool:
        try:
            answer = await self._send(task)
        except GatewayRefused as exc:
            if exc.status in (401, 403):
                # the user or secret is wrong (e.g. a changed password): a configuration
                # problem, not a verdict on the decision, which stays queued
                delay = self.max_defer
                self.login_refused = exc.message
                self._trouble(exc, delay)
                log.warning("outbox %s: the gateway refused the login; kept queued", task.id)
                await self.worker.submit(self.cache.defer, task.id, exc.message, delay)
                return False
            self._answered()
            log.warning("outbox %s refused by the gateway: %s", task.id, exc.code)
            await self.worker.submit(self.cache.refuse_decision, task.id, exc.message)
            if exc.code in TAKEN_CODES:
                await self._refresh(task)
            return True
        except self._transient as exc:
            delay = self._defer_delay(task.attempts)
            self._trouble(exc, delay)
            log.info(
                "outbox %s: transient failure (%s), retry in %.0f s",
                task.id,
                type(exc).__name__,
                delay,
            )
            await self.worker.submit(self.cache.defer, task.id, _plain(exc), delay)
            return False
        except Exception as exc:
            log.exception("outbox %s: unexpected failure", task.id)
            await self.worker.submit(
                self.cache.defer, task.id, f"Uventet fejl: {type(exc).__name__}", self.max_defer
            )
            return False
        self._answered()
        await self.worker.submit(self.cache.apply_gateway_answer, task.id, remote_state(answer))
        return True

    async def _send(self, task: OutboxTask) -> DeliveryStatus:
        item = await self.worker.submit(self.cache.item, task.item_id)
        message_uuid = str(item["message_uuid"])
        payload = task.decision.to_json()

        async def submit() -> DeliveryStatus:
            return await self._retry(
                lambda: self.gateway.submit(task.transaction_id, message_uuid, task.action, payload)
            )

        try:
            return await submit()
        except GatewayRefused as exc:
            if exc.code != NOT_CLAIMED or self.claim is None:
                raise
            # decided without a claim (offline, or the lease was taken over and given back):
            # claim now, then hand it over again; a colleague's claim refuses the decision
            claimed = await self.claim(task.item_id)
            if isinstance(claimed, str):
                raise GatewayRefused("OPTAGET", claimed, 409) from None
            if not claimed:
                raise
            return await submit()

    async def _refresh(self, task: OutboxTask) -> None:
        """After ALLEREDE_BEHANDLET / OPTAGET: the item's real state, read from the gateway."""
        try:
            item = await self.worker.submit(self.cache.item, task.item_id)
            answer = await asyncio.wait_for(
                self.gateway.status(str(item["message_uuid"])), self.call_timeout
            )
        except GatewayRefused:
            return  # the next sync brings it
        except TRANSIENT_ERRORS:
            return
        await self.worker.submit(self.cache.apply_item_state, task.item_id, remote_state(answer))


def _party(exc: BaseException) -> str:
    """The remote party behind a transient error, in Danish."""
    if isinstance(exc, GatewayUnavailable) and exc.code == "TLS":
        return "postserveren (certifikatet kan ikke verificeres)"
    if isinstance(exc, GatewayRefused):
        return f"postserveren ({exc.message.lower()})"
    return "postserveren"


def _plain(exc: BaseException) -> str:
    text = getattr(exc, "text", None) or getattr(exc, "reason", None) or str(exc)
    return text or type(exc).__name__


def mailbox_claimer(
    cache: Cache,
    worker: DbWorker,
    open_mailbox: Callable[[], Any],
    lease_seconds: int = 300,
) -> Callable[[int], Awaitable[bool | str]]:
    """A `claim` hook for OutboxWorker that claims through the mailbox (`open_mailbox()`
    returns a fresh `MailboxClient`; ReservationOpret): True held, False unreachable, else
    the gateway's Danish refusal (a colleague holds it)."""

    async def claim(item_id: int) -> bool | str:
        gateway_id = await worker.submit(cache.gateway_item_id, item_id)
        if gateway_id is None:
            return False
        mailbox = open_mailbox()
        try:
            info = await mailbox.claim(gateway_id, lease_seconds)
        except MailboxUnavailable:
            return False
        except MailboxError as exc:
            return str(exc.text)
        finally:
            await mailbox.close()
        await worker.submit(cache.set_claim, item_id, info.user, info.expires_at)
        return True

    return claim
