"""The mailbox SOAP service through the real zeep MailboxClient over loopback: WSDL, paging,
fetch, outcomes, claims (leases), authentication, error mapping, and N concurrent clients
claiming and recording outcomes (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest
import zeep

from app.gateway.faults import FaultPlan
from app.gateway.server import GatewayConfig, RunningGateway, start_gateway
from app.sf1606 import postmodtag as pm
from app.sf1606.mailbox_client import (
    ClaimInfo,
    MailboxClient,
    MailboxError,
    MailboxUnavailable,
)
from tests.test_gateway import SMALL_FILES, db_urls, make_db_url, with_new_uuid

CVR = "29189129"
USERS = {"anna": "hemmelig-a", "bo": "hemmelig-b", "carl": "hemmelig-c", "dorte": "hemmelig-d"}


def client_for(
    gw: RunningGateway, user: str = "anna", secret: str | None = None, **kw
) -> MailboxClient:
    return MailboxClient(
        gw.base_url,
        municipality_cvr=CVR,
        user=user,
        secret=USERS.get(user, "") if secret is None else secret,
        **kw,
    )


def run(url: str, body, *, n_messages: int = 0, **config_kw):
    """Start a gateway on `url`, push n corpus messages through EP_FS1, run body(gw, sent)."""

    async def main():
        config = GatewayConfig(db_url=url, municipality_cvr=CVR, users=USERS, **config_kw)
        gw = await start_gateway(config)
        try:
            sent = []
            async with httpx.AsyncClient() as http:
                for path in SMALL_FILES[:n_messages]:
                    data = path.read_bytes()
                    resp = await http.post(
                        gw.postmodtag_url, content=data, headers={"Content-Type": "application/xml"}
                    )
                    assert pm.receipt_from_http(resp.status_code, resp.content).accepted
                    sent.append(data)
            return await body(gw, sent)
        finally:
            await gw.stop()

    return asyncio.run(main())


def test_wsdl_is_served_with_the_real_address_and_loads_in_zeep(tmp_path):
    async def body(gw, _):
        async with httpx.AsyncClient() as http:
            resp = await http.get(gw.mailbox_wsdl_url)
            assert resp.status_code == 200
            assert f'location="{gw.mailbox_url}"' in resp.text
            resp = await http.get(gw.mailbox_url + "?xsd=../../etc/passwd")
            assert resp.status_code == 404

        def load():
            client = zeep.Client(gw.mailbox_wsdl_url)
            ops = set(
                client.wsdl.bindings[
                    "{https://postfordeler.dk/xml/wsdl/soap11/Mailbox/1/}MailboxBinding"
                ]._operations
            )
            return ops

        ops = await asyncio.to_thread(load)
        assert {
            "PostListe",
            "PostHent",
            "UdfaldRegistrer",
            "ReservationOpret",
            "ReservationFrigiv",
            "ReservationListe",
        } <= ops

    run(f"sqlite:///{tmp_path / 'gw.db'}", body)


@pytest.mark.parametrize("db", db_urls())
def test_list_pages_after_cursor_and_fetch(db, tmp_path):
    url = make_db_url(db, tmp_path)

    async def body(gw, sent):
        mc = client_for(gw)
        try:
            cursor, pages, items = 0, 0, []
            while True:
                page = await mc.list_items(cursor, limit=7)
                pages += 1
                assert len(page.items) <= 7
                if page.items:
                    assert page.next_cursor == page.items[-1].item_id
                    assert all(i.item_id > cursor for i in page.items)
                items.extend(page.items)
                cursor = page.next_cursor
                if not page.more:
                    break
            assert pages == 3 and len(items) == 20
            assert [i.memo for i in items] == sent
            ids = [i.item_id for i in items]
            assert ids == sorted(ids) and len(set(ids)) == 20
            first = items[0]
            assert first.received_at.tzinfo is not None and first.kind in (
                "retursvar",
                "nyhenvendelse",
                "videresendt",
            )
            assert first.status == "ny" and first.outcome is None and first.claimed_by is None
            empty = await mc.list_items(cursor)
            assert empty.items == () and empty.next_cursor == cursor and not empty.more
            fetched = await mc.fetch(items[5].item_id)
            assert fetched == items[5]
            with pytest.raises(MailboxError) as err:
                await mc.fetch(999_999)
            assert err.value.code == "UKENDT_ELEMENT"
        finally:
            await mc.close()

    run(url, body, n_messages=20)


def test_pages_are_bounded_by_bytes_but_never_empty(tmp_path):
    async def body(gw, sent):
        mc = client_for(gw)
        try:
            page = await mc.list_items(0, limit=100)
            assert 1 <= len(page.items) < 10 and page.more
            assert sum(len(i.memo) for i in page.items) <= 3 * 5000 or len(page.items) == 1
            total = list(page.items)
            while page.more:
                page = await mc.list_items(page.next_cursor, limit=100)
                total.extend(page.items)
            assert [i.memo for i in total] == sent
        finally:
            await mc.close()

    run(f"sqlite:///{tmp_path / 'gw.db'}", body, n_messages=10, max_page_bytes=3 * 5000)


@pytest.mark.parametrize("db", db_urls())
def test_claims_leases_and_outcomes(db, tmp_path):
    url = make_db_url(db, tmp_path)

    async def body(gw, _):
        anna, bo = client_for(gw, "anna"), client_for(gw, "bo")
        try:
            claim = await anna.claim(1, lease_seconds=60)
            assert isinstance(claim, ClaimInfo) and claim.user == "anna"
            assert claim.expires_at > claim.claimed_at
            # a colleague sees who holds it and cannot take it or act on it
            with pytest.raises(MailboxError) as err:
                await bo.claim(1)
            assert err.value.code == "RESERVERET" and "anna" in err.value.text
            with pytest.raises(MailboxError) as err:
                await bo.record_outcome(1, "journaliseret", case_id="sag-1")
            assert err.value.code == "RESERVERET"
            with pytest.raises(MailboxError):
                await bo.release(1)
            listed = (await bo.list_items(0)).items
            assert listed[0].claimed_by == "anna" and listed[0].claim_expires_at is not None
            assert [c.item_id for c in await bo.claims()] == [1]
            # the holder records the outcome; that ends the claim
            await anna.record_outcome(1, "journaliseret", case_id="sag-1", note="ok")
            item = await bo.fetch(1)
            assert (item.status, item.outcome, item.outcome_case_id, item.outcome_user) == (
                "behandlet",
                "journaliseret",
                "sag-1",
                "anna",
            )
            assert item.claimed_by is None and await bo.claims() == []
            await anna.record_outcome(1, "journaliseret", case_id="sag-1")  # idempotent retry
            with pytest.raises(MailboxError) as err:
                await bo.record_outcome(1, "afvist")
            assert err.value.code == "ALLEREDE_BEHANDLET"
            with pytest.raises(MailboxError) as err:
                await bo.claim(1)
            assert err.value.code == "ALLEREDE_BEHANDLET"
            # fordelt is not final: the caseworker can claim and journalise later
            await anna.record_outcome(2, "fordelt", note="til bo")
            await bo.claim(2)
            await bo.record_outcome(2, "journaliseret", case_id="sag-2")
            assert (await anna.fetch(2)).status == "behandlet"
            # a lease expires if its holder disappears
            await anna.claim(3, lease_seconds=1)
            with pytest.raises(MailboxError):
                await bo.claim(3)
            await asyncio.sleep(1.2)
            assert (await bo.claim(3)).user == "bo"
            await bo.release(3)
            assert await anna.claims() == []
            await anna.release(3)  # releasing nothing is fine
            with pytest.raises(MailboxError) as err:
                await anna.record_outcome(4, "bogus")
            assert err.value.code == "UGYLDIG_FORESPOERGSEL"  # refused by the schema
            history = gw.store.outcome_history(2)
            assert [h["outcome"] for h in history] == ["fordelt", "journaliseret"]
        finally:
            await anna.close()
            await bo.close()

    run(url, body, n_messages=5)


def test_authentication_and_authority_are_required(tmp_path):
    async def body(gw, _):
        for user, secret, code in (
            ("anna", "forkert", "AUTENTIFIKATION"),
            ("ukendt", "x", "AUTENTIFIKATION"),
        ):
            mc = client_for(gw, user, secret)
            with pytest.raises(MailboxError) as err:
                await mc.list_items(0)
            assert err.value.code == code
            await mc.close()
        other = MailboxClient(
            gw.base_url, municipality_cvr="11111111", user="anna", secret=USERS["anna"]
        )
        with pytest.raises(MailboxError) as err:
            await other.list_items(0)
        assert err.value.code == "AUTORISATION"
        await other.close()
        # no WS-Security header at all, and a hostile DTD: faults, no data
        envelope = (
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            '<mb:PostListeRequest xmlns:mb="https://postfordeler.dk/xml/schemas/Mailbox/1/">'
            '<a:AuthorityContext xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/">'
            f"<a:MunicipalityCVR>{CVR}</a:MunicipalityCVR></a:AuthorityContext>"
            "<mb:EfterElementID>0</mb:EfterElementID></mb:PostListeRequest></soap:Body></soap:Envelope>"
        )
        hostile = (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + envelope.replace("<mb:EfterElementID>0", "<mb:EfterElementID>&e;0")
        )
        async with httpx.AsyncClient() as http:
            for payload in (envelope, hostile, "not xml"):
                resp = await http.post(
                    gw.mailbox_url, content=payload, headers={"Content-Type": "text/xml"}
                )
                assert resp.status_code == 500
                assert "ErrorCode" in resp.text and "PostElement" not in resp.text
                assert "root:" not in resp.text
        good = client_for(gw)
        assert len((await good.list_items(0)).items) == 2
        await good.close()

    run(f"sqlite:///{tmp_path / 'gw.db'}", body, n_messages=2)


def test_unavailable_and_temporary_faults_are_retryable(tmp_path):
    async def body(gw, _):
        mc = client_for(gw, timeout=1.0)
        try:
            assert len((await mc.list_items(0)).items) == 1
            for fault in ("http_500", "soap_fault", "drop"):
                gw.set_faults(FaultPlan(next={fault: 1}))
                with pytest.raises(MailboxUnavailable):
                    await mc.list_items(0)
                assert len((await mc.list_items(0)).items) == 1  # converges once cleared
            gw.set_faults(FaultPlan(next={"slow": 1}, slow_seconds=2.0))
            with pytest.raises(MailboxUnavailable):
                await mc.list_items(0)
        finally:
            await mc.close()
        nowhere = MailboxClient(
            "http://127.0.0.1:9", municipality_cvr=CVR, user="anna", secret="x", timeout=1.0
        )
        with pytest.raises(MailboxUnavailable):
            await nowhere.list_items(0)
        await nowhere.close()

    run(f"sqlite:///{tmp_path / 'gw.db'}", body, n_messages=1)


@pytest.mark.parametrize("db", db_urls())
def test_concurrent_distributors_never_handle_an_item_twice(db, tmp_path):
    """N simulated distributors, each with its own MailboxClient and user, race to claim and
    journalise every item. Some 'crash' while holding a claim (short lease, no release): the
    lease expires and another distributor finishes the item. Every item ends handled exactly
    once, by the one who held the claim."""
    url = make_db_url(db, tmp_path)
    n_items = 30

    async def body(gw, _):
        async with httpx.AsyncClient() as http:  # more items, each with its own UUID
            for i in range(n_items - len(SMALL_FILES[:10])):
                data, _ = with_new_uuid(SMALL_FILES[i % 10].read_bytes())
                await http.post(gw.postmodtag_url, content=data)
        handled: dict[int, list[str]] = {}
        refused: dict[str, int] = {}
        crashed: list[int] = []

        async def distributor(user: str, seed: int) -> None:
            rng = random.Random(seed)
            mc = client_for(gw, user)
            try:
                for _ in range(4):  # passes until nothing is left
                    ids = [
                        i.item_id
                        for i in (await mc.list_items(0, limit=500)).items
                        if i.status == "ny"
                    ]
                    rng.shuffle(ids)
                    for item_id in ids:
                        try:
                            await mc.claim(item_id, lease_seconds=1)
                        except MailboxError as exc:
                            refused[exc.code] = refused.get(exc.code, 0) + 1
                            continue
                        if rng.random() < 0.05 and len(crashed) < 3:
                            crashed.append(item_id)  # dies holding the claim
                            continue
                        await asyncio.sleep(rng.random() * 0.01)
                        try:
                            await mc.record_outcome(item_id, "journaliseret", case_id=f"sag-{user}")
                        except MailboxError as exc:
                            refused[exc.code] = refused.get(exc.code, 0) + 1
                            continue
                        handled.setdefault(item_id, []).append(user)
                    await asyncio.sleep(1.1)  # let crashed leases expire
            finally:
                await mc.close()

        await asyncio.gather(*(distributor(u, n) for n, u in enumerate(USERS)))
        assert sorted(handled) == list(range(1, n_items + 1)), "every item handled"
        assert all(len(v) == 1 for v in handled.values()), "no item handled twice"
        assert refused.get("RESERVERET", 0) + refused.get("ALLEREDE_BEHANDLET", 0) > 0
        page = gw.store.list_after(0, 500, with_memo=False)
        for item in page.items:
            assert item.outcome == "journaliseret"
            assert item.outcome_case_id == f"sag-{handled[item.item_id][0]}"
            assert item.claimed_by is None
            assert len(gw.store.outcome_history(item.item_id)) == 1
        assert gw.store.claims() == []

    run(url, body, n_messages=10)


def test_mailbox_item_matches_contract_fields():
    from dataclasses import fields

    from app.sf1606.mailbox_client import MailboxItem, MailboxPage

    names = [f.name for f in fields(MailboxItem)]
    assert names[:10] == [
        "item_id",
        "message_uuid",
        "received_at",
        "contact_point_id",
        "kind",
        "memo",
        "status",
        "outcome",
        "claimed_by",
        "claim_expires_at",
    ]
    assert [f.name for f in fields(MailboxPage)] == ["items", "next_cursor", "more"]
    assert uuid  # imported for symmetry with test_gateway helpers
