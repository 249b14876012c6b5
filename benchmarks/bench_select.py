"""Selection latency (issue 8 item 1): `select_p95_ms`.

A real encrypted cache with 100k items (the inbox benchmark's synthetic rows, plus 300 corpus
messages ingested the way sync stores them: raw blob + the facts of their one parse), the real
`MainWindow` offscreen on a qasync loop with the real suggestion engine over the sandbox DUBU
dataset. From the key press ("J", next item) until that item's preview and suggestions are on
screen (`MainWindow.detailShown`), over 200 consecutive items; p95 and median. Goal: < 50 ms.
Nothing on this path parses a MeMo (`select_parses` counts it; expected 0).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

N_ITEMS = 100_000
N_SELECT = 200


def _bench_inbox():  # the 100k-row filler of the inbox benchmark
    spec = importlib.util.spec_from_file_location("bench_inbox", HERE / "bench_inbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _corpus_pairs(first_gateway_id: int) -> list:
    """(MailboxItem-like, IngestMessage) for every corpus message, received after every
    synthetic row (so they are the top of the default inbox order)."""
    from app.core.parse import parse_memo

    now = datetime.now(UTC)
    out = []
    paths = sorted((REPO / "resources" / "sandbox" / "messages").glob("*.xml"))
    for k, path in enumerate(paths):
        raw = path.read_bytes()
        parsed = parse_memo(raw)
        header = parsed.facts.header
        item = SimpleNamespace(
            item_id=first_gateway_id + k,
            message_uuid=header.message_uuid,
            received_at=now + timedelta(milliseconds=k),
            contact_point_id=header.contact_point_id,
            memo=raw,
        )
        out.append((item, parsed))
    return out


def run_benchmark() -> dict[str, float | int]:
    from tests.keyring_backend import shared_keyring

    # the cache key lives in an in-memory keyring (never the shell's, never a file)
    with shared_keyring():
        return _run()


def _run() -> dict[str, float | int]:
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from app.core.worker import DbWorker
    from app.dubu.dataset import DubuDataset
    from app.models.cache import Cache
    from app.models.db import open_cache
    from app.sf1606.memo import parse_count
    from app.ui.app import create_application, freeze_startup_objects
    from app.ui.backend import UiBackend
    from app.ui.main_window import MainWindow
    from app.ui.suggestions import Suggester
    from app.ui.tasks import Background, Messages, cancel_all

    tmp = Path(tempfile.mkdtemp(prefix="bench-select-"))
    os.environ["POSTFORDELER_DATA_DIR"] = str(tmp)
    path = tmp / "cache.sqlite3"
    db = open_cache(path)
    _bench_inbox().fill(db, N_ITEMS, random.Random(7))
    pairs = _corpus_pairs(N_ITEMS + 1)
    Cache(db).ingest(pairs)
    db.engine.dispose()
    del pairs
    gc.collect()
    dataset = DubuDataset.load(REPO / "resources" / "sandbox" / "dubu.json")
    app = create_application()
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    figures: dict[str, float | int] = {}

    async def scenario() -> None:
        db = await asyncio.to_thread(open_cache, path)
        worker = DbWorker()
        cache = Cache(db)
        bg = Background(writer=worker)
        backend = UiBackend(cache=cache, background=bg, suggester=Suggester(dataset), user="cw-1")
        window = MainWindow(backend, Messages(), demo=False)
        window.resize(1600, 900)
        window.show()
        window.inbox.refresh()
        model = window.inbox.model
        shown: dict[int, asyncio.Event] = {}

        def on_shown(item_id: int) -> None:
            shown.setdefault(item_id, asyncio.Event()).set()

        window.detailShown.connect(on_shown)
        deadline = time.perf_counter() + 60
        while not (model.rowCount() > 0 and model.cached_row(model.item_id(0))):
            assert time.perf_counter() < deadline, "inbox did not load"
            await asyncio.sleep(0.01)
        freeze_startup_objects()
        first = model.item_id(0)
        window.inbox.select_id(first)
        await asyncio.wait_for(shown.setdefault(first, asyncio.Event()).wait(), 30)
        window.inbox.table.setFocus()
        await asyncio.sleep(0.2)
        parses = parse_count()
        times: list[float] = []
        for _ in range(N_SELECT):
            current = window.inbox.current_id()
            row = model.row_of(current)
            target = model.item_id(row + 1)
            event = shown.setdefault(target, asyncio.Event())
            t0 = time.perf_counter()
            QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
            await asyncio.wait_for(event.wait(), 30)
            times.append((time.perf_counter() - t0) * 1000)
            assert window.inbox.current_id() == target
            await asyncio.sleep(0.01)  # a reader's pause; lets the row cache settle
        times.sort()
        figures["select_p95_ms"] = round(times[int(len(times) * 0.95) - 1], 1)
        figures["select_median_ms"] = round(statistics.median(times), 1)
        figures["select_max_ms"] = round(times[-1], 1)
        figures["select_items"] = len(times)
        figures["select_cache_items"] = cache.item_count()
        figures["select_parses"] = parse_count() - parses
        window.close()
        await cancel_all()
        bg.close()
        worker.close()
        db.engine.dispose()

    with loop:
        loop.run_until_complete(scenario())
    return figures


BENCHMARKS = {"select": run_benchmark}

if __name__ == "__main__":
    print(run_benchmark())
