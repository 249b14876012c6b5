"""Fault injection end to end (issue 3 item 2): every remote party × every fault kind.

Each scenario starts the real sandbox on loopback (`start_sandbox`: gateway, SF2900 service,
DUBU directory), runs the real client bundle (`ClientServices`: Syncer + OutboxWorker over
zeep/httpx and a SQLite cache) with shrunk timeouts and backoff, injects one fault kind on one
party *while traffic flows*, clears it, and checks:

(a) the client reports degraded/offline in plain Danish through its status callback;
(b) it retries with backoff: the faulted server counts the attempts (a recording fault plan),
    their spacing grows and the client's waits are jittered — no hammering;
(c) on slow answers every attempt ends at the client timeout, not at the server's delay;
(d) once the fault clears it converges: every message synced exactly once, every outbox action
    applied exactly once at SF2900 (one record per AnvenderTransaktionsID) and recorded on the
    gateway;
and that a business rejection (AFVIST / FEJLET) is not retried and surfaces its reason on the
item (status "fejlet" + reason), while a new decision afterwards is delivered once.

`run_scenario(party, kind, workdir)` returns a `ScenarioResult` whose `violations` list is
empty when all holds; benchmarks/bench_faults.py runs the same scenarios for its figures.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.decisions import Assign, Decision, Journalise
from app.gateway.faults import FaultPlan as GatewayFaultPlan
from app.sandbox.faults import KINDS as SANDBOX_KINDS
from app.sandbox.faults import FaultPlan as SandboxFaultPlan
from app.sf1606.tls import pem_client_context
from tests.conftest import CORPUS, MESSAGES

LABELS: dict[str, dict[str, Any]] = json.loads((CORPUS / "labels.json").read_text())
WITH_CASE = [u for u, v in sorted(LABELS.items()) if v["case_id"]]
PLAIN = sorted(u for u in LABELS if not LABELS[u]["case_id"])

SECRET = "fejl-test-hemmelighed"
TIMEOUT = 0.3  # per-call client timeout (s)
SLOW_S = 2.0  # server-side delay of a "slow" fault: far beyond the client timeout
SYNC_BACKOFF = 0.05  # Syncer: multiplier = jitter
SYNC_MAX = 0.8
OUTBOX_BACKOFF = 0.02  # OutboxWorker in-round tenacity: multiplier = jitter
DEFER_BASE = 0.05  # OutboxWorker between rounds: DEFER_BASE * 2^attempts * [0.5, 1)
ATTEMPTS_PER_ROUND = 2
SPACING_ATTEMPTS = 7  # server attempts observed (one entry / one syncer) before traffic grows
CONVERGE_LIMIT = 20.0

SCENARIOS: list[tuple[str, str]] = [
    ("gateway", "http_500"),
    ("gateway", "slow"),
    ("gateway", "drop"),
    ("gateway", "soap_fault"),
    ("sf2900", "http500"),
    ("sf2900", "slow"),
    ("sf2900", "drop"),
    ("sf2900", "soap_fault"),
    ("sf2900", "transport_fejl"),
    ("sf2900", "drop_after_record"),
    ("sf2900", "afvist"),
    ("sf2900", "fejlet"),
    ("dubu", "http500"),
    ("dubu", "slow"),
    ("dubu", "drop"),
]
BUSINESS = {"afvist", "fejlet"}
ENGLISH = ("Error", "Exception", "Timeout", "HTTP", "Traceback")


# ------------------------------------------------------------------ recording fault plans


@dataclass
class RecordingGatewayPlan(GatewayFaultPlan):
    """The gateway's fault plan, also noting when each mailbox request arrived."""

    hits: list[float] = field(default_factory=list)

    def decide(self, target: str) -> Any:
        if target == "mailbox":
            self.hits.append(time.monotonic())
        return super().decide(target)


