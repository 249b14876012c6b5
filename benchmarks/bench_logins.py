"""Failed logins never slow signed-in work or EP_FS1 (issue 10, point 2).

A gateway on SQLite (loopback HTTP) with the worst case for its login pool: no back-off, no
lockout, no answer delay, so every guess costs scrypt. Forty password guessers in their own
process (tests/hostile/login_flood.py: SOAP UsernameToken and HTTP Basic, fresh nonces) hammer
it while a signed-in mailbox client lists its items and a sender delivers EP_FS1 PostModtag.

Figures: `login_idle_legit_p95_ms` (mailbox call or PostModtag, no flood),
`login_flood_legit_p95_ms` (the same during the flood: the worse of the two p95s),
`login_flood_mailbox_p95_ms`, `login_flood_postmodtag_p95_ms`, `login_flood_attempts`
(guesses answered), `login_flood_busy_refusals` (refused at once: the pool was full),
`login_flood_verifications_per_s` (scrypt checks the guard's pool ran).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ROUNDS = 30
FLOOD_SECONDS = 120  # at most: it stops when we close its stdin


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def _legit(gw: Any, http: Any, mc: Any) -> tuple[list[float], list[float]]:
    import uuid

    from app.sf1606 import postmodtag as pm
    from tests.hostile.make_hostile import message

    mail, receipts = [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await mc.list_items(0, limit=50)
        mail.append(time.perf_counter() - started)
        started = time.perf_counter()
        resp = await http.post(
            gw.postmodtag_url,
            content=message(uuid=str(uuid.uuid4())),
            headers={"Content-Type": "application/xml"},
        )
        assert pm.receipt_from_http(resp.status_code, resp.content).accepted
        receipts.append(time.perf_counter() - started)
    return mail, receipts


async def _run(tmp: Path) -> dict[str, Any]:
    import httpx

    from app.gateway.login_guard import LoginPolicy
    from app.gateway.server import GatewayConfig, start_gateway
    from app.sf1606.mailbox_client import MailboxClient
    from tests.hostile.login_flood import CVR

    config = GatewayConfig(
        db_url=f"sqlite:///{tmp / 'gw.sqlite3'}",
        municipality_cvr=CVR,
        users={"anna": "rigtig-hemmelighed"},
        spool_dir=tmp / "spool",
        login=LoginPolicy(
            user_free_failures=10**6,
            address_free_failures=10**6,
            lockout_after=10**6,
            answer_delay_base=0.0,
        ),
    )
    gw = await start_gateway(config)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            mc = MailboxClient(
                gw.base_url, municipality_cvr=CVR, user="anna", secret="rigtig-hemmelighed"
            )
            try:
                idle_mail, idle_receipts = await _legit(gw, http, mc)
                env = {**os.environ, "PYTHONPATH": str(REPO)}
                flood = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.hostile.login_flood",
                    gw.base_url,
                    str(FLOOD_SECONDS),
                    "40",
                    "anna",
                    "ukendt",
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                )
                assert flood.stdout is not None
                await flood.stdout.readline()  # started
                await asyncio.sleep(1.0)  # the pool fills
                guard = gw.login_guard
                checks, started = guard.verifications, time.monotonic()
                mail, receipts = await _legit(gw, http, mc)
                rate = (guard.verifications - checks) / (time.monotonic() - started)
                assert flood.stdin is not None
                flood.stdin.close()  # the guessers stop
                result = json.loads(await flood.stdout.readline())
                await flood.wait()
            finally:
                await mc.close()
        flood_mail, flood_receipts = _p95(mail), _p95(receipts)
        return {
            "login_idle_legit_p95_ms": round(1000 * max(_p95(idle_mail), _p95(idle_receipts)), 1),
            "login_flood_legit_p95_ms": round(1000 * max(flood_mail, flood_receipts), 1),
            "login_flood_mailbox_p95_ms": round(1000 * flood_mail, 1),
            "login_flood_postmodtag_p95_ms": round(1000 * flood_receipts, 1),
            "login_flood_attempts": sum(result.values()),
            "login_flood_busy_refusals": guard.busy_refusals,
            "login_flood_verifications_per_s": round(rate, 1),
        }
    finally:
        await gw.stop()


def bench_logins() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pf-bench-logins-") as tmp:
        return asyncio.run(_run(Path(tmp)))


BENCHMARKS = {"logins": bench_logins}

if __name__ == "__main__":
    print(json.dumps(bench_logins(), indent=2))
