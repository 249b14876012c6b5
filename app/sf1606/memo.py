"""Read, harden and validate one MeMo message (1.1 or 1.2) into `app.sf1606.model` objects.

`read_memo` is the only door through which a MeMo message enters Postfordeler. It
- refuses oversize input before parsing, any DOCTYPE/ENTITY declaration, non-UTF-8-compatible
  encodings, entity expansion, external entities (never loads a DTD, never touches the network),
  truncated or non-XML input, the wrong root element or namespace, unknown `memoVersion`,
  NemSMS and pathological nesting;
- parses once with a hardened lxml parser, validates the parsed tree against the official XSD
  of the declared version (loaded once per thread) and extracts every field with plain child
  iteration; base64 is decoded strictly and each file is hashed (sha256).

Every refusal is a `MemoError(reason, code)` whose reason is one line that never quotes
message content (schema errors name the element and the rule, never the value) and never holds
a CPR number. This module must never log message content and never use a sender-supplied file
name as a path (see `safe_names`).
"""

from __future__ import annotations

import binascii
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, NamedTuple

from lxml import etree

from app.resources import resource
from app.sf1606 import xmlsafe
from app.sf1606.model import (
    ContactInfo,
    ContactPoint,
    ContentData,
    DocumentRole,
    ForwardData,
    Kind,
    MemoDocument,
    MemoError,
    MemoFile,
    MemoMessage,
    Party,
    ReplyData,
)
from app.sf1606.safe_names import safe_filename, unique_names

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DEPTH",
    "MEMO_NS",
    "SUPPORTED_VERSIONS",
    "MemoError",
    "MemoHeader",
    "decode_file_base64",
    "parse_count",
    "peek_header",
    "read_memo",
    "validate_only",
]

MEMO_NS = "https://DigitalPost.dk/MeMo-1"
GRD_NS = "https://data.gov.dk/model/core/"
KLE_NS = "http://kle-online.dk/"
DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # just above Digital Post's 99.5 MB
MAX_DEPTH = 64
SUPPORTED_VERSIONS = ("1.1", "1.2")
_SCHEMA_FILES = {"1.1": ("memo", "MeMo_core.xsd"), "1.2": ("memo", "Version1.2", "MeMo_core.xsd")}
_HUGE_FROM = 8 * 1024 * 1024  # below this the parser keeps libxml2's default resource limits
_CHUNK_CHARS = 4 * 1024 * 1024  # base64 characters decoded at a time when content is not kept

_M = "{" + MEMO_NS + "}"
_G = "{" + GRD_NS + "}"
_K = "{" + KLE_NS + "}"
T_MESSAGE = _M + "Message"
T_HEADER = _M + "MessageHeader"
T_BODY = _M + "MessageBody"


# --------------------------------------------------------------------------- parser & schemas


def _make_parser(huge: bool) -> etree.XMLParser:
    """A fresh hardened parser per parse (app.sf1606.xmlsafe: nothing is ever loaded)."""
    return xmlsafe.parser(huge=huge)


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.schemas: dict[str, etree.XMLSchema] = {}


_local = _PerThread()


