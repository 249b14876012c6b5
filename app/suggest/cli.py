"""`postfordeler suggest --dubu-data FILE [--json] [--query Q] MEMO.xml...`: case suggestions.

Runs the same engine as the desktop app over a DUBU dataset file (`dubu.json` format) and
prints one line per message: with `--json` one JSON object (`message_uuid`, `kind`,
`misrouted`, `suggestions` [{case_id, case_number, score, reasons}] best first, plus
`misroute_topic`, `forward_to`, `needs_new_case`, `note`), otherwise a readable line. An
invalid MeMo file prints an error line and makes the exit status 1. Output is the user's
explicit request; nothing is logged. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "suggest",
        help="foreslå DUBU-sager for MeMo-beskeder",
        description="Rangerer eksisterende DUBU-sager for hver MeMo-besked med begrundelser, "
        "eller markerer fejlsendt post. Afslutningskode 0 når alle filer kunne læses, ellers 1.",
    )
    p.add_argument("files", nargs="+", metavar="MEMO.xml", help="MeMo XML-fil(er)")
    p.add_argument(
        "--dubu-data", required=True, metavar="FILE", help="DUBU-datasæt (dubu.json-format)"
    )
    p.add_argument("--json", action="store_true", help="ét JSON-objekt pr. linje")
    p.add_argument(
        "--query",
        metavar="Q",
        default=None,
        help="søgning (CPR, navn eller sagsnummer) der rykker matchende sager op",
    )
    p.add_argument(
        "--ocr",
        action="store_true",
        help="læs også fotograferede og scannede breve (Tesseract, dansk)",
    )
    p.add_argument(
        "--municipality-cvr",
        metavar="CVR",
        default=None,
        help="kommunens CVR (standard: datasættets)",
    )
    p.set_defaults(func=run_suggest)


def result_to_json(message: Any, result: Any) -> dict[str, Any]:
    return {
        "message_uuid": message.message_uuid,
        "kind": message.kind.value,
        "misrouted": result.misrouted,
        "misroute_topic": result.misroute_topic,
        "forward_to": result.forward_to,
        "needs_new_case": result.needs_new_case,
        "note": result.note,
        "suggestions": [
            {
                "case_id": s.case_id,
                "case_number": s.case_number,
                "score": s.score,
                "reasons": list(s.reasons),
                "closed": s.closed,
                "child_name": s.child_name,
            }
            for s in result.suggestions
        ],
    }


def _line(path: str, doc: dict[str, Any]) -> str:
    if doc["misrouted"]:
        what = f"FEJLSENDT – videresend til {doc['forward_to']}"
    elif doc["suggestions"]:
        top = doc["suggestions"][0]
        what = f"{top['case_number']} ({top['score']:.2f}): {'; '.join(top['reasons'][:3])}"
        if len(doc["suggestions"]) > 1:
            what += f" [+{len(doc['suggestions']) - 1} flere]"
    else:
        what = "intet overbevisende forslag"
    if doc["needs_new_case"] and doc["note"]:
        what += f" – {doc['note']}"
    return f"{path}: {doc['kind']}: {what}"


def run_suggest(args: argparse.Namespace) -> int:
    from app.dubu.dataset import DubuDataset
    from app.sf1606.memo import read_memo
    from app.sf1606.model import MemoError
    from app.suggest.engine import SuggestionEngine

    try:
        dataset = DubuDataset.load(args.dubu_data)
    except (OSError, ValueError, KeyError) as exc:
        print(
            f"{args.dubu_data}: kan ikke læse DUBU-datasæt: {type(exc).__name__}", file=sys.stderr
        )
        return 1
    engine = SuggestionEngine(dataset, municipality_cvr=args.municipality_cvr, ocr=args.ocr)
    status = 0
    for path in args.files:
        try:
            message = read_memo(path)
        except MemoError as exc:
            status = 1
            if args.json:
                print(
                    json.dumps(
                        {"file": path, "ok": False, "error": exc.reason, "code": exc.code},
                        ensure_ascii=False,
                    )
                )
            else:
                print(f"{path}: FEJL: {exc.reason}")
            continue
        doc = result_to_json(message, engine.suggest(message, query=args.query))
        if args.json:
            print(json.dumps({"file": path, "ok": True, **doc}, ensure_ascii=False))
        else:
            print(_line(path, doc))
    return status
