"""Issue 10 point 6: a plaintext file is never taken for an OS keyring.

- every file-based or no-op backend (keyrings.alt's, keyring's fail and null, a chain of only
  those) is refused by the one rule (`app.keyrings`) that the cache key, the access-log key, the
  gateway secret (client and gateway) and the sandbox use; a chain's secure member is used alone;
- the CLI says plainly, in Danish and English, that no secure keyring exists;
- the demo's in-process keyring is never picked by `keyring` itself, so the keyring-less demo
  runs in a throw-away folder at every start (it used to keep its cache and lose its key:
  the second start exited 3, "nøglen … findes ikke");
- against a real Secret Service (gnome-keyring in a private D-Bus session) the cache key made
  by one process is read by the next; skipped, saying why, where the binaries are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from app.core.audit import AuditKeyUnavailable, load_or_create_audit_key
from app.core.services import MissingSecret, gateway_secret
from app.core.session_keyring import SessionKeyring, os_keyring_available
from app.gateway.secrets import secure_keyring_backends
from app.keyrings import is_refused, secure_keyring
from app.models.crypto import load_cache_key
from tests.keyring_backend import MemoryKeyring

REPO = Path(__file__).resolve().parent.parent


class PlaintextFileKeyring(KeyringBackend):
    """Any third-party backend that says it keeps secrets in a plain file."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        self.values.pop((service, username), None)


def _file_backends() -> list[KeyringBackend]:
    backends: list[KeyringBackend] = [fail.Keyring(), null.Keyring(), PlaintextFileKeyring()]
    try:
        from keyrings.alt import file
    except ImportError:
        return backends
    backends.append(file.PlaintextKeyring())
    try:
        backends.append(file.EncryptedKeyring())  # needs pycryptodome(x)
    except ImportError:
        pass
    return backends


@pytest.fixture
def chained(monkeypatch):
    """A ChainerBackend holding exactly the given backends."""

    def make(*members: KeyringBackend) -> chainer.ChainerBackend:
        monkeypatch.setattr(chainer.ChainerBackend, "backends", list(members))
        return chainer.ChainerBackend()

    return make


def _assert_refused_everywhere(tmp_path: Path) -> None:
    assert secure_keyring() is None
    assert not os_keyring_available()
    backends, reason = secure_keyring_backends()
    assert backends == [] and reason
    assert load_cache_key(tmp_path / "cache.sqlite3") is None
    with pytest.raises(AuditKeyUnavailable, match="sikker nøglering"):
        load_or_create_audit_key()
    with pytest.raises(MissingSecret, match="No secure keyring"):
        gateway_secret("fordeler1")


@pytest.mark.parametrize("index", range(len(_file_backends())))
def test_file_and_noop_backends_are_refused_alone_and_chained(tmp_path, chained, index):
    backend = _file_backends()[index]
    assert is_refused(backend)
    if not isinstance(backend, fail.Keyring | null.Keyring):
        # even holding a value, the backend is never read
        backend.set_password("postfordeler", "gateway:fordeler1", "from-a-file")
    try:
        keyring.set_keyring(backend)
        _assert_refused_everywhere(tmp_path)
        keyring.set_keyring(chained(backend, PlaintextFileKeyring()))
        _assert_refused_everywhere(tmp_path)
    finally:
        keyring.set_keyring(MemoryKeyring())


def test_a_chain_uses_only_its_secure_member(chained):
    plain, memory = PlaintextFileKeyring(), MemoryKeyring()
    plain.set_password("postfordeler", "gateway:fordeler1", "from-a-file")
    keyring.set_keyring(chained(plain, memory))
    try:
        kr = secure_keyring()
        assert kr is not None and kr.backends == [memory]
        assert kr.get_password("postfordeler", "gateway:fordeler1") is None
        memory.set_password("postfordeler", "gateway:fordeler1", "from-memory")
        assert gateway_secret("fordeler1") == "from-memory"
        key = load_or_create_audit_key()
        assert len(key) == 32 and plain.values.keys() == {("postfordeler", "gateway:fordeler1")}
    finally:
        keyring.set_keyring(MemoryKeyring())


def test_the_session_keyring_is_never_discovered():
    """Only `use_session_keyring()` sets it; keyring never picks or chains it by itself."""
    from keyring.backend import get_all_keyring

    assert not SessionKeyring.viable
    assert not any(isinstance(k, SessionKeyring) for k in get_all_keyring())
    assert not is_refused(SessionKeyring())  # but accepted once set explicitly


def _cli_env(home: Path, backend: str) -> dict[str, str]:
    skip = ("POSTFORDELER_", "XDG_", "DBUS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHON_KEYRING_BACKEND=backend,
        QT_QPA_PLATFORM="offscreen",
    )
    return env


CLI_BACKENDS = ["keyring.backends.fail.Keyring"]
try:
    import keyrings.alt.file  # noqa: F401

    CLI_BACKENDS.append("keyrings.alt.file.PlaintextKeyring")
except ImportError:
    pass