class _ParseCounter:
    """How many MeMo documents this process has parsed (read_memo, validate_only, peek_header).

    An instrument for the "parse once" rule: benchmarks and tests read it before and after a
    chain of steps. Thread-safe (the sync parses in a pool); costs one lock per message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0

    def add(self) -> None:
        with self._lock:
            self._n += 1

    def value(self) -> int:
        with self._lock:
            return self._n


_parses = _ParseCounter()


def parse_count() -> int:
    """The number of MeMo parses in this process so far (see `_ParseCounter`)."""
    return _parses.value()


_schema_docs: dict[str, etree._ElementTree] = {}
_schema_lock = threading.Lock()


def _schema(version: str) -> etree.XMLSchema:
    """The XMLSchema for `version`, built once per thread (lxml validators keep a per-object
    error log, so sharing one between threads would mix up reasons)."""
    schema = _local.schemas.get(version)
    if schema is None:
        with _schema_lock:
            doc = _schema_docs.get(version)
            if doc is None:
                path = resource(*_SCHEMA_FILES[version])
                xsd_parser = etree.XMLParser(resolve_entities=False, no_network=True)
                doc = etree.parse(str(path), xsd_parser)
                _schema_docs[version] = doc
            schema = etree.XMLSchema(doc)
        _local.schemas[version] = schema
    return schema


_too_deep = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")


# --------------------------------------------------------------------------- input & prolog


def _load(data: bytes | bytearray | memoryview | str | os.PathLike[str], max_bytes: int) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size > max_bytes:
            raise _oversize(size, max_bytes)
        return bytes(data) if not isinstance(data, bytes) else data
    if isinstance(data, str) and data.lstrip("\ufeff \t\r\n").startswith("<"):
        encoded = data.encode("utf-8")
        if len(encoded) > max_bytes:
            raise _oversize(len(encoded), max_bytes)
        return encoded
    try:
        # a regular file only: a FIFO or a device named here would block or never end
        with xmlsafe.open_regular(Path(data)) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise _oversize(size, max_bytes)
            raw: bytes = fh.read(max_bytes + 1)
    except OSError as exc:
        raise _io_error(exc) from None
    if len(raw) > max_bytes:
        raise _oversize(len(raw), max_bytes)
    return raw


def _io_error(exc: OSError) -> MemoError:
    return MemoError(f"Filen kan ikke læses: {exc.strerror or type(exc).__name__}", "io")


def _oversize(size: int, limit: int) -> MemoError:
    return MemoError(
        f"Beskeden er for stor: {size:,} bytes (grænse {limit:,} bytes)".replace(",", "."), "size"
    )


_DTD_TEXT = "Ugyldig MeMo: DOCTYPE/DTD-erklæringer er ikke tilladt"
_PROLOG_REFUSALS = {
    "empty": ("Ugyldig MeMo: tomt indhold", "xml"),
    "encoding": ("Ugyldig MeMo: tegnsæt understøttes ikke (kun UTF-8)", "encoding"),
    "dtd": (_DTD_TEXT, "dtd"),
    "xml": ("Ugyldig MeMo: indholdet er ikke XML", "xml"),
}


def _prolog_refusal(exc: xmlsafe.XmlRefused) -> MemoError:
    reason, code = _PROLOG_REFUSALS.get(exc.kind, _PROLOG_REFUSALS["xml"])
    return MemoError(reason, code)


def _check_prolog(data: bytes) -> None:
    """Refuse DOCTYPE/ENTITY declarations (wherever in the prolog), encodings other than
    UTF-8 and its ASCII-compatible kin (sniffed from the bytes, not only declared) and input
    that is not XML, before any parser sees it (app.sf1606.xmlsafe)."""
    try:
        xmlsafe.check_prolog(data)
    except xmlsafe.XmlRefused as exc:
        raise _prolog_refusal(exc) from None


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _timed_out() -> MemoError:
    return MemoError("Beskeden kunne ikke læses inden for tidsgrænsen", "timeout")


def _syntax_reason(exc: etree.XMLSyntaxError, data: bytes = b"") -> MemoError:
    msg = str(exc.msg if getattr(exc, "msg", None) else exc)
    line = getattr(exc, "lineno", None) or (exc.position[0] if exc.position else 0)
    where = f" (linje {line})" if line else ""
    low = msg.lower()
    if "depth" in low:
        return MemoError(f"Ugyldig MeMo: for dyb indlejring af elementer{where}", "depth")
    if (
        "amplification" in low
        or "doctype" in low
        or "dtd" in low
        or ("entity" in low and "not defined" not in low)
    ):
        return MemoError(f"Ugyldig MeMo: entiteter/DTD er ikke tilladt{where}", "dtd")
    if "document is empty" in low or "start tag expected" in low:
        return MemoError("Ugyldig MeMo: indholdet er ikke XML", "xml")
    if "not defined" in low:
        return MemoError(f"Ugyldig MeMo: ukendt entitet{where}", "xml")
    if "extra content" in low:
        return MemoError(f"Ugyldig MeMo: indhold efter rodelementet{where}", "xml")
    if data and not data[-64:].rstrip().endswith(b"Message>"):
        return MemoError(f"Ugyldig MeMo: XML er afkortet eller ufuldstændig{where}", "xml")
    if "premature end" in low or "end of data" in low or "endtag" in low or "not finished" in low:
        return MemoError(f"Ugyldig MeMo: XML er afkortet eller ufuldstændig{where}", "xml")
    if (
        "encoding" in low
        or "input is not proper utf-8" in low
        or ("char" in low and "range" in low)
    ):
        return MemoError(f"Ugyldig MeMo: ugyldige tegn eller tegnsæt{where}", "xml")
    if "too long" in low or "huge" in low or "resource limit" in low:
        return MemoError(f"Ugyldig MeMo: for stort tekstfelt{where}", "size")
    return MemoError(f"Ugyldig MeMo: ikke velformet XML{where}", "xml")


def _parse(data: bytes, deadline: float | None = None) -> etree._Element:
    _check_prolog(data)
    parser = _make_parser(len(data) > _HUGE_FROM)
    try:
        root = xmlsafe.feed_parse(parser, xmlsafe.byte_chunks(data), deadline)
    except etree.XMLSyntaxError as exc:
        raise _syntax_reason(exc, data) from None
    except xmlsafe.ExternalRefused:
        raise MemoError(_DTD_TEXT, "dtd") from None
    except xmlsafe.ParseDeadline:
        raise _timed_out() from None
    except ValueError:  # e.g. lxml refusing a string input
        raise MemoError("Ugyldig MeMo: indholdet er ikke XML", "xml") from None
    if root is None:
        raise MemoError("Ugyldig MeMo: indholdet er ikke XML", "xml")
    _check_docinfo(root.getroottree())
    return root


def _check_docinfo(tree: etree._ElementTree) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise MemoError(_DTD_TEXT, "dtd")


def _check_root(root: etree._Element) -> str:
    """Namespace, root element and version; returns "1.1" or "1.2"."""
    if root.tag != T_MESSAGE:
        tag = root.tag if isinstance(root.tag, str) else ""
        if tag.startswith(_M) or tag.rpartition("}")[2] == "Message":
            raise MemoError(
                "Ugyldig MeMo: rodelementet skal være Message i navnerummet " + MEMO_NS, "namespace"
            )
        raise MemoError("Ugyldig MeMo: rodelementet er ikke MeMo-1 Message", "namespace")
    # Exactly the versions the schemas define: "01.2", "1.20" or " 1.2 " are the same
    # xs:decimal but not a version either schema describes.
    raw = root.get("memoVersion") or ""
    if raw in SUPPORTED_VERSIONS:
        return raw
    shown = raw if re.fullmatch(r"[0-9.]{1,10}", raw) else "ukendt"
    raise MemoError(f"Ukendt memoVersion {shown} (understøtter 1.1 og 1.2)", "version")


# --------------------------------------------------------------------------- schema reasons

_RULES = {
    "SCHEMAV_CVC_MAXLENGTH_VALID": "værdien er for lang",
    "SCHEMAV_CVC_MINLENGTH_VALID": "værdien er for kort",
    "SCHEMAV_CVC_LENGTH_VALID": "værdien har forkert længde",
    "SCHEMAV_CVC_PATTERN_VALID": "værdien har ikke det krævede format",
    "SCHEMAV_CVC_ENUMERATION_VALID": "værdien er ikke en tilladt værdi",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "værdien er ikke gyldig for typen",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "mangler et påkrævet element eller har et uventet element",
    "SCHEMAV_ELEMENT_CONTENT": "uventet eller manglende element",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "mangler en påkrævet attribut",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "har en ukendt attribut",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "har en ukendt attribut",
    "SCHEMAV_CVC_ELT_1": "ukendt rodelement",
    "SCHEMAV_CVC_TYPE_3_1_2": "må ikke have underelementer",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "må ikke indeholde tekst",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_1": "skal være tomt",
    "SCHEMAV_CVC_ELT_4_3": "ugyldig xsi:type",
}
_TYPE_IN_MSG = re.compile(r"atomic type '(xs:[A-Za-z]+|\{[^}']*\}[A-Za-z]+)'\.?\s*$")
_LIMIT_IN_MSG = re.compile(r"allowed (maximum|minimum) length of '(\d+)'\.?\s*$")
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ([^()]{1,400}) \)\.?\s*$")
_QNAME = re.compile(r"\{[^}]*\}")
_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,60}")


def _local_name(tag: str) -> str:
    name = tag.rpartition("}")[2].rpartition(":")[2]
    return name if _SAFE_NAME.fullmatch(name) and not re.search(r"\d{6}", name) else "?"


def _schema_reason(error: etree._LogEntry | None) -> MemoError:
    if error is None:
        return MemoError("Ugyldig MeMo (skema)", "schema")
    element = "?"
    msg = error.message or ""
    # The element name comes from the path, which lxml builds from tag names only.
    path = (error.path or "").rstrip("/")
    if path:
        last = path.rpartition("/")[2]
        element = _local_name(re.sub(r"\[\d+\]$", "", last))
    rule = _RULES.get(error.type_name or "", "")
    detail = ""
    if m := _LIMIT_IN_MSG.search(msg):
        detail = (
            f" (højst {m.group(2)} tegn)" if m.group(1) == "maximum" else f" (mindst {m.group(2)})"
        )
    elif m := _TYPE_IN_MSG.search(msg):
        detail = f" ({_QNAME.sub('', m.group(1))})"
        if "dateTime" in m.group(1):
            detail = " (xs:dateTime)"
    elif m := _EXPECTED.search(msg):
        names = [_local_name(n.strip()) for n in m.group(1).split(",")][:6]
        if "Missing child" in msg:
            rule = "mangler påkrævet element"
        detail = f": forventede {', '.join(names)}"
    if error.type_name == "SCHEMAV_CVC_PATTERN_VALID":
        if element in ("messageUUID", "replyUUID", "reservationUUID"):
            detail = " (skal være UUID version 4)"
        elif "DateTime" in element or element.endswith("Time"):
            detail = " (tidspunkt skal være i UTC og slutte med Z)"
    if not rule:
        # Unknown kind of error: keep only the text before the first quote (values are quoted).
        rule = _QNAME.sub("", msg.split("'", 1)[0]).strip(" :.") or "ugyldigt indhold"
        rule = re.sub(r"\d{6,}", "…", rule)[:120]
    return MemoError(f"Ugyldig MeMo (skema): element {element}: {rule}{detail}", "schema")


def _validate(root: etree._Element, version: str) -> None:
    schema = _schema(version)
    if not schema.validate(root):
        log = schema.error_log
        raise _schema_reason(log[0] if len(log) else None)


# --------------------------------------------------------------------------- extraction


def _text(el: etree._Element) -> str:
    return el.text or ""


def _opt(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return el.text or ""


def _bool(value: str | None) -> bool:
    return (value or "").strip() in ("true", "1")


_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _datetime(value: str) -> datetime:
    """An xs:dateTime as an aware UTC datetime. Whatever the schema allows (years beyond 9999
    or before 1, 24:00:00, any number of fractional digits, any offset) is read or refused
    with a MemoError, never an exception: times outside 1900-2999 are refused (nothing real is
    dated there, and every later step may then add days or change time zones safely)."""
    text = value.strip()
    extra = timedelta(0)
    if "T24:00:00" in text:  # xs:dateTime allows end-of-day 24:00:00
        text = text.replace("T24:00:00", "T00:00:00", 1)
        extra = timedelta(days=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MemoError("Ugyldig MeMo: tidspunkt kan ikke læses", "schema") from None
    if moment.tzinfo is None:
        raise MemoError("Ugyldig MeMo: tidspunkt uden tidszone (skal være UTC)", "schema")
    try:
        moment = (moment + extra).astimezone(UTC)
    except (OverflowError, ValueError):
        moment = _LATEST  # past datetime's range: refused below like any far date
    if not _EARLIEST <= moment < _LATEST:
        raise MemoError(
            "Ugyldig MeMo: tidspunkt uden for det understøttede interval (år 1900-2999)", "schema"
        )
    return moment


def _contact_point(el: etree._Element) -> ContactPoint:
    cp_id = ""
    label = group = None
    infos: list[ContactInfo] = []
    for child in el:
        tag = child.tag
        if tag == _M + "contactPointID":
            cp_id = child.text or ""
        elif tag == _M + "label":
            label = child.text or ""
        elif tag == _M + "contactGroup":
            group = child.text or ""
        elif tag == _M + "ContactInfo":
            info_label = info_value = ""
            for sub in child:
                if sub.tag == _M + "label":
                    info_label = sub.text or ""
                elif sub.tag == _M + "value":
                    info_value = sub.text or ""
            infos.append(ContactInfo(info_label, info_value))
    return ContactPoint(cp_id, label, group, tuple(infos))


def _party(el: etree._Element, id_tag: str) -> Party:
    pid = id_type = ""
    label = rep = None
    cp = None
    for child in el:
        tag = child.tag
        if tag == id_tag:
            pid = child.text or ""
        elif tag == _M + "idType":
            id_type = child.text or ""
        elif tag == _M + "label":
            label = child.text or ""
        elif tag == _M + "ContactPoint":
            cp = _contact_point(child)
        elif tag == _M + "Representative":
            rep = _opt(child.find(_M + "representativeID"))
    return Party(pid, id_type, label, cp, rep)


_REPLY_FIELDS = {
    _M + "messageID": "message_id",
    _M + "messageUUID": "message_uuid",
    _M + "replyUUID": "reply_uuid",
    _M + "senderID": "sender_id",
    _M + "recipientID": "recipient_id",
    _M + "caseID": "case_id",
    _M + "contactPointID": "contact_point_id",
    _M + "generatingSystemID": "generating_system_id",
    _M + "comment": "comment",
}
_FORWARD_FIELDS = {
    _M + "messageUUID": "message_uuid",
    _M + "originalMessageDateTime": "original_message_datetime",
    _M + "originalSender": "original_sender",
    _M + "originalContentResponsible": "original_content_responsible",
    _M + "originalRepresentative": "original_representative",
    _M + "contactPointID": "contact_point_id",
    _M + "comment": "comment",
}


def _reply_data(el: etree._Element) -> ReplyData:
    values: dict[str, str] = {}
    for child in el:
        name = _REPLY_FIELDS.get(str(child.tag))
        if name:
            values[name] = child.text or ""
    uuid = values.pop("message_uuid", "").strip().lower()
    if "reply_uuid" in values:
        values["reply_uuid"] = values["reply_uuid"].strip().lower()
    return ReplyData(message_uuid=uuid, **values)


def _forward_data(el: etree._Element) -> ForwardData:
    values: dict[str, object] = {}
    for child in el:
        name = _FORWARD_FIELDS.get(str(child.tag))
        if name:
            values[name] = child.text or ""
    when = values.pop("original_message_datetime", None)
    if not isinstance(when, str):
        raise MemoError("Ugyldig MeMo: ForwardData mangler originalMessageDateTime", "schema")
    uuid = str(values.pop("message_uuid", "")).strip().lower()
    sender = str(values.pop("original_sender", ""))
    return ForwardData(uuid, _datetime(when), sender, **values)  # type: ignore[arg-type]


def _content_data(el: etree._Element) -> ContentData:
    values: dict[str, str | None] = {}
    for child in el:
        tag = child.tag
        if tag == _G + "CPRdata":
            values["cpr"] = _opt(child.find(_G + "cprNumber"))
            values["cpr_name"] = _opt(child.find(_G + "name"))
        elif tag == _G + "CVRdata":
            values["cvr"] = _opt(child.find(_G + "cvrNumber"))
        elif tag == _M + "CaseID":
            values["case_id"] = _opt(child.find(_M + "caseID"))
            values["case_system"] = _opt(child.find(_M + "caseSystem"))
        elif tag == _K + "KLEdata":
            values["kle_subject"] = _opt(child.find(_K + "subjectKey"))
            values["kle_label"] = _opt(child.find(_K + "label"))
    return ContentData(**values)


_ROLE_BY_TAG = {
    _M + "MainDocument": (DocumentRole.MAIN, _M + "mainDocumentID"),
    _M + "AdditionalDocument": (DocumentRole.ADDITIONAL, _M + "additionalDocumentID"),
    _M + "TechnicalDocument": (DocumentRole.TECHNICAL, _M + "technicalDocumentID"),
}
_T_FILE = _M + "File"
_T_LABEL = _M + "label"
_T_ENCODING = _M + "encodingFormat"
_T_FILENAME = _M + "filename"
_T_LANGUAGE = _M + "language"
_T_CONTENT = _M + "content"
_WS = str.maketrans("", "", " \t\r\n")
try:  # optional SIMD decoder (~25x faster); same strictness: any non-alphabet char is an error
    if os.environ.get("POSTFORDELER_NO_PYBASE64"):
        raise ImportError("disabled")
    import pybase64 as _pybase64

    def _a2b(text: str, strict_mode: bool = True) -> bytes:
        return _pybase64.b64decode(text, validate=True)

    FAST_BASE64 = True
except ImportError:  # pragma: no cover - depends on the environment

    def _a2b(text: str, strict_mode: bool = True) -> bytes:
        return binascii.a2b_base64(text, strict_mode=strict_mode)

    FAST_BASE64 = False
_sha256 = hashlib.sha256


def _decode_text(text: str) -> bytes:
    """Strict base64 decode of one file's text (xs:base64Binary: whitespace allowed)."""
    try:
        return _a2b(text, strict_mode=True)
    except (binascii.Error, ValueError):
        pass
    try:  # xs:base64Binary allows whitespace (wrapped lines); nothing else
        return _a2b(text.translate(_WS), strict_mode=True)
    except (binascii.Error, ValueError):
        raise MemoError("Ugyldig MeMo: filindhold er ikke gyldig base64", "base64") from None


