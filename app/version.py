"""Which Postfordeler this is: the package version, the build date and the commit.

A frozen build (PyInstaller) carries `app/build_info.json`, written by
`scripts/build_installer.sh` before it freezes; from a source checkout the commit is read from
git and the build date is empty. The client and the gateway compare versions with
`compatible` (the gateway names the lowest client version it accepts on `/health`).
Never touches the network.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app import __version__

BUILD_INFO = Path(__file__).resolve().parent / "build_info.json"
# The lowest client version the gateway of this release serves (raise it with a breaking
# change of the mailbox or decision contract).
MIN_CLIENT_VERSION = "0.1.0"


@dataclass(frozen=True)
class BuildInfo:
    version: str
    build_date: str  # ISO date of the frozen build; "" when run from source
    commit: str  # short commit hash; "" when unknown

    def line(self) -> str:
        """`postfordeler 0.1.0 (bygget 2026-12-02, commit abc1234)`."""
        built = self.build_date or "kildekode"
        return f"postfordeler {self.version} (bygget {built}, commit {self.commit or 'ukendt'})"


def _git_commit() -> str:
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return ""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


@cache
def build_info() -> BuildInfo:
    try:
        data = json.loads(BUILD_INFO.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return BuildInfo(__version__, "", _git_commit())
    return BuildInfo(
        str(data.get("version") or __version__),
        str(data.get("build_date") or ""),
        str(data.get("commit") or ""),
    )


def parse(version: str) -> tuple[int, ...]:
    """`"1.2.3"` → (1, 2, 3); a suffix after the numbers (`1.2.3rc1`, `1.2.3+g1a2b`) is dropped."""
    out = []
    for part in version.strip().split("+", 1)[0].split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        out.append(int(digits))
    if not out:
        raise ValueError(f"not a version: {version!r}")
    return tuple(out)


def compatible(client: str, min_client: str) -> bool:
    """The client is at least the lowest version the gateway accepts."""
    return parse(client) >= parse(min_client)
