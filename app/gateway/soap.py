"""Server side of the mailbox SOAP service (resources/mailbox/PostfordelerMailbox.wsdl).

Parses requests with a hardened lxml parser (app.sf1606.xmlsafe: no DTD, no entities, no
network, nothing opened, the prolog checked in its real encoding; size-bounded),
validates the request element against the XSD, reads the WS-Security UsernameToken (user,
PasswordText, nonce, creation time: the server checks them with `app.gateway.login_guard`
between `prepare` and `answer`, so a failed login never costs the shared pool scrypt), checks the
AuthorityContext, dispatches to the store and builds responses as bytes by string building (a
page of items with base64 MeMo is the hot path: one SELECT, binascii base64, one join).

Visibility: `SoapContext.can_see(user, contact_point_id)` decides which items a user may see.
PostListe leaves out the items the user may not see (the cursor still moves past them, so a
client never re-reads them), and PostHent, UdfaldRegistrer and the reservations answer an
invisible item exactly like a missing one (`UKENDT_ELEMENT`, same text): existence never leaks.

`prepare(body)` and `answer(request, ctx)` are blocking: run them in a worker thread. It never logs content or CPR.
"""

from __future__ import annotations

import binascii
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from lxml import etree

from app.gateway import authz
from app.gateway.store import Claim, GatewayStore, StoredItem, StoreError
from app.resources import resource
from app.sf1606 import xmlsafe

log = logging.getLogger("postfordeler.gateway.soap")

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MB_NS = "https://postfordeler.dk/xml/schemas/Mailbox/1/"
AUTH_NS = "http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"
SPF_NS = "http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-username-token-profile-1.0#PasswordText"
)

MAX_REQUEST_BYTES = 256 * 1024
DEFAULT_PAGE_ITEMS = 200
MAX_PAGE_ITEMS = 1000
DEFAULT_PAGE_BYTES = 8 * 1024 * 1024
DEFAULT_LEASE_SECONDS = 300

_B = "{" + MB_NS + "}"


class SoapFault(Exception):
    """A fault to answer. `server=True` marks temporary trouble (soap:Server → retry)."""

    def __init__(self, code: str, text: str, *, server: bool = False) -> None:
        super().__init__(f"{code}: {text}")
        self.code, self.text, self.server = code, text, server


# --------------------------------------------------------------------------- parsing


class _Local(threading.local):
    def __init__(self) -> None:
        self.schema: etree.XMLSchema | None = None


_local = _Local()
_schema_lock = threading.Lock()


def _schema() -> etree.XMLSchema:
    if _local.schema is None:
        with _schema_lock:
            doc = etree.parse(
                str(resource("mailbox", "PostfordelerMailbox.xsd")),
                etree.XMLParser(resolve_entities=False, no_network=True),
            )
            _local.schema = etree.XMLSchema(doc)
    return _local.schema


@dataclass(frozen=True, slots=True)
class SoapRequest:
    operation: str  # local name without "Request"
    element: etree._Element
    user: str | None
    password: str | None
    password_type: str | None
    nonce: str | None = None  # wsse:Nonce of the UsernameToken
    created: str | None = None  # its wsu:Created, else the Security header's wsu:Timestamp


_NOT_XML = "Forespørgslen er ikke velformet XML"
_PROLOG_TEXTS = {
    "dtd": "DTD er ikke tilladt",
    "encoding": "Forespørgslen skal være UTF-8",
    "empty": _NOT_XML,
    "xml": _NOT_XML,
}