_WS_BYTES = b" \t\r\n"


def decode_file_base64(data: bytes | bytearray | memoryview) -> bytes:
    """Decode a file's base64 text as it sits in a raw MeMo (see `MemoFile.span`), with the
    reader's strictness: whitespace (wrapped lines, CRLF) is allowed, anything else not.
    Raises `MemoError(code="base64")`."""
    raw = bytes(data)
    try:
        return _a2b(raw, strict_mode=True)  # type: ignore[arg-type]
    except (binascii.Error, ValueError):
        pass
    try:
        return _a2b(raw.translate(None, _WS_BYTES), strict_mode=True)  # type: ignore[arg-type]
    except (binascii.Error, ValueError):
        raise MemoError("Ugyldig MeMo: filindhold er ikke gyldig base64", "base64") from None


def _scan_chunks(text: str) -> Iterable[bytes]:
    """Strictly decode `text` in aligned slices; padding is allowed only at the very end."""
    step = _CHUNK_CHARS
    n = len(text)
    if n % 4:
        raise binascii.Error("length")
    for start in range(0, n, step):
        piece = text[start : start + step]
        if start + step < n and piece.endswith("="):
            raise binascii.Error("padding inside")
        yield _a2b(piece, strict_mode=True)


def _scan_text(text: str, keep_below: int) -> tuple[bytes, int, str]:
    """Decode one file's base64 chunk-wise: (content if at most keep_below bytes else b"",
    size, sha256). No decoded copy of a big file is kept."""
    for attempt in (0, 1):
        if attempt:
            text = text.translate(_WS)  # xs:base64Binary allows whitespace; nothing else
        digest = _sha256()
        size = 0
        kept: list[bytes] | None = []
        try:
            for chunk in _scan_chunks(text):
                digest.update(chunk)
                size += len(chunk)
                if kept is not None:
                    if size > keep_below:
                        kept = None
                    else:
                        kept.append(chunk)
        except (binascii.Error, ValueError):
            continue
        return (b"".join(kept) if kept is not None else b""), size, digest.hexdigest()
    raise MemoError("Ugyldig MeMo: filindhold er ikke gyldig base64", "base64")


