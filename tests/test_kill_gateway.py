"""SIGKILL the real gateway process (`postfordeler gateway serve`) at random moments while
pushers send MeMo messages to EP_FS1; restart it on the same port and database; redeliver what got
no answer; meanwhile decisions are posted to the gateway (retried with the same decision_id when
unanswered). Invariants: every accepted message stored exactly once (byte-exact), nothing stored
that was never sent, nothing stored that was rejected; every decision stored exactly once.
Trials: $POSTFORDELER_KILL_TRIALS (default 5)."""

from __future__ import annotations

import os

import pytest

from tests.kill_gateway import run_kill_gateway


@pytest.mark.slow
def test_gateway_survives_sigkill_without_loss_or_duplicates(tmp_path):
    trials = int(os.environ.get("POSTFORDELER_KILL_TRIALS", "5"))
    report = run_kill_gateway(trials, tmp_path)
    assert report.trials == trials
    assert report.accepted > 0 and report.rejected > 0  # both kinds of answer were exercised
    assert report.redelivered > 0  # kills really cut calls off
    assert report.violations == 0, report.details[:20]
    assert report.stored == report.accepted
    assert report.decided > 0
