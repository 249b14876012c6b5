"""THE end-to-end test (issue 2 item 8), every hop a real process boundary:

`postfordeler sandbox` (subprocess: simulator → EP_FS1 → gateway on SQLite) → `postfordeler sync
--once` (subprocess: zeep over the mailbox WSDL → client cache on SQLite) → a journalise and an
assign decision written to the outbox → `postfordeler outbox run --once` (subprocess: zeep on the
real SF2900 WSDL) → the SF2900 sandbox received the right DOKUMENT on the right case, once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.decisions import Assign, Journalise
from app.resources import resource
from app.sf1606.memo import read_memo
from app.sf1606.tls import trust_context

SANDBOX_MESSAGES = resource("sandbox", "messages")
DUBU = json.loads(resource("sandbox", "dubu.json").read_text("utf-8"))


def cli(
    data_dir: Path, *args: str, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def ca(ep: dict) -> tuple[str, str]:
    return ("--ca-bundle", ep["tls_ca"])


def last_json(stdout: str) -> dict:
    lines = [ln for ln in stdout.splitlines() if ln.strip().startswith("{")]
    assert lines, f"no JSON on stdout: {stdout!r}"
    return json.loads(lines[-1])


@pytest.fixture
def sandbox(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "sandbox"), "sandbox"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"sandbox did not start: {proc.stderr.read()}")
        ep = json.loads(line)
        assert ep["ready"] is True
        # wait until the simulator delivered the whole folder to EP_FS1
        deadline = time.monotonic() + 120
        health = f"{ep['gateway']}/health"
        while (
            httpx.get(health, verify=trust_context(ep["tls_ca"])).json().get("last_item_id", 0)
            < ep["messages"]
        ):
            assert time.monotonic() < deadline, "simulator did not deliver in time"
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
        yield ep
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -9
        assert rc == 0, proc.stderr.read()


def _retursvar_on_known_letters(n: int) -> list[tuple[str, dict]]:
    """(message uuid, DUBU case) of `n` corpus retursvar whose ReplyData names a DUBU letter,
    each on a different case."""
    letters = {lt["message_uuid"].lower(): lt for lt in DUBU["letters"]}
    cases = {c["id"]: c for c in DUBU["cases"]}
    found: list[tuple[str, dict]] = []
    for path in sorted(SANDBOX_MESSAGES.glob("*.xml")):
        msg = read_memo(path.read_bytes())
        if str(msg.kind) != "retursvar":
            continue
        rd = next((r for r in msg.reply_data if r.message_uuid.lower() in letters), None)
        if rd is None:
            continue
        case = cases[letters[rd.message_uuid.lower()]["case_id"]]
        if case["caseworker_id"] and all(c["id"] != case["id"] for _, c in found):
            found.append((msg.message_uuid, case))
        if len(found) == n:
            return found
    raise AssertionError("corpus has too few retursvar on known letters")


@pytest.mark.timeout(300)
def test_receive_sync_decide_deliver_end_to_end(tmp_path, sandbox):
    ep = sandbox
    client_dir = tmp_path / "client"
    corpus = sorted(SANDBOX_MESSAGES.glob("*.xml"))

    # 1. headless sync over TLS: every corpus message lands in the client cache
    untrusted = cli(client_dir, "sync", "--once", "--gateway", ep["gateway"], "--json")
    assert untrusted.returncode != 0 and "certifikat" in untrusted.stderr  # not the sandbox CA
    r = cli(client_dir, "sync", "--once", "--gateway", ep["gateway"], "--json", *ca(ep))
    assert r.returncode == 0, r.stderr
    synced = last_json(r.stdout)
    assert synced["new"] == len(corpus) == ep["messages"]
    assert synced["total"] >= len(corpus) and synced["duplicates"] == 0
    again = last_json(  # SSL_CERT_FILE is honoured like --ca-bundle
        cli(
            client_dir,
            "sync",
            "--once",
            "--gateway",
            ep["gateway"],
            "--json",
            env={"SSL_CERT_FILE": ep["tls_ca"]},
        ).stdout
    )
    assert again["new"] == 0

    # 2. decisions: journalise retursvar A on the case of its letter; assign retursvar B
    (uuid_a, case_a), (uuid_b, case_b) = _retursvar_on_known_letters(2)
    caseworker = case_b["caseworker_id"]
    from app import paths
    from app.models.cache import Cache
    from app.models.db import open_cache

    paths.set_data_dir(client_dir)
    db = open_cache()
    try:
        cache = Cache(db)
        item_a, item_b = cache.item_id_for_uuid(uuid_a), cache.item_id_for_uuid(uuid_b)
        assert item_a and item_b
        files_a = {f.safe_filename: f.sha256 for f in cache.facts(item_a).files}
        files_b = {f.safe_filename: f.sha256 for f in cache.facts(item_b).files}
        gw_a, gw_b = cache.gateway_item_id(item_a), cache.gateway_item_id(item_b)
        cache.enqueue(item_a, Journalise(case_a["id"]), user=ep["user"])
        cache.enqueue(item_b, Assign(caseworker, case_id=case_b["id"]), user=ep["user"])
    finally:
        db.engine.dispose()
        paths.set_data_dir(None)

    # 3. the outbox worker delivers through zeep to the SF2900 sandbox
    outbox_args = (
        "outbox",
        "run",
        "--once",
        "--sf2900",
        ep["sf2900"],
        "--dubu",
        ep["dubu"],
        "--gateway",
        ep["gateway"],
        "--json",
        *ca(ep),
    )
    r = cli(client_dir, *outbox_args)
    assert r.returncode == 0, r.stderr
    assert last_json(r.stdout)["done"] == 2

    received = httpx.get(ep["sf2900_received"], verify=trust_context(ep["tls_ca"])).json()
    assert len(received) == 2
    by_msg = {rec["DigitalPostMeddelelsesID"].lower(): rec for rec in received}
    doc_a, doc_b = by_msg[uuid_a.lower()], by_msg[uuid_b.lower()]
    for doc, case, files in ((doc_a, case_a, files_a), (doc_b, case_b, files_b)):
        assert doc["ObjektType"] == "DOKUMENT"
        assert doc["SagForslag"] == case["id"]
        assert doc["KLEEmneForslag"] == case["kle"]
        assert doc["Retning"] == "Indgaaende"
        assert {f["name"]: f["sha256"] for f in doc["files"]} == files
        assert doc["modtager"]["name"].startswith("DUBU")
    assert doc_a["Fremdrift"] == "Modtaget"
    assert doc_b["Fremdrift"] == "Fordelt" and doc_b["BrugerRef"] == caseworker
    assert doc_a["AnvenderTransaktionsID"] != doc_b["AnvenderTransaktionsID"]

    # 4. exactly once: another round sends nothing, the sandbox still holds two objects
    r = cli(client_dir, *outbox_args)
    assert r.returncode == 0 and last_json(r.stdout)["done"] == 0
    assert len(httpx.get(ep["sf2900_received"], verify=trust_context(ep["tls_ca"])).json()) == 2

    # 5. the outcomes were recorded on the gateway mailbox
    async def outcomes() -> tuple[str | None, str | None]:
        import keyring

        from app.sf1606.mailbox_client import MailboxClient

        secret = keyring.get_password("postfordeler", f"gateway:{ep['user']}")
        mb = MailboxClient(
            ep["gateway"],
            municipality_cvr=ep["municipality_cvr"],
            user=ep["user"],
            secret=secret,
            ca_bundle=ep["tls_ca"],
        )
        try:
            return (await mb.fetch(gw_a)).outcome, (await mb.fetch(gw_b)).outcome
        finally:
            await mb.close()

    out_a, out_b = asyncio.run(outcomes())
    assert (out_a, out_b) == ("journaliseret", "fordelt")


@pytest.mark.timeout(300)
def test_outbox_converges_through_sf2900_faults_and_does_not_retry_afvist(tmp_path, sandbox):
    """Issue 3 item 2 over the wire: transport faults (HTTP 500, dropped connection, a lost
    receipt after the object was recorded, TransportKvittering FEJL) are retried until the
    delivery converges, exactly once; a Forretningskvittering AFVIST is not retried."""
    ep = sandbox
    client_dir = tmp_path / "client"
    r = cli(client_dir, "sync", "--once", "--gateway", ep["gateway"], "--json", *ca(ep))
    assert r.returncode == 0, r.stderr
    (uuid_a, case_a), (uuid_b, case_b) = _retursvar_on_known_letters(2)
    from app import paths
    from app.models.cache import Cache
    from app.models.db import open_cache

    def enqueue(message_uuid: str, case: dict) -> None:
        paths.set_data_dir(client_dir)
        db = open_cache()
        try:
            cache = Cache(db)
            cache.enqueue(
                cache.item_id_for_uuid(message_uuid), Journalise(case["id"]), user=ep["user"]
            )
        finally:
            db.engine.dispose()
            paths.set_data_dir(None)

    def afsend_calls() -> int:
        return (
            httpx.get(ep["sf2900"].rsplit("/", 1)[0] + "/health")
            .json()["calls"]
            .get("FordelingsobjektAfsendRequest", 0)
        )

    outbox_args = (
        "outbox",
        "run",
        "--once",
        "--sf2900",
        ep["sf2900"],
        "--dubu",
        ep["dubu"],
        "--json",
    )

    # transport trouble, then success within the worker's retries
    faults = [
        {"kind": k, "count": 1} for k in ("http500", "drop", "drop_after_record", "transport_fejl")
    ]
    assert httpx.post(ep["sf2900_faults"], json=faults).json()["ok"]
    enqueue(uuid_a, case_a)
    deadline = time.monotonic() + 120
    while True:
        r = cli(client_dir, *outbox_args)
        assert r.returncode == 0, r.stderr
        if last_json(r.stdout)["done"] == 1:
            break
        assert time.monotonic() < deadline, "outbox did not converge"
        time.sleep(1)
    received = httpx.get(ep["sf2900_received"], verify=trust_context(ep["tls_ca"])).json()
    assert [rec["SagForslag"] for rec in received] == [
        case_a["id"]
    ]  # once, despite the lost receipt
    assert httpx.get(ep["sf2900_faults"]).json() == []  # every injected fault was hit
    assert afsend_calls() >= 5

    # a business rejection: surfaced, not retried, nothing recorded
    assert httpx.post(
        ep["sf2900_faults"], json={"kind": "afvist", "count": 1, "reason": "Sagen er lukket"}
    ).json()["ok"]
    enqueue(uuid_b, case_b)
    r = cli(client_dir, *outbox_args)
    assert r.returncode == 0, r.stderr
    out = last_json(r.stdout)
    assert out["done"] == 1 and out["rejected"] == 1
    calls = afsend_calls()
    r = cli(client_dir, *outbox_args)
    assert last_json(r.stdout)["done"] == 0 and afsend_calls() == calls
    assert len(httpx.get(ep["sf2900_received"], verify=trust_context(ep["tls_ca"])).json()) == 1
