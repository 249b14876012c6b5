"""Parse-once benchmark (issue 8 item 1): `parses_per_message`.

A sandbox run in one process (`start_sandbox`: the Postkomponent simulator pushes N corpus
messages to the gateway's EP_FS1, SF2900 and DUBU sandboxes on loopback), then the client chain
over every message: sync into a fresh encrypted cache → select (`UiBackend.detail`, the access
log, every file's bytes as the preview would load them) → suggest (`UiBackend.suggest`, then
`suggest_pending`) → decide (a journalise decision for each message with a known case) →
deliver (`OutboxWorker.run_once`: each decision to the gateway, `POST /decisions`; the gateway
delivers to the SF2900 sandbox from its own outbox). The figure is the instrumented MeMo
parse count (`app.sf1606.memo.parse_count`) over the whole run divided by N. Goal: 2 (the
gateway's parse on receipt + the client's at ingest).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

N_MESSAGES = 60


def run_benchmark(n: int = N_MESSAGES) -> dict[str, float | int]:
    from app.core.outbox import OutboxWorker
    from app.core.sync import extract_pdf_texts, sync_once
    from app.core.worker import DbWorker
    from app.decisions import Journalise
    from app.models.cache import Cache
    from app.models.db import open_cache
    from app.sandbox.runner import SandboxConfig, start_sandbox
    from app.sf1606.gateway_client import GatewayClient
    from app.sf1606.mailbox_client import MailboxClient
    from app.sf1606.memo import parse_count
    from app.ui.backend import UiBackend
    from app.ui.suggestions import Suggester
    from app.ui.tasks import Background

    corpus = sorted((REPO / "resources" / "sandbox" / "messages").glob("*.xml"))[:n]
    dubu = json.loads((REPO / "resources" / "sandbox" / "dubu.json").read_text("utf-8"))
    letters = {lt["message_uuid"].lower(): lt["case_id"] for lt in dubu["letters"]}

    async def main(tmp: Path) -> dict[str, float | int]:
        os.environ["POSTFORDELER_DATA_DIR"] = str(tmp / "client")
        folder = tmp / "messages"
        folder.mkdir()
        for path in corpus:
            shutil.copy(path, folder / path.name)
        started = time.perf_counter()
        before = parse_count()
        running = await start_sandbox(
            SandboxConfig(data_dir=tmp / "sandbox", messages_dir=folder, store_in_keyring=False)
        )
        worker = DbWorker()
        db = open_cache(tmp / "cache.sqlite3")
        cache = Cache(db)
        ep = running.endpoints
        mailbox = MailboxClient(
            ep["gateway"],
            municipality_cvr=running.municipality_cvr,
            user=running.user,
            secret=running.secret,
            ca_bundle=ep.get("tls_ca") or None,
        )
        gateway = GatewayClient(
            ep["gateway"],
            user=running.user,
            secret=running.secret,
            ca_bundle=ep.get("tls_ca") or None,
        )
        outbox = OutboxWorker(cache, gateway, worker=worker)
        bg = Background(writer=worker)
        backend = UiBackend(
            cache=cache, background=bg, suggester=Suggester(running.dataset), user=running.user
        )
        try:
            stats = await running.pushed()  # receipt
            assert stats.accepted == len(corpus), stats
            received = parse_count() - before
            synced = await sync_once(mailbox, cache, worker=worker)  # sync
            assert synced.new == len(corpus)
            await extract_pdf_texts(cache, worker)  # as the Syncer does after each sync
            decided = 0
            for path in corpus:
                item_id = cache.item_id_for_uuid(path.stem)
                assert item_id is not None
                detail = await backend.detail(item_id)  # select
                await backend.log_view(item_id, detail.facts)
                for pos in range(len(detail.facts.files)):
                    await detail.source.load(pos)
                view = (await backend.suggest(item_id, detail.facts)).value  # suggest
                replies = [r.message_uuid.lower() for r in detail.message.reply_data]
                case_id = next((letters[u] for u in replies if u in letters), None)
                if case_id is None and view.choices:
                    case_id = view.choices[0].case_id
                if case_id:  # decide
                    await backend.enqueue(item_id, Journalise(case_id))
                    decided += 1
            await backend.suggest_pending()
            delivered = await outbox.run_once()  # to the gateway
            # the gateway delivers (SFTP + SF2900) and the business receipts come back; its
            # parses count too (the sandbox runs in this process)
            deadline = time.perf_counter() + 300
            open_states = ("lokal", "afventer", "sendt")
            while True:
                await sync_once(mailbox, cache, worker=worker)
                states = [
                    cache.delivery(cache.item_id_for_uuid(p.stem)).state  # type: ignore[arg-type]
                    for p in corpus
                ]
                if not any(s in open_states for s in states):
                    break
                assert time.perf_counter() < deadline, "the gateway did not deliver"
                await asyncio.sleep(0.5)
            accepted = sum(1 for s in states if s == "accepteret")
            total = parse_count() - before
        finally:
            bg.close()
            for client in (gateway, mailbox):
                await client.close()
            worker.close()
            db.engine.dispose()
            await running.stop()
        return {
            "parses_per_message": round(total / len(corpus), 3),
            "parses_messages": len(corpus),
            "parses_on_receipt": received,
            "parses_decided": decided,
            "parses_delivered": delivered,
            "parses_accepted": accepted,
            "parses_run_s": round(time.perf_counter() - started, 1),
        }

    with tempfile.TemporaryDirectory(prefix="bench-parses-") as tmp:
        return asyncio.run(main(Path(tmp)))


BENCHMARKS = {"parses": run_benchmark}

if __name__ == "__main__":
    print(run_benchmark())
