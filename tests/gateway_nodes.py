"""Gateway nodes as real processes over mutual TLS on one database (tests/test_two_nodes.py and
benchmarks/bench_gateway.py).

`GatewayNode` runs `postfordeler gateway serve` on a fixed port with its own data dir, HTTPS
with the sandbox test CA (app/sandbox/certs.py) and EP_FS1 pinned to the Postkomponent
simulator's certificate, against a shared `--db` URL (PostgreSQL for two nodes). Users are
created by the first node from stdin (never argv); later nodes find them in the database.
`Pki` generates the certificates once per test. Start/kill (SIGKILL)/restart on the same port.

With `delivery=` (a JSON-able dict: SF2900 URL, SFTP, DUBU, node id, lease) a node runs the
gateway's delivery worker too. `postfordeler gateway serve` has no flags for that yet, so such a
node is this module run as a process (`python -m tests.gateway_nodes`, the spec on stdin, never
argv): the same `start_gateway` the CLI calls, with `GatewayConfig.delivery` set and the SF2900
business-receipt callback served (pinned to the test PKI's "serviceplatformen" certificate).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MESSAGES = REPO.parent / "shared" / "corpus" / "messages"
if not MESSAGES.is_dir():  # a worktree under /work/wt/<name>: the corpus is two levels up
    MESSAGES = REPO.parent.parent / "shared" / "corpus" / "messages"
UUID_RE = re.compile(rb"(<memo:messageUUID>)([^<]+)(</memo:messageUUID>)")
CVR = "29189129"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_uuid(data: bytes, new: str) -> bytes:
    return UUID_RE.sub(lambda m: m.group(1) + new.encode() + m.group(3), data, count=1)


def corpus_frames(n: int = 60) -> list[bytes]:
    """The `n` smallest corpus messages (raw MeMo)."""
    files = sorted(MESSAGES.glob("*.xml"), key=lambda p: p.stat().st_size)[:n]
    return [p.read_bytes() for p in files]


def fresh_message(frames: Sequence[bytes], n: int, *, valid: bool = True) -> tuple[str, bytes]:
    """Message number `n` with a new messageUUID (v4; v1 = refused as invalid)."""
    new = str(uuid.uuid4() if valid else uuid.uuid1())
    return new, with_uuid(frames[n % len(frames)], new)


@dataclass(frozen=True)
class Pki:
    """The sandbox test PKI for the nodes and their clients."""

    folder: Path
    ca: Path
    server_cert: Path
    server_key: Path
    sender_cert: Path
    sender_key: Path
    sender_pin: str
    # Serviceplatformen's certificate for the SF2900 business-receipt callback (pinned)
    callback_cert: Path
    callback_key: Path
    callback_pin: str

    @classmethod
    def create(cls, folder: Path) -> Pki:
        from app.sandbox.certs import SandboxCertificates

        certs = SandboxCertificates.ensure(folder, municipality_cvr=CVR)
        return cls(
            folder,
            certs.ca,
            certs.server.cert,
            certs.server.key,
            certs.postkomponent.cert,
            certs.postkomponent.key,
            certs.postkomponent.peer.pin(),
            certs.serviceplatformen.cert,
            certs.serviceplatformen.key,
            certs.serviceplatformen.peer.pin(),
        )

    def sender_context(self) -> ssl.SSLContext:
        """Postkomponent's side: the pinned client certificate, trusting the test CA."""
        from app.sf1606.tls import pem_client_context

        return pem_client_context(self.sender_cert, self.sender_key, self.ca)

    def callback_context(self) -> ssl.SSLContext:
        """Serviceplatformen's side of the receipt callback: its pinned client certificate."""
        from app.sf1606.tls import pem_client_context

        return pem_client_context(self.callback_cert, self.callback_key, self.ca)


