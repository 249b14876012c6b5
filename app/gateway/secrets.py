"""The gateway's server secrets, from where a server keeps them, never from the command line.

What the gateway holds and the desktops never do (issue 9 point 1), each under a fixed name:

| name                   | what                                                              |
|------------------------|-------------------------------------------------------------------|
| `serviceplatform.crt`  | the municipality's FOCES certificate for Serviceplatformen (PEM, chain allowed) |
| `serviceplatform.key`  | its private key (PEM, unencrypted)                                |
| `sftp.key`             | the SSH private key for Serviceplatformen's SFTP (OpenSSH/PEM)   |
| `sts.toml`             | STS settings: `url`, `signing_certificate` (file or PEM), optional `applies_to`, `cvr`, `issuer` |
| `users.toml`           | the users file IT writes (roles, teams, contact points, scrypt hashes; app/gateway/users.py) |
| `tls.key`              | the gateway's own HTTPS server key (optional here; `--tls-key` also takes a file) |
| `store.key`            | the key(s) sealing the gateway database at rest (app/gateway/storekey.py; `<id>:<base64>` per line, newest first). Without it the gateway generates one (0600) in its data folder: fine for the sandbox, not for a server whose data folder is backed up with the database |

Each is looked up, first hit wins, in
1. **systemd credentials**: `$CREDENTIALS_DIRECTORY/<name>` (the unit's `LoadCredential=<name>:<path>`
   or `LoadCredentialEncrypted=`; systemd gives the service its own private, unswappable copy;
   docs/deploy/postfordeler-gateway.service);
2. **a file** named in the configuration (gateway.toml `[secrets]`, see docs/deploy/gateway.toml):
   it must be a regular file owned by the service user that neither group nor others may read or
   write, else it is refused with a one-line Danish message saying how to fix it;
3. **the OS keyring** (`keyring`, service `postfordeler-gateway`, username = the name) when a real
   one is there: plaintext and "fail"/"null" backends (keyrings.alt's PlaintextKeyring, anything
   with priority below 1) are never used. A secret from the keyring that a TLS or SSH library
   must read from a file is written to a private runtime folder (0700/0600, `$RUNTIME_DIRECTORY`
   under systemd, else /dev/shm or the temp folder) and removed by `GatewaySecrets.close()`.

A configured value that is the secret itself (PEM text, a `scrypt$` hash, several lines) instead
of a file name is refused: secrets never travel in argv, the environment or gateway.toml.
Nothing here logs a secret, a hash or a file's content; reprs name only paths and sources.
"""

from __future__ import annotations

import atexit
import os
import shutil
import ssl
import stat
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from app.dubu.sftp_upload import SftpConfig
from app.dubu.sts_client import SF2900_ENTITY_ID, StsConfig
from app.gateway.users import UserDirectory, UsersFileError
from app.keyrings import secure_backends
from app.sf1606.tls import TlsConfigError, check_private_key_file, pem_client_context

CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"
RUNTIME_ENV = "RUNTIME_DIRECTORY"
KEYRING_SERVICE = "postfordeler-gateway"

SERVICEPLATFORM_CERT = "serviceplatform.crt"
SERVICEPLATFORM_KEY = "serviceplatform.key"
SFTP_KEY = "sftp.key"
STS_SETTINGS = "sts.toml"
USERS_FILE = "users.toml"
TLS_KEY = "tls.key"
STORE_KEY = "store.key"
SECRET_NAMES = (
    SERVICEPLATFORM_CERT,
    SERVICEPLATFORM_KEY,
    SFTP_KEY,
    STS_SETTINGS,
    USERS_FILE,
    TLS_KEY,
    STORE_KEY,
)
# gateway.toml [secrets] keys -> secret names
CONFIG_KEYS = {
    "serviceplatform_cert": SERVICEPLATFORM_CERT,
    "serviceplatform_key": SERVICEPLATFORM_KEY,
    "sftp_key": SFTP_KEY,
    "sts": STS_SETTINGS,
    "users": USERS_FILE,
    "tls_key": TLS_KEY,
    "store_key": STORE_KEY,
}
SOURCE_CREDENTIAL = "systemd-credential"
SOURCE_FILE = "fil"
SOURCE_KEYRING = "nøglering"
MAX_SECRET_BYTES = 1024 * 1024


