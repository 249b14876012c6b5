"""UI tests of the preview with hostile or broken content, and of the diagnostics hooks
(Qt messages into logging, excepthook → log + dialog)."""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QApplication, QMessageBox

from app.sf1606.model import (
    DocumentRole,
    ForwardData,
    Kind,
    MemoDocument,
    MemoFile,
    MemoMessage,
    Party,
)
from app.ui.preview import DocumentPreview, is_risky, visible_name
from tests.ui_fixtures import loop  # noqa: F401 - the qasync loop fixture

pytestmark = pytest.mark.ui


def _file(
    name: str,
    mime: str,
    content: bytes,
    role: DocumentRole = DocumentRole.ADDITIONAL,
    safe: str | None = None,
) -> MemoFile:
    return MemoFile(
        role=role,
        document_index=0,
        mime=mime,
        filename=name,
        safe_filename=safe or name,
        language="da",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def _message(*files: MemoFile, forward: ForwardData | None = None) -> MemoMessage:
    return MemoMessage(
        version="1.2",
        message_type="DIGITALPOST",
        message_uuid="6f1c3a52-6a6d-4b1e-9d59-2f8b1d3c4e5f",
        message_id=None,
        label="Test",
        created=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        sender=Party("1234567890", "CPR", "Borger Borgersen"),
        recipient=Party("66272311", "CVR", "Fjordby Kommune"),
        kind=Kind.VIDERESENDT if forward else Kind.NYHENVENDELSE,
        forward_data=forward,
        legal_notification=True,
        documents=(MemoDocument(DocumentRole.MAIN, None, None, files),),
    )


def test_mismatched_and_hostile_files_fail_gracefully(qtbot):
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    fake_pdf = _file("brev.pdf", "application/pdf", b"MZ\x90\x00 not a pdf at all")
    fake_png = _file("foto.png", "image/png", b"\x89PNG but truncated")
    exe = _file(
        "faktura\u202efdp.exe", "application/octet-stream", b"MZ\x90\x00", safe="faktura_fdp.exe"
    )
    html = _file(
        "side.html",
        "text/html",
        b"<p>Hej<script>alert(1)</script><img src='http://evil/x.png'></p>",
    )
    text = _file("besked.txt", "text/plain", "Hej æøå".encode(), role=DocumentRole.MAIN)
    preview.show_message(_message(text, fake_pdf, fake_png, exe, html))
    assert preview.stack.currentWidget() is preview.text  # the main text first
    assert "Hej æøå" in preview.text.toPlainText()
    preview.files.setCurrentIndex(1)
    assert preview.stack.currentWidget() is preview.notice
    assert "passer ikke" in preview.notice.text()
    preview.files.setCurrentIndex(2)
    assert preview.stack.currentWidget() is preview.notice
    preview.files.setCurrentIndex(3)
    assert "kan ikke vises" in preview.notice.text()
    assert is_risky(exe) and not is_risky(text)
    # The bidi override in the sender's name is shown as an escape, never rendered.
    assert "\u202e" not in preview.files.tabToolTip(3)
    assert "\\u202e" in preview.files.tabToolTip(3)
    assert "\u202e" not in preview.files.tabText(3)
    assert visible_name("a\u200bb.txt") == "a\\u200bb.txt"
    preview.files.setCurrentIndex(4)
    assert preview.stack.currentWidget() is preview.html
    shown = preview.html.toHtml()
    assert "alert" not in shown and "evil" not in shown


def test_risky_file_needs_confirmation_before_opening(qtbot, monkeypatch, tmp_path):
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    answers = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: answers[0])
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    exe = _file("../../evil.exe", "application/x-msdownload", b"MZ", safe="evil.exe")
    preview.show_message(_message(_file("a.txt", "text/plain", b"x", DocumentRole.MAIN), exe))
    preview.files.setCurrentIndex(1)
    preview.open_current()
    assert opened == []  # cancelled at the warning
    answers[0] = QMessageBox.StandardButton.Open
    preview.open_current()
    assert len(opened) == 1 and opened[0].endswith("/evil.exe")
    assert ".." not in opened[0]


