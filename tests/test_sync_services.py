"""ClientServices: the bundle the UI uses, against the real sandbox (gateway over TLS) —
background sync fills the cache, a decision flows out through the outbox to the gateway."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.core.services import ClientServices, MissingSecret, gateway_secret
from app.core.sync import ConnectionState
from app.decisions import Journalise
from tests.conftest import CORPUS, MESSAGES

LABELS = json.loads((CORPUS / "labels.json").read_text())


def test_missing_secret_has_a_clear_message():
    with pytest.raises(MissingSecret) as exc:
        gateway_secret("ingen-bruger")
    assert "nøgleringen" in str(exc.value) and "keyring" in str(exc.value)


def test_the_secret_comes_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv("POSTFORDELER_SECRET", "fra-miljoeet")
    assert gateway_secret("ingen-bruger") == "fra-miljoeet"
    monkeypatch.setenv("POSTFORDELER_SECRET", "")
    with pytest.raises(MissingSecret):
        gateway_secret("ingen-bruger")


@pytest.mark.expect_log("asyncio", r"socket\.send\(\) raised exception")  # a peer gone at shutdown
def test_services_sync_and_hand_decisions_to_the_gateway(tmp_path):
    """The bundle the UI uses, against the real sandbox over TLS: the background sync fills
    the cache, a decision goes out through the outbox to the gateway (no SF2900 client and no
    municipality certificate on the PC), the same decision again is the same delivery."""
    from app.sandbox.runner import SandboxConfig, SandboxThread

    uuids = [u for u, v in sorted(LABELS.items()) if v["case_id"]][:10]
    folder = tmp_path / "messages"
    folder.mkdir()
    for u in uuids:
        (folder / f"{u}.xml").write_bytes((MESSAGES / f"{u}.xml").read_bytes())
    sandbox = SandboxThread(
        SandboxConfig(messages_dir=folder, data_dir=tmp_path / "sb", store_in_keyring=False)
    )
    ep = sandbox.start()

    async def main() -> None:
        statuses, changes = [], []
        services = await ClientServices.create(
            ep,
            secret=sandbox.secret,
            db_path=tmp_path / "cache.sqlite3",
            sync_interval=0.1,
            on_sync_status=statuses.append,
            on_outbox_change=changes.append,
        )
        try:
            assert services.gateway is not None and services.outbox is not None
            await asyncio.to_thread(sandbox.wait_pushed, 60)
            services.start()
            for _ in range(200):
                await asyncio.sleep(0.05)
                if services.cache.item_count() == 10:
                    break
            assert services.cache.item_count() == 10
            assert any(s.state == ConnectionState.ONLINE for s in statuses)
            item_id = services.cache.item_id_for_uuid(uuids[0])
            decision = Journalise(LABELS[uuids[0]]["case_id"])
            queued = await services.decide(item_id, decision)
            assert not queued.reused
            for _ in range(200):
                await asyncio.sleep(0.05)
                if services.cache.outbox_counts()["delivered"] == 1:
                    break
            row = services.cache.outbox_entries()[0]
            assert row.id == queued.outbox_id and row.status == "delivered"
            assert row.transaction_id == queued.decision_id
            status = await services.gateway.status(uuids[0])
            assert (status.decision, status.decision_id) == ("journalise", queued.decision_id)
            assert services.cache.delivery(item_id).state in ("afventer", "sendt", "accepteret")
            again = await services.decide(item_id, decision)
            assert again.reused and again.decision_id == queued.decision_id
            assert changes and changes[-1]["open"] == 0
        finally:
            await services.close()

    try:
        asyncio.run(main())
    finally:
        sandbox.stop()
