"""Start-up of the desktop app to its first window, from source and from the frozen build
(`frozen_startup`; the demo day's start-up figures are bench_startup.py).

- `first_window_s`: `python -m app` (the keyring-less demo, offscreen) from process start until
  the main window is shown and painted (`POSTFORDELER_EXIT_AFTER_FIRST_WINDOW`);
- `first_window_frozen_s`: the same for `dist/postfordeler/postfordeler` when it has been built
  (`scripts/build_installer.sh`); absent otherwise.
Goal: the frozen build starts no slower than from source. Each run uses its own data dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FROZEN = ROOT / "dist" / "postfordeler" / "postfordeler"


def _first_window(cmd: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            POSTFORDELER_EXIT_AFTER_FIRST_WINDOW="1",
            POSTFORDELER_DATA_DIR=tmp,
            PYTHONPATH=str(ROOT),
        )
        out = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=300, check=True, cwd=ROOT
        ).stdout
    line = next(x for x in out.splitlines() if "first_window_s" in x)
    return float(json.loads(line)["first_window_s"])


def bench_startup() -> dict[str, float]:
    figures = {"first_window_s": _first_window([sys.executable, "-m", "app"])}
    if FROZEN.exists():
        figures["first_window_frozen_s"] = _first_window([str(FROZEN)])
    return figures


BENCHMARKS = {"frozen_startup": bench_startup}