@dataclass
class RecordingSandboxPlan(SandboxFaultPlan):
    """The SF2900/DUBU fault plan, also noting when each call arrived (and its operation)."""

    hits: list[tuple[float, str]] = field(default_factory=list)

    def draw(self, operation: str, kinds: frozenset[str] = SANDBOX_KINDS) -> Any:
        self.hits.append((time.monotonic(), operation))
        return super().draw(operation, kinds)


# ------------------------------------------------------------------ result


@dataclass
class ScenarioResult:
    party: str
    kind: str
    converged: bool = False
    converge_s: float = float("nan")
    attempts: int = 0  # server-side attempts seen while the fault was active
    gaps: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # the client's announced waits (retry_in)
    states: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    business_rejections: int = 0
    not_retried: bool = False
    violations: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.party}_{self.kind}"

    def check(self, ok: bool, text: str) -> None:
        if not ok:
            self.violations.append(text)


async def until(pred: Any, limit: float, step: float = 0.02) -> float | None:
    """Seconds until `pred()` is true, or None after `limit` seconds."""
    t0 = time.monotonic()
    while True:
        if pred():
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return None
        await asyncio.sleep(step)


async def push(http: httpx.AsyncClient, url: str, uuids: list[str]) -> None:
    import uuid as uuidlib

    for u in uuids:
        r = await http.post(
            url,
            content=(MESSAGES / f"{u}.xml").read_bytes(),
            headers={
                "Content-Type": "application/xml",
                "x-TransaktionsId": str(uuidlib.uuid4()),
                "x-TransaktionsTid": "2026-11-20T09:00:00Z",
            },
        )
        assert r.status_code == 200 and "reject" not in r.text.lower()[:200], r.text[:200]


# ------------------------------------------------------------------ backoff checks


def _check_danish(res: ScenarioResult, messages: list[str], party_word: str) -> None:
    res.check(bool(messages), "no degraded/offline status reported")
    for m in messages:
        res.check(
            party_word in m and not any(w in m for w in ENGLISH),
            f"status message not plain Danish naming {party_word!r}: {m!r}",
        )
        res.check(
            re.search(r"om 0 s|\d\.\d s", m) is None, f"wait not written the Danish way: {m!r}"
        )


def _check_sync_backoff(
    res: ScenarioResult, times: list[float], waits: list[float], slow: bool
) -> None:
    """Syncer: wait_n = m*2^n + U(0, m) (cap SYNC_MAX): gaps grow, waits are jittered."""
    gaps = [b - a for a, b in pairwise(times)]
    res.gaps = [round(g, 4) for g in gaps]
    res.check(len(times) >= 5, f"only {len(times)} attempts during the fault")
    n = min(len(gaps), 4)
    for i in range(n):
        res.check(
            gaps[i] >= SYNC_BACKOFF * 2**i * 0.95,
            f"attempt {i + 2} came after {gaps[i]:.3f} s: hammering",
        )
    for i in range(n - 1):
        res.check(gaps[i + 1] >= gaps[i] - 0.02, f"gaps do not grow: {res.gaps[:n]}")
    res.check(
        n >= 3 and gaps[n - 1] > 1.8 * gaps[0] - (TIMEOUT if slow else 0),
        f"no exponential growth: {res.gaps[:n]}",
    )
    resid = [w - SYNC_BACKOFF * 2**i for i, w in enumerate(waits[:4])]
    res.check(
        all(-1e-6 <= r <= SYNC_BACKOFF + 1e-6 for r in resid),
        f"waits off the schedule: {waits[:4]}",
    )
    res.check(
        len({round(r, 6) for r in resid}) == len(resid) and len(resid) >= 3,
        f"waits not jittered: {waits[:4]}",
    )
    if slow:
        res.check(
            all(g < SLOW_S for g in gaps[:3]),
            f"client waited for the slow answer instead of timing out: {res.gaps[:3]}",
        )
        res.check(all(g >= TIMEOUT * 0.9 for g in gaps[:3]), f"no timeout seen: {res.gaps[:3]}")


