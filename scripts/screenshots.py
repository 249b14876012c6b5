#!/usr/bin/env python
"""Render Postfordeler's main window offscreen against the demo sandbox and save the README's
screenshots to docs/screenshots/ (inbox, pdf, forward, suggestions, settings, dark).

    python scripts/screenshots.py [--out docs/screenshots] [--width 1600 --height 900]

Everything runs in a temporary data dir with the sandbox's synthetic data; nothing touches the
user's real files or keyring. Look at every PNG after running it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
_TMP = tempfile.mkdtemp(prefix="postfordeler-shots-")
os.environ["POSTFORDELER_DATA_DIR"] = _TMP
os.environ["XDG_DATA_HOME"] = str(Path(_TMP) / "xdg")
# keys in this process's memory only (the demo's keyring), never a file
from app.core.session_keyring import use_session_keyring  # noqa: E402

use_session_keyring()

MAX_BYTES = 300_000


def save(widget, path: Path) -> int:
    """Grab and save as a compact PNG (indexed colours if the full-colour one is too big)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = widget.grab().toImage()
    image.save(str(path), "PNG", 0)
    if path.stat().st_size > MAX_BYTES:
        indexed = image.convertToFormat(
            QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither
        )
        indexed.save(str(path), "PNG", 0)
    return path.stat().st_size


async def until(predicate, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("screenshot state not reached")
        await asyncio.sleep(0.05)


async def shoot(out: Path, width: int, height: int) -> dict[str, int]:
    from PySide6.QtWidgets import QApplication

    from app.models.inbox import InboxFilter
    from app.sandbox.runner import SandboxConfig, SandboxThread
    from app.ui import theme
    from app.ui.app import backlog_service, connect_window, start_runtime
    from app.ui.main_window import MainWindow
    from app.ui.settings import Settings
    from app.ui.tasks import Messages

    app = QApplication.instance()
    labels = (
        json.loads((REPO.parent / "shared" / "corpus" / "labels.json").read_text(encoding="utf-8"))
        if (REPO.parent / "shared" / "corpus" / "labels.json").exists()
        else {}
    )
    config = SandboxConfig(data_dir=Path(_TMP) / "sandbox", store_in_keyring=False)
    runtime = await start_runtime(Settings(), sandbox=SandboxThread(config), sync_interval=2.0)
    sizes: dict[str, int] = {}
    try:
        window = MainWindow(
            runtime.backend, Messages(), demo=True, backlog=backlog_service(runtime.backend)
        )
        window.app_settings = Settings()
        connect_window(runtime, window)
        window.resize(width, height)
        window.show()
        window.show_first_run()
        window.inbox.refresh()
        queries = runtime.backend.queries
        await until(lambda: window.inbox.model.rowCount() >= 300)
        await until(lambda: not queries.unsuggested_ids(1), 120)
        window.inbox.model.invalidate_all()
        window.inbox.refresh()
        await asyncio.sleep(0.5)
        cache = runtime.services.cache

        async def show(item_id: int) -> None:
            shown: list[int] = []
            window.detailShown.connect(shown.append)
            window.inbox.select_id(item_id)
            await until(lambda: item_id in shown)
            window.detailShown.disconnect()
            window.inbox.table.setFocus()
            await asyncio.sleep(0.4)

        def pick(kind: str, want=lambda _u, _v: True) -> int:
            ids = set(window.inbox.model.ids())
            for uuid, v in sorted(labels.items()):
                if v["kind"] == kind and want(uuid, v):
                    item_id = cache.item_id_for_uuid(uuid)
                    if item_id in ids:
                        return item_id
            return queries.ids(InboxFilter(kinds=(kind,)))[0]

        # 1. Inbox with a retursvar selected (its case from ReplyData on top).
        reply = pick("retursvar", lambda _u, v: bool(v["case_id"]))
        window.inbox.model.prefetch(0, 400)
        await show(reply)
        sizes["inbox.png"] = save(window, out / "inbox.png")

        # 2. A message with a PDF, shown in QtPdf.
        def has_pdf(uuid: str, v: dict) -> bool:
            notes = v.get("notes", "")
            return "pdf" in notes and "large" not in notes

        pdf_item = pick("nyhenvendelse", has_pdf)
        await show(pdf_item)
        window.preview.show_file_of_type("application/pdf")
        await asyncio.sleep(1.5)
        sizes["pdf.png"] = save(window, out / "pdf.png")

        # 3. A forwarded letter: the citizen's comment and the original sender.
        fwd = pick(
            "videresendt",
            lambda _u, v: "forward_comment" in v.get("notes", "") and not v.get("misrouted"),
        )
        await show(fwd)
        sizes["forward.png"] = save(window, out / "forward.png")

        # 4. Suggestions for a new inquiry, with reasons, after a case search.
        inquiry = pick(
            "nyhenvendelse", lambda _u, v: bool(v["case_id"]) and "partner:" in v.get("notes", "")
        )
        await show(inquiry)
        sizes["suggestions.png"] = save(window, out / "suggestions.png")

        # 5. Settings dialog (first run: demo note).
        window.show_settings()
        dialog = window.active_dialog
        await asyncio.sleep(0.3)
        sizes["settings.png"] = save(dialog, out / "settings.png")
        dialog.reject()

        # 6. Dark palette.
        theme.apply(app, "dark")
        await show(reply)
        await asyncio.sleep(0.3)
        sizes["dark.png"] = save(window, out / "dark.png")
        theme.apply(app, "light")
        window.close()
    finally:
        await runtime.close()
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import qasync

    from app.ui import theme
    from app.ui.app import create_application

    app = create_application()
    app.setQuitOnLastWindowClosed(False)
    theme.apply(app, "light")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        sizes = loop.run_until_complete(shoot(args.out, args.width, args.height))
    for name, size in sizes.items():
        print(f"{args.out / name}: {size / 1024:.0f} kB")
    return 0 if all(size <= MAX_BYTES for size in sizes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
