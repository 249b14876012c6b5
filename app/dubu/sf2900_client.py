"""SF2900 Fordelingskomponenten client: deliver documents and journal notes towards DUBU.

SF2900 as published (v2.4, `../shared/spec/sf2900/docs`) is the only form this client speaks;
the gateway uses it through `Sf2900Delivery` (app/dubu/sf2900_delivery.py). Built with zeep
(async, `AsyncServiceProxy`) from the REAL WSDLs shipped in
`resources/sf2900/wsdl/{token,context}/DistributionService.wsdl`. `FordelingsobjektAfsend`
carries one `DistributionObject`: a DOKUMENT (`DistributionDokument`: ID, KLEEmneForslag,
SagForslag, a Registrering with title, Brevdato, Retning Indgaaende, the sender as PrimaerPart,
the file as a Variant, `Tilstand/Fremdrift`, `BrugerRef`) or a JOURNALPOST
(`DistributionJournalPost` with `JournalnotatAttributter{Titel, Notat}`).

The file is first uploaded to Serviceplatformen's SFTP (app/dubu/sftp_upload.py) and the
DOKUMENT names it (`RemoteFile`, `DokumentFilNavn` = the remote name, exactly one file per
DOKUMENT, no `Indhold`); a letter with several files is several DOKUMENTs (`document_parts`, one
AnvenderTransaktionsID per part: `part_transaction_id`). Notat is Base64;
DigitalPostMeddelelsesID / DistributionTransaktionsID are never sent (Serviceplatformen fills
them); VariantType is the file's format; no ImportTidspunkt; Fremdrift "Endeligt". Security: a
SAML token from the STS in the WS-Security header (`authority_context=False` + a
`security_header`) or AuthorityContext + certificate. The synchronous answer is the technical
receipt (MODTAGET + the `DistributionTransaktionsID`); the business receipt arrives at the
gateway's callback (app/gateway/receipts.py). tests/golden/sf2900_published.xml holds the
envelope as sent (tests/test_sf2900_wire.py).

A request is built from ONE value: `Sf2900Document` (a DOKUMENT) or `Sf2900JournalNote` (a
JOURNALPOST), frozen and checked when made; `document_parts` builds every part of a typed
decision (`app.decisions`) from the received letter's header (`LetterHeader`), its uploaded
files and the DUBU case.

`DistributionContext/AnvenderTransaktionsID` is the caller's idempotency key. Receipts: a
`TransportKvittering` (OK / ADVARSEL / FEJL, in a SOAP fault or in the envelope) and a
`ForretningsKvittering` (MODTAGET / AFLEVERET / ACCEPTERET = success, AFVIST / FEJLET = business
rejection). An ADVARSEL with FejlKode "DUPLIKAT" means "already received": success. Mapping:
`Sf2900Result` / `Sf2900Rejected` (do not retry) / `Sf2900Unavailable` (retry).

This module never logs file content, CPR numbers or note text, and never retries by itself
(the caller's outbox owns retry policy).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import logging
import re
import ssl
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

import httpx
from lxml import etree

from app.decisions import Assign, Forward, Journalise, JournalNote
from app.dubu.directory import CaseInfo
from app.dubu.routing import DEFAULT_KLE
from app.dubu.sftp_names import file_extension
from app.resources import resource

log = logging.getLogger("postfordeler.sf2900")

BINDING = "{http://serviceplatformen.dk/xml/wsdl/soap11/DistributionService/3/port}DistributionServiceBinding"
# Postfordeler's own IT-system identity (RegistreringItSystem / Virkning Aktoer). Fixed, random.
POSTFORDELER_SYSTEM_UUID = "5f0c2d7e-8a41-4b7e-9c55-2f1d3e6a9b10"

SUCCESS_CODES = frozenset({"MODTAGET", "AFLEVERET", "ACCEPTERET"})
REJECT_CODES = frozenset({"AFVIST", "FEJLET"})
FREMDRIFT = ("Modtaget", "Fordelt", "UnderUdarbejdelse", "UnderReview", "Endeligt", "Afleveret")
PUBLISHED_FREMDRIFT = "Endeligt"  # spec 3.1.3.3.2: normally "Endeligt" (the letter is final)

_KLE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_FACET_RE = re.compile(r"^[A-ZÆØÅ]\d{2}$")
_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


# ---------------------------------------------------------------------------------------------
# Results and errors


@dataclass(frozen=True, slots=True)
class Sf2900Result:
    ok: bool
    duplicate: bool  # the receiver already had this AnvenderTransaktionsID
    status: str  # ForretningsValideringsKode, or "DUPLIKAT"
    reasons: tuple[str, ...] = ()
    transport: str = "OK"  # TransportValideringsKode
    transaction_id: str = ""
    # DistributionTransaktionsID that Serviceplatformen gave the object (None on a DUPLIKAT
    # answer: the business receipt brings it again).
    distribution_transaktions_id: str | None = None
    kvitteringstype: str | None = None  # "Teknisk" (the synchronous answer) / "Forretning"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "duplicate": self.duplicate,
            "status": self.status,
            "reasons": list(self.reasons),
            "transport": self.transport,
            "transaction_id": self.transaction_id,
        }
        if self.distribution_transaktions_id is not None:
            out["distribution_transaktions_id"] = self.distribution_transaktions_id
        return out


class Sf2900Error(Exception):
    pass


class Sf2900Rejected(Sf2900Error):
    """A business rejection (Forretningskvittering AFVIST/FEJLET): never retry; show the reason."""

    def __init__(self, reason: str, status: str = "AFVIST", reasons: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.reasons = tuple(reasons)


class Sf2900Unavailable(Sf2900Error):
    """Transport trouble (network, HTTP 5xx, timeout, SOAP fault, TransportKvittering FEJL):
    retry later with the same AnvenderTransaktionsID. `codes`: the FejlKode values of a
    TransportKvittering FEJL (e.g. "SP-TOKEN", "SP-SFTP-FIL"), empty otherwise."""

    def __init__(self, message: str, *, codes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.codes = tuple(codes)


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """The one file of a DOKUMENT: already uploaded to Serviceplatformen's SFTP as
    `remote_name` (that goes into `DokumentFilNavn`); no bytes travel in the SOAP call.
    `name` is the letter's own (safe) file name, shown to the caseworker (`DelTekst`)."""

    remote_name: str
    name: str
    mime: str
    size: int
    sha256: str | None = None

    def __post_init__(self) -> None:
        if not self.remote_name or "/" in self.remote_name:
            raise ValueError(f"ugyldigt filnavn på SFTP-serveren {self.remote_name!r}")
        if self.size < 0:
            raise ValueError("filstørrelsen kan ikke være negativ")


