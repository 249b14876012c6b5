"""Qt messages into Python logging, and a global excepthook that logs and shows a dialog.

Never put message content in a dialog title or log line here: tracebacks are logged through the
redacting filter (app.logging_setup) and the dialog shows only the exception type and text.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QtMsgType, qInstallMessageHandler

qt_log = logging.getLogger("postfordeler.qt")
_dialogs: list[object] = []
crash_log = logging.getLogger("postfordeler.crash")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
# Harmless platform chatter of the offscreen/minimal platforms.
_IGNORED = (
    "This plugin does not support propagateSizeHints()",
    "QFont::setPointSizeF: Point size <= 0",
)


def _qt_message(mode: QtMsgType, context: object, message: str) -> None:
    if any(message.startswith(prefix) for prefix in _IGNORED):
        return
    category = getattr(context, "category", None) or "qt"
    qt_log.log(_LEVELS.get(mode, logging.WARNING), "%s: %s", category, message)


def route_qt_messages() -> object:
    """Send Qt's messages to the `postfordeler.qt` logger; returns the previous handler."""
    return qInstallMessageHandler(_qt_message)


def _show_dialog(exc_type: type[BaseException], exc: BaseException) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None:
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        QCoreApplication.translate("Diagnostics", "Uventet fejl"),
        QCoreApplication.translate(
            "Diagnostics",
            "Der opstod en uventet fejl. Dit arbejde i udbakken er gemt.\n"
            "Fejlen er skrevet i logfilen.",
        ),
    )
    box.setDetailedText(f"{exc_type.__name__}: {exc}")
    box.setObjectName("crashDialog")
    _dialogs.append(box)  # parentless: keep it alive until closed
    box.finished.connect(lambda _r: _dialogs.remove(box) if box in _dialogs else None)
    box.open()


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    crash_log.error(
        "unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb))
    )
    try:
        _show_dialog(exc_type, exc)
    except Exception:
        crash_log.exception("could not show the crash dialog")


def install_excepthook() -> None:
    sys.excepthook = excepthook
