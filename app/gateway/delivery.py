"""The gateway's delivery worker: decisions from the gateway outbox to SF2900 (DESIGN9).

`GatewayDelivery(store, deliverer, node_id, directory=...)` takes due rows of `gw_outbox` one at a
time with a lease (`GatewayStore.claim_delivery`: SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE
on SQLite; a node that dies loses its lease and another node takes the row) and delivers the
decision as SF2900 DistributionObjects ("parts"):

- journalise / assign / forward: one DOKUMENT per file of the stored message (the spec allows
  one file per DOKUMENT). Every DOKUMENT carries the same SagForslag (journalise/assign), so a
  caseworker finds all files on the case; with several files each title says which one it is:
  "<brevets titel> (bilag 2 af 3: <filnavn>)". A journal note of journalise/assign follows as
  a JOURNALPOST referring to the first DOKUMENT.
- journal note decided alone: one JOURNALPOST.
- reject never gets here: the distributor's Afvis ends at the gateway (`afsluttet`).

Part 0's AnvenderTransaktionsID is the decision id, the others `uuid5(decision_id,
"part-<n>")` (`part_transaction_id`). The DUBU case (KLE, handling facet) is looked up once
through the DUBU directory and kept with the plan; only the case id, number and KLE are stored.

Each step is persisted before the next: plan (parts `pending`) → file uploaded by SFTP
(`uploaded`, remote name + sha256) → SOAP call answered MODTAGET (`sent`). A SIGKILL at any
moment therefore neither loses nor duplicates a delivery: the next attempt re-uploads under the
same remote name (same bytes, same name: the upload is skipped or repeated harmlessly) and
re-sends with the same AnvenderTransaktionsID (SF2900 answers DUPLIKAT, which is success).

Errors: SF2900's AFVIST/FEJLET → the decision becomes `afvist_af_dubu` / `fejlet` with the
reason; a permanent error of the decision (case unknown in DUBU, no files, a name conflict on
the SFTP server) → `fejlet`; transport trouble (SF2900, SFTP, DUBU down, timeouts) → retried
later with exponential backoff and jitter. Never logs message content, file names, notes or
CPR numbers: only ids, counts, sizes and error codes.

The deliverer is a `Deliverer` (`upload(part) -> UploadedFile`, `send(obj) -> Sf2900Result`):
`app.dubu.sf2900_delivery.Sf2900Delivery`, SF2900 as published. Every file of a decision is
uploaded first (each upload persisted), then the DistributionObjects are built with
`document_parts` (one published DOKUMENT per uploaded file, `RemoteFile`, no bytes in the call;
Notat Base64, no DigitalPostMeddelelsesID, VariantType/Fremdrift/ImportTidspunkt per the spec)
and sent in part order, each `sent` step persisted with its DistributionTransaktionsID.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import socket
import ssl
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

from app.decisions import (
    Assign,
    Decision,
    DecisionError,
    Forward,
    Journalise,
    JournalNote,
    Reject,
    decision_from_json,
)
from app.dubu.directory import CaseInfo, DubuDirectory, DubuUnavailable, HttpDubuDirectory
from app.dubu.sf2900_client import (
    LetterHeader,
    Party,
    RemoteFile,
    Sf2900Document,
    Sf2900JournalNote,
    Sf2900Rejected,
    Sf2900Result,
    Sf2900Unavailable,
    document_parts,
)
from app.dubu.sf2900_delivery import PartUpload, Sf2900Delivery, Sf2900Settings
from app.dubu.sftp_upload import SftpConfig, SftpUploadError, UploadedFile
from app.gateway.store import (
    KIND_DOCUMENT,
    KIND_JOURNAL_POST,
    STEP_PENDING,
    STEP_UPLOADED,
    DeliveryJob,
    DeliveryPart,
    GatewayStore,
    LeaseLost,
    PartPlan,
    utcnow,
)
from app.sf1606.memo import decode_file_base64, read_memo
from app.sf1606.model import MemoError, MemoFile, MemoMessage
from app.sf1606.stored import facts_from_json

__all__ = [
    "Deliverer",
    "DeliverySettings",
    "GatewayDelivery",
    "PermanentDeliveryError",
    "StoredMessage",
]

log = logging.getLogger("postfordeler.gateway.delivery")
_P = ParamSpec("_P")
_T = TypeVar("_T")

# SFTP errors that are the decision's own (retrying cannot help); other SFTP errors (server
# down, key or host-key configuration) are retried until an operator fixes them.
_PERMANENT_SFTP = frozenset({"conflict", "local_file"})
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    Sf2900Unavailable,
    DubuUnavailable,
    TimeoutError,
    ConnectionError,
    OSError,
)


class PermanentDeliveryError(Exception):
    """The decision cannot be delivered as it is (str() is Danish): `fejlet`, never retried."""


class Deliverer(Protocol):
    """What the worker needs of SF2900 (`Sf2900Delivery`): an SFTP upload before the SOAP
    call, and the SOAP call answering the technical receipt."""

    async def upload(self, part: PartUpload) -> UploadedFile: ...

    async def send(self, obj: Sf2900Document | Sf2900JournalNote) -> Sf2900Result: ...


@dataclass
class DeliverySettings:
    """SF2900 delivery from the gateway (`GatewayConfig.delivery`; None: no delivery worker).

    `sf2900`: SF2900 as published (`Sf2900Settings`: the SF2900 URL, the municipality's FOCES
    certificate, the STS or AuthorityContext, SFTP); a `Sf2900Delivery` is built from it and
    closed with the gateway. Without it, `sf2900_url` + `municipality_cvr` + `sftp` make the
    same published delivery with AuthorityContext (`auth="authority"`; TLS per `sf2900_ssl`).
    `deliverer`/`directory` may be given ready-made; otherwise an `HttpDubuDirectory` at
    `dubu_url` looks up the cases."""

    sf2900: Sf2900Settings | None = None
    sf2900_url: str | None = None
    municipality_cvr: str | None = None
    sftp: SftpConfig | None = None
    dubu_url: str | None = None
    sf2900_ssl: ssl.SSLContext | None = None
    node_id: str | None = None
    lease_seconds: float = 300.0
    poll_seconds: float = 2.0
    call_timeout: float = 120.0
    initial_backoff: float = 1.0
    max_backoff: float = 300.0
    concurrency: int = 4  # decisions delivered at the same time by this node
    deliverer: Deliverer | None = None
    directory: DubuDirectory | None = None

    def sf2900_settings(self) -> Sf2900Settings:
        """The published SF2900 settings this delivery uses (`sf2900`, else built from
        `sf2900_url`, `municipality_cvr` and `sftp` with AuthorityContext)."""
        if self.sf2900 is not None:
            return self.sf2900
        if not (self.sf2900_url and self.municipality_cvr and self.sftp):
            raise ValueError("SF2900-levering kræver sf2900_url, municipality_cvr og sftp")
        return Sf2900Settings(
            service_url=self.sf2900_url,
            municipality_cvr=self.municipality_cvr,
            sftp=self.sftp,
            auth="authority",
            timeout=min(self.call_timeout, 60.0),
        )

    def open(
        self, store: GatewayStore, spool_dir: Path, run: Callable[..., Awaitable[Any]] | None
    ) -> tuple[GatewayDelivery, list[Callable[[], Awaitable[None]]]]:
        """The worker and the close callbacks of what was built here. (`spool_dir` is kept
        for callers; uploads go from memory, nothing is spooled.)"""
        closers: list[Callable[[], Awaitable[None]]] = []
        deliverer = self.deliverer
        if deliverer is None:
            published = Sf2900Delivery(self.sf2900_settings(), ssl_context=self.sf2900_ssl)
            closers.append(published.close)
            deliverer = published
        directory = self.directory
        if directory is None:
            if not self.dubu_url:
                raise ValueError("SF2900-levering kræver dubu_url (sagsopslag i DUBU)")
            http_directory = HttpDubuDirectory(self.dubu_url)
            closers.append(http_directory.close)
            directory = http_directory
        worker = GatewayDelivery(
            store,
            deliverer,
            self.node_id,
            directory=directory,
            lease_seconds=self.lease_seconds,
            poll_seconds=self.poll_seconds,
            call_timeout=self.call_timeout,
            initial_backoff=self.initial_backoff,
            max_backoff=self.max_backoff,
            concurrency=self.concurrency,
            run=run,
        )
        return worker, closers


def _case_facts(case: CaseInfo | None) -> dict[str, Any]:
    # only what the SF2900 objects need: never the child's CPR or name
    if case is None:
        return {"case": None}
    return {"case": {"id": case.id, "number": case.number, "kle": case.kle}}


def _case_from_facts(plan: dict[str, Any]) -> CaseInfo | None:
    facts = plan.get("case")
    if not facts:
        return None
    return CaseInfo(
        id=str(facts["id"]),
        number=str(facts.get("number") or ""),
        title="",
        kle=str(facts.get("kle") or ""),
        child_cpr="",
        child_name="",
        parties=(),
        caseworker=None,
        status="open",
        opened=None,
        closed=None,
    )


def _plan_parts(decision: Decision, files: Sequence[MemoFile]) -> list[PartPlan]:
    if isinstance(decision, JournalNote):
        return [PartPlan(KIND_JOURNAL_POST)]
    if not files:
        raise PermanentDeliveryError("Meddelelsen har ingen filer at sende til DUBU")
    parts = [PartPlan(KIND_DOCUMENT, i) for i in range(len(files))]
    note = None if isinstance(decision, Forward) else decision.note  # type: ignore[union-attr]
    if note is not None:
        parts.append(PartPlan(KIND_JOURNAL_POST))
    return parts


def _decision_case_id(decision: Decision) -> str | None:
    if isinstance(decision, Forward | Reject):
        return None
    return decision.case_id


async def _to_thread(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    return await asyncio.to_thread(fn, *args, **kwargs)


class GatewayDelivery:
    """Delivers the gateway outbox to SF2900 (see the module docstring). One per node."""

    def __init__(
        self,
        store: GatewayStore,
        deliverer: Deliverer,
        node_id: str | None = None,
        *,
        directory: DubuDirectory,
        lease_seconds: float = 300.0,
        poll_seconds: float = 2.0,
        call_timeout: float = 120.0,
        upload_timeout: float = 900.0,
        initial_backoff: float = 1.0,
        max_backoff: float = 300.0,
        step_delay: float = 0.0,
        concurrency: int = 4,
        run: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        """`run(fn, *args)`: how blocking store calls are run (default: asyncio.to_thread).
        `step_delay`: a pause after each persisted step (tests widen kill windows with it).
        `concurrency`: how many decisions this node delivers at the same time (each its own
        claimed row)."""
        self.store = store
        self.deliverer = deliverer
        self.directory = directory
        self.node_id = node_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.call_timeout = call_timeout  # a DUBU lookup, a SOAP call
        self.upload_timeout = upload_timeout  # one file by SFTP (up to ~99 MB)
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.step_delay = step_delay
        self.concurrency = max(1, concurrency)
        self._run = run or _to_thread
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.delivered = 0  # decisions that reached `sendt` (or later) through this worker
        # called with (decision_id, attempts, delay_seconds) whenever a delivery is deferred
        # after transient trouble (tests check the backoff schedule with it)
        self.on_defer: Callable[[str, int, float], None] | None = None

    # ----------------------------------------------------------------- control

    def wake(self) -> None:
        """A new decision arrived: look at the outbox now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the round: a wake during the round is not lost
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery round failed")
            delay = self.poll_seconds
            with contextlib.suppress(Exception):
                due = await self._run(self.store.next_delivery_at)
                if due is not None:
                    wait = (due - utcnow()).total_seconds()
                    delay = max(0.02, min(self.poll_seconds, wait))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def run_once(self) -> int:
        """Deliver every decision that is due now, `concurrency` at a time; returns how many
        were taken."""
        counts = await asyncio.gather(*(self._drain() for _ in range(self.concurrency)))
        return sum(counts)

    async def _drain(self) -> int:
        taken = 0
        while not self._stop.is_set():
            job = await self._run(self.store.claim_delivery, self.node_id, self.lease_seconds)
            if job is None:
                break
            taken += 1
            await self._deliver(job)
        return taken

    # ----------------------------------------------------------------- one decision

    def _backoff(self, attempts: int) -> float:
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** min(max(attempts - 1, 0), 20))
        return base * (0.5 + random.random() / 2)

    async def _pause(self) -> None:
        if self.step_delay:
            await asyncio.sleep(self.step_delay)

    async def _call(self, awaitable: Awaitable[_T], timeout: float | None = None) -> _T:
        return await asyncio.wait_for(awaitable, timeout or self.call_timeout)

    async def _deliver(self, job: DeliveryJob) -> None:
        did = job.decision_id
        try:
            await self._steps(job)
        except LeaseLost:
            log.info("delivery %s: lease lost (another node has it, or it is done)", did)
        except Sf2900Rejected as exc:
            # raised by _steps with the part; handled there
            log.warning("delivery %s: refused by SF2900 (%s)", did, exc.status)
        except PermanentDeliveryError as exc:
            log.warning("delivery %s: permanent error, decision fejlet", did)
            with contextlib.suppress(LeaseLost):
                await self._run(self.store.fail_delivery, did, self.node_id, str(exc))
        except SftpUploadError as exc:
            if not exc.transient and exc.reason in _PERMANENT_SFTP:
                log.warning("delivery %s: SFTP refused the file (%s)", did, exc.reason)
                with contextlib.suppress(LeaseLost):
                    await self._run(self.store.fail_delivery, did, self.node_id, str(exc))
            else:
                await self._defer(job, f"SFTP: {exc}", exc.reason, error=not exc.transient)
        except TRANSIENT_ERRORS as exc:
            await self._defer(job, _plain(exc), type(exc).__name__)
        except Exception as exc:
            log.exception("delivery %s: unexpected failure", did)
            await self._defer(job, f"Uventet fejl: {type(exc).__name__}", "unexpected")

    async def _defer(self, job: DeliveryJob, text: str, code: str, *, error: bool = False) -> None:
        delay = self._backoff(job.attempts)
        if self.on_defer is not None:
            self.on_defer(job.decision_id, job.attempts, delay)
        (log.error if error else log.info)(
            "delivery %s: %s, attempt %d, retry in %.1f s",
            job.decision_id,
            code,
            job.attempts,
            delay,
        )
        with contextlib.suppress(LeaseLost):
            await self._run(self.store.defer_delivery, job.decision_id, self.node_id, text, delay)

    async def _steps(self, job: DeliveryJob) -> None:
        did = job.decision_id
        if job.state != "afventer":  # finished meanwhile (a receipt, another node)
            await self._run(self.store.finish_delivery, did, self.node_id)
            return
        try:
            decision = decision_from_json(job.action, job.payload)
        except DecisionError as exc:
            raise PermanentDeliveryError(str(exc)) from None
        if isinstance(decision, Reject):  # never queued; nothing to send
            await self._run(self.store.finish_delivery, did, self.node_id)
            return
        stored = await self._run(self._message, job.item_id)
        message = stored.message
        files = message.files
        parts = list(job.parts)
        if parts:
            case = _case_from_facts(job.plan or {})
        else:
            case_id = _decision_case_id(decision)
            case = None
            if case_id is not None:
                case = await self._call(self.directory.case(case_id))
                if case is None:
                    raise PermanentDeliveryError("Sagen findes ikke i DUBU – vælg en anden sag")
            plan = _plan_parts(decision, files)
            parts = await self._run(
                partial(self.store.save_plan, lease_seconds=self.lease_seconds),
                did,
                self.node_id,
                _case_facts(case),
                plan,
            )
            await self._pause()
        received_at = await self._run(self._received_at, job.item_id)
        letter = LetterHeader(
            message_uuid=message.message_uuid,
            title=message.label,
            letter_date=message.created or received_at,
            parties=(Party(message.sender.id, message.sender.id_type),)
            if message.sender.id
            else (),
        )
        # 1. every file on the SFTP server first (each upload persisted before the next step)
        uploaded: dict[int, RemoteFile] = {}
        sha256: str | None
        for part in parts:
            if part.kind != KIND_DOCUMENT:
                continue
            assert part.file_index is not None
            f = files[part.file_index]
            if part.step == STEP_PENDING or part.remote_name is None:
                content = await self._run(stored.content, part.file_index)
                upload = PartUpload(did, part.file_index, f.safe_filename, f.mime, content=content)
                done = await self._call(self.deliverer.upload(upload), self.upload_timeout)
                await self._run(
                    self.store.mark_uploaded,
                    did,
                    part.part,
                    self.node_id,
                    remote_name=done.remote_name,
                    sha256=done.sha256,
                    size=done.size,
                    lease_seconds=self.lease_seconds,
                )
                remote, sha256, size = done.remote_name, done.sha256, done.size
                await self._pause()
            else:
                remote, sha256, size = part.remote_name, part.remote_sha256, part.size or f.size
            uploaded[part.part] = RemoteFile(
                remote_name=remote,
                name=f.safe_filename,
                mime=f.mime,
                size=int(size),
                sha256=sha256,
            )
        # 2. the published DistributionObjects, sent in part order
        objects = self._objects(decision, job, parts, uploaded, letter, case)
        state = "afventer"
        for part, obj in zip(parts, objects, strict=True):
            if part.step not in (STEP_PENDING, STEP_UPLOADED):
                continue
            try:
                sent = await self._call(self.deliverer.send(obj))
            except Sf2900Rejected as exc:
                await self._run(
                    self.store.reject_part,
                    did,
                    part.part,
                    self.node_id,
                    status=exc.status,
                    reason=exc.reason,
                )
                raise
            state = await self._run(
                self.store.mark_sent,
                did,
                part.part,
                self.node_id,
                distribution_transaktions_id=sent.distribution_transaktions_id,
                lease_seconds=self.lease_seconds,
            )
            await self._pause()
            if state != "afventer" and state not in ("sendt", "accepteret"):
                break  # a business receipt refused an earlier part meanwhile
        await self._run(self.store.finish_delivery, did, self.node_id)
        self.delivered += 1
        log.info("delivery %s: %d parts sent (%s)", did, len(parts), state)

    # ----------------------------------------------------------------- building

    def _message(self, item_id: int) -> StoredMessage:
        item = self.store.fetch(item_id, with_memo=True)
        assert item.memo is not None
        facts = self.store.message_facts(item_id)
        header = None
        if facts is not None:
            try:
                header = facts_from_json(facts).header
            except (ValueError, KeyError, TypeError):
                log.warning("delivery: stored facts of item %s unreadable; parsing", item_id)
        return StoredMessage(item.memo, header)

    def _received_at(self, item_id: int) -> Any:
        return self.store.fetch(item_id, with_memo=False).received_at

    @staticmethod
    def _objects(
        decision: Decision,
        job: DeliveryJob,
        parts: Sequence[DeliveryPart],
        uploaded: dict[int, RemoteFile],
        letter: LetterHeader,
        case: CaseInfo | None,
    ) -> tuple[Sf2900Document | Sf2900JournalNote, ...]:
        """Every part's published DistributionObject (`document_parts`), checked against the
        stored plan (same kinds, same AnvenderTransaktionsIDs)."""
        assert isinstance(decision, Journalise | Assign | Forward | JournalNote)
        files = [uploaded[p.part] for p in parts if p.kind == KIND_DOCUMENT]
        try:
            objects = document_parts(
                decision,
                decision_id=job.decision_id,
                user=job.user,
                letter=letter,
                files=files,
                case=case,
            )
        except ValueError as exc:
            raise PermanentDeliveryError(str(exc)) from None
        planned = [(p.kind, p.anvender_transaktions_id) for p in parts]
        built = [
            (
                KIND_DOCUMENT if isinstance(o, Sf2900Document) else KIND_JOURNAL_POST,
                o.transaction_id,
            )
            for o in objects
        ]
        if planned != built:
            raise PermanentDeliveryError("Leveringsplanen passer ikke til beslutningen")
        return objects