@dataclass(frozen=True, slots=True)
class Party:
    """A document party. `id_type` is CPR or CVR (else sent as free text)."""

    id: str
    id_type: str
    role: str = "PrimaerPart"


@dataclass(frozen=True, slots=True)
class Receiver:
    system_uuid: str
    name: str
    authority_cvr: str
    kle: str
    facet: str | None = None


@dataclass(frozen=True, slots=True)
class LetterHeader:
    """What a DOKUMENT tells of the received letter (from the cache's stored message header)."""

    message_uuid: str | None  # the MeMo MessageUUID (named in a part's description)
    title: str  # the MeMo label
    letter_date: date | datetime | None  # Brevdato (the MeMo created time)
    parties: tuple[Party, ...] = ()  # the sender as PrimaerPart


def _check_kle(kle: str) -> None:
    if not _KLE_RE.match(kle or ""):
        raise ValueError(f"KLE-emne skal have formen NN.NN.NN, fik {kle!r}")


def check_uuid(value: str, what: str) -> None:
    """ValueError (Danish, naming `what`) unless `value` is a UUID."""
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"{what} skal være et UUID, fik {value!r}") from None


@dataclass(frozen=True, slots=True)
class Sf2900Document:
    """One DOKUMENT for `FordelingsobjektAfsend`: everything the request carries, checked here.

    `transaction_id` is the AnvenderTransaktionsID (the delivery part's UUID, the same on every
    retry); the document ID is derived from it unless `document_id` is given. `file` is the one
    file SF2900 v2.4 allows per DOKUMENT, already uploaded (`DokumentFilNavn` = its remote name).
    `receiver_id` routes to a named system, else the KLE subject (+ `facet`) routes. Build it
    from a decision with `for_decision` (or every part at once with `document_parts`).
    """

    transaction_id: str
    kle: str
    title: str
    letter_date: date | datetime | None
    file: RemoteFile
    parties: tuple[Party, ...] = ()
    user: str | None = None  # OnBehalfOfUser
    fremdrift: str = PUBLISHED_FREMDRIFT
    case_id: str | None = None  # SagForslag
    facet: str | None = None  # HandlingFacetForslag / RoutingHandlingFacet
    caseworker_id: str | None = None  # BrugerRef
    receiver_id: str | None = None  # RoutingModtagerAktoer
    description: str | None = None
    document_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parties", tuple(self.parties))
        check_uuid(self.transaction_id, "AnvenderTransaktionsID")
        _check_kle(self.kle)
        if self.fremdrift not in FREMDRIFT:
            raise ValueError(f"ukendt Fremdrift {self.fremdrift!r}")
        if not isinstance(self.file, RemoteFile):
            raise ValueError("filen skal være uploadet til SFTP (RemoteFile)")

    @property
    def file_name(self) -> str:
        """DokumentFilNavn: the uploaded file's remote name."""
        return self.file.remote_name

    @classmethod
    def for_decision(
        cls,
        decision: Journalise | Assign | Forward,
        *,
        transaction_id: str,
        user: str | None,
        letter: LetterHeader,
        file: RemoteFile,
        case: CaseInfo | None,
    ) -> Sf2900Document:
        """The DOKUMENT a decision sends for one uploaded file: journalise (on the case), assign
        (BrugerRef = the caseworker, on the case if one was chosen) or forward (routed to the
        receiver or by KLE, no case); Fremdrift "Endeligt" (spec 3.1.3.3.2). `case` is the DUBU
        case of the decision's `case_id` (its KLE and handling facet); None when it has none."""
        case_id = None if isinstance(decision, Forward) else decision.case_id
        if (case is None) != (case_id is None) or (case is not None and case.id != case_id):
            raise ValueError("sagen passer ikke til beslutningen")
        kle = (
            (decision.kle if isinstance(decision, Forward) else None)
            or (decision.new_case_kle if isinstance(decision, Assign) else None)
            or (case.kle if case is not None else None)
            or DEFAULT_KLE
        )
        facet = facet_from_case_number(case.number) if case is not None else None
        caseworker_id = decision.caseworker_id if isinstance(decision, Assign) else None
        return cls(
            transaction_id=transaction_id,
            kle=kle,
            title=letter.title,
            letter_date=letter.letter_date,
            file=file,
            parties=letter.parties,
            user=user,
            case_id=case_id,
            facet=facet,
            caseworker_id=caseworker_id,
            receiver_id=decision.receiver_id if isinstance(decision, Forward) else None,
        )


