"""The gateway's delivery worker: decisions from the gateway outbox to SF2900 (DESIGN9).

`GatewayDelivery(store, deliverer, directory, node_id)` takes due rows of `gw_outbox` one at a
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

The deliverer is a `Deliverer` (`upload(part) -> UploadedFile`, `send(obj) -> SentObject`):
h9b's `Sf2900Delivery` in app.dubu, or `WireDeliverer` here, built from the existing
`Sf2900Client` and `app.dubu.sftp_upload`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import ssl
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
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
    DEFAULT_KLE,
    DocumentFile,
    LetterHeader,
    Party,
    Sf2900Client,
    Sf2900Document,
    Sf2900JournalNote,
    Sf2900Rejected,
    Sf2900Unavailable,
    derived_id,
)
from app.dubu.sftp_upload import (
    SftpConfig,
    SftpUploadError,
    UploadedFile,
    document_file_uuid,
    file_extension,
    sagsdokument_name,
    upload_document,
)
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
from app.sf1606.memo import read_memo
from app.sf1606.model import MemoError, MemoFile, MemoMessage

__all__ = [
    "Deliverer",
    "DeliverySettings",
    "GatewayDelivery",
    "PartUpload",
    "PermanentDeliveryError",
    "SentObject",
    "WireDeliverer",
    "clear_upload_spool",
    "document_title",
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


@dataclass(frozen=True, slots=True)
class PartUpload:
    """One DOKUMENT's file to put on the SFTP server before its SOAP call. The remote name is
    derived from (decision_id, file_index), so every retry uploads under the same name."""

    decision_id: str
    part: int
    file_index: int
    file_name: str  # the sender's (safe) file name: its extension names the remote file
    mime: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True, slots=True)
class SentObject:
    """SF2900's technical receipt of one DistributionObject (MODTAGET, or DUPLIKAT)."""

    status: str
    duplicate: bool = False
    distribution_transaktions_id: str | None = None


class Deliverer(Protocol):
    async def upload(self, part: PartUpload) -> UploadedFile: ...

    async def send(self, obj: Sf2900Document | Sf2900JournalNote) -> SentObject: ...


class WireDeliverer:
    """A `Deliverer` from the existing parts: `upload_document` (asyncssh, key auth, pinned
    host key, atomic rename) and `Sf2900Client` (which must have `inline_files=False`, so the
    DOKUMENT names the uploaded file instead of carrying its bytes)."""

    def __init__(self, client: Sf2900Client, sftp: SftpConfig, spool_dir: Path) -> None:
        if client.inline_files:
            raise ValueError("the SF2900 client must not inline files (inline_files=False)")
        self.client = client
        self.sftp = sftp
        self.spool_dir = Path(spool_dir)
        clear_upload_spool(self.spool_dir)

    def remote_name(self, part: PartUpload) -> str:
        return sagsdokument_name(
            self.sftp.username,
            document_file_uuid(part.decision_id, part.file_index),
            file_extension(part.file_name, part.mime),
        )

    async def upload(self, part: PartUpload) -> UploadedFile:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=".upload", dir=self.spool_dir)
        local = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:  # mkstemp: 0600, only the service user reads it
                fh.write(part.content)
            return await upload_document(self.sftp, local, self.remote_name(part))
        finally:
            local.unlink(missing_ok=True)

    async def send(self, obj: Sf2900Document | Sf2900JournalNote) -> SentObject:
        result = await self.client.send(obj)
        return SentObject(
            status=result.status,
            duplicate=result.duplicate,
            distribution_transaktions_id=getattr(result, "distribution_transaktions_id", None),
        )

    async def close(self) -> None:
        await self.client.close()


@dataclass
class DeliverySettings:
    """SF2900 delivery from the gateway (`GatewayConfig.delivery`; None: no delivery worker).

    `deliverer`/`directory` may be given ready-made (e.g. `Sf2900Delivery`); otherwise a
    `WireDeliverer` (Sf2900Client at `sf2900_url` with `sf2900_ssl`, SFTP per `sftp`) and an
    `HttpDubuDirectory` at `dubu_url` are built and closed with the gateway."""

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

    def open(
        self, store: GatewayStore, spool_dir: Path, run: Callable[..., Awaitable[Any]] | None
    ) -> tuple[GatewayDelivery, list[Callable[[], Awaitable[None]]]]:
        """The worker and the close callbacks of what was built here."""
        closers: list[Callable[[], Awaitable[None]]] = []
        deliverer = self.deliverer
        if deliverer is None:
            if not (self.sf2900_url and self.municipality_cvr and self.sftp):
                raise ValueError("SF2900-levering kræver sf2900_url, municipality_cvr og sftp")
            client = Sf2900Client(
                self.sf2900_url,
                municipality_cvr=self.municipality_cvr,
                timeout=min(self.call_timeout, 60.0),
                inline_files=False,
                ssl_context=self.sf2900_ssl,
            )
            wire = WireDeliverer(client, self.sftp, spool_dir)
            closers.append(wire.close)
            deliverer = wire
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
            directory,
            self.node_id,
            lease_seconds=self.lease_seconds,
            poll_seconds=self.poll_seconds,
            call_timeout=self.call_timeout,
            initial_backoff=self.initial_backoff,
            max_backoff=self.max_backoff,
            concurrency=self.concurrency,
            run=run,
        )
        return worker, closers


