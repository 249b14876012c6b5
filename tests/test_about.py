"""The About dialog, opened the way a user does (Hjælp menu → Om Postfordeler…), in Danish
and English, and `postfordeler --version`: version, build date and commit."""
# ruff: noqa: F811 - pytest fixtures imported from tests.ui_fixtures

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu

from app import __version__
from app.ui import i18n
from app.ui.about import AboutDialog
from app.version import BuildInfo, build_info, compatible, parse
from tests.test_ui_settings import NoBackend
from tests.ui_fixtures import loop  # noqa: F401 - fixture

pytestmark = pytest.mark.ui


def _open_about_by_menu(qtbot, window) -> AboutDialog:
    bar = window.menuBar()
    help_menu = window.findChild(QMenu, "helpMenu")
    qtbot.mouseClick(
        bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(help_menu.menuAction()).center()
    )
    qtbot.waitUntil(help_menu.isVisible, timeout=5000)
    about = next(a for a in help_menu.actions() if a.objectName() == "about")
    qtbot.mouseClick(
        help_menu, Qt.MouseButton.LeftButton, pos=help_menu.actionGeometry(about).center()
    )
    qtbot.waitUntil(lambda: isinstance(window.active_dialog, AboutDialog), timeout=5000)
    dialog = window.active_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    return dialog


def _window(qtbot):
    from app.ui.main_window import MainWindow
    from app.ui.tasks import Messages

    window = MainWindow(NoBackend(), Messages())  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.resize(780, 600)
    window.show()
    qtbot.waitExposed(window)
    return window


# A popup menu asks the offscreen platform to raise it and grab the keyboard, which it cannot.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)")
def test_about_dialog_from_the_help_menu_in_danish_and_english(qtbot, loop):
    window = _window(qtbot)
    dialog = _open_about_by_menu(qtbot, window)
    assert dialog.windowTitle() == "Om Postfordeler"
    assert dialog.version_label.text() == f"Version {__version__}"
    info = build_info()
    assert info.commit in dialog.commit_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)

    app = QApplication.instance()
    try:
        assert i18n.install(app, "en")
        english = _window(qtbot)
        assert english.findChild(QMenu, "helpMenu").title() == "&Help"
        dialog = _open_about_by_menu(qtbot, english)
        assert dialog.windowTitle() == "About Postfordeler"
        assert dialog.version_label.text() == f"Version {__version__}"
        assert dialog.build_label.text().startswith(("Built ", "Run from source"))
    finally:
        i18n.install(app, "da")


def test_about_shows_a_frozen_builds_date_and_commit(qtbot):
    dialog = AboutDialog(BuildInfo("9.8.7", "2026-12-02", "abc1234"))
    qtbot.addWidget(dialog)
    assert dialog.version_label.text() == "Version 9.8.7"
    assert dialog.build_label.text() == "Bygget 2026-12-02"
    assert dialog.commit_label.text() == "Commit abc1234"


def test_version_flag_prints_version_build_date_and_commit(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line == build_info().line()
    assert line.startswith(f"postfordeler {__version__} (bygget ")
    assert "commit " in line


def test_versions_compare_as_numbers():
    assert parse("0.10.0") > parse("0.9.3")
    assert parse("1.2.3rc1") == (1, 2, 3)
    assert compatible("0.10.0", "0.9.0")
    assert not compatible("0.1.0", "0.2.0")
    with pytest.raises(ValueError):
        parse("ukendt")
    assert json.dumps(BuildInfo("1", "", "").__dict__)  # plain data, for /health and the build
