"""The installation self-test passes on a complete checkout and reports each check."""

import subprocess
import sys


def test_self_test_passes(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name in ("ressourcer", "memo", "cache", "sf2900", "qt"):
        assert any(line.startswith("OK") and name in line for line in lines), proc.stdout
    assert "FordelingsobjektAfsend" in proc.stdout
