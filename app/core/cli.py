"""Headless client commands: `postfordeler sync` and `postfordeler outbox run|status`.

    postfordeler sync --once --gateway URL [--json] [--user U]
    postfordeler sync --gateway URL                 # keeps syncing until SIGINT/SIGTERM
    postfordeler outbox run [--once] --sf2900 URL --dubu URL [--gateway URL] [--user U]
    postfordeler outbox status [--json]

State lives in the data dir (`--data-dir`). The gateway secret comes from the OS keyring
(`postfordeler`, `gateway:{user}`). Exit codes: 0 ok, 2 configuration (e.g. no secret), 3 the
gateway/SF2900 could not be reached, 4 the gateway refused the request. Heavy imports stay
inside the functions so `postfordeler --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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

    outbox = subparsers.add_parser("outbox", help="udbakken: send beslutninger til DUBU (SF2900)")
    sub = outbox.add_subparsers(dest="outbox_command", metavar="KOMMANDO")
    run = sub.add_parser("run", help="lever udbakkens poster til SF2900")
    run.add_argument("--sf2900", required=True, metavar="URL", help="SF2900-tjenestens URL")
    run.add_argument("--dubu", required=True, metavar="URL", help="DUBU-opslagstjenestens URL")
    run.add_argument("--gateway", metavar="URL", help="registrér udfaldet på gatewayen")
    run.add_argument("--once", action="store_true", help="én runde og afslut")
    run.add_argument("--json", action="store_true")
    run.add_argument("--user", metavar="U")
    run.add_argument("--municipality-cvr", metavar="CVR")
    run.add_argument("--timeout", type=float, default=30.0, help="sekunder pr. kald")
    run.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="CA-fil som gatewayens certifikat verificeres mod "
        "(standard: SSL_CERT_FILE, ellers systemets lager)",
    )
    run.set_defaults(func=cmd_outbox_run)
    status = sub.add_parser("status", help="vis udbakkens tællere")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_outbox_status)
    outbox.set_defaults(func=_show_help(outbox))


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
    from app.models.db import open_cache
    from app.sf1606.mailbox_client import MailboxClient, MailboxError, MailboxUnavailable

    db = open_cache()
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


def cmd_outbox_run(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.services import (
        MissingSecret,
        default_municipality_cvr,
        default_user,
        gateway_secret,
    )

    user = args.user or default_user()
    secret = None
    if args.gateway:
        try:
            secret = gateway_secret(user)
        except MissingSecret as exc:
            print(str(exc), file=sys.stderr)
            return 2
    cvr = args.municipality_cvr or default_municipality_cvr()
    return asyncio.run(_outbox(args, user, secret, cvr))


async def _outbox(args: argparse.Namespace, user: str, secret: str | None, cvr: str) -> int:
    import asyncio

    from app.core.outbox import OutboxWorker
    from app.core.worker import DbWorker
    from app.dubu.directory import HttpDubuDirectory
    from app.dubu.sf2900_client import Sf2900Client
    from app.models.cache import Cache
    from app.models.db import open_cache

    db = open_cache()
    cache = Cache(db)
    worker = DbWorker()
    sf2900 = Sf2900Client(args.sf2900, municipality_cvr=cvr, timeout=args.timeout)
    directory = HttpDubuDirectory(args.dubu)
    mailbox = None
    if args.gateway:
        from app.sf1606.mailbox_client import MailboxClient

        mailbox = MailboxClient(
            args.gateway,
            municipality_cvr=cvr,
            user=user,
            secret=secret or "",
            ca_bundle=args.ca_bundle,
        )
    outbox = OutboxWorker(
        cache, sf2900, directory, mailbox, worker=worker, call_timeout=args.timeout
    )
    try:
        if args.once:
            done = await outbox.run_once()
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
        for closer in (sf2900, directory, mailbox):
            if closer is not None:
                await closer.close()
        worker.close()
        db.engine.dispose()


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
