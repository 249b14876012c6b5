"""The sandbox's gateway delivers decisions as SF2900 publishes it, end to end with real parts:
messages pushed by the Postkomponent simulator over mutual TLS; decisions posted over HTTPS
(verified against the sandbox CA) with the demo user; the gateway uploads every file to the
sandbox's SFTP server (key authentication), sends one published DOKUMENT per file to the HTTPS
SF2900 endpoint with the municipality's certificate and a SAML token from the sandbox STS; the
SF2900 sandbox calls the gateway's FordelingskvitteringModtag back over mutual TLS with the
"serviceplatformen" certificate (pinned): ACCEPTERET → `accepteret`; AFVIST (fault plan) →
`afvist_af_dubu` with the reason and the item back in the distributors' queue; a duplicated
receipt is harmless; a dropped one flags the decision for follow-up."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import ssl
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.sandbox.faults import FaultPlan
from app.sandbox.runner import RunningSandbox, SandboxConfig, start_sandbox
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.memo import read_memo
from tests.claiming import claim_by_uuid
from tests.conftest import CORPUS, MESSAGES

LABELS = json.loads((CORPUS / "labels.json").read_text())
SECRET = "demo-hemmelig"


def _with_files(count: int, *, at_least: bool, n: int) -> list[str]:
    found = []
    for message_uuid, label in sorted(LABELS.items()):
        path = MESSAGES / f"{message_uuid}.xml"
        if not label["case_id"] or not path.exists() or path.stat().st_size > 200_000:
            continue
        files = len(read_memo(path).files)
        if (files >= count) if at_least else (files == count):
            found.append(message_uuid)
        if len(found) == n:
            break
    return found


class Client:
    def __init__(self, sandbox: RunningSandbox, http: httpx.AsyncClient) -> None:
        self.sandbox, self.http = sandbox, http
        self.ep = sandbox.endpoints

    async def decide(self, message_uuid: str, action: str, decision: dict[str, Any]) -> str:
        await claim_by_uuid(  # outcomes only on items the caller holds a claim on
            self.ep["gateway"],
            cvr=self.sandbox.municipality_cvr,
            user=self.ep["user"],
            secret=SECRET,
            ca_bundle=self.ep["tls_ca"],
            message_uuid=message_uuid,
        )
        decision_id = str(uuid.uuid4())
        resp = await self.http.post(
            self.ep["gateway"] + "/decisions",
            json={
                "decision_id": decision_id,
                "message_uuid": message_uuid,
                "action": action,
                "decision": decision,
            },
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["state"] == "afventer"
        return decision_id

    async def wait(self, message_uuid: str, until: Any, timeout: float = 40.0) -> dict[str, Any]:
        url = self.ep["gateway"] + f"/items/{message_uuid}/status"
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            status = dict((await self.http.get(url)).json())
            if until(status):
                return status
            assert asyncio.get_running_loop().time() < deadline, status
            await asyncio.sleep(0.05)

    async def item_status(self, message_uuid: str) -> str:
        store = self.sandbox.gateway.store
        for item_id in range(1, await asyncio.to_thread(store.max_item_id) + 1):
            item = await asyncio.to_thread(store.fetch, item_id, with_memo=False)
            if item.message_uuid == message_uuid:
                return item.status
        raise AssertionError(message_uuid)


@pytest.mark.expect_log("postfordeler.gateway", "no business receipt")
def test_sandbox_gateway_delivers_as_published_and_applies_the_callback(tmp_path):
    (multi,) = _with_files(2, at_least=True, n=1)
    singles = [m for m in _with_files(1, at_least=False, n=4) if m != multi][:3]
    refused, duplicated, dropped = singles
    chosen = [multi, *singles]
    folder = tmp_path / "messages"
    folder.mkdir()
    for message_uuid in chosen:
        shutil.copy(MESSAGES / f"{message_uuid}.xml", folder)

    async def main() -> None:
        sandbox = await start_sandbox(
            SandboxConfig(
                data_dir=tmp_path / "sandbox",
                messages_dir=folder,
                secret=SECRET,
                store_in_keyring=False,
                receipt_follow_up=timedelta(seconds=1),
                overdue_check_seconds=0.2,
            )
        )
        try:
            ep = sandbox.endpoints
            verify = ssl.create_default_context(cafile=ep["tls_ca"])
            async with httpx.AsyncClient(
                verify=verify, auth=FreshBasicAuth(ep["user"], SECRET), timeout=20
            ) as http:
                c = Client(sandbox, http)
                for _ in range(400):
                    health = (await http.get(ep["gateway_health"])).json()
                    if health["last_item_id"] >= len(chosen):
                        break
                    await asyncio.sleep(0.05)
                await body(c, http)
        finally:
            await sandbox.stop()

    async def body(c: Client, http: httpx.AsyncClient) -> None:
        sandbox, ep = c.sandbox, c.ep
        # 1. journalise a message with several files and a journal note: SFTP + published
        #    SOAP with an STS token, ACCEPTERET by callback for every part → accepteret
        note = "Journalnotat fra fordeleren"
        d1 = await c.decide(
            multi, "journalise", {"case_id": LABELS[multi]["case_id"], "note": note}
        )
        status = await c.wait(multi, lambda s: s["state"] not in ("afventer", "sendt"))
        assert status["state"] == "accepteret", status
        assert status["decision"] == "journalise" and status["decision_id"] == d1
        files = read_memo(MESSAGES / f"{multi}.xml").files
        parts = await asyncio.to_thread(sandbox.gateway.store.delivery_parts, d1)
        assert [p.kind for p in parts] == ["DOKUMENT"] * len(files) + ["JOURNALPOST"]
        assert all(p.step == "accepteret" and p.distribution_transaktions_id for p in parts)
        assert sandbox.sf2900.token_calls >= len(parts)  # every call carried an STS token
        # the inspection endpoint: HTTPS with the sandbox CA, no client certificate
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=ep["tls_ca"])) as i:
            received = {r["anvender_transaktions_id"]: r for r in (await i.get(
                ep["sf2900_received"])).json()}  # fmt: skip
        for p in parts:
            rec = received[p.anvender_transaktions_id]
            assert rec["type"] == p.kind
            assert rec["sag_forslag"] == LABELS[multi]["case_id"].lower()
            assert rec["sent_digitalpost_meddelelses_id"] is False
            if p.kind == "DOKUMENT":
                assert p.file_index is not None
                content = files[p.file_index].content
                assert rec["dokument_fil_navn"] == p.remote_name
                assert rec["sftp_file_sha256"] == hashlib.sha256(content).hexdigest()
                assert [f["size"] for f in rec["files"]] == [len(content)]  # one file each
            else:
                assert rec["notat_is_base64"] is True
                assert rec["sftp_file_sha256"] is None
        oks = [
            cb
            for cb in sandbox.sf2900.callbacks
            if cb["anvender_transaktions_id"] in {p.anvender_transaktions_id for p in parts}
        ]
        assert len(oks) == len(parts) and all(cb["ok"] for cb in oks)

        # 2. DUBU refuses (business receipt AFVIST): afvist_af_dubu with the reason, the item
        #    back in the distributors' queue; a new decision is then allowed
        sandbox.sf2900.faults = FaultPlan.of(
            [{"kind": "receipt_afvist", "count": 1, "reason": "Forkert sag (sandkasse)"}]
        )
        await c.decide(refused, "journalise", {"case_id": LABELS[refused]["case_id"]})
        status = await c.wait(refused, lambda s: s["state"] not in ("afventer", "sendt"))
        assert (status["state"], status["reason"]) == ("afvist_af_dubu", "Forkert sag (sandkasse)")
        assert await c.item_status(refused) == "ny"  # back in the queue
        sandbox.sf2900.faults = FaultPlan.of([])
        await c.decide(refused, "forward", {"kle": "27.24.00"})
        status = await c.wait(refused, lambda s: s["state"] == "accepteret")
        assert status["decision"] == "forward"

        # 3. the receipt twice: applied once, the copy harmless
        sandbox.sf2900.faults = FaultPlan.of([{"kind": "duplicate_receipt", "count": 1}])
        d3 = await c.decide(duplicated, "journalise", {"case_id": LABELS[duplicated]["case_id"]})
        await c.wait(duplicated, lambda s: s["state"] == "accepteret")
        await sandbox.sf2900.wait_callbacks()
        copies = [cb for cb in sandbox.sf2900.callbacks if cb["anvender_transaktions_id"] == d3]
        assert [cb["copy"] for cb in copies] == [1, 2] and all(cb["ok"] for cb in copies)
        assert (await c.wait(duplicated, lambda s: True))["state"] == "accepteret"

        # 4. the receipt never comes: flagged for follow-up after receipt_follow_up (1 s)
        sandbox.sf2900.faults = FaultPlan.of([{"kind": "drop_receipt", "count": 1}])
        await c.decide(dropped, "journalise", {"case_id": LABELS[dropped]["case_id"]})
        status = await c.wait(dropped, lambda s: s["follow_up"], timeout=20)
        assert status["state"] == "sendt"

    asyncio.run(main())


@pytest.mark.expect_log("postfordeler.gateway", "receipt callback refused")
def test_receipt_callback_refuses_a_peer_that_is_not_serviceplatformen(tmp_path):
    """The sandbox gateway's FordelingskvitteringModtag takes only the pinned
    "serviceplatformen" certificate: the Postkomponent's (same CA) is refused (403)."""
    from app.sf1606.tls import pem_client_context

    async def main() -> None:
        sandbox = await start_sandbox(
            SandboxConfig(data_dir=tmp_path / "sb", push_messages=False, store_in_keyring=False)
        )
        try:
            ep = sandbox.endpoints
            certs = sandbox.certificates
            other = pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca)
            async with httpx.AsyncClient(verify=other, timeout=20) as http:
                resp = await http.post(ep["sf2900_callback"], content=b"<x/>")
            assert resp.status_code == 403
            sp = pem_client_context(
                certs.serviceplatformen.cert, certs.serviceplatformen.key, certs.ca
            )
            async with httpx.AsyncClient(verify=sp, timeout=20) as http:
                resp = await http.post(ep["sf2900_callback"], content=b"<x/>")
            assert resp.status_code == 500 and b"soap:Client" in resp.content  # read, invalid
        finally:
            await sandbox.stop()

    asyncio.run(main())
