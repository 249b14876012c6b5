"""Where Postfordeler keeps its state.

All state lives under one data directory: `--data-dir`, else `$POSTFORDELER_DATA_DIR`, else the
platform's user data dir. Tests and parallel instances pass their own so they never share files.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_DATA_DIR = "POSTFORDELER_DATA_DIR"
_override: Path | None = None


def set_data_dir(path: str | os.PathLike[str] | None) -> None:
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def data_dir() -> Path:
    if _override is not None:
        base = _override
    elif os.environ.get(ENV_DATA_DIR):
        base = Path(os.environ[ENV_DATA_DIR]).expanduser().resolve()
    else:
        base = Path(platformdirs.user_data_dir("Postfordeler", "Postfordeler"))
    base.mkdir(parents=True, exist_ok=True)
    return base


def sub(*parts: str) -> Path:
    """A sub-folder of the data dir, created on demand."""
    path = data_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def client_db_path() -> Path:
    return sub("client") / "cache.sqlite3"


def gateway_db_url() -> str:
    return f"sqlite:///{sub('gateway') / 'gateway.sqlite3'}"
