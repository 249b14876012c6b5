"""Commands for the access log and retention.

    postfordeler audit --cpr CPR [--json] [--user U]
        Every logged access to this citizen's data (an indsigt answer). The look-up itself is
        logged first as `search_cpr` with purpose "indsigt", so it shows in the next answer.
    postfordeler audit --gateway URL --user U --cpr CPR [--json]
        The same across all PCs, from the gateway's access log: a JSON list of {"at", "actor",
        "action", "item"}; the actor is who the gateway authenticated, never a given name.
        --user is the gateway login (secret: $POSTFORDELER_SECRET or the keyring). Refusals
        exit 4 with one Danish line, an unreachable gateway 3.
    postfordeler retention purge [--days N] [--log-days M] [--dry-run] [--json]
        Apply the retention policy to the local cache (see app.core.retention).

Exit codes: 0 ok, 2 bad input (e.g. not a CPR number), 3 no OS keyring for the audit key.
The CPR the operator typed is printed back (stdout only); it never reaches the Python logger.
Heavy imports stay inside the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser(
        "audit",
        help="adgangslog: hvem har set en borgers oplysninger (indsigt)",
        description="Vis alle registrerede opslag i en borgers oplysninger i den lokale cache.",
    )
    audit.add_argument(
        "--cpr", required=True, metavar="CPR", help="borgerens CPR-nummer (DDMMÅÅ-XXXX)"
    )
    audit.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    audit.add_argument(
        "--user", metavar="U", help="den bruger, der foretager opslaget (standard: OS-brugeren)"
    )
    audit.add_argument("--gateway", metavar="URL", help="spørg gatewayens fælles adgangslog")
    audit.add_argument("--ca-bundle", metavar="PEM", help="CA-fil for gatewayens certifikat")
    audit.add_argument("--timeout", type=float, default=30.0, help="sekunder pr. kald")
    audit.set_defaults(func=cmd_audit)

    retention = subparsers.add_parser(
        "retention", help="sletning af afsluttede elementer og gammel adgangslog i den lokale cache"
    )
    sub = retention.add_subparsers(dest="retention_command", metavar="KOMMANDO")
    purge = sub.add_parser("purge", help="slet afsluttede, leverede elementer og gammel adgangslog")
    purge.add_argument(
        "--days",
        type=int,
        default=None,
        metavar="N",
        help="slet afsluttede elementer ældre end N dage (standard 30)",
    )
    purge.add_argument(
        "--log-days",
        type=int,
        default=None,
        metavar="M",
        help="slet adgangslog ældre end M dage (standard 1826 = 5 år)",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="vis kun, hvad der ville blive slettet"
    )
    purge.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    purge.set_defaults(func=cmd_retention_purge)
    retention.set_defaults(func=_show_help(retention))


def _default_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "ukendt"


def _local(at: datetime) -> datetime:
    try:
        from zoneinfo import ZoneInfo

        return at.astimezone(ZoneInfo("Europe/Copenhagen"))
    except Exception:
        return at


def cmd_audit(args: argparse.Namespace) -> int:
    from app.core.audit import (
        PURPOSE_ACCESS_REQUEST,
        AccessLog,
        AuditKeyUnavailable,
        InvalidCpr,
        normalise_cpr,
    )
    from app.models.db import CacheKeyUnavailable, open_cache

    try:
        cpr = normalise_cpr(args.cpr)
    except InvalidCpr as exc:
        print(f"Fejl: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "gateway", None):
        return _gateway_audit(args, cpr)
    try:
        audit_log = AccessLog.open(open_cache(), user=args.user or _default_user())
    except (AuditKeyUnavailable, CacheKeyUnavailable) as exc:
        print(f"Fejl: {exc}", file=sys.stderr)
        return 3
    audit_log.search_cpr(cpr, purpose=PURPOSE_ACCESS_REQUEST)  # log before disclosing
    entries = audit_log.for_citizen(cpr)
    shown = f"{cpr[:6]}-{cpr[6:]}"
    if args.json:
        data: dict[str, Any] = {
            "cpr": shown,
            "count": len(entries),
            "entries": [
                {
                    "at": e.at.isoformat(),
                    "user": e.user,
                    "action": e.action,
                    "action_label": e.action_label,
                    "purpose": e.purpose,
                    "item_id": e.item_id,
                    "detail": e.detail,
                }
                for e in entries
            ],
        }
        print(json.dumps(data, ensure_ascii=False), flush=True)
        return 0
    print(f"Adgangslog for CPR-nummer {shown}: {len(entries)} registrerede opslag")
    for e in entries:
        when = _local(e.at).strftime("%d-%m-%Y %H:%M:%S")
        where = f"element {e.item_id}" if e.item_id is not None else "-"
        extra = f"  ({e.detail})" if e.detail else ""
        print(f"{when}  {e.user:<16} {e.action_label:<20} formål: {e.purpose:<10} {where}{extra}")
    sys.stdout.flush()
    return 0


def _gateway_audit(args: argparse.Namespace, cpr: str) -> int:
    from app.core.cli import gateway_call

    found = gateway_call(args, lambda gw: gw.audit_query(cpr))
    if isinstance(found, int):
        return found
    entries = [
        {
            "at": e.get("at"),
            "actor": e.get("actor"),
            "action": e.get("action"),
            "item": e.get("item"),
        }
        for e in found
    ]
    if args.json:
        print(json.dumps(entries, ensure_ascii=False), flush=True)
        return 0
    print(f"Adgangslog på gatewayen for CPR-nummer {cpr[:6]}-{cpr[6:]}: {len(entries)} opslag")
    for e in entries:
        when = _local(datetime.fromisoformat(str(e["at"]))).strftime("%d-%m-%Y %H:%M:%S")
        print(f"{when}  {e['actor']:<16} {e['action']:<12} {e['item'] or '-'}")
    sys.stdout.flush()
    return 0


def cmd_retention_purge(args: argparse.Namespace) -> int:
    from app.core import retention
    from app.models.db import CacheKeyUnavailable, open_cache

    days = retention.DECIDED_DAYS if args.days is None else args.days
    log_days = retention.ACCESS_LOG_DAYS if args.log_days is None else args.log_days
    if days < 0 or log_days < 0:
        print("Fejl: antal dage kan ikke være negativt", file=sys.stderr)
        return 2
    try:
        db = open_cache()
    except CacheKeyUnavailable as exc:
        print(f"Fejl: {exc}", file=sys.stderr)
        return 3
    result = retention.purge(db, decided_days=days, access_log_days=log_days, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False), flush=True)
        return 0
    verb = "ville blive slettet" if result.dry_run else "slettet"
    print(
        f"Elementer {verb}: {result.items} (meddelelser: {result.blobs}, filer: {result.files}); "
        f"adgangslog-rækker {verb}: {result.log_rows}",
        flush=True,
    )
    return 0


def _show_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command handler that prints `parser`'s help and fails (a sub-command is required)."""

    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show
