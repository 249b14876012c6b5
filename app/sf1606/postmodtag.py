"""SF1606 EP_FS1 PostModtag: the wire mapping, in one module.

KOMBIT's technical annex for SF1606 is not public here; everything that would change when it is
known lives in this module and nowhere else (README, "Pointing it at real endpoints", lists what
must be confirmed):

- transport: HTTPS with mutual TLS; only the pinned Serviceplatformen certificate may deliver
  (checked by the gateway before the body is read, see app/sf1606/tls.py);
- request: `POST {base}{path}` (default `PATH` = `/sf1606/postmodtag`, configurable), body = the
  MeMo XML (`application/xml`), headers `x-TransaktionsId` (UUID) and `x-TransaktionsTid` (ISO
  time); both are echoed as response headers (`echo_headers`);
- answer: a receipt in the format of KOMBIT's published REST services, XML by default
  (`RECEIPT_XML`; `RECEIPT_JSON` is the earlier JSON receipt, kept as a configurable option):

      <receipt>
        <messageUUID>…</messageUUID>
        <receiptStatus>RECEIVED | NOT_ALLOWED | INVALID</receiptStatus>
        <errorCode>…</errorCode><errorMessage>…</errorMessage>   (on reject)
        <transactionId>…</transactionId>                          (echo, when given)
        <duplicate>true</duplicate>                               (a repeated accept)
      </receipt>

  `RECEIVED` = accepted and committed (also for a message received before); `NOT_ALLOWED` =
  this receiver does not take the message (contact point, NemSMS, the municipality's policy
  on retursvar/nyhenvendelser: errorCode `politik`); `INVALID` = the message is
  not a valid MeMo or is too large. A business answer is HTTP 200, a message over the size
  limit HTTP 413 (INVALID receipt); temporary trouble at the receiver (store unavailable) is
  HTTP 503 with `Retry-After` and a receipt without `receiptStatus` (errorCode `midlertidig`):
  the sender must redeliver.

Used by the gateway (server side) and by the Postkomponent simulator (client side:
`receipt_from_http`). Never put message content or CPR numbers into a receipt or a log line.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from app.sf1606 import xmlsafe

PATH = "/sf1606/postmodtag"
HEADER_TRANSACTION_ID = "x-TransaktionsId"
HEADER_TRANSACTION_TIME = "x-TransaktionsTid"
CONTENT_TYPE = "application/xml"

RECEIPT_XML = "xml"
RECEIPT_JSON = "json"
RECEIPT_FORMATS = (RECEIPT_XML, RECEIPT_JSON)

# receiptStatus vocabulary (NgDP's receipts)
STATUS_RECEIVED = "RECEIVED"
STATUS_NOT_ALLOWED = "NOT_ALLOWED"
STATUS_INVALID = "INVALID"
RECEIPT_STATUSES = (STATUS_RECEIVED, STATUS_NOT_ALLOWED, STATUS_INVALID)

# JSON receipt (RECEIPT_JSON) values
ACCEPT = "accept"
REJECT = "reject"

# Reject codes (stable, machine-readable; errorCode) → HTTP status. Everything else is 200.
CODE_TOO_LARGE = "for_stor"
CODE_TEMPORARY = "midlertidig"
CODE_CONTACT_POINT = "kontaktpunkt"
CODE_NEMSMS = "nemsms"
CODE_DUPLICATE = "duplikat"  # an accept, flagged
CODE_UNREADABLE = "ulaeselig"  # the reader failed on these bytes: final (a retry fails again)
# the municipality's policy does not take this kind of post at this contact point (issue 11):
# final, NOT_ALLOWED (redelivering cannot help until the administrator changes the policy)
CODE_POLICY = "politik"
_HTTP_STATUS = {CODE_TOO_LARGE: 413, CODE_TEMPORARY: 503}
NOT_ALLOWED_CODES = frozenset({CODE_CONTACT_POINT, CODE_NEMSMS, CODE_POLICY})
RETRY_AFTER_SECONDS = 5
_RETRY_STATUSES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class Receipt:
    """One PostModtag answer."""

    accepted: bool
    message_uuid: str | None = None
    transaction_id: str | None = None
    code: str | None = None  # reject reason code, or "duplikat" on a repeated accept
    text: str | None = None  # one line, Danish, safe to show (no content, no CPR)
    duplicate: bool = False

    @property
    def retryable(self) -> bool:
        return not self.accepted and self.code == CODE_TEMPORARY

    @property
    def http_status(self) -> int:
        if self.accepted:
            return 200
        return _HTTP_STATUS.get(self.code or "", 200)

    @property
    def status(self) -> str | None:
        """The receiptStatus; None for a temporary failure (no final answer: redeliver)."""
        if self.accepted:
            return STATUS_RECEIVED
        if self.retryable:
            return None
        return STATUS_NOT_ALLOWED if self.code in NOT_ALLOWED_CODES else STATUS_INVALID

    def to_json(self) -> bytes:
        body = {
            "kvittering": ACCEPT if self.accepted else REJECT,
            "messageUUID": self.message_uuid,
            "transaktionsId": self.transaction_id,
            "kode": self.code,
            "tekst": self.text,
            "duplikat": self.duplicate,
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def to_xml(self) -> bytes:
        root = etree.Element("receipt")

        def add(tag: str, value: str | None) -> None:
            if value is not None:
                etree.SubElement(root, tag).text = value

        add("messageUUID", self.message_uuid)
        add("receiptStatus", self.status)
        if not self.accepted:
            add("errorCode", self.code)
            add("errorMessage", self.text)
        add("transactionId", self.transaction_id)
        if self.duplicate:
            add("duplicate", "true")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def render(self, fmt: str = RECEIPT_XML) -> tuple[bytes, str]:
        """(body, content type) in receipt format `fmt` (`RECEIPT_XML` or `RECEIPT_JSON`)."""
        if fmt == RECEIPT_JSON:
            return self.to_json(), "application/json"
        if fmt == RECEIPT_XML:
            return self.to_xml(), CONTENT_TYPE
        raise ValueError(f"unknown receipt format {fmt!r}")

    def headers(self) -> dict[str, str]:
        """Response headers the receipt itself needs (Retry-After on a temporary failure)."""
        return {"Retry-After": str(RETRY_AFTER_SECONDS)} if self.retryable else {}


def accept(message_uuid: str, transaction_id: str | None, *, duplicate: bool = False) -> Receipt:
    return Receipt(
        True,
        message_uuid,
        transaction_id,
        CODE_DUPLICATE if duplicate else None,
        "Meddelelsen er allerede modtaget" if duplicate else "Modtaget",
        duplicate,
    )


def reject(
    code: str, text: str, *, message_uuid: str | None = None, transaction_id: str | None = None
) -> Receipt:
    one_line = " ".join(text.split())[:300]
    return Receipt(False, message_uuid, transaction_id, code, one_line)


def temporary(status: int) -> Receipt:
    return Receipt(False, None, None, CODE_TEMPORARY, f"HTTP {status} fra modtagersystemet")


def receipt_from_http(status: int, body: bytes | str) -> Receipt:
    """Client side: read the gateway's answer (XML or JSON receipt, told apart by its first
    character). Every 5xx, 408 and 429 and an unreadable 2xx become a temporary reject
    (redeliver); another 4xx without a receipt (403: client certificate refused, 404: wrong
    path) is a final reject with code `http_{status}`: redelivering cannot help."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if status >= 500 or status in _RETRY_STATUSES:
        return temporary(status)
    if raw.lstrip().startswith(b"<"):
        receipt = _receipt_from_xml(status, raw)
    else:
        receipt = _receipt_from_json(status, raw)
    if receipt.retryable and 400 <= status < 500:
        return Receipt(False, None, None, f"http_{status}", f"HTTP {status} fra modtagersystemet")
    return receipt