@dataclass(frozen=True, slots=True)
class Sf2900JournalNote:
    """One JOURNALPOST with a journal note for `FordelingsobjektAfsend`, checked here.

    Attached to a document (`document_id`) when it accompanies a journalised DOKUMENT. Build it
    with `for_document` (a note that goes with a document) or `for_decision` (a note alone)."""

    transaction_id: str
    kle: str
    case_id: str | None
    title: str | None
    note: str
    document_id: str | None = None
    user: str | None = None  # OnBehalfOfUser
    user_uuid: str | None = None  # BrugerRef

    def __post_init__(self) -> None:
        check_uuid(self.transaction_id, "AnvenderTransaktionsID")
        _check_kle(self.kle)
        if not (self.note or "").strip():
            raise ValueError("et journalnotat skal have en tekst")

    @classmethod
    def for_document(cls, note: JournalNote, document: Sf2900Document) -> Sf2900JournalNote:
        """The note that goes with `document` (same case, KLE and user). Its
        transaction id and the document reference derive from the document's transaction id,
        so a retry sends the same identifiers."""
        if note.case_id != document.case_id:
            raise ValueError("journalnotatet passer ikke til dokumentets sag")
        return cls(
            transaction_id=derived_id(document.transaction_id, "journalnotat"),
            kle=document.kle,
            case_id=note.case_id,
            title=note.title or f"Journalnotat: {document.title}"[:256],
            note=note.text,
            document_id=document.document_id or derived_id(document.transaction_id, "dokument"),
            user=document.user,
        )

    @classmethod
    def for_decision(
        cls,
        note: JournalNote,
        *,
        transaction_id: str,
        user: str | None,
        letter: LetterHeader,
        case: CaseInfo,
    ) -> Sf2900JournalNote:
        """A journal note decided on its own: on `case` (the DUBU case of `note.case_id`),
        about the letter, with the outbox entry's transaction id."""
        if case.id != note.case_id:
            raise ValueError("sagen passer ikke til journalnotatet")
        return cls(
            transaction_id=transaction_id,
            kle=case.kle or DEFAULT_KLE,
            case_id=note.case_id,
            title=note.title or f"Journalnotat: {letter.title}"[:256],
            note=note.text,
            user=user,
        )


def part_transaction_id(decision_id: str, part: int) -> str:
    """AnvenderTransaktionsID of part `part` of a decision: part 0 is the decision's own UUID,
    every other part `uuid5(decision_id, "part-<n>")` (stable across retries and nodes)."""
    if part < 0:
        raise ValueError("delnummeret skal være 0 eller større")
    check_uuid(decision_id, "beslutningens UUID")
    if part == 0:
        return str(uuid.UUID(decision_id))
    return str(uuid.uuid5(uuid.UUID(decision_id), f"part-{part}"))


def part_title(title: str, index: int, count: int, file_name: str) -> str:
    """The title of DOKUMENT `index` (0-based) of `count`: the letter's title alone for a
    one-file letter, else "<title> (hoveddokument 1 af 3: <fil>)" / "<title> (bilag 2 af 3:
    <fil>)", so a caseworker finds every file of the letter on the case."""
    base = title or "(uden titel)"
    if count <= 1:
        return base[:256]
    what = "hoveddokument" if index == 0 else "bilag"
    suffix = f" ({what} {index + 1} af {count}: {file_name})"
    return base[: max(0, 256 - len(suffix))] + suffix[:256]


