"""Encryption at rest for the client cache: the cache key in the OS keyring, keyed SQLCipher
connections, and the one-time move of an old unencrypted cache file into an encrypted one.

The cache holds Digital Post about children at risk (bodies, CPR numbers, attachments, the FTS
index, the outbox). The whole file, its WAL and its FTS index are encrypted by SQLCipher
(AES-256, HMAC-SHA512 per page) under a random 32-byte key that lives only in the OS keyring
(service "postfordeler", name "cache-key:<absolute cache path>"). The key is used as a raw key,
so opening a connection costs no PBKDF2 run.

No keyring → `CacheKeyUnavailable` (a Danish message for the UI): personal data is never written
unencrypted, unless a developer sets `POSTFORDELER_UNENCRYPTED_CACHE=1`.

This module must never write the key to a file, log it, or put it in an engine URL; it never
logs message content.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from app.keyrings import secure_keyring

log = logging.getLogger("postfordeler.cache.crypto")

KEYRING_SERVICE = "postfordeler"
UNENCRYPTED_ENV = "POSTFORDELER_UNENCRYPTED_CACHE"
SQLITE_MAGIC = b"SQLite format 3\x00"
KEY_BYTES = 32

# Leftovers of an interrupted plain → encrypted move (see `encrypt_plain_file`).
_TMP_SUFFIX = ".encrypting"
_OLD_SUFFIX = ".plain-wipe"


# Page format of every cache file, set on every connection right after the key. Changing it makes
# existing caches unreadable (they would need a `sqlcipher_export` move like the plain one).
# HMAC-SHA256 instead of SQLCipher 4's default SHA512: the CPUs this runs on hash SHA-256 in
# hardware (SHA-NI), ~10% more cache writes/s, and a 256-bit HMAC is ample for page integrity.
# AES-256-CBC, 4 KB pages (the inbox's index tuning assumes them) and the KDF stay default; the
# raw key skips PBKDF2 anyway.
CIPHER_PRAGMAS = ("cipher_hmac_algorithm = HMAC_SHA256",)


class CacheKeyUnavailable(RuntimeError):
    """The cache key cannot be obtained, so the cache is not opened. `str(exc)` is Danish text
    meant for the user."""


class CacheUnreadable(CacheKeyUnavailable):
    """The cache file is encrypted but the key is missing from the keyring or does not fit."""


NO_KEYRING_MESSAGE = (
    "Den lokale kopi af posten kan ikke krypteres, fordi der ikke er nogen nøglering "
    "(f.eks. Windows Legitimationsoplysninger eller GNOME-nøgleringen) til rådighed. "
    "Postfordeler gemmer ikke personfølsomme oplysninger ukrypteret på computeren, og "
    "nøgler aldrig i en almindelig fil. Kontakt IT-supporten. "
    "(No secure keyring on this computer: the local copy of the mail cannot be encrypted, "
    "so it is not kept; keys are never put in a plain file.)"
)
KEY_MISSING_MESSAGE = (
    "Den lokale kopi af posten er krypteret, men nøglen til den findes ikke i nøgleringen "
    "på denne computer. Kopien kan derfor ikke åbnes. Kontakt IT-supporten; posten ligger "
    "stadig på postserveren, men handlinger, der endnu ikke er sendt, kan være tabt."
)
WRONG_KEY_MESSAGE = (
    "Den lokale kopi af posten kan ikke åbnes: nøglen i nøgleringen passer ikke til filen, "
    "eller filen er beskadiget. Kontakt IT-supporten."
)


def key_name(path: Path) -> str:
    """Keyring entry name for the cache at `path` (one key per cache file)."""
    return f"cache-key:{Path(path).resolve()}"


def unencrypted_allowed() -> bool:
    """True when a developer explicitly allowed an unencrypted cache (no keyring only)."""
    return os.environ.get(UNENCRYPTED_ENV, "").strip().lower() in {"1", "true", "yes", "ja"}


def is_plain_sqlite(path: Path) -> bool:
    """An unencrypted SQLite file (the header magic is in clear)."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except FileNotFoundError:
        return False


def _has_content(path: Path) -> bool:
    try:
        return Path(path).stat().st_size > 0
    except FileNotFoundError:
        return False


def os_keyring() -> Any:
    """The OS keyring's secure backends (`app.keyrings.secure_keyring`), else None: no
    backend, the fail/null backends, a plaintext or other file backend, or a chain of only
    those. Secrets are never kept in a file."""
    return secure_keyring()


def load_cache_key(path: Path, *, create: bool = True) -> bytes | None:
    """The cache key for `path` from the OS keyring; a fresh one is created (and read back, so
    a keyring that silently drops writes is caught) when there is none and the file holds no
    encrypted data yet. Returns None when there is no keyring (caller decides); raises
    `CacheUnreadable` when the file is encrypted and its key is gone."""
    from keyring.errors import KeyringError

    kr = os_keyring()
    if kr is None:
        return None
    name = key_name(path)
    try:
        stored = kr.get_password(KEYRING_SERVICE, name)
        if stored is None:
            if _has_content(path) and not is_plain_sqlite(path):
                raise CacheUnreadable(KEY_MISSING_MESSAGE)
            if not create:
                return None
            kr.set_password(KEYRING_SERVICE, name, secrets.token_bytes(KEY_BYTES).hex())
            stored = kr.get_password(KEYRING_SERVICE, name)
            if stored is None:
                return None  # a keyring that forgets what it is given is no keyring
            log.info("created a new cache key in the OS keyring")
    except KeyringError as exc:
        log.warning("OS keyring not usable for the cache key: %s", type(exc).__name__)
        return None
    try:
        key = bytes.fromhex(stored)
    except ValueError as exc:
        raise CacheUnreadable(WRONG_KEY_MESSAGE) from exc
    if len(key) != KEY_BYTES:
        raise CacheUnreadable(WRONG_KEY_MESSAGE)
    return key


