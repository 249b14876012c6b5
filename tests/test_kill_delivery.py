"""SIGKILL the gateway's delivery worker while it uploads a file by SFTP, between the upload and
the SOAP call, and at random moments; restart it (a new node, after the dead node's lease).
Invariants: every decision delivered, each DistributionObject received by SF2900 exactly once,
one DOKUMENT per file naming the uploaded file with the message file's bytes, nothing else on
the SFTP server, no temporary or spool copies left. Trials: $POSTFORDELER_KILL_TRIALS
(default 8)."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.kill_delivery import run_kill_delivery, run_kill_receipts


@pytest.mark.slow
# A SIGKILLed worker leaves the sandbox's SF2900 writing to a peer that is gone: asyncio says so
# once per dropped connection. That is the killing, not a fault.
@pytest.mark.expect_log("asyncio", r"socket\.send\(\) raised exception")
@pytest.mark.expect_log("postfordeler", "")  # the sandbox logs duplicates and leftovers
def test_delivery_worker_survives_sigkill_without_loss_or_duplicates(tmp_path):
    trials = int(os.environ.get("POSTFORDELER_KILL_TRIALS", "8"))
    report = asyncio.run(run_kill_delivery(trials, tmp_path, seed=9))
    assert report.violations == 0, report.details[:20]
    assert report.kills.get("upload", 0) >= 1, report  # a kill landed mid-upload
    assert report.kills.get("between", 0) >= 1, report  # and between upload and SOAP call
    assert report.received == report.parts > report.decisions
    assert report.resent >= 1  # a re-sent object was answered DUPLIKAT and counted once


@pytest.mark.slow
# A SIGKILLed worker leaves the sandbox's SF2900 writing to a peer that is gone: asyncio says so
# once per dropped connection. That is the killing, not a fault.
@pytest.mark.expect_log("asyncio", r"socket\.send\(\) raised exception")
def test_business_receipts_survive_sigkill_applied_once(tmp_path):
    """SIGKILL while receipts are applied (each sent twice, all re-sent after every restart):
    every receipt stored once, every decision in the state its receipts give, an AFVIST's
    return to the distributors' queue recorded once."""
    trials = int(os.environ.get("POSTFORDELER_KILL_TRIALS", "8"))
    report = run_kill_receipts(trials, tmp_path, seed=9)
    assert report.violations == 0, report.details[:20]
    assert report.kills >= 1, report
