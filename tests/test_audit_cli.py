"""`postfordeler audit` and `postfordeler retention purge` as a user runs them: a real process
with `--data-dir`, the real cache file and the (test) keyring the child shares with us."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app import paths
from app.core.audit import AccessLog, subject_key
from app.core.audit_cli import register
from app.models.db import open_cache, raw_connect
from tests.conftest import REPO
from tests.test_retention import add_item, count

CPR_A = "0703145123"
CPR_B = "1512089876"

# Runs app.cli.main with this area's commands (added here until app/cli.py lists the module).
_RUNNER = (
    "import sys; from app import cli\n"
    "if 'app.core.audit_cli' not in cli.COMMAND_MODULES:\n"
    "    cli.COMMAND_MODULES = (*cli.COMMAND_MODULES, 'app.core.audit_cli')\n"
    "sys.exit(cli.main(sys.argv[1:]))\n"
)


def run(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, "--data-dir", str(data_dir), *args],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_register_builds_the_commands():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["audit", "--cpr", "070314-5123", "--json"])
    assert args.cpr == "070314-5123" and args.json and callable(args.func)
    args = parser.parse_args(["retention", "purge", "--days", "7", "--dry-run"])
    assert (args.days, args.dry_run, args.log_days) == (7, True, None) and callable(args.func)


def test_audit_cli_prints_the_citizens_entries_and_logs_the_lookup(tmp_path):
    data = tmp_path / "cli-data"
    paths.set_data_dir(data)
    db = open_cache()
    log = AccessLog.open(db, user="anna")
    log.view_item(7, [CPR_A, CPR_B])
    log.open_file(7, 1, [CPR_A])
    log.view_item(8, [CPR_B])
    db.engine.dispose()
    paths.set_data_dir(None)

    proc = run(data, "audit", "--cpr", f"{CPR_A[:6]}-{CPR_A[6:]}", "--json", "--user", "revisor")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["cpr"] == "070314-5123"
    assert [(e["action"], e["user"], e["item_id"], e["purpose"]) for e in out["entries"]] == [
        ("view_item", "anna", 7, "fordeling"),
        ("open_file", "anna", 7, "fordeling"),
        ("search_cpr", "revisor", None, "indsigt"),  # the indsigt look-up itself is logged
    ]
    assert out["count"] == 3
    assert datetime.fromisoformat(out["entries"][0]["at"]).tzinfo is not None

    # Human-readable form; the second look-up shows the first one.
    proc = run(data, "audit", "--cpr", CPR_A, "--user", "revisor")
    assert proc.returncode == 0, proc.stderr
    assert "070314-5123: 4 registrerede opslag" in proc.stdout
    assert "Åbnede bilag" in proc.stdout and "formål: indsigt" in proc.stdout

    # The other citizen sees only their own rows; the file holds no CPR in clear.
    proc = run(data, "audit", "--cpr", CPR_B, "--json")
    assert [(e["action"], e["item_id"]) for e in json.loads(proc.stdout)["entries"]] == [
        ("view_item", 7),
        ("view_item", 8),
        ("search_cpr", None),
    ]
    db_file = data / "client" / "cache.sqlite3"
    blob = b"".join(p.read_bytes() for p in db_file.parent.glob("cache.sqlite3*"))
    assert CPR_A.encode() not in blob and CPR_B.encode() not in blob
    key = AccessLog.open(open_cache(db_file), user="x")._key
    # The cache file is encrypted (SQLCipher): not even the keyed subject hash is in clear,
    # but it is what the decrypted access_log holds.
    assert subject_key(CPR_A, key).encode() not in blob
    with raw_connect(db_file) as con:
        stored = {r[0] for r in con.execute("SELECT subject_key FROM access_log")}
    assert subject_key(CPR_A, key) in stored
    for logfile in (data / "logs").glob("*.log*"):
        text = logfile.read_text(encoding="utf-8")
        assert CPR_A not in text and "070314-5123" not in text


def test_audit_cli_errors(tmp_path):
    data = tmp_path / "d"
    proc = run(data, "audit", "--cpr", "12345")
    assert proc.returncode == 2 and "10 cifre" in proc.stderr
    proc = run(
        data,
        "audit",
        "--cpr",
        CPR_A,
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert proc.returncode == 3, proc.stderr
    assert "nøglering" in proc.stderr
    assert CPR_A not in proc.stderr


def test_retention_cli_dry_run_then_purge(tmp_path):
    data = tmp_path / "r"
    paths.set_data_dir(data)
    db = open_cache()
    now = datetime.now(UTC)
    days_ago = (datetime(2026, 11, 20, 9, 0, tzinfo=UTC) - now).total_seconds() / 86400
    # add_item counts days back from the test module's fixed NOW; shift to real time.
    old = [
        add_item(
            db,
            status="journaliseret",
            decided_days_ago=days_ago + 40,
            received_days_ago=days_ago + 41,
        )
        for _ in range(2)
    ]
    recent = add_item(
        db, status="fordelt", decided_days_ago=days_ago + 3, received_days_ago=days_ago + 4
    )
    waiting = add_item(
        db,
        status="journaliseret",
        decided_days_ago=days_ago + 90,
        received_days_ago=days_ago + 91,
        outbox="pending",
    )
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO access_log(at, user, action, purpose) VALUES (?, 'u', 'view_item', 'fordeling')",
            ((now - timedelta(days=2000)).replace(tzinfo=None).isoformat(sep=" "),),
        )
    db.engine.dispose()
    paths.set_data_dir(None)

    proc = run(data, "retention", "purge", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "items": 2,
        "blobs": 2,
        "log_rows": 1,
        "files": 4,
        "dry_run": True,
    }

    proc = run(data, "retention", "purge", "--days", "2")
    assert proc.returncode == 0, proc.stderr
    assert "Elementer slettet: 3" in proc.stdout and "adgangslog-rækker slettet: 1" in proc.stdout

    db = open_cache(data / "client" / "cache.sqlite3")
    with db.engine.connect() as conn:
        remaining = set(conn.exec_driver_sql("SELECT id FROM items").scalars())
    assert remaining == {waiting} and not set(old) & remaining and recent not in remaining
    assert count(db, "items_fts") == 1 and count(db, "access_log") == 0
    db.engine.dispose()

    proc = run(data, "retention", "purge", "--days", "-1")
    assert proc.returncode == 2
