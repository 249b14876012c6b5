"""Render resources/icons/postfordeler.svg to the .png (window icon, .deb) and the .ico
(Windows executable, MSI) with Qt: `python scripts/make_icons.py`. A developer tool; the
rendered files are committed so a build needs no SVG renderer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(images: list[QImage]) -> bytes:
    """A Windows .ico holding PNG-compressed images (Vista and later read them)."""
    pngs = [png_bytes(i) for i in images]
    header = (0).to_bytes(2, "little") + (1).to_bytes(2, "little") + len(pngs).to_bytes(2, "little")
    offset = 6 + 16 * len(pngs)
    entries = b""
    for image, data in zip(images, pngs, strict=True):
        side = image.width() if image.width() < 256 else 0  # 0 means 256
        entries += (
            bytes([side, side, 0, 0]) + (1).to_bytes(2, "little") + (32).to_bytes(2, "little")
        )
        entries += len(data).to_bytes(4, "little") + offset.to_bytes(4, "little")
        offset += len(data)
    return header + entries + b"".join(pngs)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "postfordeler.svg"))
    if not renderer.isValid():
        print("postfordeler.svg is not a valid SVG", file=sys.stderr)
        return 1
    (ICONS / "postfordeler.png").write_bytes(png_bytes(render(renderer, 256)))
    (ICONS / "postfordeler.ico").write_bytes(ico([render(renderer, s) for s in ICO_SIZES]))
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