def document_parts(
    decision: Journalise | Assign | Forward | JournalNote,
    *,
    decision_id: str,
    user: str | None,
    letter: LetterHeader,
    files: Sequence[RemoteFile],
    case: CaseInfo | None,
) -> tuple[Sf2900Document | Sf2900JournalNote, ...]:
    """Every SF2900 DistributionObject of a decision, in part order.

    SF2900 v2.4 carries one file per DOKUMENT (`DokumentFilNavn` 0:1), so a letter with N files
    becomes N DOKUMENTs on the same SagForslag, KLE and routing: part n holds file n (`files`
    in the letter's order, main document first), titled with `part_title`, AnvenderTransaktionsID
    `part_transaction_id(decision_id, n)`. A journalise/assign decision's journal note follows as
    one JOURNALPOST (the last part), referring to part 0's document. A journal note decided on
    its own is part 0, a JOURNALPOST. `files` are the uploaded files (`RemoteFile`)."""
    if isinstance(decision, JournalNote):
        if case is None:
            raise ValueError("et journalnotat skal have en sag")
        alone = Sf2900JournalNote.for_decision(
            decision,
            transaction_id=part_transaction_id(decision_id, 0),
            user=user,
            letter=letter,
            case=case,
        )
        return (alone,)
    if not files:
        raise ValueError("et dokument skal have mindst én fil")
    out: list[Sf2900Document | Sf2900JournalNote] = []
    count = len(files)
    for n, f in enumerate(files):
        doc = Sf2900Document.for_decision(
            decision,
            transaction_id=part_transaction_id(decision_id, n),
            user=user,
            letter=letter,
            file=f,
            case=case,
        )
        description = (
            f"Indgående Digital Post, fil {n + 1} af {count}"
            + (f" (meddelelse {letter.message_uuid})" if letter.message_uuid else "")
            if count > 1
            else "Indgående Digital Post"
        )
        if isinstance(decision, Assign) and decision.new_case:
            # no SagForslag: DUBU's case creation takes it, the caseworker (BrugerRef) creates
            # the case (or reopens the closed one) with the KLE subject of KLEEmneForslag
            what = (
                f"Genåbn sag {decision.reopen_case_number}"
                if decision.reopen_case_number
                else "Opret ny sag"
            )
            description = f"{what} (KLE {decision.new_case_kle}): {description}"
        out.append(
            replace(
                doc,
                title=part_title(letter.title, n, count, f.name),
                description=description,
            )
        )
    note = None if isinstance(decision, Forward) else decision.note
    if note is not None:
        first = out[0]
        assert isinstance(first, Sf2900Document)
        jn = Sf2900JournalNote.for_document(note, first)
        out.append(replace(jn, transaction_id=part_transaction_id(decision_id, count)))
    return tuple(out)


def derived_id(transaction_id: str, purpose: str) -> str:
    """A deterministic UUID for a sub-object of one outbox transaction (document ID, journal
    note transaction), so a retry after a crash sends exactly the same identifiers."""
    return str(uuid.uuid5(uuid.UUID(transaction_id), purpose))


_VARIANT_TYPES = {"DOC": "Word", "DOCX": "Word", "HTM": "HTML", "HTML": "HTML", "TIF": "TIFF"}


def variant_type_for(file_name: str, mime: str | None) -> str:
    """VariantType of a file (spec 3.1.3.3.2: the variant's format, e.g. "Word", "HTML",
    "PDF", "TIFF"): from the file's extension, else its MIME type."""
    ext = file_extension(file_name, mime)
    return _VARIANT_TYPES.get(ext, ext)


def facet_from_case_number(case_number: str | None) -> str | None:
    """'27.24.00-G01-14547-26' -> 'G01' (the KLE handling facet), else None."""
    if not case_number:
        return None
    parts = case_number.split("-")
    if len(parts) >= 2 and _FACET_RE.match(parts[1].strip().upper()):
        return parts[1].strip().upper()
    return None


# ---------------------------------------------------------------------------------------------
# Capturing a TransportKvittering wherever the service puts it (SOAP header, body or fault).

_last_kvittering: contextvars.ContextVar[etree._Element | None] = contextvars.ContextVar(
    "sf2900_transport_kvittering", default=None
)


class _KvitteringPlugin:
    """zeep plugin: remember the TransportKvittering element of the reply (runs in the caller's
    task, so a ContextVar hands it back to the awaiting code)."""

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        found = None
        for el in envelope.iter("{*}TransportKvittering"):
            found = el
            break
        _last_kvittering.set(found)
        return envelope, http_headers

    def egress(
        self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any
    ) -> tuple[Any, Any]:
        return envelope, http_headers


