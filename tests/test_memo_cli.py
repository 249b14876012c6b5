"""`postfordeler memo check` as a real subprocess: output lines, JSON fields, exit codes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys

from app.cli import build_parser
from tests.conftest import MESSAGES, REPO, SPEC_EXAMPLES
from tests.hostile import make_hostile as H


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "memo", "check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
        env=dict(os.environ),
    )


def test_json_all_valid_exit_0():
    files = [*sorted(MESSAGES.glob("*.xml"))[:5], SPEC_EXAMPLES / "MeMo_with_attachment.xml"]
    proc = run("--json", *map(str, files))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    for path, line in zip(files, lines, strict=True):
        obj = json.loads(line)
        assert obj["file"] == str(path)
        assert obj["ok"] is True and obj["error"] is None
        assert obj["version"] in ("1.1", "1.2")
        assert obj["kind"] in ("retursvar", "nyhenvendelse", "videresendt")
        assert obj["message_uuid"] and obj["label"] and obj["sender"]
        assert obj["documents"]
        for doc in obj["documents"]:
            assert set(doc) >= {"role", "filename", "safe_filename", "mime", "bytes", "sha256"}
    attach = json.loads(lines[-1])
    assert attach["message_uuid"] == "78212f5c-6d79-4012-8ed1-e2420243bd17"
    assert attach["sender"] == "Sender ID"
    assert [d["bytes"] for d in attach["documents"]] == [14, 14]
    assert attach["documents"][0]["sha256"] == hashlib.sha256(b"File content 1").hexdigest()
    assert attach["documents"][0]["role"] == "main"


def test_one_invalid_gives_exit_1_and_reason(tmp_path):
    good = min(MESSAGES.glob("*.xml"))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(H.message(label="x" * 257))
    proc = run("--json", str(good), str(bad), str(SPEC_EXAMPLES / "MeMo_NemSMS.xml"))
    assert proc.returncode == 1, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["ok"] for o in objs] == [True, False, False]
    assert objs[1]["file"] == str(bad)
    assert "skema" in objs[1]["error"] and "label" in objs[1]["error"]
    assert objs[1]["documents"] == [] and objs[1]["version"] is None
    assert objs[2]["code"] == "nemsms"


def test_human_output(tmp_path):
    good = min(MESSAGES.glob("*.xml"))
    missing = tmp_path / "missing.xml"
    proc = run(str(good), str(missing))
    assert proc.returncode == 1
    first, second = proc.stdout.splitlines()
    assert first.startswith(f"OK  {good}  ")
    version, _kind, uuid = first.split("  ", 2)[2].split(" ")
    assert version in ("1.1", "1.2") and uuid == good.stem.lower()
    assert second.startswith(f"FEJL {missing}  ")
    proc = run(str(good))
    assert proc.returncode == 0


def test_dangerous_filename_reported_safe(tmp_path):
    path = tmp_path / "evil.xml"
    path.write_bytes(
        H.message(filename="../../etc/passwd", content_b64=base64.b64encode(b"root").decode())
    )
    proc = run("--json", str(path))
    assert proc.returncode == 0, proc.stdout
    doc = json.loads(proc.stdout)["documents"][0]
    assert doc["filename"] == "../../etc/passwd"
    assert doc["safe_filename"] == "passwd.txt"
    assert doc["bytes"] == 4


def test_max_bytes_option(tmp_path):
    good = min(MESSAGES.glob("*.xml"))
    proc = run("--json", "--max-bytes", "100", str(good))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["code"] == "size"


def test_command_groups_without_subcommand_print_help_and_exit_2(capsys):
    parser = build_parser()
    for group, usage in (("memo", "memo"), ("outbox", "outbox"), ("retention", "retention")):
        args = parser.parse_args([group])
        assert args.func(args) == 2
        out = capsys.readouterr().out
        assert out.startswith("usage:") and usage in out.splitlines()[0]
