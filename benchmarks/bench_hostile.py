"""Hostile acceptance (issue 10): every case registered in tests/hostile (tests/hostile/cases.py,
the legacy corpus and any class another module registers) against `postfordeler memo check
--json` (one subprocess per case) and against a running gateway's EP_FS1 over mutual TLS with
the sandbox's Postkomponent certificate, while a poller times `/health` throughout.

A case passes when both give its required outcome (refused with its code and a final receipt,
never "temporary"; or accepted and neutralised) and nothing opened the FIFO or reached the
network trap its DOCTYPE names. Figures: `hostile_cases_tried`, `hostile_cases_passed`,
`hostile_failed` (names), `hostile_worst_memo_check_s`, `hostile_worst_ep_fs1_s` (and which case),
`hostile_worst_health_s` (during the EP_FS1 run), `hostile_traps_touched`, `hostile_peak_rss_mb`
(the gateway process: this one; and the largest `memo check` child).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _memo_check(path: Path) -> tuple[float, dict | None]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "app", "memo", "check", "--json", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    elapsed = time.perf_counter() - started
    try:
        return elapsed, json.loads(proc.stdout.splitlines()[0])
    except (IndexError, ValueError):
        return elapsed, None


def _cli_ok(case, obj: dict | None) -> bool:
    if obj is None:
        return False
    if case.code is None:
        return obj["ok"] is True
    return obj["ok"] is False and obj["code"] == case.code and "\n" not in obj["error"]


def _receipt_ok(case, resp) -> bool:
    from lxml import etree

    status, receipt_status = case.receipt
    if resp.status_code != status or "Retry-After" in resp.headers:
        return False
    try:
        root = etree.fromstring(resp.content)
    except etree.XMLSyntaxError:
        return False
    got = {child.tag: child.text or "" for child in root}
    if got.get("receiptStatus") != receipt_status:
        return False
    return case.code is None or got.get("errorCode") == (
        "for_stor" if case.code == "size" else case.code
    )


def bench_hostile() -> dict[str, float | int | str]:
    from app.sf1606.memo import MemoError, read_memo
    from app.sf1606.postmodtag import request_headers
    from tests.hostile import cases as C
    from tests.hostile.live import start_world

    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        folder = Path(tmp)
        env = C.HostileEnv(folder / "traps")
        cases = C.all_cases()
        passed: dict[str, bool] = {}
        worst_cli = (0.0, "")
        for case in cases:
            data = case.build(env)
            path = env.folder / f"{case.name}.xml"
            path.write_bytes(data)
            before = env.touched()
            elapsed, obj = _memo_check(path)
            ok = _cli_ok(case, obj) and env.touched() == before
            if ok and case.check is not None:  # the neutralisation, checked in-process
                try:
                    ok = case.check(read_memo(path)) is None
                except MemoError:
                    ok = False
            passed[case.name] = ok
            worst_cli = max(worst_cli, (elapsed, case.name))
            path.unlink()
        cli_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        world = start_world(folder / "gw")
        gw = world.live.gw
        stop = threading.Event()
        health_worst = [0.0]

        def poll_health() -> None:
            with world.new_client() as c:
                while not stop.is_set():
                    started = time.perf_counter()
                    try:
                        c.get(gw.health_url).raise_for_status()
                    except Exception:
                        health_worst[0] = float("inf")
                    health_worst[0] = max(health_worst[0], time.perf_counter() - started)
                    stop.wait(0.05)

        poller = threading.Thread(target=poll_health, daemon=True)
        poller.start()
        worst_ep = (0.0, "")
        try:
            for case in cases:
                data = C.fresh_uuid(case.build(env))
                before = env.touched()
                started = time.perf_counter()
                resp = world.client.post(gw.postmodtag_url, content=data, headers=request_headers())
                elapsed = time.perf_counter() - started
                ok = _receipt_ok(case, resp) and env.touched() == before
                passed[case.name] = passed[case.name] and ok
                worst_ep = max(worst_ep, (elapsed, case.name))
        finally:
            stop.set()
            poller.join(10)
            world.close()
            touched = env.touched()
            env.close()
    failed = sorted(name for name, ok in passed.items() if not ok)
    return {
        "hostile_cases_tried": len(cases),
        "hostile_cases_passed": len(cases) - len(failed),
        "hostile_failed": ",".join(failed) or "-",
        "hostile_worst_memo_check_s": round(worst_cli[0], 3),
        "hostile_worst_memo_check_case": worst_cli[1],
        "hostile_worst_ep_fs1_s": round(worst_ep[0], 3),
        "hostile_worst_ep_fs1_case": worst_ep[1],
        "hostile_worst_health_s": round(health_worst[0], 3),
        "hostile_traps_touched": touched,
        "hostile_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "hostile_memo_check_peak_rss_mb": round(cli_rss, 1),
    }


BENCHMARKS = {"hostile": bench_hostile}

if __name__ == "__main__":
    for key, value in bench_hostile().items():
        print(f"{key:32} {value}")
