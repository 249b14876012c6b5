"""Peak memory of one 99 MB MeMo message through gateway → mailbox → client cache.

Each stage runs in its own fresh child process, which reports its RSS just before the stage
(baseline, after warm-up) and its peak RSS (`ru_maxrss`, the kernel's high-water mark) after it;
figure = (peak - baseline) / message size. The message is generated at run time into a temp dir
(a valid MeMo with a ~74 MB PDF-ish attachment, base64; tests/big_memo.py).

- `big_receipt_rss_ratio`: the gateway receiving it on EP_FS1 (spooled body, validated from the
  file, content not kept, blob streamed into SQLite), sent by the parent process from disk.
- `big_serve_rss_ratio`: a fresh gateway process listing it (not inlined) and streaming it out
  on GET /mailbox/items/{id}/memo.
- `big_client_rss_ratio`: a client process: `MailboxClient.list_items(inline_max_bytes=8 MB)` +
  `download_memo` + `read_big(path)` (one parse, no attachment bytes kept) + `ingest_big` into a
  fresh cache (blob streamed).
- `big_client_inline_rss_ratio`: for comparison, today's public path: the item inlined in
  PostListe, `parse_memo(bytes)` as sync does, `Cache.ingest` (bound blob).
- `big_message_peak_rss_ratio`: the largest of receipt, serve and client (the streamed path).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

USER, SECRET, CVR = "bench", "bench-secret", "29189129"
INLINE_MAX = 8 * 1024 * 1024


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


# ----------------------------------------------------------------------------- child roles


def _child_gateway(data_dir: str) -> None:
    """Run a gateway; print {"base", "baseline"} after warm-up; print {"maxrss"} on stdin EOF."""
    os.environ["POSTFORDELER_DATA_DIR"] = data_dir

    async def main() -> None:
        import httpx

        from app.gateway.server import GatewayConfig, start_gateway
        from app.sf1606 import postmodtag as pm
        from app.sf1606.mailbox_client import MailboxClient
        from tests.conftest import MESSAGES

        gw = await start_gateway(GatewayConfig(users={USER: SECRET}, municipality_cvr=CVR))
        # warm-up: every pool thread builds its schemas and parsers; one mailbox call
        small = sorted(MESSAGES.glob("*.xml"))[:8]
        async with httpx.AsyncClient(timeout=60) as http:
            await asyncio.gather(
                *(
                    http.post(
                        gw.postmodtag_url, content=p.read_bytes(), headers=pm.request_headers()
                    )
                    for p in small
                )
            )
        mb = MailboxClient(gw.base_url, municipality_cvr=CVR, user=USER, secret=SECRET)
        await mb.list_items(0, 2, inline_max_bytes=INLINE_MAX)
        await mb.close()
        import gc

        gc.collect()
        print(json.dumps({"base": gw.base_url, "baseline": _rss()}), flush=True)
        await asyncio.to_thread(sys.stdin.read)
        print(json.dumps({"maxrss": _maxrss(), "rss": _rss()}), flush=True)
        await gw.stop()

    asyncio.run(main())


def _child_client(base: str, work: str, mode: str) -> None:
    """One client pass over the gateway's big item; prints {"baseline", "maxrss", ...}."""
    os.environ["POSTFORDELER_DATA_DIR"] = work

    async def main() -> dict:
        from app.core.bigfetch import ingest_big, materialise_big_item, read_big
        from app.core.parse import parse_memo
        from app.models.cache import Cache
        from app.models.db import open_cache
        from app.sf1606.mailbox_client import MailboxClient

        cache = Cache(open_cache(Path(work) / "cache.sqlite3"))
        mb = MailboxClient(base, municipality_cvr=CVR, user=USER, secret=SECRET, timeout=120)
        await mb.list_items(0, 1, inline_max_bytes=INLINE_MAX)  # warm-up: WSDL, connection
        import gc

        gc.collect()
        baseline = _rss()
        started = time.perf_counter()
        if mode == "streamed":
            page = await mb.list_items(0, 200, inline_max_bytes=INLINE_MAX)
            big = [it for it in page.items if not it.memo_inline]
            assert len(big) == 1, "expected exactly one not-inlined item"
            path = await materialise_big_item(mb, big[0], Path(work) / "tmp")
            message = read_big(path)
            result = ingest_big(cache, big[0], path, message)
            path.unlink()
        else:
            cursor, more, result = 0, True, None
            while more:  # the big item comes alone on its own page (page byte budget)
                page = await mb.list_items(cursor, 200)
                pairs = [(it, parse_memo(it.memo, validate=False)) for it in page.items]
                result = cache.ingest(pairs, cursor=page.next_cursor)
                cursor, more = page.next_cursor, page.more
                del pairs, page
        seconds = time.perf_counter() - started
        await mb.close()
        assert result.new >= 1
        return {"baseline": baseline, "maxrss": _maxrss(), "seconds": seconds}

    print(json.dumps(asyncio.run(main())), flush=True)