def parse_request(body: bytes) -> SoapRequest:
    if len(body) > MAX_REQUEST_BYTES:
        raise SoapFault("UGYLDIG_FORESPOERGSEL", "Forespørgslen er for stor")
    try:
        # the prolog in its real encoding (UTF-16/32 are refused, however declared)
        xmlsafe.check_prolog(body)
        root = etree.fromstring(body, xmlsafe.parser())
    except xmlsafe.XmlRefused as exc:
        raise SoapFault("UGYLDIG_FORESPOERGSEL", _PROLOG_TEXTS.get(exc.kind, _NOT_XML)) from None
    except xmlsafe.ExternalRefused:
        raise SoapFault("UGYLDIG_FORESPOERGSEL", _PROLOG_TEXTS["dtd"]) from None
    except (etree.XMLSyntaxError, ValueError):
        raise SoapFault("UGYLDIG_FORESPOERGSEL", _NOT_XML) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapFault("UGYLDIG_FORESPOERGSEL", _PROLOG_TEXTS["dtd"])
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapFault("UGYLDIG_FORESPOERGSEL", "Ikke en SOAP 1.1-konvolut")
    user = password = ptype = nonce = created = None
    header = root.find(f"{{{SOAP_NS}}}Header")
    security = header.find(f"{{{WSSE_NS}}}Security") if header is not None else None
    if security is not None:
        token = security.find(f"{{{WSSE_NS}}}UsernameToken")
        if token is not None:
            user = token.findtext(f"{{{WSSE_NS}}}Username")
            pw = token.find(f"{{{WSSE_NS}}}Password")
            if pw is not None:
                password = pw.text or ""
                ptype = pw.get("Type") or PASSWORD_TEXT
            nonce = token.findtext(f"{{{WSSE_NS}}}Nonce")
            created = token.findtext(f"{{{WSU_NS}}}Created")
        if created is None:
            created = security.findtext(f"{{{WSU_NS}}}Timestamp/{{{WSU_NS}}}Created")
    body_el = root.find(f"{{{SOAP_NS}}}Body")
    if body_el is None or len(body_el) != 1:
        raise SoapFault("UGYLDIG_FORESPOERGSEL", "SOAP Body skal indeholde præcis ét element")
    element = body_el[0]
    tag = element.tag if isinstance(element.tag, str) else ""
    if not tag.startswith(_B) or not tag.endswith("Request"):
        raise SoapFault("UKENDT_OPERATION", "Ukendt operation")
    return SoapRequest(
        tag[len(_B) : -len("Request")], element, user, password, ptype, nonce, created
    )


# --------------------------------------------------------------------------- building

_ENVELOPE_HEAD = (
    b"<?xml version='1.0' encoding='utf-8'?>\n"
    b'<soap:Envelope xmlns:soap="' + SOAP_NS.encode() + b'"><soap:Body>'
)
_ENVELOPE_TAIL = b"</soap:Body></soap:Envelope>"


def _dt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _opt(name: str, value: str | None) -> str:
    return "" if value is None else f"<mb:{name}>{escape(value)}</mb:{name}>"


def _item_parts(item: StoredItem, parts: list[bytes]) -> None:
    head = (
        f"<mb:PostElement><mb:ElementID>{item.item_id}</mb:ElementID>"
        f"<mb:MeddelelseUUID>{escape(item.message_uuid)}</mb:MeddelelseUUID>"
        f"<mb:ModtagetTidspunkt>{_dt(item.received_at)}</mb:ModtagetTidspunkt>"
        f"{_opt('KontaktpunktID', item.contact_point_id)}"
        f"<mb:Art>{escape(item.kind)}</mb:Art>"
        f"<mb:MeMoVersion>{escape(item.memo_version)}</mb:MeMoVersion>"
        f"<mb:Stoerrelse>{item.size}</mb:Stoerrelse><mb:Sha256>{item.sha256}</mb:Sha256>"
        f"<mb:Status>{escape(item.status)}</mb:Status>"
        f"{_opt('Udfald', item.outcome)}{_opt('UdfaldSagID', item.outcome_case_id)}"
        f"{_opt('UdfaldBruger', item.outcome_user)}{_opt('ReserveretAf', item.claimed_by)}"
        + (
            f"<mb:ReservationUdloeb>{_dt(item.claim_expires_at)}</mb:ReservationUdloeb>"
            if item.claim_expires_at is not None
            else ""
        )
        + f"<mb:deliveryState>{escape(item.delivery_state)}</mb:deliveryState>"
        f"{_opt('deliveryReason', item.delivery_reason)}{_opt('decisionKind', item.decision_kind)}"
        f"{_opt('decisionId', item.decision_id)}"
        f"<mb:followUp>{'true' if item.follow_up else 'false'}</mb:followUp>"
        f"{_opt('conflictOf', item.conflict_of)}"
    )
    if item.memo is None:
        tail = "" if item.memo_inline else "<mb:MeMoInline>false</mb:MeMoInline>"
        parts.append((head + tail + "</mb:PostElement>").encode())
        return
    parts.append((head + "<mb:MeMo>").encode())
    parts.append(binascii.b2a_base64(item.memo, newline=False))
    parts.append(b"</mb:MeMo></mb:PostElement>")


