"""Serviceplatformen's simple SFTP (SF2900 EP_AS5) on loopback: a real SSH server (asyncssh).

The SF2900 integration description (v2.4, 3.1.7) has the sender upload each case document
(sagsdokument) to Serviceplatformen's SFTP server *before* calling FordelingsobjektAfsend;
`DokumentFilNavn` then names the uploaded file. Authentication is by SSH key only ("Simple SFTP
anvender SSH nøgler til autentifikation"); the sender's in/out folders "can be derived from the
SFTP user". This sandbox plays that server:

- key authentication only: password and keyboard-interactive authentication are not offered,
  and a key is accepted only for the user it is registered for (`SftpServerConfig.users`:
  user name -> authorised OpenSSH public keys, e.g. the municipality's test key);
- each user is chrooted into `<root>/<user>/`, which holds the folders `OUT` (the sender's
  out-folder, where case documents are uploaded) and `IN`; no shell, exec, scp or links;
- the host key is a generated Ed25519 key kept in `<root>/../ssh_host_ed25519_key` (mode 0600)
  so a restarted sandbox keeps its identity; `known_hosts_line()` gives the line a client pins;
- `uploaded_files()` lists every file under the root with path, size and sha256, and
  `file_info(user, name)` looks one up (what the SF2900 sandbox service checks before it
  answers a DOKUMENT).

Never logs file contents; file names appear only at debug level.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from app.hashing import file_size_sha256

log = logging.getLogger("postfordeler.sandbox.sftp")

OUT_FOLDER = "OUT"
IN_FOLDER = "IN"
HOST_KEY_FILE = "ssh_host_ed25519_key"


@dataclass(frozen=True)
class SftpFileInfo:
    """One file on the sandbox SFTP server. `path` is relative to the server root
    (`<user>/OUT/<name>`)."""

    path: str
    size: int
    sha256: str


@dataclass
class SftpServerConfig:
    root: Path  # the chroot parent: one sub-folder per user
    users: Mapping[str, Sequence[str]] = field(default_factory=dict)  # user -> public keys
    host: str = "127.0.0.1"
    port: int = 0
    host_key_path: Path | None = None  # None: <root>/../ssh_host_ed25519_key


def write_private_key(key: asyncssh.SSHKey, path: Path) -> None:
    """Write an OpenSSH private key readable by the owner only (0600, created that way)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.export_private_key())
    os.chmod(path, 0o600)


def load_or_create_key(path: Path) -> asyncssh.SSHKey:
    """The Ed25519 key in `path`, generated (0600) when the file does not exist yet."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    write_private_key(key, path)
    return key


def _safe_user(user: str) -> str:
    if not user or not all(c.isalnum() or c in "_-." for c in user) or user.startswith("."):
        raise ValueError(f"ugyldigt SFTP-brugernavn {user!r}")
    return user


class _KeyOnlyServer(asyncssh.SSHServer):
    """Public-key authentication only, against the keys registered for the user."""

    def __init__(
        self,
        authorized: Mapping[str, frozenset[bytes]],
        connections: set[asyncssh.SSHServerConnection] | None = None,
    ) -> None:
        self._authorized = authorized
        self._connections = connections if connections is not None else set()
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True  # authentication is always required

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return key.public_data in self._authorized.get(username, frozenset())


class _ChrootedSftp(asyncssh.SFTPServer):
    """asyncssh's file server in the user's chroot, without links (a symlink could point out
    of the chroot)."""

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("symlinks er slået fra")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("links er slået fra")


class SandboxSftpServer:
    """`await start()` listens (port 0: any free port); `url` is `sftp://host:port`."""

    def __init__(self, config: SftpServerConfig) -> None:
        self.config = config
        self.root = Path(config.root)
        self._authorized: dict[str, frozenset[bytes]] = {}
        for user, keys in config.users.items():
            self._authorized[_safe_user(user)] = frozenset(
                asyncssh.import_public_key(k).public_data for k in keys
            )
        key_path = config.host_key_path or self.root.parent / HOST_KEY_FILE
        self.host_key = load_or_create_key(key_path)
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self.host = config.host
        self.port = 0

    @property
    def url(self) -> str:
        return f"sftp://{self.host}:{self.port}"

    def known_hosts_line(self) -> str:
        """The OpenSSH known_hosts line pinning this server's host key (`[host]:port key`)."""
        pub = self.host_key.export_public_key().decode("ascii").strip()
        return f"[{self.host}]:{self.port} {pub}\n"

    def write_known_hosts(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.known_hosts_line(), encoding="ascii")
        return path

    def user_root(self, user: str) -> Path:
        return self.root / _safe_user(user)

    def _sftp_factory(self, chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        user = chan.get_extra_info("username")
        return _ChrootedSftp(chan, chroot=str(self.user_root(str(user))).encode())

    async def start(self) -> str:
        for user in self._authorized:
            for folder in (OUT_FOLDER, IN_FOLDER):
                (self.user_root(user) / folder).mkdir(parents=True, exist_ok=True)
        authorized = self._authorized
        self._acceptor = await asyncssh.listen(
            self.config.host,
            self.config.port,
            server_host_keys=[self.host_key],
            server_factory=lambda: _KeyOnlyServer(authorized, self._connections),
            sftp_factory=self._sftp_factory,
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            login_timeout=30,
        )
        self.port = self._acceptor.get_port()
        log.info("sandbox SFTP listening on %s (%d users)", self.url, len(authorized))
        return self.url

    async def stop(self) -> None:
        """Stop listening and end the open connections (a server that goes down)."""
        for conn in list(self._connections):
            conn.close()
        self._connections.clear()
        if self._acceptor is not None:
            self._acceptor.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._acceptor.wait_closed(), 5)
            self._acceptor = None

    def uploaded_files(self, user: str | None = None) -> list[SftpFileInfo]:
        """Every regular file under the root (or one user's chroot), sorted by path."""
        base = self.root if user is None else self.user_root(user)
        out: list[SftpFileInfo] = []
        if not base.exists():
            return out
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            size, digest = file_size_sha256(path)
            out.append(SftpFileInfo(path.relative_to(self.root).as_posix(), size, digest))
        return out

    def file_info(self, user: str, name: str, folder: str = OUT_FOLDER) -> SftpFileInfo | None:
        """The file `name` in the user's folder, or None. `name` must be a plain file name."""
        if not name or "/" in name or "\\" in name or name in {".", ".."}:
            return None
        path = self.user_root(user) / folder / name
        if not path.is_file():
            return None
        size, digest = file_size_sha256(path)
        return SftpFileInfo(path.relative_to(self.root).as_posix(), size, digest)


async def start_sftp_server(config: SftpServerConfig) -> SandboxSftpServer:
    server = SandboxSftpServer(config)
    await server.start()
    return server
