"""Locate files shipped in `resources/` (source checkout, editable install or PyInstaller bundle).

Never returns a path derived from message content.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"resource missing: {'/'.join(parts)} (looked in {resources_dir()})"
        )
    return path
