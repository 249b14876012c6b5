"""OCR with the real Tesseract (Danish) on generated scans: text rendered with QPainter into a
PNG, and into an image-only PDF (QPdfWriter, no text layer). The engine with `ocr=True` finds
the case from a photographed letter whose text is only in pixels."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRect, Qt
from PySide6.QtGui import QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from app.dubu.dataset import DubuDataset
from app.sf1606.memo import read_memo
from app.sf1606.model import DocumentRole, Kind, MemoFile
from app.suggest import ocr
from app.suggest.engine import SuggestionEngine
from tests.conftest import CORPUS, MESSAGES

pytestmark = pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")


def render(lines: list[str]) -> QImage:
    img = QImage(1600, 120 + 90 * len(lines), QImage.Format.Format_Grayscale8)
    img.fill(Qt.GlobalColor.white)
    p = QPainter(img)
    font = QFont("DejaVu Sans")
    font.setPixelSize(44)
    p.setFont(font)
    p.setPen(Qt.GlobalColor.black)
    for n, line in enumerate(lines):
        p.drawText(QRect(60, 60 + 90 * n, 1500, 80), Qt.AlignmentFlag.AlignLeft, line)
    p.end()
    return img


def png(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def image_only_pdf(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    w = QPdfWriter(buf)
    w.setResolution(200)
    w.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF()
        )
    )
    p = QPainter(w)
    target = QRect(0, 0, w.width(), int(w.width() * img.height() / img.width()))
    p.drawImage(target, img)
    p.end()
    buf.close()
    return bytes(data.data())


LINES = ["Kære kommune", "Vedrørende min datter og sag 2024-123456", "Med venlig hilsen Grethe"]


def test_a_png_is_read(qapp):
    data = png(render(LINES))
    text = ocr.image_text(data, hashlib.sha256(data).hexdigest())
    assert "2024-123456" in text
    assert "Vedrørende" in text  # Danish letters: the dan model


def test_an_image_only_pdf_is_read(qapp):
    from pypdf import PdfReader

    data = image_only_pdf(render(LINES))
    assert not "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).strip()
    text = ocr.scan_text(data, hashlib.sha256(data).hexdigest(), 5)
    assert "2024-123456" in text


def test_a_photographed_letter_finds_its_case(qapp):
    ds = DubuDataset.load(CORPUS / "dubu.json")
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    u = next(
        u
        for u, lab in labels.items()
        if lab["kind"] == "nyhenvendelse" and lab.get("case_id") and not lab["misrouted"]
    )
    msg = read_memo(MESSAGES / f"{u}.xml")
    case = ds.case_by_id(labels[u]["case_id"])
    assert case is not None
    # a sender DUBU does not know, no contact info, a body saying nothing: the case is only
    # in the photo
    data = png(render(["Kære kommune", f"Angående sag {case.number}", "Hilsen"]))
    photo = MemoFile(
        role=DocumentRole.ADDITIONAL,
        document_index=1,
        mime="image/png",
        filename="foto.png",
        safe_filename="foto.png",
        language="da",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )
    docs = []
    for doc in msg.documents:
        files = tuple(
            dataclasses.replace(f, content=b"Se billedet.", size=12)
            for f in doc.files
            if f.mime.startswith("text/plain")
        )
        if files and doc.role is DocumentRole.MAIN:
            docs.append(dataclasses.replace(doc, files=files))
    docs.append(dataclasses.replace(msg.documents[0], role=DocumentRole.ADDITIONAL, files=(photo,)))
    sender = dataclasses.replace(msg.sender, id="0101011234", id_type="CPR", label="A B")
    cp = dataclasses.replace(msg.recipient.contact_point, contact_info=())
    photographed = dataclasses.replace(
        msg,
        documents=tuple(docs),
        sender=sender,
        label="Brev",
        kind=Kind.NYHENVENDELSE,
        recipient=dataclasses.replace(msg.recipient, contact_point=cp),
    )
    with_ocr = SuggestionEngine(ds, ocr=True).suggest(photographed)
    assert with_ocr.top is not None and with_ocr.top.case_id == case.id
    without = SuggestionEngine(ds, ocr=False).suggest(photographed)
    assert without.top is None or without.top.case_id != case.id  # only the pixels name it