# --------------------------------------------------------------------------- file spans

_HEAD_CHARS = 64  # characters of a file's base64 searched for in the raw bytes
_SPAN_TRIES = 4  # candidate positions verified per file before giving up (no quadratic work)
_LOCATE_CHUNK = 1 << 20


def _head(text: str) -> tuple[int, bytes] | None:
    """(index of the first non-blank character, up to 64 ASCII characters from there up to the
    next blank) of a file's base64 text; None when blank or not ASCII."""
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        return None
    lead = len(text) - len(stripped)
    head = stripped[:_HEAD_CHARS].split(None, 1)[0]
    try:
        return lead, head.encode("ascii")
    except UnicodeEncodeError:
        return None


def _prefix_len(text: str, lead: int, crlf: bool) -> int:
    prefix = text[:lead]
    return len(prefix) + (prefix.count("\n") if crlf else 0)


class _BytesLocator:
    """Finds each file's base64 text, in document order, verbatim in the raw bytes. The XML
    parser turns CRLF into LF, so the CRLF spelling is tried too; anything else (character
    references, CDATA, comments inside the text) is not found and the caller keeps the bytes."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0

    def __call__(self, text: str) -> tuple[int, int] | None:
        head = _head(text)
        if head is None:
            return None
        lead, needle_head = head
        try:
            exact = text.encode("ascii")
        except UnicodeEncodeError:
            return None
        variants = [(exact, False)]
        if "\n" in text:
            variants.append((exact.replace(b"\n", b"\r\n"), True))
        raw, search = self.raw, self.pos
        for _ in range(_SPAN_TRIES):
            hit = raw.find(needle_head, search)
            if hit < 0:
                return None
            for needle, crlf in variants:
                start = hit - _prefix_len(text, lead, crlf)
                if start >= self.pos and raw.startswith(needle, start):
                    self.pos = start + len(needle)
                    return start, len(needle)
            search = hit + 1
        return None


class _FileLocator:
    """`_BytesLocator` for a message parsed straight from a file: searches and compares the
    file chunk-wise, so a 99 MB attachment's text is never encoded or read in one piece."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pos = 0

    def __call__(self, text: str) -> tuple[int, int] | None:
        head = _head(text)
        if head is None:
            return None
        lead, needle_head = head
        try:
            with self.path.open("rb") as fh:
                search = self.pos
                for _ in range(_SPAN_TRIES):
                    hit = self._find(fh, needle_head, search)
                    if hit < 0:
                        return None
                    for crlf in (False, True) if "\n" in text else (False,):
                        start = hit - _prefix_len(text, lead, crlf)
                        length = self._matches(fh, start, text, crlf) if start >= self.pos else -1
                        if length >= 0:
                            self.pos = start + length
                            return start, length
                    search = hit + 1
        except OSError:
            return None
        return None

    @staticmethod
    def _find(fh: BinaryIO, needle: bytes, start: int) -> int:
        fh.seek(start)
        offset, carry = start, b""
        while piece := fh.read(_LOCATE_CHUNK):
            window = carry + piece
            hit = window.find(needle)
            if hit >= 0:
                return offset - len(carry) + hit
            carry = window[-(len(needle) - 1) :] if len(needle) > 1 else b""
            offset += len(piece)
        return -1

    @staticmethod
    def _matches(fh: BinaryIO, start: int, text: str, crlf: bool) -> int:
        fh.seek(start)
        total = 0
        for i in range(0, len(text), _LOCATE_CHUNK):
            try:
                want = text[i : i + _LOCATE_CHUNK].encode("ascii")
            except UnicodeEncodeError:
                return -1
            if crlf:
                want = want.replace(b"\n", b"\r\n")
            if fh.read(len(want)) != want:
                return -1
            total += len(want)
        return total


