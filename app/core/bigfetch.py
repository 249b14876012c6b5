"""Big messages (up to Digital Post's 99.5 MB) from the gateway into the client cache, in bounded
memory: download to a file → one parse of the file without keeping attachment bytes
(`read_big`) → `Cache.ingest_big`, which streams the blob into SQLite.

How sync uses it (see `ingest_mixed_page`): list pages with
`client.list_items(cursor, page_size, inline_max_bytes=BIG_MEMO_BYTES)`; items above that size
come with `memo_inline=False` and `memo == b""`. A page holding such items is stored in id
order as runs: each run of inline items through `Cache.ingest` (cursor = the run's last id), each
big item through `Cache.ingest_big` (item row, file rows, facts, FTS row, blob and cursor in ONE
transaction, the blob filled with `zeroblob` + incremental blob I/O from the downloaded file,
1 MB at a time), then the page's cursor. A crash anywhere leaves a cursor no further than what is
stored; the next sync re-lists from it and counts what was already stored as duplicates. Nothing
is lost or doubled.

Peak memory for a 99 MB item is about 2x its size (lxml's tree of the file plus one file's base64
text while it is checked and located in the file), instead of ~3x + the cache's blob bind copies
with an inline item. Later reads of its files stream from the blob (`Cache.file_bytes`).

This module never does Qt, never logs content, and deletes its temp files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from app.core.parse import parse_file, parse_items
from app.models.cache import Cache, IngestResult, Parsed
from app.sf1606.mailbox_client import BIG_MEMO_BYTES

log = logging.getLogger("postfordeler.sync.big")

KEEP_TEXT_BELOW = 1024 * 1024  # decoded files up to this size stay in memory (text, PDF text)

__all__ = ["BIG_MEMO_BYTES", "ingest_big", "ingest_mixed_page", "materialise_big_item", "read_big"]


async def materialise_big_item(client: Any, item: Any, tmp_dir: Path) -> Path:
    """Download a not-inlined item's raw MeMo into `tmp_dir` (size + sha256 checked against the
    listing); returns the file. The caller deletes it after ingest."""
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    dest = tmp_dir / f"item-{int(item.item_id)}.memo"
    await client.download_memo(item, dest)
    return dest


def read_big(path: Path, *, validate: bool = False) -> Parsed:
    """The one parse of a downloaded big item, without keeping attachment bytes above 1 MB
    (sizes, sha256 and each file's span in the file are still computed; small files such as the
    text/plain body are kept for the facts). `validate=False` because the download's sha256
    matched the gateway's, which XSD-validated before accepting; the hardened parse and strict
    base64 always run. A refusal is returned (→ quarantine)."""
    return parse_file(Path(path), validate=validate, keep_below=KEEP_TEXT_BELOW)


def ingest_big(
    cache: Cache,
    item: Any,
    path: Path,
    parsed: Parsed,
    *,
    cursor: int | None = None,
) -> IngestResult:
    """`Cache.ingest_big` (kept here as the big path's entry point): store one big item with its
    blob streamed from `path`. Blocking; run it on the DbWorker thread."""
    return cache.ingest_big(item, Path(path), parsed, cursor=cursor)


Parse = Callable[[Sequence[Any]], Awaitable[list[tuple[Any, Parsed]]]]


async def ingest_mixed_page(
    client: Any,
    cache: Cache,
    worker: Any,
    items: Sequence[Any],
    next_cursor: int,
    tmp_dir: Path,
    *,
    parse: Parse | None = None,
) -> tuple[int, int, int]:
    """Store one listed page that holds not-inlined (big) items, in id order; returns
    (new, duplicates, quarantined). `worker` is the sync's DbWorker (`submit(fn, *args)`);
    `parse` parses inline items (default: `app.core.parse.parse_items`)."""
    parse_run: Parse = parse or parse_items
    new = dup = quar = 0

    def add(res: IngestResult) -> None:
        nonlocal new, dup, quar
        new, dup, quar = new + res.new, dup + res.duplicates, quar + res.quarantined

    run: list[Any] = []
    for item in [*items, None]:
        if item is not None and getattr(item, "memo_inline", True):
            run.append(item)
            continue
        if run:
            parsed = await parse_run(run)
            add(await worker.submit(cache.ingest, parsed, cursor=run[-1].item_id))
            run = []
        if item is None:
            break
        if await worker.submit(cache.known_gateway_ids, [item.item_id]):
            # listed again because its delivery state changed (applied by the sync): no download
            dup += 1
            continue
        path = await materialise_big_item(client, item, tmp_dir)
        try:
            message = await asyncio.to_thread(read_big, path)
            add(await worker.submit(cache.ingest_big, item, path, message, cursor=item.item_id))
        finally:
            path.unlink(missing_ok=True)
    await worker.submit(cache.set_cursor, next_cursor)
    return new, dup, quar
