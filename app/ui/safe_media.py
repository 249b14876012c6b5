"""Images for the preview, decoded in memory only: nothing a message names is ever opened.

Qt's image plugins pick a decoder from the bytes, and its SVG renderer follows external
references (`<image href="file:///…">`, `http://…`), so a message could make the client open a
local file, a FIFO (hanging the UI thread) or a network address. Here:

- raster images are decoded only when their magic bytes name a raster format, with that format
  given to Qt explicitly (an SVG or XPM labelled `image/png` never reaches its plugin);
- SVG is parsed with expat (no DOCTYPE, no entities, no external anything) and rebuilt from an
  allow-list of drawing elements and attributes; every reference that is not to a fragment of
  the same document (`#id`) is dropped before Qt's renderer sees the bytes.

Never logs image content.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from html import escape

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_SVG_BYTES = 10 * 1024 * 1024
MAX_SVG_NODES = 200_000
MAX_SVG_SIDE = 4096

# magic bytes -> the Qt format name used to decode them (nothing else is decoded)
_RASTER = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)

_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle",
        "ellipse", "line", "polyline", "polygon", "text", "tspan", "linearGradient",
        "radialGradient", "stop", "solidColor",
    }
)  # fmt: skip
_URL = re.compile(r"url\s*\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)


class UnsafeSvg(ValueError):
    """The SVG cannot be shown safely (not well-formed, a DOCTYPE or entity, too big)."""


def raster_format(data: bytes) -> str | None:
    """The Qt format name of a raster image by its magic bytes (PNG, JPEG, GIF, BMP, WebP)."""
    for magic, fmt in _RASTER:
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def decode_raster(data: bytes) -> QImage:
    """A raster image decoded from memory, or a null QImage (never SVG, XPM or other text)."""
    fmt = raster_format(data)
    if fmt is None:
        return QImage()
    return QImage.fromData(data, fmt)


def _safe_attribute(name: str, value: str) -> bool:
    local = name.lower()
    if local.startswith("on") or local in {"base", "src"}:
        return False
    if local == "style" and ("url" in value.lower() or "@" in value or "\\" in value):
        return False
    if local == "href":
        return value.strip().startswith("#")
    return all(ref.startswith("#") for ref in _URL.findall(value))


def sanitize_svg(data: bytes) -> bytes:
    """`data` rebuilt as a self-contained SVG: allow-listed elements, no external references.
    Raises UnsafeSvg when it cannot be read safely."""
    if len(data) > MAX_SVG_BYTES or data[:2] == b"\x1f\x8b":  # svgz: not unpacked here
        raise UnsafeSvg("too big or compressed")
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    # ("name", attributes) for a start tag, ("/name", None) for an end tag, (text, "") for text
    out: list[tuple[str, list[tuple[str, str]] | str | None]] = []
    ids: set[str] = set()
    depth_skipped = 0
    nodes = 0
    stack: list[bool] = []

    def refuse(*_args: object) -> None:
        raise UnsafeSvg("DOCTYPE or entity")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth_skipped, nodes
        nodes += 1
        if nodes > MAX_SVG_NODES:
            raise UnsafeSvg("too many elements")
        ns, _, local = name.rpartition(" ")
        keep = depth_skipped == 0 and ns == SVG_NS and local in _ELEMENTS
        stack.append(keep)
        if not keep:
            depth_skipped += 1
            return
        kept: list[tuple[str, str]] = []
        for key, value in attrs.items():
            key_ns, _, key_local = key.rpartition(" ")
            if key_ns == XLINK_NS:
                qname = f"xlink:{key_local}"
            elif key_ns:
                continue  # xml:base and any other namespaced attribute
            else:
                qname = key_local
            if _safe_attribute(key_local, value):
                kept.append((qname, value))
                if qname == "id":
                    ids.add(value)
        out.append((local, kept))

    def end(name: str) -> None:
        nonlocal depth_skipped
        keep = stack.pop()
        if keep:
            out.append(("/" + name.rpartition(" ")[2], None))
        else:
            depth_skipped -= 1

    def text(chunk: str) -> None:
        if depth_skipped == 0 and stack:
            out.append((chunk, ""))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise UnsafeSvg("not well-formed") from exc
    if not out or out[0][0] != "svg":
        raise UnsafeSvg("no svg root")
    return _serialise(out, ids).encode("utf-8")


def _refs_known(name: str, value: str, ids: set[str]) -> bool:
    """Every `#id` the value points at is an element that was kept (Qt warns otherwise)."""
    refs = [ref[1:] for ref in _URL.findall(value)]
    if name.endswith("href"):
        refs.append(value.strip()[1:])
    return all(ref in ids for ref in refs)


def _serialise(out: list[tuple[str, list[tuple[str, str]] | str | None]], ids: set[str]) -> str:
    parts: list[str] = []
    skipping = 0  # inside a <use> whose reference was dropped (Qt warns about it)
    for first, (token, rest) in enumerate(out):
        if skipping:
            if rest is None:
                skipping -= 1
            elif isinstance(rest, list):
                skipping += 1
            continue
        if rest == "":
            parts.append(escape(token, quote=False))
        elif rest is None:
            parts.append(f"<{token}>")
        else:
            assert isinstance(rest, list)
            attrs = [(k, v) for k, v in rest if _refs_known(k, v, ids)]
            if token == "use" and not any(k.endswith("href") for k, _ in attrs):
                skipping = 1
                continue
            tag = [token] if first else [token, f'xmlns="{SVG_NS}"', f'xmlns:xlink="{XLINK_NS}"']
            tag += [f'{k}="{escape(v, quote=True)}"' for k, v in attrs]
            parts.append("<" + " ".join(tag) + ">")
    return "".join(parts)


def render_svg(data: bytes, width: int = 800) -> QImage:
    """A sanitised SVG rendered to an image `width` pixels wide (null when it cannot be shown)."""
    try:
        clean = sanitize_svg(data)
    except UnsafeSvg:
        return QImage()
    renderer = QSvgRenderer(QByteArray(clean))
    if not renderer.isValid():
        return QImage()
    size = renderer.defaultSize()
    if size.isEmpty():
        size.setWidth(width)
        size.setHeight(width)
    scale = min(1.0, MAX_SVG_SIDE / max(size.width(), size.height()))
    image = QImage(
        max(1, int(size.width() * scale)),
        max(1, int(size.height() * scale)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:65536].lower()
