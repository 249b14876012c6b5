"""Sync over loopback against the real gateway: corpus pushed through EP_FS1 (httpx), pulled via
the SOAP mailbox (zeep) into a real SQLite cache. Counts, idempotence, resume from the cursor,
quarantine of an item the client cannot read, and the Syncer's state under gateway faults."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Self

import httpx
import pytest

from app.core.sync import ConnectionState, Syncer, sync_once
from app.core.worker import DbWorker
from app.models.cache import Cache
from app.models.db import open_cache
from tests.conftest import CORPUS, MESSAGES

FILES = sorted(MESSAGES.glob("*.xml"))
USER, SECRET, CVR = "fordeler", "hemmelig-test", "66272311"


async def push(
    url: str, paths: list[Path] | list[bytes], concurrency: int = 8
) -> list[httpx.Response]:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(p: Path | bytes) -> httpx.Response:
            body = p if isinstance(p, bytes) else p.read_bytes()
            async with sem:
                return await http.post(
                    url,
                    content=body,
                    headers={
                        "Content-Type": "application/xml",
                        "x-TransaktionsId": str(uuid.uuid4()),
                        "x-TransaktionsTid": "2026-11-20T09:00:00Z",
                    },
                )

        return await asyncio.gather(*(one(p) for p in paths))


class Env:
    def __init__(self, tmp: Path, **gw_kwargs: object) -> None:
        self.tmp = tmp
        self.gw_kwargs = gw_kwargs

    async def __aenter__(self) -> Self:
        from app.gateway.server import GatewayConfig, start_gateway
        from app.sf1606.mailbox_client import MailboxClient

        self.gateway = await start_gateway(
            GatewayConfig(
                db_url=f"sqlite:///{self.tmp / 'gateway.sqlite3'}",
                users={USER: SECRET},
                municipality_cvr=CVR,
                **self.gw_kwargs,
            )  # type: ignore[arg-type]
        )
        self.client = MailboxClient(
            self.gateway.base_url, municipality_cvr=CVR, user=USER, secret=SECRET
        )
        self.db = open_cache(self.tmp / "cache.sqlite3")
        self.cache = Cache(self.db)
        self.worker = DbWorker()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        await self.gateway.stop()
        self.worker.close()
        self.db.engine.dispose()


def test_sync_corpus_counts_idempotent_and_kinds(tmp_path):
    async def main() -> None:
        async with Env(tmp_path) as env:
            answers = await push(env.gateway.postmodtag_url, FILES)
            assert all(r.status_code == 200 for r in answers)
            progress: list[tuple[int, bool]] = []
            res = await sync_once(
                env.client,
                env.cache,
                page_size=64,
                worker=env.worker,
                on_progress=lambda listed, more: progress.append((listed, more)),
            )
            assert (res.new, res.duplicates, res.total, res.quarantined) == (300, 0, 300, 0)
            assert res.pages >= 5
            # How far it has come, per page (issue 12 point 11): growing, the last says done.
            assert len(progress) == res.pages
            assert [n for n, _more in progress] == sorted(n for n, _more in progress)
            assert progress[-1] == (300, False) and all(more for _n, more in progress[:-1])
            again = await sync_once(env.client, env.cache, page_size=64, worker=env.worker)
            assert (again.new, again.total) == (0, 0)
            assert env.cache.item_count() == 300
            labels = json.loads((CORPUS / "labels.json").read_text())
            for uuid_, label in list(labels.items())[:50]:
                item = env.cache.item(env.cache.item_id_for_uuid(uuid_))
                assert item["kind"] == label["kind"]
            # the cached bytes are exactly what was pushed
            p = FILES[17]
            item_id = env.cache.item_id_for_uuid(p.stem)
            assert env.cache.memo_bytes(item_id) == p.read_bytes()
            # receipt time came from the gateway, not the sync
            row = env.cache.item(item_id)
            assert row["received_at"] <= row["synced_at"]

    asyncio.run(main())


def test_sync_resumes_from_cursor(tmp_path):
    async def main() -> None:
        async with Env(tmp_path) as env:
            await push(env.gateway.postmodtag_url, FILES[:120])
            first = await sync_once(
                env.client, env.cache, page_size=50, worker=env.worker, max_pages=1
            )
            assert first.new == 50 and first.pages == 1
            cursor = env.cache.cursor()
            assert cursor > 0
            # more traffic arrives; a fresh cache object on the same file resumes after the cursor
            await push(env.gateway.postmodtag_url, FILES[120:200])
            cache2 = Cache(open_cache(env.db.path))
            rest = await sync_once(env.client, cache2, page_size=50, worker=env.worker)
            assert rest.new == 150 and rest.duplicates == 0
            assert cache2.item_count() == 200
            # a duplicate push (same messageUUID) is stored once at the gateway and once here
            await push(env.gateway.postmodtag_url, FILES[:10])
            dup = await sync_once(env.client, cache2, worker=env.worker)
            assert dup.new == 0
            assert cache2.item_count() == 200
            cache2.db.engine.dispose()

    asyncio.run(main())


@pytest.mark.expect_log("postfordeler.sync", r"item \d+ quarantined: Ugyldig MeMo")
def test_item_the_client_cannot_read_is_quarantined_not_lost(tmp_path):
    # The gateway here skips XSD validation (validate=False); the client validates, so a message
    # with an over-long label (schema violation) reaches the client and is refused by its reader.
    text = FILES[3].read_text(encoding="utf-8")
    bad = re.sub(
        r"<(\w+:)?label>[^<]*</(\w+:)?label>",
        lambda m: m.group(0).split(">")[0] + ">" + "x" * 400 + "</" + m.group(0).rsplit("</", 1)[1],
        text,
        count=1,
    )
    assert bad != text

    async def main() -> None:
        async with Env(tmp_path, validate=False) as env:
            answers = await push(env.gateway.postmodtag_url, [bad.encode(), *FILES[4:10]])
            assert all(r.status_code == 200 for r in answers)
            res = await sync_once(env.client, env.cache, worker=env.worker, validate=True)
            assert (res.new, res.quarantined) == (7, 1)
            item = env.cache.item(env.cache.item_id_for_uuid(FILES[3].stem))
            assert item["status"] == "fejlet" and item["kind"] == "ukendt"
            assert "kunne ikke læses" in item["status_note"]
            assert env.cache.memo_bytes(item["id"]) == bad.encode()

    asyncio.run(main())


def test_syncer_reports_degraded_then_converges(tmp_path):
    from app.gateway.faults import FaultPlan

    async def main() -> None:
        async with Env(tmp_path) as env:
            await push(env.gateway.postmodtag_url, FILES[:30])
            states: list[tuple[ConnectionState, str]] = []
            syncer = Syncer(
                env.client,
                env.cache,
                env.worker,
                interval=0.2,
                page_size=10,
                initial_backoff=0.05,
                max_backoff=0.2,
                on_status=lambda s: states.append((s.state, s.message)),
            )
            env.gateway.set_faults(FaultPlan(next={"http_500": 4}, targets=("mailbox",)))
            result = await syncer.sync_now(attempts=8)
            assert result.new == 30
            seen = [s for s, _ in states]
            assert ConnectionState.DEGRADED in seen and seen[-1] == ConnectionState.ONLINE
            assert ConnectionState.OFFLINE in seen  # 4 failures > offline_after (3)
            assert any("prøver igen" in m for _, m in states)
            assert env.cache.item_count() == 30

    asyncio.run(main())


def test_syncer_offline_when_gateway_is_gone_and_never_crashes(tmp_path):
    async def main() -> None:
        async with Env(tmp_path) as env:
            await env.gateway.stop()
            states = []
            syncer = Syncer(
                env.client,
                env.cache,
                env.worker,
                interval=0.05,
                initial_backoff=0.01,
                max_backoff=0.05,
                on_status=states.append,
            )
            task = asyncio.create_task(syncer.run_forever())
            for _ in range(200):
                await asyncio.sleep(0.02)
                if any(s.state == ConnectionState.OFFLINE for s in states):
                    break
            syncer.stop()
            await asyncio.wait_for(task, 5)
            offline = [s for s in states if s.state == ConnectionState.OFFLINE]
            assert offline and "Offline" in offline[0].message and offline[0].last_error

    asyncio.run(main())


def test_wrong_secret_is_refused_with_a_message(tmp_path):
    from app.sf1606.mailbox_client import MailboxClient, MailboxError

    async def main() -> None:
        async with Env(tmp_path) as env:
            bad = MailboxClient(
                env.gateway.base_url, municipality_cvr=CVR, user=USER, secret="forkert"
            )
            states = []
            syncer = Syncer(bad, env.cache, env.worker, on_status=states.append)
            with pytest.raises(MailboxError):
                await syncer.sync_now()
            assert states[-1].state == ConnectionState.OFFLINE
            assert "afviste" in states[-1].message
            await bad.close()

    asyncio.run(main())


def test_syncer_reports_new_items_once_their_pdf_text_is_extracted(tmp_path):
    """Ingest defers the PDF text; the Syncer goes online, extracts it from the stored PDFs, and
    only then reports the new items (so suggestions see it)."""
    with_pdf = [p for p in FILES if b"application/pdf" in p.read_bytes()][:4]
    assert with_pdf

    async def main() -> None:
        async with Env(tmp_path) as env:
            await push(env.gateway.postmodtag_url, with_pdf)
            seen: list[tuple[int, int]] = []

            def on_result(result: object) -> None:
                seen.append((len(env.cache.pdf_pending_facts(100)), env.cache.item_count()))

            syncer = Syncer(env.client, env.cache, env.worker, on_result=on_result)
            res = await syncer.sync_now()
            assert res.new == len(with_pdf)
            assert seen == [(0, len(with_pdf))]  # reported after the PDF text was completed
            texts = [env.cache.facts(env.cache.item_id_for_uuid(p.stem)).pdf_text for p in with_pdf]
            assert all(t is not None for t in texts) and any(texts)

    asyncio.run(main())
