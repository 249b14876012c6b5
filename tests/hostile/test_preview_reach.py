"""Issue 10 point 5: no preview opens a file or a network address the message names.

Real Qt widgets offscreen (the preview, its tooltips, a header). Every hostile file references
a FIFO, a regular PNG we made (solid red) and an http URL on a loopback server; a guard process
(`tests/hostile/reach_guard.py`) counts opens of the FIFO (an open for reading would block, the
guard releases and counts it) and requests to the server. Required: zero of both, and the red
PNG never shows up in what was rendered, while the harmless part of each file still shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel

from app.sf1606.memo import read_memo
from app.sf1606.model import DocumentRole, Kind, MemoDocument, MemoFile, MemoMessage, Party
from app.ui import labels
from app.ui.preview import DocumentPreview
from app.ui.safe_media import UnsafeSvg, decode_raster, render_svg, sanitize_svg
from tests.hostile.cases import HostileEnv, all_cases

pytestmark = pytest.mark.ui
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Targets:
    fifo: Path
    png: Path
    url: str
    proc: subprocess.Popen[str]

    def counts(self) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("?\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Targets]:
    work = tmp_path_factory.mktemp("reach")
    fifo = work / "pipe"
    os.mkfifo(fifo)
    png = work / "red.png"
    red = QImage(32, 32, QImage.Format.Format_RGB32)
    red.fill(QColor(255, 0, 0))
    assert red.save(str(png), "PNG")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.reach_guard", str(fifo)],
        cwd=str(REPO),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield Targets(fifo, png, f"http://127.0.0.1:{port}", proc)
    proc.kill()
    proc.wait()


def _file(name: str, mime: str, content: bytes) -> MemoFile:
    return MemoFile(
        role=DocumentRole.ADDITIONAL,
        document_index=0,
        mime=mime,
        filename=name,
        safe_filename=name,
        language="da",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def _message(*files: MemoFile, label: str = "Test") -> MemoMessage:
    return MemoMessage(
        version="1.2",
        message_type="DIGITALPOST",
        message_uuid="6f1c3a52-6a6d-4b1e-9d59-2f8b1d3c4e5f",
        message_id=None,
        label=label,
        created=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        sender=Party("12345678", "CVR", "Afsender"),
        recipient=Party("66272311", "CVR", "Fjordby Kommune"),
        kind=Kind.NYHENVENDELSE,
        documents=(MemoDocument(DocumentRole.MAIN, None, None, files),),
    )


def _svg_cases(t: Targets) -> dict[str, bytes]:
    fifo, png, url = t.fifo.as_uri(), t.png.as_uri(), t.url
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="64" height="64">'
    )
    blue = '<rect id="b" width="64" height="64" fill="#0000ff"/>'
    return {
        "image_xlink_file": f'{head}{blue}<image xlink:href="{png}" width="64" height="64"/>'
        f'<image xlink:href="{fifo}" width="8" height="8"/></svg>',
        "image_href_plain_path": f'{head}{blue}<image href="{t.png}" width="64" height="64"/>'
        f'<image href="{t.fifo}" width="8" height="8"/></svg>',
        "image_http": f'{head}{blue}<image href="{url}/img.png" width="64" height="64"/></svg>',
        "use_external": f'{head}{blue}<use xlink:href="{url}/sprite.svg#x"/>'
        f'<use href="{fifo}#x"/></svg>',
        "style_url": f"{head}{blue}<style>@import url({url}/a.css); rect {{ fill: url({png}) }}"
        f'</style><rect width="8" height="8" style="fill:url({url}/p.svg#p)" '
        f'fill="url({fifo}#g)"/></svg>',
        "stylesheet_pi": f'<?xml-stylesheet href="{url}/s.css"?>{head}{blue}</svg>',
        "xml_base": f"{head.replace('<svg ', f'<svg xml:base={chr(34)}{url}/{chr(34)} ')}"
        f'{blue}<image href="x.png" width="64" height="64"/></svg>',
        "foreign_object": f'{head}{blue}<foreignObject width="64" height="64">'
        f'<img xmlns="http://www.w3.org/1999/xhtml" src="{png}"/></foreignObject></svg>',
        "feimage_filter": f'{head}{blue}<filter id="f"><feImage href="{png}"/></filter>'
        f'<rect width="8" height="8" filter="url(#f)"/></svg>',
        "svg_labelled_png": f'{head}{blue}<image xlink:href="{png}" width="64" height="64"/>'
        f'<image xlink:href="{fifo}" width="8" height="8"/></svg>',
    }


REFUSED_SVG = {
    "doctype_system": '<!DOCTYPE svg SYSTEM "{fifo}"><svg xmlns="http://www.w3.org/2000/svg"/>',
    "entity_file": '<!DOCTYPE svg [<!ENTITY e SYSTEM "{fifo}">]>'
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&e;</text></svg>',
    "param_entity": '<!DOCTYPE svg [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>'
    '<svg xmlns="http://www.w3.org/2000/svg"/>',
}


def _has_red(image: QImage) -> bool:
    step = max(1, min(image.width(), image.height()) // 16)
    for x in range(0, image.width(), step):
        for y in range(0, image.height(), step):
            c = image.pixelColor(x, y)
            if c.red() > 200 and c.green() < 60 and c.blue() < 60:
                return True
    return False


def _has_blue(image: QImage) -> bool:
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return c.blue() > 200 and c.red() < 60


def test_svg_previews_reach_nothing_and_still_draw(qtbot, targets):
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    preview.resize(600, 500)
    cases = _svg_cases(targets)
    files = [
        _file(
            f"{name}.svg",
            "image/png" if name == "svg_labelled_png" else "image/svg+xml",
            svg.encode(),
        )
        for name, svg in cases.items()
    ]
    preview.show_message(_message(*files))
    for n, name in enumerate(cases):
        preview.files.setCurrentIndex(n)
        assert preview.stack.currentWidget() is preview.image_scroll, name
        shown = preview.image.pixmap().toImage()
        assert _has_blue(shown), name  # the harmless drawing is still shown
        assert not _has_red(shown), name  # the referenced PNG was never read
        clean = sanitize_svg(cases[name].encode())
        for needle in (b"file:", targets.url.encode(), str(targets.png.parent).encode()):
            assert needle not in clean, (name, needle)
    assert targets.counts() == {"http": 0, "fifo": 0, "paths": []}


@pytest.mark.parametrize("name", sorted(REFUSED_SVG))
def test_svg_with_doctype_or_entities_is_refused(qtbot, targets, name):
    svg = REFUSED_SVG[name].format(fifo=targets.fifo.as_uri(), url=targets.url).encode()
    with pytest.raises(UnsafeSvg):
        sanitize_svg(svg)
    assert render_svg(svg).isNull()
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    preview.show_message(_message(_file("x.svg", "image/svg+xml", svg)))
    assert preview.stack.currentWidget() is preview.notice
    assert targets.counts()["fifo"] == 0


def test_html_and_text_previews_reach_nothing(qtbot, targets):
    fifo, png, url = targets.fifo.as_uri(), targets.png.as_uri(), targets.url
    html = (
        f'<html><head><link rel="stylesheet" href="{url}/s.css">'
        f"<style>@import url({url}/i.css); body {{ background: url({png}) }}</style></head>"
        f'<body background="{png}"><p>Synlig tekst</p><img src="{png}"><img src="{fifo}">'
        f'<img src="{url}/pixel.png"><img src="{targets.png}"><table background="{fifo}">'
        f'<tr><td>celle</td></tr></table><iframe src="{url}/frame"></iframe>'
        f'<a href="{url}/link">link</a><object data="{fifo}"></object>'
        f'<svg><image href="{png}"/></svg></body></html>'
    ).encode()
    text = f"<img src='{fifo}'> {url}/tekst".encode()
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    preview.resize(600, 500)
    preview.show_message(
        _message(
            _file("side.html", "text/html", html),
            _file("side.xhtml", "application/xhtml+xml", html),
            _file("tekst.txt", "text/plain", text),
        )
    )
    for n in range(2):
        preview.files.setCurrentIndex(n)
        assert preview.stack.currentWidget() is preview.html
        assert "Synlig tekst" in preview.html.toPlainText()
        grab = preview.html.viewport().grab().toImage()
        assert not _has_red(grab)
        # a link click never navigates (nothing is read from its address)
        preview.html.setSource(f"{url}/clicked")  # type: ignore[arg-type]
        preview.html.setSource(fifo)  # type: ignore[arg-type]
    preview.files.setCurrentIndex(2)
    assert preview.stack.currentWidget() is preview.text
    assert preview.text.toPlainText() == text.decode()
    assert targets.counts() == {"http": 0, "fifo": 0, "paths": []}


def test_images_decode_only_from_memory_by_their_magic(qtbot, targets):
    red = targets.png.read_bytes()
    assert not decode_raster(red).isNull()  # a real PNG is shown
    xpm = b'/* XPM */\nstatic char *x[] = {"1 1 1 1", "a c #ff0000", "a"};'
    for data in (xpm, b"<svg/>", targets.fifo.as_uri().encode(), str(targets.png).encode()):
        assert decode_raster(data).isNull()
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    path_as_content = _file("sti.png", "image/png", str(targets.fifo).encode())
    preview.show_message(_message(path_as_content, _file("x.xpm", "image/x-xpixmap", xpm)))
    for n in range(2):
        preview.files.setCurrentIndex(n)
        assert preview.stack.currentWidget() is preview.notice
    assert targets.counts()["fifo"] == 0


def test_pdf_with_external_references_reaches_nothing(qtbot, targets):
    fifo, url = targets.fifo.as_uri(), targets.url
    objects = [
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [6 0 R] >>",
        "<< /Length 0 >>\nstream\n\nendstream",
        f"<< /S /Launch /F ({targets.fifo}) >>",
        (
            f"<< /Type /Annot /Subtype /Link /Rect [0 0 200 200] /A << /S /URI /URI ({url}/pdf) >> "
            f"/F ({fifo}) >>"
        ),
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += f"{n} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    preview.resize(600, 500)
    preview.show_message(_message(_file("brev.pdf", "application/pdf", body)))
    assert preview.stack.currentWidget() is preview.pdf
    preview.pdf.view.grab()
    assert targets.counts() == {"http": 0, "fifo": 0, "paths": []}


def test_sender_text_in_tooltips_and_labels_stays_text(qtbot, targets):
    """Qt shows a tooltip that looks like HTML as rich text, which loads `<img src>`: the
    subject and file names from a message are escaped wherever they become a tooltip."""
    hostile = f"<img src='{targets.fifo}'><img src='{targets.url}/tip.png'>Emne"
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    preview.show_message(
        _message(_file(f"<img src='{targets.fifo}'>.txt", "text/plain", b"x"), label=hostile)
    )
    tips = [preview.files.tabToolTip(0), preview.header.toggle.toolTip()]
    assert all(tip and "&lt;img" in tip for tip in tips)
    assert labels.plain_tooltip(hostile) and "<img" not in labels.plain_tooltip(hostile)
    for tip in tips:  # a tooltip is a QLabel showing the text as rich text if it looks so
        label = QLabel()
        qtbot.addWidget(label)
        label.setText(tip)
        label.show()
        qtbot.wait(10)
    assert targets.counts() == {"http": 0, "fifo": 0, "paths": []}


def test_zz_the_guard_sees_a_reach(qtbot, targets):
    """The control: raw rich text with `<img src=FIFO>` (what the escaping above prevents) is
    counted by the guard, so the zero counts above mean something."""
    before = targets.counts()["fifo"]
    label = QLabel()
    qtbot.addWidget(label)
    label.setText(f"<img src='{targets.fifo}'>")
    label.show()
    qtbot.wait(20)
    assert targets.counts()["fifo"] > before


PREVIEW_CASES = [c for c in all_cases(big=False) if c.cls == "preview"]


@pytest.mark.parametrize("case", PREVIEW_CASES, ids=lambda c: c.name)
def test_registered_preview_cases_reach_nothing(qtbot, tmp_path, case):
    """The registry's "preview" cases (also run against `memo check` and EP_FS1, where they
    are accepted): read as the client reads them, shown in the real preview."""
    env = HostileEnv(tmp_path / "env")
    try:
        msg = read_memo(case.build(env))
        assert case.check is None or case.check(msg) is None
        preview = DocumentPreview()
        qtbot.addWidget(preview)
        preview.resize(500, 400)
        preview.show_message(msg)
        for n in range(preview.files.count()):
            preview.files.setCurrentIndex(n)
            preview.grab()
            shown = preview.html.toPlainText() + preview.text.toPlainText()
            assert "HEMMELIGT-INDHOLD" not in shown
        qtbot.wait(30)  # let a just-started open or connection land in the traps
        assert env.touched() == 0
    finally:
        env.close()
