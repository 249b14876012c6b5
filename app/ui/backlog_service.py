"""What the team-lead and caseworker views may ask, as awaitables on the qasync loop.

`BacklogService` runs the Qt-free queries of `app.models.backlog` off the UI thread (the
periodic team-lead report on `Background.background`, the caseworker's list on
`Background.read`) and hands back frozen dataclasses; the views get it (or its bound methods)
through their constructors. It never runs a query on the UI
thread and never writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from app.models import backlog
from app.models.backlog import BacklogReport, CaseworkerItem
from app.models.db import Database
from app.ui.tasks import Background

DirectorySource = Callable[[], Any]  # -> [(id, label, team)] or an awaitable of it


@dataclass(frozen=True, slots=True)
class CaseworkerChoice:
    """One entry of the caseworker picker."""

    id: str
    label: str
    team: str = ""
    open_count: int = 0  # distributed to them, not yet journalised (from the cache)


class BacklogService:
    def __init__(
        self,
        db: Database | Engine,
        background: Background,
        *,
        directory_caseworkers: DirectorySource | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.bg = background
        self._directory = directory_caseworkers
        self._now = now  # tests and screenshots pin "now"

    def _at(self) -> datetime | None:
        return self._now() if self._now else None

    async def report(self) -> BacklogReport:
        # ~0.25 s at 100k items: on the background thread, never queued before inbox reads.
        return await self.bg.background(backlog.backlog_report, self.db, self._at())

    async def caseworker_items(
        self, caseworker_id: str, include_done: bool = False
    ) -> tuple[CaseworkerItem, ...]:
        def load() -> tuple[CaseworkerItem, ...]:
            return backlog.caseworker_items(
                self.db, caseworker_id, self._at(), include_done=include_done
            )

        return await self.bg.read(load)

    async def caseworkers(self) -> list[CaseworkerChoice]:
        """DUBU's caseworkers (when a directory is given) plus anyone the cache has items
        assigned to, with their open counts; people with open items first, then by name."""
        directory: list[tuple[str, str, str]] = []
        if self._directory is not None:
            result = self._directory()
            if isinstance(result, Awaitable) or asyncio.iscoroutine(result):
                result = await result
            directory = list(result or [])
        in_cache = await self.bg.read(backlog.assignees_in_cache, self.db)
        counts = {cw: n for cw, _label, n in in_cache}
        choices: dict[str, CaseworkerChoice] = {}
        for cw_id, label, team in directory:
            choices[cw_id] = CaseworkerChoice(cw_id, label, team or "", counts.get(cw_id, 0))
        for cw_id, label, n in in_cache:
            if cw_id not in choices:
                choices[cw_id] = CaseworkerChoice(cw_id, label, "", n)
        return sorted(choices.values(), key=lambda c: (c.open_count == 0, c.label.casefold()))
