"""OCR of photographed and scanned letters (Tesseract with Danish): the child is found from text
that is only in pixels; reading is cached and bounded. Skipped where Tesseract is not installed
(`.ci/run` installs tesseract-ocr and tesseract-ocr-dan)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import time

import pytest

from app.dubu.dataset import DubuDataset
from app.sf1606.memo import read_memo
from app.sf1606.model import DocumentRole, MemoFile, MemoMessage
from app.suggest import ocr
from app.suggest.engine import SuggestionEngine
from app.suggest.text import message_facts
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
HAND = REPO / "tests" / "handwritten"


def _font(size: int):
    from PIL import ImageFont

    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def photo_of(lines: list[str]) -> bytes:
    """A letter as a parent's phone would send it: dark text on a light page, as JPEG."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (1200, 120 + 60 * len(lines)), 235)
    draw = ImageDraw.Draw(img)
    font = _font(34)
    for i, line in enumerate(lines):
        draw.text((60, 60 + 60 * i), line, fill=20, font=font)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def with_photo(msg: MemoMessage, body: str, image: bytes) -> MemoMessage:
    docs = []
    for doc in msg.documents:
        if doc.role is not DocumentRole.MAIN:
            continue
        text = next(f for f in doc.files if f.mime.startswith("text/plain"))
        photo = MemoFile(
            role=DocumentRole.MAIN,
            document_index=0,
            mime="image/jpeg",
            filename="brev.jpg",
            safe_filename="brev.jpg",
            language="da",
            content=image,
            size=len(image),
            sha256=hashlib.sha256(image).hexdigest(),
        )
        note = dataclasses.replace(text, content=body.encode(), size=len(body.encode()))
        docs.append(dataclasses.replace(doc, files=(note, photo)))
    return dataclasses.replace(msg, documents=tuple(docs), label="Brev")


@pytest.fixture(scope="module")
def world():
    ds = DubuDataset.load(REPO / "resources" / "sandbox" / "dubu.json")
    labels = json.loads((HAND / "labels.json").read_text(encoding="utf-8"))
    u = next(u for u, lab in labels.items() if lab["kind"] == "nyhenvendelse")
    base = read_memo(HAND / "messages" / f"{u}.xml")
    base = dataclasses.replace(
        base, sender=dataclasses.replace(base.sender, id="0101521234", label="Ukendt Afsender")
    )
    return ds, base, SuggestionEngine(ds)


def test_child_found_from_a_photographed_letter(world):
    ds, base, engine = world
    case = next(c for c in ds.cases if c.is_open)
    child = ds.person(case.child_cpr)
    cpr = f"{case.child_cpr[:6]}-{case.child_cpr[6:]}"
    image = photo_of(["Til Familieafdelingen", f"Vedr. {child.name}, CPR {cpr}", "Se vedhæftede."])
    msg = with_photo(base, "Se billedet.", image)
    engine.ocr = False
    assert engine.suggest(msg).top is None  # nothing readable without OCR
    engine.ocr = True
    t0 = time.perf_counter()
    r = engine.suggest(msg)
    first = time.perf_counter() - t0
    assert r.top is not None and r.top.case_id == case.id
    assert any("CPR" in why for why in r.top.reasons)
    facts = message_facts(msg, ocr=True)
    assert case.child_cpr[:6] in (facts.pdf_text or "").replace("-", "").replace(" ", "")
    # cached by the file's sha256: the second read does not run Tesseract again
    t0 = time.perf_counter()
    message_facts(msg, ocr=True)
    assert time.perf_counter() - t0 < max(0.2, first / 5)


def test_ocr_is_bounded(monkeypatch):
    from PIL import Image

    img = Image.new("L", (400, 300), 255)
    out = io.BytesIO()
    img.save(out, "PNG")
    data = out.getvalue()
    monkeypatch.setattr(ocr, "MAX_PIXELS", 100_000)  # a bigger image is refused undecoded
    assert ocr.image_text(data, hashlib.sha256(data).hexdigest()) == ""
    monkeypatch.setattr(ocr, "MAX_IMAGE_BYTES", 10)
    assert ocr.image_text(data, "y" * 64) == ""
    assert ocr.image_text(b"not an image", "x" * 64) == ""
    assert ocr.TIMEOUT_S <= 10 and ocr.MAX_IMAGES <= 5
