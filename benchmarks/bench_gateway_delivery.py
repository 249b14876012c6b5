"""The gateway's delivery worker (app/gateway/delivery.py) against the real sandbox parts on
loopback: the asyncssh SFTP server, the SF2900 sandbox service and the DUBU directory service.

- gateway_delivery: 60 journalise decisions (corpus messages with their cases, most with two
  files: two DOKUMENT each, every file uploaded by SFTP first) handed to a running gateway
  with `POST /decisions` at once; one node delivers → `gateway_deliveries_per_s` (decisions
  reaching `sendt` per second), `gateway_decision_to_sent_p50_s` / `_p99_s` (from the POST's
  answer to `sendt`, as seen by polling the status route every 20 ms). SF2900 as published
  (AuthorityContext on plain HTTP).
- decision_to_accepted: the whole sandbox (`start_sandbox`, no configured callback delay):
  30 corpus messages pushed by the Postkomponent simulator over mutual TLS, one journalise
  decision each posted over HTTPS by the demo user; the gateway uploads by SFTP, sends each
  published DOKUMENT with an STS token over mutual TLS, and SF2900 calls the receipt back →
  `decision_to_accepted_p50_s` / `_p99_s` (from the POST's answer to `accepteret` on the status
  route, polled every 20 ms) and `sandbox_accepted_per_s`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
USER, SECRET = "bench", "bench-secret"
DECISIONS = 60


async def _delivery(tmp: Path) -> dict[str, Any]:
    import asyncssh
    import httpx

    from app.dubu.dataset import DubuDataset
    from app.dubu.sftp_upload import SftpConfig
    from app.gateway.delivery import DeliverySettings
    from app.gateway.server import GatewayConfig, start_gateway
    from app.gateway.store import utcnow
    from app.sandbox.dubu_service import DubuDirectoryService
    from app.sandbox.sf2900_service import Sf2900Service
    from app.sandbox.sftp_server import SandboxSftpServer, SftpServerConfig, write_private_key
    from app.sf1606.fresh_auth import FreshBasicAuth

    labels = json.loads((CORPUS / "labels.json").read_text())
    dataset = DubuDataset.load(CORPUS / "dubu.json")
    cvr = dataset.municipality.cvr
    chosen = [u for u, v in sorted(labels.items()) if v["case_id"]][:DECISIONS]
    key = asyncssh.generate_private_key("ssh-ed25519")
    write_private_key(key, tmp / "id_ed25519")
    sftp = SandboxSftpServer(
        SftpServerConfig(root=tmp / "sftp", users={"BENCH": [key.export_public_key().decode()]})
    )
    await sftp.start()
    sf = Sf2900Service(data_dir=tmp / "sf2900", municipality_cvr=cvr)
    await sf.start()
    dubu = DubuDirectoryService(dataset)
    await dubu.start()
    gw = await start_gateway(
        GatewayConfig(
            db_url=f"sqlite:///{tmp / 'gw.sqlite3'}",
            users={USER: SECRET},
            municipality_cvr=cvr,
            spool_dir=tmp / "spool",
            delivery=DeliverySettings(
                sf2900_url=sf.service_url,
                municipality_cvr=cvr,
                sftp=SftpConfig(
                    host="127.0.0.1",
                    port=sftp.port,
                    username="BENCH",
                    private_key=tmp / "id_ed25519",
                    known_hosts=sftp.write_known_hosts(tmp / "known_hosts"),
                ),
                dubu_url=str(dubu.base_url),
                poll_seconds=0.05,
            ),
        )
    )
    try:
        for message_uuid in chosen:
            data = (CORPUS / "messages" / f"{message_uuid}.xml").read_bytes()
            await asyncio.to_thread(
                gw.store.insert_message,
                message_uuid=message_uuid,
                memo=data,
                kind="nyhenvendelse",
                memo_version="1.2",
                contact_point_id=None,
                received_at=utcnow(),
            )
        async with httpx.AsyncClient(auth=FreshBasicAuth(USER, SECRET), timeout=30) as http:
            started, posted, sent = await _decide_and_time(
                http, gw.decisions_url, gw.status_url, chosen, labels, "sendt"
            )
            elapsed = max(sent.values()) - started
        latencies = sorted(sent[m] - posted[m] for m in sent)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        return {
            "gateway_deliveries_per_s": round(len(sent) / elapsed, 2),
            "gateway_decision_to_sent_p50_s": round(statistics.median(latencies), 3),
            "gateway_decision_to_sent_p99_s": round(p99, 3),
            "gateway_delivery_objects": len(sf.received()),
        }
    finally:
        await gw.stop()
        await dubu.stop()
        await sf.stop()
        await sftp.stop()


def gateway_delivery() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="postfordeler-bench-delivery-") as tmp:
        return asyncio.run(_delivery(Path(tmp)))


SANDBOX_DECISIONS = 30


def _p(latencies: list[float], q: float) -> float:
    return latencies[min(len(latencies) - 1, int(len(latencies) * q))]


async def _to_accepted(tmp: Path) -> dict[str, Any]:
    import shutil
    import ssl

    import httpx

    from app.sandbox.runner import SandboxConfig, start_sandbox
    from app.sf1606.fresh_auth import FreshBasicAuth

    labels = json.loads((CORPUS / "labels.json").read_text())
    chosen = [u for u, v in sorted(labels.items()) if v["case_id"]][:SANDBOX_DECISIONS]
    folder = tmp / "messages"
    folder.mkdir()
    for message_uuid in chosen:
        shutil.copy(CORPUS / "messages" / f"{message_uuid}.xml", folder)
    sandbox = await start_sandbox(
        SandboxConfig(
            data_dir=tmp / "sandbox",
            messages_dir=folder,
            dubu_data=CORPUS / "dubu.json",
            secret=SECRET,
            store_in_keyring=False,
            sf2900_callback_delay=0.0,
        )
    )
    try:
        await sandbox.pushed()
        ep = sandbox.endpoints
        verify = ssl.create_default_context(cafile=ep["tls_ca"])
        async with httpx.AsyncClient(
            verify=verify, auth=FreshBasicAuth(ep["user"], SECRET), timeout=30
        ) as http:
            started, posted, accepted = await _decide_and_time(
                http,
                ep["gateway"] + "/decisions",
                lambda m: ep["gateway"] + f"/items/{m}/status",
                chosen,
                labels,
                "accepteret",
            )
        if len(accepted) < len(chosen):
            raise RuntimeError(f"only {len(accepted)} of {len(chosen)} decisions accepted")
        latencies = sorted(accepted[m] - posted[m] for m in accepted)
        return {
            "decision_to_accepted_p50_s": round(statistics.median(latencies), 3),
            "decision_to_accepted_p99_s": round(_p(latencies, 0.99), 3),
            "sandbox_accepted_per_s": round(len(accepted) / (max(accepted.values()) - started), 2),
            "sandbox_sf2900_token_calls": sandbox.sf2900.token_calls,
        }
    finally:
        await sandbox.stop()


def decision_to_accepted() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="postfordeler-bench-accepted-") as tmp:
        return asyncio.run(_to_accepted(Path(tmp)))


async def _decide_and_time(
    http: Any,
    decisions_url: str,
    status_url: Callable[[str], str],
    chosen: list[str],
    labels: dict[str, Any],
    target: str,
) -> tuple[float, dict[str, float], dict[str, float]]:
    """POST a journalise decision for each message, then poll each item's status until it is
    `target`: (start time, when each was posted, when each reached `target`). A decision that
    ends fejlet / afvist_af_dubu stops the run."""
    posted: dict[str, float] = {}
    started = time.perf_counter()
    for message_uuid in chosen:
        resp = await http.post(
            decisions_url,
            json={
                "decision_id": str(uuid.uuid4()),
                "message_uuid": message_uuid,
                "action": "journalise",
                "decision": {"case_id": labels[message_uuid]["case_id"]},
            },
        )
        resp.raise_for_status()
        posted[message_uuid] = time.perf_counter()
    reached: dict[str, float] = {}
    deadline = time.perf_counter() + 600
    while len(reached) < len(chosen) and time.perf_counter() < deadline:
        for message_uuid in chosen:
            if message_uuid in reached:
                continue
            state = (await http.get(status_url(message_uuid))).json()["state"]
            if state == target:
                reached[message_uuid] = time.perf_counter()
            elif state in ("fejlet", "afvist_af_dubu"):
                raise RuntimeError(f"decision ended {state}")
        await asyncio.sleep(0.02)
    return started, posted, reached


BENCHMARKS = {"gateway_delivery": gateway_delivery, "decision_to_accepted": decision_to_accepted}