def _response(operation: str, inner: list[bytes]) -> list[bytes]:
    return [
        _ENVELOPE_HEAD,
        f'<mb:{operation}Response xmlns:mb="{MB_NS}">'.encode(),
        *inner,
        f"</mb:{operation}Response>".encode(),
        _ENVELOPE_TAIL,
    ]


def _claim_xml(claim: Claim) -> bytes:
    return (
        f"<mb:Reservation><mb:ElementID>{claim.item_id}</mb:ElementID>"
        f"<mb:Bruger>{escape(claim.user)}</mb:Bruger>"
        f"<mb:ReserveretTidspunkt>{_dt(claim.claimed_at)}</mb:ReserveretTidspunkt>"
        f"<mb:UdloebTidspunkt>{_dt(claim.expires_at)}</mb:UdloebTidspunkt></mb:Reservation>"
    ).encode()


def fault_body(code: str, text: str, *, server: bool = False) -> bytes:
    faultcode = "soap:Server" if server else "soap:Client"
    t = escape(text)
    return (
        _ENVELOPE_HEAD
        + (
            f"<soap:Fault><faultcode>{faultcode}</faultcode><faultstring>{t}</faultstring>"
            f'<detail><spf:ServiceplatformFault xmlns:spf="{SPF_NS}"><spf:ErrorList><spf:Error>'
            f"<spf:ErrorCode>{escape(code)}</spf:ErrorCode><spf:ErrorText>{t}</spf:ErrorText>"
            f"</spf:Error></spf:ErrorList></spf:ServiceplatformFault></detail></soap:Fault>"
        ).encode()
        + _ENVELOPE_TAIL
    )


# --------------------------------------------------------------------------- dispatch


def see_everything(_user: str, _contact_point_id: str | None) -> bool:
    """The default visibility: every authenticated user sees every item."""
    return True


def no_roles(_user: str) -> str | None:
    """The default role lookup: no users' directory, so no role is enforced."""
    return None


@dataclass
class SoapContext:
    store: GatewayStore
    municipality_cvr: str | None = None
    max_page_items: int = 500
    max_page_bytes: int = DEFAULT_PAGE_BYTES
    # may `user` see items of `contact_point_id`? (app.gateway.users.UserDirectory.can_see)
    can_see: Callable[[str, str | None], bool] = see_everything
    # the user's role (app.gateway.authz; None: no users' directory, nothing enforced)
    role_of: Callable[[str], str | None] = no_roles
    # a caseworker's DUBU id (they see only the items assigned to them), else None
    caseworker_of: Callable[[str], str | None] = no_roles


def unknown_item(item_id: int) -> StoreError:
    """The answer for an item that does not exist or that the user may not see (one text)."""
    return StoreError("UKENDT_ELEMENT", f"Element {item_id} findes ikke")


