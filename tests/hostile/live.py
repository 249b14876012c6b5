"""A gateway over mutual TLS in its own thread and event loop, for the hostile tests and
`benchmarks/bench_hostile.py` (plain synchronous httpx clients talk to it)."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.gateway.server import GatewayConfig, GatewayTls, RunningGateway, start_gateway
from app.sandbox.certs import SandboxCertificates
from app.sf1606.tls import pem_client_context

CVR = "29189846"


class LiveGateway:
    """A gateway running in its own thread's event loop."""

    def __init__(self, config: GatewayConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.gw: RunningGateway = self.run(start_gateway(config))

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.run(self.gw.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class World:
    live: LiveGateway
    client: httpx.Client  # the sandbox's Postkomponent certificate (EP_FS1)
    sp_client: httpx.Client  # Serviceplatformen's certificate (the SF2900 receipt callback)
    ssl_context: ssl.SSLContext  # the Postkomponent's, for further clients

    def new_client(self) -> httpx.Client:
        return httpx.Client(verify=self.ssl_context, timeout=60)

    def close(self) -> None:
        self.client.close()
        self.sp_client.close()
        self.live.stop()


def start_world(folder: Path, **config: Any) -> World:
    """A TLS gateway (EP_FS1 pinned to the sandbox Postkomponent, the receipt callback to
    Serviceplatformen) with certificates from a fresh sandbox test CA under `folder`."""
    certs = SandboxCertificates.ensure(folder / "tls", municipality_cvr=CVR)
    settings: dict[str, Any] = {
        "db_url": f"sqlite:///{folder / 'gw.sqlite3'}",
        "municipality_cvr": CVR,
        "users": {"eva": "eva-hemmelig"},
        "spool_dir": folder / "spool",
        "tls": GatewayTls(
            cert_file=certs.server.cert,
            key_file=certs.server.key,
            client_ca=certs.ca,
            pins=(certs.postkomponent.pin,),
            callback_pins=(certs.serviceplatformen.pin,),
        ),
        "receipt_callback": True,
        **config,
    }
    live = LiveGateway(GatewayConfig(**settings))
    ctx = pem_client_context(certs.postkomponent.cert, certs.postkomponent.key, certs.ca)
    sp_ctx = pem_client_context(certs.serviceplatformen.cert, certs.serviceplatformen.key, certs.ca)
    return World(
        live, httpx.Client(verify=ctx, timeout=60), httpx.Client(verify=sp_ctx, timeout=60), ctx
    )
