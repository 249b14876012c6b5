"""THE end-to-end test (issue 2 item 8, issue 9 point 7), every hop a real process boundary
and TLS throughout:

`postfordeler sandbox` (subprocess: simulator → EP_FS1 over mutual TLS → gateway on SQLite) →
`postfordeler sync --once` (subprocess: zeep over the mailbox WSDL → client cache) →
`postfordeler decide ...` (subprocess: the client outbox → `POST /decisions` at the gateway) →
`postfordeler status ...` (the gateway's delivery state) → the gateway delivers to SF2900
(SFTP + SOAP) and the business receipt comes back as `accepteret`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

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

    # 2. decisions through the CLI, the same outbox as the UI: journalise retursvar A on the
    #    case of its letter, assign retursvar B; each returns once the gateway has it
    (uuid_a, case_a), (uuid_b, case_b) = _retursvar_on_known_letters(2)
    caseworker = case_b["caseworker_id"]
    gw = ("--gateway", ep["gateway"], "--user", ep["user"], *ca(ep))
    r = cli(
        client_dir,
        "decide",
        *gw,
        "--json",
        "journalise",
        "--item",
        uuid_a,
        "--case",
        case_a["id"],
        "--note",
        "Modtaget; lagt på sagen.",
    )
    assert r.returncode == 0, r.stderr
    dec_a = last_json(r.stdout)
    assert set(dec_a) == {"decision_id", "state"}
    assert dec_a["state"] in ("afventer", "sendt", "accepteret")
    r = cli(
        client_dir, "decide", *gw, "--json", "assign", "--item", uuid_b, "--caseworker", caseworker
    )
    assert r.returncode == 0, r.stderr
    dec_b = last_json(r.stdout)
    assert dec_b["decision_id"] != dec_a["decision_id"]
    # the same decision again is the same delivery
    r = cli(
        client_dir,
        "decide",
        *gw,
        "--json",
        "journalise",
        "--item",
        uuid_a,
        "--case",
        case_a["id"],
        "--note",
        "Modtaget; lagt på sagen.",
    )
    assert r.returncode == 0, r.stderr
    assert last_json(r.stdout)["decision_id"] == dec_a["decision_id"]
    # another decision on an item the gateway already holds: refused, one line, non-zero
    r = cli(client_dir, "decide", *gw, "reject", "--item", uuid_a, "--reason", "Forkert afd.")
    assert r.returncode != 0 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr

    # 3. status: the team's truth at the gateway
    r = cli(client_dir, "status", *gw, "--item", uuid_a, "--json")
    assert r.returncode == 0, r.stderr
    st = last_json(r.stdout)
    assert set(st) == {"state", "decision", "reason"} and st["decision"] == "journalise"
    assert st["state"] in ("afventer", "sendt", "accepteret")
    # unknown: a non-zero exit with the one neutral line
    unknown = cli(
        client_dir, "status", *gw, "--item", "00000000-0000-4000-8000-000000000000", "--json"
    )
    assert unknown.returncode != 0 and unknown.stdout == ""
    assert unknown.stderr.strip() == "Elementet findes ikke eller er ikke tilgængeligt"
    # not visible to this user: the same line (existence does not leak)
    cp_a = read_memo((SANDBOX_MESSAGES / f"{uuid_a.lower()}.xml").read_bytes()).contact_point_id
    blind = [u for u in ep.get("users", []) if cp_a not in u["contact_points"]]
    if blind:  # the sandbox names demo users with their visibility
        other = ("--gateway", ep["gateway"], "--user", blind[0]["name"], *ca(ep))
        hidden = cli(
            tmp_path / "blind",
            "status",
            *other,
            "--item",
            uuid_a,
            "--json",
            env={"POSTFORDELER_SECRET": blind[0]["secret"]},
        )
        assert hidden.returncode == unknown.returncode and hidden.stdout == ""
        assert hidden.stderr == unknown.stderr

    # 4. the distributor's Afvis ends at the gateway: afsluttet, never DUBU's afvist
    uuid_c = _some_nyhenvendelse(exclude={uuid_a, uuid_b})
    r = cli(
        client_dir,
        "decide",
        *gw,
        "--json",
        "reject",
        "--item",
        uuid_c,
        "--reason",
        "Hører til Jobcenteret",
    )
    assert r.returncode == 0, r.stderr
    assert last_json(r.stdout)["state"] == "afsluttet"
    st = last_json(cli(client_dir, "status", *gw, "--item", uuid_c, "--json").stdout)
    assert st == {"state": "afsluttet", "decision": "reject", "reason": None}

    # 5. the sync brings the states into the cache
    r = cli(client_dir, "sync", "--once", "--gateway", ep["gateway"], "--json", *ca(ep))
    assert r.returncode == 0, r.stderr
    from app import paths
    from app.models.cache import Cache
    from app.models.db import open_cache

    paths.set_data_dir(client_dir)
    db = open_cache()
    try:
        cache = Cache(db)
        got = {u: cache.delivery(cache.item_id_for_uuid(u)) for u in (uuid_a, uuid_b, uuid_c)}
    finally:
        db.engine.dispose()
        paths.set_data_dir(None)
    assert got[uuid_a].decision_id == dec_a["decision_id"]
    assert got[uuid_a].state in ("afventer", "sendt", "accepteret")
    assert got[uuid_c].state == "afsluttet"

    # 6. the gateway delivers to SF2900 (its own outbox): DOKUMENT per file on the case,
    #    AnvenderTransaktionsID = the decision id, then ACCEPTERET comes back
    health = httpx.get(f"{ep['gateway']}/health", verify=trust_context(ep["tls_ca"])).json()
    if not health.get("delivery"):
        return  # the sandbox's gateway does not run its SF2900 delivery worker yet
    deadline = time.monotonic() + 120
    while True:
        st = last_json(cli(client_dir, "status", *gw, "--item", uuid_a, "--json").stdout)
        if st["state"] == "accepteret":
            break
        assert st["state"] in ("afventer", "sendt"), st
        assert time.monotonic() < deadline, "no business receipt"
        time.sleep(1)
    received = httpx.get(ep["sf2900_received"], verify=trust_context(ep["tls_ca"])).json()
    mine = [o for o in received if o["anvender_transaktions_id"] == dec_a["decision_id"]]
    assert mine and mine[0]["sag_forslag"] == case_a["id"]


def _some_nyhenvendelse(exclude: set[str]) -> str:
    for path in sorted(SANDBOX_MESSAGES.glob("*.xml")):
        msg = read_memo(path.read_bytes())
        if str(msg.kind) == "nyhenvendelse" and msg.message_uuid not in exclude:
            return msg.message_uuid
    raise AssertionError("no nyhenvendelse in the corpus")


@pytest.mark.timeout(300)
def test_decide_offline_is_queued_and_delivered_once_later(tmp_path, sandbox):
    """With the gateway out of reach `decide` queues the decision on this PC (state lokal,
    exit 0); `status` says lokal; the outbox delivers it later, once, with the same id."""
    ep = sandbox
    client_dir = tmp_path / "client"
    import keyring

    secret = keyring.get_password("postfordeler", f"gateway:{ep['user']}")
    env = {"POSTFORDELER_SECRET": secret, "SSL_CERT_FILE": ep["tls_ca"]}
    r = cli(client_dir, "sync", "--once", "--gateway", ep["gateway"], "--json", env=env)
    assert r.returncode == 0, r.stderr
    (uuid_a, case_a), _ = _retursvar_on_known_letters(2)
    # a wrong secret: one line, non-zero, the secret never echoed; the decision waits queued
    wrong = {**env, "POSTFORDELER_SECRET": "xq-wrong-secret-7"}
    live = ("--gateway", ep["gateway"], "--user", ep["user"])
    r = cli(
        client_dir,
        "decide",
        *live,
        "--json",
        "journalise",
        "--item",
        uuid_a,
        "--case",
        case_a["id"],
        env=wrong,
    )
    assert r.returncode != 0 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "adgangskode" in r.stderr
    assert "xq-wrong-secret-7" not in r.stderr
    dead = ("--gateway", "https://127.0.0.1:9", "--user", ep["user"])
    r = cli(
        client_dir,
        "decide",
        *dead,
        "--json",
        "journalise",
        "--item",
        uuid_a,
        "--case",
        case_a["id"],
        env=env,
    )
    assert r.returncode == 0, r.stderr
    queued = last_json(r.stdout)
    assert queued["state"] == "lokal"
    assert secret not in r.stdout + r.stderr
    st = last_json(cli(client_dir, "status", *dead, "--item", uuid_a, "--json", env=env).stdout)
    assert st == {"state": "lokal", "decision": "journalise", "reason": None}
    # made again while queued: the same decision, nothing new queued
    r = cli(
        client_dir,
        "decide",
        *dead,
        "--json",
        "journalise",
        "--item",
        uuid_a,
        "--case",
        case_a["id"],
        env=env,
    )
    assert last_json(r.stdout)["decision_id"] == queued["decision_id"]
    # the gateway is back: the outbox delivers the queued entry
    gw = ("--gateway", ep["gateway"], "--user", ep["user"])
    r = cli(client_dir, "outbox", "run", "--once", *gw, "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert last_json(r.stdout)["done"] == 1
    st = last_json(cli(client_dir, "status", *gw, "--item", uuid_a, "--json", env=env).stdout)
    assert st["decision"] == "journalise" and st["state"] in ("afventer", "sendt", "accepteret")
    r = cli(client_dir, "outbox", "run", "--once", *gw, "--json", env=env)
    assert last_json(r.stdout)["done"] == 0  # once