class SecretsError(Exception):
    """A secret cannot be used; str(exc) is one Danish line (never the secret itself)."""


@dataclass(frozen=True, slots=True)
class SecretFile:
    """One secret as a file the service user alone can read. `source`: where it came from."""

    name: str
    path: Path
    source: str

    def read_bytes(self) -> bytes:
        try:
            with self.path.open("rb") as fh:
                data = fh.read(MAX_SECRET_BYTES + 1)
        except OSError as exc:
            raise SecretsError(f"Hemmeligheden {self.name} ({self.path}) kan ikke læses") from exc
        if len(data) > MAX_SECRET_BYTES:
            raise SecretsError(f"Hemmeligheden {self.name} ({self.path}) er for stor")
        return data

    def read_text(self) -> str:
        try:
            return self.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SecretsError(f"Hemmeligheden {self.name} er ikke UTF-8-tekst") from exc


# --------------------------------------------------------------------------- checks


def refuse_inline_secret(what: str, value: str) -> None:
    """Refuse a configured value that holds a secret instead of naming a file."""
    text = value.strip()
    if (
        "-----BEGIN" in text
        or "\n" in text
        or text.startswith(("scrypt$", "ssh-", "MII"))
        or len(text) > 4096
    ):
        raise SecretsError(
            f"{what}: angiv en fil (eller en systemd-credential), ikke selve hemmeligheden"
        )


def check_secret_file(path: str | Path, *, name: str = "", credential: bool = False) -> Path:
    """A secret file the service may use: a regular file that only its owner (the service
    user) may read or write. In the systemd credentials folder (`credential=True`) systemd
    owns the files (it may chown them to root and grant the service user by ACL): there only
    access for others is refused. Returns the path; SecretsError with a fix otherwise."""
    p = Path(path).expanduser()
    label = f"Hemmeligheden {name} ({p})" if name else f"Filen {p}"
    try:
        st = p.stat()
    except OSError as exc:
        raise SecretsError(f"{label} findes ikke eller kan ikke læses") from exc
    if not stat.S_ISREG(st.st_mode):
        raise SecretsError(f"{label} er ikke en almindelig fil")
    if os.name != "posix":  # pragma: no cover - the gateway runs on Linux
        return p
    mode = stat.S_IMODE(st.st_mode)
    if credential:
        if mode & stat.S_IRWXO:
            raise SecretsError(
                f"{label} kan læses af alle (rettigheder {mode:o}); brug LoadCredential="
            )
        return p
    if st.st_uid != os.geteuid():
        raise SecretsError(
            f"{label} ejes af en anden bruger (uid {st.st_uid}) end tjenesten (uid "
            f"{os.geteuid()}); ret det med: chown $(id -un) {p}"
        )
    try:
        check_private_key_file(p)  # the same rule as the TLS key files (chmod 600)
    except TlsConfigError as exc:
        raise SecretsError(
            f"{label} kan læses af andre end ejeren (rettigheder {mode:o}); "
            f"ret det med: chmod 600 {p}"
        ) from exc
    return p


def secure_keyring_backends() -> tuple[list[Any], str | None]:
    """The OS keyring backends secrets may be read from (`keyring.get_keyring()`, a chainer
    unfolded), and why there is none when the list is empty. Plaintext, encrypted-file,
    fail and null backends are refused: the one rule in `app.keyrings`."""
    return secure_backends()


# --------------------------------------------------------------------------- STS settings


