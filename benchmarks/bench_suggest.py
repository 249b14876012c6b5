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


HANDWRITTEN = (HERE.parent / "tests" / "handwritten").resolve()
FRESH = (HERE.parent / "tests" / "handwritten_fresh").resolve()
FRESH2 = (HERE.parent / "tests" / "handwritten_fresh2").resolve()
SETS = {"dev": CORPUS, "handwritten": HANDWRITTEN, "fresh": FRESH, "fresh2": FRESH2}


def _load_set(folder: Path):
    from app.sf1606.memo import read_memo

    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    messages = {uuid: read_memo(folder / "messages" / f"{uuid}.xml") for uuid in labels}
    return labels, messages


def _load_corpus():
    return _load_set(CORPUS)


def category(label: dict) -> str:
    """The evaluation category of a label: the hand-written set's `cat:` tag, else one derived
    from the corpus's kind and tags."""
    notes = label.get("notes", "")
    tags = (
        [t.strip() for t in notes.rsplit("[tags:", 1)[-1].rstrip("]").split(",")]
        if ("[tags:" in notes)
        else []
    )
    for t in tags:
        if t.startswith("cat:"):
            return t[4:]
    if label["misrouted"]:
        return "misrouted"
    if label["kind"] == "retursvar":
        return "retursvar"
    if label["case_id"] is None:
        return "nocase"
    if any(t.startswith("partner:") for t in tags):
        return "partner"
    if label["kind"] == "videresendt":
        return "forward"
    if any("contactinfo_sibling" in t for t in tags):
        return "two_children"
    if any(t.startswith("hard:english") for t in tags):
        return "english"
    if any("sender_relative" in t for t in tags):
        return "relative"
    return "parent"


def _pct(a: float, b: float) -> float:
    return round(100.0 * a / b, 2) if b else 100.0


def _figures(rows: list[dict]) -> dict[str, float]:
    reply = [r for r in rows if r["truth"] is not None and r["kind"] == "retursvar"]
    other = [r for r in rows if r["truth"] is not None and r["kind"] != "retursvar"]
    nocase = [r for r in rows if r["truth"] is None and not r["misrouted"]]
    tp = sum(r["misrouted"] and r["flagged"] for r in rows)
    fn = sum(r["misrouted"] and not r["flagged"] for r in rows)
    fp = sum(r["flagged"] and not r["misrouted"] for r in rows)
    out = {
        "n": float(len(rows)),
        "retursvar_top1": _pct(sum(r["top1"] for r in reply), len(reply)),
        "nyhenvendelse_videresendt_top1": _pct(sum(r["top1_strict"] for r in other), len(other)),
        "nyhenvendelse_videresendt_top1_loose": _pct(sum(r["top1"] for r in other), len(other)),
        "nyhenvendelse_videresendt_top3": _pct(sum(r["top3"] for r in other), len(other)),
        "nocase_confident_share": _pct(sum(r["top_score"] >= 0.5 for r in nocase), len(nocase)),
        "misroute_recall": _pct(tp, tp + fn),
        "misroute_precision": _pct(tp, tp + fp),
        "misrouted_confident_share": _pct(
            sum(r["top_score"] >= 0.8 for r in rows if r["misrouted"]),
            sum(r["misrouted"] for r in rows),
        ),
    }
    out["_n_reply"], out["_n_other"], out["_n_nocase"] = (
        float(len(reply)),
        float(len(other)),
        float(len(nocase)),
    )
    out["_n_misrouted"] = float(sum(r["misrouted"] for r in rows))
    out["_n_flagged"] = float(sum(r["flagged"] for r in rows))
    return out


_DENOM = {
    "retursvar_top1": "_n_reply",
    "nyhenvendelse_videresendt_top1": "_n_other",
    "nyhenvendelse_videresendt_top3": "_n_other",
    "nocase_confident_share": "_n_nocase",
    "misroute_recall": "_n_misrouted",
    "misroute_precision": "_n_flagged",
    "misrouted_confident_share": "_n_misrouted",
}


def _cell(figs: dict[str, float], key: str) -> str:
    if key == "n":
        return f"{int(figs[key]):>11}"
    if not figs.get(_DENOM[key], 1.0):
        return f"{'-':>11}"
    return f"{figs[key]:>11.1f}"


