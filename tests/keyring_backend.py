"""The tests' keyring: secrets in memory, never in a file.

`MemoryKeyring` is a real `keyring.backend.KeyringBackend`. In the test process conftest sets a
fresh one for every test. A subprocess (the kill harnesses, the CLI tests) gets
`PYTHON_KEYRING_BACKEND=tests.keyring_backend.MemoryKeyring` plus `$POSTFORDELER_TEST_KEYRING`,
the address of a `KeyringServer` (a unix socket in a private temp folder): its instances then
share one in-memory store held by the server, so a cache key made by one `postfordeler sync`
is there for the next one, and nothing is ever written to disk.

It is viable only while `$PYTHON_KEYRING_BACKEND` names it, so `keyring` never picks or chains
it by itself. `app.keyrings` accepts it like any OS keyring; keyrings.alt's file backends it
refuses (see tests/test_keyrings.py).
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
NAME = "tests.keyring_backend.MemoryKeyring"
SERVER_ENV = "POSTFORDELER_TEST_KEYRING"


class MemoryKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        if os.environ.get(BACKEND_ENV) != NAME:
            raise RuntimeError("the test keyring is used only when named explicitly")
        return 1

    def __init__(self, address: str | None = None) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self.address = address or os.environ.get(SERVER_ENV) or None

    def _call(self, op: str, service: str, username: str, password: str | None = None):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(self.address)
            request = {"op": op, "service": service, "username": username, "password": password}
            sock.sendall(json.dumps(request).encode() + b"\n")
            answer = sock.makefile("rb").readline()
        return json.loads(answer)["value"]

    def get_password(self, service: str, username: str) -> str | None:
        if self.address:
            return self._call("get", service, username)
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.address:
            self._call("set", service, username, password)
        else:
            self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        found = (
            self._call("delete", service, username)
            if self.address
            else self.values.pop((service, username), None) is not None
        )
        if not found:
            raise PasswordDeleteError(username)


class KeyringServer:
    """One in-memory store served to `MemoryKeyring`s in other processes (a unix socket in a
    0700 temp folder). `env()` is what a subprocess needs; use as a context manager."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}
        self._folder = tempfile.TemporaryDirectory(prefix="pf-keyring-")
        self.address = str(Path(self._folder.name) / "keyring.sock")
        lock = threading.Lock()
        values = self.values

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request = json.loads(self.rfile.readline())
                key = (request["service"], request["username"])
                with lock:
                    if request["op"] == "get":
                        value = values.get(key)
                    elif request["op"] == "set":
                        values[key] = request["password"]
                        value = True
                    else:
                        value = values.pop(key, None) is not None
                self.wfile.write(json.dumps({"value": value}).encode() + b"\n")

        self._server = socketserver.ThreadingUnixStreamServer(self.address, Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def env(self) -> dict[str, str]:
        return {BACKEND_ENV: NAME, SERVER_ENV: self.address}

    def get(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._folder.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@contextmanager
def shared_keyring() -> Iterator[KeyringServer]:
    """This process and every subprocess it starts (they inherit the environment) use one
    in-memory keyring until the block ends; the previous keyring and environment come back."""
    import keyring

    saved = {name: os.environ.get(name) for name in (BACKEND_ENV, SERVER_ENV)}
    try:
        before = keyring.get_keyring()
    except Exception:
        before = None
    with KeyringServer() as server:
        os.environ.update(server.env())
        keyring.set_keyring(MemoryKeyring(server.address))
        try:
            yield server
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            if before is not None:
                keyring.set_keyring(before)
