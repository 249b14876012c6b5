"""The sandbox as a whole: the CLI subprocess (ready line, health endpoints, clean SIGINT/SIGTERM
exit), the in-process thread helper, and the simulator's redelivery."""

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
import keyring
import pytest

from app.sandbox.runner import DEMO_USER, SandboxConfig, SandboxThread
from app.sandbox.simulator import PostkomponentSimulator
from app.sf1606.tls import pem_client_context, trust_context

from .conftest import MESSAGES


def start_cli(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    line = proc.stdout.readline()  # blocks until ready (or the process dies)
    if not line:
        proc.kill()
        raise AssertionError(f"sandbox died: {proc.stderr.read()}")
    return proc, json.loads(line)


def wait_health(url: str, key: str, want: int, ca: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        data = httpx.get(url, timeout=5, verify=trust_context(ca)).json()
        if data.get(key, 0) >= want or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_ready_line_health_and_clean_exit(tmp_path, sig):
    proc, ep = start_cli(tmp_path / "d", "--no-messages", "--generate", "12", "--rate", "200")
    try:
        assert ep["ready"] is True
        for key in (
            "gateway",
            "mailbox_wsdl",
            "sf2900",
            "dubu",
            "postmodtag",
            "sf2900_received",
            "user",
            "tls_ca",
            "postkomponent_cert",
            "postkomponent_key",
        ):
            assert ep[key], key
        assert ep["messages"] == 12 and ep["user"] == DEMO_USER
        for key in (
            "gateway",
            "mailbox",
            "mailbox_wsdl",
            "postmodtag",
            "gateway_health",
            "sf2900",  # SF2900 as published only: HTTPS, no plain-HTTP endpoint
            "sf2900_wsdl",
            "sf2900_faults",
        ):
            assert ep[key].startswith("https://127.0.0.1:"), key
        for key in ("tls_ca", "postkomponent_cert", "postkomponent_key"):
            assert Path(ep[key]).is_file(), key
        assert Path(ep["postkomponent_key"]).stat().st_mode & 0o077 == 0
        health = wait_health(f"{ep['gateway']}/health", "last_item_id", 12, ep["tls_ca"])
        assert health["last_item_id"] == 12
        with pytest.raises(httpx.ConnectError):  # not trusted without the sandbox CA
            httpx.get(ep["gateway_health"], timeout=5)
        wsdl = httpx.get(ep["mailbox_wsdl"], verify=trust_context(ep["tls_ca"])).text
        assert wsdl.count("definitions") >= 1 and f'location="{ep["mailbox"]}"' in wsdl
        assert httpx.get(ep["sf2900_wsdl"], verify=trust_context(ep["tls_ca"])).status_code == 200
        # the SF2900 inspection endpoint: HTTPS with the sandbox CA, no client certificate
        received = httpx.get(ep["sf2900_received"], verify=trust_context(ep["tls_ca"]))
        assert ep["sf2900_received"].startswith("https://") and received.json() == []
        assert httpx.get(f"{ep['dubu']}/health").json()["ok"] is True
        # the demo secret went to the (test) keyring the child process shares with us
        assert keyring.get_password("postfordeler", f"gateway:{DEMO_USER}")
    finally:
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert rc == 0, proc.stderr.read()


def test_cli_rejects_missing_folder(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "--data-dir",
            str(tmp_path),
            "sandbox",
            "--messages",
            str(tmp_path / "nope"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and "findes ikke" in r.stderr


def test_sandbox_thread_serves_and_pushes_corpus_subset(tmp_path):
    folder = tmp_path / "msgs"
    folder.mkdir()
    for src in sorted(MESSAGES.glob("*.xml"))[:15]:
        (folder / src.name).write_bytes(src.read_bytes())
    sandbox = SandboxThread(
        SandboxConfig(messages_dir=folder, generate=5, data_dir=tmp_path / "sb")
    )
    ep = sandbox.start()
    try:
        stats = sandbox.wait_pushed(60)
        assert stats.accepted == 20 and stats.rejected == 0 and stats.failed == 0
        health = httpx.get(f"{ep['gateway']}/health", verify=trust_context(ep["tls_ca"])).json()
        assert health["last_item_id"] == 20
        assert sandbox.secret and sandbox.running.municipality_cvr == ep["municipality_cvr"]
        import keyring

        assert keyring.get_password("postfordeler", f"gateway:{DEMO_USER}") == sandbox.secret
        assert not list((tmp_path / "sb").rglob("*credentials*"))  # never in files
        # the thread's loop is not ours: the main thread stays free
        assert sandbox._thread is not None and sandbox._thread.daemon
    finally:
        sandbox.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{ep['gateway']}/health", timeout=2, verify=trust_context(ep["tls_ca"]))

    # restarted on the same data dir: the gateway keeps its messages, redelivery is a duplicate
    again = SandboxThread(SandboxConfig(messages_dir=folder, data_dir=tmp_path / "sb"))
    again.start()
    try:
        stats = again.wait_pushed(60)
        assert stats.accepted == 15 and stats.duplicates == 15
    finally:
        again.stop()


def test_simulator_redelivers_through_gateway_faults(tmp_path):
    """HTTP 500s and dropped connections at the gateway: the simulator retries with the same
    transaction id until accepted; nothing is lost or doubled."""
    sandbox = SandboxThread(SandboxConfig(push_messages=False, data_dir=tmp_path / "sb"))
    ep = sandbox.start()
    try:
        plan = {
            "next": {"http_500": 2, "drop": 1, "drop_after_store": 1},
            "targets": ["postmodtag"],
        }
        assert (
            httpx.post(
                ep["gateway_faults"], json=plan, verify=trust_context(ep["tls_ca"])
            ).status_code
            == 200
        )
        files = sorted(MESSAGES.glob("*.xml"))[:6]

        async def push():
            tls = pem_client_context(
                ep["postkomponent_cert"], ep["postkomponent_key"], ep["tls_ca"]
            )
            sim = PostkomponentSimulator(
                ep["postmodtag"], backoff=0.01, concurrency=2, seed=3, ssl_context=tls
            )
            return await sim.push(files)

        async def listed():
            from app.sf1606.mailbox_client import MailboxClient

            client = MailboxClient(
                ep["gateway"],
                municipality_cvr=ep["municipality_cvr"],
                user=ep["user"],
                secret=sandbox.secret,
                ca_bundle=ep["tls_ca"],
            )
            try:
                page = await client.list_items(0, 100)
            finally:
                await client.close()
            return sorted(i.message_uuid for i in page.items)

        stats = asyncio.run(push())
        assert stats.accepted == 6 and stats.failed == 0 and stats.retries >= 4
        assert stats.duplicates == 1  # stored, connection dropped, redelivered
        assert asyncio.run(listed()) == sorted(f.stem for f in files)  # each stored exactly once
    finally:
        sandbox.stop()