def evaluate_rows(engine, labels: dict, messages: dict) -> list[dict]:
    """One row per labelled message: what the engine proposed against the truth."""
    rows = []
    for uuid, label in labels.items():
        result = engine.suggest(messages[uuid])
        sug = result.suggestions
        ids = [s.case_id for s in sug]
        truth = label["case_id"]
        top1 = bool(ids and ids[0] == truth)
        strict = top1 and (len(sug) < 2 or sug[1].score < sug[0].score)
        rows.append(
            {
                "uuid": uuid,
                "category": category(label),
                "kind": label["kind"],
                "truth": truth,
                "misrouted": bool(label["misrouted"]),
                "flagged": bool(result.misrouted),
                "top1": top1,
                "top1_strict": strict,
                "top3": truth in ids[:3],
                "top_score": sug[0].score if sug else 0.0,
            }
        )
    return rows


def evaluate(engine, labels: dict, messages: dict) -> dict[str, float]:
    """Quality figures of `engine` over labelled messages (all percentages in 0..100).
    `nyhenvendelse_videresendt_top1` counts an exact tie for first place as a miss."""
    figs = _figures(evaluate_rows(engine, labels, messages))
    return {k: v for k, v in figs.items() if not k.startswith("_") and k != "n"}


def evaluate_by_category(engine, labels: dict, messages: dict) -> dict[str, dict[str, float]]:
    rows = evaluate_rows(engine, labels, messages)
    out = {"all": _figures(rows)}
    for cat in sorted({r["category"] for r in rows}):
        out[cat] = _figures([r for r in rows if r["category"] == cat])
    return out


def _engine():
    from app.dubu.dataset import DubuDataset
    from app.suggest.engine import SuggestionEngine

    return SuggestionEngine(DubuDataset.load(CORPUS / "dubu.json"))


def suggest_quality() -> dict[str, float]:
    labels, messages = _load_corpus()
    return evaluate(_engine(), labels, messages)


def suggest_quality_handwritten() -> dict[str, float]:
    labels, messages = _load_set(HANDWRITTEN)
    return evaluate(_engine(), labels, messages)


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


BENCHMARKS = {
    "suggest_quality": suggest_quality,
    "suggest_quality_handwritten": suggest_quality_handwritten,
    "suggest_speed": suggest_speed,
}

_COLUMNS = (
    ("n", "n"),
    ("retursvar_top1", "retur@1"),
    ("nyhenvendelse_videresendt_top1", "ny@1"),
    ("nyhenvendelse_videresendt_top3", "ny@3"),
    ("nocase_confident_share", "nocase>=.5"),
    ("misroute_recall", "mis-rec"),
    ("misroute_precision", "mis-prec"),
    ("misrouted_confident_share", "mis>=.8"),
)


def report(set_names: list[str], *, speed: bool = False, misses: bool = False) -> str:
    """A table per set: figures for all items and per category (percentages; a category
    without items of a kind shows -)."""
    engine = _engine()
    lines = []
    for name in set_names:
        labels, messages = _load_set(SETS[name])
        table = evaluate_by_category(engine, labels, messages)
        lines.append(f"== {name} ({len(labels)} messages)")
        lines.append(f"{'category':<14}" + "".join(f"{h:>11}" for _, h in _COLUMNS))
        for cat, figs in table.items():
            lines.append(f"{cat:<14}" + "".join(_cell(figs, k) for k, _ in _COLUMNS))
        if misses:
            for r in evaluate_rows(engine, labels, messages):
                bad = (
                    (r["truth"] is not None and not r["top1_strict"])
                    or (r["misrouted"] != r["flagged"])
                    or (r["truth"] is None and not r["misrouted"] and r["top_score"] >= 0.5)
                )
                if bad:
                    lines.append(f"  miss {r['category']:<12} {r['uuid']}")
    if speed:
        lines.append(json.dumps(suggest_speed()))
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Suggestion quality per category.")
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--speed", action="store_true", help="also time 10,000 cases")
    parser.add_argument("--misses", action="store_true", help="list the messages missed")
    args = parser.parse_args()
    print(
        report(
            list(SETS) if args.set == "all" else [args.set], speed=args.speed, misses=args.misses
        )
    )
