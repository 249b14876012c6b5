"""Hostile logins against a real gateway over loopback HTTP (issue 10, point 2).

- forty attackers guessing passwords (their own process) never slow a signed-in mailbox call,
  a decision status or an EP_FS1 PostModtag: scrypt runs on the login guard's own bounded pool,
  which the flood saturates (attempts refused as busy) while legitimate work stays fast;
- thirty wrong guesses lock the user: the right password then stays refused (SOAP and REST)
  until an administrator runs `postfordeler gateway unlock`; all of it is in the audit trail,
  never a password;
- back-off: after the free failures a user's attempts are refused (429, Retry-After) and the
  answers delayed, while a signed-in client of that user carries on;
- a captured request (SOAP or REST) does not work again; an old timestamp or a missing nonce is
  refused; an old client without nonce is refused; on PostgreSQL the other node refuses it too;
- slowloris: connections that send headers or a body too slowly are closed, others are served.

Timing bounds are generous (a loaded 2-core machine): the figures go to benchmarks/bench_logins.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.gateway import login_store
from app.gateway.login_guard import LoginPolicy
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.gateway.store import hash_secret
from app.sf1606 import postmodtag as pm
from app.sf1606.fresh_auth import CREATED_HEADER, NONCE_HEADER, FreshBasicAuth, new_nonce
from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable
from app.sf1606.mailbox_client import MailboxClient, MailboxError, MailboxUnavailable
from tests.hostile.login_flood import CVR, envelope
from tests.hostile.make_hostile import message
from tests.test_gateway import fresh_pg, pg_url

REPO = Path(__file__).resolve().parents[2]
USER, SECRET = "anna", "rigtig-hemmelighed-a"
USERS = {USER: hash_secret(SECRET), "bo": hash_secret("hemmelig-bo")}  # scrypt once per module
LEGIT_BOUND = 2.0  # seconds: a signed-in call or a receipt during the flood (the bound)


def config(tmp_path: Path, db_url: str | None = None, **login: Any) -> GatewayConfig:
    return GatewayConfig(
        db_url=db_url or f"sqlite:///{tmp_path / 'gw.sqlite3'}",
        municipality_cvr=CVR,
        users=USERS,
        spool_dir=tmp_path / "spool",
        login=LoginPolicy(**login),
    )


def run(cfg: GatewayConfig, body: Any) -> Any:
    async def main() -> Any:
        gw = await start_gateway(cfg)
        try:
            return await body(gw)
        finally:
            await gw.stop()

    return asyncio.run(main())


def mailbox(gw: RunningGateway, secret: str = SECRET, user: str = USER) -> MailboxClient:
    return MailboxClient(gw.base_url, municipality_cvr=CVR, user=user, secret=secret, timeout=20)


async def deliver(http: httpx.AsyncClient, gw: RunningGateway) -> float:
    """One EP_FS1 PostModtag of a fresh synthetic message; returns its latency."""
    started = time.monotonic()
    resp = await http.post(
        gw.postmodtag_url,
        content=message(uuid=str(uuid.uuid4())),
        headers={"Content-Type": "application/xml"},
    )
    assert pm.receipt_from_http(resp.status_code, resp.content).accepted
    return time.monotonic() - started


def gateway_cli(*argv: str) -> int:
    """`postfordeler gateway ARGV` as its parser and command run it (its own store on the
    database, like an administrator's shell next to the running gateway)."""
    from app.cli import build_parser

    args = build_parser().parse_args(["gateway", *argv])
    return int(args.func(args))


def lockouts_json(db_url: str) -> Any:
    """`postfordeler gateway lockouts --json`."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert gateway_cli("lockouts", "--db", db_url, "--json") == 0
    return json.loads(out.getvalue())


def audit(gw: RunningGateway, user: str | None = None) -> list[login_store.AuditEvent]:
    return login_store.audit_events(gw.store, user)


# --------------------------------------------------------------------------- the flood


def test_forty_password_guessers_never_slow_signed_in_work_or_ep_fs1(tmp_path):
    # worst case for the pool: no back-off, no lockout, no answer delay — every guess is scrypt
    cfg = config(
        tmp_path,
        user_free_failures=10**6,
        address_free_failures=10**6,
        lockout_after=10**6,
        answer_delay_base=0.0,
    )

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient(timeout=20) as http:
            await deliver(http, gw)
            mc = mailbox(gw)
            gc = GatewayClient(gw.base_url, user=USER, secret=SECRET, timeout=20)
            first = (await mc.list_items(0)).items  # signed in before the flood
            assert len(first) == 1
            assert (await gc.status(str(first[0].message_uuid))).state == "ny"
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            flood = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.hostile.login_flood",
                gw.base_url,
                "60",  # until we close its stdin
                "40",
                USER,
                "ukendt",
                "bo",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            try:
                assert flood.stdout is not None
                assert await asyncio.wait_for(flood.stdout.readline(), 60) == b"started\n"
                guard = gw.login_guard
                deadline = time.monotonic() + 30
                while guard.busy_refusals < 20 and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                before = guard.verifications
                assert guard.busy_refusals >= 20, "the flood never filled the login pool"
                mail, receipts, status = [], [], []
                # at least five rounds, and on until the guessers' scrypt checks ran meanwhile
                rounds, until = 0, time.monotonic() + 30
                while rounds < 5 or (guard.verifications - before < 3 and time.monotonic() < until):
                    rounds += 1
                    started = time.monotonic()
                    assert len((await mc.list_items(0)).items) >= 1
                    mail.append(time.monotonic() - started)
                    receipts.append(await deliver(http, gw))
                    started = time.monotonic()
                    assert (await gc.status(str(first[0].message_uuid))).state == "ny"
                    status.append(time.monotonic() - started)
                during = guard.verifications - before
                assert flood.stdin is not None
                flood.stdin.close()
                result = json.loads(await asyncio.wait_for(flood.stdout.readline(), 60))
            finally:
                if flood.returncode is None:
                    flood.kill()
                await flood.wait()
                await mc.close()
                await gc.close()
        figures = (result, during, mail, receipts, status)
        for latencies in (mail, receipts, status):
            assert max(latencies) < LEGIT_BOUND, figures
        # the guessers were answered (refused), and scrypt kept running while we measured
        assert result.get("500", 0) + result.get("401", 0) >= 10, figures
        assert result.get("503", 0) >= 20, figures  # busy: refused at once, not queued
        assert during >= 3, figures
        assert not any(e.event == login_store.LOCKOUT for e in audit(gw))

    run(cfg, body)


# --------------------------------------------------------------------------- lockout


@pytest.mark.expect_log("postfordeler.gateway.audit", "lockout")
def test_thirty_wrong_guesses_lock_the_user_until_an_administrator_unlocks(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="postfordeler")
    db = tmp_path / "gw.sqlite3"
    cfg = config(
        tmp_path,
        lockout_after=10,
        backoff_base=0.01,
        backoff_max=0.02,
        answer_delay_base=0.001,
        answer_delay_max=0.002,
        refresh_seconds=0.1,
    )

    async def body(gw: RunningGateway) -> None:
        signed_in = mailbox(gw)
        await signed_in.list_items(0)  # bo's colleague anna is signed in already
        outcomes = []
        async with httpx.AsyncClient(timeout=20) as http:
            for n in range(30):
                await asyncio.sleep(0.03)  # past the (tiny) back-off: each guess is checked
                resp = await http.post(
                    gw.mailbox_url,
                    content=envelope(USER, f"forkert-{n}"),
                    headers={"Content-Type": "text/xml"},
                )
                assert b"PostElement" not in resp.content
                outcomes.append(_fault_code(resp))
        assert outcomes[:9] == ["AUTENTIFIKATION"] * 9 and outcomes[10:] == ["SPAERRET"] * 20
        # the right password, over SOAP, REST and the MeMo download: refused while locked
        right = mailbox(gw)
        with pytest.raises(MailboxError) as err:
            await right.list_items(0)
        assert err.value.code == "SPAERRET" and "administrator" in err.value.text
        with pytest.raises(MailboxError):
            await signed_in.list_items(0)  # a lockout ends the signed-in session too
        async with GatewayClient(gw.base_url, user=USER, secret=SECRET) as gc:
            with pytest.raises(GatewayRefused) as refused:
                await gc.status(str(uuid.uuid4()))
            assert refused.value.status == 401 and "spærret" in refused.value.message
        async with httpx.AsyncClient(auth=FreshBasicAuth(USER, SECRET)) as http:
            assert (await http.get(gw.base_url + "/mailbox/items/1/memo")).status_code == 401
        # another user is not affected
        bo = mailbox(gw, user="bo", secret="hemmelig-bo")
        await bo.list_items(0)
        await bo.close()
        # the administrator: `postfordeler gateway lockouts`, then `unlock` (its own process)
        listing = await asyncio.to_thread(lockouts_json, f"sqlite:///{db}")
        assert USER in listing["locked"] and listing["locked"][USER]["failures"] == 10
        assert "bo" not in listing["locked"]
        assert await asyncio.to_thread(gateway_cli, "unlock", USER, "--db", f"sqlite:///{db}") == 0
        deadline = time.monotonic() + 20
        while True:  # the running gateway re-reads its lockouts every refresh_seconds
            try:
                await right.list_items(0)
                break
            except MailboxError:
                assert time.monotonic() < deadline, "the unlock never took effect"
                await asyncio.sleep(0.1)
        await right.close()
        await signed_in.close()
        await gw.login_guard.refresh()
        events = audit(gw, USER)
        kinds = [e.event for e in events]
        assert kinds.count(login_store.FAILURE) == 10
        assert login_store.BACKOFF in kinds and login_store.REFUSED in kinds
        assert kinds.count(login_store.LOCKOUT) == 1 and kinds.count(login_store.UNLOCK) == 1
        unlock = next(e for e in events if e.event == login_store.UNLOCK)
        assert unlock.detail and "postfordeler gateway unlock" in unlock.detail
        assert all(e.address == "127.0.0.1" for e in events if e.event == login_store.FAILURE)
        everything = " ".join(f"{e.detail} {e.user}" for e in audit(gw))
        logged = caplog.text + everything
        assert "forkert-" not in logged and SECRET not in logged

    run(cfg, body)


def test_back_off_refuses_guesses_fast_and_delays_answers_but_not_signed_in_clients(tmp_path):
    cfg = config(
        tmp_path,
        user_free_failures=2,
        backoff_base=30.0,
        answer_delay_base=0.1,
        answer_delay_max=0.2,
    )

    async def body(gw: RunningGateway) -> None:
        bo = GatewayClient(gw.base_url, user="bo", secret="hemmelig-bo")
        with pytest.raises(GatewayRefused):  # 404: the item is unknown, but bo is signed in
            await bo.status(str(uuid.uuid4()))
        status = f"{gw.base_url}/items/{{}}/status"
        times = []
        async with httpx.AsyncClient(timeout=20) as http:
            for n in range(3):
                started = time.monotonic()
                resp = await http.get(
                    status.format(uuid.uuid4()), auth=FreshBasicAuth(USER, f"forkert-{n}")
                )
                times.append(time.monotonic() - started)
                assert resp.status_code == 401
            # the answers were delayed, exponentially (lower bounds: safe on a slow machine)
            assert times[0] >= 0.08 and times[1] >= 0.18 and times[2] >= 0.18
            # the third failure started a 30 s back-off: now even the right password is
            # refused, unverified and temporary, with Retry-After
            resp = await http.get(status.format(uuid.uuid4()), auth=FreshBasicAuth(USER, SECRET))
            assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 20
            assert resp.json()["error"] == "FOR_MANGE_FORSOEG"
            # three guesses at bo's password, at once
            guesses = await asyncio.gather(
                *(
                    http.get(status.format(uuid.uuid4()), auth=FreshBasicAuth("bo", f"gæt-{n}"))
                    for n in range(3)
                )
            )
            assert [r.status_code for r in guesses] == [401] * 3
        fresh = mailbox(gw)
        with pytest.raises(MailboxUnavailable) as err:  # retryable, not "wrong password"
            await fresh.list_items(0)
        assert err.value.code == "FOR_MANGE_FORSOEG"
        await fresh.close()
        fresh_rest = GatewayClient(gw.base_url, user=USER, secret=SECRET)
        with pytest.raises(GatewayUnavailable):
            await fresh_rest.status(str(uuid.uuid4()))
        await fresh_rest.close()
        # bo, signed in before the guesses, carries on without delay
        started = time.monotonic()
        with pytest.raises(GatewayRefused) as missing:
            await bo.status(str(uuid.uuid4()))
        assert missing.value.status == 404 and time.monotonic() - started < LEGIT_BOUND
        await bo.close()
        await gw.login_guard.refresh()
        for user in (USER, "bo"):
            assert any(
                e.event == login_store.BACKOFF and e.detail and "bruger" in e.detail
                for e in audit(gw, user)
            )

    run(cfg, body)


# --------------------------------------------------------------------------- replay


def _fault_code(resp: httpx.Response) -> str:
    from lxml import etree

    code = etree.fromstring(resp.content).findtext(
        ".//{http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/}ErrorCode"
    )
    return code or ""


def test_captured_requests_do_not_work_again_and_old_ones_are_refused(tmp_path):
    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient(timeout=20) as http:
            await deliver(http, gw)
            headers = {"Content-Type": "text/xml"}
            captured = envelope(USER, SECRET)
            first = await http.post(gw.mailbox_url, content=captured, headers=headers)
            assert first.status_code == 200 and b"PostElement" in first.content
            again = await http.post(gw.mailbox_url, content=captured, headers=headers)
            assert again.status_code == 500 and _fault_code(again) == "GENTAGELSE"
            assert b"PostElement" not in again.content
            old = (datetime.now(UTC) - timedelta(minutes=6)).isoformat()
            future = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()
            for stale in (
                envelope(USER, SECRET, created=old),
                envelope(USER, SECRET, created=future),
                envelope(USER, SECRET, nonce=""),  # an old client: no nonce
                envelope(USER, SECRET, created=""),  # no creation time
                envelope(USER, SECRET, created="2026-12-02T05:15:00"),  # no zone
            ):
                resp = await http.post(gw.mailbox_url, content=stale, headers=headers)
                assert resp.status_code == 500 and _fault_code(resp) == "TIDSSTEMPEL"
                assert b"PostElement" not in resp.content
            # REST: the same headers twice
            decision = {
                "decision_id": str(uuid.uuid4()),
                "message_uuid": str(uuid.uuid4()),
                "action": "reject",
                "decision": {"kind": "reject", "reason": "Test"},
            }
            auth = httpx.BasicAuth(USER, SECRET)
            once = {NONCE_HEADER: new_nonce(), CREATED_HEADER: datetime.now(UTC).isoformat()}
            resp = await http.post(gw.decisions_url, json=decision, headers=once, auth=auth)
            assert resp.status_code != 401, resp.text  # authenticated (the item is unknown)
            resp = await http.post(gw.decisions_url, json=decision, headers=once, auth=auth)
            assert resp.status_code == 401 and resp.json()["error"] == "GENTAGELSE"
            resp = await http.post(gw.decisions_url, json=decision, auth=auth)  # no nonce
            assert resp.status_code == 401 and resp.json()["error"] == "TIDSSTEMPEL"
            status = f"{gw.base_url}/items/{uuid.uuid4()}/status"
            stale = {NONCE_HEADER: new_nonce(), CREATED_HEADER: old}
            resp = await http.get(status, headers=stale, auth=auth)
            assert resp.status_code == 401 and resp.json()["error"] == "TIDSSTEMPEL"
        # the updated clients send a fresh nonce every call: many calls, none refused
        mc = mailbox(gw)
        for _ in range(5):
            assert len((await mc.list_items(0)).items) == 1
        await mc.close()
        await gw.login_guard.refresh()
        replays = [e for e in audit(gw, USER) if e.event == login_store.REPLAY]
        assert sum(int((e.detail or "0").split(" ")[0]) for e in replays) == 2  # SOAP, REST
        stale = [e for e in audit(gw) if e.event == login_store.STALE]
        assert stale and stale[0].user is None and stale[0].address == "127.0.0.1"
        assert sum(int((e.detail or "0").split(" ")[0]) for e in stale) == 7

    run(config(tmp_path), body)


@pytest.mark.postgres
def test_a_request_replayed_to_the_other_node_is_refused(tmp_path):
    url = pg_url()
    if not url:
        pytest.skip("POSTFORDELER_TEST_PG_URL is not set")
    fresh_pg(url)

    async def main() -> None:
        a = await start_gateway(config(tmp_path / "a", url))
        b = await start_gateway(config(tmp_path / "b", url))
        try:
            async with httpx.AsyncClient(timeout=20) as http:
                captured = envelope(USER, SECRET)
                headers = {"Content-Type": "text/xml"}
                first = await http.post(a.mailbox_url, content=captured, headers=headers)
                assert first.status_code == 200
                replay = await http.post(b.mailbox_url, content=captured, headers=headers)
                assert replay.status_code == 500 and _fault_code(replay) == "GENTAGELSE"
                # and a user locked on one node is locked on the other
                login_store.lock(a.store, "bo", 10, "127.0.0.1")
                await b.login_guard.refresh()
                assert b.login_guard.is_locked("bo")
        finally:
            await a.stop()
            await b.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- slowloris


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server sent before closing (a reset counts as closed); fails (TimeoutError)
    if it keeps the connection open longer."""
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except ConnectionError:
        return b""


def test_slow_connections_are_closed_while_others_are_served(tmp_path):
    cfg = config(tmp_path)
    cfg.header_timeout = 1.0
    cfg.body_timeout = 1.0
    cfg.min_body_rate = 64 * 1024

    async def body(gw: RunningGateway) -> None:
        host, port = "127.0.0.1", int(gw.base_url.rsplit(":", 1)[1])
        request = b"POST /mailbox HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
        # twenty silent connections; one trickling its headers; one sending half its body and
        # then nothing; one trickling its body
        idle = [await asyncio.open_connection(host, port) for _ in range(20)]
        head_r, head_w = await asyncio.open_connection(host, port)
        stall_r, stall_w = await asyncio.open_connection(host, port)
        drip_r, drip_w = await asyncio.open_connection(host, port)
        for writer in (stall_w, drip_w):
            writer.write(request + b"Content-Length: 100000\r\n\r\n<soap:Envelope")
            await writer.drain()
        started = time.monotonic()

        async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
            try:
                for byte in data:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.2)
            except (ConnectionError, OSError):
                pass

        trickles = [
            asyncio.create_task(trickle(head_w, request + b"X-Slow: " + b"a" * 200)),
            asyncio.create_task(trickle(drip_w, b"x" * 200)),
        ]
        # meanwhile a legitimate client is served
        mc = mailbox(gw)
        async with httpx.AsyncClient(timeout=20) as http:
            await deliver(http, gw)
        assert len((await mc.list_items(0)).items) == 1
        await mc.close()
        answer = await _closed_within(stall_r, 15)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        for reader in (head_r, drip_r, *(r for r, _ in idle)):
            assert not (await _closed_within(reader, 15)).startswith(b"HTTP/1.1 200")
        assert time.monotonic() - started < 15
        for task in trickles:
            task.cancel()
        for _, writer in [*idle, (head_r, head_w), (stall_r, stall_w), (drip_r, drip_w)]:
            writer.close()

    run(cfg, body)