class GatewayNode:
    """One `postfordeler gateway serve` process; start/kill/restart on the same port."""

    def __init__(
        self,
        name: str,
        work: Path,
        db_url: str,
        pki: Pki,
        *,
        users: Mapping[str, str] | None = None,
        extra: Sequence[str] = (),
        delivery: Mapping[str, Any] | None = None,
    ) -> None:
        self.name, self.db_url, self.pki = name, db_url, pki
        self.data_dir = work / name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # the nodes of one database share its store key, as systemd credentials give it them
        self.credentials = shared_store_key(work).parent
        self.port = free_port()
        self.users = dict(users or {})
        self.extra = tuple(extra)
        self.delivery = dict(delivery) if delivery is not None else None
        self.proc: subprocess.Popen[str] | None = None
        self.endpoints: dict[str, Any] = {}
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def postmodtag_url(self) -> str:
        from app.sf1606 import postmodtag as pm

        return self.base_url + pm.PATH

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 90.0) -> dict[str, Any]:
        env = dict(
            os.environ,
            POSTFORDELER_DATA_DIR=str(self.data_dir),
            CREDENTIALS_DIRECTORY=str(self.credentials),
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        if self.delivery is not None:
            return self._start(self._node_command(), [json.dumps(self._spec())], env, timeout)
        cmd = [
            sys.executable,
            "-m",
            "app",
            "gateway",
            "serve",
            "--port",
            str(self.port),
            "--db",
            self.db_url,
            "--municipality-cvr",
            CVR,
            *("--tls-cert", str(self.pki.server_cert), "--tls-key", str(self.pki.server_key)),
            *("--client-ca", str(self.pki.ca), "--pin", self.pki.sender_pin),
            *(arg for user in self.users for arg in ("--user", user)),
            *self.extra,
        ]
        return self._start(cmd, list(self.users.values()), env, timeout)

    def _node_command(self) -> list[str]:
        return [sys.executable, "-m", "tests.gateway_nodes"]

    def _spec(self) -> dict[str, Any]:
        return {
            "db": self.db_url,
            "port": self.port,
            "cvr": CVR,
            "tls_cert": str(self.pki.server_cert),
            "tls_key": str(self.pki.server_key),
            "client_ca": str(self.pki.ca),
            "pin": self.pki.sender_pin,
            "callback_pin": self.pki.callback_pin,
            "users": self.users,
            "spool_dir": str(self.data_dir / "spool"),
            "delivery": self.delivery,
        }

    def _start(
        self, cmd: list[str], stdin_lines: list[str], env: dict[str, str], timeout: float
    ) -> dict[str, Any]:
        log = (self.data_dir / f"stderr-{self.starts}.log").open("w")
        self.starts += 1
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        for line in stdin_lines:  # secrets on stdin (one line per --user), never in argv
            self.proc.stdin.write(line + "\n")
        self.proc.stdin.close()
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()  # one JSON line once listening
        if not line or time.monotonic() > deadline:
            code = self.proc.poll()
            raise RuntimeError(f"gateway {self.name} did not start (exit {code}): {self.stderr()}")
        self.endpoints = json.loads(line)
        assert self.endpoints["ready"] is True
        assert self.endpoints["postmodtag"] == self.postmodtag_url
        return self.endpoints

    def stderr(self) -> str:
        logs = sorted(self.data_dir.glob("stderr-*.log"))
        return logs[-1].read_text(errors="replace")[-2000:] if logs else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, open requests die with the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def shared_store_key(work: Path) -> Path:
    """The store key every node working in `work` uses (created once, 0600)."""
    from app.gateway.storekey import KEY_FILE, create_key_file

    path = work / "credentials" / KEY_FILE
    create_key_file(path)
    return path


def empty_database(url: str) -> str:
    """Drop the gateway's tables (each test starts from an empty schema)."""
    from app.gateway.login_store import login_metadata
    from app.gateway.store import make_engine, metadata

    engine = make_engine(url)  # not a GatewayStore: the old rows may have another test's key
    try:
        metadata.drop_all(engine)
        login_metadata.drop_all(engine)
    finally:
        engine.dispose()
    return url


def _node_main() -> None:
    """A gateway node with the delivery worker (see the module docstring); spec on stdin."""
    import asyncio
    import logging

    from app.dubu.sftp_upload import SftpConfig
    from app.gateway.delivery import DeliverySettings
    from app.gateway.server import GatewayConfig, GatewayTls, start_gateway
    from app.sf1606.tls import parse_pin

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    spec = json.loads(sys.stdin.readline())
    d = spec["delivery"]
    sftp = d["sftp"]
    config = GatewayConfig(
        db_url=spec["db"],
        port=spec["port"],
        municipality_cvr=spec["cvr"],
        users=spec["users"],
        spool_dir=Path(spec["spool_dir"]),
        tls=GatewayTls(
            Path(spec["tls_cert"]),
            Path(spec["tls_key"]),
            Path(spec["client_ca"]),
            (parse_pin(spec["pin"]),),
            callback_pins=(parse_pin(spec["callback_pin"]),),
        ),
        receipt_callback=True,  # FordelingskvitteringModtag, pinned to Serviceplatformen
        delivery=DeliverySettings(
            sf2900_url=d["sf2900_url"],
            municipality_cvr=spec["cvr"],
            sftp=SftpConfig(
                host=sftp["host"],
                port=sftp["port"],
                username=sftp["username"],
                private_key=Path(sftp["private_key"]),
                known_hosts=Path(sftp["known_hosts"]),
                connect_timeout=5.0,
                timeout=20.0,
            ),
            dubu_url=d["dubu_url"],
            node_id=d["node_id"],
            lease_seconds=d.get("lease_seconds", 300.0),
            poll_seconds=d.get("poll_seconds", 0.2),
            call_timeout=d.get("call_timeout", 20.0),
            initial_backoff=d.get("initial_backoff", 0.05),
            max_backoff=d.get("max_backoff", 0.5),
        ),
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

    asyncio.run(run())


if __name__ == "__main__":
    _node_main()