def visible_item(ctx: SoapContext, user: str, item_id: int) -> StoredItem:
    """The item's header (no MeMo) if it exists and `user` may see it, else `unknown_item`."""
    try:
        item = ctx.store.fetch(item_id, with_memo=False)
    except StoreError as exc:
        if exc.code == "UKENDT_ELEMENT":
            raise unknown_item(item_id) from None
        raise
    if not ctx.can_see(user, item.contact_point_id):
        raise unknown_item(item_id)
    caseworker = ctx.caseworker_of(user)
    if caseworker is not None and not ctx.store.is_assigned(caseworker, user, item_id=item_id):
        raise unknown_item(item_id)  # a caseworker sees only what is assigned to them
    return item


def _int(element: etree._Element, name: str, default: int | None = None) -> int:
    text = element.findtext(_B + name)
    if text is None:
        if default is None:
            raise SoapFault("UGYLDIG_FORESPOERGSEL", f"{name} mangler")
        return default
    return int(text.strip())


def _opt_int(element: etree._Element, name: str) -> int | None:
    text = element.findtext(_B + name)
    return None if text is None else int(text.strip())


def _bool(element: etree._Element, name: str, default: bool) -> bool:
    text = element.findtext(_B + name)
    return default if text is None else text.strip() in ("true", "1")


def prepare(body: bytes) -> SoapRequest | tuple[int, list[bytes]]:
    """Parse and schema-check one SOAP call (blocking): the request, whose user the caller
    then authenticates (`app.gateway.login_guard`), or the fault to answer."""
    try:
        request = parse_request(body)
        _check_request(request)
        return request
    except SoapFault as fault:
        return 500, [fault_body(fault.code, fault.text, server=fault.server)]
    except Exception:
        log.exception("mailbox request could not be read")
        return 500, [fault_body("INTERN_FEJL", "Midlertidig fejl i modtagersystemet", server=True)]


def answer(request: SoapRequest, ctx: SoapContext) -> tuple[int, list[bytes]]:
    """One authenticated SOAP call → (HTTP status, response body parts). Blocking."""
    try:
        _check_authority(request, ctx)
        return 200, _dispatch(request, ctx)
    except SoapFault as fault:
        return 500, [fault_body(fault.code, fault.text, server=fault.server)]
    except StoreError as exc:
        return 500, [fault_body(exc.code, exc.text)]
    except Exception:
        log.exception("mailbox request failed")
        return 500, [fault_body("INTERN_FEJL", "Midlertidig fejl i modtagersystemet", server=True)]


def _check_request(request: SoapRequest) -> None:
    schema = _schema()
    if not schema.validate(request.element):
        error = schema.error_log.last_error
        where = f" (linje {error.line})" if error is not None else ""
        raise SoapFault("UGYLDIG_FORESPOERGSEL", f"Forespørgslen følger ikke skemaet{where}")
    if not request.user or request.password is None:
        raise SoapFault("AUTENTIFIKATION", "Brugernavn og adgangskode mangler (WS-Security)")
    if request.password_type != PASSWORD_TEXT:
        raise SoapFault("AUTENTIFIKATION", "Kun PasswordText understøttes")


def _check_authority(request: SoapRequest, ctx: SoapContext) -> None:
    cvr = (
        request.element.findtext(f"{{{AUTH_NS}}}AuthorityContext/{{{AUTH_NS}}}MunicipalityCVR")
        or ""
    ).strip()
    if ctx.municipality_cvr and cvr != ctx.municipality_cvr:
        raise SoapFault("AUTORISATION", "Myndigheden har ikke adgang til denne postkasse")