# ----------------------------------------------------------------------------- parent


class _GatewayProc:
    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "gateway", str(data_dir)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        self.base, self.baseline = ready["base"], ready["baseline"]

    def finish(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        report = json.loads(self.proc.stdout.readline())
        self.proc.wait(timeout=60)
        return int(report["maxrss"])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _post_file(url: str, path: Path) -> dict:
    import httpx

    from app.sf1606 import postmodtag as pm

    def body():  # type: ignore[no-untyped-def]
        with path.open("rb") as fh:
            while piece := fh.read(1 << 20):
                yield piece

    headers = pm.request_headers()
    headers["Content-Length"] = str(path.stat().st_size)
    resp = httpx.post(url, content=body(), headers=headers, timeout=300)
    receipt = pm.receipt_from_http(resp.status_code, resp.content)
    assert receipt.accepted, receipt
    return {"status": resp.status_code}


def _serve_pass(base: str, work: Path) -> float:
    from app.sf1606.mailbox_client import MailboxClient

    async def main() -> float:
        mb = MailboxClient(base, municipality_cvr=CVR, user=USER, secret=SECRET, timeout=120)
        started = time.perf_counter()
        page = await mb.list_items(0, 200, inline_max_bytes=INLINE_MAX)
        big = [it for it in page.items if not it.memo_inline]
        assert len(big) == 1
        await mb.download_memo(big[0], work / "served.memo")
        await mb.close()
        (work / "served.memo").unlink()
        return time.perf_counter() - started

    return asyncio.run(main())


def _client_pass(base: str, work: Path, mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "client", base, str(work), mode],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"client stage failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_big_message() -> dict[str, float | int]:
    from tests.big_memo import make_big_memo

    with tempfile.TemporaryDirectory(prefix="pf-big-") as tmp:
        root = Path(tmp)
        memo_path = root / "big.xml"
        _, size = make_big_memo(memo_path)
        gw_data = root / "gateway-data"
        figures: dict[str, float | int] = {"big_message_bytes": size}

        gw = _GatewayProc(gw_data)  # stage 1: receipt
        try:
            started = time.perf_counter()
            _post_file(gw.base + "/sf1606/postmodtag", memo_path)
            figures["big_receipt_s"] = round(time.perf_counter() - started, 2)
            peak = gw.finish()
        finally:
            gw.kill()
        figures["big_receipt_rss_ratio"] = round((peak - gw.baseline) / size, 3)

        gw = _GatewayProc(gw_data)  # stage 2: serving (fresh process, same DB)
        try:
            figures["big_serve_s"] = round(_serve_pass(gw.base, root), 2)
            peak = gw.finish()
        finally:
            gw.kill()
        figures["big_serve_rss_ratio"] = round((peak - gw.baseline) / size, 3)

        gw = _GatewayProc(gw_data)  # stage 3: client processes against a serving gateway
        try:
            for mode, key in (("streamed", "big_client"), ("inline", "big_client_inline")):
                work = root / f"client-{mode}"
                work.mkdir()
                got = _client_pass(gw.base, work, mode)
                figures[f"{key}_rss_ratio"] = round((got["maxrss"] - got["baseline"]) / size, 3)
                figures[f"{key}_s"] = round(got["seconds"], 2)
                for leftover in work.rglob("*"):
                    if leftover.is_file():
                        leftover.unlink()
        finally:
            gw.kill()
        figures["big_message_peak_rss_ratio"] = max(
            figures["big_receipt_rss_ratio"],
            figures["big_serve_rss_ratio"],
            figures["big_client_rss_ratio"],
        )
        return figures


BENCHMARKS = {"big_message": bench_big_message}


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if role == "gateway":
        _child_gateway(sys.argv[2])
    elif role == "client":
        _child_client(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(json.dumps(bench_big_message()))