Locate = Callable[[str], "tuple[int, int] | None"]


class _RawFile(NamedTuple):
    role: DocumentRole
    doc_index: int
    mime: str
    filename: str
    language: str
    content: bytes
    measured: tuple[int, str] | None = None  # (size, sha256) when content was not kept
    span: tuple[int, int] | None = None


def _documents(
    body: etree._Element, keep_below: int | None = None, locate: Locate | None = None
) -> tuple[datetime | None, tuple[MemoDocument, ...]]:
    """`keep_below=None`: keep every file's bytes; else keep only files of at most that size.
    `locate`: records each file's span in the raw bytes (see `MemoFile.span`)."""
    created = None
    raw_docs: list[tuple[DocumentRole, str | None, str | None, list[_RawFile]]] = []
    for doc_el in body:
        tag = doc_el.tag
        if tag == _M + "createdDateTime":
            created = _datetime(doc_el.text or "")
            continue
        role_info = _ROLE_BY_TAG.get(str(tag))
        if role_info is None:
            continue
        role, id_tag = role_info
        doc_index = len(raw_docs)
        doc_id = label = None
        files: list[_RawFile] = []
        for child in doc_el:
            ctag = child.tag
            if ctag == _T_FILE:
                mime = filename = language = ""
                content = b""
                measured: tuple[int, str] | None = None
                span: tuple[int, int] | None = None
                for part in child:
                    ptag = part.tag
                    if ptag == _T_CONTENT:
                        text = part.text or ""
                        part.text = None  # free libxml2's copy: big messages are not held twice
                        if locate is not None:
                            span = locate(text)
                        if keep_below is None or (locate is not None and span is None):
                            # A file the cache cannot serve from the raw message (its base64
                            # is not verbatim there) is kept decoded, whatever its size: it
                            # goes to the cache's fallback table, so nothing is lost.
                            content = _decode_text(text)
                        else:
                            content, size, digest = _scan_text(text, keep_below)
                            measured = (size, digest)
                        del text
                    elif ptag == _T_ENCODING:
                        mime = part.text or ""
                    elif ptag == _T_FILENAME:
                        filename = part.text or ""
                    elif ptag == _T_LANGUAGE:
                        language = part.text or ""
                files.append(
                    _RawFile(
                        role, doc_index, mime.strip(), filename, language, content, measured, span
                    )
                )
            elif ctag == id_tag:
                doc_id = child.text or ""
            elif ctag == _T_LABEL:
                label = child.text or ""
        raw_docs.append((role, doc_id, label, files))
    all_files = [f for _, _, _, files in raw_docs for f in files]
    safe = unique_names([safe_filename(f.filename, mime=f.mime) for f in all_files])
    documents = []
    index = 0
    for role, doc_id, label, files in raw_docs:
        built = []
        for f in files:
            built.append(
                MemoFile(
                    role=f.role,
                    document_index=f.doc_index,
                    mime=f.mime,
                    filename=f.filename,
                    safe_filename=safe[index],
                    language=f.language,
                    size=f.measured[0] if f.measured else len(f.content),
                    sha256=f.measured[1] if f.measured else _sha256(f.content).hexdigest(),
                    content=f.content,
                    span=f.span,
                )
            )
            index += 1
        documents.append(MemoDocument(role, doc_id, label, tuple(built)))
    return created, tuple(documents)