def _tls_failure(exc: BaseException) -> str | None:
    """The TLS reason (e.g. CERTIFICATE_VERIFY_FAILED, TLSV13_ALERT_CERTIFICATE_REQUIRED) when an
    ssl.SSLError is somewhere in the exception chain, else None."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError):
            return str(getattr(cur, "reason", None) or type(cur).__name__)
        text = str(cur)
        for marker in (
            "CERTIFICATE_REQUIRED",
            "CERTIFICATE_VERIFY_FAILED",
            "SSLV3_ALERT",
            "TLSV1_ALERT",
        ):
            if marker in text.upper():
                return marker
        cur = cur.__cause__ or cur.__context__
    return None


def _connection_reset(exc: BaseException) -> bool:
    """True when the peer reset/closed the connection (somewhere in the exception chain)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, (ConnectionResetError, BrokenPipeError)) or type(cur).__name__ in (
            "BrokenResourceError",
            "EndOfStream",
        ):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _text(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    child = el.find(f"{{*}}{name}")
    return child.text.strip() if child is not None and child.text else None


def _fejl(el: etree._Element | None) -> list[tuple[str, str]]:
    if el is None:
        return []
    out = []
    for fejl in el.iter("{*}Fejl"):
        out.append((_text(fejl, "FejlKode") or "", _text(fejl, "FejlTekst") or ""))
    return out


def _fejl_obj(fejl_liste: Any) -> list[tuple[str, str]]:
    if not fejl_liste:
        return []
    items = getattr(fejl_liste, "Fejl", None) or []
    return [(str(f.FejlKode or ""), str(f.FejlTekst or "")) for f in items]


# ---------------------------------------------------------------------------------------------


class Sf2900Client:
    """Async SF2900 client. Create once, reuse, `await close()` at the end."""

    def __init__(
        self,
        service_url: str,
        *,
        municipality_cvr: str,
        wsdl: str | Path | None = None,
        timeout: float = 30.0,
        system_uuid: str = POSTFORDELER_SYSTEM_UUID,
        routing_cvr: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        authority_context: bool = True,
        security_header: Callable[[], Awaitable[etree._Element]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`ssl_context`: client TLS (Serviceplatformen's FOCES/OCES client certificate, see
        `app.core.tls.client_ssl_context`) for the service calls and a remote WSDL; None keeps
        httpx's default verification.

        `authority_context=False` leaves AuthorityContext out (token mode: the SAML token names
        the municipality); `security_header` makes the SOAP header block of each call (the
        WS-Security header with the STS token). `clock` gives the registration time (UTC; the
        golden test fixes it), default now."""
        import zeep
        from zeep.proxy import AsyncServiceProxy
        from zeep.transports import AsyncTransport

        self.service_url = service_url
        self.municipality_cvr = municipality_cvr
        self.routing_cvr = routing_cvr or municipality_cvr
        self.system_uuid = system_uuid
        self.authority_context = authority_context
        self._security_header = security_header
        self._clock = clock or (lambda: datetime.now(UTC))
        self.timeout = timeout
        wsdl_path = (
            Path(wsdl)
            if wsdl
            else resource("sf2900", "wsdl", "context", "DistributionService.wsdl")
        )
        tls: dict[str, Any] = {} if ssl_context is None else {"verify": ssl_context}
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), **tls
        )
        self._wsdl_http = httpx.Client(timeout=30.0, **tls)
        transport = AsyncTransport(  # type: ignore[no-untyped-call]
            client=self._http, wsdl_client=self._wsdl_http
        )
        settings = zeep.Settings(strict=True, xml_huge_tree=True)
        self._client = zeep.AsyncClient(  # type: ignore[no-untyped-call]
            str(wsdl_path), transport=transport, settings=settings, plugins=[_KvitteringPlugin()]
        )
        self._service = AsyncServiceProxy(  # type: ignore[no-untyped-call]
            self._client, self._client.wsdl.bindings[BINDING], address=service_url
        )

    async def close(self) -> None:
        await self._http.aclose()
        self._wsdl_http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- request pieces

    def _call_context(self, user: str | None, transaction_id: str) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "CallersServiceCallIdentifier": transaction_id,
            "AccountingInfo": "Postfordeler",
        }
        if user:
            ctx["OnBehalfOfUser"] = user[:255]
        return ctx

    def _authority(self) -> dict[str, Any]:
        return {"MunicipalityCVR": self.municipality_cvr}

    def _context(
        self,
        transaction_id: str,
        *,
        kle: str,
        facet: str | None,
        receiver_id: str | None,
        file_name: str | None = None,
    ) -> dict[str, Any]:
        if receiver_id:
            routing: dict[str, Any] = {"RoutingModtagerAktoer": receiver_id}
        else:
            info: dict[str, Any] = {"RoutingKLEEmne": kle}
            if facet:
                info["RoutingHandlingFacet"] = facet
            routing = {"RoutingKLEEmneHandling": info}
        ctx: dict[str, Any] = {
            "AnvenderTransaktionsID": transaction_id,
            "AfsendendeMyndighed": self.municipality_cvr,
            "RoutingMyndighed": self.routing_cvr,
            "RoutingValg": routing,
        }
        # never DigitalPostMeddelelsesID / DistributionTransaktionsID: Serviceplatformen fills
        # them (spec 3.1.3.3)
        if file_name:
            ctx["DokumentFilNavn"] = file_name
        return ctx

    def _virkning(
        self, at: datetime, *, actor_uuid: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        v: dict[str, Any] = {
            "FraTidspunkt": at,
            "Aktoer": {"UUID": actor_uuid or self.system_uuid},
            "AktoerType": "Bruger" if actor_uuid else "ItSystem",
        }
        if note:
            v["NoteTekst"] = note
        return v

    @staticmethod
    def _part_ref(party: Party) -> dict[str, Any]:
        kind = party.id_type.upper()
        if kind == "CPR" and re.fullmatch(r"\d{10}", party.id):
            return {"ObjektType": "Person", "ReferenceID": {"URN": f"urn:oio:cpr-nr:{party.id}"}}
        if kind == "CVR" and re.fullmatch(r"\d{8}", party.id):
            return {
                "ObjektType": "Virksomhed",
                "ReferenceID": {"URN": f"urn:oio:cvr-nr:{party.id}"},
            }
        return {"ObjektType": "Person", "ReferenceID": {"Tekst": party.id}}

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def build_document(self, doc: Sf2900Document) -> dict[str, Any]:
        """The `DistributionObject` of a DOKUMENT (zeep dict form): its one uploaded file as
        the Variant (no `Indhold`: the bytes went by SFTP), VariantType = the file's format."""
        letter_date = doc.letter_date
        caseworker_id = doc.caseworker_id
        now = self._now()
        virk = self._virkning(now)
        if isinstance(letter_date, datetime):
            brevdato = (
                letter_date.astimezone(UTC).date() if letter_date.tzinfo else letter_date.date()
            )
        else:
            brevdato = letter_date or now.date()
        f = doc.file
        variants = [
            {
                "Virkning": virk,
                "Rolle": "Variant",
                "Indeks": "1",
                "VariantAttributter": {
                    "VariantType": variant_type_for(f.name, f.mime),
                    "Arkivering": True,
                },
                "DelAttributter": {
                    "DelTekst": f.name,
                    "Indeks": 1,
                    "Filstoerrelse": f.size,
                    "MimeType": f.mime,
                },
            }
        ]
        relations: dict[str, Any] = {"VariantListe": {"Variant": variants}}
        if doc.parties:
            relations["DokumentPartListe"] = {
                "DokumentPart": [
                    {"Virkning": virk, "Rolle": p.role, "Indeks": i, "Part": self._part_ref(p)}
                    for i, p in enumerate(doc.parties, start=1)
                ]
            }
        # no ImportTidspunkt: the spec uses it "kun ved import (Udeladt her)"
        registrering: dict[str, Any] = {
            "FraTidsPunkt": now,
            "LivscyklusKode": "Oprettet",
        }
        if caseworker_id:
            registrering["BrugerRef"] = (
                {"UUID": caseworker_id}
                if _UUID_RE.match(caseworker_id)
                else {"URN": f"urn:dubu:bruger:{caseworker_id}"}
            )
        registrering["RegistreringItSystem"] = {"UUID": self.system_uuid}
        registrering["RelationListe"] = relations
        tilstand_virk = self._virkning(
            now,
            actor_uuid=caseworker_id if caseworker_id and _UUID_RE.match(caseworker_id) else None,
        )
        registrering["TilstandsListe"] = [
            {"Tilstand": [{"Fremdrift": doc.fremdrift, "Virkning": tilstand_virk}]}
        ]
        registrering["AttributListe"] = {
            "Attributter": [
                {
                    "BrugervendtNoegleTekst": doc.transaction_id,
                    "TitelTekst": (doc.title or "(uden titel)")[:256],
                    "BeskrivelseTekst": doc.description or "Indgående Digital Post",
                    "Dokumenttype": "Brev",
                    "Retning": "Indgaaende",
                    "Brevdato": brevdato,
                    "Virkning": virk,
                }
            ]
        }
        dokument: dict[str, Any] = {
            "ID": doc.document_id or derived_id(doc.transaction_id, "dokument"),
            "KLEEmneForslag": doc.kle,
        }
        if doc.facet and _FACET_RE.match(doc.facet):
            dokument["HandlingFacetForslag"] = doc.facet
        if doc.case_id:
            dokument["SagForslag"] = doc.case_id
        dokument["Registrering"] = registrering
        return {"ObjektType": "DOKUMENT", "ObjektIndhold": {"DistributionDokument": dokument}}

    def build_journal_note(self, jn: Sf2900JournalNote) -> dict[str, Any]:
        """The `DistributionObject` of a JOURNALPOST (zeep dict form)."""
        document_id = jn.document_id
        title = jn.title
        user_uuid = jn.user_uuid
        now = self._now()
        jp: dict[str, Any] = {
            "Virkning": self._virkning(now),
            "Rolle": "Journalpost",
            "Indeks": "1",
        }
        if document_id:
            jp["Dokument"] = {"Objekttype": "Dokument", "ReferenceID": {"UUID": document_id}}
        notat: dict[str, Any] = {}
        if title:
            notat["Titel"] = title[:256]
        # Spec 3.1.3.3.1: Notat "skal base64 encodes, selv om type er String"
        notat["Notat"] = base64.b64encode(jn.note.encode("utf-8")).decode("ascii")
        jp["JournalnotatAttributter"] = notat
        registrering: dict[str, Any] = {"FraTidsPunkt": now, "LivscyklusKode": "Oprettet"}
        if user_uuid and _UUID_RE.match(user_uuid):
            registrering["BrugerRef"] = {"UUID": user_uuid}
        registrering["RegistreringItSystem"] = {"UUID": self.system_uuid}
        registrering["RelationListe"] = {"JournalPost": [jp]}
        post: dict[str, Any] = {
            "ID": derived_id(jn.transaction_id, "journalpost"),
            "KLEEmneForslag": jn.kle,
        }
        if jn.case_id:
            post["SagForslag"] = jn.case_id
        post["Registrering"] = registrering
        return {"ObjektType": "JOURNALPOST", "ObjektIndhold": {"DistributionJournalPost": post}}

    def afsend_kwargs(self, obj: Sf2900Document | Sf2900JournalNote) -> dict[str, Any]:
        """The `FordelingsobjektAfsend` request (zeep keyword form) for a document or a note."""
        if isinstance(obj, Sf2900Document):
            distribution_object = self.build_document(obj)
            context = self._context(
                obj.transaction_id,
                kle=obj.kle,
                facet=obj.facet,
                receiver_id=obj.receiver_id,
                file_name=obj.file_name,
            )
        else:
            distribution_object = self.build_journal_note(obj)
            context = self._context(obj.transaction_id, kle=obj.kle, facet=None, receiver_id=None)
        out: dict[str, Any] = {"CallContext": self._call_context(obj.user, obj.transaction_id)}
        if self.authority_context:
            out["AuthorityContext"] = self._authority()
        return {
            **out,
            "anmodning": {
                "DistributionContext": context,
                "DistributionObject": distribution_object,
            },
        }

    def create_message(self, operation: str, **kwargs: Any) -> etree._Element:
        """The SOAP envelope zeep would send (for validation in tests)."""
        node: etree._Element = self._client.create_message(  # type: ignore[no-untyped-call]
            self._service, operation, **kwargs
        )
        return node

    # ----------------------------------------------------------------- calls

    async def _call(self, operation: str, kwargs: dict[str, Any], transaction_id: str = "") -> Any:
        from zeep.exceptions import Fault, TransportError, XMLSyntaxError

        _last_kvittering.set(None)
        if self._security_header is not None:
            kwargs = {**kwargs, "_soapheaders": [await self._security_header()]}
        try:
            reply = await asyncio.wait_for(
                getattr(self._service, operation)(**kwargs), self.timeout
            )
        except Fault as exc:
            kv = None
            if exc.detail is not None:
                kv = next(iter(exc.detail.iter("{*}TransportKvittering")), None)
            if kv is not None:
                return self._transport_receipt(kv, transaction_id, fault=str(exc.message or ""))
            raise Sf2900Unavailable(f"SOAP-fejl fra SF2900: {exc.message}") from exc
        except (TransportError, XMLSyntaxError) as exc:
            raise Sf2900Unavailable(
                f"SF2900 svarede ikke korrekt (HTTP {getattr(exc, 'status_code', '?')})"
            ) from exc
        except (httpx.HTTPError, OSError) as exc:
            tls = _tls_failure(exc)
            if tls is not None:
                raise Sf2900Unavailable(
                    f"TLS-forbindelsen til SF2900 mislykkedes ({tls}). "
                    "Kontrollér klientcertifikatet (FOCES/OCES) under Indstillinger."
                ) from exc
            if self.service_url.lower().startswith("https:") and _connection_reset(exc):
                # TLS 1.3: a server that requires a client certificate checks it after the
                # handshake and just closes/resets the connection; the client sees no alert.
                raise Sf2900Unavailable(
                    f"SF2900 afbrød forbindelsen ({type(exc).__name__}). Over HTTPS skyldes det "
                    "ofte, at klientcertifikatet (FOCES/OCES) mangler eller ikke accepteres."
                ) from exc
            raise Sf2900Unavailable(f"SF2900 kunne ikke nås: {type(exc).__name__}") from exc
        except TimeoutError as exc:
            raise Sf2900Unavailable("SF2900 svarede ikke i tide") from exc
        kv = _last_kvittering.get()
        if kv is not None:
            code = _text(kv, "TransportValideringsKode")
            if code and code != "OK":
                return self._transport_receipt(kv, transaction_id)
        return reply

    def _transport_receipt(
        self, kv: etree._Element, transaction_id: str, fault: str = ""
    ) -> Sf2900Result:
        code = _text(kv, "TransportValideringsKode") or "FEJL"
        fejl = _fejl(kv)
        reasons = tuple(f"{k}: {t}".strip(": ") for k, t in fejl) or tuple(
            x for x in (_text(kv, "Begrundelse"), fault) if x
        )
        if any(k.upper() == "DUPLIKAT" for k, _ in fejl):
            return Sf2900Result(
                ok=True,
                duplicate=True,
                status="DUPLIKAT",
                reasons=reasons,
                transport=code,
                transaction_id=transaction_id,
            )
        if code == "ADVARSEL":
            # A warning without a duplicate: the call was taken; treat as received.
            return Sf2900Result(
                ok=True,
                duplicate=False,
                status="MODTAGET",
                reasons=reasons,
                transport=code,
                transaction_id=transaction_id,
            )
        raise Sf2900Unavailable(
            "SF2900 afviste kaldet (TransportKvittering FEJL): " + "; ".join(reasons),
            codes=[k for k, _ in fejl],
        )

    def _business_receipt(self, reply: Any, transaction_id: str) -> Sf2900Result:
        if isinstance(reply, Sf2900Result):
            return reply
        fk = getattr(reply, "ForretningsKvittering", None)
        if fk is None:
            raise Sf2900Unavailable("SF2900 svarede uden forretningskvittering")
        code = str(fk.ForretningsValideringsKode)
        fejl = _fejl_obj(getattr(fk, "FejlListe", None))
        reasons = tuple(
            x
            for x in ([fk.Begrundelse] if fk.Begrundelse else []) + [f"{k}: {t}" for k, t in fejl]
            if x
        )
        ctx = getattr(reply, "DistributionContext", None)
        dist_id = getattr(ctx, "DistributionTransktionsID", None) if ctx is not None else None
        kind = getattr(fk, "Kvitteringstype", None)
        if code in SUCCESS_CODES:
            return Sf2900Result(
                ok=True,
                duplicate=False,
                status=code,
                reasons=reasons,
                transaction_id=transaction_id,
                distribution_transaktions_id=str(dist_id) if dist_id else None,
                kvitteringstype=str(kind) if kind else None,
            )
        if any(k.upper() == "DUPLIKAT" for k, _ in fejl):
            return Sf2900Result(
                ok=True,
                duplicate=True,
                status="DUPLIKAT",
                reasons=reasons,
                transaction_id=transaction_id,
            )
        reason = fk.Begrundelse or (fejl[0][1] if fejl else "") or f"Modtageren svarede {code}"
        raise Sf2900Rejected(reason, status=code, reasons=reasons)

    async def send(self, obj: Sf2900Document | Sf2900JournalNote) -> Sf2900Result:
        """Send one DOKUMENT or JOURNALPOST. Raises Sf2900Rejected (AFVIST/FEJLET) or
        Sf2900Unavailable (retry with the same object)."""
        kwargs = self.afsend_kwargs(obj)
        reply = await self._call("FordelingsobjektAfsend", kwargs, obj.transaction_id)
        result = self._business_receipt(reply, obj.transaction_id)
        log.info(
            "SF2900 %s: %s%s",
            obj.transaction_id,
            result.status,
            " (dublet)" if result.duplicate else "",
        )
        return result

    async def receivers(self, kle: str, facet: str | None = None) -> list[Receiver]:
        """`FordelingsmodtagerList`: the systems that receive objects for a KLE subject."""
        routing: dict[str, Any] = {
            "AfsendendeMyndighed": self.municipality_cvr,
            "RoutingMyndighed": self.routing_cvr,
            "RoutingKLEEmne": kle,
        }
        if facet:
            routing["RoutingHandlingFacet"] = facet
        request: dict[str, Any] = {"CallContext": {"AccountingInfo": "Postfordeler"}}
        if self.authority_context:
            request["AuthorityContext"] = self._authority()
        request["Routing"] = routing
        reply = await self._call("FordelingsmodtagerList", request)
        if isinstance(reply, Sf2900Result):
            return []
        # zeep flattens Systemer/System to a list; accept the nested forms too.
        if isinstance(reply, list):
            systems = reply
        else:
            holder = getattr(reply, "Systemer", reply)
            systems = getattr(holder, "System", None) or []
        out = []
        for s in systems or []:
            out.append(
                Receiver(
                    system_uuid=str(s.SystemUUID),
                    name=str(s.SystemNavn),
                    authority_cvr=str(s.SystemMyndighed),
                    kle=str(s.RoutingKLEEmne),
                    facet=str(s.RoutingHandlingFacet) if s.RoutingHandlingFacet else None,
                )
            )
        return out
