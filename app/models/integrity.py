"""Integrity of the client cache: is the SQLCipher file sound?

`check_file` runs SQLCipher's `PRAGMA cipher_integrity_check` (every page's HMAC: finds any
flipped byte, also in blob pages SQLite itself never checks) and `PRAGMA quick_check` (the
b-tree structure: finds a truncated file, which the HMAC check passes). When every page fails
its HMAC, the key does not fit the file (or the file's salt is damaged): that is reported as
`wrong_key`, never as damage, so a wrong keyring entry never leads to a rebuild on its own.

`open_cache` checks at open (`verify_at_open`, files up to `OPEN_CHECK_MAX_BYTES`; bigger ones
are checked by the background check soon after start); `app.core.services` repeats it
periodically; `app.models.recovery` rebuilds a damaged cache. Qt-free; never logs content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.models import crypto
from app.models.crypto import CacheKeyUnavailable, CacheUnreadable

log = logging.getLogger("postfordeler.cache.integrity")

# Checked before opening up to this size (about 0.3 s); a bigger cache (a 100k-item cache is
# ~190 MB: 3.5 s) opens at once and is checked in the background soon after start — damage
# found there leaves a marker, so the next start checks it before opening and rebuilds.
OPEN_CHECK_MAX_BYTES = 16 * 1024 * 1024
PAGE_BYTES = 4096  # SQLCipher's default page size, which the cache keeps (see crypto)

DAMAGED_MESSAGE = (
    "Den lokale kopi af posten på denne computer er beskadiget. Postfordeler lægger den "
    "til side, bygger en ny kopi og henter posten igen fra postserveren."
)


class CacheDamaged(CacheKeyUnavailable):
    """The cache file is damaged (pages fail their HMAC or the b-tree is broken). A subclass
    of `CacheKeyUnavailable` so every caller that cannot rebuild still ends with one Danish
    sentence; `app.models.recovery.open_cache_recovering` rebuilds instead."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(DAMAGED_MESSAGE)
        self.detail = detail  # what the check found (page numbers, no content)


@dataclass(frozen=True, slots=True)
class CacheCheck:
    ok: bool
    hmac_failures: int = 0  # pages whose HMAC failed (SQLCipher)
    structure_ok: bool = True  # quick_check said "ok"
    wrong_key: bool = False  # every page failed: the key does not fit (or the salt is damaged)
    pages: int = 0

    @property
    def detail(self) -> str:
        return (
            f"{self.hmac_failures} of {self.pages} pages fail their HMAC; "
            f"structure {'ok' if self.structure_ok else 'damaged'}"
        )


def _run(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in con.execute(sql).fetchall()]


def check_file(path: Path, key: bytes | None) -> CacheCheck:
    """Check the cache file at `path` with `key` (None: an unencrypted developer cache).
    Blocking, O(file size): run it off the UI thread, on its own connection."""
    from sqlcipher3 import dbapi2

    path = Path(path)
    size = path.stat().st_size if path.exists() else 0
    pages = max(1, -(-size // PAGE_BYTES))
    con = crypto.keyed_connect(path, key, check_same_thread=False, timeout=10.0)
    try:
        failures = 0
        if key is not None:
            try:
                failures = len(_run(con, "PRAGMA cipher_integrity_check"))
            except (dbapi2.DatabaseError, MemoryError):  # NOMEM: SQLCipher after a failed page
                failures = pages
            if failures >= pages:
                return CacheCheck(False, failures, False, wrong_key=True, pages=pages)
        try:
            structure_ok = _run(con, "PRAGMA quick_check") == [("ok",)]
        except (dbapi2.DatabaseError, MemoryError):  # NOMEM: SQLCipher after a failed page
            structure_ok = False
    finally:
        con.close()
    return CacheCheck(failures == 0 and structure_ok, failures, structure_ok, pages=pages)


def check_cache(path: Path) -> CacheCheck:
    """`check_file` with the cache's key from the keyring. Raises `CacheUnreadable` when the
    key is gone (as opening would)."""
    return check_file(path, crypto.load_cache_key(path, create=False))


def damage_marker(path: Path) -> Path:
    """The file the background check leaves beside a cache it found damaged."""
    path = Path(path)
    return path.with_name(path.name + ".tjek-ved-start")


def mark_damaged(path: Path) -> None:
    """Remember damage found while running: the next start checks the file before opening."""
    damage_marker(path).touch()


def verify_at_open(path: Path, max_bytes: int = OPEN_CHECK_MAX_BYTES) -> None:
    """Before `open_cache` opens the file: raise `CacheDamaged` when it is damaged, or
    `CacheUnreadable` when the key does not fit. A missing or empty file, a file bigger than
    `max_bytes` (the background check takes it) and the no-key cases (which opening reports
    in its own words) pass."""
    path = Path(path)
    crypto.finish_interrupted_move(path)
    marked = damage_marker(path).exists()
    if not path.exists() or path.stat().st_size == 0:
        return
    if path.stat().st_size > max_bytes and not marked:
        return
    key = crypto.load_cache_key(path, create=False)
    if key is None and not crypto.is_plain_sqlite(path):
        return  # no keyring: open_cache says so plainly
    result = check_file(path, key)
    if result.wrong_key:
        raise CacheUnreadable(crypto.WRONG_KEY_MESSAGE)
    if not result.ok:
        log.error("client cache damaged at open: %s", result.detail)
        raise CacheDamaged(result.detail)
    if marked:  # sound after all (e.g. the damage was in a file since replaced)
        damage_marker(path).unlink(missing_ok=True)