def _receipt_from_json(status: int, raw: bytes) -> Receipt:
    try:
        data = json.loads(raw)
        kind = data.get("kvittering")
    except (ValueError, AttributeError):
        data, kind = {}, None
    if kind not in (ACCEPT, REJECT):
        return temporary(status)
    return Receipt(
        accepted=kind == ACCEPT and status == 200,
        message_uuid=data.get("messageUUID"),
        transaction_id=data.get("transaktionsId"),
        code=data.get("kode"),
        text=data.get("tekst"),
        duplicate=bool(data.get("duplikat")),
    )


def _receipt_from_xml(status: int, raw: bytes) -> Receipt:
    try:
        xmlsafe.check_prolog(raw)
        root = etree.fromstring(raw, xmlsafe.parser())
    except (etree.XMLSyntaxError, xmlsafe.XmlRefused, xmlsafe.ExternalRefused, ValueError):
        return temporary(status)
    values: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            values[etree.QName(child).localname] = (child.text or "").strip()
    if etree.QName(root).localname != "receipt":
        return temporary(status)
    receipt_status = values.get("receiptStatus")
    if receipt_status not in RECEIPT_STATUSES:
        return temporary(status)
    accepted = receipt_status == STATUS_RECEIVED and status == 200
    duplicate = values.get("duplicate", "").lower() == "true"
    code = values.get("errorCode") or None
    return Receipt(
        accepted=accepted,
        message_uuid=values.get("messageUUID") or None,
        transaction_id=values.get("transactionId") or None,
        code=CODE_DUPLICATE if accepted and duplicate else code,
        text=values.get("errorMessage") or None,
        duplicate=accepted and duplicate,
    )


def request_headers(transaction_id: str | None = None) -> dict[str, str]:
    """Headers a sender puts on a PostModtag call."""
    return {
        "Content-Type": CONTENT_TYPE,
        HEADER_TRANSACTION_ID: transaction_id or str(uuid.uuid4()),
        HEADER_TRANSACTION_TIME: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def echo_headers(request_headers: Mapping[str, str]) -> dict[str, str]:
    """`x-TransaktionsId` / `x-TransaktionsTid` of the request, to send back on the response:
    only a UUID (normalised) and an ISO 8601 time are echoed, anything else is left out (a
    response never carries the caller's free text)."""
    out: dict[str, str] = {}
    transaction_id = checked_transaction_id(request_headers.get(HEADER_TRANSACTION_ID))
    if transaction_id:
        out[HEADER_TRANSACTION_ID] = transaction_id
    when = (request_headers.get(HEADER_TRANSACTION_TIME) or "").strip()
    if len(when) <= 40 and _ISO_TIME.fullmatch(when):
        out[HEADER_TRANSACTION_TIME] = when
    return out


def checked_transaction_id(value: str | None) -> str | None:
    """The caller's transaction id if it is a UUID (normalised), else None."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None