def _check_outbox_backoff(
    res: ScenarioResult, times: list[float], waits: list[float], slow: bool
) -> None:
    """Outbox, one entry: rounds of ATTEMPTS_PER_ROUND tries (in-round wait m + U(0, m)),
    then a deferral DEFER_BASE * 2^round * [0.5, 1): between-round gaps grow, waits jittered."""
    gaps = [b - a for a, b in pairwise(times)]
    res.gaps = [round(g, 4) for g in gaps]
    res.check(len(times) >= SPACING_ATTEMPTS, f"only {len(times)} attempts during the fault")
    for g in gaps:
        res.check(g >= OUTBOX_BACKOFF * 0.95, f"gap {g:.3f} s: hammering")
    between = gaps[ATTEMPTS_PER_ROUND - 1 :: ATTEMPTS_PER_ROUND][:3]
    res.check(len(between) == 3, f"too few rounds: {res.gaps}")
    for a, b in pairwise(between):
        res.check(b >= a - 0.03, f"between-round gaps do not grow: {between}")
    res.check(
        len(between) == 3 and between[2] > between[0] + DEFER_BASE,
        f"no exponential growth between rounds: {between}",
    )
    in_round = [w for w in waits if w < OUTBOX_BACKOFF * 2 + 1e-6]
    defers = [w for w in waits if w >= OUTBOX_BACKOFF * 2 + 1e-6]
    res.check(
        len(in_round) >= 3 and len({round(w, 6) for w in in_round}) == len(in_round),
        f"in-round waits not jittered: {in_round}",
    )
    ratios = [d / (DEFER_BASE * 2 ** (i + 1)) for i, d in enumerate(defers[:3])]
    res.check(
        len(ratios) == 3
        and all(0.5 - 1e-6 <= r < 1.0 + 1e-6 for r in ratios)
        and len({round(r, 6) for r in ratios}) == 3,
        f"deferrals off the schedule or not jittered: {defers[:3]}",
    )
    if slow:
        res.check(
            all(g < SLOW_S for g in gaps[:4]),
            f"client waited for the slow answer instead of timing out: {res.gaps[:4]}",
        )
        res.check(all(g >= TIMEOUT * 0.9 for g in gaps[:4]), f"no timeout seen: {res.gaps[:4]}")


# ------------------------------------------------------------------ the scenario


async def run_scenario(party: str, kind: str, workdir: Path) -> ScenarioResult:
    from app.core.services import ClientServices
    from app.sandbox.runner import SandboxConfig, start_sandbox

    res = ScenarioResult(party, kind)
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = await start_sandbox(
        SandboxConfig(
            data_dir=workdir / "sandbox",
            dubu_data=CORPUS / "dubu.json",
            push_messages=False,
            secret=SECRET,
            store_in_keyring=False,
        )
    )
    ep = sandbox.endpoints
    gw_plan = RecordingGatewayPlan(targets=("mailbox",))
    sandbox.gateway.set_faults(gw_plan)
    sf_plan = RecordingSandboxPlan()
    sandbox.sf2900.faults = sf_plan
    dubu_plan = RecordingSandboxPlan()
    sandbox.dubu.faults = dubu_plan
    sync_states: list[Any] = []
    outbox_states: list[Any] = []
    services = await ClientServices.create(
        ep,
        secret=SECRET,
        db_path=workdir / "cache.sqlite3",
        sync_interval=0.2,
        on_sync_status=sync_states.append,
        on_outbox_status=outbox_states.append,
        timeout=TIMEOUT,
        syncer_options={"initial_backoff": SYNC_BACKOFF, "max_backoff": SYNC_MAX},
        outbox_options={
            "attempts_per_round": ATTEMPTS_PER_ROUND,
            "initial_backoff": OUTBOX_BACKOFF,
            "max_backoff": 0.2,
            "defer_base": DEFER_BASE,
            "max_defer": 2.0,
        },
    )
    # EP_FS1 takes only the Postkomponent's pinned client certificate (mutual TLS)
    sender = pem_client_context(ep["postkomponent_cert"], ep["postkomponent_key"], ep["tls_ca"])
    http = httpx.AsyncClient(timeout=10, verify=sender)
    cache = services.cache
    try:
        services.start()
        if party == "gateway":
            await _gateway(res, sandbox, services, http, gw_plan, sync_states)
        else:
            plan = sf_plan if party == "sf2900" else dubu_plan
            await _outbox(res, sandbox, services, http, plan, outbox_states)
        # nothing twice in the cache, whatever happened
        with cache.db.engine.connect() as conn:
            from sqlalchemy import text

            uuids = [r[0] for r in conn.execute(text("SELECT message_uuid FROM items"))]
        res.check(len(uuids) == len(set(uuids)), "a message is in the cache twice")
    finally:
        await http.aclose()
        await services.close()
        await sandbox.stop()
    res.states = [str(s.state) for s in (sync_states if party == "gateway" else outbox_states)]
    return res


