"""Fault injection end to end (issue 3 item 2, over issue 9's chain): every remote party ×
every fault kind.

Each scenario starts the real sandbox on loopback (`start_sandbox`: gateway with its SF2900
delivery worker, SF2900 service on HTTPS, SFTP + STS, DUBU directory), runs the real client
bundle (`ClientServices`: Syncer + OutboxWorker over zeep/httpx and a SQLite cache) with shrunk
timeouts and backoff (the gateway worker's too: `SandboxConfig.delivery_options`), injects one
fault kind on one party *while traffic flows*, clears it, and checks:

Mailbox faults (party "gateway"), the client's sync:
(a) the client reports degraded/offline in plain Danish through its status callback;
(b) it retries with backoff: the gateway counts the attempts (a recording fault plan), their
    spacing grows and the client's waits are jittered — no hammering;
(c) on slow answers every attempt ends at the client timeout, not at the server's delay;
(d) once the fault clears it converges: every message synced exactly once.

SF2900 / DUBU faults (behind the gateway): the client hands its decisions to the gateway
(`POST /decisions` → `afventer`) and stays online; the gateway's delivery worker meets the
fault (SF2900's FordelingsobjektAfsend on its HTTPS listener, or DUBU's case lookup) and
(b') retries with growing, jittered waits (`GatewayDelivery._backoff`, announced through
    `on_defer`) — the recording plan sees the worker's attempts, each gap at least its wait;
(c') on slow answers every attempt ends at the worker's call timeout;
(d') nothing is delivered while the fault holds (state stays `afventer`), and once it clears
    every decision is `sendt`/`accepteret` at the gateway and in the client's cache (synced),
    with exactly one SF2900 object per AnvenderTransaktionsID and one DOKUMENT per file.
A dropped answer after SF2900 recorded the object is re-sent and answered DUPLIKAT (one
object). A business rejection (AFVIST / FEJLET: the published SF2900 sends DUBU's verdict as
the business receipt, the callback) is not retried: the decision ends `afvist_af_dubu` /
`fejlet` with the injected reason on the client's item, the client stays online, and a new
decision afterwards is delivered once.

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
from app.sf1606.tls import pem_client_context, trust_context
from tests.conftest import CORPUS, MESSAGES

LABELS: dict[str, dict[str, Any]] = json.loads((CORPUS / "labels.json").read_text())
WITH_CASE = [u for u, v in sorted(LABELS.items()) if v["case_id"]]
PLAIN = sorted(u for u in LABELS if not LABELS[u]["case_id"])

SECRET = "fejl-test-hemmelighed"
TIMEOUT = 0.3  # the client's per-call timeout (s) when the mailbox is faulted
# the client's per-call timeout when the fault sits behind the gateway: the client's own hop is
# sound, and a loaded machine must not make it look otherwise
CLIENT_TIMEOUT = 5.0
DELIVERY_TIMEOUT = 0.6  # the gateway worker's per-call timeout (SF2900 SOAP, DUBU lookup)
SLOW_S = 2.0  # server-side delay of a "slow" mailbox fault: far beyond the client timeout
# a "slow" SF2900/DUBU fault: beyond the whole fault window, so that no slow call completes
# (and SF2900 records its object) before the fault is cleared
SLOW_DELIVERY_S = 8.0
SYNC_BACKOFF = 0.05  # Syncer: multiplier = jitter
SYNC_MAX = 0.8
OUTBOX_BACKOFF = 0.02  # client OutboxWorker (to the gateway; no fault on that hop here)
DEFER_BASE = 0.05
ATTEMPTS_PER_ROUND = 2
DELIVERY_BACKOFF = 0.05  # gateway worker: min(MAX, BACKOFF * 2^(n-1)) * [0.5, 1) after try n
DELIVERY_MAX = 0.8
SPACING_ATTEMPTS = 5  # worker attempts observed (one decision) before traffic grows
CONVERGE_LIMIT = 20.0
DELIVERED = ("sendt", "accepteret")

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
    # announced waits: the client's retry_in (mailbox faults), the gateway worker's deferrals
    waits: list[float] = field(default_factory=list)
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
    # growth is read from the syncer's announced waits: a measured gap is the wait plus however
    # long a loaded machine took to run the attempt, so one stretched gap can exceed the next
    # (the lower bounds above still catch hammering)
    w = waits[:n]
    for i in range(len(w) - 1):
        res.check(w[i + 1] >= w[i] - 1e-6, f"waits do not grow: {w} (gaps {res.gaps[:n]})")
    res.check(
        n >= 3 and len(w) >= 3 and w[-1] > 1.8 * w[0],
        f"no exponential growth: {w} (gaps {res.gaps[:n]})",
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


def _check_delivery_backoff(
    res: ScenarioResult,
    times: list[float],
    delays: list[tuple[int, float]],
    slow: bool,
    defer_times: list[float] | None = None,
) -> None:
    """The gateway worker, one decision: after attempt n it waits
    min(DELIVERY_MAX, DELIVERY_BACKOFF * 2^(n-1)) * [0.5, 1) (`GatewayDelivery._backoff`):
    every gap is at least its announced wait (no hammering), the waits follow the schedule and
    are jittered, the gaps grow; on "slow" every attempt ends at the call timeout."""
    gaps = [b - a for a, b in pairwise(times)]
    res.gaps = [round(g, 4) for g in gaps]
    res.waits = [round(d, 4) for _, d in delays]
    res.check(len(times) >= SPACING_ATTEMPTS, f"only {len(times)} attempts during the fault")
    res.check(
        [n for n, _ in delays[: len(gaps)]] == list(range(1, len(gaps) + 1)),
        f"deferrals do not match the attempts: {delays}",
    )
    if slow and defer_times:
        # A slow attempt lasts its call timeout. When its request reaches the server depends
        # on the machine's load, so the spacing is read on the worker's side: from one
        # deferral to the next lie the announced wait and a whole timed-out attempt.
        spaced = [b - a for a, b in pairwise(defer_times)]
        for g, (_, d) in zip(spaced, delays, strict=False):
            res.check(
                g >= d * 0.95 + DELIVERY_TIMEOUT * 0.95,
                f"deferral {g:.3f} s after the last, its wait {d:.3f} s: hammering",
            )
    else:
        for g, (_, d) in zip(gaps, delays, strict=False):
            res.check(g >= d * 0.95, f"gap {g:.3f} s before its wait {d:.3f} s: hammering")
    ratios = [d / min(DELIVERY_MAX, DELIVERY_BACKOFF * 2 ** (n - 1)) for n, d in delays]
    res.check(
        len(ratios) >= SPACING_ATTEMPTS - 1
        and all(0.5 - 1e-6 <= r < 1.0 + 1e-6 for r in ratios)
        and len({round(r, 6) for r in ratios}) == len(ratios),
        f"waits off the schedule or not jittered: {res.waits}",
    )
    res.check(
        len(gaps) >= 4 and max(gaps[-2:]) > min(gaps[:2]) and sum(gaps[-2:]) > sum(gaps[:2]),
        f"gaps do not grow: {res.gaps}",
    )
    if slow:
        res.check(
            all(g < SLOW_DELIVERY_S for g in gaps),
            f"the worker waited for the slow answer instead of timing out: {res.gaps}",
        )
        timed_out = [b - a for a, b in pairwise(defer_times or [])]
        res.check(
            len(timed_out) >= 2 and all(g >= DELIVERY_TIMEOUT * 0.95 for g in timed_out),
            f"no timeout seen: {[round(g, 4) for g in timed_out]}",
        )


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
            # the answer to a recorded object is lost: the receipt comes later than the re-send
            sf2900_callback_delay=2.0 if kind == "drop_after_record" else 0.0,
            delivery_options={
                "initial_backoff": DELIVERY_BACKOFF,
                "max_backoff": DELIVERY_MAX,
                "call_timeout": DELIVERY_TIMEOUT,
                "poll_seconds": 0.1,
            },
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
        timeout=TIMEOUT if party == "gateway" else CLIENT_TIMEOUT,
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
    """The fault sits behind the gateway (SF2900, or DUBU's case lookup): the client hands its
    decisions to the gateway (`afventer`) and stays online; the gateway's delivery worker
    retries with backoff until the fault clears."""
    from app.core.sync import ConnectionState
    from app.sf1606.memo import read_memo

    cache = services.cache
    store = sandbox.gateway.store
    worker = sandbox.gateway.delivery
    ep = sandbox.endpoints
    deferrals: list[tuple[str, int, float, float]] = []
    worker.on_defer = lambda did, n, delay: deferrals.append((did, n, delay, time.monotonic()))
    inspect = httpx.AsyncClient(timeout=10, verify=trust_context(ep["tls_ca"]))
    uuids = WITH_CASE[:8]
    await push(http, ep["postmodtag"], uuids)
    res.check(await until(lambda: cache.item_count() == len(uuids), 10) is not None, "not synced")
    cw = (await services.directory.caseworkers())[0]
    op = "FordelingsobjektAfsendRequest" if res.party == "sf2900" else "cases"
    faults_url = ep["sf2900_faults"] if res.party == "sf2900" else f"{ep['dubu']}/faults"
    reason = f"Injiceret {res.kind.upper()}: sagen er lukket i DUBU"
    rule: dict[str, Any] = {"kind": res.kind}
    if res.kind == "slow":
        rule["seconds"] = SLOW_DELIVERY_S
    if res.kind in BUSINESS:
        rule["reason"] = reason

    def decide(u: str, i: int) -> tuple[int, Decision]:
        item = cache.item_id_for_uuid(u)
        case_id = LABELS[u]["case_id"]
        if i % 2:
            return item, Assign(cw.id, cw.name, case_id=case_id)
        return item, Journalise(case_id)

    def row(oid: int) -> Any:
        return next(r for r in cache.outbox_entries() if r.id == oid)

    def gw_state(oid: int) -> str:
        d = store.decision(row(oid).transaction_id)
        return "" if d is None else str(d["state"])

    def client_state(oid: int) -> str:
        return str(cache.delivery(row(oid).item_id).state)

    async def handed_over(ids: list[int], state: str | None = None) -> None:
        # the client's outbox POSTs each decision to the gateway (`afventer` there and here;
        # with `state`, both sides must still say so)
        ok = await until(
            lambda: all(row(o).status == "delivered" and client_state(o) != "lokal" for o in ids),
            10,
        )
        res.check(ok is not None, "decisions not handed to the gateway")
        if state is not None:
            seen = [(gw_state(o), client_state(o)) for o in ids]
            res.check(all(s == (state, state) for s in seen), f"not {state}: {seen}")

    r = await http.post(faults_url, json=rule)
    res.check(r.status_code == 200, f"fault not accepted: {r.text[:200]}")
    s0 = len(states)
    n0 = len(plan.hits)

    def ops() -> list[float]:
        return [t for t, o in plan.hits[n0:] if o == op]

    oids: list[int] = []
    if res.kind in BUSINESS:
        final = "afvist_af_dubu" if res.kind == "afvist" else "fejlet"
        for i, u in enumerate(uuids[:4]):
            oids.append(await services.enqueue(*decide(u, i)))
        await handed_over(oids)
        done = await until(
            lambda: all(gw_state(o) == final and client_state(o) == final for o in oids), 15
        )
        res.check(done is not None, f"business rejections not final: {[gw_state(o) for o in oids]}")
        await asyncio.sleep(0.5)  # room for (wrong) retries
        parts = sum(len(store.delivery_parts(row(o).transaction_id)) for o in oids)
        res.attempts = len(ops())
        res.business_rejections = sum(1 for o in oids if gw_state(o) == final)
        res.not_retried = res.attempts == parts and parts >= len(oids)
        res.check(
            res.not_retried,
            f"business rejection retried: {res.attempts} calls for {parts} objects",
        )
        res.check(not deferrals, f"a business rejection was deferred: {deferrals}")
        want_status = "ny" if final == "afvist_af_dubu" else "fejlet"
        for o in oids:
            got = cache.delivery(row(o).item_id)
            item = cache.item(row(o).item_id)
            res.check(
                got.reason == reason and item["status"] == want_status,
                f"reason not on the item: {got.state!r} {got.reason!r} {item['status']!r}",
            )
        bad = [s for s in states[s0:] if s.state != ConnectionState.ONLINE]
        res.check(not bad, "a business rejection was reported as a connection problem")
        rejected = list(oids)
        # clear; the distributor decides again (allowed after afvist_af_dubu/fejlet): once
        await http.post(faults_url, json={"clear": True})
        t0 = time.monotonic()
        oids = []
        for i, u in enumerate(uuids[:4]):
            oids.append(await services.enqueue(*decide(u, i)))
        await handed_over(oids)
    else:
        rejected = []
        oids.append(await services.enqueue(*decide(uuids[0], 0)))
        held = None if res.kind == "drop_after_record" else "afventer"
        await handed_over(oids, held)
        first = row(oids[0]).transaction_id
        if res.kind == "drop_after_record":
            # recorded, then the answer is lost: the re-send is answered DUPLIKAT = success
            sent = await until(lambda: gw_state(oids[0]) in DELIVERED, 10)
            res.check(sent is not None, "not delivered after the dropped answer")
            res.attempts = len(ops())
            res.check(res.attempts >= 2, f"no re-send after the dropped answer ({res.attempts})")
            res.check(sandbox.sf2900.duplicates >= 1, "the re-send was not answered DUPLIKAT")
        else:
            seen = await until(lambda: len(ops()) >= SPACING_ATTEMPTS, 20)
            res.check(seen is not None, f"the gateway did not retry ({len(ops())} attempts)")
            times = ops()[:SPACING_ATTEMPTS]
            mine = [(n, d) for did, n, d, _at in deferrals if did == first]
            at = [t for did, _n, _d, t in deferrals if did == first]
            _check_delivery_backoff(res, times, mine, res.kind == "slow", at)
            res.check(
                gw_state(oids[0]) == "afventer" and client_state(oids[0]) == "afventer",
                f"delivered while the fault was active: {gw_state(oids[0])!r}",
            )
        # more decisions while the fault is still on: traffic flows
        for i, u in enumerate(uuids[1:6], start=1):
            oids.append(await services.enqueue(*decide(u, i)))
        await handed_over(oids[1:], held)
        await asyncio.sleep(0.2)
        res.attempts = max(res.attempts, len(ops()))
        if res.kind != "drop_after_record":
            pending = [gw_state(o) for o in oids]
            res.check(
                all(st == "afventer" for st in pending),
                f"delivered while the fault was active: {pending}",
            )
        await http.post(faults_url, json={"clear": True})
        t0 = time.monotonic()
        # the gateway's own trouble is no connection problem of the client
        bad = [s for s in states[s0:] if s.state != ConnectionState.ONLINE]
        res.messages = [s.message for s in bad]
        res.check(not bad, f"the client reported the gateway's trouble: {res.messages}")
    last_fault_call = max(ops(), default=time.monotonic())

    def finished() -> bool:
        return all(gw_state(o) in DELIVERED and client_state(o) in DELIVERED for o in oids)

    took = await until(finished, CONVERGE_LIMIT, step=0.01)
    res.converged = took is not None
    res.converge_s = time.monotonic() - t0 if took is not None else float("nan")
    res.check(res.converged, f"did not converge: {[(gw_state(o), client_state(o)) for o in oids]}")
    res.check(states and states[-1].state == ConnectionState.ONLINE, "not online after convergence")
    if res.kind == "slow":
        # the slow calls answer at last (too late: nobody waits); let them finish first
        await asyncio.sleep(max(0.0, last_fault_call + SLOW_DELIVERY_S + 0.3 - time.monotonic()))
    await sandbox.sf2900.wait_callbacks()
    # exactly once at SF2900: one object per AnvenderTransaktionsID, one DOKUMENT per file
    received = (await inspect.get(ep["sf2900_received"])).json()
    await inspect.aclose()
    per_tid = Counter(r["anvender_transaktions_id"] for r in received)
    expected = 0
    for o in rejected + oids:
        entry = row(o)
        parts = store.delivery_parts(entry.transaction_id)
        expected += len(parts)
        for p in parts:
            n = per_tid.get(p.anvender_transaktions_id, 0)
            res.check(n == 1, f"decision {entry.id} part {p.part} at SF2900 {n} times")
        if o in rejected:
            continue
        u = cache.item(entry.item_id)["message_uuid"]
        files = read_memo(MESSAGES / f"{u}.xml").files
        docs = sorted(p.file_index for p in parts if p.kind == "DOKUMENT")
        res.check(docs == list(range(len(files))), f"DOKUMENTs {docs} for {len(files)} files")
        item = cache.item(entry.item_id)
        want = "journaliseret" if entry.action == "journalise" else "fordelt"
        res.check(item["status"] == want, f"item status {item['status']!r}, want {want!r}")
    res.check(len(received) == expected, f"{len(received)} objects at SF2900 for {expected} parts")


# ------------------------------------------------------------------ tests


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("party", "kind"), SCENARIOS, ids=[f"{p}-{k}" for p, k in SCENARIOS])
def test_fault_scenario(tmp_path, party, kind, expect_log):
    res = asyncio.run(run_scenario(party, kind, tmp_path / "w"))
    assert res.violations == [], (res.violations, res.gaps, res.waits, res.messages)
    assert res.converged and res.converge_s < CONVERGE_LIMIT
    if kind in BUSINESS:
        assert res.not_retried and res.business_rejections == 4
    elif party == "gateway":
        assert res.attempts >= 2 and res.messages
    else:
        assert res.attempts >= 2


def test_every_party_and_fault_kind_is_covered():
    gateway_kinds = {k for p, k in SCENARIOS if p == "gateway"}
    assert gateway_kinds == {"http_500", "slow", "drop", "soap_fault"}
    assert {k for p, k in SCENARIOS if p == "sf2900"} == set(SANDBOX_KINDS)
    assert {k for p, k in SCENARIOS if p == "dubu"} == {"http500", "slow", "drop"}


def test_waits_are_written_the_danish_way():
    from app.core.sync import seconds_da

    assert seconds_da(0.04) == "0,1 s" and seconds_da(0.46) == "0,5 s"
    assert seconds_da(2.5) == "2,5 s" and seconds_da(42.4) == "42 s"
