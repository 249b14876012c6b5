"""Streaming size + sha256 of a file (used for big MeMo messages on both sides of the mailbox)."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def file_size_sha256(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file, read 1 MB at a time."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as fh:
        while piece := fh.read(CHUNK):
            digest.update(piece)
            size += len(piece)
    return size, digest.hexdigest()
