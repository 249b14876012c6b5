"""MeMo reader throughput next to raw lxml parse + XSD validation of the same bytes.

`memo_mb_per_s`: `read_memo` (hardened parse, checks, XSD validation, extraction, strict base64
decode, sha256) over every corpus message, files preloaded in memory. `memo_raw_lxml_mb_per_s`:
plain `etree.fromstring` + `XMLSchema.validate` (schema chosen by memoVersion) of the same bytes,
in the same run. `memo_ratio` = the first / the second (goal >= 0.5). Best of several rounds.
"""

from __future__ import annotations

import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = (
    REPO.parent / "shared" / "corpus" / "messages",
    REPO / "resources" / "sandbox" / "messages",
)
ROUNDS = 7


def _corpus() -> list[bytes]:
    for folder in CANDIDATES:
        files = sorted(folder.glob("*.xml"))
        if files:
            return [p.read_bytes() for p in files]
    raise FileNotFoundError("no MeMo corpus found in: " + ", ".join(map(str, CANDIDATES)))


def _best(fn, rounds: int = ROUNDS) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_memo() -> dict[str, float | int]:
    from lxml import etree

    from app.resources import resource
    from app.sf1606 import memo

    datas = _corpus()
    total = sum(map(len, datas))
    schemas = {
        "1.1": etree.XMLSchema(etree.parse(str(resource("memo", "MeMo_core.xsd")))),
        "1.2": etree.XMLSchema(etree.parse(str(resource("memo", "Version1.2", "MeMo_core.xsd")))),
    }

    def raw() -> None:
        for data in datas:
            root = etree.fromstring(data)
            if not schemas[root.get("memoVersion")].validate(root):
                raise AssertionError("corpus message invalid")

    def ours() -> None:
        read = memo.read_memo
        for data in datas:
            read(data)

    ours()  # warm up: schema load, caches
    raw()
    # Interleave so both see the same machine state; keep each one's best round.
    raw_s = ours_s = float("inf")
    for _ in range(3):
        raw_s = min(raw_s, _best(raw, 3))
        ours_s = min(ours_s, _best(ours, 3))
    mb = total / 1e6
    return {
        "memo_files": len(datas),
        "memo_corpus_mb": round(mb, 2),
        "memo_mb_per_s": round(mb / ours_s, 1),
        "memo_msgs_per_s": round(len(datas) / ours_s),
        "memo_raw_lxml_mb_per_s": round(mb / raw_s, 1),
        "memo_ratio": round(raw_s / ours_s, 3),
        "memo_fast_base64": int(memo.FAST_BASE64),
    }


BENCHMARKS = {"memo": bench_memo}