def delete_cache_key(path: Path) -> None:
    """Remove the key of the cache at `path` from the keyring (after the file is deleted)."""
    from keyring.errors import KeyringError, PasswordDeleteError

    kr = os_keyring()
    if kr is None:
        return
    try:
        kr.delete_password(KEYRING_SERVICE, key_name(path))
    except (PasswordDeleteError, KeyringError):
        pass


def key_pragma(key: bytes) -> str:
    """`PRAGMA key` with a raw 256-bit key: SQLCipher skips PBKDF2 for this form."""
    return f"PRAGMA key = \"x'{key.hex()}'\""


def apply_key(dbapi_connection: Any, key: bytes | None) -> None:
    """Key a fresh sqlcipher3 connection. Must run before any other statement touches the file.

    `cipher_memory_security = OFF` (SQLCipher 4.5+'s default, set explicitly): ON would wipe and
    mlock every allocation, costing ~2x on page-heavy work, and protects only against reading
    this process's memory — an attacker who can do that already sees the key and the plaintext
    rows this process is handling. The threat here is a stolen laptop, i.e. data at rest."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA cipher_log_level = NONE")  # we raise CacheUnreadable instead
        if key is not None:
            cursor.execute(key_pragma(key))
            for pragma in CIPHER_PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.execute("PRAGMA cipher_memory_security = OFF")
    finally:
        cursor.close()


def keyed_connect(path: Path, key: bytes | None, **kwargs: Any) -> Any:
    """A raw sqlcipher3 DB-API connection to `path`, keyed (or plain when `key` is None)."""
    from sqlcipher3 import dbapi2

    con = dbapi2.connect(str(path), **kwargs)
    try:
        apply_key(con, key)
    except BaseException:
        con.close()
        raise
    return con


def check_readable(path: Path, key: bytes | None) -> None:
    """Raise `CacheUnreadable` when `key` does not open the file at `path`."""
    from sqlcipher3 import dbapi2

    con = keyed_connect(path, key)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except dbapi2.DatabaseError as exc:
        raise CacheUnreadable(WRONG_KEY_MESSAGE) from exc
    finally:
        con.close()


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _wipe(path: Path) -> None:
    """Overwrite a file with zeros, then delete it. Best effort: journaling and copy-on-write
    file systems and SSD wear levelling may keep old blocks; full-disk encryption (BitLocker)
    remains the baseline for what an earlier unencrypted version left behind."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    zeros = bytes(1 << 20)
    with path.open("r+b") as fh:
        left = size
        while left > 0:
            n = min(left, len(zeros))
            fh.write(zeros[:n])
            left -= n
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def finish_interrupted_move(path: Path) -> None:
    """Complete or undo an `encrypt_plain_file` that a crash interrupted."""
    path = Path(path)
    tmp = path.with_name(path.name + _TMP_SUFFIX)
    old = path.with_name(path.name + _OLD_SUFFIX)
    if old.exists():
        if not path.exists() and tmp.exists():
            os.replace(tmp, path)  # the encrypted copy was complete (fsynced) before the swap
            _fsync_dir(path.parent)
        if path.exists():
            _wipe(old)
    if tmp.exists() and path.exists():
        tmp.unlink()  # export never finished: the plain file is still the cache


def encrypt_plain_file(path: Path, key: bytes) -> None:
    """Move an unencrypted cache (from an earlier version) into an encrypted one, once.

    Steps, each leaving a usable cache at `path` if the process dies: checkpoint the plain file's
    WAL into it; `sqlcipher_export` into `<path>.encrypting` (fsynced); rename the plain file to
    `<path>.plain-wipe`; rename the encrypted file to `path`; overwrite the plain file with
    zeros and delete it. `finish_interrupted_move` completes a move cut short by a crash."""
    path = Path(path)
    tmp = path.with_name(path.name + _TMP_SUFFIX)
    old = path.with_name(path.name + _OLD_SUFFIX)
    tmp.unlink(missing_ok=True)
    plain = keyed_connect(path, None, isolation_level=None)
    try:
        plain.execute("PRAGMA busy_timeout=10000")
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = plain.execute("PRAGMA user_version").fetchone()[0]
        plain.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(tmp), f"x'{key.hex()}'"))
        for pragma in CIPHER_PRAGMAS:
            plain.execute(f"PRAGMA encrypted.{pragma}")
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
        plain.execute("PRAGMA journal_mode=DELETE")  # folds and removes the plain WAL
    finally:
        plain.close()
    check_readable(tmp, key)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    for side in _sidecars(path):
        if side.exists():
            _wipe(side)
    os.replace(path, old)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    _wipe(old)
    _fsync_dir(path.parent)
    log.info("moved an unencrypted cache file into an encrypted one")
