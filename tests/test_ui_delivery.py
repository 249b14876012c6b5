"""The delivery state of each item on screen (issue 9): a column in the inbox and the state +
reason in the preview, Danish by default and English, with exactly the DESIGN9 labels; DUBU's
"Afvist af DUBU" (the item is back in the distributor's queue, reason shown) kept apart from
the distributor's own Afvis ("Afsluttet (afvist af fordeler)"). A sync that changes states
refreshes the shown rows. Renders the window to a PNG for a look."""
# ruff: noqa: F811 - pytest fixtures imported from tests.test_ui

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.core import changes
from app.models.inbox import SortColumn
from app.ui import i18n, labels
from tests.test_ui import fail_on_qt_warnings, filled, run, until, window  # noqa: F401
from tests.ui_fixtures import loop  # noqa: F401

pytestmark = pytest.mark.ui

DANISH = {
    "ny": "Ny",
    "lokal": "Kun på denne pc",
    "afventer": "Afventer",
    "sendt": "Sendt",
    "accepteret": "Accepteret af DUBU",
    "afvist_af_dubu": "Afvist af DUBU",
    "fejlet": "Fejlet",
    "afsluttet": "Afsluttet (afvist af fordeler)",
}
REASON = "Sagen er lukket i DUBU – vælg en åben sag"
SHOTS = Path(os.environ.get("POSTFORDELER_SHOTS", "/tmp/postfordeler-shots"))


@dataclass(frozen=True)
class Listed:  # what a mailbox listing carries per item (MailboxItem's delivery fields)
    message_uuid: str
    delivery_state: str
    delivery_reason: str | None = None
    decision_kind: str | None = None
    decision_id: str | None = None
    follow_up: bool = False


def test_delivery_labels_danish_and_english(qapp):
    assert {s: labels.delivery_label(s) for s in DANISH} == DANISH
    assert labels.delivery_label("afvist_af_dubu") != labels.delivery_label("afsluttet")
    assert labels.action_label("reject") == "Afvis"  # the distributor's decision
    try:
        assert i18n.install(qapp, "en")
        assert labels.delivery_label("afvist_af_dubu") == "Rejected by DUBU"
        assert labels.delivery_label("afsluttet") == "Closed (rejected by distributor)"
        assert labels.delivery_label("lokal") == "Only on this PC"
        assert labels.delivery_label("accepteret") == "Accepted by DUBU"
        assert labels.delivery_label("ny") == "New"
        assert labels.column_labels()[SortColumn.DELIVERY] == "Delivery"
    finally:
        i18n.install(qapp, "da")
    assert labels.column_labels()[SortColumn.DELIVERY] == "Levering"


def test_states_in_the_inbox_and_preview_and_dubus_afvist_back_in_the_queue(window, filled, loop):
    backend, ids = filled
    cache = backend.cache
    a, b, c, d = ids[0], ids[1], ids[2], ids[3]

    async def scenario() -> None:
        model = window.inbox.model
        window.inbox.set_view("alle")  # decided items stay in view
        await until(lambda: model.rowCount() == len(ids), what="all view")
        await until(lambda: all(model.cached_row(i) for i in (a, b, c, d)), what="rows loaded")
        uuid = {i: cache.item(i)["message_uuid"] for i in (a, b, c, d)}
        cache.apply_remote_states(
            [
                Listed(uuid[a], "accepteret", None, "journalise", "d-a"),
                Listed(uuid[b], "afvist_af_dubu", REASON, "journalise", "d-b"),
                Listed(uuid[c], "afsluttet", None, "reject", "d-c"),
                Listed(uuid[d], "sendt", None, "assign", "d-d", follow_up=True),
            ]
        )
        window.changes.publish(changes.synced(0, 4))

        def shown(item_id: int) -> str | None:
            row = model.row_of(item_id)
            return None if row is None else model.index(row, SortColumn.DELIVERY).data()

        await until(lambda: shown(a) == "Accepteret af DUBU", what="accepteret shown")
        assert shown(b) == "Afvist af DUBU"
        assert shown(c) == "Afsluttet (afvist af fordeler)"
        assert shown(d).startswith("Sendt") and "følg op" in shown(d)
        tip = model.index(model.row_of(b), SortColumn.DELIVERY).data(3)  # ToolTipRole
        assert REASON in tip
        # DUBU's AFVIST: the item is back in the distributor's queue (Ufordelte)
        window.inbox.set_view("ufordelte")
        await until(
            lambda: model.row_of(a) is None and model.row_of(c) is None, what="decided ones leave"
        )
        assert model.row_of(b) is not None  # back in the queue
        window.inbox.select_id(b)
        await until(window.preview.delivery.isVisible, what="preview line")
        text = window.preview.delivery.text()
        assert "Afvist af DUBU" in text and REASON in text and "fordelingskøen" in text
        assert window.panel.assign_button.isEnabled()  # a new decision can be made
        SHOTS.mkdir(parents=True, exist_ok=True)
        window.resize(1400, 800)
        await until(lambda: True)
        assert window.grab().save(str(SHOTS / "delivery_afvist_af_dubu.png"))
        # a row without a decision shows nothing in the column, the preview hides the line
        window.inbox.set_view("alle")
        other = ids[5]
        await until(lambda: model.rowCount() == len(ids), what="all view")
        await until(lambda: shown(a) is not None and shown(other) is not None, what="rows")
        assert shown(other) == ""
        window.inbox.select_id(other)
        await until(
            lambda: window.detail is not None and window.detail.item_id == other, what="detail"
        )
        assert not window.preview.delivery.isVisible()
        window.inbox.select_id(c)
        await until(lambda: window.detail is not None and window.detail.item_id == c)
        await until(window.preview.delivery.isVisible, what="afsluttet in the preview")
        assert "Afsluttet (afvist af fordeler)" in window.preview.delivery.text()
        assert "DUBU" not in window.preview.delivery.text()
        bar = window.inbox.table.horizontalScrollBar()
        bar.setValue(bar.maximum())  # the delivery column is the last one
        await asyncio.sleep(0.2)
        assert window.grab().save(str(SHOTS / "delivery_column.png"))

    run(loop, scenario(), 60)
