"""UI tests for settings, first run, keyring messages, translations, theme and window state."""
# ruff: noqa: F811 - pytest fixtures imported from tests.ui_fixtures

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette

from app.ui import i18n, labels, theme
from app.ui import settings as settings_mod
from app.ui.settings import Settings
from app.ui.settings_dialog import SettingsDialog, keyring_problem
from tests.ui_fixtures import loop  # noqa: F401 - fixture

pytestmark = pytest.mark.ui


def test_settings_roundtrip_and_upgrade(tmp_path, qapp):
    empty = QSettings(str(tmp_path / "empty.ini"), QSettings.Format.IniFormat)
    assert not settings_mod.load(empty).configured  # no settings → demo sandbox
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    store.setValue("endpoints/gateway", "https://old.example")  # a v0 file
    store.setValue("settings/sf2900_url", "https://sf.example/ds")  # v1: SF2900 on the PC
    store.setValue("settings/certificate_path", "/home/x/kommune.p12")
    loaded = settings_mod.load(store)
    assert loaded.gateway_url == "https://old.example" and loaded.configured
    assert int(store.value("meta/schema")) == settings_mod.SCHEMA_VERSION
    # the gateway owns SF2900 and the municipality's certificate now: v2 forgets both
    assert store.value("settings/sf2900_url") is None
    assert store.value("settings/certificate_path") is None
    assert "sf2900" not in loaded.endpoints()
    new = Settings(
        gateway_url="https://gw.example",
        user="abc",
        municipality_cvr="12345678",
        language="en",
        dark="dark",
        contact_points="retursvar",
        ca_bundle=str(tmp_path / "kommune-ca.pem"),
    )
    settings_mod.save(new, store)
    again = settings_mod.load(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again == new
    assert again.endpoints()["gateway"] == "https://gw.example"
    # the CA bundle reaches the mailbox client as endpoints["tls_ca"]; empty = system store
    assert again.endpoints()["tls_ca"] == str(tmp_path / "kommune-ca.pem")
    assert "tls_ca" not in Settings(gateway_url="https://gw.example").endpoints()
    assert "secret" not in (tmp_path / "s.ini").read_text().lower()


def test_settings_dialog_stores_secrets_in_the_keyring_only(tmp_path, qtbot):
    import keyring

    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.demo_note.isVisibleTo(dialog)  # first run: says plainly it is the demo
    assert not keyring_problem()
    dialog.gateway.setText("https://gw.example")
    dialog.user.setText("fordeler1")
    dialog.password.setText("hemmelig-kode")
    assert not hasattr(dialog, "certificate") and not hasattr(dialog, "sf2900")
    assert dialog.ca_bundle.text() == ""  # default: the system store
    dialog.ca_bundle.setText(str(tmp_path / "ca.pem"))
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    result = dialog.result_settings()
    assert result.gateway_url == "https://gw.example" and result.language == "en"
    assert result.ca_bundle == str(tmp_path / "ca.pem")
    assert dialog.store_secrets(result) == []
    assert keyring.get_password("postfordeler", "gateway:fordeler1") == "hemmelig-kode"
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings_mod.save(result, store)
    store.sync()
    text = (tmp_path / "s.ini").read_text()
    assert "hemmelig" not in text


def test_no_keyring_gives_a_human_message(qtbot, monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    assert keyring_problem()
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.keyring_note.isVisibleTo(dialog)
    assert "Ingen nøglering" in dialog.keyring_note.text()
    assert not dialog.password.isEnabled()


def test_english_translation_is_complete_and_applies(qapp):
    from app.ui.i18n_build import TS

    root = ET.parse(TS).getroot()
    unfinished = [
        m.findtext("source")
        for m in root.iter("message")
        if m.find("translation").get("type") == "unfinished"
    ]
    assert unfinished == []
    try:
        assert i18n.install(qapp, "en")
        assert labels.view_label("ufordelte") == "Undistributed"
        assert labels.kind_label("retursvar") == "Reply"
        assert labels.view_label("retursvar") == "Replies"
        assert labels.workdays_label(3) == "3 working days"
    finally:
        i18n.install(qapp, "da")
    assert labels.view_label("ufordelte") == "Ufordelte"


def test_dark_palette(qapp):
    try:
        assert theme.apply(qapp, "dark")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert not theme.apply(qapp, "light")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        theme.apply(qapp, "light")


class NoBackend:
    """An empty inbox: what the window asks of a backend when it has no data to load."""

    user = "demo"

    async def rows(self, ids):
        return {}

    async def ids(self, flt, sort, descending):
        return []

    async def view_counts(self, scope=None):
        return {}


def test_window_state_is_restored(tmp_path, qtbot, loop):
    from app.ui.main_window import MainWindow
    from app.ui.tasks import Messages

    store = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    first = MainWindow(NoBackend(), Messages(), settings=store)  # type: ignore[arg-type]
    qtbot.addWidget(first)
    first.resize(780, 700)  # the offscreen screen is 800x800; geometry is clamped to it
    first.show()
    first.splitter.setSizes([400, 200, 150])
    first.inbox.table.horizontalHeader().resizeSection(2, 177)
    first.inbox.view_key = "retursvar"
    first.save_state()
    sizes = first.splitter.sizes()
    second = MainWindow(NoBackend(), Messages(), settings=store)  # type: ignore[arg-type]
    qtbot.addWidget(second)
    second.restore_state()
    second.show()
    assert second.size() == first.size()
    assert second.splitter.sizes() == sizes
    assert second.inbox.table.horizontalHeader().sectionSize(2) == 177
    assert second.inbox.view_key == "retursvar"


def test_every_control_has_an_accessible_name(qtbot, loop):
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QTableView

    from app.ui.main_window import MainWindow
    from app.ui.tasks import Messages

    window = MainWindow(NoBackend(), Messages())  # type: ignore[arg-type]
    qtbot.addWidget(window)
    unnamed = [
        w.objectName() or type(w).__name__
        for cls in (QLineEdit, QComboBox, QTableView)
        for w in window.findChildren(cls)
        if not w.accessibleName() and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox))
    ]
    assert unnamed == []
