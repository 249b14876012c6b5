"""SF2900 Fordelingskomponenten on loopback: a SOAP 1.1 server built from the REAL WSDL.

It plays the distribution component in front of DUBU, so the gateway's delivery can be tested
over the wire with zeep. It speaks SF2900 v2.4 as published and nothing else: every request is
checked as Serviceplatformen would (see "Wire behaviour"). URL layout (one aiohttp app; the
sandbox serves it on HTTPS only, `start(ssl_context=...)`, base `https://127.0.0.1:PORT`):

- `POST {base}/sf2900/DistributionService`            SOAP endpoint (document/literal)
- `GET  {base}/sf2900/DistributionService?wsdl`       resources/sf2900/wsdl/context/DistributionService.wsdl,
  soap:address and relative imports rewritten to this server (the XSDs under `{base}/sf2900/files/`)
- `GET  {base}/sf2900/received`                       JSON list of every recorded DistributionObject
- `GET  {base}/sf2900/received/{transaction_id}`      one of them (404 if unknown)
- `GET|POST {base}/sf2900/faults` (alias `_faults`)   fault plan, see app/sandbox/faults.py
- `GET  {base}/sf2900/health`, `GET {base}/sf2900/callbacks` (the business receipts sent back),
  `GET|POST {base}/sf2900/settings` (`{"callback_delay": S}`: the receipt's delay, at run time)
(the inspect/fault routes also answer under `{base}/sf2900/DistributionService/...`).
Over HTTPS, SOAP needs a client certificate (Serviceplatformen's RequireClientCertificate), the
inspection routes do not.

Wire behaviour (what a client may rely on):
- Every request body is parsed with a hardened parser (no DTD, no entities, no network) and the
  Body's element is validated against the real XSDs. Invalid → HTTP 500 SOAP fault, faultcode
  `soap:Client`, detail `TransportKvittering` (v3 types namespace) with TransportValideringsKode
  FEJL and Fejl FejlKode `SP-XSD-VALIDERING` / FejlTekst = the schema error.
- Security: a SAML token in the WS-Security header must verify against the STS signing
  certificate (`sts_signing_cert`; audience SF2900, the municipality's CVR), else FEJL
  `SP-TOKEN`; without a token AuthorityContext is accepted unless `require_token`.
- `FordelingsobjektAfsend` records the object and answers the technical receipt
  `ForretningsKvittering` (ForretningsValideringsKode = `receipt_state`, default MODTAGET,
  Kvitteringstype Teknisk) plus the DistributionContext echoed with a fresh
  `DistributionTransktionsID` (the record's `distribution_transaktions_id`).
- The published form, on every request (else TransportKvittering FEJL, nothing recorded): no
  file content in the call (`Indhold`, `SP-INDHOLD`: files go by SFTP), a DOKUMENT names its
  one uploaded file in DokumentFilNavn with exactly one Variant (`SP-DOKUMENTFIL`), no
  DigitalPostMeddelelsesID (`SP-DPMID`) or DistributionTransaktionsID (`SP-DTID`: both are
  Serviceplatformen's to fill), no ImportTidspunkt (`SP-IMPORT`), Notat Base64 (`SP-NOTAT`).
- With `sftp_root` (the sandbox SFTP server's root), a DOKUMENT must name in DokumentFilNavn a
  file in `<root>/<user>/OUT` with the declared Filstoerrelse, else TransportKvittering FEJL
  `SP-SFTP-FIL` / `SP-SFTP-STOERRELSE` (recorded nothing; resend once the upload is complete).
- Business receipt: with `callback_url`, `callback_delay` seconds after recording an object it
  calls the sender's FordelingskvitteringModtag (DistributionServiceAnvenderV2) over TLS with
  `callback_ssl_context` (the "serviceplatformen" client certificate): ACCEPTERET, or AFVIST /
  FEJLET from the fault plan (`afvist`, `fejlet`, `receipt_afvist`, `receipt_fejlet`), twice
  (`duplicate_receipt`) or never (`drop_receipt`); transport trouble, 5xx and soap:Server
  faults are retried with backoff, a soap:Client fault is final. Without `callback_url` no
  business receipt is sent (and `afvist` / `fejlet` rules never fire).
- The inspection records carry (issue 9, point 7) `anvender_transaktions_id`, `type`,
  `sag_forslag`, `dokument_fil_navn`, `sftp_file_sha256` (of the SFTP file, null when none),
  `sent_digitalpost_meddelelses_id`, `notat_is_base64` (null without a Notat),
  `distribution_transaktions_id`; each file as `{name, mime, size, variant_type, index}`.
- Dedupe by `DistributionContext/AnvenderTransaktionsID` (case-insensitive): a repeat is NOT
  recorded again and is answered with a SOAP fault (faultcode `soap:Client`) whose detail is
  `TransportKvittering` TransportValideringsKode **ADVARSEL** with Fejl FejlKode **DUPLIKAT**.
  (The WSDL declares TransportKvittering only as the fault message, so that is where it goes.)
  Clients treat this as "already delivered" = success.
- No receiving system for the routing (KLE or RoutingModtagerAktoer) → Forretningskvittering
  AFVIST, FejlKode `INGEN_MODTAGER`. AuthorityContext/MunicipalityCVR other than the configured
  municipality → soap:Client fault, TransportKvittering FEJL, FejlKode `SP-SERVICEAFTALE`.
- Faults injected: http500, slow, drop, drop_after_record (recorded, then the connection is
  closed: the retry must come back as DUPLIKAT), soap_fault (soap:Server, detail ServiceplatformFault
  ErrorList/Error ErrorCode/ErrorText), transport_fejl (soap:Server, TransportKvittering FEJL);
  a faulted call records nothing. afvist / fejlet decide the business receipt (above).

Recorded objects are kept in memory and, with a `data_dir`, appended (fsync'ed before the
answer) to `sf2900_received.jsonl`, so a restarted sandbox keeps its dedupe state.
Never logs file contents, CPR numbers or journal note text.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import ssl
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from cryptography import x509
from lxml import etree

from app.dubu.sts_client import SF2900_ENTITY_ID, StsError, token_from_header, verify_assertion
from app.gateway.receipts import local_base
from app.gateway.server import client_gone
from app.hashing import file_size_sha256
from app.resources import resource
from app.sandbox.faults import KINDS, RECEIPT_KINDS, FaultPlan, FaultRule
from app.sandbox.loopback import LoopbackService
from app.sandbox.sftp_server import OUT_FOLDER
from app.sandbox.sts import cvr_from_subject
from app.sf1606 import xmlsafe

log = logging.getLogger("postfordeler.sandbox.sf2900")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS3 = "http://serviceplatformen.dk/xml/wsdl/soap11/DistributionService/3/types"
NS2 = "http://serviceplatformen.dk/xml/wsdl/soap11/DistributionService/2/types"
NS_AUTH = "http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"
NS_SPFAULT = "http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/"
PREFIX = "/sf2900"
SERVICE_PATH = f"{PREFIX}/DistributionService"
RECEIVED_FILE = "sf2900_received.jsonl"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # spec 3.1.3.5 #5: a call above 10 MB is refused
RECEIPT_STATES = ("MODTAGET", "AFLEVERET", "ACCEPTERET")
CALLBACK_ATTEMPTS = 40  # with the backoff capped at 2 s: a sender down for about a minute
CALLBACK_MAX_DELAY = 2.0
# Fault kinds that decide the business receipt of a published object (the callback).
CALLBACK_KINDS = RECEIPT_KINDS | {"afvist", "fejlet"}


# ---------------------------------------------------------------------------------------------
# Receiving systems (what FordelingsmodtagerList answers)


@dataclass(frozen=True, slots=True)
class ReceivingSystem:
    uuid: str
    name: str
    kle_prefixes: tuple[str, ...]  # "27." matches every 27.xx.xx

    def takes(self, kle: str) -> bool:
        return any(kle.startswith(p) for p in self.kle_prefixes)


def _sys_uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:postfordeler:sandbox:sf2900:{name}"))


DEFAULT_SYSTEMS: tuple[ReceivingSystem, ...] = (
    ReceivingSystem(_sys_uuid("dubu"), "DUBU – Børn og Familie", ("27.",)),
    ReceivingSystem(_sys_uuid("nexus"), "Ældre og sundhed (KMD Nexus)", ("29.",)),
    ReceivingSystem(_sys_uuid("bom"), "Byg og miljø (Byggesag)", ("02.", "09.")),
    ReceivingSystem(_sys_uuid("borgerservice"), "Borgerservice (SBSYS)", ("00.", "23.")),
    ReceivingSystem(_sys_uuid("beskaeftigelse"), "Beskæftigelse (Momentum)", ("15.",)),
    ReceivingSystem(_sys_uuid("skole"), "Skole og dagtilbud (SBSYS)", ("17.", "28.")),
)
DUBU_SYSTEM_UUID = DEFAULT_SYSTEMS[0].uuid


# ---------------------------------------------------------------------------------------------
# XML helpers


def hardened_parser() -> etree.XMLParser:
    # big base64 text nodes; depth is bounded by the schema check; nothing is ever loaded
    return xmlsafe.parser(huge=True)


_schema_lock = threading.Lock()
_schema_cache: etree.XMLSchema | None = None


def request_schema() -> etree.XMLSchema:
    """XMLSchema of the v3 message elements (imports CallContext, AuthorityContext, v2 types)."""
    global _schema_cache
    with _schema_lock:
        if _schema_cache is None:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            doc = etree.parse(str(resource("sf2900", "DistributionServiceMsg.xsd")), parser)
            _schema_cache = etree.XMLSchema(doc)
        return _schema_cache


class _Drop(Exception):
    """Close the connection without an answer (after the work is done)."""


class _Reject(Exception):
    """A SOAP fault to send: soap_code (Client/Server), fault text, detail element."""

    def __init__(self, soap_code: str, text: str, detail: etree._Element | None) -> None:
        super().__init__(text)
        self.soap_code = soap_code
        self.text = text
        self.detail = detail


def _q3(tag: str) -> str:
    return f"{{{NS3}}}{tag}"


def _q2(tag: str) -> str:
    return f"{{{NS2}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def transport_kvittering(
    kode: str, fejl: Iterable[tuple[str, str]], begrundelse: str | None = None
) -> etree._Element:
    tk = etree.Element(_q3("TransportKvittering"), nsmap={"types": NS3})
    _sub(tk, _q3("TransportValideringsKode"), kode)
    if begrundelse:
        _sub(tk, _q3("Begrundelse"), begrundelse)
    fejl = list(fejl)
    if fejl:
        fl = _sub(tk, _q3("FejlListe"))
        for code, text in fejl:
            f = _sub(fl, _q3("Fejl"))
            _sub(f, _q3("FejlKode"), code)
            _sub(f, _q3("FejlTekst"), text)
    return tk


def serviceplatform_fault(code: str, text: str) -> etree._Element:
    spf = etree.Element(f"{{{NS_SPFAULT}}}ServiceplatformFault", nsmap={"spf": NS_SPFAULT})
    el = _sub(_sub(spf, f"{{{NS_SPFAULT}}}ErrorList"), f"{{{NS_SPFAULT}}}Error")
    _sub(el, f"{{{NS_SPFAULT}}}ErrorCode", code)
    _sub(el, f"{{{NS_SPFAULT}}}ErrorText", text)
    return spf


def envelope(body_child: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    _sub(env, f"{{{SOAP_ENV}}}Body").append(body_child)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault_envelope(soap_code: str, text: str, detail: etree._Element | None) -> bytes:
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soap": SOAP_ENV})
    _sub(fault, "faultcode", f"soap:{soap_code}")
    _sub(fault, "faultstring", text)
    if detail is not None:
        _sub(fault, "detail").append(detail)
    return envelope(fault)


def _text(el: etree._Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path, {"t": NS2, "t3": NS3, "a": NS_AUTH})
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _uuid_urn(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    for child in el:
        if child.text:
            return child.text.strip()
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# Turning a DistributionObject into a JSON record


def _file_record(variant: etree._Element) -> dict[str, Any]:
    attrs = variant.find("t:DelAttributter", {"t": NS2})
    size_text = _text(attrs, "t:Filstoerrelse")
    return {
        "name": _text(attrs, "t:DelTekst") or "",
        "mime": _text(attrs, "t:MimeType"),
        "size": int(size_text) if size_text and size_text.lstrip("-").isdigit() else None,
        "variant_type": _text(variant, "t:VariantAttributter/t:VariantType"),
        "index": _text(variant, "t:Indeks"),
    }


def record_from_request(req: etree._Element) -> dict[str, Any]:
    """The JSON record of a (schema-valid) FordelingsobjektAfsendRequest element."""
    ns = {"t": NS2, "t3": NS3, "a": NS_AUTH}
    ctx = req.find("t3:anmodning/t:DistributionContext", ns)
    obj = req.find("t3:anmodning/t:DistributionObject", ns)
    assert ctx is not None and obj is not None  # guaranteed by the schema
    rec: dict[str, Any] = {
        "AnvenderTransaktionsID": (_text(ctx, "t:AnvenderTransaktionsID") or "").lower(),
        "DigitalPostMeddelelsesID": _text(ctx, "t:DigitalPostMeddelelsesID"),
        "AfsendendeMyndighed": _text(ctx, "t:AfsendendeMyndighed"),
        "RoutingMyndighed": _text(ctx, "t:RoutingMyndighed"),
        "RoutingKLEEmne": _text(ctx, "t:RoutingValg/t:RoutingKLEEmneHandling/t:RoutingKLEEmne"),
        "RoutingModtagerAktoer": _text(ctx, "t:RoutingValg/t:RoutingModtagerAktoer"),
        "DokumentFilNavn": _text(ctx, "t:DokumentFilNavn"),
        "MunicipalityCVR": _text(req, "a:AuthorityContext/a:MunicipalityCVR"),
        "ObjektType": _text(obj, "t:ObjektType"),
    }
    content = obj.find("t:ObjektIndhold", ns)
    doc = content.find("t:DistributionDokument", ns) if content is not None else None
    jp = content.find("t:DistributionJournalPost", ns) if content is not None else None
    item = doc if doc is not None else jp
    rec.update(
        {
            "ID": _text(item, "t:ID"),
            "KLEEmneForslag": _text(item, "t:KLEEmneForslag"),
            "HandlingFacetForslag": _text(item, "t:HandlingFacetForslag"),
            "SagForslag": (_text(item, "t:SagForslag") or "").lower() or None,
            "BrugerRef": _uuid_urn(item.find("t:Registrering/t:BrugerRef", ns))
            if item is not None
            else None,
            "Titel": None,
            "Beskrivelse": None,
            "BrugervendtNoegle": None,
            "Dokumenttype": None,
            "Retning": None,
            "Brevdato": None,
            "Fremdrift": None,
            "FremdriftListe": [],
            "files": [],
            "journal_note": None,
            "part": None,
        }
    )
    if doc is not None:
        reg = doc.find("t:Registrering", ns)
        assert reg is not None  # guaranteed by the schema
        attrs = reg.find("t:AttributListe/t:Attributter", ns)
        rec["Titel"] = _text(attrs, "t:TitelTekst")
        rec["Beskrivelse"] = _text(attrs, "t:BeskrivelseTekst")
        rec["BrugervendtNoegle"] = _text(attrs, "t:BrugervendtNoegleTekst")
        rec["Dokumenttype"] = _text(attrs, "t:Dokumenttype")
        rec["Retning"] = _text(attrs, "t:Retning")
        rec["Brevdato"] = _text(attrs, "t:Brevdato")
        states = [
            (s.text or "").strip()
            for s in reg.findall("t:TilstandsListe/t:Tilstand/t:Fremdrift", ns)
        ]
        rec["FremdriftListe"] = states
        rec["Fremdrift"] = states[-1] if states else None
        rec["files"] = [
            _file_record(v) for v in reg.findall("t:RelationListe/t:VariantListe/t:Variant", ns)
        ]
        parts = []
        for p in reg.findall("t:RelationListe/t:DokumentPartListe/t:DokumentPart", ns):
            parts.append(
                {
                    "role": _text(p, "t:Rolle"),
                    "type": _text(p, "t:Part/t:ObjektType"),
                    "ref": _uuid_urn(p.find("t:Part/t:ReferenceID", ns)),
                }
            )
        rec["parts"] = parts
    elif jp is not None:
        note = jp.find("t:Registrering/t:RelationListe/t:JournalPost/t:JournalnotatAttributter", ns)
        rec["journal_note"] = {"title": _text(note, "t:Titel"), "text": _text(note, "t:Notat")}
        rec["Titel"] = _text(note, "t:Titel")
        rec["DokumentRef"] = _uuid_urn(
            jp.find("t:Registrering/t:RelationListe/t:JournalPost/t:Dokument/t:ReferenceID", ns)
        )
        part = jp.find("t:PartAngivelse", ns)
        if part is not None:
            rec["part"] = {
                "type": _text(part, "t:ObjektType"),
                "ref": _uuid_urn(part.find("t:ReferenceID", ns)),
            }
    # English aliases (contract names)
    rec["transaction_id"] = rec["AnvenderTransaktionsID"]
    rec["object_type"] = rec["ObjektType"]
    # the inspection contract (issue 9, point 7)
    rec["anvender_transaktions_id"] = rec["AnvenderTransaktionsID"]
    rec["type"] = rec["ObjektType"]
    rec["sag_forslag"] = rec["SagForslag"]
    rec["dokument_fil_navn"] = rec["DokumentFilNavn"]
    rec["sftp_file_sha256"] = None  # set by the service from the file on its SFTP server
    rec["sent_digitalpost_meddelelses_id"] = ctx.find("t:DigitalPostMeddelelsesID", ns) is not None
    rec["sent_distribution_transaktions_id"] = (
        ctx.find("t:DistributionTransktionsID", ns) is not None
    )
    note = rec["journal_note"]
    rec["notat_is_base64"] = None if note is None else _is_base64_text(note.get("text"))
    if rec["notat_is_base64"]:
        rec["journal_note_text"] = base64.b64decode(note["text"]).decode("utf-8")
    return rec


def _is_base64_text(text: str | None) -> bool:
    """True when `text` is Base64 of UTF-8 text (how the spec wants Notat)."""
    if not text:
        return False
    try:
        base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The service


class Sf2900Service(LoopbackService):
    """The SF2900 sandbox. Use `await start()` / `await stop()` or mount `make_app()` yourself."""

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        municipality_cvr: str | None = None,
        systems: Iterable[ReceivingSystem] = DEFAULT_SYSTEMS,
        faults: Iterable[FaultRule | Mapping[str, Any]] | FaultPlan | None = None,
        receipt_state: str = "MODTAGET",
        seed: int | None = None,
        sftp_root: Path | None = None,
        sftp_user: str | None = None,
        sts_signing_cert: bytes | None = None,
        require_token: bool = False,
        callback_url: str | None = None,
        callback_ssl_context: ssl.SSLContext | None = None,
        callback_delay: float = 0.0,
    ) -> None:
        """`sftp_root`: the root of the sandbox SFTP server (app/sandbox/sftp_server.py); a
        DOKUMENT's `DokumentFilNavn` must name a file in `<root>/<user>/OUT` (`sftp_user`, else
        any user) with the declared Filstoerrelse. `sts_signing_cert`: PEM of the sandbox STS's
        signing certificate; a token in the WS-Security header must verify against it (and
        `require_token` refuses calls without one; else AuthorityContext is the alternative).
        `callback_url`: the sender's FordelingskvitteringModtag (DistributionServiceAnvenderV2),
        called over TLS with `callback_ssl_context` (the "serviceplatformen" client
        certificate) `callback_delay` seconds after each recorded object. Every request must be
        in the published form (module docstring); there is no lenient mode."""
        if receipt_state not in RECEIPT_STATES:
            raise ValueError(f"receipt_state must be one of {RECEIPT_STATES}")
        self.sftp_root = Path(sftp_root) if sftp_root else None
        self.sftp_user = sftp_user
        self.sts_signing_cert = sts_signing_cert
        self.require_token = require_token
        self.callback_url = callback_url
        self.callback_ssl_context = callback_ssl_context
        self.callback_delay = callback_delay
        self.callbacks: list[dict[str, Any]] = []  # one entry per callback attempt outcome
        self._contexts: dict[str, bytes] = {}  # tid -> the request's DistributionContext
        self._receipts: dict[str, tuple[str, str | None, str | None]] = {}  # tid -> the receipt
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self.data_dir = Path(data_dir) if data_dir else None
        self.municipality_cvr = municipality_cvr
        self.systems = tuple(systems)
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan.of(faults, seed=seed)
        self.receipt_state = receipt_state
        self.calls: dict[str, int] = {}
        self.duplicates = 0
        self.token_calls = 0  # calls authorised by a verified STS token
        self.token_refusals = 0
        self.missing_files = 0
        self._records: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []
        self._lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None
        self._load()

    # -- URLs -----------------------------------------------------------------------------

    @property
    def service_url(self) -> str:
        return f"{self._base()}{SERVICE_PATH}"

    @property
    def wsdl_url(self) -> str:
        return f"{self.service_url}?wsdl"

    @property
    def received_url(self) -> str:
        return f"{self._base()}{PREFIX}/received"

    @property
    def faults_url(self) -> str:
        return f"{self._base()}{PREFIX}/faults"

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("SF2900 sandbox is not started")
        return self.base_url

    # -- state ----------------------------------------------------------------------------

    def _journal(self) -> Path | None:
        return self.data_dir / RECEIVED_FILE if self.data_dir else None

    def _load(self) -> None:
        path = self._journal()
        if path is None or not path.exists():
            return
        with open(path, encoding="utf-8") as fh:
            for raw_line in fh:
                line = raw_line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a torn last line after a kill
                    continue
                tid = rec.get("AnvenderTransaktionsID")
                if tid and tid not in self._records:
                    self._records[tid] = rec
                    self._order.append(tid)

    def _persist(self, rec: dict[str, Any]) -> None:
        path = self._journal()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def received(self) -> list[dict[str, Any]]:
        return [self._records[t] for t in self._order]

    def get(self, transaction_id: str) -> dict[str, Any] | None:
        return self._records.get(transaction_id.strip().lower())

    def system_for(
        self, kle: str | None = None, aktoer: str | None = None
    ) -> ReceivingSystem | None:
        for s in self.systems:
            if aktoer is not None and s.uuid.lower() == aktoer.lower():
                return s
            if kle is not None and aktoer is None and s.takes(kle):
                return s
        return None

    # -- aiohttp --------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[client_gone])
        app.router.add_get(SERVICE_PATH, self._handle_get_wsdl)
        app.router.add_post(SERVICE_PATH, self._handle_soap)
        for base in (PREFIX, SERVICE_PATH):
            app.router.add_get(f"{base}/received", self._handle_received)
            app.router.add_get(f"{base}/received/{{tid}}", self._handle_received_one)
            for name in ("faults", "_faults"):
                app.router.add_get(f"{base}/{name}", self._handle_get_faults)
                app.router.add_post(f"{base}/{name}", self._handle_post_faults)
        app.router.add_get(f"{PREFIX}/health", self._handle_health)
        app.router.add_get(f"{PREFIX}/callbacks", self._handle_callbacks)
        app.router.add_get(f"{PREFIX}/settings", self._handle_get_settings)
        app.router.add_post(f"{PREFIX}/settings", self._handle_post_settings)
        app.router.add_get(f"{PREFIX}/files/{{path:.+}}", self._handle_file)
        return app

    # -- WSDL and files ------------------------------------------------------------------

    def _request_base(self, request: web.Request) -> str:
        return self.base_url or local_base(request)  # never the caller's Host header

    async def _handle_get_wsdl(self, request: web.Request) -> web.StreamResponse:
        if "wsdl" not in {k.lower() for k in request.query}:
            wsdl = f"{self._request_base(request)}{SERVICE_PATH}?wsdl"
            return web.json_response({"service": "SF2900 sandbox", "wsdl": wsdl})
        base = self._request_base(request)
        text = resource("sf2900", "wsdl", "context", "DistributionService.wsdl").read_text("utf-8")
        text = text.replace(
            'location="https://localhost:8080/service/SP/Distribution/3"',
            f'location="{base}{SERVICE_PATH}"',
        )
        text = text.replace(
            'location="policies.wsdl"',
            f'location="{base}{PREFIX}/files/wsdl/context/policies.wsdl"',
        )
        text = text.replace(
            'schemaLocation="../../DistributionServiceMsg.xsd"',
            f'schemaLocation="{base}{PREFIX}/files/DistributionServiceMsg.xsd"',
        )
        return web.Response(text=text, content_type="text/xml", charset="utf-8")

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        root = resource("sf2900").resolve()
        rel = request.match_info["path"]
        target = (root / rel).resolve()
        if (
            root not in target.parents
            or not target.is_file()
            or target.suffix not in {".xsd", ".wsdl"}
        ):
            raise web.HTTPNotFound()
        return web.Response(body=target.read_bytes(), content_type="text/xml")

    # -- inspection and faults ----------------------------------------------------------

    async def _handle_health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"ok": True, "service": "sf2900", "received": len(self._order), "calls": self.calls}
        )

    def settings_json(self) -> dict[str, Any]:
        return {"callback_delay": self.callback_delay, "callback_url": self.callback_url}

    async def _handle_get_settings(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.settings_json())

    async def _handle_post_settings(self, request: web.Request) -> web.StreamResponse:
        """`{"callback_delay": S}`: change the business receipt's delay while running."""
        try:
            payload = await request.json()
            delay = float(payload["callback_delay"])
            if not 0.0 <= delay <= 86400.0:
                raise ValueError("callback_delay skal være 0-86400 sekunder")
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        self.callback_delay = delay
        return web.json_response({"ok": True, **self.settings_json()})

    async def _handle_callbacks(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.callbacks, dumps=_dumps)

    async def _handle_received(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.received(), dumps=_dumps)

    async def _handle_received_one(self, request: web.Request) -> web.StreamResponse:
        rec = self.get(request.match_info["tid"])
        if rec is None:
            raise web.HTTPNotFound(text="unknown transaction id")
        return web.json_response(rec, dumps=_dumps)

    async def _handle_get_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.faults.to_json())

    async def _handle_post_faults(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
            self.faults.apply_json(payload)
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "faults": self.faults.to_json()})

    # -- SOAP -----------------------------------------------------------------------------

    async def _handle_soap(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        peer_der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if ssl_object is not None and not peer_der:
            text = "Klientcertifikat påkrævet"
            return self._fault_response(
                _Reject("Client", text, transport_kvittering("FEJL", [("SP-CERTIFIKAT", text)]))
            )
        body = await request.read()
        try:
            req, header = await self._parse(body)
        except _Reject as rej:
            return self._fault_response(rej)
        op = etree.QName(req).localname
        self.calls[op] = self.calls.get(op, 0) + 1
        # DUBU's AFVIST / FEJLET come with the business receipt (the callback), never here
        rule = self.faults.draw(op, KINDS - CALLBACK_KINDS)
        if rule is not None:
            early = await self._apply_transport_fault(request, rule)
            if early is not None:
                return early
            if rule.kind == "slow":
                rule = None
        try:
            if op != "FordelingskvitteringModtagRequest":
                self._check_security(req, header, peer_der)
            if op == "FordelingsobjektAfsendRequest":
                out = await self._afsend(req, rule)
            elif op == "FordelingsmodtagerListRequest":
                out = self._list(req)
            elif op == "FordelingsmodtagerValiderRequest":
                out = self._valider(req)
            elif op == "FordelingskvitteringModtagRequest":
                out = etree.Element(_q3("FordelingskvitteringModtagResponse"), nsmap={"types": NS3})
            else:  # pragma: no cover - the schema only admits the four request elements
                raise _Reject("Client", "Ukendt operation", None)
        except _Reject as rej:
            return self._fault_response(rej)
        except _Drop:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError from None
        except Exception:
            log.exception("SF2900 sandbox failed on %s", op)
            text = "Intern fejl i SF2900-sandkassen"
            return self._fault_response(
                _Reject("Server", text, serviceplatform_fault("SP-500", text))
            )
        return web.Response(body=envelope(out), content_type="text/xml", charset="utf-8")

    async def _parse(self, body: bytes) -> tuple[etree._Element, etree._Element | None]:
        def work() -> tuple[etree._Element, etree._Element | None]:
            try:
                xmlsafe.check_prolog(body)
                doc = etree.fromstring(body, hardened_parser()).getroottree()
            except (etree.XMLSyntaxError, xmlsafe.XmlRefused) as exc:
                if isinstance(exc, xmlsafe.XmlRefused) and exc.kind == "dtd":
                    doc = None
                else:
                    raise _Reject(
                        "Client",
                        "Forespørgslen er ikke gyldig XML",
                        transport_kvittering("FEJL", [("SP-XML", "Ikke gyldig XML")]),
                    ) from None
            except xmlsafe.ExternalRefused:
                doc = None
            if doc is None or doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
                raise _Reject(
                    "Client",
                    "DTD er ikke tilladt",
                    transport_kvittering("FEJL", [("SP-XML", "DTD er ikke tilladt")]),
                )
            env = doc.getroot()
            if env.tag != f"{{{SOAP_ENV}}}Envelope":
                raise _Reject(
                    "Client",
                    "Ikke en SOAP 1.1-kuvert",
                    transport_kvittering(
                        "FEJL", [("SP-SOAP", "Forventede soap:Envelope (SOAP 1.1)")]
                    ),
                )
            soap_body = env.find(f"{{{SOAP_ENV}}}Body")
            children = (
                [c for c in soap_body if isinstance(c.tag, str)] if soap_body is not None else []
            )
            if len(children) != 1:
                raise _Reject(
                    "Client",
                    "SOAP Body skal indeholde præcis ét element",
                    transport_kvittering(
                        "FEJL", [("SP-SOAP", "Body skal indeholde præcis ét element")]
                    ),
                )
            req = children[0]
            schema = request_schema()
            if etree.QName(req).namespace != NS3 or not schema.validate(req):
                err = schema.error_log.last_error
                text = (
                    f"line {err.line}: {err.message}"
                    if err
                    else f"ukendt element {etree.QName(req).text}"
                )
                raise _Reject(
                    "Client",
                    "Forespørgslen overholder ikke skemaet",
                    transport_kvittering("FEJL", [("SP-XSD-VALIDERING", text)]),
                )
            return req, env.find(f"{{{SOAP_ENV}}}Header")

        if len(body) > 1_000_000:
            return await asyncio.to_thread(work)
        return work()

    def _fault_response(self, rej: _Reject) -> web.Response:
        return web.Response(
            status=500,
            body=fault_envelope(rej.soap_code, rej.text, rej.detail),
            content_type="text/xml",
            charset="utf-8",
        )

    async def _apply_transport_fault(
        self, request: web.Request, rule: FaultRule
    ) -> web.StreamResponse | None:
        log.info("SF2900 sandbox injects fault %s", rule.kind)
        if rule.kind == "http500":
            return web.Response(status=500, text="Internal Server Error (injiceret fejl)")
        if rule.kind == "slow":
            await asyncio.sleep(rule.seconds)
            return None
        if rule.kind == "drop":
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError
        if rule.kind == "soap_fault":
            code = rule.code or "SP-500"
            text = rule.reason or "Serviceplatformen: intern fejl (injiceret)"
            return self._fault_response(_Reject("Server", text, serviceplatform_fault(code, text)))
        if rule.kind == "transport_fejl":
            code = rule.code or "SP-TRANSPORT"
            text = rule.reason or "Transportfejl (injiceret)"
            return self._fault_response(
                _Reject("Server", text, transport_kvittering("FEJL", [(code, text)], text))
            )
        return None  # afvist / fejlet are business answers, handled by the operation

    # -- operations -----------------------------------------------------------------------

    def _check_authority(self, req: etree._Element) -> None:
        cvr = _text(req, f"{{{NS_AUTH}}}AuthorityContext/{{{NS_AUTH}}}MunicipalityCVR")
        if self.municipality_cvr and cvr and cvr != self.municipality_cvr:
            text = "Ingen serviceaftale for den angivne myndighed"
            raise _Reject(
                "Client", text, transport_kvittering("FEJL", [("SP-SERVICEAFTALE", text)])
            )

    def _check_security(
        self, req: etree._Element, header: etree._Element | None, peer_der: bytes | None
    ) -> None:
        """A valid STS token in the WS-Security header, or (unless `require_token`)
        AuthorityContext; a token that does not verify is always refused. Over TLS
        (`peer_der` = the client certificate) a token must be the one issued to that
        certificate (holder-of-key), and AuthorityContext must come with a certificate of the
        same municipality (its serialNumber `CVR:<cvr>-…`)."""
        assertion = token_from_header(header)
        has_authority = req.find(f"{{{NS_AUTH}}}AuthorityContext") is not None
        if assertion is not None:
            if self.sts_signing_cert is None:
                raise _token_refused("sandkassen kender ikke STS'ens signeringscertifikat")
            try:
                token = verify_assertion(
                    assertion,
                    self.sts_signing_cert,
                    audience=SF2900_ENTITY_ID,
                    issuer=None,
                    now=datetime.now(UTC),
                )
            except StsError as exc:
                self.token_refusals += 1
                raise _token_refused(f"token afvist ({exc.reason})") from None
            if self.municipality_cvr and token.cvr != self.municipality_cvr:
                self.token_refusals += 1
                raise _token_refused("tokenet er udstedt til en anden myndighed")
            if peer_der is not None and token.confirmation_cert != peer_der:
                self.token_refusals += 1
                raise _token_refused("tokenet er ikke udstedt til klientcertifikatet")
            self.token_calls += 1
        elif self.require_token or not has_authority:
            self.token_refusals += 1
            raise _token_refused("sikkerhedstoken mangler")
        if has_authority:
            self._check_authority(req)
            if assertion is None and peer_der is not None and self.municipality_cvr:
                cvr = cvr_from_subject(x509.load_der_x509_certificate(peer_der))
                if cvr != self.municipality_cvr:
                    text = "Klientcertifikatet tilhører ikke myndigheden i AuthorityContext"
                    raise _Reject(
                        "Client", text, transport_kvittering("FEJL", [("SP-CERTIFIKAT", text)])
                    )

    @staticmethod
    def _check_published(req: etree._Element, rec: dict[str, Any]) -> None:
        """Refuse (TransportKvittering FEJL) what SF2900 v2.4 as published does not take."""
        bad = []
        if next(req.iter(_q2("Indhold")), None) is not None:
            bad.append(("SP-INDHOLD", "Filer overføres via SFTP, ikke i kaldet"))
        if rec["ObjektType"] == "DOKUMENT" and (
            not rec["DokumentFilNavn"] or len(rec["files"]) != 1
        ):
            bad.append(
                ("SP-DOKUMENTFIL", "Et dokument har præcis én fil, navngivet i DokumentFilNavn")
            )
        if rec["sent_digitalpost_meddelelses_id"]:
            bad.append(("SP-DPMID", "DigitalPostMeddelelsesID må ikke angives"))
        if rec["sent_distribution_transaktions_id"]:
            bad.append(("SP-DTID", "DistributionTransaktionsID må ikke angives"))
        if next(req.iter(_q2("ImportTidspunkt")), None) is not None:
            bad.append(("SP-IMPORT", "ImportTidspunkt bruges kun ved import"))
        if rec["notat_is_base64"] is False:
            bad.append(("SP-NOTAT", "Notat skal være Base64-kodet"))
        if bad:
            text = "; ".join(t for _, t in bad)
            raise _Reject("Client", text, transport_kvittering("FEJL", bad, text))

    def _sftp_file(self, name: str) -> Path | None:
        assert self.sftp_root is not None
        if not name or "/" in name or "\\" in name or name in {".", ".."}:
            return None
        users = (
            [self.sftp_user]
            if self.sftp_user
            else sorted(p.name for p in self.sftp_root.iterdir() if p.is_dir())
        )
        for user in users:
            path = self.sftp_root / user / OUT_FOLDER / name
            if path.is_file():
                return path
        return None

    def _check_file(self, rec: dict[str, Any]) -> str | None:
        """The sha256 of the SFTP file a DOKUMENT names (None when there is none to check):
        missing → TransportKvittering FEJL (spec 3.1.3.5 #6: resend once it is there), another
        size than the declared Filstoerrelse → FEJL too (the upload is incomplete)."""
        name = rec.get("DokumentFilNavn")
        if rec["ObjektType"] != "DOKUMENT" or self.sftp_root is None:
            return None
        path = self._sftp_file(name or "")
        if path is None:
            text = "Filen er ikke til stede i SFTP-udmappen"
            self.missing_files += 1
            raise _Reject(
                "Client", text, transport_kvittering("FEJL", [("SP-SFTP-FIL", text)], text)
            )
        size, digest = file_size_sha256(path)
        declared = [f.get("size") for f in rec["files"]]
        if declared and declared[0] is not None and declared[0] != size:
            text = f"Filen på SFTP har {size} bytes, kaldet angiver {declared[0]}"
            self.missing_files += 1
            raise _Reject(
                "Client", text, transport_kvittering("FEJL", [("SP-SFTP-STOERRELSE", text)], text)
            )
        return digest

    # -- the business receipt (callback to the sender) ------------------------------------

    def _schedule_callback(self, tid: str, rule: FaultRule | None) -> None:
        kind = rule.kind if rule is not None else None
        if kind == "drop_receipt":
            self.callbacks.append({"anvender_transaktions_id": tid, "dropped": True})
            return
        status = "ACCEPTERET"
        if kind in ("afvist", "receipt_afvist"):
            status = "AFVIST"
        elif kind in ("fejlet", "receipt_fejlet"):
            status = "FEJLET"
        reason = (rule.reason if rule is not None else "") or None
        if status == "AFVIST" and reason is None:
            reason = "Sagsbehandleren afviste dokumentet (sandkasse)"
        if status == "FEJLET" and reason is None:
            reason = "Modtagersystemet kunne ikke behandle forsendelsen (sandkasse)"
        code = (rule.code if rule is not None else "") or None
        self._receipts[tid] = (status, reason, code)
        self._start_callback(tid, 2 if kind == "duplicate_receipt" else 1)

    def _start_callback(self, tid: str, times: int) -> None:
        status, reason, code = self._receipts[tid]
        task = asyncio.get_running_loop().create_task(
            self._callback(tid, status, reason, code, times), name=f"sf2900-callback-{tid}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def receipt_envelope(
        self, tid: str, status: str, reason: str | None, code: str | None
    ) -> bytes:
        """The FordelingskvitteringModtag request (DistributionServiceAnvenderV2) for `tid`."""
        ctx_xml = self._contexts.get(tid)
        rec = self._records[tid]
        req = etree.Element(_q2("FordelingskvitteringModtagAnvenderRequest"), nsmap={"v2": NS2})
        kv = _sub(req, _q2("Forretningskvittering"))
        _sub(kv, _q2("ForretningsValideringsKode"), status)
        _sub(kv, _q2("Kvitteringstype"), "Forretning")
        if reason:
            _sub(kv, _q2("Begrundelse"), reason)
        if status != "ACCEPTERET":
            f = _sub(_sub(kv, _q2("FejlListe")), _q2("Fejl"))
            _sub(f, _q2("FejlKode"), code or status)
            _sub(f, _q2("FejlTekst"), reason or status)
        out = _sub(req, _q2("DistributionContext"))
        src = etree.fromstring(ctx_xml) if ctx_xml else None
        children = [c for c in src if isinstance(c.tag, str)] if src is not None else []
        for child in children:
            local = etree.QName(child).localname
            if local in ("DistributionTransktionsID", "DigitalPostMeddelelsesID"):
                continue
            out.append(etree.fromstring(etree.tostring(child)))
            if local == "AnvenderTransaktionsID":
                _sub(out, _q2("DistributionTransktionsID"), rec["DistributionTransktionsID"])
        return envelope(req)

    async def _callback(
        self, tid: str, status: str, reason: str | None, code: str | None, times: int
    ) -> None:
        if self.callback_delay > 0:
            await asyncio.sleep(self.callback_delay)
        body = self.receipt_envelope(tid, status, reason, code)
        for n in range(times):
            await self._deliver_receipt(tid, status, body, n + 1)

    async def _deliver_receipt(self, tid: str, status: str, body: bytes, copy: int) -> None:
        """POST one receipt, retrying transport trouble, 5xx and soap:Server faults with
        backoff (Serviceplatformen must not lose a receipt); a soap:Client fault is final."""
        assert self.callback_url is not None
        if self._http is None:
            self._http = httpx.AsyncClient(
                verify=self.callback_ssl_context or True, timeout=httpx.Timeout(15.0)
            )
        delay = 0.2
        entry: dict[str, Any] = {"anvender_transaktions_id": tid, "status": status, "copy": copy}
        for attempt in range(1, CALLBACK_ATTEMPTS + 1):
            entry["attempts"] = attempt
            try:
                resp = await self._http.post(
                    self.callback_url,
                    content=body,
                    headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
                )
            except httpx.HTTPError as exc:
                entry["error"] = type(exc).__name__
            else:
                entry["http_status"] = resp.status_code
                if resp.status_code == 200:
                    entry["ok"] = True
                    entry.pop("error", None)
                    break
                if b"Fault" in resp.content and b"soap:Client" in resp.content:
                    # the sender cannot take this receipt (unknown id, too old, invalid): final
                    entry["ok"] = False
                    entry["fault"] = True
                    break
            await asyncio.sleep(delay)
            delay = min(delay * 2, CALLBACK_MAX_DELAY)
        entry.setdefault("ok", False)
        self.callbacks.append(entry)
        log.info("SF2900 sandbox receipt %s for %s: %s", status, tid, entry.get("http_status"))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await super().stop()

    async def wait_callbacks(self, timeout: float = 30.0) -> None:
        """Wait until every scheduled receipt has been delivered (or given up)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _afsend(self, req: etree._Element, rule: FaultRule | None) -> etree._Element:
        ns = {"t": NS2, "t3": NS3}
        ctx = req.find("t3:anmodning/t:DistributionContext", ns)
        assert ctx is not None
        tid = (_text(ctx, "t:AnvenderTransaktionsID") or "").lower()
        kle = _text(ctx, "t:RoutingValg/t:RoutingKLEEmneHandling/t:RoutingKLEEmne")
        aktoer = _text(ctx, "t:RoutingValg/t:RoutingModtagerAktoer")
        system = self.system_for(kle=kle, aktoer=aktoer)
        if system is None:
            reason = "Der findes ingen fordelingsmodtager for den angivne routing"
            return self._afsend_response(ctx, "AFVIST", reason, [("INGEN_MODTAGER", reason)])
        async with self._lock:
            if tid in self._records:
                self.duplicates += 1
                if self.callback_url and tid in self._receipts:
                    # spec 3.1.4.4: the same request again gets the same receipt again
                    self._start_callback(tid, 1)
                text = "Forsendelsen er allerede modtaget (AnvenderTransaktionsID findes)"
                raise _Reject(
                    "Client",
                    f"DUPLIKAT: {text}",
                    transport_kvittering("ADVARSEL", [("DUPLIKAT", text)], text),
                )
            rec = record_from_request(req)
            self._check_published(req, rec)
            rec["sftp_file_sha256"] = await asyncio.to_thread(self._check_file, rec)
            rec["DistributionTransktionsID"] = str(uuid.uuid4())
            rec["distribution_transaktions_id"] = rec["DistributionTransktionsID"]
            rec["modtager"] = {"uuid": system.uuid, "name": system.name}
            rec["received_at"] = _now()
            rec["Forretningskvittering"] = self.receipt_state
            await asyncio.to_thread(self._persist, rec)
            self._records[tid] = rec
            self._order.append(tid)
            self._contexts[tid] = etree.tostring(ctx)
        log.info("SF2900 sandbox recorded %s (%s)", rec["ObjektType"], tid)
        if self.callback_url:
            receipt_rule = self.faults.draw("FordelingskvitteringModtag", CALLBACK_KINDS)
            self._schedule_callback(tid, receipt_rule)
        if rule is not None and rule.kind == "drop_after_record":
            raise _Drop
        return self._afsend_response(
            ctx, self.receipt_state, None, [], rec["DistributionTransktionsID"]
        )

    def _afsend_response(
        self,
        ctx: etree._Element,
        state: str,
        reason: str | None,
        fejl: list[tuple[str, str]],
        distribution_tid: str | None = None,
    ) -> etree._Element:
        resp = etree.Element(_q3("FordelingsobjektAfsendResponse"), nsmap={"types": NS3, "v2": NS2})
        kv = _sub(resp, _q3("ForretningsKvittering"))
        _sub(kv, _q2("ForretningsValideringsKode"), state)
        # spec 3.1.3.3.4: the synchronous answer is the technical receipt ("Modtaget")
        _sub(kv, _q2("Kvitteringstype"), "Teknisk" if state == "MODTAGET" else "Forretning")
        if reason:
            _sub(kv, _q2("Begrundelse"), reason)
        if fejl:
            fl = _sub(kv, _q2("FejlListe"))
            for code, text in fejl:
                f = _sub(fl, _q2("Fejl"))
                _sub(f, _q2("FejlKode"), code)
                _sub(f, _q2("FejlTekst"), text)
        out_ctx = _sub(resp, _q3("DistributionContext"))
        for child in ctx:
            if not isinstance(child.tag, str):
                continue
            copy = etree.fromstring(etree.tostring(child))
            out_ctx.append(copy)
            if etree.QName(child).localname == "AnvenderTransaktionsID":
                existing = ctx.find(_q2("DistributionTransktionsID"))
                if existing is None:
                    _sub(
                        out_ctx,
                        _q2("DistributionTransktionsID"),
                        distribution_tid or str(uuid.uuid4()),
                    )
        return resp

    def _list(self, req: etree._Element) -> etree._Element:
        self._check_authority(req)
        ns = {"t": NS2, "t3": NS3}
        routing = req.find("t3:Routing", ns)
        kle = _text(routing, "t:RoutingKLEEmne") or ""
        facet = _text(routing, "t:RoutingHandlingFacet")
        myndighed = _text(routing, "t:RoutingMyndighed") or (self.municipality_cvr or "")
        resp = etree.Element(_q3("FordelingsmodtagerListResponse"), nsmap={"types": NS3, "v2": NS2})
        systemer = _sub(resp, _q3("Systemer"))
        for s in self.systems:
            if not s.takes(kle):
                continue
            el = _sub(systemer, _q2("System"))
            _sub(el, _q2("SystemMyndighed"), myndighed)
            _sub(el, _q2("SystemUUID"), s.uuid)
            _sub(el, _q2("SystemNavn"), s.name)
            _sub(el, _q2("RoutingKLEEmne"), kle)
            if facet:
                _sub(el, _q2("RoutingHandlingFacet"), facet)
        return resp

    def _valider(self, req: etree._Element) -> etree._Element:
        self._check_authority(req)
        ns = {"t": NS2, "t3": NS3}
        resp = etree.Element(
            _q3("FordelingsmodtagerValiderResponse"), nsmap={"types": NS3, "v2": NS2}
        )
        liste = _sub(resp, _q3("RoutingListe"))
        for r in req.findall("t3:RoutingListe/t:Routing", ns):
            myndighed = _text(r, "t:RoutingMyndighed") or ""
            aktoer = _text(r, "t:RoutingModtagerAktoer") or ""
            ok = any(s.uuid.lower() == aktoer.lower() for s in self.systems) and (
                not self.municipality_cvr or myndighed == self.municipality_cvr
            )
            el = _sub(liste, _q2("RoutingModtager"))
            _sub(el, _q2("RoutingMyndighed"), myndighed)
            _sub(el, _q2("RoutingModtagerAktoer"), aktoer)
            _sub(el, _q2("KanModtage"), "true" if ok else "false")
        return resp


def _token_refused(text: str) -> _Reject:
    return _Reject(
        "Client", f"Adgang nægtet: {text}", transport_kvittering("FEJL", [("SP-TOKEN", text)], text)
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


async def start_sf2900_service(
    host: str = "127.0.0.1", port: int = 0, **kwargs: Any
) -> Sf2900Service:
    """Create and start an `Sf2900Service` in the current loop."""
    service = Sf2900Service(**kwargs)
    await service.start(host, port)
    return service