async def _gateway(
    res: ScenarioResult,
    sandbox: Any,
    services: Any,
    http: httpx.AsyncClient,
    plan: RecordingGatewayPlan,
    states: list[Any],
) -> None:
    from app.core.sync import ConnectionState

    cache = services.cache
    first, during = PLAIN[:10], PLAIN[10:20]
    await push(http, sandbox.endpoints["postmodtag"], first)
    res.check(
        await until(lambda: cache.item_count() == 10, 10) is not None, "first batch not synced"
    )
    online = await until(lambda: bool(states) and states[-1].state == ConnectionState.ONLINE, 5)
    res.check(online is not None, "not online before the fault")
    # inject (mailbox SOAP only: EP_FS1 keeps accepting, traffic flows into the gateway)
    active = RecordingGatewayPlan(
        targets=("mailbox",), hits=plan.hits, slow_seconds=SLOW_S, **{res.kind: 1.0}
    )
    n0, s0 = len(plan.hits), len(states)
    sandbox.gateway.set_faults(active)
    services.syncer.trigger()
    await push(http, sandbox.endpoints["postmodtag"], during)
    seen = await until(lambda: len(plan.hits) - n0 >= 6, 20)
    res.check(seen is not None, "the syncer did not retry")
    fault_hits = plan.hits[n0:]
    res.attempts = len(fault_hits)
    bad = [s for s in states[s0:] if s.state != ConnectionState.ONLINE]
    res.waits = [s.retry_in for s in bad if s.retry_in is not None]
    res.messages = [s.message for s in bad]
    _check_danish(res, res.messages, "postserveren")
    res.check(any(s.state == ConnectionState.OFFLINE for s in bad), "never reported offline")
    _check_sync_backoff(res, fault_hits[:6], res.waits, res.kind == "slow")
    res.check(cache.item_count() == 10, "items arrived while the mailbox was failing")
    # clear and converge
    sandbox.gateway.set_faults(RecordingGatewayPlan(targets=("mailbox",), hits=plan.hits))
    t0 = time.monotonic()
    took = await until(
        lambda: cache.item_count() == 20 and states[-1].state == ConnectionState.ONLINE,
        CONVERGE_LIMIT,
        step=0.01,
    )
    res.converged = took is not None
    res.converge_s = time.monotonic() - t0 if took is not None else float("nan")
    res.check(res.converged, "did not converge after the fault cleared")
    # exactly once: a fresh sync finds nothing new; every pushed message is there once
    again = await services.syncer.sync_now()
    res.check(again.new == 0 and cache.item_count() == 20, "a later sync found more")
    res.check(
        all(cache.item_id_for_uuid(u) is not None for u in first + during),
        "a pushed message is missing",
    )


