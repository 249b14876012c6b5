"""Two gateway nodes on one PostgreSQL (issue 9 point 6), no balancer: the test alternates.

Real parts only: two `postfordeler gateway serve` processes (tests/gateway_nodes.py) over HTTPS
with EP_FS1 mutual TLS (the sandbox test CA, the Postkomponent certificate pinned) against the
PostgreSQL server the test session starts (tests/pg_server.py; `.ci/run` installs it).

- EP_FS1 to both nodes, the same message retried on the other node and raced on both: stored
  once, exactly one of the answers is the first receipt, the rest are duplicates;
- the mailbox lists of both nodes agree, and a client syncing by cursor while alternating nodes
  page by page misses nothing (ids become visible in order across nodes);
- claims are exclusive across nodes, an outcome recorded on one node is final on the other;
- SIGKILL of either node mid-stream, repeatedly, while pushers send: every accepted message is
  stored exactly once and byte-exact, nothing refused is stored, nothing is lost;
- decisions (POST /decisions) posted to both nodes, retried and raced across them, delivered by
  both nodes' delivery workers (the gateway outbox, SKIP LOCKED leases) through the real SFTP
  server and the sandbox SF2900 while each node is SIGKILLed mid-delivery: each decision once,
  one DOKUMENT per file, every business receipt applied once, `accepteret` on both nodes.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest
from sqlalchemy import select

from app.dubu.dataset import DubuDataset
from app.gateway.receipts import CALLBACK_PATH
from app.gateway.store import GatewayStore, business_receipts
from app.sandbox.dubu_service import DubuDirectoryService
from app.sandbox.sf2900_service import Sf2900Service
from app.sandbox.sftp_server import SandboxSftpServer, SftpServerConfig, write_private_key
from app.sf1606 import postmodtag as pm
from app.sf1606.fresh_auth import FreshBasicAuth
from app.sf1606.mailbox_client import MailboxClient, MailboxError, MailboxItem
from app.sf1606.memo import read_memo
from app.sf1606.tls import trust_context
from tests.gateway_nodes import (
    CVR,
    MESSAGES,
    GatewayNode,
    Pki,
    corpus_frames,
    empty_database,
    fresh_message,
    shared_store_key,
)

pytestmark = pytest.mark.postgres

USERS = {"anna": "annas-secret-1", "bo": "bos-secret-2"}


def start_pair(tmp_path: Path, pg_url: str) -> tuple[Pki, list[GatewayNode]]:
    url = empty_database(pg_url)
    pki = Pki.create(tmp_path / "tls")
    # the first node migrates the schema and creates the users; the second finds both there
    first = GatewayNode("node-a", tmp_path, url, pki, users=USERS)
    second = GatewayNode("node-b", tmp_path, url, pki)
    first.start()
    try:
        second.start()
    except BaseException:
        first.stop()
        raise
    return pki, [first, second]


def mailbox(node: GatewayNode, pki: Pki, user: str = "anna") -> MailboxClient:
    return MailboxClient(
        node.base_url, municipality_cvr=CVR, user=user, secret=USERS[user], ca_bundle=pki.ca
    )


async def list_all(node: GatewayNode, pki: Pki) -> list[MailboxItem]:
    items: list[MailboxItem] = []
    async with mailbox(node, pki) as client:
        cursor, more = 0, True
        while more:
            page = await client.list_items(cursor, 500)
            items.extend(page.items)
            cursor, more = page.next_cursor, page.more
    return items


async def deliver(http: httpx.AsyncClient, node: GatewayNode, data: bytes) -> pm.Receipt:
    resp = await http.post(node.postmodtag_url, content=data, headers=pm.request_headers())
    return pm.receipt_from_http(resp.status_code, resp.content)


def test_two_nodes_exactly_once_lists_agree_claims_exclusive(tmp_path, pg_url):
    pki, nodes = start_pair(tmp_path, pg_url)
    frames = corpus_frames(40)
    sent: dict[str, bytes] = {}

    async def main() -> None:
        async with httpx.AsyncClient(timeout=60, verify=pki.sender_context()) as http:
            # a peer without the pinned certificate is refused by both nodes
            async with httpx.AsyncClient(timeout=30, verify=trust_context(pki.ca)) as anonymous:
                for node in nodes:
                    resp = await anonymous.post(node.postmodtag_url, content=frames[0])
                    assert resp.status_code == 403

            # round robin; every third message retried on the other node (Postkomponent
            # resending after a lost answer), every fifth raced on both nodes at once
            async def one(n: int) -> None:
                key, data = fresh_message(frames, n)
                sent[key] = data
                here, other = nodes[n % 2], nodes[(n + 1) % 2]
                if n % 5 == 0:
                    receipts = await asyncio.gather(
                        *(deliver(http, node, data) for node in (here, other, here, other))
                    )
                else:
                    receipts = [await deliver(http, here, data)]
                    if n % 3 == 0:
                        receipts.append(await deliver(http, other, data))
                assert all(r.accepted and r.message_uuid == key for r in receipts), receipts
                assert sum(not r.duplicate for r in receipts) == 1, (n, receipts)

            await asyncio.gather(*(one(n) for n in range(60)))

        # both nodes list the same items, each once, byte-exact, in increasing id order
        lists = [await list_all(node, pki) for node in nodes]
        keyed = [[(i.item_id, i.message_uuid, i.sha256) for i in items] for items in lists]
        assert keyed[0] == keyed[1]
        uuids = [i.message_uuid.lower() for i in lists[0]]
        assert sorted(uuids) == sorted(sent) and len(set(uuids)) == len(sent)
        assert all(i.memo == sent[i.message_uuid.lower()] for i in lists[0])
        ids = [i.item_id for i in lists[0]]
        assert ids == sorted(ids)

        # claims: the same items claimed by two users on two nodes at once, one wins each
        async with mailbox(nodes[0], pki, "anna") as anna, mailbox(nodes[1], pki, "bo") as bo:
            targets = ids[:8]  # under the policy's 10 claims per user whoever wins

            async def race(item_id: int) -> str:
                results = await asyncio.gather(
                    anna.claim(item_id, 120), bo.claim(item_id, 120), return_exceptions=True
                )
                won = [r for r in results if not isinstance(r, BaseException)]
                lost = [r for r in results if isinstance(r, BaseException)]
                assert len(won) == 1 and len(lost) == 1, results
                assert isinstance(lost[0], MailboxError), lost
                assert lost[0].code == "RESERVERET", lost[0]
                return won[0].user

            winners = await asyncio.gather(*(race(i) for i in targets))
            seen_a = {(c.item_id, c.user) for c in await anna.claims()}
            seen_b = {(c.item_id, c.user) for c in await bo.claims()}
            assert seen_a == seen_b == set(zip(targets, winners, strict=True))
            # the loser cannot take it over on either node while the lease lives
            for item_id, winner in zip(targets, winners, strict=True):
                loser = bo if winner == "anna" else anna
                with pytest.raises(MailboxError) as refused:
                    await loser.claim(item_id, 60)
                assert refused.value.code == "RESERVERET"
            # an outcome recorded on node A is final on node B
            first = targets[0]
            holder = anna if winners[0] == "anna" else bo
            other = bo if holder is anna else anna
            await holder.record_outcome(first, "journaliseret", case_id="sag-1")
            with pytest.raises(MailboxError) as done:
                await other.claim(first, 60)
            assert done.value.code == "ALLEREDE_BEHANDLET"
            fetched = await other.fetch(first)
            assert fetched.outcome == "journaliseret"

    try:
        asyncio.run(main())
    finally:
        for node in nodes:
            node.stop()


def test_sigkill_either_node_mid_stream_loses_nothing(tmp_path, pg_url):
    pki, nodes = start_pair(tmp_path, pg_url)
    frames = corpus_frames(60)
    rng = random.Random(9)
    sent: dict[str, bytes] = {}
    accepted: set[str] = set()
    refused: set[str] = set()
    pending: list[tuple[str, bytes]] = []  # no answer: redeliver, to the other node
    synced: dict[str, int] = {}  # what a client syncing by cursor across both nodes saw
    state = {"generating": True, "in_flight": 0, "counter": 0, "redelivered": 0, "kills": 0}

    def next_message() -> tuple[str, bytes] | None:
        if pending:
            state["redelivered"] += 1
            return pending.pop(0)
        if not state["generating"]:
            return None
        state["counter"] += 1
        n = state["counter"]
        key, data = fresh_message(frames, n, valid=n % 9 != 0)
        sent[key] = data
        return key, data

    async def pusher(http: httpx.AsyncClient, me: int) -> None:
        turn = me
        while True:
            msg = next_message()
            if msg is None:
                if not state["generating"] and not pending and state["in_flight"] == 0:
                    return
                await asyncio.sleep(0.02)
                continue
            key, data = msg
            turn += 1
            node = nodes[turn % 2]
            state["in_flight"] += 1
            try:
                receipt: pm.Receipt | None = await deliver(http, node, data)
            except httpx.HTTPError:
                receipt = None
            finally:
                state["in_flight"] -= 1
            if receipt is None or receipt.retryable:
                pending.append((key, data))
            elif receipt.accepted:
                accepted.add(key)
            else:
                refused.add(key)

    async def syncer(stop: asyncio.Event) -> None:
        """A client syncing by cursor, each page from the next node that answers."""
        cursor, turn = 0, 0
        while True:
            finishing = stop.is_set()
            node = nodes[turn % 2]
            turn += 1
            try:
                async with mailbox(node, pki) as client:
                    more = True
                    while more:
                        page = await client.list_items(cursor, 50)
                        for item in page.items:
                            key = item.message_uuid.lower()
                            synced[key] = synced.get(key, 0) + 1
                        cursor, more = page.next_cursor, page.more
            except Exception:  # the node was killed mid-list: the next one goes on from cursor
                await asyncio.sleep(0.05)
                continue
            if finishing:
                return
            await asyncio.sleep(0.1)

    async def main() -> None:
        limits = httpx.Limits(max_keepalive_connections=4)
        timeout = httpx.Timeout(20.0, connect=3.0)
        async with httpx.AsyncClient(
            timeout=timeout, limits=limits, verify=pki.sender_context()
        ) as http:
            stop_sync = asyncio.Event()
            workers = [asyncio.create_task(pusher(http, i)) for i in range(6)]
            sync_task = asyncio.create_task(syncer(stop_sync))
            try:
                for trial in range(4):
                    victim = nodes[trial % 2]
                    await asyncio.sleep(rng.uniform(0.4, 1.5))
                    await asyncio.to_thread(victim.kill)
                    state["kills"] += 1
                    await asyncio.sleep(rng.uniform(0.2, 0.8))  # the other node carries on
                    await asyncio.to_thread(victim.start)
                state["generating"] = False
                await asyncio.wait_for(asyncio.gather(*workers), timeout=180)
                stop_sync.set()
                await asyncio.wait_for(sync_task, timeout=120)
            finally:
                for task in [*workers, sync_task]:
                    task.cancel()

        lists = [await list_all(node, pki) for node in nodes]
        assert [(i.item_id, i.message_uuid) for i in lists[0]] == [
            (i.item_id, i.message_uuid) for i in lists[1]
        ]
        stored: dict[str, int] = {}
        problems: list[str] = []
        for item in lists[0]:
            key = item.message_uuid.lower()
            stored[key] = stored.get(key, 0) + 1
            if key not in sent:
                problems.append(f"stored but never sent: {key}")
            elif item.memo != sent[key]:
                problems.append(f"stored bytes differ: {key}")
        for key in accepted:
            if stored.get(key, 0) != 1:
                problems.append(f"accepted, stored {stored.get(key, 0)} times: {key}")
        problems += [f"refused but stored: {k}" for k in refused & stored.keys()]
        problems += [f"never answered: {k}" for k in set(sent) - accepted - refused]
        problems += [f"sync saw {k} {n} times" for k, n in synced.items() if n != 1]
        problems += [f"sync missed {k}" for k in stored.keys() - synced.keys()]
        assert not problems, problems[:20]
        assert state["kills"] == 4 and len(accepted) > 40 and refused
        assert state["redelivered"] > 0  # the kills did land mid-stream

    try:
        asyncio.run(main())
    finally:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(GatewayNode.stop, nodes))


# --------------------------------------------------------------------------- decisions

LABELS = json.loads((MESSAGES / ".." / "labels.json").read_text())
SFTP_USER = "KY_SIMPELSFTP"


def decidable(count: int) -> list[tuple[str, str, int]]:
    """(message_uuid, case_id, number of files) of small corpus messages with a DUBU case."""
    found = []
    for message_uuid, label in sorted(LABELS.items()):
        path = MESSAGES / f"{message_uuid}.xml"
        if label["case_id"] and path.exists() and path.stat().st_size < 150_000:
            found.append((message_uuid, str(label["case_id"]), len(read_memo(path).files)))
        if len(found) == count:
            break
    return found


@pytest.mark.expect_log("postfordeler.sandbox", "")
def test_decisions_delivered_once_by_two_nodes_with_nodes_killed(tmp_path, pg_url):
    """Decisions posted to both nodes (retried and raced across them) are delivered to SF2900
    exactly once, one DOKUMENT per file, while each node is SIGKILLed mid-delivery: a dead
    node's lease expires and the other node finishes from the persisted step."""
    url = empty_database(pg_url)
    pki = Pki.create(tmp_path / "tls")
    chosen = decidable(14)
    assert len(chosen) == 14 and any(files > 1 for _, _, files in chosen)
    user, secret = "anna", USERS["anna"]

    async def main() -> None:
        key = asyncssh.generate_private_key("ssh-ed25519")
        write_private_key(key, tmp_path / "id_ed25519")
        sftp = SandboxSftpServer(
            SftpServerConfig(
                root=tmp_path / "sftp",
                users={SFTP_USER: [key.export_public_key().decode()]},
            )
        )
        await sftp.start()
        # slow SOAP answers widen the window between upload, call and persisted step
        sf = Sf2900Service(
            data_dir=tmp_path / "sf2900",
            municipality_cvr=CVR,
            faults=[
                {
                    "kind": "slow",
                    "seconds": 0.8,
                    "probability": 0.8,
                    "operations": ["FordelingsobjektAfsend"],
                }
            ],
            seed=3,
        )
        await sf.start()
        dubu = DubuDirectoryService(DubuDataset.load(MESSAGES / ".." / "dubu.json"))
        await dubu.start()
        delivery = {
            "sf2900_url": sf.service_url,
            "dubu_url": str(dubu.base_url),
            "sftp": {
                "host": "127.0.0.1",
                "port": sftp.port,
                "username": SFTP_USER,
                "private_key": str(tmp_path / "id_ed25519"),
                "known_hosts": str(sftp.write_known_hosts(tmp_path / "known_hosts")),
            },
            "lease_seconds": 2.0,
            "poll_seconds": 0.1,
        }
        nodes = [
            GatewayNode(
                name,
                tmp_path,
                url,
                pki,
                users={user: secret} if name == "node-a" else {},
                delivery={**delivery, "node_id": name},
            )
            for name in ("node-a", "node-b")
        ]
        store = GatewayStore(url, key_file=shared_store_key(tmp_path))
        try:
            for node in nodes:
                await asyncio.to_thread(node.start)
            async with httpx.AsyncClient(timeout=60, verify=pki.sender_context()) as sender:
                for n, (message_uuid, _, _) in enumerate(chosen):
                    data = (MESSAGES / f"{message_uuid}.xml").read_bytes()
                    assert (await deliver(sender, nodes[n % 2], data)).accepted
            http = httpx.AsyncClient(
                auth=FreshBasicAuth(user, secret), timeout=30, verify=trust_context(pki.ca)
            )

            async def post(node: GatewayNode, body: dict[str, Any]) -> httpx.Response:
                return await http.post(node.base_url + "/decisions", json=body)

            async def status(message_uuid: str) -> dict[str, Any] | None:
                for node in nodes:
                    if not node.alive:
                        continue
                    try:
                        resp = await http.get(f"{node.base_url}/items/{message_uuid}/status")
                    except httpx.HTTPError:
                        continue
                    assert resp.status_code == 200, resp.text
                    return dict(resp.json())
                return None

            decisions: dict[str, str] = {}

            async def decide(n: int, message_uuid: str, case_id: str) -> None:
                body: dict[str, Any] = {
                    "decision_id": str(uuid.uuid4()),
                    "message_uuid": message_uuid,
                    "action": "journalise",
                    "decision": {"case_id": case_id}
                    | ({"note": "Journalnotat fra fordeleren"} if n % 4 == 0 else {}),
                }
                here, other = nodes[n % 2], nodes[(n + 1) % 2]
                if n % 3 == 0:  # raced on both nodes at once
                    answers = await asyncio.gather(post(here, body), post(other, body))
                else:  # the answer "lost", the client retries on the other node
                    answers = (await post(here, body), await post(other, body))
                assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
                assert {a.json()["decision_id"] for a in answers} == {body["decision_id"]}
                decisions[message_uuid] = body["decision_id"]
                # another decision on the same item, on the other node: refused
                again = await post(other, {**body, "decision_id": str(uuid.uuid4())})
                assert again.status_code == 409 and again.json()["error"] == "ALLEREDE_BEHANDLET"

            # four waves of decisions; shortly after each, one node is SIGKILLed (alternating)
            # while the wave is being delivered, and restarted before the next wave
            rng = random.Random(5)
            mid_delivery = 0
            waves = [list(enumerate(chosen))[w::4] for w in range(4)]
            for trial, wave in enumerate(waves):
                for n, (message_uuid, case_id, _) in wave:
                    await decide(n, message_uuid, case_id)
                # soon: one SSH connection per node now makes a wave's delivery quick
                await asyncio.sleep(rng.uniform(0.0, 0.1))
                victim = nodes[trial % 2]
                mid_delivery += bool(await asyncio.to_thread(store.outbox_rows))
                await asyncio.to_thread(victim.kill)
                await asyncio.sleep(rng.uniform(0.1, 0.5))
                await asyncio.to_thread(victim.start)

            assert mid_delivery >= 3  # the kills hit nodes with deliveries under way
            deadline = asyncio.get_running_loop().time() + 180
            pending = set(decisions)
            while pending:
                for message_uuid in sorted(pending):
                    got = await status(message_uuid)
                    if got is not None and got["state"] == "sendt":
                        assert got["decision_id"] == decisions[message_uuid]
                        pending.discard(message_uuid)
                assert asyncio.get_running_loop().time() < deadline, sorted(pending)
                await asyncio.sleep(0.2)

            # SF2900 holds exactly the parts of the decisions, each once; one file per DOKUMENT
            parts = {
                m: await asyncio.to_thread(store.delivery_parts, did)
                for m, did in decisions.items()
            }
            received = {r["AnvenderTransaktionsID"]: r for r in sf.received()}
            expected = {p.anvender_transaktions_id for ps in parts.values() for p in ps}
            assert len(sf.received()) == len(received) == len(expected)
            assert set(received) == expected
            for (message_uuid, case_id, files), n in zip(chosen, range(len(chosen)), strict=True):
                ps = parts[message_uuid]
                kinds = ["DOKUMENT"] * files + (["JOURNALPOST"] if n % 4 == 0 else [])
                assert [p.kind for p in ps] == kinds, message_uuid
                assert ps[0].anvender_transaktions_id == decisions[message_uuid]
                for p in ps:
                    record = received[p.anvender_transaktions_id]
                    assert record["SagForslag"] == case_id.lower()
                    if p.kind == "DOKUMENT":
                        assert record["DokumentFilNavn"] == p.remote_name
            on_server = sorted(Path(i.path).name for i in sftp.uploaded_files(SFTP_USER))
            dokumenter = sorted(
                p.remote_name for ps in parts.values() for p in ps if p.kind == "DOKUMENT"
            )
            assert on_server == dokumenter  # nothing twice, no half-written leftovers
            assert await asyncio.to_thread(store.outbox_rows) == []

            # business receipts through the real callback (FordelingskvitteringModtag over mutual
            # TLS, Serviceplatformen's pinned certificate), each to one node and again to the
            # other: applied once, the team sees accepteret on both nodes
            async with httpx.AsyncClient(timeout=30, verify=pki.callback_context()) as sp:
                for n, ps in enumerate(parts.values()):
                    for p in ps:
                        envelope = sf.receipt_envelope(
                            p.anvender_transaktions_id, "ACCEPTERET", None, None
                        )
                        for node in (nodes[n % 2], nodes[(n + 1) % 2]):
                            resp = await sp.post(
                                node.base_url + CALLBACK_PATH,
                                content=envelope,
                                headers={"Content-Type": "text/xml; charset=utf-8"},
                            )
                            assert resp.status_code == 200, (node.name, resp.text)
            with store.engine.connect() as conn:
                stored_receipts = conn.execute(
                    select(business_receipts.c.anvender_transaktions_id)
                ).scalars()
                assert sorted(stored_receipts) == sorted(expected)  # each applied once
            for node in nodes:
                for message_uuid in decisions:
                    resp = await http.get(f"{node.base_url}/items/{message_uuid}/status")
                    assert resp.json()["state"] == "accepteret", (node.name, resp.text)
            await http.aclose()
        finally:
            store.close()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(GatewayNode.stop, nodes))
            await dubu.stop()
            await sf.stop()
            await sftp.stop()

    asyncio.run(main())
