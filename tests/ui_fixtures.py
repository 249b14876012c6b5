"""Test helpers for the UI area: fill a real client cache (SQLite file, migrated) with corpus
messages, so UI and inbox tests run without a gateway. Stores them through `Cache.ingest` when it
exists, else inserts straight into the tables (items, item_blobs, item_files, item_facts, items_fts)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text

from app.models.db import Database
from app.models.schema import Item, ItemBlob, ItemFacts, ItemFile, ItemFileData
from app.sf1606.memo import read_memo
from app.sf1606.model import MemoMessage
from app.sf1606.stored import facts_to_json
from app.suggest.text import ingest_message

REPO = Path(__file__).resolve().parent.parent
SANDBOX_MESSAGES = REPO / "resources" / "sandbox" / "messages"
SANDBOX_DUBU = REPO / "resources" / "sandbox" / "dubu.json"
LABELS = REPO.parent / "shared" / "corpus" / "labels.json"
if not LABELS.exists():  # a worktree under /work/wt/<name>: the corpus is two levels up
    LABELS = REPO.parent.parent / "shared" / "corpus" / "labels.json"


def labels() -> dict[str, dict]:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def contact_point_labels() -> dict[str, str]:
    data = json.loads(SANDBOX_DUBU.read_text(encoding="utf-8"))
    return {cp["id"]: cp["label"] for cp in data["contact_points"]}


def read_messages(paths: Iterable[Path]) -> list[tuple[bytes, MemoMessage]]:
    out = []
    for path in paths:
        raw = Path(path).read_bytes()
        out.append((raw, read_memo(raw, locate=True)))
    return out


def insert_messages(
    db: Database,
    messages: list[tuple[bytes, MemoMessage]],
    *,
    received: list[datetime] | None = None,
) -> list[int]:
    """Insert messages as the sync would; returns the new item ids in input order."""
    cp_labels = contact_point_labels()
    now = datetime.now(UTC)
    ids: list[int] = []
    with db.engine.begin() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM items")).scalar_one()
        for n, (raw, msg) in enumerate(messages):
            item_id = start + n + 1
            at = received[n] if received else (msg.created or now)
            cp = msg.contact_point_id
            reply = next((r for r in msg.reply_data if r.case_id), None)
            conn.execute(
                insert(Item.__table__).values(
                    id=item_id,
                    gateway_item_id=item_id,
                    message_uuid=msg.message_uuid,
                    kind=str(msg.kind),
                    memo_version=msg.version,
                    received_at=at.astimezone(UTC).replace(tzinfo=None),
                    created_at=msg.created.replace(tzinfo=None) if msg.created else None,
                    synced_at=now.replace(tzinfo=None),
                    label=msg.label,
                    sender_id=msg.sender.id,
                    sender_id_type=msg.sender.id_type,
                    sender_label=msg.sender.label or "",
                    contact_point_id=cp,
                    contact_point_label=cp_labels.get(cp or "", None),
                    reply_case_id=reply.case_id if reply else None,
                    n_files=len(msg.files),
                    size_bytes=len(raw),
                    status="ny",
                    misrouted=False,
                    read=False,
                )
            )
            conn.execute(
                insert(ItemBlob.__table__).values(
                    item_id=item_id, sha256=hashlib.sha256(raw).hexdigest(), memo=raw
                )
            )
            for pos, f in enumerate(msg.files):
                conn.execute(
                    insert(ItemFile.__table__).values(
                        item_id=item_id,
                        position=pos,
                        role=str(f.role),
                        mime=f.mime,
                        filename=f.filename,
                        safe_filename=f.safe_filename,
                        size=f.size,
                        sha256=f.sha256,
                    )
                )
            stored = ingest_message(msg)  # what the sync's one parse stores
            conn.execute(
                insert(ItemFacts.__table__).values(
                    item_id=item_id, facts=facts_to_json(stored.facts)
                )
            )
            for pos, content in stored.loose_files:
                conn.execute(
                    insert(ItemFileData.__table__).values(
                        item_id=item_id, position=pos, content=content
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO items_fts(rowid, sender_label, label, body) "
                    "VALUES (:id, :s, :l, :b)"
                ),
                {"id": item_id, "s": msg.sender.label or "", "l": msg.label, "b": msg.main_text()},
            )
            ids.append(item_id)
    return ids


def corpus_sample(n_each: int = 4) -> list[Path]:
    """A deterministic mix: retursvar, nyhenvendelser, forwards, and ones with a PDF."""
    lab = labels()
    picked: dict[str, list[Path]] = {"retursvar": [], "nyhenvendelse": [], "videresendt": []}
    pdfs: list[Path] = []
    for path in sorted(SANDBOX_MESSAGES.glob("*.xml")):
        entry = lab.get(path.stem)
        if entry is None:
            continue
        bucket = picked[entry["kind"]]
        if len(bucket) < n_each:
            bucket.append(path)
        elif "pdf" in entry["notes"] and len(pdfs) < 2 and "large" not in entry["notes"]:
            pdfs.append(path)
    return [p for group in picked.values() for p in group] + pdfs


def fill_sample_cache(db: Database, n_each: int = 4) -> list[int]:
    """Corpus sample into the cache; received times spread over the last two weeks."""
    msgs = read_messages(corpus_sample(n_each))
    base = datetime.now(UTC)
    received = [base - timedelta(hours=9 * i + 1) for i in range(len(msgs))]
    return insert_messages(db, msgs, received=received)


@pytest.fixture(scope="module")
def loop(qapp):
    """A qasync loop for UI tests (import this fixture into the test module)."""
    import asyncio

    import qasync

    from app.ui.tasks import cancel_all

    class Loop(qasync.QEventLoop):
        """A qasync loop whose callbacks run only while it runs.

        qasync's callbacks are Qt timer events, so every processEvents() outside
        run_until_complete (qasync's own last pass after the loop has stopped, pytest-qt's
        after the call and around teardown) would step tasks outside a running loop: "no
        running event loop", logged by app.ui.tasks.spawn or the sync service, depending on
        timing. Here a callback that fires while the loop is not running is held and
        scheduled again when it next runs. And the loop runs until the future is done (Qt
        also leaves exec() when the last window closes)."""

        def __init__(self, app: Any) -> None:
            self._held: list[asyncio.Handle] = []
            super().__init__(app)

        def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
            def guarded() -> None:
                if handle.cancelled():
                    return
                if self.is_running():
                    handle._run()
                else:
                    self._held.append(handle)

            super()._add_callback(asyncio.Handle(guarded, (), self), delay)
            return handle

        def run_until_complete(self, future: Any) -> Any:
            future = asyncio.ensure_future(future, loop=self)

            def stop(_future: object) -> None:
                self.stop()

            held, self._held = self._held, []
            for handle in held:
                self._add_callback(handle)
            future.add_done_callback(stop)
            try:
                while not future.done():
                    self.run_forever()
            finally:
                future.remove_done_callback(stop)
            return future.result()

    loop = Loop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(cancel_all())
    loop.close()  # joins qasync's executor threads (a live QThread at exit aborts)
    asyncio.set_event_loop(None)
