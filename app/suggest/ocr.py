"""Text of scanned letters: OCR of images and image-only PDF pages with Tesseract (Danish).

Parents photograph letters and scan forms; their decisive text (a CPR number, the child's name)
is then only in pixels. `image_text` and `scan_text` read it with Tesseract through
pytesseract (languages `dan+eng`, Debian `tesseract-ocr-dan`), bounded: at most `MAX_IMAGES`
images a message, `MAX_SIDE` pixels on the longest side (larger scans are shrunk), `TIMEOUT_S`
seconds an image (Tesseract is killed after that) and `MAX_IMAGE_BYTES` an image. Results are
cached by the file's sha256, so a message is read once per process (and the stored facts keep
the text for good). Nothing here runs on the UI thread: it is called where the PDF text is
extracted (ingest, the sync's deferred text pass in its pool, the CLI). When Tesseract or
pytesseract is missing, OCR is simply unavailable (`available()` is False) and yields ''.
Never logs content.
"""

from __future__ import annotations

import io
import threading
from functools import cache

__all__ = ["MAX_IMAGES", "available", "image_text", "scan_text"]

MAX_IMAGES = 3
MAX_SIDE = 2400
MAX_IMAGE_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
TIMEOUT_S = 8.0
MAX_CHARS = 20_000

_LOCK = threading.Lock()
_CACHE: dict[str, str] = {}  # sha256 -> text


@cache
def _languages() -> str | None:
    try:
        import pytesseract  # type: ignore[import-untyped]

        langs = set(pytesseract.get_languages(config=""))
    except Exception:
        return None
    if "dan" in langs:
        return "dan+eng" if "eng" in langs else "dan"
    return "eng" if "eng" in langs else None


def available() -> bool:
    """True when Tesseract and pytesseract are installed (with Danish or at least English)."""
    return _languages() is not None


def _cached(digest: str) -> str | None:
    with _LOCK:
        return _CACHE.get(digest)


def _store(digest: str, text: str) -> str:
    with _LOCK:
        if len(_CACHE) >= 512:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[digest] = text
    return text


def image_text(data: bytes, digest: str) -> str:
    """Text read from one image file ('' when unreadable, too big, or OCR is unavailable)."""
    hit = _cached(digest)
    if hit is not None:
        return hit
    lang = _languages()
    if lang is None or not data or len(data) > MAX_IMAGE_BYTES:
        return ""
    try:
        import pytesseract
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                return _store(digest, "")
            img = im.convert("L")
        if max(img.size) > MAX_SIDE:
            scale = MAX_SIDE / max(img.size)
            img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
        text = str(pytesseract.image_to_string(img, lang=lang, timeout=TIMEOUT_S))
    except Exception:  # timeout, corrupt image, Tesseract error: no text
        text = ""
    return _store(digest, text[:MAX_CHARS])


def scan_text(pdf: bytes, digest: str, max_pages: int) -> str:
    """Text read from the images of a PDF's pages that carry no text layer (a scan)."""
    hit = _cached("scan:" + digest)
    if hit is not None:
        return hit
    if _languages() is None:
        return ""
    out: list[str] = []
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        used = 0
        for n, page in enumerate(reader.pages[:max_pages]):
            if (page.extract_text() or "").strip():
                continue
            for k, image in enumerate(page.images):
                if used >= MAX_IMAGES:
                    break
                used += 1
                out.append(image_text(image.data, f"{digest}:{n}:{k}"))
    except Exception:  # a broken PDF: what was read so far
        out.append("")
    return _store("scan:" + digest, "\n".join(t for t in out if t)[:MAX_CHARS])
