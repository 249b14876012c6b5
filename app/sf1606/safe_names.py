"""Neutralise sender-controlled file names and classify attachment types.

A MeMo `File/filename` is written by the sender and may hold directory parts, `..`, drive
letters, control characters, bidi overrides ("invoice\u202efdp.exe" shows as "invoiceexe.pdf"),
reserved Windows device names or nothing at all. `safe_filename` turns any such string into a
single path component that can be joined to a folder without escaping it, on Windows, macOS
and Linux. `is_risky_type`, `sniff_mime` and `mime_matches` let the UI warn before handing a
file to the OS and fail a preview gracefully when the bytes do not match the declared type.

This module must never touch the file system and never trust the declared name or MIME type.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from app import cpr

__all__ = [
    "MAX_NAME_CHARS",
    "RISKY_EXTENSIONS",
    "extension_for_mime",
    "is_risky_type",
    "mime_matches",
    "safe_filename",
    "sniff_mime",
]

MAX_NAME_CHARS = 120
_MAX_EXT_CHARS = 16

# Bidi embeddings/overrides/isolates and marks, zero-width and other invisible format chars.
_INVISIBLE = dict.fromkeys(
    [
        *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO
        *range(0x2066, 0x206A),  # LRI RLI FSI PDI
        0x200E,
        0x200F,
        0x061C,  # LRM RLM ALM
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x180E,  # zero width, word joiner, BOM
        0x00AD,
        0x034F,
        0x115F,
        0x1160,
        0x3164,
        0xFFA0,  # soft hyphen, fillers
        *range(0x206A, 0x2070),  # deprecated format chars
        *range(0xFFF9, 0xFFFC),  # interlinear annotation
    ]
)
# Characters Windows forbids in names, path separators, and our own replacement marker.
_FORBIDDEN = set('<>:"|?*/\\')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    "CLOCK$",
    *(f"COM{i}" for i in "123456789¹²³"),
    *(f"LPT{i}" for i in "123456789¹²³"),
}
_SPACES_RE = re.compile(r"\s{2,}")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")

_MIME_EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/xml": ".xml",
    "application/xml": ".xml",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "application/zip": ".zip",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/rtf": ".rtf",
}

RISKY_EXTENSIONS = frozenset(
    [
        "exe",
        "com",
        "bat",
        "cmd",
        "scr",
        "pif",
        "cpl",
        "msi",
        "msp",
        "mst",
        "msc",
        "dll",
        "sys",
        "drv",
        "ocx",
        "lnk",
        "url",
        "scf",
        "inf",
        "reg",
        "js",
        "jse",
        "vbs",
        "vbe",
        "wsf",
        "wsh",
        "wsc",
        "ws",
        "ps1",
        "ps1xml",
        "ps2",
        "psm1",
        "psd1",
        "hta",
        "htm",
        "html",
        "xhtml",
        "shtml",
        "mht",
        "mhtml",
        "svg",
        "xml",
        "xsl",
        "jar",
        "jnlp",
        "class",
        "apk",
        "app",
        "dmg",
        "pkg",
        "command",
        "sh",
        "bash",
        "csh",
        "ksh",
        "zsh",
        "py",
        "pyw",
        "pl",
        "rb",
        "php",
        "iso",
        "img",
        "vhd",
        "vhdx",
        "appx",
        "appxbundle",
        "msix",
        "msixbundle",
        "application",
        "gadget",
        "chm",
        "hlp",
        "docm",
        "dotm",
        "xlsm",
        "xltm",
        "xlam",
        "xll",
        "pptm",
        "potm",
        "ppam",
        "sldm",
        "one",
        "library-ms",
        "search-ms",
        "settingcontent-ms",
        "desktop",
        "run",
        "bin",
        "elf",
        "so",
        "out",
        "deb",
        "rpm",
    ]
)
_RISKY_MIMES = (
    "application/x-msdownload",
    "application/x-dosexec",
    "application/x-executable",
    "application/x-sh",
    "application/x-msi",
    "application/java-archive",
    "application/javascript",
    "text/javascript",
    "application/hta",
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "application/vnd.microsoft.portable-executable",
)


def extension_for_mime(mime: str | None) -> str | None:
    """The usual extension (with dot) for a declared MIME type, or None."""
    if not mime:
        return None
    return _MIME_EXTENSIONS.get(mime.split(";", 1)[0].strip().lower())


def _clean_chars(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or code in _INVISIBLE:
            continue  # control / invisible: drop
        if ch in _FORBIDDEN:
            out.append("_")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue  # other format/unassigned/surrogate chars
        if category == "Zs":
            out.append(" ")  # odd spaces (NBSP, ideographic, ...) become plain spaces
            continue
        out.append(ch)
    return "".join(out)


def _split_ext(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0 or len(name) - dot > _MAX_EXT_CHARS + 1:
        return name, ""
    return name[:dot], name[dot:]


_PLAIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _\-()]{0,100}\.[A-Za-z0-9]{1,10}")


def safe_filename(name: str | None, *, fallback: str = "dokument", mime: str | None = None) -> str:
    """Return one safe path component for a sender-supplied file name.

    The result is non-empty, NFC-normalised, at most `MAX_NAME_CHARS` characters, contains no
    separators, control, bidi or zero-width characters, no Windows-forbidden characters, does
    not start with '.' or end with '.' or ' ', and is never a reserved device name. When the
    name has no extension and `mime` is known, the usual extension is added. A CPR number in
    the name (any shape `app.cpr` hides) is masked to `DDMMYY-xxxx`: the name is shown to
    users and becomes a file on disk.
    """
    if name and sum(c.isdigit() for c in name) >= 6:
        name = cpr.mask(name)
    if (
        name
        and _PLAIN_RE.fullmatch(name)
        and "  " not in name
        and not name.endswith(" ")
        and name.split(".", 1)[0].rstrip(" ").upper() not in _RESERVED
    ):
        return name  # the common case: already a plain ASCII name with an extension
    text = name or ""
    if len(text) > 1024:  # bound the cached key; the result keeps at most 120 chars anyway
        text = text[:512] + text[-64:]
    return _safe_filename(text, fallback, mime)


@lru_cache(maxsize=2048)
def _safe_filename(name: str, fallback: str, mime: str | None) -> str:
    text = unicodedata.normalize("NFC", name)
    text = "".join(text.split("\x00"))
    # Keep only the last path component, for both separator styles.
    text = re.split(r"[/\\]", text)[-1]
    text = _DRIVE_RE.sub("", text)
    text = _clean_chars(text)
    text = _SPACES_RE.sub(" ", text)
    if sum(c.isdigit() for c in text) >= 6:  # again: dropped invisible characters may join one
        text = cpr.mask(text)
    text = text.strip(" .")  # no leading dots (hidden files, '..'), no trailing dots/spaces
    if not text.strip("._- "):
        text = ""
    stem, ext = _split_ext(text)
    if not text:
        if fallback != "dokument":  # the fallback is sanitised like any other name
            return _safe_filename(fallback, "dokument", mime)
        stem, ext = "dokument", ""
    if not ext:
        ext = extension_for_mime(mime) or ""
    stem = stem.rstrip(" .")
    if not stem:
        stem = "dokument"
    if stem.split(".")[0].upper().rstrip(" ") in _RESERVED:
        stem = "_" + stem
    room = MAX_NAME_CHARS - len(ext)
    if len(stem) > room:
        stem = stem[:room].rstrip(" .") or "dokument"
    result = unicodedata.normalize("NFC", stem + ext)
    if result.startswith("."):
        result = "_" + result[1:]
    return result[:MAX_NAME_CHARS]


def unique_names(names: list[str]) -> list[str]:
    """Make already-safe names unique (case-insensitively) by adding ' (2)', ' (3)' ..."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate = name
        n = 1
        while candidate.casefold() in seen:
            n += 1
            stem, ext = _split_ext(name)
            suffix = f" ({n})"
            candidate = stem[: MAX_NAME_CHARS - len(ext) - len(suffix)] + suffix + ext
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def sniff_mime(data: bytes) -> str | None:
    """Guess a MIME type from magic bytes (PDF, PNG, JPEG, GIF, ZIP, TIFF, PE, ELF, HTML)."""
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "application/zip"
    if head.startswith(b"MZ"):
        return "application/x-msdownload"
    if head.startswith(b"\x7fELF"):
        return "application/x-executable"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"  # legacy Office, MSI
    if head.startswith((b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return "application/x-mach-binary"
    if head.startswith(b"#!"):
        return "text/x-script"
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg")):
        return "image/svg+xml" if probe.startswith(b"<svg") else "text/html"
    if probe.startswith(b"<?xml"):
        return "image/svg+xml" if b"<svg" in probe else "application/xml"
    return None


_EXECUTABLE_SNIFFS = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-mach-binary",
    "text/x-script",
}


def _base(mime: str | None) -> str:
    return (mime or "").split(";", 1)[0].strip().lower()


def mime_matches(declared: str | None, data: bytes) -> bool:
    """True when the bytes plausibly are of the declared type (for preview decisions)."""
    want = _base(declared)
    got = sniff_mime(data)
    if want == "text/plain":
        if got in _EXECUTABLE_SNIFFS or got in {"application/pdf", "application/zip"}:
            return False
        if got and got.startswith("image/") and got != "image/svg+xml":
            return False
        return b"\x00" not in data[:4096]
    if want in {"image/jpg", "image/pjpeg"}:
        want = "image/jpeg"
    if want in {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/tiff",
        "application/zip",
    }:
        return got == want
    if want.startswith("application/vnd.openxmlformats"):
        return got == "application/zip"
    if want in {"text/html", "application/xhtml+xml"}:
        return got in {"text/html", "application/xml", None}
    if want in {"application/xml", "text/xml"}:
        return got in {"application/xml", "image/svg+xml", None}
    # Unknown declared type: only a disguised executable is a mismatch.
    return got not in _EXECUTABLE_SNIFFS


def is_risky_type(filename: str | None, mime: str | None, data: bytes | None = None) -> bool:
    """True when opening the file with the OS could run code or mislead: an executable or
    script extension (on the final or an inner extension like 'x.pdf.exe'), a risky MIME type,
    or (when `data` is given) bytes that are executable or do not match the declared type."""
    name = safe_filename(filename or "").lower()
    parts = name.split(".")[1:]
    if parts and parts[-1] in RISKY_EXTENSIONS:
        return True
    base = _base(mime)
    if base in _RISKY_MIMES:
        return True
    if data is not None:
        if sniff_mime(data) in _EXECUTABLE_SNIFFS:
            return True
        if not mime_matches(mime, data):
            return True
    ext_mime = next(
        (m for m, e in _MIME_EXTENSIONS.items() if parts and "." + parts[-1] == e), None
    )
    if parts and parts[-1] == "jpeg":
        ext_mime = "image/jpeg"
    # True when the name says one type and the header another.
    return bool(ext_mime and base and ext_mime != base) and not (
        ext_mime == "application/xml" and base == "text/xml"
    )
