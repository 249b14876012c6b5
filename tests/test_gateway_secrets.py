"""The gateway's server secrets (app/gateway/secrets.py): systemd credentials, private files,
the OS keyring (never a plaintext one), refused inline secrets — and the secrets found actually
drive the real parts: a SAML token from the sandbox STS with the FOCES certificate, an SFTP
upload with the SSH key, gateway logins against the users file's scrypt hashes."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from app.dubu.sftp_upload import upload_document
from app.dubu.sts_client import StsClient
from app.gateway.secrets import (
    CREDENTIALS_ENV,
    SECRET_NAMES,
    SERVICEPLATFORM_CERT,
    SERVICEPLATFORM_KEY,
    SFTP_KEY,
    STS_SETTINGS,
    USERS_FILE,
    GatewaySecrets,
    SecretsError,
    StsSettings,
    check_secret_file,
    read_gateway_file,
    secrets_config,
    secure_keyring_backends,
)
from app.gateway.server import GatewayConfig, start_gateway
from app.gateway.store import hash_secret
from app.gateway.users import UserDirectory
from app.sandbox.sftp_sts import start_sftp_and_sts
from app.sf1606.mailbox_client import MailboxClient, MailboxError

CVR = "29189129"
PEM_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Stands in for an OS keyring (Secret Service, Keychain, Credential Locker): priority 5,
    so the gateway treats it as secure."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture
def os_keyring():
    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(before)


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch):
    monkeypatch.delenv(CREDENTIALS_ENV, raising=False)
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)


def private(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    os.chmod(path, mode)
    return path


def test_credentials_drive_the_real_sts_and_sftp(tmp_path, monkeypatch):
    """systemd's LoadCredential= folder holds the FOCES cert+key, the SSH key and the STS
    settings; with only those the gateway gets a signed token and uploads by SFTP."""

    async def main() -> None:
        parts = await start_sftp_and_sts(tmp_path / "sandbox", CVR)
        try:
            ep = parts.endpoints
            creds = tmp_path / "credentials"
            creds.mkdir(mode=0o700)
            for name, source in (
                (SERVICEPLATFORM_CERT, ep["sts_foces_cert"]),
                (SERVICEPLATFORM_KEY, ep["sts_foces_key"]),
                (SFTP_KEY, ep["sftp_key"]),
            ):
                shutil.copyfile(source, creds / name)
                os.chmod(creds / name, 0o400)  # as systemd writes them
            signing = Path(ep["sts_signing_cert"]).read_text()
            private(
                creds / STS_SETTINGS,
                f'url = "{ep["sts"]}"\ncvr = "{CVR}"\nsigning_certificate = """{signing}"""\n',
                0o400,
            )
            monkeypatch.setenv(CREDENTIALS_ENV, str(creds))
            secrets = GatewaySecrets.load(
                required=(SERVICEPLATFORM_CERT, SERVICEPLATFORM_KEY, SFTP_KEY, STS_SETTINGS)
            )
            assert {f.source for f in secrets.files.values()} == {"systemd-credential"}
            assert secrets.serviceplatform_key == creds / SERVICEPLATFORM_KEY
            assert "BEGIN" not in repr(secrets)
            assert secrets.sts is not None and secrets.sts.url == ep["sts"]
            client = StsClient(
                secrets.sts_config(), secrets.serviceplatform_context(ca_bundle=ep["sts_ca"])
            )
            token = await client.token()
            assert token.cvr == CVR and token.assertion_id
            sftp_url = urlsplit(ep["sftp"])
            config = tmp_path / "gateway.toml"
            config.write_text(
                f'[gateway]\nmunicipality_cvr = "{CVR}"\n'
                f'[sf2900]\nurl = "https://sf2900.example/x"\nca_bundle = "{ep["sts_ca"]}"\n'
                f'[sftp]\nhost = "{sftp_url.hostname}"\nport = {sftp_url.port}\n'
                f'username = "{ep["sftp_user"]}"\nknown_hosts = "{ep["sftp_known_hosts"]}"\n'
            )
            settings = read_gateway_file(config)
            local = private(tmp_path / "doc.pdf", b"%PDF-1.4 secret test document\n")
            uploaded = await upload_document(
                settings.sftp_config(secrets), local, "test-document.pdf"
            )
            assert uploaded.size == local.stat().st_size
            sf2900 = settings.sf2900_settings(secrets)
            assert sf2900["client_key"] == creds / SERVICEPLATFORM_KEY
            assert sf2900["sts"] == secrets.sts_config() and sf2900["auth"] == "sts"
            assert sf2900["sftp"].private_key == creds / SFTP_KEY
            assert sf2900["municipality_cvr"] == CVR
            # without the credentials folder nothing is found, and the error says where it looked
            monkeypatch.delenv(CREDENTIALS_ENV)
            with pytest.raises(SecretsError, match="CREDENTIALS_DIRECTORY"):
                GatewaySecrets.load(required=("sftp_key",), use_keyring=False)
        finally:
            await parts.stop()

    asyncio.run(main())


def test_private_files_from_config_and_the_users_hashes_log_in(tmp_path):
    etc = tmp_path / "etc"
    private(etc / "sp.crt", "cert")
    private(etc / "sp.key", PEM_KEY)
    users = (
        '[[users]]\nname = "anna"\nrole = "distributor"\nteam = "Team Modtagelse"\n'
        f'contact_points = "*"\nsecret_hash = "{hash_secret("annas-secret")}"\n'
    )
    private(etc / "users.toml", users)
    table = secrets_config(
        {"serviceplatform_cert": "sp.crt", "serviceplatform_key": "sp.key", "users": "users.toml"}
    )
    secrets = GatewaySecrets.load(files=table, config_dir=etc, use_keyring=False)
    assert secrets.serviceplatform_cert == etc / "sp.crt"
    assert secrets.require(SERVICEPLATFORM_KEY).source == "fil"
    assert secrets.users is not None and secrets.users.names() == ["anna"]
    hashes = secrets.user_hashes()
    assert hashes["anna"].startswith("scrypt$")
    with pytest.raises(SecretsError, match="mangler"):
        secrets.require(SFTP_KEY)

    async def main() -> None:
        gateway = await start_gateway(
            GatewayConfig(db_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", users=hashes)
        )
        try:
            async with MailboxClient(
                gateway.base_url, municipality_cvr=CVR, user="anna", secret="annas-secret"
            ) as client:
                assert (await client.list_items(0, 5)).items == ()
            async with MailboxClient(
                gateway.base_url, municipality_cvr=CVR, user="anna", secret="wrong"
            ) as client:
                with pytest.raises(MailboxError):
                    await client.list_items(0, 5)
        finally:
            await gateway.stop()

    asyncio.run(main())


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_group_or_world_accessible_file_refused(tmp_path, mode):
    key = private(tmp_path / "sp.key", PEM_KEY, mode)
    with pytest.raises(SecretsError, match="chmod 600") as caught:
        GatewaySecrets.load(files={"serviceplatform_key": key}, use_keyring=False)
    assert "BEGIN" not in str(caught.value) and f"{mode:o}" in str(caught.value)
    os.chmod(key, 0o600)
    assert check_secret_file(key) == key
    os.chmod(key, 0o400)
    assert check_secret_file(key) == key


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_file_owned_by_another_user_refused(tmp_path):
    key = private(tmp_path / "sp.key", PEM_KEY)
    os.chown(key, 1, 1)  # daemon
    with pytest.raises(SecretsError, match="ejes af en anden bruger"):
        GatewaySecrets.load(files={"serviceplatform_key": key}, use_keyring=False)


def test_missing_file_directory_and_world_readable_credential_refused(tmp_path, monkeypatch):
    with pytest.raises(SecretsError, match="findes ikke"):
        check_secret_file(tmp_path / "nope.key")
    (tmp_path / "dir.key").mkdir()
    with pytest.raises(SecretsError, match="almindelig fil"):
        check_secret_file(tmp_path / "dir.key")
    creds = tmp_path / "credentials"
    private(creds / SFTP_KEY, "ssh key", 0o404)
    monkeypatch.setenv(CREDENTIALS_ENV, str(creds))
    with pytest.raises(SecretsError, match="kan læses af alle"):
        GatewaySecrets.load(use_keyring=False)
    os.chmod(creds / SFTP_KEY, 0o440)  # systemd may grant the service user by group/ACL
    assert GatewaySecrets.load(use_keyring=False).sftp_key == creds / SFTP_KEY


@pytest.mark.parametrize(
    "value",
    [PEM_KEY, "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXkt", "scrypt$16384$8$1$aa$bb"],
)
def test_secret_itself_instead_of_a_file_refused(value):
    with pytest.raises(SecretsError, match="ikke selve hemmeligheden") as caught:
        secrets_config({"serviceplatform_key": value})
    assert "MIIE" not in str(caught.value)
    with pytest.raises(SecretsError, match="ikke selve hemmeligheden"):
        GatewaySecrets.load(files={"sftp_key": value}, use_keyring=False)


def test_unknown_secret_names_refused():
    with pytest.raises(SecretsError, match="ukendt nøgle"):
        secrets_config({"password": "/etc/x"})
    with pytest.raises(SecretsError, match="Ukendt hemmelighed"):
        GatewaySecrets.load(files={"foo": "/etc/x"}, use_keyring=False)


@pytest.fixture
def plaintext_keyring():
    """keyrings.alt's PlaintextKeyring (a file under the test's XDG_DATA_HOME), when installed."""
    file_backends = pytest.importorskip("keyrings.alt.file")
    before = keyring.get_keyring()
    keyring.set_keyring(file_backends.PlaintextKeyring())
    yield keyring.get_keyring()
    keyring.set_keyring(before)


def test_plaintext_keyring_is_never_used(tmp_path, plaintext_keyring):
    """keyrings.alt's PlaintextKeyring: refused, even holding the key."""
    keyring.set_password("postfordeler-gateway", SERVICEPLATFORM_KEY, PEM_KEY)
    backends, reason = secure_keyring_backends()
    assert backends == [] and reason and "PlaintextKeyring" in reason
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    secrets = GatewaySecrets.load(runtime_dir=runtime)
    assert secrets.serviceplatform_key is None
    assert any("PlaintextKeyring" in note for note in secrets.notes)
    with pytest.raises(SecretsError, match="PlaintextKeyring"):
        GatewaySecrets.load(required=(SERVICEPLATFORM_KEY,), runtime_dir=runtime)
    assert list(runtime.iterdir()) == []  # nothing written out


