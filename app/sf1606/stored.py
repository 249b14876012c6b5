"""What the client keeps of a message after its one parse at ingest: `MessageFacts`.

Sync reads each MeMo exactly once (`app.sf1606.memo.read_memo`) and stores the facts every later
step needs — the header (a `MemoMessage` whose files carry no bytes), the file index (role,
MIME type, names, size, sha256 and where the file's base64 text sits in the stored raw message),
the body text, the PDF text, CPR candidates and case-number candidates — as one compact JSON
document next to the raw bytes. Selecting an item, ranking suggestions, the access log and
delivery read these facts; they never parse the MeMo again.

The facts are built by ONE function, `app.suggest.text.message_facts` (it needs the PDF text
extractor, a layer above this one); this module only defines the value and its JSON form, so
the cache (`app.models`) can store and load it. Never log what it holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.sf1606.model import (
    ContactInfo,
    ContactPoint,
    ContentData,
    DocumentRole,
    ForwardData,
    Kind,
    MemoDocument,
    MemoFile,
    MemoMessage,
    Party,
    ReplyData,
)

__all__ = [
    "FACTS_VERSION",
    "IngestMessage",
    "MessageFacts",
    "facts_from_json",
    "facts_to_json",
    "header_of",
    "loose_files",
]

FACTS_VERSION = 1  # bump (with a migration) when the JSON form changes


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """Everything later steps need of one parsed message (no file bytes).

    `header.files` is the file index, in message order (position = index): each `MemoFile` has
    `content == b""` and, where found, its `span` in the stored raw message. `body_text` is the
    text of the text/plain files (main document first), `pdf_text` the text extracted from the
    PDFs (bounded, see `app.suggest.text`; None while the extraction is still to do: the sync
    stores a page at once and extracts PDF text right after, see `app.core.sync`), `cprs`
    the CPR numbers written in its text, `case_numbers` case-number candidates found in it."""

    header: MemoMessage
    body_text: str = ""
    pdf_text: str | None = ""
    cprs: tuple[str, ...] = ()
    case_numbers: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[MemoFile, ...]:
        return self.header.files

    @property
    def pdf_pending(self) -> bool:
        """True while the PDF text is still to be extracted (then `pdf_text` is None)."""
        return self.pdf_text is None


@dataclass(frozen=True, slots=True)
class IngestMessage:
    """One parsed message as the cache stores it: its facts, plus the decoded bytes of the
    files whose base64 text is not verbatim in the raw message (`MemoFile.span` None), as
    (position, bytes). Every other file is served from the stored raw message."""

    facts: MessageFacts
    loose_files: tuple[tuple[int, bytes], ...] = ()


def loose_files(message: MemoMessage) -> tuple[tuple[int, bytes], ...]:
    """(position, bytes) of the files of a freshly parsed message that have no span but whose
    bytes the reader kept (a big message keeps only small files' bytes)."""
    return tuple(
        (pos, f.content)
        for pos, f in enumerate(message.files)
        if f.span is None and len(f.content) == f.size
    )


def header_of(message: MemoMessage) -> MemoMessage:
    """`message` without file bytes (sizes, hashes and spans kept)."""
    return replace(
        message,
        documents=tuple(
            replace(d, files=tuple(replace(f, content=b"") for f in d.files))
            for d in message.documents
        ),
    )


# --------------------------------------------------------------------------- JSON


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _undt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _party(p: Party) -> dict[str, Any]:
    cp = p.contact_point
    return {
        "id": p.id,
        "t": p.id_type,
        "l": p.label,
        "r": p.representative_id,
        "cp": None
        if cp is None
        else {
            "id": cp.contact_point_id,
            "l": cp.label,
            "g": cp.contact_group,
            "ci": [[c.label, c.value] for c in cp.contact_info],
        },
    }


def _unparty(d: dict[str, Any]) -> Party:
    cp = d["cp"]
    return Party(
        id=d["id"],
        id_type=d["t"],
        label=d["l"],
        representative_id=d["r"],
        contact_point=None
        if cp is None
        else ContactPoint(
            contact_point_id=cp["id"],
            label=cp["l"],
            contact_group=cp["g"],
            contact_info=tuple(ContactInfo(label, value) for label, value in cp["ci"]),
        ),
    )


_REPLY = (
    "message_uuid",
    "message_id",
    "reply_uuid",
    "sender_id",
    "recipient_id",
    "case_id",
    "contact_point_id",
    "generating_system_id",
    "comment",
)
_CONTENT = ("cpr", "cpr_name", "cvr", "case_id", "case_system", "kle_subject", "kle_label")


def _file(f: MemoFile) -> list[Any]:
    return [
        str(f.role),
        f.document_index,
        f.mime,
        f.filename,
        f.safe_filename,
        f.language,
        f.size,
        f.sha256,
        list(f.span) if f.span is not None else None,
    ]


def _unfile(v: list[Any]) -> MemoFile:
    role, doc, mime, filename, safe, language, size, sha256, span = v
    return MemoFile(
        role=DocumentRole(role),
        document_index=doc,
        mime=mime,
        filename=filename,
        safe_filename=safe,
        language=language,
        size=size,
        sha256=sha256,
        content=b"",
        span=(int(span[0]), int(span[1])) if span is not None else None,
    )


def _header(m: MemoMessage) -> dict[str, Any]:
    fwd = m.forward_data
    return {
        "v": m.version,
        "mt": m.message_type,
        "u": m.message_uuid,
        "id": m.message_id,
        "l": m.label,
        "c": _dt(m.created),
        "s": _party(m.sender),
        "r": _party(m.recipient),
        "k": str(m.kind),
        "fl": [m.reply, m.mandatory, m.legal_notification],
        "n": m.notification,
        "pt": m.post_type,
        "cd": None if m.content_data is None else [getattr(m.content_data, k) for k in _CONTENT],
        "fd": None
        if fwd is None
        else [
            fwd.message_uuid,
            _dt(fwd.original_message_datetime),
            fwd.original_sender,
            fwd.original_content_responsible,
            fwd.original_representative,
            fwd.contact_point_id,
            fwd.comment,
        ],
        "rd": [[getattr(r, k) for k in _REPLY] for r in m.reply_data],
        "d": [
            [str(d.role), d.document_id, d.label, [_file(f) for f in d.files]] for d in m.documents
        ],
    }


def _unheader(d: dict[str, Any]) -> MemoMessage:
    fd = d["fd"]
    forward = None
    if fd is not None:
        created = _undt(fd[1])
        assert created is not None
        forward = ForwardData(fd[0], created, fd[2], fd[3], fd[4], fd[5], fd[6])
    reply, mandatory, legal = d["fl"]
    return MemoMessage(
        version=d["v"],
        message_type=d["mt"],
        message_uuid=d["u"],
        message_id=d["id"],
        label=d["l"],
        created=_undt(d["c"]),
        sender=_unparty(d["s"]),
        recipient=_unparty(d["r"]),
        kind=Kind(d["k"]),
        reply=reply,
        mandatory=mandatory,
        legal_notification=legal,
        notification=d["n"],
        post_type=d["pt"],
        content_data=None if d["cd"] is None else ContentData(*d["cd"]),
        forward_data=forward,
        reply_data=tuple(ReplyData(*r) for r in d["rd"]),
        documents=tuple(
            MemoDocument(DocumentRole(role), doc_id, label, tuple(_unfile(f) for f in files))
            for role, doc_id, label, files in d["d"]
        ),
    )


def facts_to_json(facts: MessageFacts) -> str:
    """The compact JSON form stored by the cache (file bytes are never part of it)."""
    return json.dumps(
        {
            "fv": FACTS_VERSION,
            "h": _header(facts.header),
            "b": facts.body_text,
            "p": facts.pdf_text,
            "cpr": list(facts.cprs),
            "cn": list(facts.case_numbers),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def facts_from_json(text: str | bytes) -> MessageFacts:
    """Inverse of `facts_to_json`. Raises ValueError for another version or a broken document."""
    try:
        d = json.loads(text)
        if d.get("fv") != FACTS_VERSION:
            raise ValueError(f"unsupported facts version {d.get('fv')!r}")
        return MessageFacts(
            header=_unheader(d["h"]),
            body_text=d["b"],
            pdf_text=d["p"],
            cprs=tuple(d["cpr"]),
            case_numbers=tuple(d["cn"]),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"broken message facts ({type(exc).__name__})") from None
