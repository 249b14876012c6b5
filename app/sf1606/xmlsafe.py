"""Hardened XML intake for everything that arrives from outside (MeMo, SOAP, receipts).

Two independent locks, both required:

- `check_prolog` / `check_prolog_file` walk the prolog (declaration, comments, PIs) up to the
  root element in the document's *real* encoding, sniffed from the bytes (BOM and the XML spec's
  appendix F patterns, so UTF-16/32 without a BOM and EBCDIC are recognised too), however long
  the prolog is. They refuse any `<!` markup there (DOCTYPE, ENTITY), encodings outside
  `ASCII_COMPATIBLE` (UTF-16/32, EBCDIC, UTF-7, and a declaration that names any of them, even
  when it lies about the bytes) and input that does not start like XML. For the allowed
  encodings a byte scan *is* a scan of the decoded text (`<`, `!`, `-`, `?` are the same
  bytes), so nothing can hide from it.
- `parser()` builds an lxml parser that cannot load anything: no DTD, no entities, no network,
  and a resolver that refuses every URL libxml2 asks for (raising `ExternalRefused`). It never
  sets `collect_ids=False`: lxml implements that by setting libxml2's `loadsubset` flag, and
  libxml2 then opens a DOCTYPE's SYSTEM id even with DTD loading off (a FIFO there hangs the
  thread for good).

Refusals are `XmlRefused(kind)` with kind `dtd`, `encoding`, `empty` or `xml`; callers map them to
their own fixed texts, so a refusal never depends on (or names) a path in the input.
`feed_parse` parses in chunks with a deadline checked between chunks. This module never opens
a path named by a document and never logs content.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lxml import etree

__all__ = [
    "ASCII_COMPATIBLE",
    "ExternalRefused",
    "ParseDeadline",
    "XmlRefused",
    "byte_chunks",
    "check_prolog",
    "check_prolog_file",
    "check_prolog_stream",
    "feed_parse",
    "file_chunks",
    "open_regular",
    "parser",
    "sniff_encoding",
    "xml_attr_escape",
]

# Encodings in which every markup character of the prolog is the same single ASCII byte.
ASCII_COMPATIBLE = frozenset(
    {
        "utf-8",
        "utf8",
        "us-ascii",
        "ascii",
        "iso-8859-1",
        "iso8859-1",
        "latin1",
        "latin-1",
        "iso-8859-15",
        "iso8859-15",
        "windows-1252",
        "cp1252",
    }
)
_DECL_MAX = 1024  # an XML declaration longer than this is not one we take
_CHUNK = 1 << 20
_DECL_ENCODING = re.compile(rb"""\sencoding\s*=\s*(["'])([^"']{0,40})\1""")
_NAME_START = re.compile(rb"[A-Za-z_:\x80-\xff]")
_DECL_END = (b" ", b"\t", b"\r", b"\n", b"?")


class XmlRefused(ValueError):
    """The input is refused before any parser sees it; `kind` is dtd, encoding or xml."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ExternalRefused(Exception):
    """libxml2 asked to load an external resource (DTD, entity, XInclude); always refused."""


class ParseDeadline(Exception):
    """The parse ran past its deadline."""


class _RefuseEverything(etree.Resolver):
    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        raise ExternalRefused()


def parser(*, huge: bool = False, remove_comments: bool = True) -> etree.XMLParser:
    """A fresh parser that never loads a DTD, an entity or a URL (see the module docstring)."""
    p = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=huge,
        remove_comments=remove_comments,
        remove_pis=True,
        strip_cdata=True,
    )
    p.resolvers.add(_RefuseEverything())
    return p


def sniff_encoding(head: bytes) -> str:
    """The encoding family the first bytes show: utf-8, utf-8-sig, utf-16, utf-32, ebcdic or
    ascii (no BOM and nothing wide: the declaration decides among ASCII-compatible ones)."""
    if head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return "utf-32"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return "utf-16"
    first = head[:4]
    if first in (b"\x00\x00\x00<", b"<\x00\x00\x00", b"\x00\x00<\x00", b"\x00<\x00\x00"):
        return "utf-32"
    if first.startswith((b"\x00<", b"<\x00")):
        return "utf-16"
    if first == b"\x4c\x6f\xa7\x94":
        return "ebcdic"
    if b"\x00" in first:
        return "utf-16"  # some wide encoding; never ASCII-compatible
    return "ascii"


class _Reader:
    """Bytes from a source in chunks, with a moving window (memory stays about one chunk)."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self.buf = b""
        self.eof = False

    def fill(self, n: int) -> bool:
        """At least `n` bytes buffered (False at end of input)."""
        while len(self.buf) < n and not self.eof:
            more = self._read(_CHUNK)
            if not more:
                self.eof = True
            self.buf += more
        return len(self.buf) >= n

    def skip(self, n: int) -> None:
        self.buf = self.buf[n:]

    def skip_to(self, token: bytes) -> bool:
        """Drop everything up to and including `token`; False when the input ends first."""
        while True:
            hit = self.buf.find(token)
            if hit >= 0:
                self.skip(hit + len(token))
                return True
            if self.eof:
                return False
            keep = len(token) - 1
            self.buf = self.buf[-keep:] if keep else b""
            self.fill(len(self.buf) + 1)


def _scan(reader: _Reader) -> None:
    reader.fill(4)
    if not reader.buf.strip(b" \t\r\n") and reader.eof:
        raise XmlRefused("empty")
    family = sniff_encoding(reader.buf[:4])
    if family not in ("ascii", "utf-8-sig"):
        raise XmlRefused("encoding")
    if family == "utf-8-sig":
        reader.skip(3)
    reader.fill(6)
    if reader.buf.startswith(b"<?xml") and reader.buf[5:6] in _DECL_END:
        reader.fill(_DECL_MAX)
        end = reader.buf.find(b"?>", 0, _DECL_MAX)
        if end < 0:
            raise XmlRefused("xml")
        match = _DECL_ENCODING.search(reader.buf, 0, end)
        if match:
            declared = match.group(2).decode("ascii", "replace").strip().lower()
            if declared not in ASCII_COMPATIBLE:
                raise XmlRefused("encoding")
            if family == "utf-8-sig" and declared not in ("utf-8", "utf8"):
                raise XmlRefused("encoding")  # a BOM and a declaration that disagree
        reader.skip(end + 2)
    while True:
        while True:
            reader.fill(1)
            stripped = reader.buf.lstrip(b" \t\r\n")
            if stripped or reader.eof:
                reader.buf = stripped
                break
            reader.buf = b""
        if not reader.fill(2):
            raise XmlRefused("xml")
        buf = reader.buf
        if buf.startswith(b"<!"):
            reader.fill(4)
            if not reader.buf.startswith(b"<!--"):
                raise XmlRefused("dtd")
            reader.skip(4)
            if not reader.skip_to(b"-->"):
                raise XmlRefused("xml")
        elif buf.startswith(b"<?"):
            reader.fill(6)
            if reader.buf[2:5].lower() == b"xml" and reader.buf[5:6] in _DECL_END:
                raise XmlRefused("xml")  # a declaration not at the start: never honoured
            reader.skip(2)
            if not reader.skip_to(b"?>"):
                raise XmlRefused("xml")
        elif buf.startswith(b"<") and _NAME_START.match(buf, 1):
            return  # the root element: a DOCTYPE can only come before it
        else:
            raise XmlRefused("xml")


def check_prolog(data: bytes | bytearray | memoryview) -> None:
    """Raise `XmlRefused` unless `data` is an ASCII-compatible XML document whose prolog holds
    no `<!` markup but comments. Scans up to the root element, however far that is."""
    view = memoryview(data)
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        piece = bytes(view[pos : pos + n])
        pos += len(piece)
        return piece

    _scan(_Reader(read))


def check_prolog_stream(read: Callable[[int], bytes]) -> None:
    """`check_prolog` for input read in chunks through `read(n)` (e.g. an open file's read)."""
    _scan(_Reader(read))


def open_regular(path: str | os.PathLike[str]) -> Any:
    """Open `path` for reading only if it is a regular file (never blocks on a FIFO or a
    device). Raises OSError for anything else."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO is never even opened
        raise OSError(0, "ikke en almindelig fil")
    # O_NONBLOCK and fstat again: swapped for a FIFO after the stat, it still cannot block
    fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "ikke en almindelig fil")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_prolog_file(path: Path) -> None:
    """`check_prolog` for a file, read in chunks (a prolog of megabytes costs one chunk)."""
    with open_regular(path) as fh:
        check_prolog_stream(fh.read)


def feed_parse(
    p: etree.XMLParser, chunks: Iterable[bytes], deadline: float | None = None
) -> etree._Element:
    """Feed `chunks` to `p` and return the root; `ParseDeadline` once `time.monotonic()` passes
    `deadline` (checked between chunks, so a chunk's work is the most it overshoots)."""
    for chunk in chunks:
        p.feed(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise ParseDeadline()
    root: etree._Element = p.close()
    return root


def byte_chunks(data: bytes, size: int = _CHUNK) -> Iterable[bytes]:
    """`data` in slices of `size` bytes (one slice when small: no copy)."""
    if len(data) <= size:
        yield data
        return
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


def xml_attr_escape(text: str) -> str:
    """`text` safe inside a double- or single-quoted XML attribute value."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def file_chunks(fh: Any, size: int = _CHUNK) -> Iterable[bytes]:
    while piece := fh.read(size):
        yield piece
