"""Suggestion benchmarks: quality over the shared corpus and speed with a 10k-case dataset.

`suggest_quality` scores the engine against `../shared/corpus/labels.json`; `suggest_speed`
measures the median time of `SuggestionEngine.suggest` (PDF text extraction included) with a
synthetic DUBU dataset scaled to 10,000 cases, generated deterministically from the corpus
dataset (fresh fake CPR numbers, names and case numbers; the corpus cases kept as they are).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
CORPUS = (HERE.parent.parent / "shared" / "corpus").resolve()


def _load_corpus():
    from app.sf1606.memo import read_memo

    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    messages = {uuid: read_memo(CORPUS / "messages" / f"{uuid}.xml") for uuid in labels}
    return labels, messages


def evaluate(engine, labels: dict, messages: dict) -> dict[str, float]:
    """Quality figures of `engine` over labelled messages (all percentages in 0..100)."""
    reply_hit = reply_n = 0
    other_top1 = other_top3 = other_n = 0
    nocase_conf = nocase_n = 0
    tp = fp = fn = 0
    for uuid, label in labels.items():
        result = engine.suggest(messages[uuid])
        ids = [s.case_id for s in result.suggestions]
        truth = label["case_id"]
        if label["misrouted"]:
            tp += result.misrouted
            fn += not result.misrouted
        else:
            fp += result.misrouted
        if truth is None:
            nocase_n += 1
            nocase_conf += bool(result.suggestions and result.suggestions[0].score >= 0.5)
        elif label["kind"] == "retursvar":
            reply_n += 1
            reply_hit += bool(ids and ids[0] == truth)
        else:
            other_n += 1
            other_top1 += bool(ids and ids[0] == truth)
            other_top3 += truth in ids[:3]

    def pct(a: float, b: float) -> float:
        return round(100.0 * a / b, 2) if b else 100.0

    return {
        "retursvar_top1": pct(reply_hit, reply_n),
        "nyhenvendelse_videresendt_top1": pct(other_top1, other_n),
        "nyhenvendelse_videresendt_top3": pct(other_top3, other_n),
        "nocase_confident_share": pct(nocase_conf, nocase_n),
        "misroute_recall": pct(tp, tp + fn),
        "misroute_precision": pct(tp, tp + fp),
    }


def suggest_quality() -> dict[str, float]:
    from app.dubu.dataset import DubuDataset
    from app.suggest.engine import SuggestionEngine

    labels, messages = _load_corpus()
    engine = SuggestionEngine(DubuDataset.load(CORPUS / "dubu.json"))
    return evaluate(engine, labels, messages)


# --- synthetic 10k dataset ---------------------------------------------------------------------


def scaled_dataset(n_cases: int = 10_000, seed: int = 7) -> dict:
    """The corpus dataset plus deterministic clones up to `n_cases` cases.

    Clones get fresh fake CPR numbers (valid dates; modulus 11 not enforced), recombined
    first names and surnames from the corpus, new case numbers and letter UUIDs.
    """
    import uuid as uuidlib

    base = json.loads((CORPUS / "dubu.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    persons = {p["cpr"]: p for p in base["persons"]}
    firsts = sorted({p["name"].split()[0] for p in base["persons"]})
    lasts = sorted({p["name"].split()[-1] for p in base["persons"]})
    used = set(persons)
    serials = {c["number"] for c in base["cases"]}

    def fresh_cpr(like: str) -> str:
        while True:
            day, month = rng.randint(1, 28), rng.randint(1, 12)
            yy = int(like[4:6])
            cpr = f"{day:02d}{month:02d}{yy:02d}{like[6]}{rng.randint(0, 999):03d}"
            if cpr not in used:
                used.add(cpr)
                return cpr

    cases, letters, new_persons = list(base["cases"]), list(base["letters"]), []
    letters_by_case: dict[str, list[dict]] = {}
    for letter in base["letters"]:
        letters_by_case.setdefault(letter["case_id"], []).append(letter)
    while len(cases) < n_cases:
        src = rng.choice(base["cases"])
        surname = rng.choice(lasts)
        mapping: dict[str, str] = {}
        for cpr in [src["child_cpr"], *(p["cpr"] for p in src["parties"])]:
            if cpr not in mapping:
                mapping[cpr] = fresh_cpr(cpr)
                new_persons.append(
                    {
                        "cpr": mapping[cpr],
                        "name": f"{rng.choice(firsts)} {surname}",
                        "address": persons.get(cpr, {}).get("address", ""),
                    }
                )
        while True:
            number = f"27.24.00-G01-{rng.randint(0, 99999):05d}-{src['number'][-2:]}"
            if number not in serials:
                serials.add(number)
                break
        case_id = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        cases.append(
            {
                **src,
                "id": case_id,
                "number": number,
                "child_cpr": mapping[src["child_cpr"]],
                "parties": [{"cpr": mapping[p["cpr"]], "role": p["role"]} for p in src["parties"]],
            }
        )
        for letter in letters_by_case.get(src["id"], [])[:5]:
            letters.append(
                {
                    **letter,
                    "case_id": case_id,
                    "message_uuid": str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
                    "recipient_cpr": mapping.get(letter["recipient_cpr"], letter["recipient_cpr"]),
                }
            )
    return {**base, "cases": cases, "letters": letters, "persons": base["persons"] + new_persons}


def suggest_speed() -> dict[str, float]:
    from app.dubu.dataset import DubuDataset
    from app.suggest.engine import SuggestionEngine

    _, messages = _load_corpus()
    t0 = time.perf_counter()
    dataset = DubuDataset.from_dict(scaled_dataset())
    engine = SuggestionEngine(dataset)
    load_ms = (time.perf_counter() - t0) * 1000
    from app.suggest import text as suggest_text

    suggest_text._CACHE.clear()  # PDF text extraction is part of the measured time
    times = []
    for message in messages.values():
        t = time.perf_counter()
        engine.suggest(message)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "suggest_median_ms": round(statistics.median(times), 2),
        "suggest_p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "suggest_cases": len(dataset.cases),
        "suggest_index_load_ms": round(load_ms, 1),
    }


BENCHMARKS = {"suggest_quality": suggest_quality, "suggest_speed": suggest_speed}