async def _outbox(
    res: ScenarioResult,
    sandbox: Any,
    services: Any,
    http: httpx.AsyncClient,
    plan: RecordingSandboxPlan,
    states: list[Any],
) -> None:
    from app.core.sync import ConnectionState

    cache = services.cache
    uuids = WITH_CASE[:8]
    await push(http, sandbox.endpoints["postmodtag"], uuids)
    res.check(await until(lambda: cache.item_count() == len(uuids), 10) is not None, "not synced")
    cw = (await services.directory.caseworkers())[0]
    op = "FordelingsobjektAfsendRequest" if res.party == "sf2900" else "cases"
    faults_url = (
        sandbox.endpoints["sf2900_faults"]
        if res.party == "sf2900"
        else f"{sandbox.endpoints['dubu']}/faults"
    )
    reason = f"Injiceret {res.kind.upper()}: sagen er lukket i DUBU"
    rule: dict[str, Any] = {"kind": res.kind}
    if res.kind == "slow":
        rule["seconds"] = SLOW_S
    if res.kind in BUSINESS:
        rule["reason"] = reason

    def decide(u: str, i: int) -> tuple[int, Decision]:
        item = cache.item_id_for_uuid(u)
        case_id = LABELS[u]["case_id"]
        if i % 2:
            return item, Assign(cw.id, cw.name, case_id=case_id)
        return item, Journalise(case_id)

    r = await http.post(faults_url, json=rule)
    res.check(r.status_code == 200, f"fault not accepted: {r.text[:200]}")
    s0 = len(states)
    n0 = len(plan.hits)

    def ops() -> list[Any]:
        return [t for t, o in plan.hits[n0:] if o == op]

    oids: list[int] = []

    if res.kind in BUSINESS:
        for i, u in enumerate(uuids[:4]):
            oids.append(await services.enqueue(*decide(u, i)))
        done = await until(lambda: cache.outbox_counts()["rejected"] == 4, 10)
        res.check(done is not None, "business rejections not final")
        await asyncio.sleep(0.5)  # room for (wrong) retries
        res.attempts = len(ops())
        res.business_rejections = cache.outbox_counts()["rejected"]
        res.not_retried = res.attempts == 4
        res.check(
            res.not_retried, f"business rejection retried: {res.attempts} calls for 4 entries"
        )
        for u in uuids[:4]:
            item = cache.item(cache.item_id_for_uuid(u))
            res.check(
                item["status"] == "fejlet" and item["status_note"] == reason,
                f"reason not on the item: {item['status']!r} {item['status_note']!r}",
            )
        bad = [s for s in states[s0:] if s.state != ConnectionState.ONLINE]
        res.check(not bad, "a business rejection was reported as a connection problem")
        received = (await http.get(sandbox.endpoints["sf2900_received"])).json()
        res.check(received == [], "a rejected object was recorded")
        # clear; the distributor decides again: delivered once
        await http.post(faults_url, json={"clear": True})
        t0 = time.monotonic()
        again: list[int] = []
        for i, u in enumerate(uuids[:4]):
            again.append(await services.enqueue(*decide(u, i)))
        oids = again
    else:
        oids.append(await services.enqueue(*decide(uuids[0], 0)))
        if res.kind == "drop_after_record":
            # recorded, then the answer is lost: the retry is answered DUPLIKAT = success
            await until(lambda: cache.outbox_counts()["delivered"] == 1, 10)
            res.attempts = len(ops())
            res.check(res.attempts >= 2, f"no retry after the dropped answer ({res.attempts})")
            row = cache.outbox_entries()[0]
            res.check(
                row.receipt is not None and row.receipt["document"]["duplicate"] is True,
                "the retry was not recognised as a duplicate",
            )
        else:
            seen = await until(lambda: len(ops()) >= SPACING_ATTEMPTS, 20)
            res.check(seen is not None, f"the outbox did not retry ({len(ops())} attempts)")
            times = ops()[:SPACING_ATTEMPTS]
            bad = [s for s in states[s0:] if s.state != ConnectionState.ONLINE]
            res.waits = [s.retry_in for s in bad if s.retry_in is not None]
            _check_outbox_backoff(res, times, res.waits, res.kind == "slow")
        bad = [s for s in states[s0:] if s.state != ConnectionState.ONLINE]
        res.messages = [s.message for s in bad]
        word = "SF2900" if res.party == "sf2900" else "DUBU"
        _check_danish(res, res.messages, word)
        if res.kind != "drop_after_record":
            res.check(
                any(s.state == ConnectionState.OFFLINE for s in bad), "never reported offline"
            )
            res.check(
                cache.outbox_counts()["delivered"] == 0, "delivered while the fault was active"
            )
        # more decisions while the fault is still on: traffic flows
        for i, u in enumerate(uuids[1:6], start=1):
            oids.append(await services.enqueue(*decide(u, i)))
        await asyncio.sleep(0.2)
        res.attempts = max(res.attempts, len(ops()))
        await http.post(faults_url, json={"clear": True})
        t0 = time.monotonic()

    def finished() -> bool:
        c = cache.outbox_counts()
        return (
            c["open"] == 0
            and c["unrecorded"] == 0
            and sum(1 for r in cache.outbox_entries() if r.id in oids and r.status == "delivered")
            == len(oids)
        )

    took = await until(finished, CONVERGE_LIMIT, step=0.01)
    res.converged = took is not None
    res.converge_s = time.monotonic() - t0 if took is not None else float("nan")
    res.check(res.converged, f"did not converge: {cache.outbox_counts()}")
    if res.kind not in BUSINESS:
        res.check(
            states and states[-1].state == ConnectionState.ONLINE, "not online after convergence"
        )
    # exactly once at SF2900: one DOKUMENT per delivered entry's AnvenderTransaktionsID
    received = (await http.get(sandbox.endpoints["sf2900_received"])).json()
    per_tid = Counter(r["transaction_id"] for r in received)
    rows = [r for r in cache.outbox_entries() if r.id in oids]
    for row in rows:
        res.check(
            per_tid.get(row.transaction_id, 0) == 1,
            f"outbox {row.id} applied {per_tid.get(row.transaction_id, 0)} times at SF2900",
        )
        item = cache.item(row.item_id)
        want = "journaliseret" if row.action == "journalise" else "fordelt"
        res.check(item["status"] == want, f"item status {item['status']!r}, want {want!r}")
        res.check(row.gateway_recorded_at is not None, "outcome not recorded on the gateway")
    res.check(
        len(received) == len(rows), f"{len(received)} objects at SF2900 for {len(rows)} actions"
    )


