"""Translation complete both ways (issue 12 point 7): the committed `.ts` (Qt Linguist, the
source of the English `.qm`) holds every tr() string of app/ui, each with English; every
reason the suggestion engine gives over the corpus is a known pattern with English; and Qt's
own dialogs speak Danish."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QFileDialog, QLabel

from app.dubu.dataset import DubuDataset
from app.ui import i18n, reasons
from app.ui.i18n_build import TS, UI
from app.ui.suggestions import Suggester
from tests.ui_fixtures import SANDBOX_DUBU, SANDBOX_MESSAGES, read_messages

pytestmark = pytest.mark.ui


def _messages(ts: Path) -> set[tuple[str, str, str]]:
    root = ET.parse(ts).getroot()
    return {
        (ctx.findtext("name") or "", m.findtext("source") or "", m.findtext("comment") or "")
        for ctx in root.iter("context")
        for m in ctx.iter("message")
    }


def test_the_committed_ts_holds_every_ui_string_with_english(tmp_path):
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p.relative_to(UI.parent.parent)) for p in UI.glob("*.py"))
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    subprocess.run(
        [str(lupdate) if lupdate.exists() else "pyside6-lupdate", *sources, "-ts", str(fresh)],
        check=True,
        cwd=UI.parent.parent,
        capture_output=True,
        timeout=120,
    )
    missing = _messages(fresh) - _messages(TS)
    assert not missing, f"run `python -m app.ui.i18n_build`: not in the .ts: {sorted(missing)[:5]}"
    unfinished = [
        m.findtext("source")
        for m in ET.parse(TS).getroot().iter("message")
        if m.find("translation") is None
        or m.find("translation").get("type") == "unfinished"  # type: ignore[union-attr]
        or not "".join(m.find("translation").itertext()).strip()  # type: ignore[union-attr]
    ]
    assert unfinished == []


@pytest.fixture(scope="module")
def corpus_reasons() -> set[str]:
    suggester = Suggester(DubuDataset.load(SANDBOX_DUBU))
    found: set[str] = set()
    paths = sorted(SANDBOX_MESSAGES.glob("*.xml"))[:120]
    for _raw, msg in read_messages(paths):
        result = suggester.engine.suggest(msg)
        for s in result.suggestions:
            found.update(s.reasons)
        if result.note:
            found.add(result.note)
    return found


def test_every_engine_reason_over_the_corpus_has_english(qapp, corpus_reasons):
    assert len(corpus_reasons) >= 10
    unknown = sorted(r for r in corpus_reasons if not reasons.known(r))
    assert unknown == [], "add a pattern to app/ui/reasons.py"
    try:
        assert i18n.install(qapp, "en")
        still_danish = [r for r in corpus_reasons if reasons.translate_reason(r) == r]
        assert still_danish == []
        english = reasons.translate_reason("Afsender er part i barnets sag (far)")
        assert english == "The sender is a party to the child's case (father)"
    finally:
        i18n.install(qapp, "da")
    assert reasons.translate_reason("Afsender er barnet selv") == "Afsender er barnet selv"


def test_qt_own_dialogs_speak_danish(qtbot, qapp):
    i18n.install(qapp, "da")
    dialog = QFileDialog(None, "Gem")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(dialog)
    texts = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert texts.get("lookInLabel") == "&Kig i:"
    assert texts.get("fileTypeLabel") == "Filer af &typen:"