def _build(
    root: etree._Element,
    version: str,
    keep_below: int | None = None,
    locate: Locate | None = None,
) -> MemoMessage:
    header = body = None
    for child in root:
        if child.tag == T_HEADER:
            header = child
        elif child.tag == T_BODY:
            body = child
    if header is None:
        raise MemoError("Ugyldig MeMo: MessageHeader mangler", "schema")
    h: dict[str, str] = {}
    sender = recipient = None
    content_data = forward = None
    replies: list[ReplyData] = []
    for child in header:
        tag = child.tag
        if tag == _M + "Sender":
            sender = _party(child, _M + "senderID")
        elif tag == _M + "Recipient":
            recipient = _party(child, _M + "recipientID")
        elif tag == _M + "ReplyData":
            replies.append(_reply_data(child))
        elif tag == _M + "ForwardData":
            forward = _forward_data(child)
        elif tag == _M + "ContentData":
            content_data = _content_data(child)
        elif isinstance(tag, str):
            h[tag.removeprefix(_M)] = child.text or ""
    if sender is None or recipient is None:
        raise MemoError("Ugyldig MeMo: Sender eller Recipient mangler", "schema")
    message_type = h.get("messageType", "").strip()
    if message_type == "NEMSMS":
        raise MemoError("NemSMS er ikke post til et sagssystem", "nemsms")
    created, documents = _documents(body, keep_below, locate) if body is not None else (None, ())
    kind = Kind.RETURSVAR if replies else Kind.VIDERESENDT if forward else Kind.NYHENVENDELSE
    return MemoMessage(
        version=version,
        message_type=message_type,
        message_uuid=h.get("messageUUID", "").strip().lower(),
        message_id=h.get("messageID"),
        label=h.get("label", ""),
        created=created,
        sender=sender,
        recipient=recipient,
        kind=kind,
        reply=_bool(h.get("reply")),
        mandatory=_bool(h.get("mandatory")),
        legal_notification=_bool(h.get("legalNotification")),
        notification=h.get("notification"),
        post_type=h.get("postType"),
        content_data=content_data,
        forward_data=forward,
        reply_data=tuple(replies),
        documents=documents,
    )


