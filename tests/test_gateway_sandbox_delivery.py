"""The sandbox's gateway delivers decisions: messages pushed by the Postkomponent simulator over
mutual TLS, a decision posted over HTTPS (verified against the sandbox CA) with the demo user,
delivered by the gateway through the sandbox's SFTP server and SF2900 service."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import uuid

import httpx

from app.gateway.store import ReceiptOutcome
from app.sandbox.runner import SandboxConfig, start_sandbox
from app.sf1606.memo import read_memo
from tests.conftest import CORPUS, MESSAGES

LABELS = json.loads((CORPUS / "labels.json").read_text())


def test_sandbox_gateway_delivers_a_decision_by_sftp_and_sf2900(tmp_path):
    chosen = [u for u, v in sorted(LABELS.items()) if v["case_id"]][:2]
    folder = tmp_path / "messages"
    folder.mkdir()
    for message_uuid in chosen:
        shutil.copy(MESSAGES / f"{message_uuid}.xml", folder)

    async def main() -> None:
        sandbox = await start_sandbox(
            SandboxConfig(
                data_dir=tmp_path / "sandbox",
                messages_dir=folder,
                secret="demo-hemmelig",
                store_in_keyring=False,
            )
        )
        try:
            ep = sandbox.endpoints
            verify = ssl.create_default_context(cafile=ep["tls_ca"])
            auth = (ep["user"], "demo-hemmelig")
            async with httpx.AsyncClient(verify=verify, auth=auth, timeout=20) as http:
                for _ in range(400):
                    health = (await http.get(ep["gateway_health"])).json()
                    if health["last_item_id"] >= len(chosen):
                        break
                    await asyncio.sleep(0.05)
                message_uuid = chosen[0]
                decision_id = str(uuid.uuid4())
                resp = await http.post(
                    ep["gateway"] + "/decisions",
                    json={
                        "decision_id": decision_id,
                        "message_uuid": message_uuid,
                        "action": "journalise",
                        "decision": {"case_id": LABELS[message_uuid]["case_id"]},
                    },
                )
                assert resp.status_code == 200 and resp.json()["state"] == "afventer"
                status_url = ep["gateway"] + f"/items/{message_uuid}/status"
                for _ in range(400):
                    status = (await http.get(status_url)).json()
                    if status["state"] != "afventer":
                        break
                    await asyncio.sleep(0.05)
                assert status["state"] == "sendt", status
            received = [
                r for r in sandbox.sf2900.received() if r["AnvenderTransaktionsID"] == decision_id
            ]
            assert len(received) == 1 and received[0]["ObjektType"] == "DOKUMENT"
            name = received[0]["DokumentFilNavn"]
            sftp = sandbox.sftp_sts
            assert sftp is not None
            on_server = sftp.sftp.file_info(ep["sftp_user"], name)
            first = read_memo(MESSAGES / f"{message_uuid}.xml").files[0]
            assert on_server is not None and on_server.sha256 == first.sha256
            parts = sandbox.gateway.store.delivery_parts(decision_id)
            assert len(parts) == len(read_memo(MESSAGES / f"{message_uuid}.xml").files)
            for p in parts:
                assert (
                    sandbox.gateway.store.apply_business_receipt(
                        _Accepted(p.anvender_transaktions_id)
                    )
                    is ReceiptOutcome.APPLIED
                )
            assert sandbox.gateway.store.decision_status(message_uuid).state == "accepteret"
        finally:
            await sandbox.stop()

    asyncio.run(main())


class _Accepted:
    def __init__(self, tid: str) -> None:
        self.anvender_transaktions_id = tid
        self.status = "ACCEPTERET"
        self.reason = None
        self.distribution_transaktions_id = None
        self.sent_at = None
