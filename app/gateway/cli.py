"""`postfordeler gateway serve|add-user|unlock|lockouts`: run the receiving gateway, manage its
users, lift a login lockout and show the login audit trail.

Heavy imports stay inside the functions. Secrets are never taken from the command line: user
secrets come from the OS keyring (`postfordeler`, `gateway:{user}`), stdin or a hidden prompt;
the server's own secrets (FOCES certificate + key, SSH key, STS settings, users file, HTTPS
key) from `--config gateway.toml` + app/gateway/secrets.py: systemd credentials
(`--credentials-dir`, default `$CREDENTIALS_DIRECTORY`), private files named in `[secrets]`,
or the OS keyring (`--no-keyring` to skip it). Key files named on the command line must be
private too (0600). Command-line options win over the file's values.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.gateway.delivery import DeliverySettings
    from app.gateway.secrets import GatewayFile, GatewaySecrets
    from app.gateway.server import GatewayTls


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gateway = subparsers.add_parser(
        "gateway", help="modtagende gateway (SF1606 PostModtag + postkasse)"
    )
    sub = gateway.add_subparsers(dest="gateway_command", metavar="KOMMANDO", required=True)

    serve = sub.add_parser("serve", help="kør gatewayen til den stoppes (SIGINT/SIGTERM)")
    serve.add_argument(
        "--config",
        metavar="FIL",
        help="gateway.toml (indstillinger, ingen hemmeligheder; docs/deploy/gateway.toml)",
    )
    serve.add_argument(
        "--credentials-dir",
        metavar="MAPPE",
        help="mappe med hemmelighederne (systemd-credentials; standard: $CREDENTIALS_DIRECTORY)",
    )
    serve.add_argument(
        "--no-keyring",
        action="store_true",
        help="hent ikke serverens hemmeligheder fra nøgleringen",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 = en ledig port")
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="adressen klienterne når gatewayen på (https://vært[:port]); står i WSDL'ens "
        "soap:address (standard: den adresse gatewayen lytter på)",
    )
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
    tls.add_argument(
        "--callback-pin",
        metavar="EMNE=SHA256",
        action="append",
        default=[],
        help="Serviceplatformens klientcertifikat der må kalde SF2900-kvitteringen "
        "(FordelingskvitteringModtag); uden pin tilbydes kvitteringen ikke",
    )
    tls.add_argument(
        "--callback-pin-file", metavar="FIL", help="fil med pins for kvitteringen (som --pin-file)"
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
    serve.add_argument(
        "--integrity-check-minutes",
        type=float,
        default=60.0,
        help="tjek databasens integritet så ofte (og altid ved start); 0 = kun ved start "
        "(standard: 60)",
    )
    login = serve.add_argument_group(
        "Login",
        "Mislykkede login: egen begrænset kontrol, tilbageholdelse pr. bruger og adresse, "
        "spærring til en administrator låser op (postfordeler gateway unlock BRUGER)",
    )
    login.add_argument(
        "--lockout-after",
        type=int,
        default=10,
        metavar="N",
        help="spær en bruger efter N mislykkede login inden for vinduet (standard: 10)",
    )
    login.add_argument(
        "--lockout-window-minutes",
        type=float,
        default=15.0,
        metavar="MIN",
        help="vinduet for mislykkede login i minutter (standard: 15)",
    )
    serve.set_defaults(func=_serve)

    unlock = sub.add_parser(
        "unlock", help="lås en spærret bruger op (efter for mange mislykkede login)"
    )
    unlock.add_argument("name", metavar="NAVN")
    unlock.add_argument("--db", metavar="URL")
    unlock.set_defaults(func=_unlock)

    lockouts = sub.add_parser("lockouts", help="vis spærrede brugere og de seneste login-hændelser")
    lockouts.add_argument("--db", metavar="URL")
    lockouts.add_argument("--user", metavar="NAVN", help="kun hændelser for denne bruger")
    lockouts.add_argument("--json", action="store_true")
    lockouts.set_defaults(func=_lockouts)

    add_user = sub.add_parser(
        "add-user",
        help="opret/opdater en bruger (hemmelighed fra stdin "
        "eller skjult prompt; kun en hash gemmes)",
    )
    add_user.add_argument("name", metavar="NAVN")
    add_user.add_argument("--db", metavar="URL")
    add_user.set_defaults(func=_add_user)

    verify = sub.add_parser(
        "audit-verify",
        help="kontrollér adgangsloggens hash-kæde (finder ændrede, indsatte og slettede rækker)",
    )
    verify.add_argument("--db", metavar="URL")
    verify.add_argument("--store-key", metavar="FILE", help="gatewayens store.key")
    verify.add_argument("--expected-rows", type=int, metavar="N", help="mindst så mange rækker")
    verify.add_argument("--expected-last-hash", metavar="HEX", help="den sidst kendte række-hash")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_audit_verify)


def _read_secret(user: str, *, keyring_first: bool) -> str:
    if keyring_first:
        try:
            from app.keyrings import NO_SECURE_KEYRING, secure_keyring

            keyring = secure_keyring()  # never a plaintext or other file backend
            if keyring is None:
                print(f"{NO_SECURE_KEYRING} Spørger i stedet.", file=sys.stderr)
            secret = keyring.get_password("postfordeler", f"gateway:{user}") if keyring else None
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
    from app.gateway.store import GatewayStore, StoreError

    secret = _read_secret(args.name, keyring_first=False)
    try:
        store = GatewayStore(args.db or paths.gateway_db_url())
    except StoreError as exc:
        raise SystemExit(f"postfordeler gateway add-user: {exc.text}") from None
    try:
        store.set_user(args.name, secret)
    finally:
        store.close()
    print(f"Bruger {args.name} er gemt", file=sys.stderr)
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    """Exit 0: the chain is whole; 1: tampering found (each problem one line); 2: no store."""
    import json
    from pathlib import Path

    from app import paths
    from app.gateway.accesslog import verify_chain
    from app.gateway.store import GatewayStore, StoreError

    try:
        store = GatewayStore(
            args.db or paths.gateway_db_url(),
            key_file=Path(args.store_key) if args.store_key else None,
        )
    except StoreError as exc:
        print(f"postfordeler gateway audit-verify: {exc.text}", file=sys.stderr)
        return 2
    try:
        report = verify_chain(
            store.access_rows(),
            expected_rows=args.expected_rows,
            expected_last_hash=args.expected_last_hash,
        )
    finally:
        store.close()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False), flush=True)
    else:
        for problem in report.problems:
            print(problem)
        print(
            f"{report.rows} rækker, kæden er {'hel' if report.ok else 'BRUDT'} "
            f"(sidste hash {report.last_hash})",
            flush=True,
        )
    return 0 if report.ok else 1


def _admin() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "administrator"


def _unlock(args: argparse.Namespace) -> int:
    """Lift a lockout (every gateway node on the database follows within seconds); audited."""
    from app import paths
    from app.gateway import login_store
    from app.gateway.store import GatewayStore

    store = GatewayStore(args.db or paths.gateway_db_url())
    try:
        login_store.ensure_tables(store)
        was_locked = login_store.unlock(
            store, args.name, f"{_admin()} (postfordeler gateway unlock)"
        )
    finally:
        store.close()
    if not was_locked:
        print(f"Bruger {args.name} var ikke spærret", file=sys.stderr)
        return 1
    print(f"Bruger {args.name} er låst op", file=sys.stderr)
    return 0


def _lockouts(args: argparse.Namespace) -> int:
    import json

    from app import paths
    from app.gateway import login_store
    from app.gateway.store import GatewayStore

    store = GatewayStore(args.db or paths.gateway_db_url())
    try:
        login_store.ensure_tables(store)
        locked = login_store.locked_users(store)
        events = login_store.audit_events(store, args.user, limit=200)
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "locked": {
                        user: {**row, "locked_at": row["locked_at"].isoformat()}
                        for user, row in locked.items()
                    },
                    "events": [e.to_json() for e in events],
                }
            )
        )
        return 0
    for user, row in locked.items():
        print(
            f"spærret  {user}  siden {row['locked_at']:%Y-%m-%d %H:%M} ({row['failures']} forsøg)"
        )
    if not locked:
        print("Ingen spærrede brugere")
    for e in events:
        print(
            f"{e.at:%Y-%m-%d %H:%M:%S}  {e.event:<8} {e.user or '-'}  {e.address or '-'}  {e.detail or ''}"
        )
    return 0


def _tls(args: argparse.Namespace) -> GatewayTls | None:
    """The GatewayTls of the command line (None without --tls-cert); SystemExit on bad input."""
    from pathlib import Path

    from app.gateway.server import GatewayTls
    from app.sf1606.tls import CertPin, TlsConfigError, check_private_key_file, parse_pin

    given = [args.tls_cert, args.tls_key, args.client_ca, args.pin, args.pin_file]
    if not any(given):
        return None
    if not (args.tls_cert and args.tls_key and args.client_ca and (args.pin or args.pin_file)):
        raise SystemExit(
            "postfordeler gateway serve: TLS kræver --tls-cert, --tls-key, --client-ca "
            "og mindst én --pin (eller --pin-file)"
        )

    def pins_of(given: list[str], pin_file: str | None) -> tuple[CertPin, ...]:
        lines = list(given)
        if pin_file:
            text = Path(pin_file).read_text("utf-8")
            lines += [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
        return tuple(parse_pin(line) for line in lines if line)

    try:
        pins = pins_of(args.pin, args.pin_file)
        callback_pins = pins_of(args.callback_pin, args.callback_pin_file)
        check_private_key_file(args.tls_key)
    except (TlsConfigError, OSError) as exc:
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None
    return GatewayTls(
        Path(args.tls_cert),
        Path(args.tls_key),
        Path(args.client_ca),
        pins,
        callback_pins=callback_pins,
    )


def delivery_settings(args: argparse.Namespace) -> DeliverySettings | None:
    """The SF2900 delivery settings of the command line (None without --sf2900-url)."""
    from pathlib import Path
    from urllib.parse import urlsplit

    from app.dubu.sftp_upload import SftpConfig, SftpUploadError, check_private_key_file
    from app.gateway.delivery import DeliverySettings
    from app.sf1606.tls import TlsConfigError, pem_client_context, trust_context
    from app.sf1606.tls import check_private_key_file as tls_check_private_key_file

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
            tls_check_private_key_file(args.sf2900_client_key)
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


# gateway.toml [gateway] key -> (argparse dest, type)
_FILE_OPTIONS: dict[str, tuple[str, type]] = {
    "host": ("host", str),
    "port": ("port", int),
    "public_url": ("public_url", str),
    "db": ("db", str),
    "node_id": ("node_id", str),
    "municipality_cvr": ("municipality_cvr", str),
    "max_message_mb": ("max_message_mb", float),
    "postmodtag_path": ("postmodtag_path", str),
    "receipt_format": ("receipt_format", str),
    "receipt_follow_up_hours": ("receipt_follow_up_hours", float),
    "lockout_after": ("lockout_after", int),
    "lockout_window_minutes": ("lockout_window_minutes", float),
}


def _defaults() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["gateway", "serve"])


def apply_gateway_file(
    args: argparse.Namespace, gateway_file: GatewayFile, secrets: GatewaySecrets
) -> None:
    """Fill the options not given on the command line from gateway.toml (`[gateway]`, `[tls]`)
    and the secrets (`tls.key`). SystemExit on a value of the wrong type."""
    defaults = _defaults()

    def unset(dest: str) -> bool:
        return bool(getattr(args, dest) == getattr(defaults, dest))

    where = f"postfordeler gateway serve: {gateway_file.path}"
    try:
        table = gateway_file.table("gateway")
        for key, (dest, kind) in _FILE_OPTIONS.items():
            if key in table and unset(dest):
                setattr(args, dest, kind(table[key]))
        if "contact_points" in table and not args.contact_point:
            args.contact_point = [str(cp) for cp in table["contact_points"]]
        tls = gateway_file.table("tls")
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"{where}: [gateway] kan ikke bruges ({exc})") from None
    except Exception as exc:  # SecretsError: one Danish line
        raise SystemExit(f"{where}: {exc}") from None
    if not tls:
        return
    for key, dest in (("cert", "tls_cert"), ("client_ca", "client_ca")):
        if key in tls and getattr(args, dest) is None:
            setattr(args, dest, str(gateway_file.path.parent / str(tls[key])))
    if args.tls_key is None and secrets.tls_key is not None:
        args.tls_key = str(secrets.tls_key)
    for key, dest in (("pin_file", "pin_file"), ("callback_pin_file", "callback_pin_file")):
        if key in tls and getattr(args, dest) is None:
            setattr(args, dest, str(gateway_file.path.parent / str(tls[key])))
    for key, dest in (("pins", "pin"), ("callback_pins", "callback_pin")):
        if key in tls and not getattr(args, dest):
            setattr(args, dest, [str(pin) for pin in tls[key]])


def file_delivery_settings(
    args: argparse.Namespace, gateway_file: GatewayFile, secrets: GatewaySecrets
) -> DeliverySettings | None:
    """SF2900 as published from gateway.toml `[sf2900]` (+ `[sftp]`, `[dubu] url`) and the
    secrets (FOCES certificate + key, SSH key, STS settings); None without `[sf2900]`."""
    from app.dubu.sf2900_delivery import Sf2900Settings
    from app.gateway.delivery import DeliverySettings

    if not gateway_file.table("sf2900"):
        return None
    dubu_url = gateway_file.table("dubu").get("url")
    if not isinstance(dubu_url, str) or not dubu_url:
        raise SystemExit(f"postfordeler gateway serve: {gateway_file.path}: [dubu] url mangler")
    try:
        settings = Sf2900Settings(**gateway_file.sf2900_settings(secrets))
        settings.ssl_context()  # the FOCES key must be private, the files must load
    except Exception as exc:  # SecretsError, ValueError, ssl.SSLError: one line
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None
    return DeliverySettings(sf2900=settings, dubu_url=dubu_url, node_id=args.node_id)


def oidc_bearer(gateway_file: GatewayFile) -> Any:
    """gateway.toml `[oidc]` (issuer, audience, username_claim, [oidc.groups.<name>] role, team,
    contact_points, optional ca_file) as a BearerAuth; None without `[oidc]`."""
    import ssl

    from app.gateway.oidc_auth import BearerAuth, OidcGatewayConfig

    section = gateway_file.table("oidc")
    if not section:
        return None
    try:
        config = OidcGatewayConfig.from_section(section)
    except (KeyError, TypeError, ValueError) as exc:
        raise SystemExit(f"postfordeler gateway serve: {gateway_file.path}: [oidc] {exc}") from None
    ca = section.get("ca_file")
    verify: ssl.SSLContext | bool = True
    if isinstance(ca, str) and ca:
        verify = ssl.create_default_context(cafile=str(gateway_file.path.parent / ca))
    return BearerAuth(config, verify=verify)


def _load_secrets(args: argparse.Namespace) -> tuple[GatewayFile | None, GatewaySecrets | None]:
    import os

    from app.gateway.secrets import (
        CREDENTIALS_ENV,
        GatewaySecrets,
        SecretsError,
        read_gateway_file,
    )

    if not (args.config or args.credentials_dir or os.environ.get(CREDENTIALS_ENV)):
        return None, None
    try:
        if args.config:
            gateway_file = read_gateway_file(args.config)
            secrets = gateway_file.load_secrets(
                credentials_dir=args.credentials_dir, use_keyring=not args.no_keyring
            )
            return gateway_file, secrets
        return None, GatewaySecrets.load(
            credentials_dir=args.credentials_dir, use_keyring=not args.no_keyring
        )
    except (SecretsError, OSError) as exc:
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None


def _serve(args: argparse.Namespace) -> int:
    gateway_file, secrets = _load_secrets(args)
    try:
        return _serve_with(args, gateway_file, secrets)
    finally:
        if secrets is not None:
            secrets.close()


def _serve_with(
    args: argparse.Namespace, gateway_file: GatewayFile | None, secrets: GatewaySecrets | None
) -> int:
    import asyncio
    import json
    import signal
    from datetime import timedelta

    from app.gateway.login_guard import LoginPolicy
    from app.gateway.server import (
        DEFAULT_MAX_MESSAGE_BYTES,
        GatewayConfig,
        public_base,
        start_gateway,
    )
    from app.gateway.store import StoreError
    from app.sf1606 import postmodtag as pm
    from app.sf1606.tls import TlsConfigError

    if gateway_file is not None and secrets is not None:
        apply_gateway_file(args, gateway_file, secrets)
    elif secrets is not None and args.tls_key is None and secrets.tls_key is not None:
        args.tls_key = str(secrets.tls_key)
    tls = _tls(args)
    delivery = delivery_settings(args)
    if delivery is None and gateway_file is not None and secrets is not None:
        delivery = file_delivery_settings(args, gateway_file, secrets)
    if args.lockout_after < 1 or args.lockout_window_minutes <= 0:
        raise SystemExit(
            "postfordeler gateway serve: --lockout-after skal være >= 1 og "
            "--lockout-window-minutes > 0"
        )
    if args.receipt_follow_up_hours <= 0:
        raise SystemExit("postfordeler gateway serve: --receipt-follow-up-hours skal være > 0")
    users: dict[str, str] = dict(secrets.user_hashes()) if secrets is not None else {}
    users.update({name: _read_secret(name, keyring_first=True) for name in args.user})
    max_bytes = (
        int(args.max_message_mb * 1024 * 1024) if args.max_message_mb else DEFAULT_MAX_MESSAGE_BYTES
    )
    config = GatewayConfig(
        db_url=args.db,
        store_key_file=secrets.store_key if secrets is not None else None,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
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
        login=LoginPolicy(
            lockout_after=args.lockout_after, lockout_window=args.lockout_window_minutes * 60
        ),
        # the SF2900 business-receipt callback, only over TLS with Serviceplatformen pinned
        receipt_callback=tls is not None and bool(tls.callback_pins),
        integrity_check_seconds=max(0.0, args.integrity_check_minutes) * 60.0,
    )
    directory = secrets.users if secrets is not None else None
    bearer = oidc_bearer(gateway_file) if gateway_file is not None else None

    async def run() -> None:
        gateway = await start_gateway(config)
        if directory is not None:
            gateway.set_directory(directory)  # the users file's contact points and roles
        if bearer is not None:
            gateway.set_bearer(bearer)  # [oidc]: Authorization: Bearer on the JSON routes
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
        public_base(args.public_url, "")
    except ValueError as exc:
        raise SystemExit(f"postfordeler gateway serve: --public-url: {exc}") from None
    try:
        asyncio.run(run())
    except TlsConfigError as exc:
        raise SystemExit(f"postfordeler gateway serve: {exc}") from None
    except StoreError as exc:  # a wrong store key, a damaged or unreachable database
        raise SystemExit(f"postfordeler gateway serve: {exc.text.rstrip('.')}.") from None
    return 0
