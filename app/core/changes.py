"""What an operation changed, so each view decides for itself how to refresh (as Anki's
`OpChanges`).

Every state-changing operation of the client (a decision, an undo, a read mark, a stored
suggestion, a sync, the outbox worker moving an entry on, applied settings) describes its effect
as one `OpChanges` value. The UI broadcasts it once; the inbox refetches the named rows, the
status bar its outbox counter, and so on. Operations never call views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OpChanges:
    """A small, immutable description of what changed. Empty (`bool(changes)` is False) when
    nothing did. Combine two with `merge` or `|`."""

    items: frozenset[int] = field(default_factory=frozenset)
    """Items whose shown data changed (status, read mark, suggestion, claim)."""
    membership: bool = False
    """Items may have entered or left the saved views and filters: ask for the ids again."""
    counts: bool = False
    """The per-view item counts (and so the number of unread open items) may have changed."""
    outbox: bool = False
    """Outbox entries were added, cancelled or moved on (the outbox counter, item states)."""
    waiting: bool = False
    """Outbox entries moved on for items not named in `items` (the outbox worker reports counts,
    not items): every item shown as waiting in the outbox may have changed."""
    read: bool = False
    """Read marks of `items` changed."""
    suggestions: bool = False
    """Stored suggestions of `items` changed."""
    claims: bool = False
    """Claims (who works on an item in team mode) changed for `items`."""
    settings: bool = False
    """Settings were applied (what the client receives, the look)."""
    arrived: int = 0
    """New items the last sync brought in (to tell the user)."""
    unread_delta: int = 0
    """How the number of unread open items moved with these read marks (`read`); a view that
    shows the number adjusts it instead of counting again (unless `counts` says recount)."""
    delivery: bool = False
    """The sync changed delivery states of cached items (afventer → sendt → accepteret, DUBU's
    AFVIST, ...): every shown row may have changed."""

    def merge(self, other: OpChanges) -> OpChanges:
        """Everything either value says changed."""
        return OpChanges(
            items=self.items | other.items,
            membership=self.membership or other.membership,
            counts=self.counts or other.counts,
            outbox=self.outbox or other.outbox,
            waiting=self.waiting or other.waiting,
            read=self.read or other.read,
            suggestions=self.suggestions or other.suggestions,
            claims=self.claims or other.claims,
            settings=self.settings or other.settings,
            arrived=self.arrived + other.arrived,
            unread_delta=self.unread_delta + other.unread_delta,
            delivery=self.delivery or other.delivery,
        )

    def __or__(self, other: OpChanges) -> OpChanges:
        return self.merge(other)

    def __bool__(self) -> bool:
        return self != NOTHING

    @staticmethod
    def merge_all(changes: Iterable[OpChanges]) -> OpChanges:
        out = NOTHING
        for change in changes:
            out = out.merge(change)
        return out

    def affects(self, item_id: int | None) -> bool:
        """Whether the decision state of this item (what can be decided, what waits) may have
        changed: a new or moved-on outbox entry, or a claim."""
        if item_id is None:
            return False
        if self.waiting or self.delivery:
            return True
        return item_id in self.items and (self.outbox or self.claims)


NOTHING = OpChanges()


@dataclass(frozen=True, slots=True)
class OpChangesWith(Generic[T]):
    """An operation's result together with what it changed (Anki's `OpChangesWithId`)."""

    value: T
    changes: OpChanges


def decided(item_ids: Iterable[int], *, claimed: bool = False) -> OpChanges:
    """Decisions queued (or undone) for these items: their rows and the outbox changed, and the
    view counts (a decided item is no longer undistributed). The rows stay where the distributor
    is working; they show "afventer" until the next refresh of the view."""
    return OpChanges(frozenset(item_ids), counts=True, outbox=True, claims=claimed)


def marked_read(item_ids: Iterable[int], unread_delta: int = 0) -> OpChanges:
    """Read marks of these items changed; the unread open count moved by `unread_delta`."""
    return OpChanges(frozenset(item_ids), read=True, unread_delta=unread_delta)


def suggested(item_ids: Iterable[int]) -> OpChanges:
    return OpChanges(frozenset(item_ids), suggestions=True)


def synced(new_items: int, changed_states: int = 0) -> OpChanges:
    """A sync finished: new items may be in any view; `changed_states` cached items got a new
    delivery state (an item DUBU sent back is in the distributor's queue again)."""
    return OpChanges(membership=True, counts=True, arrived=new_items, delivery=changed_states > 0)


def outbox_moved() -> OpChanges:
    """The outbox worker delivered, deferred or failed entries."""
    return OpChanges(counts=True, outbox=True, waiting=True)


def settings_applied() -> OpChanges:
    return OpChanges(membership=True, counts=True, settings=True)