def test_forward_header_and_flags(qtbot):
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    fwd = ForwardData(
        message_uuid="0d7c0a3e-3c1f-4e8e-9b0c-1a2b3c4d5e6f",
        original_message_datetime=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        original_sender="Regionshospitalet Nordvest",
        comment="Til jer <b>?</b>",
    )
    preview.show_message(
        _message(_file("a.txt", "text/plain", b"x", DocumentRole.MAIN), forward=fwd)
    )
    header = preview.header
    assert header.forward.isVisibleTo(preview)
    assert "Regionshospitalet Nordvest" in header.forward.text()
    assert "&lt;b&gt;" in header.forward.text()  # the comment is escaped, not markup
    # Human words, not attribute names (issue 12 point 6).
    assert "digital forkyndelse" in header.details.text()
    assert "kan ikke svare" in header.details.text()
    assert "reply=false" not in header.details.text()
    assert "legalNotification" not in header.details.text()
    assert "1234567890" not in header.details.text()  # sender CPR masked
    header.toggle.setChecked(False)
    assert not header.details.isVisibleTo(preview)
    assert header.forward.isVisibleTo(preview)  # the forward box stays visible


def test_qt_messages_go_to_python_logging(caplog):
    from PySide6.QtCore import qInstallMessageHandler

    from app.ui.diagnostics import route_qt_messages

    previous = route_qt_messages()
    try:
        with caplog.at_level(logging.WARNING, logger="postfordeler.qt"):
            qWarning("routed warning")
    finally:
        qInstallMessageHandler(previous)
    assert any("routed warning" in r.getMessage() for r in caplog.records)


def test_excepthook_logs_and_shows_a_dialog(qtbot, caplog):
    from app.ui.diagnostics import excepthook

    try:
        raise ValueError("boom")
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, logger="postfordeler.crash"):
            excepthook(ValueError, exc, exc.__traceback__)
    assert any("ValueError" in r.getMessage() for r in caplog.records)
    dialogs = [w for w in QApplication.topLevelWidgets() if w.objectName() == "crashDialog"]
    assert dialogs and "boom" in dialogs[-1].detailedText()
    for dialog in dialogs:
        dialog.close()
        dialog.deleteLater()


def test_a_cached_message_gets_its_bytes_from_the_file_source(qtbot, loop, monkeypatch):  # noqa: F811
    """A stored header carries no bytes: the preview shows preloaded files at once, loads the
    others on demand (a notice meanwhile), and opens/saves the loaded bytes."""
    import asyncio

    from app.sf1606.stored import header_of
    from app.ui.backend import FileSource

    text = _file("besked.txt", "text/plain", b"Hej fra kilden", role=DocumentRole.MAIN)
    html = _file("side.html", "text/html", b"<p>Indl\xc3\xa6st senere</p>")
    message = header_of(_message(text, html))
    assert all(f.content == b"" for f in message.files)
    asked: list[int] = []

    async def load(item_id: int, position: int) -> bytes:
        asked.append(position)
        await asyncio.sleep(0.01)
        return (text, html)[position].content

    source = FileSource(7, {0: text.content}, load)
    preview = DocumentPreview()
    qtbot.addWidget(preview)
    preview.show_message(message, source=source)
    assert "Hej fra kilden" in preview.text.toPlainText()  # preloaded: shown at once
    preview.files.setCurrentIndex(1)
    assert preview.stack.currentWidget() is preview.notice  # loading
    loop.run_until_complete(asyncio.sleep(0.2))
    assert asked == [1]
    assert preview.stack.currentWidget() is preview.html
    assert "Indlæst senere" in preview.html.toPlainText()
    # opening hands the source's bytes to the OS (after the risky-type confirmation)
    from pathlib import Path

    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Open)
    preview.open_current()
    loop.run_until_complete(asyncio.sleep(0.2))
    assert len(opened) == 1 and Path(opened[0]).read_bytes() == html.content