def test_the_cli_says_plainly_there_is_no_secure_keyring(tmp_path, capsys):
    from app.cli import build_parser
    from app.core.cli import cmd_sync

    args = build_parser().parse_args(
        ["sync", "--once", "--gateway", "https://127.0.0.1:9", "--user", "fordeler1"]
    )
    keyring.set_keyring(_file_backends()[-1])  # keyrings.alt's when installed
    try:
        assert cmd_sync(args) == 2
    finally:
        keyring.set_keyring(MemoryKeyring())
    err = capsys.readouterr().err
    assert "ingen sikker nøglering" in err and "No secure keyring" in err
    # the whole command, with the secret given another way: the cache key has no keyring
    env = _cli_env(tmp_path, CLI_BACKENDS[-1])
    env["POSTFORDELER_SECRET"] = "given-another-way"
    argv = [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "pf"), "sync", "--once"]
    argv += ["--gateway", "https://127.0.0.1:9", "--user", "fordeler1"]
    no_key = subprocess.run(
        argv, check=False, env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert no_key.returncode == 3, no_key.stderr[-2000:]
    assert "ikke er nogen nøglering" in no_key.stderr and "No secure keyring" in no_key.stderr
    # nothing was written for a keyring to hold, and no plaintext keyring file appeared
    assert not list(tmp_path.rglob("*keyring*.cfg"))
    assert not (tmp_path / "pf" / "client" / "cache.sqlite3").exists()


# Starts the desktop app (`postfordeler` with no command), closes its window once shown.
_LAUNCH = """
import sys
from PySide6.QtCore import QTimer
from app.sandbox.runner import SandboxConfig, SandboxThread
from app.ui import app as ui_app, cli as ui_cli
shown = ui_app.MainWindow.show
def show(self):
    shown(self)
    QTimer.singleShot(200, self.close)
ui_app.MainWindow.show = show
ui_cli.demo_sandbox = lambda: SandboxThread(SandboxConfig(push_messages=False, demo_users=False))
from app.cli import main
sys.exit(main([]))
"""


def test_the_keyring_less_demo_starts_fresh_every_time(tmp_path):
    """keyring's chainer holds every viable backend: never the demo's session keyring (which
    used to be chained, so the demo kept a cache whose key died with the process)."""
    home = tmp_path / "home"
    env = _cli_env(home, "keyring.backends.chainer.ChainerBackend")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env["TMPDIR"] = str(temp)
    for start in (1, 2):
        run = subprocess.run(
            [sys.executable, "-c", _LAUNCH],
            check=False,
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert run.returncode == 0, (start, run.stderr[-3000:])
        assert "findes ikke" not in run.stderr
        # the demo's data went to a throw-away folder, which is gone with the process
        assert not list(home.rglob("cache.sqlite3")), start
        assert not [p for p in temp.iterdir() if p.name.startswith("postfordeler-demo-")]
        assert not list(home.rglob("*keyring*.cfg"))


# --------------------------------------------------------------------------- Secret Service

_SECRET_SERVICE = """
import sys
from pathlib import Path
from app.keyrings import secure_keyring
from app.models.crypto import load_cache_key
kr = secure_keyring()
assert kr is not None, "no secure keyring"
names = [type(b).__module__ for b in kr.backends]
assert names == ["keyring.backends.SecretService"], names
key = load_cache_key(Path(sys.argv[1]), create=sys.argv[2] == "create")
print(key.hex() if key else "none")
"""


def test_a_real_secret_service_keeps_the_cache_key_between_processes(tmp_path):
    missing = [b for b in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(b)]
    if missing:
        pytest.skip(
            f"no Secret Service here: {', '.join(missing)} missing "
            "(Debian: apt-get install gnome-keyring dbus-daemon; .ci/run installs them)"
        )
    try:
        import secretstorage  # noqa: F401
    except ImportError:
        pytest.skip("the secretstorage package (keyring's Secret Service client) is missing")
    home = Path(tempfile.mkdtemp(prefix="pf-ss-", dir=tmp_path))
    env = _cli_env(home, "")
    env.pop("PYTHON_KEYRING_BACKEND")  # keyring's own choice: the Secret Service
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["PYTHONPATH"] = str(REPO)
    cache = tmp_path / "cache.sqlite3"
    script = tmp_path / "ss.py"
    script.write_text(_SECRET_SERVICE)
    py = f"{sys.executable} {script} {cache}"
    # the daemon takes the login keyring's (throw-away) password on stdin and unlocks it
    session = (
        "printf throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f"{py} create; {py} read"
    )
    run = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", session],
        check=False,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    created, read = run.stdout.split()
    assert len(created) == 64 and read == created
    # the key is in gnome-keyring's encrypted store, not in any file in clear
    for path in home.rglob("*"):
        if path.is_file():
            assert created.encode() not in path.read_bytes(), path


@pytest.mark.expect_log("postfordeler.ui.settings", "keyring write failed")
def test_settings_never_store_a_password_in_the_demo_keyring(qtbot):
    """The demo's in-process keyring forgets at exit: the settings dialog says there is no
    keyring and stores nothing there."""
    from app.core.session_keyring import use_session_keyring
    from app.ui.settings import Settings
    from app.ui.settings_dialog import SettingsDialog, keyring_problem

    try:
        use_session_keyring()
        assert keyring_problem()
        dialog = SettingsDialog(Settings())
        qtbot.addWidget(dialog)
        assert dialog.keyring_note.text()
        dialog.password.setText("hemmelig-kode")
        problems = dialog.store_secrets(Settings(user="fordeler1"))
        assert problems and keyring.get_password("postfordeler", "gateway:fordeler1") is None
    finally:
        keyring.set_keyring(MemoryKeyring())
    assert not keyring_problem()
