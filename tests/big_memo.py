"""Make a big, valid MeMo message on disk (tests and benchmarks of the big-message path).

A corpus message with a PDF attachment is taken as the frame; its PDF content is replaced by a
generated "PDF-ish" payload (a PDF header, then seeded pseudo-random bytes) written as base64
straight to the file, so the generating process never holds the message in memory. Synthetic
data only; the messageUUID is a fresh v4 UUID each time.
"""

from __future__ import annotations

import base64
import random
import re
import uuid
from pathlib import Path

from tests.conftest import MESSAGES

DEFAULT_TOTAL = 99_000_000  # bytes of MeMo XML: just under Digital Post's 99.5 MB
_RAW_CHUNK = 3 * (1 << 20)  # a multiple of 3: each chunk's base64 has no padding
_UUID_RE = re.compile(rb"(<memo:messageUUID>)([^<]+)(</memo:messageUUID>)")


def _frame() -> tuple[bytes, bytes]:
    """(head, tail) of a corpus message around the base64 text of its PDF attachment."""
    for path in sorted(MESSAGES.glob("*.xml")):
        data = path.read_bytes()
        at = data.find(b"<memo:encodingFormat>application/pdf<")
        if at < 0:
            continue
        start = data.index(b"<memo:content>", at) + len(b"<memo:content>")
        end = data.index(b"</memo:content>", start)
        return data[:start], data[end:]
    raise RuntimeError("no corpus message with a PDF attachment")


def make_big_memo(dest: Path, total: int = DEFAULT_TOTAL, *, seed: int = 1606) -> tuple[str, int]:
    """Write a valid MeMo of about `total` bytes to `dest`; returns (messageUUID, size)."""
    head, tail = _frame()
    message_uuid = str(uuid.uuid4())
    head = _UUID_RE.sub(lambda m: m.group(1) + message_uuid.encode() + m.group(3), head, count=1)
    raw_size = (total - len(head) - len(tail)) * 3 // 4
    raw_size -= raw_size % 3
    rng = random.Random(seed)
    written = 0
    with dest.open("wb") as fh:
        fh.write(head)
        first = True
        while written < raw_size:
            n = min(_RAW_CHUNK, raw_size - written)
            chunk = rng.randbytes(n)
            if first:
                magic = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
                chunk = magic + chunk[len(magic) :]
                first = False
            fh.write(base64.b64encode(chunk))
            written += n
        fh.write(tail)
    return message_uuid, dest.stat().st_size
