"""Text of a message: body, PDF text, CPR and case-number candidates — and `message_facts`, the
ONE function that turns a freshly parsed message into the `MessageFacts` the client stores.

Sync calls `message_facts` once per message right after its one parse (`app.core.sync`), the
`postfordeler suggest` CLI calls it on the files it reads, and the suggestion engine takes the
facts (or builds them with this same function from a parsed message). The sync defers the PDF
text (`pdf=False`) and completes it right after storing the page (`with_pdf_text`, from the PDF
bytes streamed out of the cache), so ingest stays fast; nothing decodes a message for text again.

PDF text is extracted with pypdf from the first pages of each PDF file (bounded by size and page
count, so a 3 MB scan cannot stall ingest or the suggestion panel) and cached by the file's
sha256. Extraction failures yield ''. With `ocr=True` the text of photographed letters and
scanned PDF pages is read with Tesseract (`app.suggest.ocr`: bounded, cached) and joins the PDF
text, so suggestions and search see it. Never logs content.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence

from app.cpr import find as find_cprs
from app.dubu.dataset import normalize_case_number
from app.sf1606.model import MemoFile, MemoMessage
from app.sf1606.stored import IngestMessage, MessageFacts, header_of, loose_files
from app.suggest import ocr as ocr_mod

__all__ = [
    "MAX_PDF_BYTES",
    "MAX_PDF_PAGES",
    "MAX_STORED_TEXT",
    "MAX_TEXT_CHARS",
    "body_text",
    "case_number_candidates",
    "extractable_pdfs",
    "ingest_message",
    "message_facts",
    "pdf_text",
    "with_pdf_text",
]

MAX_PDF_BYTES = 8 * 1024 * 1024
MAX_PDF_PAGES = 5
MAX_TEXT_CHARS = 20_000  # what the engine reads of each text
MAX_STORED_TEXT = 1024 * 1024  # body text kept in the facts (full-text search, access log)

logging.getLogger("pypdf").setLevel(logging.ERROR)

_CASE_NUMBER = re.compile(r"\d{2}\s*\.\s*\d{2}\s*\.\s*\d{2}[^\n]{0,30}")


def _has_content(f: MemoFile) -> bool:
    return len(f.content) == f.size


def body_text(message: MemoMessage, limit: int = MAX_TEXT_CHARS) -> str:
    """All text/plain files of the message (main first), capped at `limit` characters."""
    parts = [
        f.content.decode("utf-8", errors="replace")
        for f in message.files
        if f.mime.lower().startswith("text/plain") and _has_content(f)
    ]
    return "\n".join(parts)[:limit]


def pdf_text(message: MemoMessage, *, ocr: bool = False) -> str:
    """Text extracted from the message's PDF files ('' when none or unreadable). A PDF whose
    bytes the reader did not keep (a big message) is skipped. With `ocr`, scanned pages and
    image files (JPEG, PNG, TIFF) are read with Tesseract too (at most `ocr.MAX_IMAGES`)."""
    out = []
    for f in message.files:
        if f.mime.lower() == "application/pdf" and 0 < f.size <= MAX_PDF_BYTES and _has_content(f):
            text = _CACHE.get(f.sha256)
            if text is None:
                text = _extract(f.content)
                if len(_CACHE) >= 512:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[f.sha256] = text
            out.append(text)
            if ocr and not text.strip():
                out.append(ocr_mod.scan_text(f.content, f.sha256, MAX_PDF_PAGES))
    if ocr:
        images = [
            f
            for f in message.files
            if f.mime.lower() in _IMAGE_MIMES
            and 0 < f.size <= ocr_mod.MAX_IMAGE_BYTES
            and _has_content(f)
        ]
        for f in images[: ocr_mod.MAX_IMAGES]:
            out.append(ocr_mod.image_text(f.content, f.sha256))
    return "\n".join(t for t in out if t)[:MAX_TEXT_CHARS]


_IMAGE_MIMES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/tiff", "image/gif"})
_CACHE: dict[str, str] = {}  # sha256 -> text


def _extract(content: bytes) -> str:
    # Imported on first use: pypdf costs ~0.1-0.2 s of every start-up otherwise (issue 12.11).
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        texts = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            texts.append(page.extract_text() or "")
            if sum(map(len, texts)) > MAX_TEXT_CHARS:
                break
        return "\n".join(texts)
    except Exception:
        return ""


def case_number_candidates(text: str) -> tuple[str, ...]:
    """Case numbers written in `text`, normalised ("27.24.00-G01-14547-26", or without the year
    when none is written), in order of appearance, without repeats."""
    found: dict[str, None] = {}
    for m in _CASE_NUMBER.finditer(text):
        parsed = normalize_case_number(m.group(0))
        if parsed:
            stem, year = parsed
            found[f"{stem}-{year}" if year else stem] = None
    return tuple(found)


def _free_texts(message: MemoMessage) -> list[str]:
    """Header text a CPR or case number may be written in (subject, ContactInfo values,
    forward and reply comments, the original sender)."""
    texts = [message.label or ""]
    texts.extend(info.value or "" for info in message.contact_info)
    if message.forward_data is not None:
        texts.append(message.forward_data.comment or "")
        texts.append(message.forward_data.original_sender or "")
    texts.extend(r.comment or "" for r in message.reply_data)
    return [t for t in texts if t]


def _facts(header: MemoMessage, body: str, pdf_part: str | None) -> MessageFacts:
    texts = [*_free_texts(header), body, pdf_part or ""]
    cprs: dict[str, None] = {}
    for text in texts:
        if text:
            for hit in find_cprs(text):
                cprs[hit.cpr] = None
    return MessageFacts(
        header=header,
        body_text=body,
        pdf_text=pdf_part,
        cprs=tuple(cprs),
        case_numbers=case_number_candidates("\n".join(texts)),
    )


def extractable_pdfs(message: MemoMessage) -> list[int]:
    """Positions of the PDF files whose text `pdf_text` extracts (bounded by size)."""
    return [
        pos
        for pos, f in enumerate(message.files)
        if f.mime.lower() == "application/pdf" and 0 < f.size <= MAX_PDF_BYTES
    ]


def message_facts(message: MemoMessage, *, pdf: bool = True, ocr: bool = False) -> MessageFacts:
    """The stored facts of a freshly parsed message (see `app.sf1606.stored`): header without
    file bytes, body text, PDF text, the CPR numbers written in its text (valid dates only; the
    header's CPR ids are added by the access log) and its case-number candidates.

    `pdf=False` defers the PDF text (pure Python, ~3 ms a PDF, five times the parse): the facts
    get `pdf_text=None` when the message has a PDF to read, and `with_pdf_text` completes them
    later from the PDFs' bytes (streamed from the cache, no second parse). `ocr` also reads
    photographed and scanned letters (see `pdf_text`)."""
    body = body_text(message, MAX_STORED_TEXT)
    if pdf:
        pdf_part: str | None = pdf_text(message, ocr=ocr)
    else:
        pdf_part = None if extractable_pdfs(message) else ""
    return _facts(header_of(message), body, pdf_part)


def with_pdf_text(facts: MessageFacts, pdfs: Sequence[bytes], *, ocr: bool = False) -> MessageFacts:
    """`facts` completed with the text of its PDFs (`pdfs`: the bytes of the files at
    `extractable_pdfs(facts.header)`, in that order): PDF text, CPR and case-number
    candidates as `message_facts(pdf=True)` would have stored them."""
    texts = []
    for positions, data in zip(extractable_pdfs(facts.header), pdfs, strict=True):
        digest = facts.files[positions].sha256
        text = _CACHE.get(digest)
        if text is None:
            text = _extract(data)
        texts.append(text)
        if ocr and not text.strip():  # a scanned PDF: its pages are images
            texts.append(ocr_mod.scan_text(data, digest, MAX_PDF_PAGES))
    pdf_part = "\n".join(t for t in texts if t)[:MAX_TEXT_CHARS]
    return _facts(facts.header, facts.body_text, pdf_part)


def ingest_message(message: MemoMessage, *, pdf: bool = True) -> IngestMessage:
    """`message_facts` plus the bytes of the files the cache cannot serve from the raw message
    (see `app.sf1606.stored.IngestMessage`): what sync hands to `Cache.ingest`."""
    return IngestMessage(message_facts(message, pdf=pdf), loose_files(message))
