"""Team mode in the client: a distributor claims an item at the gateway before deciding; a
colleague sees the claim in their inbox and cannot act on it; the outcome ends the claim.
Real gateway, SF2900 sandbox and DUBU directory on loopback, two real ClientServices."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.core.services import ClaimRefused, ClientServices
from app.decisions import Journalise
from tests.conftest import CORPUS, MESSAGES
from tests.test_sync import CVR, push

LABELS = json.loads((CORPUS / "labels.json").read_text())
USERS = {"eva": "eva-hemmelig-1", "ole": "ole-hemmelig-2"}


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def test_claim_before_acting_colleague_refused_outcome_ends_claim(tmp_path):
    from app.dubu.dataset import DubuDataset
    from app.gateway.server import GatewayConfig, start_gateway
    from app.sandbox.dubu_service import DubuDirectoryService

    uuids = [u for u, v in sorted(LABELS.items()) if v["case_id"]][:4]

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
                users=dict(USERS),
                municipality_cvr=CVR,
            )
        )
        dubu = DubuDirectoryService(DubuDataset.load(CORPUS / "dubu.json"))
        await dubu.start()
        endpoints = {
            "gateway": gw.base_url,
            "dubu": dubu.base_url,
            "municipality_cvr": CVR,
        }
        eva = await ClientServices.create(
            endpoints, user="eva", secret=USERS["eva"], db_path=tmp_path / "eva.sqlite3"
        )
        ole = await ClientServices.create(
            endpoints, user="ole", secret=USERS["ole"], db_path=tmp_path / "ole.sqlite3"
        )
        try:
            await push(gw.postmodtag_url, [MESSAGES / f"{u}.xml" for u in uuids])
            for services in (eva, ole):
                await services.syncer.sync_now()
                assert services.cache.item_count() == len(uuids)
            target = uuids[0]
            eva_item = eva.cache.item_id_for_uuid(target)
            ole_item = ole.cache.item_id_for_uuid(target)

            assert await eva.claim(eva_item) is True
            assert eva.cache.item(eva_item)["claimed_by"] == "eva"
            # Ole's inbox shows Eva's claim once the claims are mirrored ...
            await ole.mirror_claims()
            assert ole.cache.item(ole_item)["claimed_by"] == "eva"
            # ... and Ole cannot claim (nor therefore act on) the item.
            with pytest.raises(ClaimRefused) as refused:
                await ole.claim(ole_item)
            assert refused.value.holder == "eva" and "eva" in str(refused.value)
            assert ole.cache.outbox_counts()["open"] == 0
            # Another item is free for Ole.
            assert await ole.claim(ole.cache.item_id_for_uuid(uuids[1])) is True

            # Eva decides; the outbox delivers and records the outcome, which ends her claim.
            eva.start()
            await eva.enqueue(eva_item, Journalise(LABELS[target]["case_id"]))
            await _until(
                lambda: (
                    eva.cache.outbox_counts()["delivered"] == 1
                    and eva.cache.outbox_counts()["unrecorded"] == 0
                )
            )
            await ole.mirror_claims()
            assert ole.cache.item(ole_item)["claimed_by"] is None
            claims = {c.item_id: c.user for c in await ole.mailbox.claims()}
            assert "eva" not in claims.values() and list(claims.values()) == ["ole"]
        finally:
            await eva.close()
            await ole.close()
            await dubu.stop()
            await gw.stop()

    asyncio.run(main())


def test_claim_offline_does_not_block_the_decision(tmp_path):
    """Gateway gone: the claim cannot be taken, the decision still goes to the outbox (the
    gateway settles conflicts when the outcome is recorded)."""
    from app.gateway.server import GatewayConfig, start_gateway
    from app.ui.backend import UiBackend
    from app.ui.tasks import Background

    uuid = next(u for u, v in sorted(LABELS.items()) if v["case_id"])

    async def main() -> None:
        gw = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
                users=dict(USERS),
                municipality_cvr=CVR,
            )
        )
        services = await ClientServices.create(
            {"gateway": gw.base_url, "municipality_cvr": CVR},
            user="eva",
            secret=USERS["eva"],
            db_path=tmp_path / "c.sqlite3",
            timeout=1.0,
        )
        bg = Background()
        try:
            await push(gw.postmodtag_url, [MESSAGES / f"{uuid}.xml"])
            await services.syncer.sync_now()
            item = services.cache.item_id_for_uuid(uuid)
            await gw.stop()
            assert await services.claim(item) is False
            backend = UiBackend(
                cache=services.cache,
                background=bg,
                suggester=None,
                user="eva",
                claim=services.claim,
            )
            await backend.enqueue(item, Journalise(LABELS[uuid]["case_id"]))
            assert services.cache.outbox_counts()["pending"] == 1
        finally:
            bg.close()
            await services.close()

    asyncio.run(main())
