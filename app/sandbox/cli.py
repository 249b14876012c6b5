"""`postfordeler sandbox`: every remote party on loopback, until SIGINT/SIGTERM.

Prints the endpoints as ONE JSON line on stdout once every server listens (the line scripts and
tests wait for), then runs. Heavy imports stay inside the function.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "sandbox",
        help="start gateway, Postkomponent-simulator, SF2900 og DUBU på loopback",
        description="Starter sandkassen: modtagegateway, Postkomponent-simulator, SF2900-service og "
        "DUBU-sagsopslag på 127.0.0.1. Skriver endepunkterne som én JSON-linje, når alt kører. "
        "Gatewayen kører over HTTPS med sandkassens test-CA (tls_ca); EP_FS1 kræver "
        "Postkomponent-certifikatet (postkomponent_cert/postkomponent_key). "
        'Linjens "users" er demobrugerne (en fordeler pr. team, en sagsbehandler, en '
        "teamleder) med rolle, team, adgangskode og de kontaktpunkter, de må se.",
    )
    p.add_argument(
        "--messages",
        metavar="DIR",
        type=Path,
        help="MeMo-filer der skal afleveres (standard: de medfølgende)",
    )
    p.add_argument("--no-messages", action="store_true", help="aflever ingen filer fra en mappe")
    p.add_argument("--dubu-data", metavar="FILE", type=Path, help="DUBU-datasæt (dubu.json-format)")
    p.add_argument(
        "--generate", metavar="N", type=int, default=0, help="aflever N genererede meddelelser"
    )
    p.add_argument("--rate", metavar="R", type=float, default=None, help="meddelelser pr. sekund")
    p.add_argument("--seed", type=int, default=1, help="frø for genererede meddelelser")
    p.add_argument("--gateway-port", metavar="P", type=int, default=0)
    p.add_argument("--sf2900-port", metavar="P", type=int, default=0)
    p.add_argument("--dubu-port", metavar="P", type=int, default=0)
    p.add_argument(
        "--sf2900-callback-delay",
        metavar="S",
        type=float,
        default=0.0,
        help="sekunder før SF2900 sender forretningskvitteringen tilbage (standard 0)",
    )
    p.add_argument(
        "--no-demo-users",
        action="store_true",
        help="kun brugeren 'demo' (ingen fordelere pr. team, sagsbehandler eller teamleder)",
    )
    p.set_defaults(func=run_sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import logging
    import signal
    import sys

    from app.sandbox.runner import SandboxConfig, start_sandbox

    log = logging.getLogger("postfordeler.sandbox")
    for path, what in ((args.messages, "mappe"), (args.dubu_data, "fil")):
        if path is not None and not path.exists():
            print(f"postfordeler sandbox: {what} findes ikke: {path}", file=sys.stderr)
            return 2

    config = SandboxConfig(
        messages_dir=args.messages,
        dubu_data=args.dubu_data,
        generate=max(0, args.generate),
        rate=args.rate,
        gateway_port=args.gateway_port,
        sf2900_port=args.sf2900_port,
        dubu_port=args.dubu_port,
        push_messages=not args.no_messages,
        seed=args.seed,
        sf2900_callback_delay=max(0.0, args.sf2900_callback_delay),
        demo_users=not args.no_demo_users,
    )

    async def main() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
        try:
            running = await start_sandbox(config)
        except OSError as exc:
            print(f"postfordeler sandbox: kunne ikke starte: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write(json.dumps(running.endpoints, ensure_ascii=False) + "\n")
        sys.stdout.flush()

        async def report() -> None:
            stats = await running.pushed()
            log.info("simulator done: %s", stats.to_json())
            print(
                f"postfordeler sandbox: afleveret {json.dumps(stats.to_json())}",
                file=sys.stderr,
                flush=True,
            )

        reporter = asyncio.create_task(report())
        await stop.wait()
        reporter.cancel()
        await running.stop()
        return 0

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C during shutdown
        return 0
