"""`postfordeler cache check|rebuild`: the local cache's integrity, and a rebuild on request.

`check` runs the integrity check (SQLCipher's per-page HMAC check and SQLite's quick_check);
`rebuild` salvages what only this PC holds (decisions not yet sent, the access log, read marks),
moves the cache file aside and starts an empty one: the next sync fetches every item again and
puts the salvaged decisions back in the outbox (`app.models.recovery`). Both say in one line
what they found; `--json` for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = subparsers.add_parser("cache", help="den lokale kopi af posten: tjek eller genopbyg")
    sub = cache.add_subparsers(dest="cache_command", metavar="KOMMANDO", required=True)
    check = sub.add_parser("check", help="tjek den lokale kopis integritet")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_check)
    rebuild = sub.add_parser(
        "rebuild",
        help="læg den lokale kopi til side og byg en ny (posten hentes igen ved næste sync)",
    )
    rebuild.add_argument("--json", action="store_true")
    rebuild.set_defaults(func=_rebuild)


def _check(args: argparse.Namespace) -> int:
    from app import paths
    from app.models.integrity import check_cache

    path = paths.client_db_path()
    if not path.exists():
        print("Der er ingen lokal kopi endnu", file=sys.stderr)
        return 0
    result = check_cache(path)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": result.ok,
                    "wrong_key": result.wrong_key,
                    "hmac_failures": result.hmac_failures,
                    "structure_ok": result.structure_ok,
                    "pages": result.pages,
                }
            )
        )
    elif result.ok:
        print("Den lokale kopi er i orden")
    elif result.wrong_key:
        print(
            "Nøglen i nøgleringen passer ikke til den lokale kopi (eller filens start er "
            "beskadiget); `postfordeler cache rebuild` lægger den til side og bygger en ny"
        )
    else:
        print(
            "Den lokale kopi er beskadiget; `postfordeler cache rebuild` lægger den til side "
            "og bygger en ny"
        )
    return 0 if result.ok else 1


def _rebuild(args: argparse.Namespace) -> int:
    from app.models.recovery import rebuild_cache

    db, report = rebuild_cache()
    db.engine.dispose()
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(report.text_da())
    return 0
