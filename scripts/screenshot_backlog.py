#!/usr/bin/env python
"""Render the team lead's backlog view and the caseworker's "Fordelt til mig" offscreen over a
realistic filled cache and save docs/screenshots/backlog.png and caseworker.png.

    python scripts/screenshot_backlog.py [--out docs/screenshots] [--dark]

Runs in a temporary data dir with synthetic sandbox data (tests/backlog_fixtures.py), "now"
pinned to Wednesday 25 November 2026 10:30 so the pictures are reproducible. Look at the PNGs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
_TMP = tempfile.mkdtemp(prefix="postfordeler-backlog-shots-")
os.environ["POSTFORDELER_DATA_DIR"] = _TMP

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # Wed 10:30 in Copenhagen


async def shoot(out: Path, dark: bool) -> dict[str, int]:
    from PySide6.QtWidgets import QApplication

    from app.models.db import open_cache
    from app.ui import theme
    from app.ui.backlog_service import BacklogService
    from app.ui.backlog_view import BacklogView
    from app.ui.caseworker_view import CaseworkerView
    from app.ui.tasks import Background, Messages
    from tests.backlog_fixtures import caseworkers, fill_team_cache

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme.apply(app, "dark" if dark else "light")
    db = open_cache(Path(_TMP) / "cache.sqlite3")
    fill_team_cache(db, NOW)
    bg = Background()
    service = BacklogService(db, bg, directory_caseworkers=caseworkers, now=lambda: NOW)
    messages = Messages()
    sizes: dict[str, int] = {}
    suffix = "_dark" if dark else ""

    view = BacklogView(service.report, messages, auto_refresh_ms=0)
    view.resize(1440, 860)
    done = asyncio.Event()
    view.refreshed.connect(done.set)
    view.show()
    await asyncio.wait_for(done.wait(), 30)
    await asyncio.sleep(0.2)
    path = out / f"backlog{suffix}.png"
    view.grab().save(str(path))
    sizes[path.name] = path.stat().st_size

    cw_view = CaseworkerView(service, messages)
    cw_view.resize(1300, 420)
    loaded = asyncio.Event()
    cw_view.loaded.connect(lambda _n: loaded.set())
    cw_view.show()
    await asyncio.wait_for(loaded.wait(), 30)
    # The caseworker with the most open items (the picker lists people with open items first).
    busiest = max(cw_view.choices, key=lambda c: c.open_count)
    if busiest.id != cw_view.current_caseworker():
        loaded.clear()
        cw_view.select_caseworker(busiest.id)
        await asyncio.wait_for(loaded.wait(), 30)
    await asyncio.sleep(0.2)
    path = out / f"caseworker{suffix}.png"
    cw_view.grab().save(str(path))
    sizes[path.name] = path.stat().st_size
    view.close()
    cw_view.close()
    bg.close()
    db.engine.dispose()
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        sizes = loop.run_until_complete(shoot(args.out, args.dark))
    for name, size in sizes.items():
        print(f"{args.out / name}: {size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
