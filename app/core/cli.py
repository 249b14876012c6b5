"""Headless client commands: sync, outbox, decide, status and cache.

    postfordeler sync --once --gateway URL [--json] [--user U]
    postfordeler sync --gateway URL                 # keeps syncing until SIGINT/SIGTERM
    postfordeler outbox run [--once] --gateway URL [--user U]
    postfordeler outbox status [--json]
    postfordeler decide --gateway URL [--user U] [--json] journalise --item UUID --case ID [--note T]
    postfordeler decide ... assign --item UUID --caseworker ID
    postfordeler decide ... reject --item UUID --reason TEXT
    postfordeler decide ... forward --item UUID --receiver ID
    postfordeler status --gateway URL [--user U] --item UUID --json
    postfordeler policy show --gateway URL --user U [--json]
    postfordeler policy set --gateway URL --user U --file policy.json --reason TEXT
    postfordeler backlog --gateway URL --user U --json

`policy set` is for administrators (the gateway's user directory); the file holds the policy
JSON of `app.gateway.policy` (or a `policy show --json` answer: its "policy" is taken).
`backlog` prints the team's figures computed on the gateway (app.gateway.store.backlog).
    postfordeler cache check [--json]               # the local cache's integrity (exit 1: damaged)
    postfordeler cache rebuild [--json]             # set it aside, salvage, start an empty one

`decide` makes the same decision the UI makes, through the same client outbox: it is queued in
the local cache (`Cache.decide`: an identical pending or delivered decision on the item is
reused, so the same decision twice is one delivery) and handed to the gateway once. It returns
when the gateway has it (state `afventer` or later) or, with the gateway out of reach, when it
is queued on this PC (state `lokal`, exit 0; the outbox delivers it later). A refusal exits 4
with one line. `--json` prints {"decision_id", "state"}. `status` prints {"state", "decision",
"reason"} (`lokal` while this PC still holds the decision); an item that does not exist or that
the user may not see gives the same one line and exit 4.

State lives in the data dir (`--data-dir`). The gateway secret comes from
`$POSTFORDELER_SECRET` when it is set, else the OS keyring (`postfordeler`, `gateway:{user}`);
the gateway is verified against `--ca-bundle`, else `SSL_CERT_FILE`, else the system store.
Nothing prints the secret, a CPR number or message content. Exit codes: 0 ok, 2 configuration
(e.g. no secret, an invalid decision), 3 the gateway could not be reached, 4 the gateway refused
the request. Heavy imports stay inside the functions so `postfordeler --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

    from app.decisions import Decision
    from app.sf1606.gateway_client import GatewayClient

_R = TypeVar("_R")
NOT_FOUND = "Elementet findes ikke eller er ikke tilgængeligt"
CA_HELP = (
    "CA-fil som gatewayens certifikat verificeres mod "
    "(standard: SSL_CERT_FILE, ellers systemets lager)"
)
USER_HELP = "bruger på gatewayen (adgangskode: $POSTFORDELER_SECRET eller nøgleringen)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    register_team(subparsers)
    sync = subparsers.add_parser(
        "sync",
        help="hent nye elementer fra postserveren til den lokale kopi",
        description="Synkronisér postkassen fra gatewayen til den lokale cache.",
    )
    sync.add_argument("--gateway", required=True, metavar="URL", help="gatewayens basis-URL")
    sync.add_argument("--once", action="store_true", help="synkronisér én gang og afslut")
    sync.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    sync.add_argument("--user", metavar="U", help="bruger på gatewayen (standard: demobrugeren)")
    sync.add_argument("--municipality-cvr", metavar="CVR")
    sync.add_argument("--page-size", type=int, default=200)
    sync.add_argument(
        "--interval", type=float, default=15.0, help="sekunder mellem synkroniseringer"
    )
    sync.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="CA-fil som gatewayens certifikat verificeres mod "
        "(standard: SSL_CERT_FILE, ellers systemets lager)",
    )
    sync.set_defaults(func=cmd_sync)

    outbox = subparsers.add_parser("outbox", help="udbakken: send beslutninger til gatewayen")
    sub = outbox.add_subparsers(dest="outbox_command", metavar="KOMMANDO")
    run = sub.add_parser("run", help="lever udbakkens poster til gatewayen")
    run.add_argument("--gateway", required=True, metavar="URL", help="gatewayens basis-URL")
    run.add_argument("--once", action="store_true", help="én runde og afslut")
    run.add_argument("--json", action="store_true")
    run.add_argument("--user", metavar="U", help=USER_HELP)
    run.add_argument("--timeout", type=float, default=30.0, help="sekunder pr. kald")
    run.add_argument("--ca-bundle", metavar="PEM", help=CA_HELP)
    run.set_defaults(func=cmd_outbox_run)
    status = sub.add_parser("status", help="vis udbakkens tællere")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_outbox_status)
    outbox.set_defaults(func=_show_help(outbox))

    decide = subparsers.add_parser(
        "decide",
        help="træf en beslutning om et element (samme udbakke som programmet)",
        description="Træf samme beslutning som i programmet og aflever den til gatewayen.",
    )
    _gateway_args(decide)
    kinds = decide.add_subparsers(dest="decide_kind", metavar="BESLUTNING")
    journalise = kinds.add_parser("journalise", help="journalisér på en sag")
    journalise.add_argument("--case", required=True, metavar="CASE_ID", help="sagens id")
    journalise.add_argument("--note", metavar="TEXT", help="journalnotat på sagen")
    assign = kinds.add_parser("assign", help="fordel til en sagsbehandler")
    assign.add_argument("--caseworker", required=True, metavar="ID")
    reject = kinds.add_parser("reject", help="afvis (hører ikke til her)")
    reject.add_argument("--reason", required=True, metavar="TEXT")
    forward = kinds.add_parser("forward", help="videresend til et andet modtagersystem")
    forward.add_argument("--receiver", required=True, metavar="ID")
    for kind in (journalise, assign, reject, forward):
        kind.add_argument("--item", required=True, metavar="MESSAGE_UUID")
        kind.set_defaults(func=cmd_decide)
    decide.set_defaults(func=_show_help(decide))

    status = subparsers.add_parser("status", help="vis et elements leveringstilstand")
    _gateway_args(status)
    status.add_argument("--item", required=True, metavar="MESSAGE_UUID")
    status.set_defaults(func=cmd_status)
    # cache check / rebuild: the local cache's integrity, and a rebuild on request
    cache = subparsers.add_parser("cache", help="den lokale kopi af posten: tjek eller genopbyg")
    cache_sub = cache.add_subparsers(dest="cache_command", metavar="KOMMANDO", required=True)
    cache_check = cache_sub.add_parser("check", help="tjek den lokale kopis integritet")
    cache_check.add_argument("--json", action="store_true")
    cache_check.set_defaults(func=cmd_cache_check)
    cache_rebuild = cache_sub.add_parser(
        "rebuild",
        help="læg den lokale kopi til side og byg en ny (posten hentes igen ved næste sync)",
    )
    cache_rebuild.add_argument("--json", action="store_true")
    cache_rebuild.set_defaults(func=cmd_cache_rebuild)


def _gateway_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gateway", required=True, metavar="URL", help="gatewayens basis-URL")
    parser.add_argument("--user", metavar="U", help=USER_HELP)
    parser.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    parser.add_argument("--ca-bundle", metavar="PEM", help=CA_HELP)
    parser.add_argument("--municipality-cvr", metavar="CVR")
    parser.add_argument("--timeout", type=float, default=15.0, help="sekunder pr. kald")


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(data, ensure_ascii=False), flush=True)
    else:
        print(text, flush=True)


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):  # Windows
            pass


def cmd_sync(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.services import (
        MissingSecret,
        default_municipality_cvr,
        default_user,
        gateway_secret,
    )

    user = args.user or default_user()
    try:
        secret = gateway_secret(user)
    except MissingSecret as exc:
        print(str(exc), file=sys.stderr)
        return 2
    cvr = args.municipality_cvr or default_municipality_cvr()
    return asyncio.run(_sync(args, user, secret, cvr))


async def _sync(args: argparse.Namespace, user: str, secret: str, cvr: str) -> int:
    import asyncio

    from app.core.sync import Syncer, SyncResult, SyncStatus, sync_once
    from app.core.worker import DbWorker
    from app.models.cache import Cache
    from app.models.integrity import CacheDamaged
    from app.models.recovery import open_cache_recovering
    from app.sf1606.mailbox_client import MailboxClient, MailboxError, MailboxUnavailable

    db, rebuilt = open_cache_recovering()
    if rebuilt is not None:
        print(rebuilt.text_da(), file=sys.stderr)
    cache = Cache(db)
    worker = DbWorker()
    client = MailboxClient(
        args.gateway,
        municipality_cvr=cvr,
        user=user,
        secret=secret,
        ca_bundle=args.ca_bundle,
    )
    try:
        if args.once:
            try:
                result = await sync_once(client, cache, page_size=args.page_size, worker=worker)
            except MailboxUnavailable as exc:
                print(f"Postserveren kan ikke nås: {exc}", file=sys.stderr)
                return 3
            except MailboxError as exc:
                print(f"Postserveren afviste forespørgslen: {exc}", file=sys.stderr)
                return 4
            except CacheDamaged:
                from app.core.sync import CACHE_DAMAGED_MESSAGE

                print(CACHE_DAMAGED_MESSAGE, file=sys.stderr)
                return 5
            data = {**result.to_json(), "cached": await worker.submit(cache.item_count)}
            _print(
                args, data, f"{result.new} nye, {result.duplicates} dubletter, {result.total} i alt"
            )
            return 0

        def on_status(s: SyncStatus) -> None:
            if not args.json:
                print(s.message, file=sys.stderr, flush=True)

        def on_result(r: SyncResult) -> None:
            _print(args, r.to_json(), f"{r.new} nye, {r.duplicates} dubletter, {r.total} i alt")

        syncer = Syncer(
            client,
            cache,
            worker,
            interval=args.interval,
            page_size=args.page_size,
            on_status=on_status,
            on_result=on_result,
        )
        _stop_on_signals(asyncio.get_running_loop(), syncer.stop)
        await syncer.run_forever()
        return 0
    finally:
        await client.close()
        worker.close()
        db.engine.dispose()


def _tls_checked(run: Callable[[], int]) -> int:
    """Run a command; a CA file that cannot be used is one line and exit 2, not a traceback."""
    from app.sf1606.tls import TlsConfigError

    try:
        return run()
    except TlsConfigError as exc:
        print(_line(str(exc)), file=sys.stderr)
        return 2


def _secret(user: str) -> str | None:
    from app.core.services import MissingSecret, gateway_secret

    try:
        return gateway_secret(user)
    except MissingSecret as exc:
        print(str(exc), file=sys.stderr)
        return None


def cmd_outbox_run(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.services import default_user

    user = args.user or default_user()
    secret = _secret(user)
    if secret is None:
        return 2
    return _tls_checked(lambda: asyncio.run(_outbox(args, user, secret)))


async def _outbox(args: argparse.Namespace, user: str, secret: str) -> int:
    import asyncio

    from app.core.outbox import OutboxWorker, mailbox_claimer
    from app.core.services import default_municipality_cvr
    from app.core.worker import DbWorker
    from app.models.cache import Cache
    from app.models.db import open_cache
    from app.sf1606.gateway_client import GatewayClient
    from app.sf1606.mailbox_client import MailboxClient

    db = open_cache()
    cache = Cache(db)
    worker = DbWorker()
    gateway = GatewayClient(
        args.gateway, user=user, secret=secret, ca_bundle=args.ca_bundle, timeout=args.timeout
    )
    claim = mailbox_claimer(  # a decision made without a claim (offline) is claimed first
        cache,
        worker,
        lambda: MailboxClient(
            args.gateway,
            municipality_cvr=getattr(args, "municipality_cvr", None) or default_municipality_cvr(),
            user=user,
            secret=secret,
            ca_bundle=args.ca_bundle,
            timeout=args.timeout,
        ),
    )
    outbox = OutboxWorker(cache, gateway, worker=worker, call_timeout=args.timeout, claim=claim)
    try:
        if args.once:  # one attempt at every queued decision now, its backoff ignored
            done = await outbox.run_once(all_pending=True)
            counts = await worker.submit(cache.outbox_counts)
            _print(
                args,
                {"done": done, **counts},
                f"{done} afsluttet; {counts['open']} venter, {counts['rejected']} afvist i alt",
            )
            return 0
        _stop_on_signals(asyncio.get_running_loop(), outbox.stop)
        await outbox.run_forever()
        return 0
    finally:
        await outbox.close()
        await gateway.close()
        worker.close()
        db.engine.dispose()


def _decision(args: argparse.Namespace) -> Decision:
    from app.decisions import Assign, Forward, Journalise, JournalNote, Reject

    kind = args.decide_kind
    if kind == "journalise":
        note = JournalNote(args.case, args.note) if args.note and args.note.strip() else None
        return Journalise(args.case, note=note)
    if kind == "assign":
        return Assign(args.caseworker)
    if kind == "reject":
        return Reject(args.reason)
    return Forward(receiver_id=args.receiver)


def _quiet_console() -> None:
    """`decide` and `status` answer with ONE line: the console log handler shows errors only
    (warnings such as a refusal still go to the log file)."""
    import logging

    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler and handler.level < logging.ERROR:
            handler.setLevel(logging.ERROR)


def cmd_decide(args: argparse.Namespace) -> int:
    import asyncio

    if not getattr(args, "verbose", False):
        _quiet_console()

    from app.core.services import default_user
    from app.decisions import DecisionError

    try:
        decision = _decision(args)
    except DecisionError as exc:
        print(_line(str(exc)), file=sys.stderr)
        return 2
    user = args.user or default_user()
    secret = _secret(user)
    if secret is None:
        return 2
    return _tls_checked(lambda: asyncio.run(_decide(args, user, secret, decision)))


async def _decide(args: argparse.Namespace, user: str, secret: str, decision: Decision) -> int:
    from app.core.outbox import OutboxWorker, mailbox_claimer, remote_state
    from app.core.services import CLAIM_LEASE_SECONDS, default_municipality_cvr
    from app.core.sync import sync_once
    from app.core.worker import DbWorker
    from app.models.cache import Cache, CacheError
    from app.models.db import open_cache
    from app.models.schema import OutboxStatus
    from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable
    from app.sf1606.mailbox_client import MailboxClient, MailboxError, MailboxUnavailable

    db = open_cache()
    cache = Cache(db)
    worker = DbWorker()
    gateway = GatewayClient(
        args.gateway, user=user, secret=secret, ca_bundle=args.ca_bundle, timeout=args.timeout
    )

    def open_mailbox() -> MailboxClient:
        return MailboxClient(
            args.gateway,
            municipality_cvr=args.municipality_cvr or default_municipality_cvr(),
            user=user,
            secret=secret,
            ca_bundle=args.ca_bundle,
            timeout=args.timeout,
        )

    claim = mailbox_claimer(cache, worker, open_mailbox, CLAIM_LEASE_SECONDS)
    outbox = OutboxWorker(
        cache,
        gateway,
        worker=worker,
        call_timeout=args.timeout,
        attempts_per_round=2,
        initial_backoff=0.2,
        max_backoff=1.0,
        claim=claim,
    )
    try:
        item_id = await worker.submit(cache.item_id_for_uuid, args.item)
        if item_id is None:
            # Not on this PC yet: bring the mailbox up to date, then look again.
            mailbox = open_mailbox()
            try:
                await sync_once(mailbox, cache, worker=worker)
            except MailboxUnavailable as exc:
                print(_line(f"Postserveren kan ikke nås: {exc.text}"), file=sys.stderr)
                return 3
            except MailboxError as exc:
                print(_line(f"Postserveren afviste forespørgslen: {exc.text}"), file=sys.stderr)
                return 4
            finally:
                await mailbox.close()
            item_id = await worker.submit(cache.item_id_for_uuid, args.item)
        if item_id is None:
            print(NOT_FOUND, file=sys.stderr)
            return 4
        try:
            queued = await worker.submit(cache.decide, item_id, decision, user)
        except CacheError as exc:
            print(_line(str(exc)), file=sys.stderr)
            return 4
        rows = await worker.submit(cache.outbox_entries, item_id=item_id)
        row = next(r for r in rows if r.id == queued.outbox_id)
        if row.status in OutboxStatus.OPEN:
            await outbox.deliver(queued.outbox_id)
        elif row.status == OutboxStatus.DELIVERED:
            try:  # already at the gateway: show its state now
                answer = await gateway.status(args.item)
                await worker.submit(cache.apply_item_state, item_id, remote_state(answer))
            except (GatewayRefused, GatewayUnavailable):
                pass
        rows = await worker.submit(cache.outbox_entries, item_id=item_id)
        row = next(r for r in rows if r.id == queued.outbox_id)
        if row.status == OutboxStatus.REJECTED:
            print(_line(row.last_error or "Gatewayen afviste beslutningen"), file=sys.stderr)
            return 4
        state = (await worker.submit(cache.delivery, item_id)).state
        if row.status in OutboxStatus.OPEN:
            if outbox.login_refused:  # queued, but this login will never deliver it
                print(
                    _line(f"{outbox.login_refused} (beslutningen venter i udbakken)"),
                    file=sys.stderr,
                )
                return 4
            state = "lokal"
        _print(
            args,
            {"decision_id": queued.decision_id, "state": state},
            f"{queued.decision_id}: {state}",
        )
        return 0
    finally:
        await outbox.close()
        await gateway.close()
        worker.close()
        db.engine.dispose()


def cmd_status(args: argparse.Namespace) -> int:
    import asyncio

    if not getattr(args, "verbose", False):
        _quiet_console()

    from app.core.services import default_user

    user = args.user or default_user()
    secret = _secret(user)
    if secret is None:
        return 2
    return _tls_checked(lambda: asyncio.run(_status(args, user, secret)))


async def _status(args: argparse.Namespace, user: str, secret: str) -> int:
    from app.models.cache import Cache
    from app.models.db import open_cache
    from app.models.schema import OutboxStatus
    from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable

    db = open_cache()
    try:
        cache = Cache(db)
        item_id = cache.item_id_for_uuid(args.item)
        if item_id is not None:
            open_rows = [
                r for r in cache.outbox_entries(item_id=item_id) if r.status in OutboxStatus.OPEN
            ]
            if open_rows:  # still on this PC only
                data = {
                    "state": "lokal",
                    "decision": _wire_kind(open_rows[-1].action),
                    "reason": None,
                }
                _print(args, data, f"lokal ({data['decision']})")
                return 0
    finally:
        db.engine.dispose()
    async with GatewayClient(
        args.gateway, user=user, secret=secret, ca_bundle=args.ca_bundle, timeout=args.timeout
    ) as gateway:
        try:
            answer = await gateway.status(args.item)
        except GatewayRefused as exc:
            print(NOT_FOUND if exc.status == 404 else _line(exc.message), file=sys.stderr)
            return 4
        except GatewayUnavailable as exc:
            print(_line(exc.text), file=sys.stderr)
            return 3
    data = {"state": answer.state, "decision": _wire_kind(answer.decision), "reason": answer.reason}
    text = answer.state if not answer.reason else f"{answer.state}: {answer.reason}"
    _print(args, data, text)
    return 0


def _wire_kind(action: str | None) -> str | None:
    """The decision kind `status` reports: journalise, assign, reject or forward (a journal
    note on its own is reported as journalise: the message went on the case)."""
    if action == "journal_note":
        return "journalise"
    return action


def _line(text: str) -> str:
    return " ".join(str(text).split())[:500]


def cmd_outbox_status(args: argparse.Namespace) -> int:
    from app.models.cache import Cache
    from app.models.db import open_cache

    db = open_cache()
    counts = Cache(db).outbox_counts()
    db.engine.dispose()
    _print(args, counts, ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


def _show_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command handler that prints `parser`'s help and fails (a sub-command is required)."""

    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show