def _dispatch(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    handler = _HANDLERS.get(request.operation)
    if handler is None:
        raise SoapFault("UKENDT_OPERATION", "Ukendt operation")
    assert request.user is not None
    refused = authz.refusal(ctx.role_of(request.user), request.operation)
    if refused is not None:
        raise SoapFault("ROLLE", refused)
    return handler(request, ctx)


def _post_liste(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    el = request.element
    after = _int(el, "EfterElementID")
    limit = min(_int(el, "MaksAntal", DEFAULT_PAGE_ITEMS), ctx.max_page_items)
    page = ctx.store.list_after(
        after,
        limit,
        max_bytes=ctx.max_page_bytes,
        with_memo=_bool(el, "MedIndhold", True),
        inline_max=_opt_int(el, "MaksInlineStoerrelse"),
    )
    assert request.user is not None
    caseworker = ctx.caseworker_of(request.user)
    mine = None if caseworker is None else ctx.store.assigned_item_ids(caseworker, request.user)
    parts: list[bytes] = []
    for item in page.items:
        if ctx.can_see(request.user, item.contact_point_id) and (
            mine is None or item.item_id in mine
        ):
            _item_parts(item, parts)
    parts.append(  # the cursor moves past invisible items too
        f"<mb:NaesteElementID>{page.next_cursor}</mb:NaesteElementID>"
        f"<mb:FlereElementer>{'true' if page.more else 'false'}</mb:FlereElementer>".encode()
    )
    return _response("PostListe", parts)


def _post_hent(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    assert request.user is not None
    item_id = _int(request.element, "ElementID")
    visible_item(ctx, request.user, item_id)
    item = ctx.store.fetch(item_id, inline_max=_opt_int(request.element, "MaksInlineStoerrelse"))
    parts: list[bytes] = []
    _item_parts(item, parts)
    return _response("PostHent", parts)


def _udfald_registrer(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    el = request.element
    assert request.user is not None
    item_id = _int(el, "ElementID")
    visible_item(ctx, request.user, item_id)
    item = ctx.store.record_outcome(
        item_id,
        request.user,
        (el.findtext(_B + "Udfald") or "").strip(),
        case_id=el.findtext(_B + "SagID"),
        note=el.findtext(_B + "Notat"),
        require_claim=authz.needs_claim(ctx.role_of(request.user)),
    )
    inner = (
        f"<mb:ElementID>{item.item_id}</mb:ElementID><mb:Status>{escape(item.status)}"
        f"</mb:Status><mb:Udfald>{escape(item.outcome or '')}</mb:Udfald>"
    )
    return _response("UdfaldRegistrer", [inner.encode()])


def _reservation_opret(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    el = request.element
    assert request.user is not None
    item_id = _int(el, "ElementID")
    visible_item(ctx, request.user, item_id)
    caps = ctx.store.policy_version().policy  # the policy's claim caps (issue 11)
    claim = ctx.store.claim(
        item_id,
        request.user,
        _int(el, "VarighedSekunder", DEFAULT_LEASE_SECONDS),
        max_lease_seconds=caps.max_claim_minutes * 60,
        max_claims=caps.max_claims_per_user,
    )
    return _response("ReservationOpret", [_claim_xml(claim)])


def _reservation_frigiv(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    item_id = _int(request.element, "ElementID")
    assert request.user is not None
    visible_item(ctx, request.user, item_id)
    ctx.store.release(item_id, request.user)
    return _response("ReservationFrigiv", [f"<mb:ElementID>{item_id}</mb:ElementID>".encode()])


def _reservation_liste(request: SoapRequest, ctx: SoapContext) -> list[bytes]:
    assert request.user is not None
    user = request.user
    visible: dict[int, bool] = {}
    claims = []
    for c in ctx.store.claims():
        if c.item_id not in visible:
            try:
                visible_item(ctx, user, c.item_id)
                visible[c.item_id] = True
            except StoreError:
                visible[c.item_id] = False
        if visible[c.item_id]:
            claims.append(_claim_xml(c))
    return _response("ReservationListe", claims)


_HANDLERS: dict[str, Callable[[SoapRequest, SoapContext], list[bytes]]] = {
    "PostListe": _post_liste,
    "PostHent": _post_hent,
    "UdfaldRegistrer": _udfald_registrer,
    "ReservationOpret": _reservation_opret,
    "ReservationFrigiv": _reservation_frigiv,
    "ReservationListe": _reservation_liste,
}
