"""SF1606 EP_FS1 PostModtag: the wire mapping, in one module.

KOMBIT's technical annex (not public here) fixes the real wrapper, headers and reason codes;
everything that would change when it is known lives here and nowhere else:

- request: `POST {base}/sf1606/postmodtag`, body = the MeMo XML (`application/xml`), headers
  `x-TransaktionsId` (UUID, echoed) and `x-TransaktionsTid` (ISO time, informational);
- answer: a small JSON receipt `{"kvittering": "accept"|"reject", "messageUUID", "transaktionsId",
  "kode", "tekst", "duplikat"}`. A business answer (accept or reject) is HTTP 200; a message over
  the size limit is refused with HTTP 413 (reject receipt body); temporary trouble at the
  receiver is HTTP 503 (reject receipt with kode "midlertidig") and must be retried.

Used by the gateway (server side) and by the Postkomponent simulator (client side:
`receipt_from_http`). Never put message content or CPR numbers into a receipt or a log line.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

PATH = "/sf1606/postmodtag"
HEADER_TRANSACTION_ID = "x-TransaktionsId"
HEADER_TRANSACTION_TIME = "x-TransaktionsTid"
CONTENT_TYPE = "application/xml"

ACCEPT = "accept"
REJECT = "reject"

# Reject codes (stable, machine-readable) → HTTP status. Everything else is 200.
CODE_TOO_LARGE = "for_stor"
CODE_TEMPORARY = "midlertidig"
CODE_CONTACT_POINT = "kontaktpunkt"
CODE_NEMSMS = "nemsms"
CODE_DUPLICATE = "duplikat"  # an accept, flagged
_HTTP_STATUS = {CODE_TOO_LARGE: 413, CODE_TEMPORARY: 503}


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


def receipt_from_http(status: int, body: bytes | str) -> Receipt:
    """Client side: read the gateway's answer. Non-JSON or unexpected 5xx answers become a
    temporary reject (retry)."""
    try:
        data = json.loads(body)
        kind = data.get("kvittering")
    except (ValueError, AttributeError):
        data, kind = {}, None
    if kind not in (ACCEPT, REJECT) or (status >= 500 and kind != REJECT):
        return Receipt(False, None, None, CODE_TEMPORARY, f"HTTP {status} fra modtagersystemet")
    return Receipt(
        accepted=kind == ACCEPT and status == 200,
        message_uuid=data.get("messageUUID"),
        transaction_id=data.get("transaktionsId"),
        code=data.get("kode"),
        text=data.get("tekst"),
        duplicate=bool(data.get("duplikat")),
    )


def request_headers(transaction_id: str | None = None) -> dict[str, str]:
    """Headers a sender puts on a PostModtag call."""
    return {
        "Content-Type": CONTENT_TYPE,
        HEADER_TRANSACTION_ID: transaction_id or str(uuid.uuid4()),
        HEADER_TRANSACTION_TIME: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def checked_transaction_id(value: str | None) -> str | None:
    """The caller's transaction id if it is a UUID (normalised), else None."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None
