"""Big messages (up to Digital Post's 99.5 MB) from the gateway into the client cache, in bounded
memory: download to a file → read_memo(path, keep_content=False) → blob streamed into SQLite.

How sync uses it (see `ingest_mixed_page`): list pages with
`client.list_items(cursor, page_size, inline_max_bytes=BIG_MEMO_BYTES)`; items above that size
come with `memo_inline=False` and `memo == b""`. A page holding such items is stored in id
order as runs: each run of inline items through `Cache.ingest` (cursor = the run's last id), each
big item through `ingest_big` (item row, file rows, FTS row, blob and cursor in ONE transaction,
the blob filled with `zeroblob` + incremental blob I/O from the downloaded file, 1 MB at a time), then
the page's cursor. A crash anywhere leaves a cursor no further than what is stored; the next sync
re-lists from it and counts what was already stored as duplicates. Nothing is lost or doubled.

Peak memory for a 99 MB item is about 2x its size (lxml's tree of the file plus one file's base64
text while it is checked), instead of ~3x + the cache's blob bind copies with an inline item.

`ingest_big` writes the cache's tables with the row builder of `app.models.cache` (the same
`_item_row` that `Cache.ingest` uses), so both paths store identical rows; a test compares them.
This module never does Qt, never logs content, and deletes its temp files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from app.hashing import file_size_sha256
from app.sf1606.mailbox_client import BIG_MEMO_BYTES
from app.sf1606.model import MemoError, MemoMessage

log = logging.getLogger("postfordeler.sync.big")

KEEP_TEXT_BELOW = 1024 * 1024  # decoded files up to this size stay in memory (FTS body text)
_CHUNK = 1 << 20

__all__ = ["BIG_MEMO_BYTES", "ingest_big", "ingest_mixed_page", "materialise_big_item", "read_big"]


async def materialise_big_item(client: Any, item: Any, tmp_dir: Path) -> Path:
    """Download a not-inlined item's raw MeMo into `tmp_dir` (size + sha256 checked against the
    listing); returns the file. The caller deletes it after ingest."""
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    dest = tmp_dir / f"item-{int(item.item_id)}.memo"
    await client.download_memo(item, dest)
    return dest


def read_big(path: Path, *, validate: bool = False) -> MemoMessage | MemoError:
    """read_memo for a downloaded big item without keeping attachment bytes (sizes and sha256 are
    still computed; small files such as the text/plain body are kept). `validate=False` because
    the download's sha256 matched the gateway's, which XSD-validated before accepting; the
    hardened parse and strict base64 always run. A refusal is returned (→ quarantine)."""
    from app.sf1606.memo import read_memo

    try:
        return read_memo(path, validate=validate, keep_content=False, keep_below=KEEP_TEXT_BELOW)
    except MemoError as exc:
        log.warning("big item quarantined: %s", exc.reason)
        return exc


@dataclass(frozen=True, slots=True)
class _SizedMemo:
    """Stands in for `MailboxItem.memo` where the cache's row builder only needs len()."""

    size: int

    def __len__(self) -> int:
        return self.size


@dataclass(frozen=True, slots=True)
class _BigItem:
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    memo: _SizedMemo


def _open_blob(raw: Any, item_id: int) -> Any:
    """Incremental blob I/O on the cache's DB-API connection: sqlcipher3 (the encrypted cache)
    spells it `open_blob`, the stdlib sqlite3 `blobopen`; both write in place, page by page."""
    opener = getattr(raw, "open_blob", None) or raw.blobopen
    return opener("item_blobs", "memo", item_id)


