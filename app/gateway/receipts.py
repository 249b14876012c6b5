"""SF2900 EP_AS2 FordelingskvitteringModtag: the callback the sender (the gateway) exposes.

SF2900 v2.4, 3.1.4: Serviceplatformen calls the sender's `FordelingskvitteringModtag`
(`resources/sf2900/SF2900_EP_MS1-2/DistributionServiceAnvenderV2.wsdl`, SOAP 1.1
document/literal, soapAction "") with a `FordelingskvitteringModtagAnvenderRequest`: a
`Forretningskvittering` (ForretningsValideringsKode MODTAGET / AFLEVERET / ACCEPTERET / AFVIST /
FEJLET, Kvitteringstype Teknisk / Forretning / Digital post, Begrundelse, FejlListe) and the
`DistributionContext` of the request it answers (AnvenderTransaktionsID unchanged,
DistributionTransaktionsID). The same endpoint takes technical and business receipts.

What this module does with one call (`callback_routes` mounts it on an aiohttp app):

1. Security (3.1.4.3): 2-way TLS only; with `pins` the client certificate must be the pinned
   Serviceplatformen certificate (subject + SHA-256, several for a rollover), checked BEFORE the
   body is read (HTTP 403). Without `pins` the listener's own pinning must do it.
2. The body: at most `max_bytes` (Content-Length and the stream), parsed with a hardened lxml
   parser (no DTD, no entities, no network, no huge trees, comments/PIs dropped), must be a SOAP
   1.1 envelope whose Body holds exactly one `FordelingskvitteringModtagAnvenderRequest`, valid
   against the published XSDs (`DistributionServiceMsgV2.xsd`). Anything else → SOAP fault with
   a `TransportKvittering` FEJL (3.1.4.2.2: "Kan afsendersystemet ikke forstå kvitteringen").
3. A business receipt (ACCEPTERET / AFVIST / FEJLET) becomes a `BusinessReceipt` and is given to
   `apply` (the store's `apply_business_receipt`, idempotent: a duplicate is harmless — 3.1.4.4
   "at least once"). A technical MODTAGET / AFLEVERET is acknowledged and not applied (the
   synchronous answer already said so).
4. Age (1.2 and 3.1.4.4): "Afsendersystemet skal afvise kvitteringer, der modtages 40 dage efter
   en anmodning". The receipt does not carry the request's time, so `sent_at(anvender_id)`
   (the store's send time of that part) is asked when given; a receipt more than
   `RECEIPT_MAX_AGE` after it is refused (fault, not applied). `apply` may refuse too
   (`ReceiptOutcome.TOO_OLD`).
5. Answer: the WSDL's empty `FordelingskvitteringModtagAnvenderResponse` (HTTP 200) once the
   receipt is applied (or was already); an unknown AnvenderTransaktionsID is a fault (3.1.4.4,
   error 3.1: reported to Serviceplatformen's operations), so is a failure to store it (HTTP
   500: Serviceplatformen delivers again).

Never logs the Begrundelse / FejlTekst (they may name a citizen) or the body.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import HttpVersion11, web
from lxml import etree

from app.gateway.deadlines import read_chunks
from app.resources import resource
from app.sf1606 import xmlsafe
from app.sf1606.tls import CertPin, PeerCertificate, pin_allows

log = logging.getLogger("postfordeler.gateway.receipts")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS2 = "http://serviceplatformen.dk/xml/wsdl/soap11/DistributionService/2/types"
REQUEST_TAG = f"{{{NS2}}}FordelingskvitteringModtagAnvenderRequest"
CALLBACK_PATH = "/sf2900/fordelingskvittering"
MAX_RECEIPT_BYTES = 256 * 1024
RECEIPT_MAX_AGE = timedelta(days=40)  # spec 1.2 / 3.1.4.4
BUSINESS_STATUSES = frozenset({"ACCEPTERET", "AFVIST", "FEJLET"})
TECHNICAL_STATUSES = frozenset({"MODTAGET", "AFLEVERET"})


class ReceiptOutcome(enum.Enum):
    """What applying a business receipt did (the store's `apply_business_receipt` answers one
    of these; it may use its own enum with the same member names)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the same receipt again: nothing changed
    UNKNOWN = "unknown"  # no part with that AnvenderTransaktionsID
    TOO_OLD = "too_old"  # more than RECEIPT_MAX_AGE after the request


