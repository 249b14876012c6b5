"""A throwaway PostgreSQL server for the team-mode tests.

`pytest` starts one per session when `POSTFORDELER_TEST_PG_URL` is unset and the PostgreSQL
server binaries are installed (Debian `postgresql`), and exports the URL for the tests marked
`postgres`. As root, initdb must run as another user: the cluster runs as `postgres`.
Without the binaries, those tests are skipped with a reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.dir: Path | None = None
        self.port = 0
        self._as: list[str] = []

    @property
    def available(self) -> bool:
        return self.bindir is not None

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *cmd], check=True, capture_output=True, text=True)

    def start(self) -> str:
        assert self.bindir is not None
        self.dir = Path(tempfile.mkdtemp(prefix="postfordeler-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        self.port = _free_port()
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c max_connections=200",
            "start",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [
                    *self._as,
                    str(self.bindir / "pg_isready"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                ],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        self._run(
            str(self.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "postfordeler_test",
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postfordeler_test"

    def stop(self) -> None:
        if self.dir is None or self.bindir is None:
            return
        subprocess.run(
            [
                *self._as,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
