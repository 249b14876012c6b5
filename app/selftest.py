"""`postfordeler --self-test`: checks that an installation (source or PyInstaller build) has
everything it needs, without network and without touching the user's data.

Prints one line per check and exits 0 only if all pass. Used by IT after installing on a
municipal PC and by the frozen-build smoke test.
"""

from __future__ import annotations

import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from app import machine_config
from app.keyrings import SecureKeyring
from app.models.crypto import delete_cache_key, os_keyring, unencrypted_allowed
from app.models.db import open_cache
from app.resources import resource
from app.sf1606.memo import read_memo


def _resources() -> str:
    for parts in (
        ("memo", "MeMo_core.xsd"),
        ("memo", "Version1.2", "MeMo_core.xsd"),
        ("sf2900", "wsdl", "context", "DistributionService.wsdl"),
        ("sandbox", "dubu.json"),
    ):
        resource(*parts)
    return "XSD, WSDL og sandkassedata fundet"


def _memo() -> str:
    folder = resource("sandbox") / "messages"
    if folder.is_dir():
        data = min(folder.glob("*.xml")).read_bytes()
    else:  # the installed build ships the sample letters as one archive
        with zipfile.ZipFile(resource("sandbox", "messages.zip")) as zf:
            data = zf.read(min(zf.namelist()))
    message = read_memo(data)
    return f"MeMo {message.version} læst og valideret"


class CheckFailed(RuntimeError):
    """A check failed; `str(exc)` is one Danish sentence for IT."""


NO_KEYRING = (
    "Der er ingen sikker nøglering på denne computer (Windows Legitimationsoplysninger eller "
    "Secret Service som GNOME-nøgleringen), så den lokale kopi af posten kan ikke krypteres."
)


def _keyring() -> str:
    """A real OS keyring: a throw-away secret is written, read back and deleted."""
    kr = os_keyring()
    if kr is None:
        raise CheckFailed(NO_KEYRING)
    backend = kr.backends[0] if isinstance(kr, SecureKeyring) else kr
    name = f"selftest:{os.getpid()}"
    value = os.urandom(16).hex()
    try:
        kr.set_password("postfordeler", name, value)
        back = kr.get_password("postfordeler", name)
        kr.delete_password("postfordeler", name)
    except Exception as exc:
        raise CheckFailed(
            f"Nøgleringen ({type(backend).__name__}) svarer ikke: {type(exc).__name__}; "
            "start en Secret Service (GNOME-nøgleringen) eller log ind i Windows igen."
        ) from exc
    if back != value:
        raise CheckFailed(f"Nøgleringen ({type(backend).__name__}) gemmer ikke en hemmelighed.")
    return f"{type(backend).__module__}.{type(backend).__name__} gemmer og læser en hemmelighed"


def _machine_config() -> str:
    config = machine_config.load_machine_config()
    if config.error:
        raise CheckFailed(config.error)
    if not config.found:
        return f"ingen maskinkonfiguration ({config.path}); brugerens indstillinger gælder"
    fixed = ", ".join(sorted(config.fixed)) or "ingen"
    return f"{config.path} læst; fastlagt af IT: {fixed}"


def _cache() -> str:
    if os_keyring() is None and not unencrypted_allowed():
        raise CheckFailed("springet over: kræver en nøglering")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.sqlite3"
        db = open_cache(path)
        encrypted = db.encrypted
        db.engine.dispose()
        delete_cache_key(path)
    if not encrypted:
        return "lokal cache oprettet og migreret – UKRYPTERET (udviklertilstand)"
    return "lokal cache oprettet, migreret og krypteret (SQLCipher, nøgle i nøgleringen)"


def _sf2900() -> str:
    import zeep

    wsdl = resource("sf2900", "wsdl", "context", "DistributionService.wsdl")
    client = zeep.Client(str(wsdl))  # type: ignore[no-untyped-call]  # zeep is unannotated
    service = next(iter(client.wsdl.services.values()))
    ops = sorted(next(iter(service.ports.values())).binding.all())
    return "SF2900 WSDL indlæst: " + ", ".join(ops)


def _qt() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtPdf import QPdfDocument  # noqa: F401 - presence check
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication([])
    label = QLabel("Postfordeler – æøå")
    label.grab()
    del app
    return "Qt, QtPdf og tegning virker"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("nøglering", _keyring),
    ("konfiguration", _machine_config),
    ("ressourcer", _resources),
    ("memo", _memo),
    ("cache", _cache),
    ("sf2900", _sf2900),
    ("qt", _qt),
)


def run() -> int:
    """Prints one line per check; the last line is "Selvtest bestået." or "Selvtest fejlede: "
    and the first failure's one sentence (what `scripts/build_installer.sh` reports)."""
    failures: list[str] = []
    for name, check in CHECKS:
        started = time.perf_counter()
        try:
            detail = check()
            print(f"OK    {name:13} {detail} ({(time.perf_counter() - started) * 1000:.0f} ms)")
        except CheckFailed as exc:
            failures.append(str(exc))
            print(f"FEJL  {name:13} {exc}")
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"FEJL  {name:13} {type(exc).__name__}: {exc}")
    print("Selvtest bestået." if not failures else f"Selvtest fejlede: {failures[0]}")
    return 1 if failures else 0
