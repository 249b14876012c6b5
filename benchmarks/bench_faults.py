"""Fault injection until convergence (issue 3 item 2): every remote party × fault kind.

Runs the scenarios of tests/test_faults.py (real sandbox on loopback, real `ClientServices`,
shrunk timeouts/backoff, the gateway's delivery worker too): a fault window while traffic flows,
then the fault is cleared and the time until everything has converged is measured (mailbox
faults: every message synced once by the client; SF2900/DUBU faults, met by the gateway's
delivery worker: every decision `sendt`/`accepteret` at the gateway and in the client's cache,
one SF2900 object per AnvenderTransaktionsID). Business rejections (AFVIST/FEJLET) count as
"not retried" when SF2900 saw exactly one call per object.

Figures: `faults_runs`, `faults_converged`, `faults_violations`, `faults_max_converge_s`,
`faults_business_rejections_not_retried`, per scenario `fault_<party>_<kind>_converge_s` and
`fault_<party>_<kind>_attempts` (attempts the faulted server saw during the fault window: the
client's syncer for the mailbox, the gateway worker for SF2900/DUBU).
Rounds: $POSTFORDELER_FAULT_ROUNDS (default 1) runs of every scenario.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def bench_faults() -> dict[str, float | int]:
    from tests.test_faults import BUSINESS, SCENARIOS, run_scenario

    rounds = max(1, int(os.environ.get("POSTFORDELER_FAULT_ROUNDS", "1")))
    figures: dict[str, float | int] = {}
    runs = converged = violations = not_retried = 0
    worst = 0.0
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # injected faults log expected errors
    old_data = os.environ.get("POSTFORDELER_DATA_DIR")
    try:
        with tempfile.TemporaryDirectory(prefix="pf-faults-") as tmp:
            os.environ["POSTFORDELER_DATA_DIR"] = str(Path(tmp) / "data")
            for r in range(rounds):
                for party, kind in SCENARIOS:
                    res = asyncio.run(run_scenario(party, kind, Path(tmp) / f"{r}-{party}-{kind}"))
                    runs += 1
                    converged += int(res.converged)
                    violations += len(res.violations)
                    for v in res.violations[:5]:
                        print(f"violation {res.name}: {v}", file=sys.stderr)
                    if kind in BUSINESS and res.not_retried:
                        not_retried += 1
                    key = f"fault_{party}_{kind}"
                    if not math.isnan(res.converge_s):
                        worst = max(worst, res.converge_s)
                        figures[f"{key}_converge_s"] = round(
                            max(res.converge_s, float(figures.get(f"{key}_converge_s", 0.0))), 3
                        )
                    figures[f"{key}_attempts"] = max(
                        res.attempts, int(figures.get(f"{key}_attempts", 0))
                    )
    finally:
        quiet.setLevel(level)
        if old_data is None:
            os.environ.pop("POSTFORDELER_DATA_DIR", None)
        else:
            os.environ["POSTFORDELER_DATA_DIR"] = old_data
    return {
        "faults_runs": runs,
        "faults_converged": converged,
        "faults_violations": violations,
        "faults_max_converge_s": round(worst, 3),
        "faults_business_rejections_not_retried": not_retried,
        **figures,
    }


BENCHMARKS = {"faults": bench_faults}
