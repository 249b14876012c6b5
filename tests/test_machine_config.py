"""The machine-wide configuration IT deploys (issue 14 point 3): values fixed in the file win
over the user's, are never saved per user, and show read-only in the settings dialog (typed
at and clicked like a user would); a broken file fixes nothing and says so; the self-test says
in one sentence when there is no keyring."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from app import machine_config, selftest
from app.machine_config import ENV_MACHINE_CONFIG, load_machine_config, machine_config_path
from app.ui import settings as settings_mod
from app.ui.settings_dialog import SettingsDialog

CONFIG = """\
# written by IT
[settings]
gateway_url = "https://postserver.kommune.example"
ca_bundle = "/etc/postfordeler/kommune-ca.pem"
municipality_cvr = "29189846"
idp_url = "https://login.kommune.example/adfs"
idp_client_id = "postfordeler"

[defaults]
contact_points = "retursvar"
"""


@pytest.fixture
def it_config(tmp_path, monkeypatch):
    path = tmp_path / "etc" / "config.toml"
    path.parent.mkdir()
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv(ENV_MACHINE_CONFIG, str(path))
    return path


def test_the_path_is_per_platform_and_overridable(monkeypatch):
    monkeypatch.delenv(ENV_MACHINE_CONFIG, raising=False)
    monkeypatch.setattr(machine_config.sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", r"D:\ProgramData")
    assert (
        str(machine_config_path()).replace("\\", "/") == "D:/ProgramData/Postfordeler/config.toml"
    )
    monkeypatch.setattr(machine_config.sys, "platform", "linux")
    assert str(machine_config_path()) == "/etc/postfordeler/config.toml"
    monkeypatch.setenv(ENV_MACHINE_CONFIG, "/tmp/x.toml")
    assert str(machine_config_path()) == "/tmp/x.toml"


def test_fixed_values_win_and_are_never_saved_per_user(tmp_path, it_config, qapp):
    store = QSettings(str(tmp_path / "user.ini"), QSettings.Format.IniFormat)
    store.setValue("settings/gateway_url", "https://my-own.example")  # the user's old value
    store.setValue("settings/user", "abc")
    loaded = settings_mod.load(store)
    assert loaded.gateway_url == "https://postserver.kommune.example"
    assert loaded.ca_bundle == "/etc/postfordeler/kommune-ca.pem"
    assert loaded.municipality_cvr == "29189846"
    assert loaded.idp_url == "https://login.kommune.example/adfs"
    assert loaded.contact_points == "retursvar"  # a default IT pre-filled
    assert loaded.user == "abc"  # the user's own
    loaded.contact_points = "both"
    settings_mod.save(loaded, store)
    text = (tmp_path / "user.ini").read_text()
    assert "postserver.kommune.example" not in text and "my-own" not in text
    assert "29189846" not in text
    again = settings_mod.load(QSettings(str(tmp_path / "user.ini"), QSettings.Format.IniFormat))
    assert again.contact_points == "both"  # the user's choice beats IT's default
    assert again.gateway_url == "https://postserver.kommune.example"


@pytest.mark.ui
def test_the_dialog_shows_it_fixed_values_read_only(tmp_path, it_config, qtbot):
    store = QSettings(str(tmp_path / "user.ini"), QSettings.Format.IniFormat)
    dialog = SettingsDialog(settings_mod.load(store))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.fixed_note.isVisible()
    assert (
        "fastlagt af IT" in dialog.fixed_note.text() and str(it_config) in dialog.fixed_note.text()
    )
    for name in ("gateway_url", "ca_bundle", "municipality_cvr", "idp_url", "idp_client_id"):
        widget = dialog.field_widgets()[name]
        assert widget.isReadOnly(), name
        assert "Fastlagt af IT" in widget.toolTip()
    assert not dialog.browse_ca.isEnabled()
    assert not dialog.user.isReadOnly() and dialog.contact_points.isEnabled()
    # a user types into a fixed field and into their own
    dialog.gateway.setFocus()
    qtbot.keyClicks(dialog.gateway, "evil")
    assert dialog.gateway.text() == "https://postserver.kommune.example"
    qtbot.mouseClick(dialog.user, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.user, "xyz")
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    result = dialog.result_settings()
    assert result.user == "xyz"
    assert result.gateway_url == "https://postserver.kommune.example"
    settings_mod.save(result, store)
    assert settings_mod.load(store).user == "xyz"
    assert "kommune.example" not in (tmp_path / "user.ini").read_text()


@pytest.mark.ui
def test_without_a_machine_file_nothing_is_fixed(tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv(ENV_MACHINE_CONFIG, str(tmp_path / "absent.toml"))
    dialog = SettingsDialog(settings_mod.Settings())
    qtbot.addWidget(dialog)
    assert not dialog.fixed_note.text()
    assert not dialog.gateway.isReadOnly() and dialog.browse_ca.isEnabled()


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("[settings\n", "er ikke gyldig TOML"),
        ('[settings]\ngateway_password = "x"\n', "hemmeligheder"),
        ('[settings]\nsf2900_url = "x"\n', "ukendt indstilling"),
        ('[proxy]\nurl = "x"\n', "ukendt tabel"),
    ],
)
@pytest.mark.expect_log("postfordeler.config", "ignored")
def test_a_broken_file_fixes_nothing_and_says_so(tmp_path, body, what):
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    config = load_machine_config(path)
    assert config.fixed == {} and config.defaults == {}
    assert what in config.error and str(path) in config.error


@pytest.mark.expect_log("postfordeler.config", "ignored")
def test_self_test_reports_the_machine_file(it_config, monkeypatch):
    assert "gateway_url" in selftest._machine_config()
    it_config.write_text("[settings\n", encoding="utf-8")
    with pytest.raises(selftest.CheckFailed, match="ikke gyldig TOML"):
        selftest._machine_config()


def test_self_test_without_a_keyring_fails_with_one_sentence(tmp_path):
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.pop("POSTFORDELER_UNENCRYPTED_CACHE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last == f"Selvtest fejlede: {selftest.NO_KEYRING}"
    assert last.count(". ") == 0 and last.endswith(".")
    assert any(line.startswith("OK    qt") for line in proc.stdout.splitlines())