def clear_upload_spool(spool_dir: Path) -> int:
    """Remove upload copies (`<pid>-*.upload`) left by killed processes: they hold message
    files. Files of live processes sharing the folder are left alone. Returns how many."""
    removed = 0
    for leftover in Path(spool_dir).glob("*.upload"):
        pid = leftover.name.partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def document_title(title: str, index: int, count: int, file_name: str) -> str:
    """The DOKUMENT title of file `index` (0-based) of `count`: the letter's title, and with
    several files "<titel> (bilag 2 af 3: <filnavn>)", at most 256 characters (the title is
    shortened, never the part that tells the files apart)."""
    title = title or "(uden titel)"
    if count <= 1:
        return title[:256]
    suffix = f" (bilag {index + 1} af {count}: {file_name})"
    if len(suffix) > 200:
        suffix = suffix[:199] + ")"
    return title[: 256 - len(suffix)] + suffix


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
        directory: DubuDirectory,
        node_id: str | None = None,
        *,
        lease_seconds: float = 300.0,
        poll_seconds: float = 2.0,
        call_timeout: float = 120.0,
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
        self.call_timeout = call_timeout
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.step_delay = step_delay
        self.concurrency = max(1, concurrency)
        self._run = run or _to_thread
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.delivered = 0  # decisions that reached `sendt` (or later) through this worker

    # ----------------------------------------------------------------- control

    def wake(self) -> None:
        """A new decision arrived: look at the outbox now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery round failed")
            self._wake.clear()
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

    async def _call(self, awaitable: Awaitable[_T]) -> _T:
        return await asyncio.wait_for(awaitable, self.call_timeout)

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
        message = await self._run(self._message, job.item_id)
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
            received_at=received_at,
            parties=(Party(message.sender.id, message.sender.id_type),)
            if message.sender.id
            else (),
        )
        documents = sum(1 for p in parts if p.kind == KIND_DOCUMENT)
        state = "afventer"
        for part in parts:
            if part.step not in (STEP_PENDING, STEP_UPLOADED):
                continue
            if part.kind == KIND_DOCUMENT:
                assert part.file_index is not None
                f = files[part.file_index]
                remote = part.remote_name
                if part.step == STEP_PENDING or remote is None:
                    uploaded = await self._call(
                        self.deliverer.upload(
                            PartUpload(
                                did, part.part, part.file_index, f.safe_filename, f.mime, f.content
                            )
                        )
                    )
                    await self._run(
                        self.store.mark_uploaded,
                        did,
                        part.part,
                        self.node_id,
                        remote_name=uploaded.remote_name,
                        sha256=uploaded.sha256,
                        size=uploaded.size,
                        lease_seconds=self.lease_seconds,
                    )
                    remote = uploaded.remote_name
                    await self._pause()
                obj: Sf2900Document | Sf2900JournalNote = self._document(
                    decision, job, part, f, remote, letter, case, documents
                )
            else:
                obj = self._journal_post(decision, job, part, letter, case)
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

    def _message(self, item_id: int) -> MemoMessage:
        item = self.store.fetch(item_id, with_memo=True)
        assert item.memo is not None
        try:
            return read_memo(item.memo, validate=False, keep_content=True)
        except MemoError as exc:
            raise PermanentDeliveryError(
                f"Den gemte meddelelse kan ikke læses ({exc.code})"
            ) from None

    def _received_at(self, item_id: int) -> Any:
        return self.store.fetch(item_id, with_memo=False).received_at

    @staticmethod
    def _document(
        decision: Decision,
        job: DeliveryJob,
        part: DeliveryPart,
        f: MemoFile,
        remote_name: str,
        letter: LetterHeader,
        case: CaseInfo | None,
        documents: int,
    ) -> Sf2900Document:
        assert isinstance(decision, Journalise | Assign | Forward)
        assert part.file_index is not None
        titled = replace(
            letter, title=document_title(letter.title, part.file_index, documents, f.safe_filename)
        )
        return Sf2900Document.for_decision(
            decision,
            transaction_id=part.anvender_transaktions_id,
            user=job.user,
            letter=titled,
            files=[DocumentFile(remote_name, f.mime, f.content, role=str(f.role))],
            case=case,
        )

    @staticmethod
    def _journal_post(
        decision: Decision,
        job: DeliveryJob,
        part: DeliveryPart,
        letter: LetterHeader,
        case: CaseInfo | None,
    ) -> Sf2900JournalNote:
        if isinstance(decision, JournalNote):
            if case is None:
                raise PermanentDeliveryError("Et journalnotat kræver en sag")
            return Sf2900JournalNote.for_decision(
                decision,
                transaction_id=part.anvender_transaktions_id,
                user=job.user,
                letter=letter,
                case=case,
            )
        assert isinstance(decision, Journalise | Assign)
        note = decision.note
        if note is None:
            raise PermanentDeliveryError("Journalnotatet mangler")
        return Sf2900JournalNote(
            transaction_id=part.anvender_transaktions_id,
            message_uuid=letter.message_uuid,
            kle=(case.kle if case is not None else None) or DEFAULT_KLE,
            case_id=note.case_id,
            title=note.title or f"Journalnotat: {letter.title}"[:256],
            note=note.text,
            # the first DOKUMENT's id (Sf2900Document derives it from its transaction id)
            document_id=derived_id(part_zero(job.decision_id), "dokument"),
            user=job.user,
        )


def part_zero(decision_id: str) -> str:
    """Part 0's AnvenderTransaktionsID: the decision id itself."""
    return str(uuid.UUID(decision_id))


def _plain(exc: BaseException) -> str:
    text = getattr(exc, "text", None) or getattr(exc, "reason", None) or str(exc)
    return str(text or type(exc).__name__)[:500]