@dataclass(frozen=True, slots=True)
class BusinessReceipt:
    """One business receipt (Forretningskvittering) for one SF2900 part.

    `status` is ACCEPTERET / AFVIST / FEJLET; `reason` DUBU's Begrundelse (else the first
    FejlTekst); `sent_at` the time the part was sent, when the callback could look it up."""

    anvender_transaktions_id: str
    status: str
    reason: str | None
    distribution_transaktions_id: str | None
    sent_at: datetime | None = None
    kvitteringstype: str = "Forretning"
    errors: tuple[tuple[str, str], ...] = ()  # (FejlKode, FejlTekst)
    received_at: datetime | None = None

    def __repr__(self) -> str:  # the reason may name a person: keep it out of logs
        return (
            f"BusinessReceipt({self.anvender_transaktions_id!r}, {self.status!r}, "
            f"distribution_transaktions_id={self.distribution_transaktions_id!r})"
        )


class ReceiptError(Exception):
    """The call is not a receipt we can take: `code` (FejlKode), Danish text, and whether the
    fault is the sender's (soap:Client) or ours (soap:Server, HTTP 500)."""

    def __init__(self, code: str, text: str, *, client: bool = True) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.client = client


def receipt_too_old(sent_at: datetime | None, now: datetime) -> bool:
    """True when a receipt arriving `now` comes more than 40 days after the request."""
    return sent_at is not None and now - sent_at > RECEIPT_MAX_AGE


# ---------------------------------------------------------------------------------------------
# Parsing


def local_base(request: web.Request) -> str:
    """scheme://host:port of the socket `request` arrived on (never its Host header)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    scheme = "https" if request.secure else "http"
    if not sockname:
        return f"{scheme}://127.0.0.1"
    host, port = str(sockname[0]), int(sockname[1])
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def hardened_parser() -> etree.XMLParser:
    """A parser that never loads a DTD, an entity or a URL (app.sf1606.xmlsafe)."""
    return xmlsafe.parser()


_schema_lock = threading.Lock()
_schema: etree.XMLSchema | None = None


def receipt_schema() -> etree.XMLSchema:
    """The published XSDs of the callback (DistributionServiceMsgV2.xsd + TypesV2), from the
    shipped resources only."""
    global _schema
    with _schema_lock:
        if _schema is None:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            path = resource("sf2900", "SF2900_EP_MS1-2", "DistributionServiceMsgV2.xsd")
            _schema = etree.XMLSchema(etree.parse(str(path), parser))
        return _schema


def _text(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    child = el.find(f"{{{NS2}}}{name}")
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def parse_receipt(body: bytes, *, now: datetime | None = None) -> BusinessReceipt:
    """The receipt in a FordelingskvitteringModtag request; ReceiptError when it is not one.
    The status may be technical (MODTAGET / AFLEVERET): the caller decides what to apply."""
    if len(body) > MAX_RECEIPT_BYTES:
        raise ReceiptError("FOR_STOR", "Kvitteringen er for stor")
    try:
        xmlsafe.check_prolog(body)  # in the real encoding: UTF-16/32 and any DOCTYPE refused
        doc = etree.fromstring(body, hardened_parser()).getroottree()
    except xmlsafe.XmlRefused as exc:
        if exc.kind == "dtd":
            raise ReceiptError("XML", "DTD er ikke tilladt") from None
        raise ReceiptError("XML", "Kvitteringen er ikke gyldig XML") from None
    except xmlsafe.ExternalRefused:
        raise ReceiptError("XML", "DTD er ikke tilladt") from None
    except (etree.XMLSyntaxError, ValueError):
        raise ReceiptError("XML", "Kvitteringen er ikke gyldig XML") from None
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        raise ReceiptError("XML", "DTD er ikke tilladt")
    env = doc.getroot()
    if env.tag != f"{{{SOAP_ENV}}}Envelope":
        raise ReceiptError("SOAP", "Forventede en SOAP 1.1-kuvert")
    soap_body = env.find(f"{{{SOAP_ENV}}}Body")
    children = [c for c in soap_body if isinstance(c.tag, str)] if soap_body is not None else []
    if len(children) != 1 or children[0].tag != REQUEST_TAG:
        raise ReceiptError(
            "SOAP", "Body skal indeholde én FordelingskvitteringModtagAnvenderRequest"
        )
    req = children[0]
    schema = receipt_schema()
    if not schema.validate(req):
        err = schema.error_log.last_error
        where = f" (linje {err.line})" if err is not None else ""
        raise ReceiptError("XSD-VALIDERING", f"Kvitteringen overholder ikke skemaet{where}")
    kv = req.find(f"{{{NS2}}}Forretningskvittering")
    ctx = req.find(f"{{{NS2}}}DistributionContext")
    assert kv is not None and ctx is not None  # guaranteed by the schema
    errors = tuple(
        (_text(f, "FejlKode") or "", _text(f, "FejlTekst") or "")
        for f in kv.iterfind(f"{{{NS2}}}FejlListe/{{{NS2}}}Fejl")
    )
    reason = _text(kv, "Begrundelse") or next((t for _, t in errors if t), None)
    anvender = _text(ctx, "AnvenderTransaktionsID")
    assert anvender is not None  # the schema requires a UUID
    return BusinessReceipt(
        anvender_transaktions_id=anvender.lower(),
        status=_text(kv, "ForretningsValideringsKode") or "",
        reason=reason,
        distribution_transaktions_id=(_text(ctx, "DistributionTransktionsID") or "").lower()
        or None,
        kvitteringstype=_text(kv, "Kvitteringstype") or "",
        errors=errors,
        received_at=now or datetime.now(UTC),
    )


# ---------------------------------------------------------------------------------------------
# Answers


def _envelope(child: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(child)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def response_envelope() -> bytes:
    """The WSDL's (empty) FordelingskvitteringModtagAnvenderResponse."""
    return _envelope(
        etree.Element(f"{{{NS2}}}FordelingskvitteringModtagAnvenderResponse", nsmap={"v2": NS2})
    )


