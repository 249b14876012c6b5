"""Crash safety of the receiving gateway under SIGKILL (issue 3 item 1, gateway part).

Runs the kill harness of tests/kill_gateway.py: `postfordeler gateway serve` as a subprocess,
SIGKILLed at random moments and restarted on the same port/database while pushers send and
redeliver; then every stored item is checked through `MailboxClient`.
Figures: `kill_gateway_trials`, `kill_gateway_violations` (goal 0), messages sent/accepted.
Trials: $POSTFORDELER_KILL_TRIALS, at least 50.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def bench_kill_gateway() -> dict[str, float | int]:
    from tests.kill_gateway import run_kill_gateway

    trials = max(50, int(os.environ.get("POSTFORDELER_KILL_TRIALS", "50")))
    with tempfile.TemporaryDirectory(prefix="pf-kill-") as tmp:
        report = run_kill_gateway(trials, Path(tmp))
    for line in report.details[:20]:
        print("violation:", line, file=sys.stderr)
    return {
        "kill_gateway_trials": report.trials,
        "kill_gateway_violations": report.violations,
        "kill_gateway_sent": report.sent,
        "kill_gateway_accepted": report.accepted,
        "kill_gateway_rejected": report.rejected,
        "kill_gateway_redeliveries": report.redelivered,
    }


BENCHMARKS = {"kill_gateway": bench_kill_gateway}