def test_a_peer_that_does_not_read_its_answer_is_cut_off(tmp_path):
    cfg = config(tmp_path)
    cfg.body_timeout = 1.0
    big = message(
        uuid=str(uuid.uuid4()),
        content_b64=base64.b64encode(os.urandom(5 * 1024 * 1024)).decode(),
    )

    async def body(gw: RunningGateway) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            resp = await http.post(
                gw.postmodtag_url, content=big, headers={"Content-Type": "application/xml"}
            )
            assert pm.receipt_from_http(resp.status_code, resp.content).accepted
        # a page with the ~9 MB answer, asked for on a socket that reads nothing for a while
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(gw.base_url.rsplit(":", 1)[1])))
        reader, writer = await asyncio.open_connection(sock=sock)
        call = envelope(USER, SECRET, content=True)
        writer.write(
            b"POST /mailbox HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            + f"Content-Length: {len(call)}\r\n\r\n".encode()
            + call
        )
        await writer.drain()
        # meanwhile others are served
        mc = mailbox(gw)
        started = time.monotonic()
        assert len((await mc.list_items(0, inline_max_bytes=1024)).items) == 1
        assert time.monotonic() - started < LEGIT_BOUND
        await mc.close()
        await asyncio.sleep(2.0)  # well past body_timeout: the gateway gave up on us
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(
                b":"
            )[1]
        )
        got = len(await _closed_within(reader, 15))
        assert length > 8 * 1024 * 1024 and got < length, (got, length)
        writer.close()

    run(cfg, body)
