"""Parse once: over the real chain on loopback (EP_FS1 receipt on the gateway → sync → select →
suggest → decide → the client outbox to the gateway → the gateway's delivery by SFTP + SF2900 →
the business receipt), each message is parsed exactly twice — once by the gateway on receipt,
once by the client at ingest — and selecting, suggesting, the access log, opening files and
delivering parse nothing (the instrumented `read_memo` counter; the sandbox's gateway runs in
this process, so its parses count too)."""

from __future__ import annotations

import asyncio
import hashlib

from app.core.sync import extract_pdf_texts
from app.decisions import Journalise
from app.dubu.dataset import DubuDataset
from app.resources import resource
from app.sf1606.memo import parse_count, read_memo
from app.suggest.text import message_facts
from app.ui.backend import UiBackend
from app.ui.suggestions import Suggester
from app.ui.tasks import Background
from tests.conftest import MESSAGES
from tests.test_outbox import CASES, World, _pick
from tests.ui_fixtures import labels

DATASET = DubuDataset.load(resource("sandbox", "dubu.json"))


def test_each_message_is_parsed_once_by_the_gateway_and_once_by_the_client(tmp_path):
    with_case, without_case = _pick(5, 3)
    uuids = with_case + without_case
    lab = labels()
    n = len(uuids)
    # what a full extraction at ingest would store (parsed here, before counting)
    full = {u: message_facts(read_memo(MESSAGES / f"{u}.xml", locate=True)) for u in uuids}
    assert any(f.pdf_text for f in full.values())
    before = parse_count()
    w = World(tmp_path, with_case, without_case)  # pushes n messages through EP_FS1

    async def main() -> None:
        await w.sync()
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
        backend = UiBackend(cache=w.cache, background=bg, suggester=Suggester(DATASET), user=w.user)
        gateway = w.gateway()
        try:
            decided = []
            for u in uuids:
                item_id = w.item(u)
                detail = await backend.detail(item_id)  # select
                await backend.log_view(item_id, detail.facts)  # access log
                view = (await backend.suggest(item_id, detail.facts)).value  # suggest
                for pos, f in enumerate(detail.facts.files):  # the preview's bytes
                    data = await detail.source.load(pos)
                    assert hashlib.sha256(data).hexdigest() == f.sha256
                    await backend.log_file(item_id, detail.facts, pos, "open_file")
                if lab[u]["case_id"] in CASES and len(decided) < 4:  # decide
                    choice = view.choices[0] if view.choices else None
                    case_id = choice.case_id if choice else lab[u]["case_id"]
                    await backend.enqueue(item_id, Journalise(case_id))
                    decided.append(item_id)
            await backend.suggest_pending()
            assert await w.outbox(gateway).run_once() == len(decided)  # to the gateway
            for item_id in decided:  # the gateway delivers; DUBU's receipt comes back
                assert await w.until(item_id, ("accepteret", "afvist_af_dubu", "fejlet")) == (
                    "accepteret"
                )
            assert len({r["anvender_transaktions_id"] for r in w.received()}) >= len(decided)
        finally:
            await gateway.close()
            bg.close()
        assert parse_count() == synced  # nothing after ingest parsed a message again

    try:
        asyncio.run(main())
    finally:
        w.close()
