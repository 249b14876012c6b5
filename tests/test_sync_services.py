"""ClientServices: the bundle the UI uses, against the real gateway, SF2900 sandbox and DUBU
directory on loopback — background sync fills the cache, a decision flows out through the outbox."""

from __future__ import annotations

import asyncio
import json

import keyring
import pytest

from app.core.services import ClientServices, MissingSecret, gateway_secret
from app.core.sync import ConnectionState
from app.decisions import Journalise
from tests.conftest import CORPUS, MESSAGES
from tests.test_sync import CVR, SECRET, USER, push

LABELS = json.loads((CORPUS / "labels.json").read_text())


def test_missing_secret_has_a_clear_message():
    with pytest.raises(MissingSecret) as exc:
        gateway_secret("ingen-bruger")
    assert "nøgleringen" in str(exc.value) and "keyring" in str(exc.value)


def test_services_sync_and_deliver(tmp_path):
    from app.dubu.dataset import DubuDataset
    from app.gateway.server import GatewayConfig, start_gateway
    from app.sandbox.dubu_service import DubuDirectoryService
    from app.sandbox.sf2900_service import Sf2900Service

    keyring.set_password("postfordeler", f"gateway:{USER}", SECRET)
    uuids = [u for u, v in sorted(LABELS.items()) if v["case_id"]][:10]

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
                users={USER: SECRET},
                municipality_cvr=CVR,
            )
        )
        sf = Sf2900Service(municipality_cvr=CVR)
        await sf.start()
        dubu = DubuDirectoryService(DubuDataset.load(CORPUS / "dubu.json"))
        await dubu.start()
        statuses, changes = [], []
        services = await ClientServices.create(
            {
                "gateway": gw.base_url,
                "sf2900": sf.service_url,
                "dubu": dubu.base_url,
                "user": USER,
                "municipality_cvr": CVR,
            },
            db_path=tmp_path / "cache.sqlite3",
            sync_interval=0.1,
            on_sync_status=statuses.append,
            on_outbox_change=changes.append,
        )
        try:
            await push(gw.postmodtag_url, [MESSAGES / f"{u}.xml" for u in uuids])
            services.start()
            for _ in range(100):
                await asyncio.sleep(0.05)
                if services.cache.item_count() == 10:
                    break
            assert services.cache.item_count() == 10
            assert any(s.state == ConnectionState.ONLINE for s in statuses)
            item_id = services.cache.item_id_for_uuid(uuids[0])
            oid = await services.enqueue(item_id, Journalise(LABELS[uuids[0]]["case_id"]))
            for _ in range(100):
                await asyncio.sleep(0.05)
                if services.cache.outbox_counts()["delivered"] == 1:
                    break
            row = services.cache.outbox_entries()[0]
            assert row.id == oid and row.status == "delivered"
            assert sf.get(row.transaction_id)["SagForslag"] == LABELS[uuids[0]]["case_id"]
            assert changes and changes[-1]["open"] == 0
        finally:
            await services.close()
            await sf.stop()
            await dubu.stop()
            await gw.stop()

    asyncio.run(main())
