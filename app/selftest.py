"""`postfordeler --self-test`: checks that an installation (source or PyInstaller build) has
everything it needs, without network and without touching the user's data.

Prints one line per check and exits 0 only if all pass. Used by IT after installing on a
municipal PC and by the frozen-build smoke test.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.models.crypto import delete_cache_key
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
    sample = min(resource("sandbox", "messages").glob("*.xml"))
    message = read_memo(sample.read_bytes())
    return f"MeMo {message.version} læst og valideret"


def _cache() -> str:
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
    ("ressourcer", _resources),
    ("memo", _memo),
    ("cache", _cache),
    ("sf2900", _sf2900),
    ("qt", _qt),
)


def run() -> int:
    failures = 0
    for name, check in CHECKS:
        started = time.perf_counter()
        try:
            detail = check()
            print(f"OK    {name:10} {detail} ({(time.perf_counter() - started) * 1000:.0f} ms)")
        except Exception as exc:
            failures += 1
            print(f"FEJL  {name:10} {type(exc).__name__}: {exc}")
    print("Selvtest bestået." if not failures else f"Selvtest fejlede: {failures} fejl.")
    return 1 if failures else 0
