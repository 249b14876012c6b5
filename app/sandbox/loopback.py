"""Start/stop an aiohttp application on loopback: the shared lifecycle of the sandbox services."""

from __future__ import annotations

import ssl
from typing import Self

from aiohttp import web


class LoopbackService:
    """Subclasses implement `make_app()`; `start()` returns the base URL (port 0 = any free)."""

    base_url: str | None = None
    _runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:  # pragma: no cover - abstract
        raise NotImplementedError

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None
    ) -> str:
        """`ssl_context`: serve HTTPS (e.g. requiring client certificates, as Serviceplatformen
        does); the base URL then starts with https://."""
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        scheme = "https" if ssl_context is not None else "http"
        self.base_url = f"{scheme}://{host}:{sock.getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