@dataclass(frozen=True, slots=True)
class StsSettings:
    """Where the gateway's STS is and which certificate signs its assertions (public data,
    kept with the secrets so one credential names the whole STS setup)."""

    url: str
    signing_certificate: bytes = field(repr=False)
    applies_to: str = SF2900_ENTITY_ID
    cvr: str | None = None
    issuer: str | None = None

    @classmethod
    def from_toml(cls, text: str, *, base_dir: Path | None = None) -> StsSettings:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SecretsError(f"STS-indstillingerne er ikke gyldig TOML ({exc})") from None
        return cls.from_dict(data, base_dir=base_dir)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: Path | None = None) -> StsSettings:
        known = {"url", "signing_certificate", "applies_to", "cvr", "issuer"}
        extra = set(data) - known
        if extra:
            raise SecretsError(f"STS-indstillingerne: ukendt nøgle {min(extra)!r}")
        url, cert = data.get("url"), data.get("signing_certificate")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise SecretsError("STS-indstillingerne: url skal være en https-adresse")
        if not isinstance(cert, str) or not cert.strip():
            raise SecretsError("STS-indstillingerne: signing_certificate mangler")
        if "-----BEGIN CERTIFICATE-----" in cert:
            pem = cert.encode()
        else:
            path = Path(cert).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            try:
                pem = path.read_bytes()
            except OSError as exc:
                raise SecretsError(
                    f"STS-indstillingerne: signeringscertifikatet {path} kan ikke læses"
                ) from exc
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise SecretsError("STS-indstillingerne: signing_certificate er ikke et PEM-certifikat")
        optional = {}
        for key in ("applies_to", "cvr", "issuer"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise SecretsError(f"STS-indstillingerne: {key} skal være tekst")
            optional[key] = value
        return cls(
            url=url,
            signing_certificate=pem,
            applies_to=optional["applies_to"] or SF2900_ENTITY_ID,
            cvr=optional["cvr"],
            issuer=optional["issuer"],
        )

    def config(self) -> StsConfig:
        """The `StsConfig` of `app.dubu.sts_client` (the FOCES certificate goes in the
        client's SSL context: `GatewaySecrets.serviceplatform_context()`)."""
        return StsConfig(
            url=self.url,
            signing_certificate=self.signing_certificate,
            applies_to=self.applies_to,
            cvr=self.cvr,
            issuer=self.issuer,
        )


# --------------------------------------------------------------------------- the secrets


class GatewaySecrets:
    """The gateway's secrets as private files, plus the parsed STS settings and users.

    Build with `GatewaySecrets.load(...)`; `close()` removes files written from the keyring.
    Missing optional secrets are None; `require(name)` raises a clear SecretsError."""

    def __init__(
        self,
        files: Mapping[str, SecretFile],
        *,
        sts: StsSettings | None = None,
        users: UserDirectory | None = None,
        runtime_dir: Path | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        self.files = dict(files)
        self.sts = sts
        self.users = users
        self.notes = tuple(notes)  # why a source was skipped (no secrets in them)
        self._runtime_dir = runtime_dir

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={f.source}:{f.path}" for n, f in sorted(self.files.items()))
        return f"GatewaySecrets({parts})"

    @classmethod
    def load(
        cls,
        *,
        files: Mapping[str, str | Path] | None = None,
        credentials_dir: str | Path | None = None,
        use_keyring: bool = True,
        keyring_service: str = KEYRING_SERVICE,
        required: Iterable[str] = (),
        runtime_dir: str | Path | None = None,
        config_dir: Path | None = None,
    ) -> GatewaySecrets:
        """Find every secret (see the module docstring for the order).

        `files`: secret name (or gateway.toml `[secrets]` key) -> file path, from the
        configuration; relative paths are relative to `config_dir`. `credentials_dir`: default
        `$CREDENTIALS_DIRECTORY`. `required`: names that must be found (SecretsError naming
        where they were looked for otherwise). `sts.toml` and `users.toml` are parsed."""
        configured: dict[str, Path] = {}
        for key, value in (files or {}).items():
            name = CONFIG_KEYS.get(key, key)
            if name not in SECRET_NAMES:
                raise SecretsError(f"Ukendt hemmelighed {key!r} (kendte: {', '.join(CONFIG_KEYS)})")
            text = str(value)
            refuse_inline_secret(f"[secrets] {key}", text)
            path = Path(text).expanduser()
            if not path.is_absolute() and config_dir is not None:
                path = config_dir / path
            configured[name] = path
        cred_value = (
            str(credentials_dir) if credentials_dir is not None else os.environ.get(CREDENTIALS_ENV)
        )
        cred_dir = Path(cred_value) if cred_value else None
        notes: list[str] = []
        backends: list[Any] | None = None
        found: dict[str, SecretFile] = {}
        keyring_values: dict[str, str] = {}
        for name in SECRET_NAMES:
            if cred_dir is not None and (cred_dir / name).exists():
                path = check_secret_file(cred_dir / name, name=name, credential=True)
                found[name] = SecretFile(name, path, SOURCE_CREDENTIAL)
                continue
            if name in configured:
                path = check_secret_file(configured[name], name=name)
                found[name] = SecretFile(name, path, SOURCE_FILE)
                continue
            if not use_keyring:
                continue
            if backends is None:
                backends, reason = secure_keyring_backends()
                if reason:
                    notes.append(reason)
            from_keyring = _keyring_get(backends, keyring_service, name)
            if from_keyring:
                keyring_values[name] = from_keyring
        runtime: Path | None = None
        try:
            if keyring_values:
                runtime = _private_runtime_dir(runtime_dir)
                for name, stored in keyring_values.items():
                    found[name] = SecretFile(
                        name, _write_private(runtime, name, stored), SOURCE_KEYRING
                    )
            secrets = cls(found, runtime_dir=runtime, notes=notes)
            missing = [n for n in (CONFIG_KEYS.get(r, r) for r in required) if n not in found]
            if missing:
                where = [
                    f"${CREDENTIALS_ENV}/<navn>" if cred_dir else f"${CREDENTIALS_ENV} (ikke sat)"
                ]
                where.append("[secrets] i gateway.toml")
                where.append(f"nøgleringen ({notes[0]})" if notes else "nøgleringen")
                raise SecretsError(
                    f"Hemmeligheden {', '.join(missing)} mangler; ledt i: {', '.join(where)}"
                )
            if STS_SETTINGS in found:
                sts_file = found[STS_SETTINGS]
                base = config_dir if sts_file.source != SOURCE_FILE else sts_file.path.parent
                secrets.sts = StsSettings.from_toml(sts_file.read_text(), base_dir=base)
            if USERS_FILE in found:
                try:
                    secrets.users = UserDirectory.from_toml(
                        found[USERS_FILE].read_text(), source=USERS_FILE
                    )
                except UsersFileError as exc:
                    raise SecretsError(str(exc)) from None
        except BaseException:
            if runtime is not None:
                shutil.rmtree(runtime, ignore_errors=True)
            raise
        if runtime is not None:
            atexit.register(secrets.close)  # a clean exit leaves no copy behind
        return secrets

    # -- access --

    def get(self, name: str) -> SecretFile | None:
        return self.files.get(name)

    def require(self, name: str) -> SecretFile:
        found = self.files.get(name)
        if found is None:
            raise SecretsError(f"Hemmeligheden {name} mangler")
        return found

    def path(self, name: str) -> Path | None:
        found = self.files.get(name)
        return found.path if found is not None else None

    @property
    def serviceplatform_cert(self) -> Path | None:
        return self.path(SERVICEPLATFORM_CERT)

    @property
    def serviceplatform_key(self) -> Path | None:
        return self.path(SERVICEPLATFORM_KEY)

    @property
    def sftp_key(self) -> Path | None:
        return self.path(SFTP_KEY)

    @property
    def tls_key(self) -> Path | None:
        return self.path(TLS_KEY)

    @property
    def store_key(self) -> Path | None:
        """The database encryption key file (GatewayConfig.store_key_file), None without."""
        return self.path(STORE_KEY)

    def serviceplatform_context(self, ca_bundle: str | Path | None = None) -> ssl.SSLContext:
        """A client context presenting the FOCES certificate (for SF2900 and the STS),
        verifying servers against `ca_bundle` (None: the system store)."""
        cert, key = self.require(SERVICEPLATFORM_CERT), self.require(SERVICEPLATFORM_KEY)
        try:
            return pem_client_context(cert.path, key.path, ca_bundle)
        except TlsConfigError as exc:
            raise SecretsError(str(exc)) from exc

    def sts_config(self) -> StsConfig:
        if self.sts is None:
            raise SecretsError(f"STS-indstillingerne ({STS_SETTINGS}) mangler")
        return self.sts.config()

    def user_hashes(self) -> dict[str, str]:
        """name -> scrypt hash of the users file, for `GatewayConfig.users` (empty without)."""
        return self.users.secret_hashes() if self.users is not None else {}

    def close(self) -> None:
        """Remove the files written from the keyring (a no-op otherwise)."""
        if self._runtime_dir is not None:
            shutil.rmtree(self._runtime_dir, ignore_errors=True)
            self._runtime_dir = None
            atexit.unregister(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _keyring_get(backends: list[Any], service: str, name: str) -> str | None:
    for backend in backends:
        try:
            value = backend.get_password(service, name)
        except Exception:
            continue
        if value:
            return str(value)
    return None


def _private_runtime_dir(base: str | Path | None) -> Path:
    """A fresh 0700 folder for secrets taken from the keyring: under `base`, else
    `$RUNTIME_DIRECTORY` (systemd RuntimeDirectory=), else /dev/shm (RAM), else the temp folder."""
    parent: str | None = None
    if base is not None:
        parent = str(base)
    elif os.environ.get(RUNTIME_ENV):
        parent = os.environ[RUNTIME_ENV].split(":")[0]
    elif os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        parent = "/dev/shm"
    try:
        path = Path(tempfile.mkdtemp(prefix="postfordeler-gateway-secrets-", dir=parent))
    except OSError as exc:
        raise SecretsError(f"Ingen privat mappe til hemmeligheder ({type(exc).__name__})") from exc
    os.chmod(path, 0o700)
    return path


def _write_private(folder: Path, name: str, value: str) -> Path:
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value if value.endswith("\n") else value + "\n")
    return path


def secrets_config(table: Mapping[str, Any]) -> dict[str, str]:
    """The `[secrets]` table of gateway.toml checked: file names only, known keys only."""
    out: dict[str, str] = {}
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            raise SecretsError(
                f"[secrets]: ukendt nøgle {key!r} (kendte: {', '.join(CONFIG_KEYS)})"
            )
        if not isinstance(value, str) or not value.strip():
            raise SecretsError(f"[secrets] {key}: skal være et filnavn")
        refuse_inline_secret(f"[secrets] {key}", value)
        out[key] = value
    return out


# --------------------------------------------------------------------------- gateway.toml

_SECRET_WORDS = frozenset({"secret", "password", "passphrase", "adgangskode", "token", "key_pem"})


@dataclass(frozen=True)
class GatewayFile:
    """gateway.toml: every table but `[secrets]` in `settings` (the CLI maps them to
    `GatewayConfig`; docs/deploy/gateway.toml), `[secrets]` (file names only) in `secrets`."""

    path: Path
    settings: dict[str, Any]
    secrets: dict[str, str]

    def load_secrets(self, **kwargs: Any) -> GatewaySecrets:
        """`GatewaySecrets.load` with this file's `[secrets]`, relative to its folder."""
        return GatewaySecrets.load(files=self.secrets, config_dir=self.path.parent, **kwargs)

    def table(self, name: str) -> dict[str, Any]:
        value = self.settings.get(name, {})
        if not isinstance(value, dict):
            raise SecretsError(f"{self.path}: [{name}] skal være en tabel")
        return value

    def _path(self, value: Any, what: str) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise SecretsError(f"{self.path}: {what} skal være et filnavn")
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.path.parent / path

    def sftp_config(self, secrets: GatewaySecrets) -> SftpConfig:
        """Serviceplatformen's SFTP from `[sftp]` (host, port, username, known_hosts,
        optional remote_dir) with the SSH key from the secrets (`sftp.key`)."""
        t = self.table("sftp")
        for key in ("host", "username", "known_hosts"):
            if not isinstance(t.get(key), str) or not t[key]:
                raise SecretsError(f"{self.path}: [sftp] {key} mangler")
        extra: dict[str, Any] = {}
        if isinstance(t.get("remote_dir"), str):
            extra["remote_dir"] = t["remote_dir"]
        try:
            return SftpConfig(
                host=t["host"],
                port=int(t.get("port", 22)),
                username=t["username"],
                private_key=secrets.require(SFTP_KEY).path,
                known_hosts=self._path(t["known_hosts"], "[sftp] known_hosts"),
                **extra,
            )
        except (TypeError, ValueError) as exc:
            raise SecretsError(f"{self.path}: [sftp] kan ikke bruges ({exc})") from None

    def sf2900_settings(self, secrets: GatewaySecrets) -> dict[str, Any]:
        """The keyword arguments of `app.dubu.sf2900_client.Sf2900Settings` from `[sf2900]`,
        `[sftp]`, `[gateway] municipality_cvr` and the secrets (FOCES certificate + key, SSH
        key, STS settings when `security = "sts"`, the default)."""
        t = self.table("sf2900")
        url, auth = t.get("url"), t.get("security", "sts")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise SecretsError(f"{self.path}: [sf2900] url skal være en https-adresse")
        cvr = self.table("gateway").get("municipality_cvr")
        if not isinstance(cvr, str):
            raise SecretsError(f"{self.path}: [gateway] municipality_cvr mangler")
        ca = t.get("ca_bundle")
        return {
            "service_url": url,
            "municipality_cvr": cvr,
            "sftp": self.sftp_config(secrets),
            "auth": "authority" if auth == "authority" else "sts",
            "sts": secrets.sts_config() if auth != "authority" else None,
            "ca_file": self._path(ca, "[sf2900] ca_bundle") if ca is not None else None,
            "client_cert": secrets.require(SERVICEPLATFORM_CERT).path,
            "client_key": secrets.require(SERVICEPLATFORM_KEY).path,
        }


def read_gateway_file(path: str | Path) -> GatewayFile:
    """Read gateway.toml (it needs no protection: it holds no secret, and a value that looks
    like one — PEM, a scrypt hash, a key named secret/password/passphrase — is refused)."""
    p = Path(path).expanduser()
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except OSError as exc:
        raise SecretsError(f"Konfigurationsfilen {p} kan ikke læses") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SecretsError(f"Konfigurationsfilen {p} er ikke gyldig TOML ({exc})") from None
    table = data.pop("secrets", {})
    if not isinstance(table, dict):
        raise SecretsError(f"{p}: [secrets] skal være en tabel")
    _refuse_secrets_in(data, str(p))
    return GatewayFile(p, data, secrets_config(table))


def _refuse_secrets_in(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{where}: {key}"
            if str(key).lower() in _SECRET_WORDS:
                raise SecretsError(
                    f"{here}: hemmeligheder hører ikke til i konfigurationen; brug en "
                    "systemd-credential, en fil kun tjenesten kan læse, eller nøgleringen"
                )
            _refuse_secrets_in(inner, here)
    elif isinstance(value, list):
        for inner in value:
            _refuse_secrets_in(inner, where)
    elif isinstance(value, str) and (
        "PRIVATE KEY-----" in value or value.strip().startswith("scrypt$")
    ):
        raise SecretsError(
            f"{where}: angiv en fil (eller en systemd-credential), ikke selve hemmeligheden"
        )


__all__ = [
    "CONFIG_KEYS",
    "CREDENTIALS_ENV",
    "KEYRING_SERVICE",
    "SECRET_NAMES",
    "SERVICEPLATFORM_CERT",
    "SERVICEPLATFORM_KEY",
    "SFTP_KEY",
    "STS_SETTINGS",
    "TLS_KEY",
    "USERS_FILE",
    "GatewayFile",
    "GatewaySecrets",
    "SecretFile",
    "SecretsError",
    "StsSettings",
    "check_secret_file",
    "read_gateway_file",
    "refuse_inline_secret",
    "secrets_config",
    "secure_keyring_backends",
]
