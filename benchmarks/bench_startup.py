"""Start-up (issue 12 point 11): `first_window_s`, `first_rows_s` (a fresh data folder, the
demo; goals < 1.5 s and < 2.5 s) and `relaunch_rows_s` (the same folder again; goal < 1 s).

Each figure is measured from process start: the benchmark notes the wall-clock time, starts
`python -m app` offscreen with `$POSTFORDELER_STARTUP_TRACE` set (the app prints when its
window is shown and when the first inbox rows are on screen, then closes), and subtracts.
The demo needs a keyring that outlives the process for the relaunch to find its cache: the
children share the tests' in-memory keyring (tests/keyring_backend.py; never a file, never the
shell's). Bytecode is compiled once into a private cache before the runs (an installed or
frozen app has its bytecode; this machine sets PYTHONDONTWRITEBYTECODE). The milestones in
between (`main`, `loop`, `sandbox`, `runtime`) are reported too, from the last fresh run.
Several runs; the median is reported, plus the worst run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RUNS = 3
TIMEOUT = 120.0


def _launch(env: dict[str, str]) -> dict[str, float]:
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    events = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "startup":
            events[parts[1]] = float(parts[2]) - started
    if "first_rows" not in events:
        raise RuntimeError(f"the app printed no first rows (exit {proc.returncode})")
    return events


def run_benchmark() -> dict:
    sys.path.insert(0, str(REPO))
    from tests.keyring_backend import shared_keyring

    first_window, first_rows, relaunch = [], [], []
    fresh: dict[str, float] = {}
    pycache = Path(tempfile.mkdtemp(prefix="pf-startup-pyc-"))
    with shared_keyring():
        base = dict(os.environ)
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        base.update(
            {
                "QT_QPA_PLATFORM": "offscreen",
                "POSTFORDELER_STARTUP_TRACE": "1",
                "PYTHONPYCACHEPREFIX": str(pycache),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), base.get("PYTHONPATH")])),
            }
        )
        subprocess.run(  # the bytecode an installed app has
            [sys.executable, "-c", "import app.ui.app, app.sandbox.runner, app.ui.cli"],
            cwd=REPO,
            env=base,
            check=True,
            timeout=TIMEOUT,
        )
        for _ in range(RUNS):
            home = Path(tempfile.mkdtemp(prefix="pf-startup-"))
            try:
                env = dict(base)
                env.update(
                    {
                        "POSTFORDELER_DATA_DIR": str(home / "data"),
                        "HOME": str(home),
                        "XDG_DATA_HOME": str(home / "share"),
                        "XDG_CONFIG_HOME": str(home / "config"),
                    }
                )
                fresh = _launch(env)
                first_window.append(fresh["first_window"])
                first_rows.append(fresh["first_rows"])
                relaunch.append(_launch(env)["first_rows"])
            finally:
                shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(pycache, ignore_errors=True)
    milestones = {
        f"startup_{name}_s": round(fresh[name], 2)
        for name in ("main", "loop", "sandbox", "runtime")
        if name in fresh
    }
    return {
        **milestones,
        "first_window_s": round(statistics.median(first_window), 2),
        "first_window_max_s": round(max(first_window), 2),
        "first_rows_s": round(statistics.median(first_rows), 2),
        "first_rows_max_s": round(max(first_rows), 2),
        "relaunch_rows_s": round(statistics.median(relaunch), 2),
        "relaunch_rows_max_s": round(max(relaunch), 2),
        "startup_goals": "first_window_s < 1.5, first_rows_s < 2.5, relaunch_rows_s < 1",
    }


BENCHMARKS = {"startup": run_benchmark}

if __name__ == "__main__":
    print(run_benchmark())