# --------------------------------------------------------------------------- public API


def _big_path(data: object) -> Path | None:
    """`data` as a Path when it names a file big enough to be parsed straight from disk."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return None
    if isinstance(data, str) and data.lstrip("\ufeff \t\r\n").startswith("<"):
        return None
    path = Path(data)  # type: ignore[arg-type]
    try:
        return path if path.stat().st_size > _HUGE_FROM else None
    except OSError:
        return None  # _load reports it


def _parse_file(path: Path, max_bytes: int, deadline: float | None = None) -> etree._Element:
    """Parse a big file without first reading it into memory (the tree is the only copy).

    One open file serves the prolog scan (however long the prolog: megabytes of comment before
    a DOCTYPE are scanned too) and the parse, so both see the same bytes; the parser is fed in
    chunks (libxml2 never opens the path itself) with the deadline checked between them."""
    try:
        with xmlsafe.open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise _oversize(size, max_bytes)
            try:
                xmlsafe.check_prolog_stream(fh.read)
            except xmlsafe.XmlRefused as exc:
                raise _prolog_refusal(exc) from None
            fh.seek(0)
            try:
                root = xmlsafe.feed_parse(_make_parser(True), xmlsafe.file_chunks(fh), deadline)
            except etree.XMLSyntaxError as exc:
                fh.seek(max(0, size - 64))
                raise _syntax_reason(exc, fh.read()) from None
    except xmlsafe.ExternalRefused:
        raise MemoError(_DTD_TEXT, "dtd") from None
    except xmlsafe.ParseDeadline:
        raise _timed_out() from None
    except OSError as exc:
        raise _io_error(exc) from None
    if root is None:
        raise MemoError("Ugyldig MeMo: indholdet er ikke XML", "xml")
    _check_docinfo(root.getroottree())
    return root


def _checked_tree(
    data: bytes | bytearray | memoryview | str | os.PathLike[str],
    max_bytes: int,
    validate: bool,
    locate: bool = False,
    timeout: float | None = None,
) -> tuple[etree._Element, str, Locate | None]:
    _parses.add()
    deadline = _deadline(timeout)
    big = _big_path(data)
    locator: Locate | None = None
    if big is not None:
        root = _parse_file(big, max_bytes, deadline)
        if locate:
            locator = _FileLocator(big)
    else:
        raw = _load(data, max_bytes)
        root = _parse(raw, deadline)
        if locate:
            locator = _BytesLocator(raw)
        del raw
    version = _check_root(root)
    if _too_deep(root):
        raise MemoError(f"Ugyldig MeMo: mere end {MAX_DEPTH} niveauer indlejring", "depth")
    mtype = root.findtext(f"{_M}MessageHeader/{_M}messageType")
    if mtype is not None and mtype.strip() == "NEMSMS":
        raise MemoError("NemSMS er ikke post til et sagssystem", "nemsms")
    if validate:
        _validate(root, version)
    if deadline is not None and time.monotonic() > deadline:
        raise _timed_out()
    return root, version, locator


def read_memo(
    data: bytes | bytearray | memoryview | str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    validate: bool = True,
    keep_content: bool = True,
    keep_below: int = 0,
    locate: bool = False,
    timeout: float | None = None,
) -> MemoMessage:
    """Read one MeMo message.

    `data` is the message's bytes, its XML text (a str starting with '<') or a path (a big file
    is parsed straight from disk, never read into one bytes object first). Raises
    `MemoError(reason, code)` for anything refused; codes: size, io, xml, encoding, dtd,
    depth, namespace, version, nemsms, schema, base64, timeout (the parse ran past `timeout`
    seconds: the only refusal that may go away on a retry). Nothing in the input is ever
    opened or fetched: no DTD, entity, URL, FIFO or file named by the message.

    `keep_content=False` is the big-message path: every file is still strictly base64-decoded
    (chunk-wise), sized and hashed, but its decoded bytes are dropped (`MemoFile.content == b""`)
    unless the file is at most `keep_below` bytes (e.g. keep the small text/plain body for
    full-text search). Peak memory is then about the parsed tree plus one file's base64 text.

    `locate=True` records, per file, where its base64 text sits in the raw bytes
    (`MemoFile.span`, None where it is not there verbatim), so a cache can serve the file from
    the stored raw message later without parsing it again.
    """
    root, version, locator = _checked_tree(data, max_bytes, validate, locate, timeout)
    return _build(root, version, None if keep_content else max(0, keep_below), locator)


def validate_only(
    data: bytes | bytearray | memoryview | str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float | None = None,
) -> str:
    """Run every check of `read_memo` and return the version ("1.1" or "1.2").

    Raises `MemoError` like `read_memo` (NemSMS included). Base64 is decoded strictly too:
    libxml2's xs:base64Binary check lets some invalid content through.
    """
    root, version, _ = _checked_tree(data, max_bytes, True, timeout=timeout)
    _build(root, version, 0)
    return version


class MemoHeader(NamedTuple):
    version: str
    message_type: str
    message_uuid: str
    label: str
    kind: Kind
    sender_id: str
    contact_point_id: str | None
    reply_message_uuids: tuple[str, ...]


def peek_header(
    data: bytes | bytearray | memoryview | str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> MemoHeader:
    """Cheap look at the header (no schema validation, no base64 decoding, NemSMS allowed).

    For routing and duplicate checks before the full read; never trust it for storage.
    """
    _parses.add()
    raw = _load(data, max_bytes)
    root = _parse(raw)
    del raw
    version = _check_root(root)
    header = root.find(T_HEADER)
    if header is None:
        raise MemoError("Ugyldig MeMo: MessageHeader mangler", "schema")
    replies = tuple(
        (t or "").strip().lower()
        for t in header.xpath("m:ReplyData/m:messageUUID/text()", namespaces={"m": MEMO_NS})
    )
    forward = header.find(_M + "ForwardData") is not None
    kind = Kind.RETURSVAR if replies else Kind.VIDERESENDT if forward else Kind.NYHENVENDELSE
    return MemoHeader(
        version=version,
        message_type=(header.findtext(_M + "messageType") or "").strip(),
        message_uuid=(header.findtext(_M + "messageUUID") or "").strip().lower(),
        label=header.findtext(_M + "label") or "",
        kind=kind,
        sender_id=header.findtext(f"{_M}Sender/{_M}senderID") or "",
        contact_point_id=header.findtext(f"{_M}Recipient/{_M}ContactPoint/{_M}contactPointID"),
        reply_message_uuids=replies,
    )


def iter_read(
    paths: Iterable[str | os.PathLike[str]], **kwargs: object
) -> Iterable[tuple[Path, MemoMessage | MemoError]]:
    """Read many files; yields (path, message or the MemoError) without stopping on errors."""
    for p in paths:
        path = Path(p)
        try:
            yield path, read_memo(path, **kwargs)  # type: ignore[arg-type]
        except MemoError as exc:
            yield path, exc
