"""Encryption at rest for the gateway's store: AES-256-GCM, keys from the gateway's secret store.

Every value that holds message content or personal data (the raw MeMo, its parsed header and
file index, outcome notes and case ids, decision payloads and plans, receipt and error texts)
is sealed before it is written and opened after it is read (app/gateway/store.py). Each value
gets a fresh random nonce and *associated data* naming its table, column and row (a message's
UUID, a decision id, an item id), so a value copied into another row's place fails to open.

Formats (both start with the key id, so keys can be rotated):
- a text value: `pf1:` + base64(len(kid) | kid | nonce(12) | ciphertext+tag);
- a MeMo blob: `PFM1` | len(kid) | kid | nonce prefix(7) | chunks; each chunk is 1 MiB of
  plaintext (the last one shorter) sealed with nonce = prefix | counter(4) | last(1), so a big
  message is written and streamed out piece by piece, and a truncated or reordered blob fails.

The key file (`store.key`: a systemd credential, a private file, the OS keyring via
app/gateway/secrets.py, or for the sandbox and development a 0600 file in the gateway's data
folder) holds one key per line, `<key id>:<base64 of 32 bytes>`; the first line is the key new
values are sealed with, later lines are older keys still read. The key is never stored in the
database or a configuration file: the database keeps only a check value per key id (a sealed
constant), which tells a wrong key at start.

Never logs a key, a plaintext or a ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "store.key"
KEY_BYTES = 32
CHUNK = 1 << 20  # plaintext bytes per sealed MeMo chunk
TAG = 16
_TEXT_PREFIX = "pf1:"
_BLOB_MAGIC = b"PFM1"
_PREFIX_BYTES = 7
_CHECK_PLAIN = b"postfordeler gateway store key check v1"


class StoreKeyError(Exception):
    """The store key is missing, unreadable or wrong; str(exc) is one Danish line."""


class DecryptError(Exception):
    """A stored value does not open with the store's keys (wrong key, damaged or moved).
    `missing_key`: it names a key id the store was not given (a dropped rotation key), so it
    is not damage."""

    def __init__(self, where: str, *, missing_key: bool = False) -> None:
        super().__init__(where)
        self.missing_key = missing_key


def _aad(context: str) -> bytes:
    return context.encode("utf-8")


class StoreCipher:
    """The store's keys: `keys` (key id -> 32 bytes) and the `current` id new values use."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise StoreKeyError("Gatewayens databasenøgle mangler sin aktuelle nøgle")
        for kid, key in keys.items():
            if not kid or len(kid.encode()) > 64 or len(key) != KEY_BYTES:
                raise StoreKeyError("Gatewayens databasenøgle er ugyldig (forventer 32 byte)")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current
        self._kid = current.encode()

    def __repr__(self) -> str:  # never the key
        return f"StoreCipher(current={self.current!r}, keys={sorted(self._aead)!r})"

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aead)

    # -- small values --

    def seal(self, data: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(12)
        sealed = self._aead[self.current].encrypt(nonce, data, _aad(context))
        return bytes([len(self._kid)]) + self._kid + nonce + sealed

    def open(self, blob: bytes, context: str) -> bytes:
        try:
            n = blob[0]
            kid = blob[1 : 1 + n].decode()
            nonce = blob[1 + n : 13 + n]
            if kid not in self._aead and re.fullmatch(r"k[0-9a-f]{8}", kid):
                raise DecryptError(context.split(":", 1)[0], missing_key=True)
            aead = self._aead[kid]
            return aead.decrypt(nonce, blob[13 + n :], _aad(context))
        except (IndexError, UnicodeDecodeError, KeyError, InvalidTag, ValueError) as exc:
            raise DecryptError(context.split(":", 1)[0]) from exc

    def seal_text(self, value: str | None, context: str) -> str | None:
        if value is None:
            return None
        raw = self.seal(value.encode("utf-8"), context)
        return _TEXT_PREFIX + base64.b64encode(raw).decode("ascii")

    def open_text(self, value: str | None, context: str) -> str | None:
        if value is None:
            return None
        if not value.startswith(_TEXT_PREFIX):
            raise DecryptError(context.split(":", 1)[0])
        try:
            raw = base64.b64decode(value[len(_TEXT_PREFIX) :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError(context.split(":", 1)[0]) from exc
        return self.open(raw, context).decode("utf-8")

    def check_value(self, kid: str) -> str:
        """The sealed constant the database keeps for key `kid` (tells a wrong key at start)."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead[kid].encrypt(nonce, _CHECK_PLAIN, _aad(f"gw_store_keys:{kid}"))
        return base64.b64encode(nonce + sealed).decode("ascii")

    def verify(self, kid: str, check: str) -> bool:
        aead = self._aead.get(kid)
        if aead is None:
            return False
        try:
            raw = base64.b64decode(check, validate=True)
            return aead.decrypt(raw[:12], raw[12:], _aad(f"gw_store_keys:{kid}")) == _CHECK_PLAIN
        except (binascii.Error, ValueError, InvalidTag):
            return False

    # -- MeMo blobs (chunked, streamable) --

    def blob_header(self) -> tuple[bytes, bytes]:
        """(header, nonce prefix) of a new blob sealed with the current key."""
        prefix = secrets.token_bytes(_PREFIX_BYTES)
        return _BLOB_MAGIC + bytes([len(self._kid)]) + self._kid + prefix, prefix

    def blob_size(self, size: int) -> int:
        """Bytes of a sealed blob holding `size` plaintext bytes (the zeroblob to allocate)."""
        chunks = max(1, -(-size // CHUNK))
        return len(_BLOB_MAGIC) + 1 + len(self._kid) + _PREFIX_BYTES + size + chunks * TAG

    def seal_chunks(self, pieces: Iterable[bytes], size: int, context: str) -> Iterator[bytes]:
        """The sealed blob of `size` plaintext bytes given as `pieces` of exactly CHUNK bytes
        (the last shorter; one empty piece for an empty message), header first."""
        header, prefix = self.blob_header()
        yield header
        aead, aad = self._aead[self.current], _aad(context)
        last = max(1, -(-size // CHUNK)) - 1
        for i, piece in enumerate(pieces):
            nonce = prefix + struct.pack(">I", i) + (b"\x01" if i == last else b"\x00")
            yield aead.encrypt(nonce, piece, aad)

    def seal_blob(self, data: bytes, context: str) -> bytes:
        view = memoryview(data)
        pieces = (bytes(view[i : i + CHUNK]) for i in range(0, max(1, len(view)), CHUNK))
        return b"".join(self.seal_chunks(pieces, len(data), context))

    def open_chunks(
        self, read: Callable[[int, int], bytes], size: int, context: str, *, group: int = 1
    ) -> Iterator[bytes]:
        """Plaintext chunks of a sealed blob of `size` plaintext bytes; `read(offset, n)` reads
        the stored blob (fewer bytes at its end). `group`: chunks fetched per read."""
        where = context.split(":", 1)[0]
        head = read(0, len(_BLOB_MAGIC) + 1)
        if len(head) < 5 or head[:4] != _BLOB_MAGIC:
            raise DecryptError(where)
        n = head[4]
        rest = read(5, n + _PREFIX_BYTES)
        try:
            aead = self._aead[rest[:n].decode()]
        except KeyError as exc:
            raise DecryptError(where, missing_key=True) from exc
        except UnicodeDecodeError as exc:
            raise DecryptError(where) from exc
        prefix = rest[n : n + _PREFIX_BYTES]
        offset = 5 + n + _PREFIX_BYTES
        total = max(1, -(-size // CHUNK))
        aad = _aad(context)
        i = 0
        while i < total:
            take = min(group, total - i)
            raw = read(offset, take * (CHUNK + TAG))
            offset += len(raw)
            for j in range(take):
                piece = raw[j * (CHUNK + TAG) : (j + 1) * (CHUNK + TAG)]
                nonce = prefix + struct.pack(">I", i) + (b"\x01" if i == total - 1 else b"\x00")
                try:
                    yield aead.decrypt(nonce, piece, aad)
                except (InvalidTag, ValueError) as exc:
                    raise DecryptError(where) from exc
                i += 1

    def open_blob(self, blob: bytes, size: int, context: str) -> bytes:
        view = memoryview(blob)
        return b"".join(self.open_chunks(lambda off, n: bytes(view[off : off + n]), size, context))


# --------------------------------------------------------------------------- key files


def parse_key_text(text: str, source: str = KEY_FILE) -> StoreCipher:
    keys: dict[str, bytes] = {}
    current: str | None = None
    for raw_line in text.splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        kid, sep, b64 = line.partition(":")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not sep or not kid.strip() or len(key) != KEY_BYTES:
            raise StoreKeyError(
                f"Databasenøglen {source} er ugyldig: hver linje skal være <id>:<32 byte base64>"
            )
        keys[kid.strip()] = key
        current = current or kid.strip()
    if current is None:
        raise StoreKeyError(f"Databasenøglen {source} er tom")
    return StoreCipher(keys, current)


def new_key_line() -> str:
    kid = "k" + secrets.token_hex(4)
    return f"{kid}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}\n"


def read_key_file(path: Path) -> StoreCipher:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreKeyError(f"Databasenøglen {path} kan ikke læses") from exc
    return parse_key_text(text, str(path))


def create_key_file(path: Path) -> StoreCipher:
    """A new key in a 0600 file (O_EXCL: two processes starting at once share the first one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
    except FileExistsError:
        return read_key_file(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new_key_line())
        fh.flush()
        os.fsync(fh.fileno())
    return read_key_file(path)


def local_key_file(db_url: str, data_folder: Path) -> Path:
    """Where the sandbox / development gateway keeps its generated key: beside a SQLite file,
    else in the gateway's data folder (PostgreSQL)."""
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[-1]
        if path and path != ":memory:":
            return Path(path).resolve().parent / KEY_FILE
    return data_folder / KEY_FILE


def load_local_key(path: Path) -> StoreCipher:
    """The key in `path`, created (0600) when absent; a file others may read is refused."""
    if not path.exists():
        return create_key_file(path)
    if os.name == "posix":
        st = path.stat()
        if stat.S_IMODE(st.st_mode) & 0o077 or st.st_uid != os.geteuid():
            raise StoreKeyError(
                f"Databasenøglen {path} kan læses af andre end tjenesten; ret det med: "
                f"chmod 600 {path}"
            )
    return read_key_file(path)


__all__ = (
    "CHUNK",
    "KEY_FILE",
    "DecryptError",
    "StoreCipher",
    "StoreKeyError",
    "create_key_file",
    "load_local_key",
    "local_key_file",
    "new_key_line",
    "parse_key_text",
    "read_key_file",
)
