"""`OpChanges` (app/core/changes.py): what an operation changed, merged and asked without Qt."""

from __future__ import annotations

import dataclasses

import pytest

from app.core import changes
from app.core.changes import NOTHING, OpChanges, OpChangesWith


def test_merge_joins_items_ors_flags_and_adds_arrivals():
    a = OpChanges(frozenset({1, 2}), counts=True, arrived=2)
    b = OpChanges(frozenset({2, 3}), outbox=True, waiting=True, read=True, arrived=3)
    merged = a.merge(b)
    assert merged.items == {1, 2, 3}
    assert merged.counts and merged.outbox and merged.waiting and merged.read
    assert not (merged.membership or merged.suggestions or merged.claims or merged.settings)
    assert merged.arrived == 5
    assert a | b == merged == b.merge(a)  # order does not matter


def test_every_field_survives_a_merge():
    """A new field that `merge` forgets would silently drop a refresh."""
    for f in dataclasses.fields(OpChanges):
        if f.name == "items":
            value: object = frozenset({7})
        elif f.name == "arrived":
            value = 4
        else:
            value = True
        one = OpChanges(**{f.name: value})
        assert getattr(one.merge(NOTHING), f.name) == value, f.name
        assert getattr(NOTHING.merge(one), f.name) == value, f.name


def test_nothing_is_empty_and_the_identity():
    assert not NOTHING
    assert not OpChanges()
    assert OpChanges(frozenset({1}))
    assert OpChanges(arrived=1)
    assert NOTHING | changes.synced(3) == changes.synced(3)
    assert OpChanges.merge_all([]) == NOTHING
    assert OpChanges.merge_all([changes.decided([1]), changes.decided([2])]) == changes.decided(
        [1, 2]
    )


def test_changes_are_frozen_values():
    c = changes.decided([1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.counts = False  # type: ignore[misc]
    assert hash(c) == hash(changes.decided([1]))
    assert OpChangesWith(5, c).value == 5


def test_what_each_operation_says_it_changed():
    d = changes.decided([4], claimed=True)
    assert d.items == {4} and d.outbox and d.counts and d.claims and not d.membership
    r = changes.marked_read([4, 5])
    assert r.items == {4, 5} and r.read and not (r.counts or r.outbox)
    s = changes.suggested([6])
    assert s.items == {6} and s.suggestions and not s.outbox
    sync = changes.synced(2)
    assert sync.membership and sync.counts and sync.arrived == 2 and not sync.items
    moved = changes.outbox_moved()
    assert moved.outbox and moved.waiting and moved.counts and not moved.items
    applied = changes.settings_applied()
    assert applied.settings and applied.membership


def test_affects_the_decision_state_of_an_item():
    assert changes.decided([1]).affects(1)
    assert not changes.decided([1]).affects(2)
    assert not changes.decided([1]).affects(None)
    assert changes.outbox_moved().affects(9)  # the worker does not say which items
    assert not changes.marked_read([1]).affects(1)  # a read mark decides nothing
    assert not changes.suggested([1]).affects(1)
    assert OpChanges(frozenset({1}), claims=True).affects(1)
