"""The cache's delivery state per item (issue 9): queued on this PC ("lokal"), the gateway's
answer to the outbox, the states a mailbox listing carries (sync), DUBU's AFVIST putting the
item back in the distributor's queue, and the same decision made twice being one delivery."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.decisions import Assign, Journalise, JournalNote, Reject
from app.models.cache import Cache, CacheError, RemoteState, item_status_for
from app.models.db import open_cache
from app.models.inbox import InboxFilter, InboxQueries, SortColumn
from app.models.schema import DeliveryState, ItemStatus
from tests.test_cache import FILES, _batch


@dataclass(frozen=True)
class Listed:  # the delivery fields of a MailboxItem as the sync hands them to the cache
    message_uuid: str
    delivery_state: str | None
    delivery_reason: str | None = None
    decision_kind: str | None = None
    decision_id: str | None = None
    follow_up: bool = False


@pytest.fixture()
def cache(tmp_path):
    db = open_cache(tmp_path / "cache.sqlite3")
    c = Cache(db)
    c.ingest(_batch(FILES[:4]))
    yield c
    db.engine.dispose()


def _uuid(cache: Cache, item_id: int) -> str:
    return cache.item(item_id)["message_uuid"]


def test_a_queued_decision_is_lokal_and_the_gateway_answer_replaces_it(cache):
    assert cache.delivery(1).state == DeliveryState.NEW
    oid = cache.enqueue(1, Journalise("c1"), "anna")
    d = cache.delivery(1)
    assert d.state == "lokal" and d.decision == "journalise"
    task = cache.next_due()
    assert task.id == oid and d.decision_id == task.transaction_id
    cache.apply_gateway_answer(oid, RemoteState("afventer", "journalise", None, d.decision_id))
    assert cache.delivery(1).state == "afventer"
    assert cache.item(1)["status"] == ItemStatus.JOURNALISED
    row = cache.outbox_entries(item_id=1)[0]
    assert row.status == "delivered" and row.receipt["gateway"]["state"] == "afventer"
    assert cache.next_due() is None  # never sent again


def test_the_distributors_reject_is_afsluttet_not_dubus_afvist(cache):
    oid = cache.enqueue(2, Reject("Hører til Jobcenteret"), "anna")
    cache.next_due()
    cache.apply_gateway_answer(oid, RemoteState("afsluttet", "reject"))
    assert cache.delivery(2).state == DeliveryState.CLOSED == "afsluttet"
    assert cache.item(2)["status"] == ItemStatus.REJECTED
    assert DeliveryState.DUBU_REJECTED == "afvist_af_dubu" != DeliveryState.CLOSED


def test_a_refusal_is_final_with_the_reason(cache):
    oid = cache.enqueue(1, Journalise("c1"), "anna")
    cache.next_due()
    cache.refuse_decision(oid, "Elementet findes ikke eller er ikke tilgængeligt")
    d = cache.delivery(1)
    assert d.state == "fejlet" and d.reason.startswith("Elementet findes ikke")
    assert cache.item(1)["status"] == ItemStatus.FAILED
    assert cache.outbox_entries(item_id=1)[0].status == "rejected"


def test_sync_states_move_items_and_afvist_af_dubu_goes_back_to_the_queue(cache):
    oid = cache.enqueue(1, Journalise("c1"), "anna")
    cache.next_due()
    did = cache.delivery(1).decision_id
    cache.apply_gateway_answer(oid, RemoteState("afventer", "journalise", None, did))
    u1 = _uuid(cache, 1)
    assert cache.apply_remote_states([Listed(u1, "sendt", None, "journalise", did)]) == 1
    assert cache.delivery(1).state == "sendt"
    assert cache.apply_remote_states([Listed(u1, "sendt", None, "journalise", did)]) == 0
    cache.apply_remote_states([Listed(u1, "sendt", None, "journalise", did, follow_up=True)])
    assert cache.delivery(1).follow_up is True
    reason = "Sagen er lukket i DUBU"
    cache.apply_remote_states([Listed(u1, "afvist_af_dubu", reason, "journalise", did)])
    d = cache.delivery(1)
    assert (d.state, d.reason, d.follow_up) == ("afvist_af_dubu", reason, False)
    item = cache.item(1)
    assert item["status"] == ItemStatus.NEW and item["status_note"] == reason
    queries = InboxQueries(cache.engine)
    ufordelte = InboxFilter(statuses=ItemStatus.OPEN)
    assert 1 in queries.ids(ufordelte, SortColumn.DELIVERY, False)
    row = queries.rows([1])[1]
    assert (row.delivery_state, row.delivery_reason) == ("afvist_af_dubu", reason)
    # back in the queue: a new decision is allowed and gets a new decision id
    again = cache.decide(1, Journalise("c1"), "anna")
    assert not again.reused and again.decision_id != did
    assert cache.delivery(1).state == "lokal"


def test_a_listing_never_overrides_a_decision_still_on_this_pc(cache):
    cache.enqueue(3, Assign("cw1"), "anna")
    u3 = _uuid(cache, 3)
    assert cache.apply_remote_states([Listed(u3, "ny")]) == 0
    assert cache.apply_remote_states([Listed(u3, "afventer", None, "reject", "x")]) == 0
    assert cache.delivery(3).state == "lokal"


def test_a_colleagues_decision_arrives_with_the_sync(cache):
    u4 = _uuid(cache, 4)
    cache.apply_remote_states([Listed(u4, "accepteret", None, "assign", "d-4")])
    d = cache.delivery(4)
    assert (d.state, d.decision_id) == ("accepteret", "d-4")
    assert cache.item(4)["status"] == ItemStatus.ASSIGNED
    assert cache.apply_remote_states([Listed(u4, None)]) == 0  # an older gateway: untouched


def test_ingest_stores_the_listed_state_of_new_and_known_items(tmp_path):
    db = open_cache(tmp_path / "c.sqlite3")
    try:
        cache = Cache(db)
        batch = _batch(FILES[:2])
        (it0, p0), (it1, p1) = batch
        listed = [
            (_with(it0, delivery_state="afventer", decision_kind="forward"), p0),
            (_with(it1, delivery_state="ny"), p1),
        ]
        cache.ingest(listed)
        assert cache.delivery(1).state == "afventer"
        assert cache.item(1)["status"] == ItemStatus.FORWARDED
        listed[1] = (_with(it1, delivery_state="fejlet", delivery_reason="Ukendt sag"), p1)
        res = cache.ingest(listed, cursor=10)  # listed again after a state change
        assert res.duplicates == 2
        assert cache.delivery(2).state == "fejlet" and cache.delivery(2).reason == "Ukendt sag"
    finally:
        db.engine.dispose()


def test_the_same_decision_twice_is_one_delivery(cache):
    note = JournalNote("c1", "Modtaget")
    first = cache.decide(1, Journalise("c1", note=note), "anna")
    same = cache.decide(1, Journalise("c1", note=JournalNote("c1", " Modtaget ")), "anna")
    assert same.reused and same.decision_id == first.decision_id
    assert len(cache.outbox_entries(item_id=1)) == 1
    cache.next_due()
    cache.apply_gateway_answer(first.outbox_id, RemoteState("afventer", "journalise"))
    again = cache.decide(1, Journalise("c1", note=note), "anna")
    assert again.reused and again.decision_id == first.decision_id
    assert again.state == "afventer"
    # a different decision while one is open is refused locally; after delivery the gateway
    # decides (it answers ALLEREDE_BEHANDLET)
    other = cache.decide(2, Assign("cw1"), "anna")
    with pytest.raises(CacheError):
        cache.decide(2, Assign("cw2"), "anna")
    assert not other.reused


def test_item_status_for_each_state():
    assert item_status_for("lokal", "journalise", "ny") == ItemStatus.PENDING
    assert item_status_for("afventer", "assign", "afventer") == ItemStatus.ASSIGNED
    assert item_status_for("accepteret", "journal_note", "ny") == ItemStatus.JOURNALISED
    assert item_status_for("afsluttet", "reject", "afventer") == ItemStatus.REJECTED
    assert item_status_for("afvist_af_dubu", "journalise", "journaliseret") == ItemStatus.NEW
    assert item_status_for("fejlet", "forward", "videresendt") == ItemStatus.FAILED
    assert item_status_for("ny", None, "journaliseret") == "journaliseret"


def _with(item, **kw):
    return _Listed(**{**item.__dict__, **kw})


@dataclass(frozen=True)
class _Listed:  # tests.test_cache.Item plus the delivery fields a listing carries
    item_id: int
    message_uuid: str
    received_at: object
    contact_point_id: str | None
    memo: bytes
    kind: str = ""
    delivery_state: str | None = None
    delivery_reason: str | None = None
    decision_kind: str | None = None
    decision_id: str | None = None
    follow_up: bool = False