# ------------------------------------------------------------------ tests


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("party", "kind"), SCENARIOS, ids=[f"{p}-{k}" for p, k in SCENARIOS])
def test_fault_scenario(tmp_path, party, kind, expect_log):
    if kind in BUSINESS:  # a business rejection is final and worth a warning in the log
        expect_log("postfordeler.outbox", rf"rejected by the receiver: {kind.upper()}$")
    res = asyncio.run(run_scenario(party, kind, tmp_path / "w"))
    assert res.violations == [], (res.violations, res.gaps, res.waits, res.messages)
    assert res.converged and res.converge_s < CONVERGE_LIMIT
    if kind in BUSINESS:
        assert res.not_retried and res.business_rejections == 4
    else:
        assert res.attempts >= 2 and res.messages


def test_every_party_and_fault_kind_is_covered():
    gateway_kinds = {k for p, k in SCENARIOS if p == "gateway"}
    assert gateway_kinds == {"http_500", "slow", "drop", "soap_fault"}
    assert {k for p, k in SCENARIOS if p == "sf2900"} == set(SANDBOX_KINDS)
    assert {k for p, k in SCENARIOS if p == "dubu"} == {"http500", "slow", "drop"}


def test_waits_are_written_the_danish_way():
    from app.core.sync import seconds_da

    assert seconds_da(0.04) == "0,1 s" and seconds_da(0.46) == "0,5 s"
    assert seconds_da(2.5) == "2,5 s" and seconds_da(42.4) == "42 s"
