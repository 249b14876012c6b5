"""`postfordeler memo check --json` (a real subprocess) on hostile files: one JSON line per file
with the required outcome, never a hang (a FIFO as the file, or named by a DOCTYPE after 10 MB
of comment), and the traps untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.hostile import cases as C

PICKED = [
    "doctype_system_fifo",
    "doctype_after_10mb_comment",
    "entity_fifo_after_10mb_comment",
    "utf16le_no_bom_doctype",
    "utf8_bytes_declared_utf16",
    "general_entity_existing_file",
    "general_entity_missing_file",
    "version_spaces",
    "time_year_9999_end_of_day",
    "filename_cpr_plain",
    "xsi_schema_location_fifo",
    "legacy_control_chars",  # U+0085 in a file name must not split the JSON line
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    env = C.HostileEnv(tmp_path_factory.mktemp("cli-hostile"))
    cases = {c.name: c for c in C.all_cases()}
    files: list[tuple[str, Path]] = []
    for name in PICKED:
        path = env.folder / f"{name}.xml"
        path.write_bytes(cases[name].build(env))
        files.append((name, path))
    files.append(("the_fifo_itself", env.fifo.path))
    proc = subprocess.run(
        [sys.executable, "-m", "app", "memo", "check", "--json", *(str(p) for _, p in files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
        env=dict(os.environ),
    )
    touched = env.touched()
    env.close()
    return proc, files, cases, touched


def test_memo_check_json_on_hostile_files(run) -> None:
    proc, files, cases, touched = run
    assert touched == 0, "memo check opened the FIFO or connected to the network"
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == len(files)
    for (name, path), obj in zip(files, lines, strict=True):
        assert obj["file"] == str(path)
        if name == "the_fifo_itself":
            assert obj["ok"] is False and obj["code"] == "io"
            continue
        case = cases[name]
        if case.code is None:
            assert obj["ok"] is True, (name, obj["error"])
        else:
            assert obj["ok"] is False and obj["code"] == case.code, (name, obj)
            assert "\n" not in obj["error"] and str(path.parent) not in obj["error"]


def test_memo_check_reasons_do_not_tell_which_paths_exist(run) -> None:
    proc, files, _cases, _touched = run
    lines = proc.stdout.splitlines()
    by_name = {name: json.loads(line) for (name, _), line in zip(files, lines, strict=True)}
    existing = by_name["general_entity_existing_file"]["error"]
    assert existing == by_name["general_entity_missing_file"]["error"]
    assert existing == by_name["doctype_system_fifo"]["error"]
    shown = [d["safe_filename"] for d in by_name["filename_cpr_plain"]["documents"]]
    assert shown == ["Journal_010190-xxxx.pdf"]