def ingest_big(
    cache: Any,
    item: Any,
    path: Path,
    message: MemoMessage | MemoError,
    *,
    cursor: int | None = None,
) -> Any:
    """Store one big item like `Cache.ingest([(item, message)], cursor=...)` does, but stream its
    raw MeMo from `path` into the blob (never held in memory). One transaction; blocking (run it
    on the DbWorker thread). Returns `IngestResult`."""
    from app.models import cache as cm

    path = Path(path)
    size, digest = file_size_sha256(path)
    stand_in = _BigItem(
        int(item.item_id),
        item.message_uuid,
        item.received_at,
        getattr(item, "contact_point_id", None),
        _SizedMemo(size),
    )
    now = cm._utc(cm.utcnow())
    cursor = int(item.item_id) if cursor is None else cursor
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")  # open the transaction before reading
        known = conn.execute(
            select(cm.ITEMS.c.id).where(
                (cm.ITEMS.c.message_uuid == stand_in.message_uuid.lower())
                | (cm.ITEMS.c.gateway_item_id == stand_in.item_id)
            )
        ).first()
        if known is not None:
            cm.Cache._set_cursor(conn, cursor)
            return cm.IngestResult(new=0, duplicates=1)
        row = cm._item_row(stand_in, message, now)
        item_id = conn.execute(insert(cm.ITEMS).returning(cm.ITEMS.c.id), [row]).scalar_one()
        conn.execute(
            insert(cm.BLOBS).values(item_id=item_id, sha256=digest, memo=func.zeroblob(size))
        )
        with _open_blob(conn.connection.driver_connection, item_id) as blob, path.open("rb") as fh:
            while piece := fh.read(_CHUNK):
                blob.write(piece)
        body = ""
        if isinstance(message, MemoMessage):
            file_rows = [
                {
                    "item_id": item_id,
                    "position": pos,
                    "role": str(f.role),
                    "mime": f.mime[:128],
                    "filename": f.filename,
                    "safe_filename": f.safe_filename,
                    "size": f.size,
                    "sha256": f.sha256,
                }
                for pos, f in enumerate(message.files)
            ]
            if file_rows:
                conn.execute(insert(cm.FILES), file_rows)
            body = message.main_text()
        conn.execute(
            text(
                "INSERT INTO items_fts(rowid, sender_label, label, body) "
                "VALUES (:rowid, :s, :l, :b)"
            ),
            {"rowid": item_id, "s": row["sender_label"], "l": row["label"], "b": body},
        )
        cm.Cache._set_cursor(conn, cursor)
    quarantined = 1 if isinstance(message, MemoError) else 0
    return cm.IngestResult(new=1, duplicates=0, quarantined=quarantined)


Parse = Callable[[Sequence[Any]], Awaitable[list[tuple[Any, MemoMessage | MemoError]]]]


async def ingest_mixed_page(
    client: Any,
    cache: Any,
    worker: Any,
    items: Sequence[Any],
    next_cursor: int,
    tmp_dir: Path,
    *,
    parse: Parse | None = None,
) -> tuple[int, int, int]:
    """Store one listed page that holds not-inlined (big) items, in id order; returns
    (new, duplicates, quarantined). `worker` is the sync's DbWorker (`submit(fn, *args)`);
    `parse` parses inline items (default: `app.core.sync.parse_items`)."""
    if parse is None:
        from app.core.sync import parse_items as parse
    new = dup = quar = 0

    def add(res: Any) -> None:
        nonlocal new, dup, quar
        new, dup, quar = new + res.new, dup + res.duplicates, quar + res.quarantined

    run: list[Any] = []
    for item in [*items, None]:
        if item is not None and getattr(item, "memo_inline", True):
            run.append(item)
            continue
        if run:
            parsed = await parse(run)
            add(await worker.submit(cache.ingest, parsed, cursor=run[-1].item_id))
            run = []
        if item is None:
            break
        path = await materialise_big_item(client, item, tmp_dir)
        try:
            message = await asyncio.to_thread(read_big, path)
            add(await worker.submit(ingest_big, cache, item, path, message, cursor=item.item_id))
        finally:
            path.unlink(missing_ok=True)
    await worker.submit(cache.set_cursor, next_cursor)
    return new, dup, quar
