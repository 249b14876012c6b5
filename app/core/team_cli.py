"""Headless commands on the team's truth at the gateway: the policy and the backlog.

    postfordeler policy show --gateway URL --user U [--json]
    postfordeler policy set  --gateway URL --user U --file policy.json --reason TEXT [--json]
    postfordeler backlog     --gateway URL --user U --json

`policy set` is for administrators (the gateway's user directory); the file holds the policy
JSON of `app.gateway.policy` (or a `policy show --json` answer: its "policy" is taken).
Exit codes as `decide`: 0 ok, 2 configuration/bad file, 3 gateway out of reach, 4 refused;
a refusal prints the gateway's one Danish line. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.cli import _gateway_args, _line, _quiet_console, _secret, _show_help, _tls_checked

if TYPE_CHECKING:
    from app.sf1606.gateway_client import GatewayClient


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = subparsers.add_parser("policy", help="kommunens politik for arbejdsgangen")
    sub = policy.add_subparsers(dest="policy_command", metavar="KOMMANDO")
    show = sub.add_parser("show", help="vis politikken, der gælder nu")
    _gateway_args(show)
    show.set_defaults(func=cmd_policy_show)
    put = sub.add_parser("set", help="gem en ny version af politikken (administrator)")
    _gateway_args(put)
    put.add_argument("--file", required=True, metavar="POLICY_JSON", help="politikken som JSON")
    put.add_argument("--reason", required=True, metavar="TEXT", help="begrundelse for ændringen")
    put.set_defaults(func=cmd_policy_set)
    policy.set_defaults(func=_show_help(policy))

    backlog = subparsers.add_parser("backlog", help="teamets restance fra gatewayen")
    _gateway_args(backlog)
    backlog.set_defaults(func=cmd_backlog)


def _call(
    args: argparse.Namespace, work: Callable[[GatewayClient], Awaitable[dict[str, Any]]]
) -> dict[str, Any] | int:
    """Run `work` against the gateway as --user; a refusal/outage is printed, its exit code
    returned."""
    import asyncio

    from app.core.services import default_user
    from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable

    if not getattr(args, "verbose", False):
        _quiet_console()
    user = args.user or default_user()
    secret = _secret(user)
    if secret is None:
        return 2

    async def run() -> dict[str, Any] | int:
        async with GatewayClient(
            args.gateway, user=user, secret=secret, ca_bundle=args.ca_bundle, timeout=args.timeout
        ) as gateway:
            try:
                return await work(gateway)
            except GatewayRefused as exc:
                print(_line(exc.message), file=sys.stderr)
                return 4
            except GatewayUnavailable as exc:
                print(_line(exc.text), file=sys.stderr)
                return 3

    result: dict[str, Any] | int = 2

    def go() -> int:
        nonlocal result
        result = asyncio.run(run())
        return 0

    code = _tls_checked(go)
    return code or result


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> int:
    print(json.dumps(data, ensure_ascii=False) if args.json else text, flush=True)
    return 0


def _policy_text(data: dict[str, Any]) -> str:
    policy = data.get("policy") or {}
    lines = [f"Politik version {data.get('version')} ({data.get('author') or 'standard'})"]
    for cp, kinds in (policy.get("contact_points") or {}).items():
        lines.append(f"  {cp}: {', '.join(kinds) or 'intet'}")
    lines.append(f"  handlinger: {', '.join(data.get('allowed_actions') or []) or 'ingen'}")
    lines.append(f"  videresendelse til: {policy.get('forward_receivers')}")
    lines.append(
        f"  journaliseringsfrist: {policy.get('journaliseringsfrist_workdays')} arbejdsdage"
    )
    return "\n".join(lines)


def cmd_policy_show(args: argparse.Namespace) -> int:
    result = _call(args, lambda gw: gw.policy())
    return result if isinstance(result, int) else _emit(args, result, _policy_text(result))


def cmd_policy_set(args: argparse.Namespace) -> int:
    try:
        data = json.loads(Path(args.file).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        print(_line(f"Politikfilen kan ikke læses: {type(exc).__name__}"), file=sys.stderr)
        return 2
    if isinstance(data, dict) and isinstance(data.get("policy"), dict):
        data = data["policy"]  # a `policy show --json` answer
    if not isinstance(data, dict):
        print("Politikfilen skal indeholde et JSON-objekt", file=sys.stderr)
        return 2
    result = _call(args, lambda gw: gw.set_policy(data, args.reason))
    if isinstance(result, int):
        return result
    return _emit(args, result, f"Politik version {result.get('version')} er gemt")


def cmd_backlog(args: argparse.Namespace) -> int:
    result = _call(args, lambda gw: gw.backlog())
    if isinstance(result, int):
        return result
    text = (
        f"{result.get('open')} åbne, {result.get('older_than_frist')} ældre end fristen "
        f"({result.get('frist_workdays')} arbejdsdage)"
    )
    return _emit(args, result, text)
