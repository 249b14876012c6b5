"""The suite's log-warning check (tests/conftest.py): an unexpected WARNING+ record fails the
test, from our loggers, third-party ones and worker threads alike; the marker, the fixture and
caplog at WARNING are the only ways to expect one. Runs a sample test file in a fresh pytest."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

SAMPLE = """
import logging
import threading

import pytest

log = logging.getLogger("postfordeler.sample")


def test_unexpected():
    log.warning("surprise")


def test_third_party():
    logging.getLogger("urllib3.connectionpool").warning("a library warns")


def test_from_a_thread():
    worker = threading.Thread(target=lambda: log.error("in a worker"))
    worker.start()
    worker.join()


def test_caplog_at_debug_does_not_hide(caplog):
    caplog.set_level(logging.DEBUG)
    log.warning("still unexpected")


@pytest.mark.expect_log("postfordeler.sample", "^expected")
def test_marked_one_passes_but_not_another():
    log.warning("expected, and said so")
    log.warning("but not this one")


@pytest.mark.expect_log("postfordeler.sample", "^expected")
def test_marked():
    log.warning("expected, and said so")


@pytest.mark.expect_log("postfordeler", "retry", logging.ERROR)
def test_marked_level_is_a_minimum():
    log.warning("retry soon")


def test_fixture(expect_log):
    expect_log("postfordeler", "sure")
    log.error("sure thing")


def test_caplog_at_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="postfordeler"):
        log.warning("checked here")
    assert "checked here" in caplog.text


def test_info_is_fine():
    log.info("nothing to see")
"""

FAILING = {
    "test_unexpected",
    "test_third_party",
    "test_from_a_thread",
    "test_caplog_at_debug_does_not_hide",
    "test_marked_one_passes_but_not_another",
    "test_marked_level_is_a_minimum",
}
PASSING = {"test_marked", "test_fixture", "test_caplog_at_warning", "test_info_is_fine"}


def test_unexpected_warnings_fail_and_expected_ones_do_not(tmp_path):
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "POSTFORDELER_NO_PG": "1", "COLUMNS": "300"}
    args = ["-p", "tests.conftest", "-p", "no:cacheprovider", "-q", "-rA", "test_sample.py"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout
    for name in FAILING:
        assert f"ERROR test_sample.py::{name} - Failed: unexpected log warnings" in out, out
    for name in PASSING:
        assert f"PASSED test_sample.py::{name}" in out, out
        assert f"ERROR test_sample.py::{name} " not in out, out
    assert f"{len(PASSING) + len(FAILING)} passed, {len(FAILING)} errors" in out, out
    assert "WARNING postfordeler.sample: but not this one" in out, out
