"""Parse once: over the real chain on loopback (EP_FS1 receipt on the gateway → sync → select →
suggest → decide → deliver to SF2900), each message is parsed exactly twice — once by the
gateway on receipt, once by the client at ingest — and selecting, suggesting, the access log,
opening files and delivering parse nothing (the instrumented `read_memo` counter)."""

from __future__ import annotations

import asyncio
import hashlib

from app.core.sync import extract_pdf_texts
from app.decisions import Journalise
from app.sf1606.memo import parse_count, read_memo
from app.suggest.text import message_facts
from app.ui.backend import UiBackend
from app.ui.suggestions import Suggester
from app.ui.tasks import Background
from tests.conftest import MESSAGES
from tests.test_outbox import DATASET, LABELS, WITH_CASE, WITHOUT_CASE, World
from tests.test_sync import USER


def test_each_message_is_parsed_once_by_the_gateway_and_once_by_the_client(tmp_path):
    uuids = WITH_CASE + WITHOUT_CASE
    n = len(uuids)
    # what a full extraction at ingest would store (parsed here, before counting)
    full = {u: message_facts(read_memo(MESSAGES / f"{u}.xml", locate=True)) for u in uuids}
    assert any(f.pdf_text for f in full.values())

    async def main() -> None:
        before = parse_count()
        async with World(tmp_path) as w:  # pushes n messages through EP_FS1, then syncs them
            assert parse_count() - before == 2 * n  # gateway 1 + client 1, per message
            synced = parse_count()
            # the PDF text, deferred at ingest, is completed from the stored PDFs (no parse)
            pending = {w.item(u) for u in uuids if full[u].header.files and full[u].pdf_text}
            assert pending <= {i for i, _ in w.cache.pdf_pending_facts(100)}
            assert await extract_pdf_texts(w.cache, w.worker) >= len(pending)
            assert w.cache.pdf_pending_facts(100) == []
            for u in uuids:
                assert w.cache.facts(w.item(u)) == full[u]
            bg = Background(writer=w.worker)
            backend = UiBackend(
                cache=w.cache, background=bg, suggester=Suggester(DATASET), user=USER
            )
            try:
                ids = [w.item(u) for u in WITH_CASE + WITHOUT_CASE]
                decided = []
                for item_id in ids:
                    detail = await backend.detail(item_id)  # select
                    await backend.log_view(item_id, detail.facts)  # access log
                    view = (await backend.suggest(item_id, detail.facts)).value  # suggest
                    for pos, f in enumerate(detail.facts.files):  # the preview's bytes
                        data = await detail.source.load(pos)
                        assert hashlib.sha256(data).hexdigest() == f.sha256
                        await backend.log_file(item_id, detail.facts, pos, "open_file")
                    uuid = detail.message.message_uuid
                    if LABELS[uuid]["case_id"] and len(decided) < 4:  # decide
                        choice = view.choices[0] if view.choices else None
                        case_id = choice.case_id if choice else LABELS[uuid]["case_id"]
                        await backend.enqueue(item_id, Journalise(case_id))
                        decided.append(item_id)
                await backend.suggest_pending()
                assert await w.outbox.run_once() == len(decided)  # deliver
                assert len(await w.received()) == len(decided)
                for item_id in decided:
                    assert w.cache.item(item_id)["status"] == "journaliseret"
            finally:
                bg.close()
            assert parse_count() == synced  # nothing after ingest parsed a message again

    asyncio.run(main())