def test_fail_keyring_refused():
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        backends, reason = secure_keyring_backends()
        assert backends == [] and reason and "fail" in reason
    finally:
        keyring.set_keyring(before)


def test_os_keyring_secret_written_private_and_removed(os_keyring, tmp_path):
    os_keyring.set_password("postfordeler-gateway", SERVICEPLATFORM_KEY, PEM_KEY)
    users = (
        '[[users]]\nname = "tina"\nrole = "team_lead"\nteam = "T"\ncontact_points = "*"\n'
        f'secret_hash = "{hash_secret("s")}"\n'
    )
    os_keyring.set_password("postfordeler-gateway", USERS_FILE, users)
    backends, reason = secure_keyring_backends()
    assert backends == [os_keyring] and reason is None
    secrets = GatewaySecrets.load(runtime_dir=tmp_path, required=(SERVICEPLATFORM_KEY,))
    key = secrets.serviceplatform_key
    assert key is not None and secrets.require(SERVICEPLATFORM_KEY).source == "nøglering"
    assert key.read_text() == PEM_KEY
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert secrets.users is not None and secrets.users.names() == ["tina"]
    check_secret_file(key)  # usable by the same rule as any file
    secrets.close()
    assert not key.exists() and not key.parent.exists()
    secrets.close()  # twice is harmless


