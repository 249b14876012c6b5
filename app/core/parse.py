"""The client's one parse of each MeMo: at ingest, into what the cache stores.

`parse_memo` is `read_memo` (hardened parse, checks, strict base64; `locate=True` so each file's
span in the raw bytes is recorded) followed by `app.suggest.text.ingest_message` (header without
file bytes, body and PDF text, CPR and case-number candidates). Sync runs it for every synced
item (`parse_items`, spread over a thread pool: lxml releases the GIL while parsing), the
big-item path for each downloaded file (`app.core.bigfetch`), and the backfill for items cached
before facts were stored. Nothing after ingest parses a message again. The sync defers the PDF
text (`pdf=False`): `app.core.sync.extract_pdf_texts` completes it from the stored PDFs.

Shared by `app.core.sync` and `app.core.bigfetch` (which both import it; neither imports the
other's internals). Qt-free; never logs message content.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.models.cache import Parsed
from app.sf1606.memo import read_memo
from app.sf1606.model import MemoError
from app.sf1606.stored import IngestMessage
from app.suggest.text import ingest_message

log = logging.getLogger("postfordeler.sync")

__all__ = ["parse_file", "parse_item", "parse_items", "parse_memo", "parse_pool"]

_PARSE_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def parse_pool() -> concurrent.futures.ThreadPoolExecutor:
    """A shared pool for parsing (lxml releases the GIL while parsing and validating)."""
    global _PARSE_POOL
    if _PARSE_POOL is None:
        _PARSE_POOL = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(2, min(4, os.cpu_count() or 2)), thread_name_prefix="postfordeler-parse"
        )
    return _PARSE_POOL


def parse_memo(
    data: bytes | str | os.PathLike[str],
    *,
    validate: bool = True,
    keep_content: bool = True,
    keep_below: int = 0,
    pdf: bool = True,
) -> IngestMessage:
    """Read one MeMo (bytes or a file) into what `Cache.ingest` stores. Raises `MemoError`.
    `pdf=False` defers the PDF text (see `app.suggest.text.message_facts`; the sync does)."""
    message = read_memo(
        data, validate=validate, keep_content=keep_content, keep_below=keep_below, locate=True
    )
    return ingest_message(message, pdf=pdf)


def parse_item(item: Any, validate: bool | None = None) -> tuple[Any, Parsed]:
    """Parse one mailbox item. `validate=None`: XSD-validate unless the gateway vouches for the
    bytes (it validated them before accepting and sends their sha256, checked here; a mismatch is
    quarantined). A refusal is returned as the `MemoError` (→ quarantine), never raised."""
    digest = getattr(item, "sha256", None)
    if digest and hashlib.sha256(item.memo).hexdigest() != str(digest).lower():
        log.warning("item %s quarantined: checksum mismatch", item.item_id)
        return item, MemoError(
            "kontrolsummen passer ikke med gatewayens (beskadiget undervejs)", "checksum"
        )
    try:
        return item, parse_memo(
            item.memo, validate=(not digest) if validate is None else validate, pdf=False
        )
    except MemoError as exc:
        log.warning("item %s quarantined: %s", item.item_id, exc.reason)
        return item, exc
    except Exception as exc:
        log.exception("reader failed on item %s", item.item_id)
        return item, MemoError(f"intern fejl i læseren ({type(exc).__name__})", "internal")


def _parse_chunk(items: Sequence[Any], validate: bool | None = None) -> list[tuple[Any, Parsed]]:
    return [parse_item(it, validate) for it in items]


async def parse_items(
    items: Sequence[Any],
    pool: concurrent.futures.Executor | None = None,
    validate: bool | None = None,
) -> list[tuple[Any, Parsed]]:
    """`parse_item` for every item, spread over the pool; order preserved."""
    if not items:
        return []
    pool = pool or parse_pool()
    loop = asyncio.get_running_loop()
    n = max(1, min(len(items), getattr(pool, "_max_workers", 2)))
    size = -(-len(items) // n)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    parts = await asyncio.gather(
        *(loop.run_in_executor(pool, _parse_chunk, c, validate) for c in chunks)
    )
    return [pair for part in parts for pair in part]


def parse_file(path: Path, *, validate: bool, keep_below: int) -> Parsed:
    """A downloaded big item, parsed without keeping attachment bytes above `keep_below` (sizes,
    sha256 and spans are still computed). A refusal is returned (→ quarantine)."""
    try:
        return parse_memo(
            path, validate=validate, keep_content=False, keep_below=keep_below, pdf=False
        )
    except MemoError as exc:
        log.warning("big item quarantined: %s", exc.reason)
        return exc
