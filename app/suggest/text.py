"""Text of a message for suggestion: body, forward comment, ReplyData comments and PDF text.

PDF text is extracted with pypdf from the first pages of each PDF file (bounded by size and page
count, so a 3 MB scan cannot stall the suggestion panel) and cached by the file's sha256.
Extraction failures yield ''. Never logs content.
"""

from __future__ import annotations

import io
import logging

from app.sf1606.model import MemoMessage

MAX_PDF_BYTES = 8 * 1024 * 1024
MAX_PDF_PAGES = 5
MAX_TEXT_CHARS = 20_000

logging.getLogger("pypdf").setLevel(logging.ERROR)


def body_text(message: MemoMessage) -> str:
    """All text/plain files of the message (main first), capped."""
    parts = [
        f.content.decode("utf-8", errors="replace")
        for f in message.files
        if f.mime.lower().startswith("text/plain")
    ]
    return "\n".join(parts)[:MAX_TEXT_CHARS]


def pdf_text(message: MemoMessage) -> str:
    """Text extracted from the message's PDF files ('' when none or unreadable)."""
    out = []
    for f in message.files:
        if f.mime.lower() == "application/pdf" and 0 < f.size <= MAX_PDF_BYTES:
            text = _CACHE.get(f.sha256)
            if text is None:
                text = _extract(f.content)
                if len(_CACHE) >= 512:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[f.sha256] = text
            out.append(text)
    return "\n".join(t for t in out if t)[:MAX_TEXT_CHARS]


_CACHE: dict[str, str] = {}  # sha256 -> text


def _extract(content: bytes) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        texts = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            texts.append(page.extract_text() or "")
            if sum(map(len, texts)) > MAX_TEXT_CHARS:
                break
        return "\n".join(texts)
    except Exception:
        return ""
