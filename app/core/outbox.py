"""Deliver the distributor's decisions from the local outbox to SF2900 (and the gateway).

Every decision was written to the outbox before anything left the machine (`Cache.enqueue`).
`OutboxWorker` takes due entries one at a time (pending → sending, atomically) and delivers
each with its own `AnvenderTransaktionsID` — the same on every retry, so a retry after a crash
or a timeout is never a second delivery (the receiver answers DUPLIKAT, which is success).

- journalise: DOKUMENT on the case (SagForslag, KLE from the DUBU case, Fremdrift "Modtaget"),
  plus a JOURNALPOST with the journal note if the distributor wrote one (its own derived
  transaction id, also stable across retries).
- assign: DOKUMENT with Fremdrift "Fordelt" and BrugerRef = the caseworker.
- forward: DOKUMENT routed to another receiving system (RoutingValg: a named system or a KLE
  subject), no case.
- journal note (decided on its own): a JOURNALPOST on the case.
- reject: no SF2900 object; the outcome is recorded on the gateway only.

Each entry carries its typed decision (`app.decisions`); the SF2900 values (`Sf2900Document`,
`Sf2900JournalNote`) are built from the decision, the stored message header and the DUBU case.

Transport trouble (network, HTTP 5xx, timeouts, SOAP faults, TransportKvittering FEJL, DUBU
directory down) is retried with tenacity exponential backoff + jitter and per-call timeouts;
when a round's attempts are used up the entry goes back to pending with a later
`next_attempt_at`. A business rejection (AFVIST / FEJLET, or a case DUBU does not know) is
never retried: the entry becomes "rejected" and the item "fejlet" with the reason for the user.
After delivery the outcome is recorded on the gateway mailbox (idempotent, retried, tracked
durably by `gateway_recorded_at`). `on_status(SyncStatus)` reports the connection to the
remote parties in plain Danish (degraded while retrying, offline after `offline_after`
consecutive failures, online again after the next answer). Qt-free; never logs message content
or CPR numbers.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import tenacity

from app.core.sync import ConnectionState, SyncStatus, seconds_da
from app.core.worker import DbWorker
from app.decisions import Assign, Decision, Forward, Journalise, JournalNote, Reject
from app.dubu.directory import CaseInfo, DubuDirectory, DubuUnavailable
from app.dubu.sf2900_client import (
    DEFAULT_KLE,
    DocumentFile,
    LetterHeader,
    Party,
    Sf2900Client,
    Sf2900Document,
    Sf2900JournalNote,
    Sf2900Rejected,
    Sf2900Result,
    Sf2900Unavailable,
)
from app.models.cache import GATEWAY_OUTCOME, Cache, OutboxTask, utcnow
from app.sf1606.mailbox_client import MailboxError, MailboxUnavailable

__all__ = [
    "DEFAULT_KLE",
    "TRANSIENT_ERRORS",
    "OutboxWorker",
    "OutcomeRecorder",
    "PermanentDeliveryError",
]

log = logging.getLogger("postfordeler.outbox")

T = TypeVar("T")

# Transport trouble with SF2900, DUBU or the gateway: retried, never a final outcome.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    Sf2900Unavailable,
    TimeoutError,
    ConnectionError,
    DubuUnavailable,
    MailboxUnavailable,
)


class PermanentDeliveryError(Exception):
    """The entry cannot be delivered as decided (e.g. the case is unknown): do not retry."""


class OutcomeRecorder(Protocol):
    """Where delivered outcomes are recorded: the gateway mailbox (`MailboxClient`)."""

    async def record_outcome(
        self, item_id: int, outcome: str, *, case_id: str | None = None, note: str | None = None
    ) -> None: ...


class OutboxWorker:
    def __init__(
        self,
        cache: Cache,
        sf2900: Sf2900Client,
        directory: DubuDirectory,
        mailbox: OutcomeRecorder | None = None,
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
    ) -> None:
        self.cache = cache
        self.sf2900 = sf2900
        self.directory = directory
        self.mailbox = mailbox
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

    # ----------------------------------------------------------------- public

    async def run_once(self) -> int:
        """Deliver every entry that is due now; record delivered outcomes on the gateway.
        Returns how many entries reached a final state (delivered or rejected) in this round."""
        if not self._recovered:
            recovered = await self.worker.submit(self.cache.recover_sending)
            if recovered:
                log.info(
                    "%d outbox entries were left in 'sending' by a crash; retrying them", recovered
                )
            self._recovered = True
        done = 0
        while not self._stop.is_set():
            task = await self.worker.submit(self.cache.next_due)
            if task is None:
                break
            if await self._deliver(task):
                done += 1
            self._changed()
        await self._record_outcomes()
        return done

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
        """A remote party answered (delivered, duplicate or a business rejection): online."""
        was = self.status
        self._failures = 0
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

    async def _deliver(self, task: OutboxTask) -> bool:
        try:
            receipt = await self._send(task)
        except Sf2900Rejected as exc:
            self._answered()
            log.warning("outbox %s rejected by the receiver: %s", task.id, exc.status)
            await self.worker.submit(
                self.cache.apply_delivery_result,
                task.id,
                delivered=False,
                receipt={"status": exc.status, "reasons": list(exc.reasons)},
                reason=exc.reason,
            )
            return True
        except PermanentDeliveryError as exc:
            await self.worker.submit(
                self.cache.apply_delivery_result, task.id, delivered=False, reason=str(exc)
            )
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
        await self.worker.submit(
            self.cache.apply_delivery_result, task.id, delivered=True, receipt=receipt
        )
        if isinstance(task.decision, Reject) and receipt.get("gateway") == "recorded":
            await self.worker.submit(self.cache.mark_gateway_recorded, task.id)
        return True

    async def _case(self, case_id: str) -> CaseInfo:
        case = await self._retry(lambda: self.directory.case(case_id))
        if case is None:
            raise PermanentDeliveryError("Sagen findes ikke i DUBU – vælg en anden sag")
        return case

    async def _send(self, task: OutboxTask) -> dict[str, Any]:
        decision = task.decision
        if isinstance(decision, Reject):
            return await self._send_reject(task, decision)
        item = await self.worker.submit(self.cache.item, task.item_id)
        source = await asyncio.to_thread(self.cache.delivery_source, task.item_id)
        msg = source.header  # the stored header: no parse
        case_id = None if isinstance(decision, Forward) else decision.case_id
        case = await self._case(case_id) if case_id else None
        letter = LetterHeader(
            message_uuid=msg.message_uuid,
            title=msg.label,
            letter_date=msg.created or item["received_at"],
            received_at=item["received_at"],
            parties=(Party(msg.sender.id, msg.sender.id_type),) if msg.sender.id else (),
        )
        if isinstance(decision, JournalNote):
            assert case is not None  # a journal note always has a case
            alone = Sf2900JournalNote.for_decision(
                decision,
                transaction_id=task.transaction_id,
                user=task.user,
                letter=letter,
                case=case,
            )
            result = await self._retry(lambda: self.sf2900.send(alone))
            return {"journal_note": result.to_json(), "kle": alone.kle}
        files = [
            DocumentFile(f.safe_filename, f.mime, data, role=str(f.role))
            for f, data in source.files
        ]
        if not files:
            raise PermanentDeliveryError("Meddelelsen har ingen filer at journalisere")
        doc = Sf2900Document.for_decision(
            decision,
            transaction_id=task.transaction_id,
            user=task.user,
            letter=letter,
            files=files,
            case=case,
        )
        sent: Sf2900Result = await self._retry(lambda: self.sf2900.send(doc))
        receipt: dict[str, Any] = {"document": sent.to_json(), "kle": doc.kle}
        note = None if isinstance(decision, Forward) else decision.note
        if note is not None:
            jn = Sf2900JournalNote.for_document(note, doc)
            noted = await self._retry(lambda: self.sf2900.send(jn))
            receipt["journal_note"] = noted.to_json()
        return receipt

    async def _send_reject(self, task: OutboxTask, decision: Reject) -> dict[str, Any]:
        if self.mailbox is None:
            return {"gateway": "not configured"}
        gw_id = await self.worker.submit(self.cache.gateway_item_id, task.item_id)
        if gw_id is None:
            return {"gateway": "unknown item"}
        await self._record(gw_id, "afvist", case_id=None, note=decision.reason)
        return {"gateway": "recorded", "outcome": "afvist"}

    # ----------------------------------------------------------------- gateway outcomes

    async def _record(
        self, gw_id: int, outcome: str, *, case_id: str | None, note: str | None
    ) -> None:
        mailbox = self.mailbox
        assert mailbox is not None
        await self._retry(
            lambda: mailbox.record_outcome(gw_id, outcome, case_id=case_id, note=note)
        )

    async def _record_outcomes(self) -> None:
        if self.mailbox is None:
            return
        rows = await self.worker.submit(self.cache.unrecorded_outcomes)
        for row in rows:
            if self._stop.is_set():
                return
            gw_id = await self.worker.submit(self.cache.gateway_item_id, row.item_id)
            if gw_id is None:
                await self.worker.submit(self.cache.mark_gateway_recorded, row.id)
                continue
            case_id, note = gateway_record(row.decision)
            try:
                await self._record(gw_id, GATEWAY_OUTCOME[row.action], case_id=case_id, note=note)
            except self._transient as exc:
                await self.worker.submit(self.cache.mark_gateway_recorded, row.id, _plain(exc))
                return  # the gateway is down: try the rest next round
            except MailboxError as exc:
                # The gateway refuses (e.g. a colleague's claim): the delivery stands; keep the text.
                log.warning("gateway refused outcome of outbox %s", row.id)
                await self.worker.submit(self.cache.mark_gateway_recorded, row.id, None)
                await self.worker.submit(self.cache.mark_gateway_recorded, row.id, _plain(exc))
                continue
            await self.worker.submit(self.cache.mark_gateway_recorded, row.id)
            self._answered()
            self._changed()


def gateway_record(decision: Decision) -> tuple[str | None, str | None]:
    """The case id and the note the gateway records with a decision's outcome: the reason of
    a rejection, the caseworker of an assignment, the journal note's text otherwise."""
    match decision:
        case Reject(reason=reason):
            return None, reason
        case Assign(caseworker_id=cw_id, caseworker_label=cw_label, case_id=case_id):
            return case_id, cw_label or cw_id
        case Journalise(case_id=case_id, note=note):
            return case_id, note.text if note is not None else None
        case JournalNote(case_id=case_id, text=text):
            return case_id, text
        case Forward():
            return None, None
    raise AssertionError(f"unknown decision {decision!r}")  # pragma: no cover


def _party(exc: BaseException) -> str:
    """The remote party behind a transient error, in Danish."""
    name = type(exc).__name__
    if name.startswith("Sf2900"):
        return "Fordelingskomponenten (SF2900)"
    if name.startswith("Dubu"):
        return "DUBU-sagsopslaget"
    if name.startswith("Mailbox"):
        return "postserveren"
    return "en modtager"


def _plain(exc: BaseException) -> str:
    text = getattr(exc, "text", None) or getattr(exc, "reason", None) or str(exc)
    return text or type(exc).__name__
