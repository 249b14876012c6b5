"""`postfordeler gateway serve --config gateway.toml --credentials-dir DIR --no-keyring`: the
gateway takes its settings from the file and its secrets (HTTPS key, FOCES certificate + key,
SSH key, STS settings, users file) from a systemd-style credentials folder, never from the
command line. It serves HTTPS with EP_FS1 pinned, logs in the users file's users, and delivers
a decision as SF2900 publishes it (SFTP, STS token, HTTPS SF2900 of the sandbox); a
world-readable key in the credentials folder is refused before anything listens."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from app.gateway.store import hash_secret
from app.sandbox.runner import RunningSandbox, SandboxConfig, start_sandbox
from app.sf1606 import postmodtag as pm
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.tls import pem_client_context, trust_context
from tests.claiming import claim_by_uuid
from tests.conftest import CORPUS, MESSAGES, REPO

LABELS = json.loads((CORPUS / "labels.json").read_text())
USER, SECRET = "anna", "annas-hemmelighed"


def _pin(pin: Any) -> str:
    return f"{pin.subject}={pin.sha256}"


def _write_setup(tmp: Path, sb: RunningSandbox) -> tuple[Path, Path]:
    """gateway.toml (no secrets) and the credentials folder (0600 files)."""
    ep, certs = sb.endpoints, sb.certificates
    creds = tmp / "credentials"
    creds.mkdir(mode=0o700)
    for src, name in (
        (certs.server.key, "tls.key"),
        (certs.municipality.cert, "serviceplatform.crt"),
        (certs.municipality.key, "serviceplatform.key"),
        (Path(ep["sftp_key"]), "sftp.key"),
    ):
        shutil.copy(src, creds / name)
    (creds / "sts.toml").write_text(
        f'url = "{ep["sts"]}"\nsigning_certificate = "{ep["sts_signing_cert"]}"\n'
        f'cvr = "{sb.municipality_cvr}"\n'
    )
    (creds / "users.toml").write_text(
        f'[[users]]\nname = "{USER}"\nrole = "distributor"\nteam = "Team Modtagelse"\n'
        f'contact_points = "*"\nsecret_hash = "{hash_secret(SECRET)}"\n'
    )
    for f in creds.iterdir():
        f.chmod(0o600)
    sftp_port = int(ep["sftp"].rsplit(":", 1)[1])
    config = tmp / "gateway.toml"
    config.write_text(
        f"""[gateway]
host = "127.0.0.1"
port = 0
node_id = "cli-node"
db = "sqlite:///{tmp / "gw.sqlite3"}"
municipality_cvr = "{sb.municipality_cvr}"
receipt_follow_up_hours = 48

[tls]
cert = "{certs.server.cert}"
client_ca = "{certs.ca}"
pins = ["{_pin(certs.postkomponent.pin)}"]
callback_pins = ["{_pin(certs.serviceplatformen.pin)}"]

[sf2900]
url = "{ep["sf2900_tls"]}"
ca_bundle = "{certs.ca}"
security = "sts"

[sftp]
host = "127.0.0.1"
port = {sftp_port}
username = "{ep["sftp_user"]}"
known_hosts = "{ep["sftp_known_hosts"]}"

[dubu]
url = "{ep["dubu"]}"
"""
    )
    return config, creds


async def _serve(tmp: Path, config: Path, creds: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    env["POSTFORDELER_DATA_DIR"] = str(tmp / "served")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "gateway", "serve", "--config", str(config),
        "--credentials-dir", str(creds), "--no-keyring",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, cwd=REPO,
    )  # fmt: skip


def test_gateway_serve_with_config_and_credentials_delivers_as_published(tmp_path):
    message_uuid = next(u for u, v in sorted(LABELS.items()) if v["case_id"])

    async def main() -> None:
        sb = await start_sandbox(
            SandboxConfig(data_dir=tmp_path / "sb", push_messages=False, store_in_keyring=False)
        )
        try:
            config, creds = _write_setup(tmp_path, sb)
            assert "PRIVATE KEY" not in config.read_text()  # the file holds no secret
            proc = await _serve(tmp_path, config, creds)
            assert proc.stdout is not None
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), 60)
                assert line, (await proc.stderr.read()).decode() if proc.stderr else ""
                endpoints = json.loads(line)
                assert endpoints["gateway"].startswith("https://127.0.0.1:")
                await _deliver(sb, endpoints, message_uuid)
            finally:
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 30) == 0

            # a world-readable key in the credentials folder: refused, nothing listens
            (creds / "tls.key").chmod(0o644)
            proc = await _serve(tmp_path, config, creds)
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode != 0 and out == b""
            text = err.decode()
            assert "tls.key" in text and "kan læses af alle" in text
            assert "PRIVATE KEY" not in text
        finally:
            await sb.stop()

    asyncio.run(main())


async def _deliver(sb: RunningSandbox, endpoints: dict[str, Any], message_uuid: str) -> None:
    certs = sb.certificates
    ca = trust_context(certs.ca)
    # EP_FS1 takes the pinned Postkomponent certificate only
    pk = pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca)
    memo = (MESSAGES / f"{message_uuid}.xml").read_bytes()
    async with httpx.AsyncClient(verify=pk, timeout=20) as http:
        resp = await http.post(endpoints["postmodtag"], content=memo, headers=pm.request_headers())
        assert resp.status_code == 200, resp.text
    # the users file's user logs in (and a wrong secret does not)
    async with httpx.AsyncClient(verify=ca, timeout=20) as http:
        wrong = await http.get(
            endpoints["gateway"] + f"/items/{message_uuid}/status",
            auth=FreshBasicAuth(USER, SECRET + "x"),
        )
        assert wrong.status_code == 401
    await claim_by_uuid(  # outcomes only on items the caller holds a claim on
        endpoints["gateway"],
        cvr=sb.municipality_cvr,
        user=USER,
        secret=SECRET,
        ca_bundle=certs.ca,
        message_uuid=message_uuid,
    )
    async with httpx.AsyncClient(verify=ca, auth=FreshBasicAuth(USER, SECRET), timeout=20) as http:
        decision_id = str(uuid.uuid4())
        resp = await http.post(
            endpoints["decisions"],
            json={
                "decision_id": decision_id,
                "message_uuid": message_uuid,
                "action": "journalise",
                "decision": {"case_id": LABELS[message_uuid]["case_id"]},
            },
        )
        assert resp.status_code == 200 and resp.json()["state"] == "afventer", resp.text
        status_url = endpoints["gateway"] + f"/items/{message_uuid}/status"
        for _ in range(600):
            status = (await http.get(status_url)).json()
            if status["state"] != "afventer":
                break
            await asyncio.sleep(0.05)
        # the sandbox SF2900 calls its own gateway back, so this one stays at "sendt"
        assert status["state"] == "sendt", status
    records = [r for r in sb.sf2900.received() if r["AnvenderTransaktionsID"] == decision_id]
    assert len(records) == 1
    assert records[0]["sftp_file_sha256"]
    assert sb.sf2900.token_calls >= 1  # published over HTTPS with an STS token
