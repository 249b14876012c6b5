"""`postfordeler gateway serve|add-user`: run the receiving gateway, manage its users.

Heavy imports stay inside the functions. Secrets are never taken from the command line: they come
from the OS keyring (`postfordeler`, `gateway:{user}`), stdin or a hidden prompt.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.gateway.delivery import DeliverySettings
    from app.gateway.server import GatewayTls


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gateway = subparsers.add_parser(
        "gateway", help="modtagende gateway (SF1606 PostModtag + postkasse)"
    )
    sub = gateway.add_subparsers(dest="gateway_command", metavar="KOMMANDO", required=True)

    serve = sub.add_parser("serve", help="kør gatewayen til den stoppes (SIGINT/SIGTERM)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 = en ledig port")
    serve.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy-URL (standard: SQLite i datamappen); "
        "PostgreSQL: postgresql+psycopg://bruger@vært/db",
    )
    serve.add_argument(
        "--municipality-cvr",
        metavar="CVR",
        help="kun forespørgsler med denne AuthorityContext/MunicipalityCVR",
    )
    serve.add_argument(
        "--contact-point",
        metavar="ID",
        action="append",
        default=[],
        help="modtag kun post til dette kontaktpunkt (kan gentages; standard: alle)",
    )
    serve.add_argument(
        "--max-message-mb",
        type=float,
        default=None,
        help="største meddelelse i MB (standard: lige over 99,5 MB)",
    )
    serve.add_argument(
        "--user",
        metavar="NAVN",
        action="append",
        default=[],
        help="opret/opdater denne bruger; hemmeligheden hentes fra nøgleringen eller spørges efter",
    )
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help="slå POST /_sandbox/faults til (fejlinjektion; kun test)",
    )
    tls = serve.add_argument_group(
        "TLS",
        "HTTPS for gatewayen og gensidig TLS for EP_FS1 PostModtag. Nøglefilen må kun kunne "
        "læses af tjenestebrugeren (chmod 600, fx en systemd-credential).",
    )
    tls.add_argument("--tls-cert", metavar="PEM", help="serverens certifikat (PEM, evt. med kæde)")
    tls.add_argument("--tls-key", metavar="PEM", help="serverens private nøgle (PEM)")
    tls.add_argument(
        "--client-ca",
        metavar="PEM",
        help="CA der udsteder Serviceplatformens klientcertifikat (EP_FS1)",
    )
    tls.add_argument(
        "--pin",
        metavar="EMNE=SHA256",
        action="append",
        default=[],
        help="klientcertifikat der må aflevere post: emne (RFC 4514) og SHA-256-fingeraftryk; "
        "gentag under certifikatskift",
    )
    tls.add_argument(
        "--pin-file",
        metavar="FIL",
        help="fil med én pin (EMNE=SHA256) pr. linje; # indleder en kommentar",
    )
    serve.add_argument(
        "--postmodtag-path",
        metavar="STI",
        default=None,
        help="sti for EP_FS1 PostModtag (standard: /sf1606/postmodtag)",
    )
    serve.add_argument(
        "--receipt-format",
        choices=("xml", "json"),
        default="xml",
        help="kvitteringsformat for PostModtag (standard: xml)",
    )
    sf2900 = serve.add_argument_group(
        "SF2900-levering",
        "Gatewayen leverer distributørernes beslutninger til SF2900: filer med SFTP "
        "(nøgle-login, fastlagt værtsnøgle), derefter FordelingsobjektAfsend. Nøglefiler må "
        "kun kunne læses af tjenestebrugeren.",
    )
    sf2900.add_argument("--sf2900-url", metavar="URL", help="SF2900 DistributionService")
    sf2900.add_argument(
        "--sf2900-client-cert", metavar="PEM", help="kommunens klientcertifikat til SF2900"
    )
    sf2900.add_argument("--sf2900-client-key", metavar="PEM", help="nøglen til certifikatet")
    sf2900.add_argument("--sf2900-ca", metavar="PEM", help="CA for SF2900-serverens certifikat")
    sf2900.add_argument("--dubu-url", metavar="URL", help="DUBU-sagsopslag (sager, KLE)")
    sf2900.add_argument("--sftp", metavar="sftp://VÆRT:PORT", help="Serviceplatformens SFTP")
    sf2900.add_argument("--sftp-user", metavar="NAVN", help="SFTP-brugeren (simpel SFTP)")
    sf2900.add_argument("--sftp-key", metavar="FIL", help="privat SSH-nøgle (chmod 600)")
    sf2900.add_argument(
        "--sftp-known-hosts", metavar="FIL", help="known_hosts med SFTP-serverens værtsnøgle"
    )
    sf2900.add_argument(
        "--node-id", metavar="ID", help="navn på denne node i udbakken (standard: vært-pid)"
    )
    serve.add_argument(
        "--receipt-follow-up-hours",
        type=float,
        default=48.0,
        help="marker en sendt beslutning til opfølgning, når forretningskvitteringen ikke er "
        "kommet efter så mange timer (standard: 48)",
    )
    serve.set_defaults(func=_serve)

    add_user = sub.add_parser(
        "add-user",
        help="opret/opdater en bruger (hemmelighed fra stdin "
        "eller skjult prompt; kun en hash gemmes)",
    )
    add_user.add_argument("name", metavar="NAVN")
    add_user.add_argument("--db", metavar="URL")
    add_user.set_defaults(func=_add_user)


def _read_secret(user: str, *, keyring_first: bool) -> str:
    if keyring_first:
        try:
            import keyring

            secret = keyring.get_password("postfordeler", f"gateway:{user}")
            if secret:
                return secret
        except Exception as exc:
            print(
                f"Nøgleringen kan ikke bruges ({type(exc).__name__}); spørger i stedet",
                file=sys.stderr,
            )
    if not sys.stdin.isatty():
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        secret = getpass.getpass(f"Adgangskode for {user}: ")
    if not secret:
        raise SystemExit(f"Ingen adgangskode for {user}")
    return secret


def _add_user(args: argparse.Namespace) -> int:
    from app import paths
    from app.gateway.store import GatewayStore

    secret = _read_secret(args.name, keyring_first=False)
    store = GatewayStore(args.db or paths.gateway_db_url())
    try:
        store.set_user(args.name, secret)
    finally:
        store.close()
    print(f"Bruger {args.name} er gemt", file=sys.stderr)
    return 0


def _tls(args: argparse.Namespace) -> GatewayTls | None:
    """The GatewayTls of the command line (None without --tls-cert); SystemExit on bad input."""
    from pathlib import Path

    from app.gateway.server import GatewayTls
    from app.sf1606.tls import TlsConfigError, check_private_key_file, parse_pin

    given = [args.tls_cert, args.tls_key, args.client_ca, args.pin, args.pin_file]
    if not any(given):
        return None
    if not (args.tls_cert and args.tls_key and args.client_ca and (args.pin or args.pin_file)):
        raise SystemExit(
            "postfordeler gateway serve: TLS kræver --tls-cert, --tls-key, --client-ca "
            "og mindst én --pin (eller --pin-file)"
        )
    lines = list(args.pin)
    try:
        if args.pin_file:
            text = Path(args.pin_file).read_text("utf-8")
            lines += [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
        pins = tuple(parse_pin(line) for line in lines if line)
        check_private_key_file(args.tls_key)
    except (TlsConfigError, OSError) as exc:
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None
    return GatewayTls(Path(args.tls_cert), Path(args.tls_key), Path(args.client_ca), pins)


def delivery_settings(args: argparse.Namespace) -> DeliverySettings | None:
    """The SF2900 delivery settings of the command line (None without --sf2900-url)."""
    from pathlib import Path
    from urllib.parse import urlsplit

    from app.dubu.sftp_upload import SftpConfig, SftpUploadError, check_private_key_file
    from app.gateway.delivery import DeliverySettings
    from app.sf1606.tls import TlsConfigError, pem_client_context, trust_context

    given = [args.sf2900_url, args.dubu_url, args.sftp, args.sftp_user, args.sftp_key]
    if not any(given):
        return None
    if not all(given) or not args.sftp_known_hosts or not args.municipality_cvr:
        raise SystemExit(
            "postfordeler gateway serve: SF2900-levering kræver --sf2900-url, --dubu-url, "
            "--sftp, --sftp-user, --sftp-key, --sftp-known-hosts og --municipality-cvr"
        )
    where = urlsplit(args.sftp)
    if where.scheme != "sftp" or not where.hostname:
        raise SystemExit("postfordeler gateway serve: --sftp skal have formen sftp://vært:port")
    try:
        check_private_key_file(Path(args.sftp_key))
        sftp = SftpConfig(
            host=where.hostname,
            port=where.port or 22,
            username=args.sftp_user,
            private_key=Path(args.sftp_key),
            known_hosts=Path(args.sftp_known_hosts),
        )
        ssl_context = None
        if args.sf2900_client_cert or args.sf2900_client_key:
            if not (args.sf2900_client_cert and args.sf2900_client_key):
                raise TlsConfigError("--sf2900-client-cert og --sf2900-client-key hører sammen")
            ssl_context = pem_client_context(
                args.sf2900_client_cert, args.sf2900_client_key, args.sf2900_ca
            )
        elif args.sf2900_ca:
            ssl_context = trust_context(args.sf2900_ca)
    except (SftpUploadError, TlsConfigError, ValueError, OSError) as exc:
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None
    return DeliverySettings(
        sf2900_url=args.sf2900_url,
        municipality_cvr=args.municipality_cvr,
        sftp=sftp,
        dubu_url=args.dubu_url,
        sf2900_ssl=ssl_context,
        node_id=args.node_id,
    )


def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import signal
    from datetime import timedelta

    from app.gateway.server import DEFAULT_MAX_MESSAGE_BYTES, GatewayConfig, start_gateway
    from app.sf1606 import postmodtag as pm
    from app.sf1606.tls import TlsConfigError

    tls = _tls(args)
    delivery = delivery_settings(args)
    if args.receipt_follow_up_hours <= 0:
        raise SystemExit("postfordeler gateway serve: --receipt-follow-up-hours skal være > 0")
    users = {name: _read_secret(name, keyring_first=True) for name in args.user}
    max_bytes = (
        int(args.max_message_mb * 1024 * 1024) if args.max_message_mb else DEFAULT_MAX_MESSAGE_BYTES
    )
    config = GatewayConfig(
        db_url=args.db,
        host=args.host,
        port=args.port,
        municipality_cvr=args.municipality_cvr,
        contact_points=tuple(args.contact_point),
        max_message_bytes=max_bytes,
        users=users,
        sandbox=args.sandbox,
        tls=tls,
        postmodtag_path=args.postmodtag_path or pm.PATH,
        receipt_format=args.receipt_format,
        receipt_follow_up=timedelta(hours=args.receipt_follow_up_hours),
        delivery=delivery,
    )

    async def run() -> None:
        gateway = await start_gateway(config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(json.dumps(gateway.endpoints()), flush=True)
        try:
            await stop.wait()
        finally:
            await gateway.stop()

    try:
        asyncio.run(run())
    except TlsConfigError as exc:
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None
    return 0