class StoredMessage:
    """A stored MeMo read for delivery without holding every decoded file: the files' facts
    come from the receipt's stored file index (or one parse, no content kept), each file's bytes are decoded on demand from its
    base64 text in the raw message and checked against its size and sha256 (a big message
    thus costs its raw bytes plus one decoded file, not all of them)."""

    def __init__(self, raw: bytes, header: MemoMessage | None = None) -> None:
        """`header`: the file index the receipt's parse stored (`GatewayStore.message_facts`),
        so nothing is parsed here; without it (items stored before) one parse finds it."""
        self.raw = raw
        self._full: MemoMessage | None = None
        if header is not None:
            self.message = header
            return
        try:
            self.message = read_memo(raw, validate=False, keep_content=False, locate=True)
        except MemoError as exc:
            raise PermanentDeliveryError(
                f"Den gemte meddelelse kan ikke læses ({exc.code})"
            ) from None

    @property
    def parsed_in_full(self) -> bool:
        """True once a file was not found verbatim and the message was parsed with content."""
        return self._full is not None

    def content(self, index: int) -> bytes:
        f = self.message.files[index]
        data: bytes | None = None
        if f.span is not None:
            offset, length = f.span
            try:
                data = decode_file_base64(memoryview(self.raw)[offset : offset + length])
            except MemoError:
                data = None
        if data is None or len(data) != f.size or hashlib.sha256(data).hexdigest() != f.sha256:
            if self._full is None:  # not verbatim in the raw bytes: parse with content once
                self._full = read_memo(self.raw, validate=False, keep_content=True)
            data = self._full.files[index].content
        return data


def part_zero(decision_id: str) -> str:
    """Part 0's AnvenderTransaktionsID: the decision id itself."""
    return str(uuid.UUID(decision_id))


def _plain(exc: BaseException) -> str:
    text = getattr(exc, "text", None) or getattr(exc, "reason", None) or str(exc)
    return str(text or type(exc).__name__)[:500]
