"""Upload a case document to Serviceplatformen's simple SFTP (SF2900 EP_AS5) before the SOAP call.

SF2900 v2.4 (1.2, 3.1.7): for a DOKUMENT the sender first uploads the file to Serviceplatformen's
SFTP server with its "simple SFTP" user, then calls FordelingsobjektAfsend with `DokumentFilNavn`
= the uploaded file's name. Authentication is by SSH key. The document's naming convention
(3.1.7.2) is `<SFTP user>_SAGSDOKUMENT_<løbenummer or UUID>.<EXT>`, e.g.
`SAPA_SAGSDOKUMENT_123e4567-e89b-12d3-a456-426655440000.PDF`; `sagsdokument_name()` builds it.
The folder is the user's out-folder ("ud-mappe", derived from the SFTP user; `OUT` by default,
as the open-source SF2900 clients use); the sender is responsible for cleaning it up.

`upload_document()` (Qt-free, async, asyncssh):
- connects with a private key file, refusing a key file that group or others may read (as
  OpenSSH does) and refusing to run without a pinned host key (a known_hosts file);
- uploads to a temp name `<name>.<attempt>.part` in the folder, checks the size, then renames to
  `<name>` (the SFTP rename that never overwrites), so Serviceplatformen never sees a
  half-written file and two nodes racing on the same decision never share a temp file;
- is idempotent by name: when `<name>` already exists with the same size and sha256 (a retry of
  the same decision after a crash between rename and the SOAP call) the upload is skipped and
  the existing file is reported (`already_present=True`); leftover `<name>.*.part` files from a
  crash before the rename are removed once `<name>` is in place; a `<name>` with *different* content is a permanent error
  (the spec's "Dokument med identisk navn eksisterer"). When the server does not let the user
  read back the out-folder, the check falls back to the size;
- is bounded in time (`connect_timeout`, `timeout` for the whole operation);
- with an `SftpSession`, reuses one SSH connection for many uploads (a new SFTP channel each);
- returns the remote name, size and sha256.

Errors are `SftpUploadError` with a stable `reason` code, a Danish message and `transient`
(retry later: server down, timeout, connection lost) or not (authentication, host key, key file,
name conflict, local file). Never logs file contents, keys or passphrases.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import stat
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh

# The naming convention lives in app/dubu/sftp_names.py (no SSH library); re-exported here.
from app.dubu.sftp_names import SFTP_USER_RE
from app.dubu.sftp_names import document_file_uuid as document_file_uuid
from app.dubu.sftp_names import file_extension as file_extension
from app.dubu.sftp_names import sagsdokument_name as sagsdokument_name

log = logging.getLogger("postfordeler.sftp")

DEFAULT_REMOTE_DIR = "OUT"
PART_SUFFIX = ".part"
CHUNK = 1 << 20


class SftpUploadError(Exception):
    """The upload failed. `reason` is a stable code, str(exc) Danish text, `transient` says
    whether a later retry can succeed.

    Codes: "key_file" (missing, unreadable or readable by others), "known_hosts" (missing),
    "host_key" (the server's key is not the pinned one), "auth" (key refused), "unreachable",
    "timeout", "connection" (lost mid-way), "conflict" (same name, other content), "local_file",
    "sftp" (another SFTP error).
    """

    def __init__(self, reason: str, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class SftpConfig:
    """Where and as whom to upload. `private_key` and `known_hosts` are files readable only by
    the service user (e.g. systemd credentials); `passphrase` comes from a credential store."""

    host: str
    username: str
    private_key: Path
    known_hosts: Path
    port: int = 22
    remote_dir: str = DEFAULT_REMOTE_DIR
    passphrase: str | None = None
    connect_timeout: float = 15.0
    timeout: float = 300.0  # the whole operation: connect, compare, upload, rename

    def __post_init__(self) -> None:
        if not SFTP_USER_RE.match(self.username):
            raise ValueError(f"ugyldigt SFTP-brugernavn {self.username!r}")
        if self.connect_timeout <= 0 or self.timeout <= 0:
            raise ValueError("SFTP-timeouts skal være positive")

    def __repr__(self) -> str:  # never show the passphrase
        return (
            f"SftpConfig(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"remote_dir={self.remote_dir!r})"
        )


@dataclass(frozen=True)
class UploadedFile:
    """The file as it now lies on the server. `remote_name` goes into `DokumentFilNavn`."""

    remote_name: str
    remote_path: str
    size: int
    sha256: str
    already_present: bool = False


def part_name(remote_name: str, attempt: str) -> str:
    """The temporary name one upload attempt writes under before the rename:
    `<name>.<attempt>.part` (each attempt its own, so two nodes never share one)."""
    return f"{remote_name}.{attempt}{PART_SUFFIX}"


async def _remove_leftovers(sftp: asyncssh.SFTPClient, folder: str, remote_name: str) -> None:
    """Remove temp files of earlier attempts at `remote_name` (a crash before the rename): once
    the file itself is in place no attempt needs them."""
    prefix = remote_name + "."
    try:
        names = await sftp.listdir(folder or ".")
    except asyncssh.SFTPError:
        return
    for name in names:
        if isinstance(name, str) and name.startswith(prefix) and name.endswith(PART_SUFFIX):
            with contextlib.suppress(asyncssh.SFTPError):
                await sftp.remove(f"{folder}/{name}" if folder else name)


def check_private_key_file(path: Path) -> None:
    """Refuse a missing key file or one that group or others may read or write."""
    try:
        st = os.stat(path)
    except OSError:
        raise SftpUploadError(
            "key_file", f"SSH-nøglefilen {path} findes ikke eller kan ikke læses", transient=False
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise SftpUploadError("key_file", f"SSH-nøglefilen {path} er ikke en fil", transient=False)
    if os.name == "posix" and st.st_mode & 0o077:
        raise SftpUploadError(
            "key_file",
            f"SSH-nøglefilen {path} kan læses af andre end ejeren "
            f"(rettigheder {stat.S_IMODE(st.st_mode):04o}); kræver 0600 eller 0400",
            transient=False,
        )


def _local_size_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while piece := fh.read(CHUNK):
                digest.update(piece)
                size += len(piece)
    except OSError as exc:
        raise SftpUploadError(
            "local_file", f"dokumentet kan ikke læses ({type(exc).__name__})", transient=False
        ) from None
    return size, digest.hexdigest()


async def _remote_sha256(sftp: asyncssh.SFTPClient, path: str) -> str | None:
    """sha256 of a remote file, None when the server does not let us read it."""
    digest = hashlib.sha256()
    try:
        async with sftp.open(path, "rb") as fh:
            while piece := await fh.read(CHUNK):
                assert isinstance(piece, bytes)  # opened in binary mode
                digest.update(piece)
    except asyncssh.SFTPPermissionDenied:
        return None
    return digest.hexdigest()


async def _existing(
    sftp: asyncssh.SFTPClient, path: str, size: int, sha256: str
) -> UploadedFile | None:
    """The already uploaded file when it matches (size and, when readable, sha256); None when
    there is no such file; SftpUploadError("conflict") when it differs."""
    try:
        attrs = await sftp.stat(path)
    except asyncssh.SFTPNoSuchFile:
        return None
    if attrs.size == size:
        remote = await _remote_sha256(sftp, path)
        if remote is None or remote == sha256:
            name = path.rsplit("/", 1)[-1]
            return UploadedFile(name, path, size, sha256, already_present=True)
    raise SftpUploadError(
        "conflict",
        "en anden fil med samme navn ligger allerede på SFTP-serveren",
        transient=False,
    )


async def _read_key(config: SftpConfig) -> asyncssh.SSHKey:
    try:
        return await asyncio.to_thread(
            asyncssh.read_private_key, str(config.private_key), config.passphrase
        )
    except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError, OSError) as exc:
        raise SftpUploadError(
            "key_file",
            f"SSH-nøglen i {config.private_key} kan ikke indlæses ({type(exc).__name__})",
            transient=False,
        ) from None


async def _connect(config: SftpConfig) -> asyncssh.SSHClientConnection:
    key = await _read_key(config)
    return await asyncssh.connect(
        config.host,
        config.port,
        username=config.username,
        client_keys=[key],
        known_hosts=str(config.known_hosts),
        password=None,
        preferred_auth="publickey",
        agent_path=None,
        config=(),
        connect_timeout=config.connect_timeout,
        login_timeout=config.connect_timeout,
    )


class SftpSession:
    """One SSH connection to the SFTP server reused for many uploads (`upload_document(...,
    session=)`): the TCP, key exchange and key login are paid once, each upload opens its own
    SFTP channel on it (so concurrent uploads never share one). A connection that fails is
    dropped and the next upload connects again (once at once when a reused connection turns out
    dead). Create once per process, `await close()` at the end."""

    def __init__(self, config: SftpConfig) -> None:
        self.config = config
        self._conn: asyncssh.SSHClientConnection | None = None
        self._lock = asyncio.Lock()
        self.connects = 0  # SSH connections made (for tests and benchmarks)

    async def _connection(self) -> tuple[asyncssh.SSHClientConnection, bool]:
        async with self._lock:
            if self._conn is not None:
                return self._conn, True
            self._conn = await _connect(self.config)
            self.connects += 1
            return self._conn, False

    def drop(self, conn: asyncssh.SSHClientConnection | None = None) -> None:
        """Forget the connection (`conn`: only if it is still the current one)."""
        current = self._conn
        if current is not None and (conn is None or conn is current):
            self._conn = None
            current.close()

    @contextlib.asynccontextmanager
    async def sftp(self) -> AsyncIterator[asyncssh.SFTPClient]:
        conn, reused = await self._connection()
        try:
            client = await conn.start_sftp_client()
        except (asyncssh.Error, OSError):
            self.drop(conn)
            if not reused:
                raise
            conn, _ = await self._connection()  # the reused one was dead: connect once more
            try:
                client = await conn.start_sftp_client()
            except (asyncssh.Error, OSError):
                self.drop(conn)
                raise
        try:
            async with client:
                yield client
        except (asyncssh.DisconnectError, asyncssh.ConnectionLost, OSError):
            self.drop(conn)
            raise

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await conn.wait_closed()


@contextlib.asynccontextmanager
async def _one_shot(config: SftpConfig) -> AsyncIterator[asyncssh.SFTPClient]:
    async with await _connect(config) as conn, conn.start_sftp_client() as sftp:
        yield sftp


async def _upload(
    config: SftpConfig,
    local: Path | bytes,
    remote_name: str,
    session: SftpSession | None = None,
) -> UploadedFile:
    if isinstance(local, bytes):
        size, sha256 = len(local), hashlib.sha256(local).hexdigest()
    else:
        size, sha256 = await asyncio.to_thread(_local_size_sha256, local)
    folder = config.remote_dir.strip("/")
    final = f"{folder}/{remote_name}" if folder else remote_name
    opened = session.sftp() if session is not None else _one_shot(config)
    async with opened as sftp:
        found = await _existing(sftp, final, size, sha256)
        if found is not None:
            log.info("SFTP: document already uploaded (%d bytes)", size)
            await _remove_leftovers(sftp, folder, remote_name)
            return found
        temp = part_name(final, uuid.uuid4().hex[:12])
        try:
            if isinstance(local, bytes):  # from memory: the letter never lands on local disk
                async with sftp.open(temp, "wb") as fh:
                    for start in range(0, len(local), CHUNK):
                        await fh.write(local[start : start + CHUNK])
            else:
                await sftp.put(str(local), temp)
            if (await sftp.stat(temp)).size != size:
                raise SftpUploadError(
                    "connection", "upload til SFTP blev afbrudt (forkert størrelse)", transient=True
                )
            await sftp.rename(temp, final)  # the SFTP rename: never overwrites `final`
        except asyncssh.SFTPError:
            # Another node uploading the same decision won the race (its rename came first, or
            # it removed our temp file as a leftover): accept its file when it matches.
            found = await _existing(sftp, final, size, sha256)
            if found is None:
                raise
            with contextlib.suppress(asyncssh.SFTPError):
                await sftp.remove(temp)
            return found
        await _remove_leftovers(sftp, folder, remote_name)
    log.info("SFTP: document uploaded (%d bytes)", size)
    return UploadedFile(remote_name, final, size, sha256)


async def upload_document(
    config: SftpConfig,
    local: Path | bytes,
    remote_name: str,
    *,
    session: SftpSession | None = None,
) -> UploadedFile:
    """Upload `local` (a file, or the bytes themselves) as `remote_name` into
    `config.remote_dir`, atomically and idempotently. `session`: reuse its SSH connection
    (else one connection for this upload).

    Raises SftpUploadError (see the module docstring); never leaves `remote_name` half-written.
    """
    if not remote_name or "/" in remote_name or remote_name.endswith(PART_SUFFIX):
        raise ValueError(f"ugyldigt filnavn på SFTP-serveren {remote_name!r}")
    check_private_key_file(Path(config.private_key))
    if not Path(config.known_hosts).is_file():
        raise SftpUploadError(
            "known_hosts",
            f"SFTP-serverens værtsnøgle er ikke fastlagt: {config.known_hosts} findes ikke",
            transient=False,
        )
    try:
        async with asyncio.timeout(config.timeout):
            return await _upload(
                config, local if isinstance(local, bytes) else Path(local), remote_name, session
            )
    except SftpUploadError:
        raise
    except TimeoutError:
        raise SftpUploadError(
            "timeout", "SFTP-serveren svarede ikke i tide", transient=True
        ) from None
    except asyncssh.HostKeyNotVerifiable:
        raise SftpUploadError(
            "host_key",
            "SFTP-serverens værtsnøgle passer ikke med den fastlagte (known_hosts)",
            transient=False,
        ) from None
    except asyncssh.PermissionDenied:
        raise SftpUploadError(
            "auth", "SFTP-serveren afviste SSH-nøglen for brugeren", transient=False
        ) from None
    except asyncssh.SFTPError as exc:
        raise SftpUploadError(
            "sftp", f"SFTP-fejl: {exc.reason or type(exc).__name__}", transient=True
        ) from None
    except asyncssh.DisconnectError as exc:
        raise SftpUploadError(
            "connection",
            f"forbindelsen til SFTP-serveren blev afbrudt ({type(exc).__name__})",
            transient=True,
        ) from None
    except OSError as exc:
        raise SftpUploadError(
            "unreachable",
            f"SFTP-serveren kan ikke nås ({type(exc).__name__})",
            transient=True,
        ) from None