def fault_envelope(error: ReceiptError) -> bytes:
    """A SOAP fault whose detail is the WSDL's TransportKvittering (FEJL + the error)."""
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soap": SOAP_ENV})
    etree.SubElement(fault, "faultcode").text = "soap:Client" if error.client else "soap:Server"
    etree.SubElement(fault, "faultstring").text = error.text
    detail = etree.SubElement(fault, "detail")
    tk = etree.SubElement(detail, f"{{{NS2}}}TransportKvittering", nsmap={"v2": NS2})
    etree.SubElement(tk, f"{{{NS2}}}TransportValideringsKode").text = "FEJL"
    etree.SubElement(tk, f"{{{NS2}}}Begrundelse").text = error.text
    f = etree.SubElement(etree.SubElement(tk, f"{{{NS2}}}FejlListe"), f"{{{NS2}}}Fejl")
    etree.SubElement(f, f"{{{NS2}}}FejlKode").text = error.code
    etree.SubElement(f, f"{{{NS2}}}FejlTekst").text = error.text
    return _envelope(fault)


def _xml(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="text/xml", charset="utf-8")


def _outcome_name(outcome: Any) -> str:
    return str(getattr(outcome, "name", outcome)).upper()


# ---------------------------------------------------------------------------------------------
# The route

ApplyReceipt = Callable[[BusinessReceipt], Awaitable[Any]]
SentAt = Callable[[str], Awaitable[datetime | None]]


@dataclass
class CallbackStats:
    applied: int = 0
    duplicates: int = 0
    technical: int = 0
    refused: int = 0


