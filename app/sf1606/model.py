"""Immutable, typed view of one MeMo message (MeMo 1.1 and 1.2).

This is the shared vocabulary of the whole core: the reader (`app.sf1606.memo`) produces it,
the gateway stores it, the cache indexes it, the suggestion engine ranks cases from it and the
UI shows it. It holds no Qt, no ORM and no I/O. Never log its content or CPR numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Kind(enum.StrEnum):
    RETURSVAR = "retursvar"
    NYHENVENDELSE = "nyhenvendelse"
    VIDERESENDT = "videresendt"


class DocumentRole(enum.StrEnum):
    MAIN = "main"
    ADDITIONAL = "additional"
    TECHNICAL = "technical"


@dataclass(frozen=True, slots=True)
class ContactInfo:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ContactPoint:
    contact_point_id: str
    label: str | None = None
    contact_group: str | None = None
    contact_info: tuple[ContactInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class Party:
    """Sender or Recipient."""

    id: str
    id_type: str  # CPR, CVR, ...
    label: str | None = None
    contact_point: ContactPoint | None = None
    representative_id: str | None = None  # 1.2 Sender/Representative


@dataclass(frozen=True, slots=True)
class ReplyData:
    message_uuid: str
    message_id: str | None = None
    reply_uuid: str | None = None
    sender_id: str | None = None
    recipient_id: str | None = None
    case_id: str | None = None
    contact_point_id: str | None = None
    generating_system_id: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardData:
    message_uuid: str
    original_message_datetime: datetime
    original_sender: str
    original_content_responsible: str | None = None
    original_representative: str | None = None
    contact_point_id: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ContentData:
    cpr: str | None = None
    cpr_name: str | None = None
    cvr: str | None = None
    case_id: str | None = None
    case_system: str | None = None
    kle_subject: str | None = None  # kle:KLEdata/subjectKey
    kle_label: str | None = None


@dataclass(frozen=True, slots=True)
class MemoFile:
    """One `File` of a document. `content` is the decoded bytes (may be large); it is `b""` when
    the reader was asked not to keep it (`read_memo(keep_content=False)`) and in the stored
    header of a cached message (`app.sf1606.stored`), where the bytes are read on demand.

    `span` is where the file's base64 text sits in the raw MeMo bytes it was read from
    (byte offset, byte length), when `read_memo(locate=True)` found it verbatim there: the
    cache then streams the file from the stored raw message instead of keeping a second copy.
    """

    role: DocumentRole
    document_index: int  # position of its document within the message (0 = main)
    mime: str
    filename: str  # as declared by the sender: display only, never a path
    safe_filename: str  # sanitised; safe to join to a folder
    language: str
    size: int
    sha256: str
    content: bytes = field(repr=False, compare=False)
    span: tuple[int, int] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class MemoDocument:
    role: DocumentRole
    document_id: str | None
    label: str | None
    files: tuple[MemoFile, ...]


@dataclass(frozen=True, slots=True)
class MemoMessage:
    version: str  # "1.1" or "1.2"
    message_type: str  # DIGITALPOST (NEMSMS is refused by the reader)
    message_uuid: str  # lower-cased
    message_id: str | None
    label: str
    created: datetime | None  # MessageBody/createdDateTime, UTC-aware
    sender: Party
    recipient: Party
    kind: Kind
    reply: bool = False
    mandatory: bool = False
    legal_notification: bool = False
    notification: str | None = None
    post_type: str | None = None
    content_data: ContentData | None = None
    forward_data: ForwardData | None = None
    reply_data: tuple[ReplyData, ...] = ()
    documents: tuple[MemoDocument, ...] = ()

    @property
    def contact_point_id(self) -> str | None:
        cp = self.recipient.contact_point
        return cp.contact_point_id if cp else None

    @property
    def contact_info(self) -> tuple[ContactInfo, ...]:
        cp = self.recipient.contact_point
        return cp.contact_info if cp else ()

    @property
    def files(self) -> tuple[MemoFile, ...]:
        return tuple(f for d in self.documents for f in d.files)

    def main_text(self) -> str:
        """Decoded text of the main document's text/plain file(s), '' if none."""
        parts = []
        for f in self.files:
            if f.role is DocumentRole.MAIN and f.mime.startswith("text/plain"):
                parts.append(f.content.decode("utf-8", errors="replace"))
        return "\n".join(parts)


class MemoError(ValueError):
    """A message was refused. `reason` is one line, safe to show and log (no content, no CPR)."""

    def __init__(self, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # e.g. "xml", "schema", "size", "version", "nemsms", "dtd"
