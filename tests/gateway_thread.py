"""A real gateway on its own thread and event loop, so a test can drive the CLI (which runs
its own `asyncio.run`) against it in-process."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from app.gateway.server import GatewayConfig, RunningGateway, start_gateway


class GatewayThread:
    def __init__(self, config: GatewayConfig, directory: Any = None) -> None:
        self.config = config
        self.directory = directory
        self.loop = asyncio.new_event_loop()
        self.gateway: RunningGateway | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RunningGateway:
        self._thread.start()
        self.gateway = asyncio.run_coroutine_threadsafe(
            start_gateway(self.config), self.loop
        ).result(60)
        if self.directory is not None:
            self.gateway.set_directory(self.directory)
        return self.gateway

    def __exit__(self, *exc: object) -> None:
        if self.gateway is not None:
            asyncio.run_coroutine_threadsafe(self.gateway.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()