def callback_routes(
    app: web.Application,
    apply: ApplyReceipt,
    *,
    path: str = CALLBACK_PATH,
    pins: Sequence[CertPin] | None = None,
    sent_at: SentAt | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_bytes: int = MAX_RECEIPT_BYTES,
    public_base: Callable[[], str | None] | None = None,
) -> CallbackStats:
    """Mount `POST {path}` (FordelingskvitteringModtag) and `GET {path}?wsdl` on `app`.

    `public_base` (optional) gives the scheme://host:port the WSDL's address names; without it
    (or while it answers None) the address the request arrived on (the socket, never the
    caller's Host header).

    `apply` stores one business receipt and answers a `ReceiptOutcome` (by member name);
    `pins` (optional) restricts the caller to Serviceplatformen's pinned client certificate;
    `sent_at` (optional) gives a part's send time for the 40-day limit. Returns live counters.
    """
    stats = CallbackStats()
    limit = min(max_bytes, MAX_RECEIPT_BYTES)

    def peer_allowed(request: web.Request) -> bool:
        if pins is None:
            return True
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        try:
            peer = PeerCertificate.of_ssl_object(ssl_object)
        except ValueError:
            peer = None
        if pin_allows(pins, peer):
            return True
        log.warning(
            "SF2900 receipt refused: client certificate %s",
            "missing" if peer is None else f"not pinned (sha256={peer.sha256})",
        )
        return False

    async def read_limited(request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > limit:
            raise ReceiptError("FOR_STOR", "Kvitteringen er for stor")
        chunks: list[bytes] = []
        size = 0
        # a peer sending too slowly gets BodyTooSlow (the gateway answers 408 and closes)
        async for chunk in read_chunks(
            request.content, chunk=64 * 1024, timeout=30.0, min_rate=64 * 1024
        ):
            size += len(chunk)
            if size > limit:
                raise ReceiptError("FOR_STOR", "Kvitteringen er for stor")
            chunks.append(chunk)
        return b"".join(chunks)

    async def handle(request: web.Request) -> web.StreamResponse:
        if not peer_allowed(request):
            stats.refused += 1
            refused = web.HTTPForbidden(text="Klientcertifikatet er ikke godkendt")
            refused.force_close()
            raise refused
        try:
            body = await read_limited(request)
            receipt = parse_receipt(body, now=clock())
            if receipt.status not in BUSINESS_STATUSES:
                stats.technical += 1  # a technical receipt: nothing to apply
                return _xml(response_envelope())
            if sent_at is not None:
                when = await sent_at(receipt.anvender_transaktions_id)
                if receipt_too_old(when, clock()):
                    raise ReceiptError(
                        "FOR_GAMMEL", "Kvitteringen er modtaget mere end 40 dage efter anmodningen"
                    )
                receipt = replace(receipt, sent_at=when)
            try:
                outcome = await apply(receipt)
            except Exception as exc:
                log.error(
                    "SF2900 receipt for %s could not be stored (%s)",
                    receipt.anvender_transaktions_id,
                    type(exc).__name__,
                )
                raise ReceiptError(
                    "INTERN", "Kvitteringen kunne ikke gemmes; send den igen", client=False
                ) from None
            name = _outcome_name(outcome)
            if name == "UNKNOWN":
                raise ReceiptError("UKENDT_TRANSAKTION", "AnvenderTransaktionsID kendes ikke")
            if name == "TOO_OLD":
                raise ReceiptError(
                    "FOR_GAMMEL", "Kvitteringen er modtaget mere end 40 dage efter anmodningen"
                )
            if name == "DUPLICATE":
                stats.duplicates += 1
            else:
                stats.applied += 1
            log.info(
                "SF2900 business receipt %s for %s: %s",
                receipt.status,
                receipt.anvender_transaktions_id,
                name.lower(),
            )
            return _xml(response_envelope())
        except ReceiptError as err:
            stats.refused += 1
            log.info("SF2900 receipt refused: %s", err.code)
            return _xml(fault_envelope(err), status=500)

    async def wsdl(request: web.Request) -> web.StreamResponse:
        if "wsdl" not in {k.lower() for k in request.query}:
            raise web.HTTPNotFound()
        base = (public_base() if public_base is not None else None) or local_base(request)
        text = resource(
            "sf2900", "SF2900_EP_MS1-2", "DistributionServiceAnvenderV2.wsdl"
        ).read_text("utf-8")
        text = text.replace(
            'location="http://localhost:8080/service/DistributionService/DistributionService/2"',
            f'location="{xmlsafe.xml_attr_escape(base + path)}"',
        )
        return web.Response(text=text, content_type="text/xml", charset="utf-8")

    async def expect(request: web.Request) -> None:
        """`Expect: 100-continue`: refuse an unpinned peer before it sends the body."""
        if not peer_allowed(request):
            stats.refused += 1
            refused = web.HTTPForbidden(text="Klientcertifikatet er ikke godkendt")
            refused.force_close()
            raise refused
        if request.version == HttpVersion11:
            expect_header = request.headers.get("Expect", "")
            if expect_header.lower() != "100-continue":
                raise web.HTTPExpectationFailed(text="Ukendt Expect")
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the 100 is not part of the response proper

    app.router.add_route("POST", path, handle, expect_handler=expect)
    app.router.add_get(path, wsdl)
    return stats