def cmd_cache_check(args: argparse.Namespace) -> int:
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


def cmd_cache_rebuild(args: argparse.Namespace) -> int:
    from app.models.recovery import rebuild_cache

    db, report = rebuild_cache()
    db.engine.dispose()
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(report.text_da())
    return 0


# --------------------------------------------------------------------------- policy, backlog


def register_team(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    backlog.add_argument(
        "--export",
        metavar="FILE",
        type=Path,
        help="skriv tallene til FILE.csv eller FILE.xlsx (kun antal, ingen persondata)",
    )
    backlog.set_defaults(func=cmd_backlog)

    move = subparsers.add_parser(
        "reassign", help="omfordel en sagsbehandlers åbne post til en anden (teamleder)"
    )
    _gateway_args(move)
    move.add_argument("--from", dest="from_caseworker", required=True, metavar="ID")
    move.add_argument("--to", dest="to_caseworker", required=True, metavar="ID")
    move.add_argument("--reason", required=True, metavar="TEXT", help="begrundelse")
    move.add_argument(
        "--item", action="append", dest="items", metavar="UUID", help="kun disse (gentag)"
    )
    move.set_defaults(func=cmd_reassign)


def gateway_call(
    args: argparse.Namespace, work: Callable[[GatewayClient], Awaitable[_R]]
) -> _R | int:
    """Run `work` against the gateway (`--gateway`, `--user`, `--ca-bundle`, `--timeout`) as
    the user (secret: $POSTFORDELER_SECRET or the keyring). A refusal or an outage is printed
    as one line and its exit code returned (4 refused, 3 unreachable, 2 configuration)."""
    import asyncio

    from app.core.services import default_user
    from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable

    if not getattr(args, "verbose", False):
        _quiet_console()
    user = args.user or default_user()
    secret = _secret(user)
    if secret is None:
        return 2

    async def run() -> _R | int:
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

    result: _R | int = 2

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
    result = gateway_call(args, lambda gw: gw.policy())
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
    result = gateway_call(args, lambda gw: gw.set_policy(data, args.reason))
    if isinstance(result, int):
        return result
    return _emit(args, result, f"Politik version {result.get('version')} er gemt")


def cmd_backlog(args: argparse.Namespace) -> int:
    result = gateway_call(args, lambda gw: gw.backlog())
    if isinstance(result, int):
        return result
    if getattr(args, "export", None) is not None:
        from app.core.export import ExportRefused, backlog_rows, write_rows

        try:
            write_rows(args.export, backlog_rows(result))
        except (ExportRefused, OSError) as exc:
            message = exc.args[0] if isinstance(exc, ExportRefused) else type(exc).__name__
            print(_line(f"Eksporten kan ikke skrives: {message}"), file=sys.stderr)
            return 2
        print(f"Restancen er eksporteret til {args.export}", flush=True)
        return 0
    text = (
        f"{result.get('open')} åbne, {result.get('older_than_frist')} ældre end fristen "
        f"({result.get('frist_workdays')} arbejdsdage)"
    )
    return _emit(args, result, text)


def cmd_reassign(args: argparse.Namespace) -> int:
    result = gateway_call(
        args,
        lambda gw: gw.reassign(args.from_caseworker, args.to_caseworker, args.reason, args.items),
    )
    if isinstance(result, int):
        return result
    moved, skipped = result.get("reassigned") or [], result.get("skipped") or []
    text = f"{len(moved)} omfordelt til {args.to_caseworker}, {len(skipped)} sprunget over"
    return _emit(args, result, text)