def test_credential_wins_over_file_and_keyring(os_keyring, tmp_path, monkeypatch):
    os_keyring.set_password("postfordeler-gateway", SFTP_KEY, "from keyring")
    configured = private(tmp_path / "etc" / "sftp.key", "from file")
    creds = tmp_path / "credentials"
    private(creds / SFTP_KEY, "from credential", 0o400)
    monkeypatch.setenv(CREDENTIALS_ENV, str(creds))
    got = GatewaySecrets.load(files={"sftp_key": configured}, runtime_dir=tmp_path)
    assert got.require(SFTP_KEY).read_text() == "from credential"
    monkeypatch.delenv(CREDENTIALS_ENV)
    got = GatewaySecrets.load(files={"sftp_key": configured}, runtime_dir=tmp_path)
    assert got.require(SFTP_KEY).read_text() == "from file"
    with GatewaySecrets.load(runtime_dir=tmp_path) as got:
        assert got.require(SFTP_KEY).read_text().strip() == "from keyring"


def test_sts_settings_checked(tmp_path):
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    private(tmp_path / "signing.pem", cert)
    sts = StsSettings.from_toml(
        'url = "https://sts.example/token"\nsigning_certificate = "signing.pem"\n',
        base_dir=tmp_path,
    )
    assert sts.signing_certificate == cert.encode() and sts.cvr is None
    assert sts.config().url == "https://sts.example/token"
    for text, message in (
        ('url = "http://sts"\nsigning_certificate = "x"\n', "https"),
        ('url = "https://sts"\n', "signing_certificate mangler"),
        ('url = "https://sts"\nsigning_certificate = "nope.pem"\n', "kan ikke læses"),
        ('url = "https://sts"\nsigning_certificate = "x"\nkey = "y"\n', "ukendt nøgle"),
    ):
        with pytest.raises(SecretsError, match=message):
            StsSettings.from_toml(text, base_dir=tmp_path)


DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy"


def test_deploy_examples_match_the_code():
    """The documented unit loads exactly the credentials the gateway looks for; the example
    gateway.toml holds no secret and parses; the example users file parses."""
    unit = (DEPLOY / "postfordeler-gateway.service").read_text()
    names = {
        line.split("=", 1)[1].split(":", 1)[0]
        for line in unit.splitlines()
        if line.startswith("LoadCredential=")
    }
    assert names == set(SECRET_NAMES)
    assert "Environment=POSTFORDELER_SECRET" not in unit
    settings = read_gateway_file(DEPLOY / "gateway.toml")
    assert settings.secrets == {}  # all commented out: credentials are used
    assert settings.settings["gateway"]["municipality_cvr"] == "29189129"
    assert {"gateway", "tls", "sf2900", "sftp"} <= set(settings.settings)
    users = UserDirectory.from_toml((DEPLOY / "users.toml.example").read_text())
    assert users.names() == ["anna", "tina"]
    sts = tomllib.loads((DEPLOY / "sts.toml.example").read_text())
    assert set(sts) <= {"url", "signing_certificate", "applies_to", "cvr", "issuer"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sftp]\npassphrase = "x"\n', "hører ikke til"),
        ('[gateway]\ndb = "postgresql://u@h/d"\npassword = "x"\n', "hører ikke til"),
        (f'[tls]\nkey = """{PEM_KEY}"""\n', "ikke selve hemmeligheden"),
        ('[users]\nanna = "scrypt$16384$8$1$aa$bb"\n', "ikke selve hemmeligheden"),
        (f'[secrets]\nserviceplatform_key = """{PEM_KEY}"""\n', "ikke selve hemmeligheden"),
        ("[secrets\n", "TOML"),
    ],
)
def test_gateway_file_refuses_secrets(tmp_path, text, message):
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    with pytest.raises(SecretsError, match=message) as caught:
        read_gateway_file(path)
    assert "MIIE" not in str(caught.value)


def test_gateway_file_secrets_are_relative_to_it(tmp_path):
    private(tmp_path / "private" / "sftp.key", "ssh key")
    (tmp_path / "gateway.toml").write_text(
        '[gateway]\nport = 8443\n[secrets]\nsftp_key = "private/sftp.key"\n'
    )
    settings = read_gateway_file(tmp_path / "gateway.toml")
    assert settings.settings == {"gateway": {"port": 8443}}
    secrets = settings.load_secrets(use_keyring=False)
    assert secrets.sftp_key == tmp_path / "private" / "sftp.key"


def test_deploy_example_maps_to_sf2900_settings(tmp_path, monkeypatch):
    creds = tmp_path / "credentials"
    for name in (SERVICEPLATFORM_CERT, SERVICEPLATFORM_KEY, SFTP_KEY):
        private(creds / name, "x", 0o400)
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    private(
        creds / STS_SETTINGS,
        f'url = "https://sts.example/t"\nsigning_certificate = """{cert}"""\n',
        0o400,
    )
    monkeypatch.setenv(CREDENTIALS_ENV, str(creds))
    settings = read_gateway_file(DEPLOY / "gateway.toml")
    secrets = settings.load_secrets(use_keyring=False)
    kwargs = settings.sf2900_settings(secrets)
    assert kwargs["service_url"].startswith("https://") and kwargs["auth"] == "sts"
    assert kwargs["sftp"].username == "FJORDBY_SIMPELSFTP"
    assert kwargs["sftp"].known_hosts == Path("/etc/postfordeler/sftp_known_hosts")
    assert kwargs["client_cert"] == creds / SERVICEPLATFORM_CERT
    assert kwargs["sts"].url == "https://sts.example/t"
    (creds / SFTP_KEY).unlink()
    with pytest.raises(SecretsError, match=r"sftp\.key mangler"):
        settings.sf2900_settings(settings.load_secrets(use_keyring=False))
