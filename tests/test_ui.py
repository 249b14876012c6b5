"""UI tests (pytest-qt, offscreen): the inbox model through qtmodeltester, filters, search and
saved views in the real window over a real cache, the preview and header panel, and the
keyboard journalisation of a retursvar against the real in-process sandbox (gateway → zeep sync
→ cache → outbox → gateway). Any Qt warning fails the test."""
# ruff: noqa: F811 - pytest fixtures imported from tests.ui_fixtures

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import (
    QItemSelectionModel,
    Qt,
    QTimer,
    QtMsgType,
    QUrl,
    qWarning,
)
from PySide6.QtTest import QTest

from app.core import changes
from app.core.changes import OpChanges
from app.decisions import Assign, Forward, Journalise, JournalNote, Reject
from app.dubu.dataset import DubuDataset
from app.models.cache import Cache
from app.models.db import open_cache
from app.models.inbox import InboxFilter, SortColumn
from app.models.schema import ItemStatus
from app.sf1606.tls import trust_context
from app.ui.backend import UiBackend
from app.ui.inbox_model import ID_ROLE, ROW_ROLE
from app.ui.main_window import MainWindow
from app.ui.suggestions import Suggester
from app.ui.tasks import Background, ChangeBus, Messages, cancel_all
from tests.ui_fixtures import (
    SANDBOX_DUBU,
    SANDBOX_MESSAGES,
    corpus_sample,
    fill_sample_cache,
    insert_messages,
    labels,
    loop,  # noqa: F401 - fixture
    read_messages,
)

pytestmark = pytest.mark.ui

# Platform chatter that says nothing about our code.
BENIGN = ("This plugin does not support propagateSizeHints()",)


def qt_problems(qtlog: Any) -> list[str]:
    return [
        r.message
        for r in qtlog.records
        if r.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        and not r.message.startswith(BENIGN)
    ]


@pytest.fixture(autouse=True)
def fail_on_qt_warnings(request, qtlog):
    """qutebrowser-style: a Qt warning during a UI test fails it."""
    yield
    if getattr(request.node, "qt_warning_expected", False):
        return
    problems = qt_problems(qtlog)
    assert not problems, f"Qt warnings: {problems}"


def run(loop: Any, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


@pytest.fixture
def filled(tmp_path, loop):
    db = open_cache(tmp_path / "cache.sqlite3")
    ids = fill_sample_cache(db, n_each=4)
    bg = Background()
    backend = UiBackend(
        cache=Cache(db),
        background=bg,
        suggester=Suggester(DubuDataset.load(SANDBOX_DUBU)),
        user="demo",
    )
    yield backend, ids
    run(loop, cancel_all())
    bg.close()
    db.engine.dispose()


@pytest.fixture
def window(qtbot, filled, loop):
    backend, _ids = filled
    win = MainWindow(backend, Messages(), demo=True)
    qtbot.addWidget(win)
    win.show()
    win.inbox.refresh()
    run(loop, until(lambda: win.inbox.model.rowCount() > 0, what="rows"))
    return win


@pytest.mark.qt_log_level_fail("CRITICAL")  # this test emits a warning on purpose
def test_qt_warning_is_caught(request, qtlog):
    """The guard above sees Qt warnings (so a real one would fail the test)."""
    qWarning("postfordeler test warning")
    assert any("postfordeler test warning" in m for m in qt_problems(qtlog))
    request.node.qt_warning_expected = True


def test_inbox_model_passes_qtmodeltester(qtmodeltester, filled, loop):
    from app.ui.inbox_model import InboxModel

    backend, ids = filled
    model = InboxModel(backend.rows)
    model.set_ids(run(loop, backend.ids(InboxFilter(), SortColumn.RECEIVED, True)))
    qtmodeltester.check(model, force_py=True)  # placeholders before rows arrive
    model.prefetch(0)
    run(loop, until(lambda: all(model.cached_row(i) for i in ids), what="rows"))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == len(ids)
    first = model.index(0, SortColumn.SUBJECT)
    assert model.data(first, ROW_ROLE).label == model.data(first)
    assert model.data(first, ID_ROLE) == model.item_id(0)
    assert model.data(first, Qt.ItemDataRole.FontRole).bold()  # unread


def test_window_views_filters_search_and_sort(window, filled, loop, qtbot):
    _backend, ids = filled
    inbox = window.inbox
    assert "Demo (sandkasse)" in window.windowTitle()
    assert inbox.model.rowCount() == len(ids)
    run(loop, until(lambda: "(6)" in inbox.tabs.tabText(1), what="view counts"))
    # Saved view "Retursvar".
    inbox.set_view("retursvar")
    run(loop, until(lambda: inbox.model.rowCount() == 6, what="retursvar view"))
    run(loop, until(lambda: all(inbox.model.cached_row(i) for i in inbox.model.ids())))
    assert {inbox.model.cached_row(i).kind for i in inbox.model.ids()} == {"retursvar"}
    inbox.set_view("alle")
    run(loop, until(lambda: inbox.model.rowCount() == len(ids)))
    # Kind filter combo.
    inbox.kind_box.setCurrentIndex(inbox.kind_box.findData("videresendt"))
    run(loop, until(lambda: inbox.model.rowCount() == 4, what="kind filter"))
    inbox.kind_box.setCurrentIndex(0)
    run(loop, until(lambda: inbox.model.rowCount() == len(ids)))
    # Quick search (FTS) typed into the box.
    run(loop, until(lambda: inbox.model.cached_row(ids[0]) is not None))
    sender = inbox.model.cached_row(ids[0]).sender_label.split()[-1]
    qtbot.keyClicks(inbox.search, sender)
    run(loop, until(lambda: 0 < inbox.model.rowCount() < len(ids), what="search"))
    assert ids[0] in inbox.model.ids()
    inbox.search.clear()
    run(loop, until(lambda: inbox.model.rowCount() == len(ids)))
    # Sort by sender through the header (SQL sort).
    inbox.table.sortByColumn(SortColumn.SENDER, Qt.SortOrder.AscendingOrder)
    run(loop, until(lambda: inbox.model.sort_column == SortColumn.SENDER))
    run(loop, asyncio.sleep(0.3))
    run(loop, until(lambda: all(inbox.model.cached_row(i) for i in inbox.model.ids())))
    senders = [inbox.model.cached_row(i).sender_label for i in inbox.model.ids()]
    assert senders == sorted(senders)
    # Age filter and status filter exist and narrow.
    inbox.status_box.setCurrentIndex(inbox.status_box.findData("journaliseret"))
    run(loop, until(lambda: inbox.model.rowCount() == 0, what="status filter"))
    inbox.status_box.setCurrentIndex(0)
    run(loop, until(lambda: inbox.model.rowCount() == len(ids)))


def test_window_contact_point_age_assignee_and_claim_filters(window, filled, loop):
    from sqlalchemy import update

    from app.models.schema import Item

    backend, ids = filled
    inbox = window.inbox
    items = Item.__table__
    with backend.cache.engine.begin() as conn:
        conn.execute(
            update(items)
            .where(items.c.id == ids[0])
            .values(assignee_id="cw-1", assignee_label="Nanni Bech (NABE)")
        )
        conn.execute(update(items).where(items.c.id == ids[1]).values(claimed_by="kollega"))
    run(loop, inbox.load_filter_choices())
    inbox.set_view("alle")
    run(loop, until(lambda: inbox.model.rowCount() == len(ids)))
    # Contact point.
    cp_id, _label, n = backend.queries.contact_points()[0]
    inbox.cp_box.setCurrentIndex(inbox.cp_box.findData(cp_id))
    run(loop, until(lambda: inbox.model.rowCount() == n, what="contact point filter"))
    inbox.cp_box.setCurrentIndex(0)
    # Assignee and "nobody".
    inbox.assignee_box.setCurrentIndex(inbox.assignee_box.findData("cw-1"))
    run(loop, until(lambda: inbox.model.ids() == [ids[0]], what="assignee filter"))
    inbox.assignee_box.setCurrentIndex(1)  # Ingen
    run(loop, until(lambda: inbox.model.rowCount() == len(ids) - 1, what="unassigned"))
    inbox.assignee_box.setCurrentIndex(0)
    # Claimed by a colleague; the status column says who holds it.
    inbox.claim_box.setCurrentIndex(inbox.claim_box.findData("kollega"))
    run(loop, until(lambda: inbox.model.ids() == [ids[1]], what="claim filter"))
    run(
        loop,
        until(
            lambda: (
                inbox.model.cached_row(ids[1]) is not None
                and inbox.model.cached_row(ids[1]).claimed_by == "kollega"
            )
        ),
    )
    status = inbox.model.index(0, SortColumn.STATUS).data()
    assert "kollega" in status
    inbox.claim_box.setCurrentIndex(0)
    # Age: over 10 working days → only the oldest of the sample.
    inbox.age_box.setCurrentIndex(inbox.age_box.findData(10))
    expected = len(backend.queries.ids(InboxFilter(older_than_workdays=10)))
    run(loop, until(lambda: inbox.model.rowCount() == expected, what="age filter"))
    assert expected < len(ids)
    inbox.age_box.setCurrentIndex(0)
    run(loop, until(lambda: inbox.model.rowCount() == len(ids)))
    # A colleague's claim blocks decisions on that item.
    inbox.select_id(ids[1])
    run(loop, until(lambda: window.detail is not None and window.detail.item_id == ids[1]))
    assert not window.panel.assign_button.isEnabled()
    assert "kollega" in window.panel.state.text()


def test_a_refused_decision_is_shown_and_a_queued_one_described(window, filled, loop):
    """The dialogs build typed decisions: one the rules refuse is shown in Danish and nothing is
    queued; one accepted is queued as that decision and described in the item's state."""
    backend, _ids = filled
    errors: list[tuple[str, str]] = []
    window.messages.error.connect(lambda text, detail: errors.append((text, detail)))

    async def body() -> None:
        target = next(
            i for i in window.inbox.model.ids() if backend.cache.item(i)["status"] == "ny"
        )
        window.inbox.select_id(target)
        await until(
            lambda: (
                window.detail is not None
                and window.detail.item_id == target
                and window.panel.reject_button.isEnabled()
            ),
            what="detail",
        )
        window.reject_items()
        dialog = window.active_dialog
        assert dialog is not None and dialog.objectName() == "rejectDialog"
        dialog.reason.setEditText("Hører til\x07 Borgerservice")
        await click(dialog.ok)
        await until(lambda: errors, what="refusal shown")
        assert errors == [("Afvis", "Begrundelsen indeholder ugyldige tegn")]
        assert backend.cache.outbox_entries(item_id=target) == []
        window.reject_items()
        dialog = window.active_dialog
        dialog.reason.setEditText("  Hører til Borgerservice ")
        await click(dialog.ok)
        await until(lambda: backend.cache.outbox_entries(item_id=target), what="reject queued")
        assert backend.cache.outbox_entries(item_id=target)[0].decision == Reject(
            "Hører til Borgerservice"
        )
        await until(lambda: window.inbox.current_id() != target, what="auto-advance")
        window.inbox.select_id(target)
        await until(
            lambda: (
                "Afventer" in window.panel.state.text()
                and window.detail is not None
                and window.detail.item_id == target
            ),
            what="state",
        )
        assert "Afvis Hører til Borgerservice" in window.panel.state.text()

    run(loop, body())
    assert len(errors) == 1


def test_the_next_item_is_read_ahead_shown_at_once_logged_when_shown_and_never_stale(
    window, filled, loop
):
    """Showing an item reads the next row ahead: J then shows it in the same key press (no
    trip to the read thread). The access log records the item when it is shown, not when it
    was read ahead; a change to a read-ahead item drops it, so it is loaded fresh."""
    from sqlalchemy import func, select

    from app.core.audit import LOG

    backend, _ids = filled
    model = window.inbox.model
    shown: list[int] = []
    window.detailShown.connect(shown.append)

    def logged(item_id: int) -> int:
        with backend.cache.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(LOG).where(LOG.c.item_id == item_id)
            ).scalar_one()

    async def body() -> None:
        first, second, third = (model.item_id(n) for n in range(3))
        window.inbox.select_id(first)
        window.inbox.table.setFocus()
        await until(lambda: shown[-1:] == [first], what="first shown")
        await until(lambda: backend.is_prefetched(second), what="second read ahead")
        assert logged(second) == 0  # read ahead is not an access: nothing shown yet
        QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
        # shown within the key press itself
        assert window.detail is not None and window.detail.item_id == second
        assert shown[-1] == second
        assert window.preview.message is window.detail.message
        await until(lambda: logged(second) == 1, what="access logged when shown")
        await until(lambda: backend.is_prefetched(third), what="third read ahead")
        window.changes.publish(changes.decided([third]))  # e.g. a colleague's decision
        assert not backend.is_prefetched(third)
        QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
        assert window.inbox.current_id() == third
        assert shown[-1] == second  # not shown from a stale read-ahead: loaded again
        await until(lambda: shown[-1] == third, what="third loaded fresh")
        assert window.detail is not None and window.detail.item_id == third

    run(loop, body())


def test_preview_header_and_keyboard_navigation(window, filled, loop, qtbot):
    backend, ids = filled
    lab = labels()
    shown: list[int] = []
    window.detailShown.connect(shown.append)
    window.inbox.table.setFocus()
    # J moves down, K up; each selection shows the preview and suggestions.
    QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
    run(loop, until(lambda: shown, what="detail"))
    first = window.inbox.current_id()
    QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
    run(loop, until(lambda: window.inbox.current_id() != first and len(shown) >= 2))
    QTest.keyClick(window.inbox.table, Qt.Key.Key_K)
    run(loop, until(lambda: window.inbox.current_id() == first))
    # A forwarded letter shows the citizen's comment and the original sender.
    rows = backend.queries.rows(ids)
    fwd = next(i for i in ids if rows[i].kind == "videresendt")
    window.inbox.select_id(fwd)
    run(loop, until(lambda: window.detail is not None and window.detail.item_id == fwd))
    msg = window.detail.message
    assert window.preview.header.forward.isVisible()
    assert msg.forward_data.original_sender in window.preview.header.forward.text()
    # A message with a PDF renders it in QtPdf.
    pdf_item = next(
        i for i in ids if any(f.mime == "application/pdf" for f in backend.queries.files(i))
    )
    window.inbox.select_id(pdf_item)
    run(loop, until(lambda: window.detail is not None and window.detail.item_id == pdf_item))
    assert window.preview.show_file_of_type("application/pdf")
    assert window.preview.stack.currentWidget() is window.preview.pdf
    assert window.preview.pdf.document.pageCount() >= 1
    # The suggestion for a retursvar is the case of the letter it answers.
    reply = next(
        i for i in ids if rows[i].kind == "retursvar" and lab[window_uuid(backend, i)]["case_id"]
    )
    window.inbox.select_id(reply)
    run(loop, until(lambda: window.panel.top_choice() is not None, what="suggestion"))
    assert window.panel.top_choice().case_id == lab[window_uuid(backend, reply)]["case_id"]
    assert window.panel.selected_choice() == window.panel.top_choice()  # preselected
    # Viewing logged an access for the sender; a case search by CPR is logged too.
    sender = window.detail.message.sender
    if sender.id_type.upper() == "CPR":
        run(
            loop,
            until(
                lambda: any(
                    e.action == "view_item" and e.item_id == reply
                    for e in backend.audit.for_citizen(sender.id)
                ),
                what="view logged",
            ),
        )
    window.panel.search.setText(sender.id)
    window.panel._search()
    run(
        loop,
        until(
            lambda: any(e.action == "search_cpr" for e in backend.audit.for_citizen(sender.id)),
            what="search logged",
        ),
    )
    # F1 opens the shortcut overlay.
    QTest.keyClick(window.inbox.table, Qt.Key.Key_F1)
    assert window.active_dialog is not None and window.active_dialog.isVisible()
    window.active_dialog.close()


def window_uuid(backend: UiBackend, item_id: int) -> str:
    return backend.cache.item(item_id)["message_uuid"]


def test_html_is_sanitised_and_never_loads_remote():
    from app.ui.preview import SafeTextBrowser, sanitize_html

    dirty = (
        '<p onclick="x()">Hej<script>alert(1)</script><img src="http://evil/x.png">'
        '<a href="javascript:alert(1)">klik</a><a href="https://evil/">ud</a></p>'
    )
    clean = sanitize_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "<img" not in clean
    assert "javascript:" not in clean and "https://evil" not in clean
    browser = SafeTextBrowser()
    assert browser.loadResource(2, QUrl("http://evil/x")) is None
    assert not browser.openLinks() and not browser.openExternalLinks()


# --------------------------------------------------------------------------- what changed


def tab_count(window: MainWindow, key: str) -> int | None:
    """The count in a saved view's tab text ("Ufordelte (12)"), None before the first count."""
    tabs = window.inbox.tabs
    for index in range(tabs.count()):
        if tabs.tabData(index) == key:
            text = tabs.tabText(index)
            return int(text.rsplit("(", 1)[1].rstrip(")")) if "(" in text else None
    raise KeyError(key)


def test_a_decision_publishes_one_change_and_each_view_refreshes_from_it(window, filled, loop):
    backend, ids = filled
    rows = backend.queries.rows(ids)
    reply = next(i for i in ids if rows[i].kind == "retursvar")
    seen: list[OpChanges] = []
    window.changes.changed.connect(seen.append)
    counted: list[int] = []
    view_counts = backend.view_counts

    async def counting(*args: Any) -> dict[str, int]:
        counted.append(1)
        return await view_counts(*args)

    backend.view_counts = counting

    async def scenario() -> None:
        window.inbox.select_id(reply)
        await until(
            lambda: (
                window.panel.top_choice() is not None and window.panel.journalise_button.isEnabled()
            ),
            what="suggestion",
        )
        assert window.outbox_label.text().endswith(" 0")
        await asyncio.sleep(0.1)
        seen.clear()
        counted.clear()
        window.journalise()
        dialog = window.active_dialog
        assert dialog is not None and dialog.objectName() == "journaliseDialog"
        dialog.accept()
        await until(lambda: backend.cache.outbox_entries(item_id=reply), what="queued")
        # The row says "afventer", the counter 1, the views are counted again; the flow called
        # none of them: they refreshed from the one change value.
        await until(
            lambda: (
                (r := window.inbox.model.cached_row(reply)) is not None and r.status == "afventer"
            ),
            what="row afventer",
        )
        await until(lambda: window.outbox_label.text().endswith(" 1"), what="outbox counter")
        await until(lambda: counted, what="view counts")
        assert seen[0] == changes.decided([reply])
        assert [c for c in seen if c.outbox] == [seen[0]]  # exactly one for the decision

    run(loop, scenario())


def test_the_change_bus_broadcasts_only_real_changes(qtbot):
    bus = ChangeBus()
    seen: list[OpChanges] = []
    bus.changed.connect(seen.append)
    bus.publish(changes.NOTHING)
    bus.publish(changes.decided([3]))
    assert seen == [changes.decided([3])]


def test_the_forward_dialog_preselects_the_suggested_receiver(qtbot):
    from app.dubu.routing import suggested_receiver
    from app.ui.dialogs import ForwardDialog

    receivers = [("u-borger", "Borgerservice"), ("u-job", "Jobcenter Fjordby")]
    dialog = ForwardDialog(receivers, suggested_receiver(receivers, "Jobcenter"))
    qtbot.addWidget(dialog)
    assert dialog.selected() == ("u-job", "Jobcenter Fjordby")
    dialog = ForwardDialog(receivers, None, hint="Byggeri (Teknik og Miljø)")
    qtbot.addWidget(dialog)
    # nothing matches: nothing preselected, OK waits for a choice, the dialog says why
    assert dialog.selected() is None and not dialog.ok.isEnabled()
    assert "Byggeri (Teknik og Miljø)" in dialog.why.text()
    QTest.keyClick(dialog.receiver, Qt.Key.Key_Down)
    assert dialog.selected() is not None and dialog.ok.isEnabled()


def test_views_refresh_from_a_published_change_alone(window, filled, loop):
    """A change made behind the window's back shows once its OpChanges is published: rows,
    the current item's state, the outbox counter, view counts, new items and the unread count."""
    backend, ids = filled
    cache = backend.cache
    item = ids[0]

    def status() -> str | None:
        row = window.inbox.model.cached_row(item)
        return row.status if row is not None else None

    async def scenario() -> None:
        await until(lambda: tab_count(window, "ufordelte") == len(ids), what="view counts")
        shown: list[int] = []
        window.detailShown.connect(shown.append)
        window.inbox.select_id(item)
        await until(lambda: item in shown, what="item shown")
        await until(window.panel.reject_button.isEnabled, what="decidable")
        # The selection's own writes (read mark, top suggestion) follow the screen and are
        # published as one change: wait until the row shows them before acting behind its back.
        await until(
            lambda: (
                (row := window.inbox.model.cached_row(item)) is not None
                and row.read
                and row.status == "ny"
            ),
            what="row fetched after its read mark",
        )
        outbox_id = cache.enqueue(item, Reject("Fejlsendt"), "demo")
        await asyncio.sleep(0.2)
        assert status() == "ny"  # nobody told the views
        window.changes.publish(changes.decided([item]))
        await until(lambda: status() == "afventer", what="row")
        await until(lambda: "Afventer" in window.panel.state.text(), what="item state")
        assert not window.panel.reject_button.isEnabled()
        await until(lambda: window.outbox_label.text().endswith(" 1"), what="outbox counter")
        # The outbox worker delivers and reports counts, not items: the rows shown as waiting
        # are fetched again, the item leaves the open views' counts.
        task = cache.next_due()
        assert task is not None and task.id == outbox_id
        cache.apply_delivery_result(outbox_id, delivered=True)
        window.changes.publish(changes.outbox_moved())
        await until(lambda: status() == "afvist", what="delivered row")
        await until(lambda: window.outbox_label.text().endswith(" 0"), what="counter back")
        await until(lambda: tab_count(window, "ufordelte") == len(ids) - 1, what="tab count")
        await until(lambda: "Afvist" in window.panel.state.text(), what="item result")
        # A sync: new items join the view, the title shows the unread count.
        window.inbox.set_view("alle")
        await until(lambda: window.inbox.model.rowCount() == len(ids), what="alle")
        sample = corpus_sample()
        fresh = next(p for p in sorted(SANDBOX_MESSAGES.glob("*.xml")) if p not in sample)
        new = insert_messages(cache.db, read_messages([fresh]))
        window.changes.publish(changes.synced(len(new)))
        await until(lambda: window.inbox.model.rowCount() == len(ids) + 1, what="new row")
        unread = backend.queries.unread_count()
        assert unread > 0
        await until(lambda: window.windowTitle().startswith(f"({unread}) "), what="title")
        # Reading an unread open item moves the title by one, without counting the cache
        # again; marking it unread moves it back.
        counted = 0
        count = backend.queries.unread_count

        def counting() -> int:
            nonlocal counted
            counted += 1
            return count()

        backend.queries.unread_count = counting
        rows = backend.queries.rows(ids)
        target = next(i for i in ids if not rows[i].read and rows[i].status in ItemStatus.OPEN)
        window.inbox.select_id(target)
        await until(lambda: window.windowTitle().startswith(f"({unread - 1}) "), what="read")
        window.changes.publish(await backend.mark_read([target], False))
        await until(lambda: window.windowTitle().startswith(f"({unread}) "), what="unread")
        assert counted == 0
        assert backend.queries.unread_count() == unread

    run(loop, scenario())


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def sandbox_runtime(tmp_path, loop):
    """The real app runtime: in-process sandbox thread + client services on the qasync loop."""
    from app.sandbox.runner import SandboxConfig, SandboxThread
    from app.ui.app import start_runtime
    from app.ui.settings import Settings

    lab = labels()
    messages = tmp_path / "messages"
    messages.mkdir()
    picked: dict[str, int] = {}
    for path in sorted(SANDBOX_MESSAGES.glob("*.xml")):
        kind = lab[path.stem]["kind"]
        if picked.get(kind, 0) < 4 and (kind != "retursvar" or lab[path.stem]["case_id"]):
            shutil.copy(path, messages / path.name)
            picked[kind] = picked.get(kind, 0) + 1
    config = SandboxConfig(
        messages_dir=messages, data_dir=tmp_path / "sandbox", store_in_keyring=False
    )
    runtime = run(
        loop, start_runtime(Settings(), sandbox=SandboxThread(config), sync_interval=1.0), 60
    )
    yield runtime
    run(loop, runtime.close(), 60)


async def key(
    widget: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """Press a key from the Qt event loop (as a user would), never from inside a task step.
    The offscreen platform does not re-activate a window after a dialog closes, as a desktop
    does; window shortcuts need an active window."""
    if not widget.window().isActiveWindow():
        widget.window().activateWindow()
        await asyncio.sleep(0.05)
    QTimer.singleShot(0, lambda: QTest.keyClick(widget, key, modifier))
    await asyncio.sleep(0.05)


async def click(button: Any) -> None:
    QTimer.singleShot(0, button.click)
    await asyncio.sleep(0.05)


def open_window(runtime: Any, qtbot: Any) -> MainWindow:
    from app.ui.app import backlog_service, connect_window

    window = MainWindow(
        runtime.backend, Messages(), demo=runtime.demo, backlog=backlog_service(runtime.backend)
    )
    qtbot.addWidget(window)
    connect_window(runtime, window)
    window.show()
    window.activateWindow()
    window.inbox.refresh()
    return window


def test_journalise_retursvar_by_keyboard_reaches_the_gateway(sandbox_runtime, loop, qtbot):
    runtime = sandbox_runtime
    lab = labels()
    cache = runtime.services.cache

    async def scenario() -> int:
        window = open_window(runtime, qtbot)
        await until(lambda: window.inbox.model.rowCount() >= 12, 40, "sync into the inbox")
        reply_uuid = next(
            u
            for u, v in sorted(lab.items())
            if v["kind"] == "retursvar" and v["case_id"] and cache.item_id_for_uuid(u) is not None
        )
        case_id = lab[reply_uuid]["case_id"]
        item_id = cache.item_id_for_uuid(reply_uuid)
        window.inbox.set_view("retursvar")
        await until(lambda: window.inbox.model.rowCount() == 4, what="retursvar view")
        window.inbox.table.setFocus()
        # Select it with the keyboard: J from the top until it is current.
        keystrokes = 0
        for _ in range(window.inbox.model.rowCount()):
            await key(window.inbox.table, Qt.Key.Key_J)
            keystrokes += 1
            if window.inbox.current_id() == item_id:
                break
        assert window.inbox.current_id() == item_id
        await until(
            lambda: (
                window.panel.top_choice() is not None
                and window.detail is not None
                and window.detail.item_id == item_id
            ),
            what="suggestion",
        )
        assert window.panel.selected_choice().case_id == case_id
        # Every item got its suggestion in the background; the inbox shows case + confidence.
        queries = runtime.backend.queries
        await until(lambda: not queries.unsuggested_ids(1), 30, "background suggestions")
        window.inbox.model.invalidate([item_id])
        row = window.inbox.model.row_of(item_id)
        await until(
            lambda: "%" in (window.inbox.model.index(row, SortColumn.SUGGESTION).data() or ""),
            what="suggestion column",
        )
        # Enter → one confirmation → Enter.
        await key(window.inbox.table, Qt.Key.Key_Return)
        dialog = window.active_dialog
        assert dialog is not None and dialog.isVisible()
        await key(dialog, Qt.Key.Key_Return)
        decide_keystrokes = 2
        await until(lambda: cache.outbox_entries(item_id=item_id), what="outbox entry")
        entry = cache.outbox_entries(item_id=item_id)[0]
        assert entry.action == "journalise" and entry.decision.case_id == case_id
        assert entry.user == runtime.services.user
        # The worker hands it to the gateway (its own UUID as decision_id); the gateway holds
        # it and the inbox shows the delivery state.
        await until(
            lambda: cache.outbox_entries(item_id=item_id)[0].status == "delivered", 30, "delivery"
        )
        status = await runtime.services.gateway.status(reply_uuid)
        assert (status.decision, status.decision_id) == ("journalise", entry.transaction_id)
        assert status.state in ("afventer", "sendt", "accepteret")
        await until(
            lambda: (
                (r := window.inbox.model.cached_row(item_id)) is not None
                and r.delivery_state in ("afventer", "sendt", "accepteret")
                and window.inbox.model.index(
                    window.inbox.model.row_of(item_id), SortColumn.DELIVERY
                ).data()
                in ("Afventer", "Sendt", "Accepteret af DUBU")
            ),
            20,
            "delivery state in the inbox",
        )
        # The item shows the result; the status bar shows an empty outbox.
        await until(
            lambda: (
                (r := window.inbox.model.cached_row(item_id)) is not None
                and r.status == "journaliseret"
            ),
            20,
            "status in the inbox",
        )
        await until(lambda: window.outbox_label.text().endswith(" 0"), what="outbox count")
        assert keystrokes == window.inbox.model.row_of(item_id) + 1  # one J per row
        return 1 + decide_keystrokes

    # Reaching the next item (J) + Enter + Enter: 3 keystrokes per retursvar.
    assert run(loop, scenario(), 120) == 3


@pytest.mark.expect_log("asyncio", r"socket\.send\(\) raised exception")  # a peer gone at shutdown
def test_undo_assign_reject_forward_through_the_outbox(sandbox_runtime, loop, qtbot):
    runtime = sandbox_runtime
    cache = runtime.services.cache

    async def scenario() -> None:
        window = open_window(runtime, qtbot)
        runtime.services.outbox.stop()  # hold deliveries so the undo happens in time
        await until(lambda: window.inbox.model.rowCount() >= 12, 40, "sync")
        ids = window.inbox.model.ids()

        async def select(item_id: int) -> None:
            window.inbox.select_id(item_id)
            await until(
                lambda: (
                    window.detail is not None
                    and window.detail.item_id == item_id
                    and window.panel.assign_button.isEnabled()
                ),
                what="detail",
            )

        async def dialog_named(name: str) -> Any:
            await until(
                lambda: (
                    window.active_dialog is not None
                    and window.active_dialog.objectName() == name
                    and window.active_dialog.isVisible()
                ),
                20,
                name,
            )
            return window.active_dialog

        # Reject needs a reason.
        await select(ids[0])
        await key(window.inbox.table, Qt.Key.Key_A)
        dialog = await dialog_named("rejectDialog")
        assert not dialog.ok.isEnabled()
        dialog.reason.setEditText("Hører til Borgerservice")
        assert dialog.ok.isEnabled()
        await click(dialog.ok)
        await until(lambda: cache.outbox_entries(item_id=ids[0]), what="reject queued")
        assert cache.outbox_entries(item_id=ids[0])[0].decision == Reject("Hører til Borgerservice")
        # The selection moved on to the next item; Ctrl+Z still undoes the last decision
        # while it waits in the outbox.
        await until(lambda: window.inbox.current_id() == ids[1], what="auto-advance")
        await key(window.inbox.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        await until(
            lambda: cache.outbox_entries(item_id=ids[0])[0].status == "cancelled", what="undo"
        )
        await until(
            lambda: (r := window.inbox.model.cached_row(ids[0])) is not None and r.status == "ny",
            what="status back to ny",
        )
        # Assign to a caseworker.
        await select(ids[1])
        await key(window.inbox.table, Qt.Key.Key_F)
        dialog = await dialog_named("assignDialog")
        cw_id, _label = dialog.selected()
        await click(dialog.ok)
        await until(lambda: cache.outbox_entries(item_id=ids[1]), what="assign queued")
        assert cache.outbox_entries(item_id=ids[1])[0].decision.caseworker_id == cw_id
        # (the decision is queued before the selection moves on: wait for it, else the next
        # selection races with the auto-advance)
        await until(lambda: window.inbox.current_id() != ids[1], what="auto-advance")
        # Forward to a receiving system the gateway listed from SF2900 FordelingsmodtagerList.
        await select(ids[2])
        await key(window.inbox.table, Qt.Key.Key_V)
        dialog = await dialog_named("forwardDialog")
        names = [dialog.receiver.itemText(n) for n in range(dialog.receiver.count())]
        assert len(names) >= 3 and not any("DUBU" in n for n in names)
        if dialog.selected() is None:  # nothing suggested: the distributor picks one
            await key(dialog.receiver, Qt.Key.Key_Down)
        await click(dialog.ok)
        await until(lambda: cache.outbox_entries(item_id=ids[2]), what="forward queued")
        forward = cache.outbox_entries(item_id=ids[2])[0].decision
        assert isinstance(forward, Forward) and forward.receiver_id
        await until(lambda: window.inbox.current_id() != ids[2], what="auto-advance")
        # Bulk: two selected items rejected in one go.
        window.inbox.select_id(ids[3])
        window.inbox.table.selectionModel().select(
            window.inbox.model.index(window.inbox.model.row_of(ids[4]), 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
        assert set(window.inbox.selected_ids()) == {ids[3], ids[4]}
        await until(
            lambda: (
                window.detail is not None
                and window.detail.item_id == ids[3]
                and window.panel.reject_button.isEnabled()
            )
        )
        await key(window.inbox.table, Qt.Key.Key_A)
        dialog = await dialog_named("rejectDialog")
        dialog.reason.setCurrentIndex(1)
        await click(dialog.ok)
        risk = await dialog_named("riskDialog")  # several items: asked once more
        assert "2" in risk.label.text()
        await click(risk.ok)
        await until(
            lambda: cache.outbox_entries(item_id=ids[3]) and cache.outbox_entries(item_id=ids[4]),
            what="bulk reject",
        )
        # Journalise with a journal note (sent as an SF2900 JOURNALPOST).
        reply = next(i for i in ids[5:] if cache.item(i)["kind"] == "retursvar")
        await select(reply)
        await until(lambda: window.panel.selected_choice() is not None, what="suggestion")
        await key(window.inbox.table, Qt.Key.Key_Return)
        dialog = await dialog_named("journaliseDialog")
        dialog.add_note.setChecked(True)
        dialog.note_title.setText("Telefonnotat")
        dialog.note_text.setPlainText("Mor ringede og bekræftede mødet.")
        await click(dialog.ok)
        await until(lambda: cache.outbox_entries(item_id=reply), what="journalise queued")
        journalised = cache.outbox_entries(item_id=reply)[0].decision
        assert isinstance(journalised, Journalise)
        assert journalised.note == JournalNote(
            journalised.case_id, "Mor ringede og bekræftede mødet.", "Telefonnotat"
        )
        await until(lambda: window.inbox.current_id() != reply, what="auto-advance")
        # Assign to a team (no single caseworker).
        team_item = next(i for i in ids[5:] if i != reply)
        await select(team_item)
        await key(window.inbox.table, Qt.Key.Key_F)
        dialog = await dialog_named("assignDialog")
        team_index = next(
            n
            for n in range(dialog.picker.count())
            if dialog.picker.itemData(n)[0].startswith("team:")
        )
        dialog.picker.setCurrentIndex(team_index)
        await click(dialog.ok)
        await until(lambda: cache.outbox_entries(item_id=team_item), what="team assign")
        team = cache.outbox_entries(item_id=team_item)[0].decision
        assert isinstance(team, Assign) and team.caseworker_id.startswith("team:")
        # Deliver now (a fresh worker over the same parts): all reach the gateway.
        from app.core.outbox import OutboxWorker

        svc = runtime.services
        await OutboxWorker(svc.cache, svc.gateway, worker=svc.worker).run_once()
        decided = (*ids[1:5], reply, team_item)
        statuses = [cache.outbox_entries(item_id=i)[-1].status for i in decided]
        assert statuses == ["delivered"] * 6, statuses
        # the distributor's Afvis ends at the gateway: "Afsluttet (afvist af fordeler)"
        for i in ids[3:5]:
            assert cache.delivery(i).state == "afsluttet"
        uuid_reply = cache.item(reply)["message_uuid"]
        status = await svc.gateway.status(uuid_reply)
        assert status.decision == "journalise"
        entry = cache.outbox_entries(item_id=reply)[0]
        assert entry.decision.note.title == "Telefonnotat" and status.decision_id == (
            entry.transaction_id
        )

    run(loop, scenario(), 120)


def test_offline_state_and_working_from_the_cache(sandbox_runtime, loop, qtbot):
    runtime = sandbox_runtime
    faults_url = runtime.services.endpoints["gateway_faults"]
    ca = trust_context(runtime.services.endpoints["tls_ca"])  # the sandbox gateway is HTTPS
    syncer = runtime.services.syncer

    async def scenario() -> None:
        window = open_window(runtime, qtbot)
        await until(lambda: window.inbox.model.rowCount() >= 12, 40, "sync")
        await until(lambda: "Online" in window.state_label.text(), what="online")
        # The gateway starts failing: degraded, then offline after repeated failures.
        plan = {"http_500": 1.0, "targets": ["mailbox"]}
        await asyncio.to_thread(httpx.post, faults_url, json=plan, timeout=5, verify=ca)
        syncer.trigger()
        await until(lambda: "Online" not in window.state_label.text(), 20, "degraded")
        await until(lambda: "Offline" in window.state_label.text(), 30, "offline")
        assert window.state_label.toolTip()  # the plain-Danish reason
        # The inbox keeps working from the cache.
        item_id = window.inbox.model.item_id(0)
        window.inbox.select_id(item_id)
        await until(lambda: window.detail is not None and window.detail.item_id == item_id)
        assert window.preview.files.count() >= 1
        # The fault clears: back online.
        await asyncio.to_thread(httpx.post, faults_url, json={}, timeout=5, verify=ca)
        syncer.trigger()
        await until(lambda: "Online" in window.state_label.text(), 30, "online again")

    run(loop, scenario(), 120)


def test_enter_in_a_search_box_searches_and_does_not_journalise(window, filled, loop):
    backend, ids = filled
    rows = backend.queries.rows(ids)
    reply = next(i for i in ids if rows[i].kind == "retursvar")

    async def scenario() -> None:
        window.inbox.select_id(reply)
        await until(lambda: window.panel.top_choice() is not None, what="suggestion")
        searched: list[str] = []
        window.panel.searchRequested.connect(searched.append)
        window.panel.search.setFocus()
        window.panel.search.setText("27.24")
        await key(window.panel.search, Qt.Key.Key_Return)
        await asyncio.sleep(0.1)
        assert searched and window.active_dialog is None
        window.inbox.search.setFocus()
        await key(window.inbox.search, Qt.Key.Key_Return)
        assert window.active_dialog is None
        # J typed into the quick search is text, not "next item".
        current = window.inbox.current_id()
        await key(window.inbox.search, Qt.Key.Key_J)
        assert window.inbox.search.text().endswith("j") or window.inbox.search.text() == "j"
        assert window.inbox.current_id() == current

    run(loop, scenario())


def test_delivery_state_from_the_outbox_reaches_the_status_bar(window):
    """The outbox worker's connection state (to the gateway) is shown on the outbox counter."""
    from app.core.sync import ConnectionState, SyncStatus
    from app.ui.app import CoreEvents

    events = CoreEvents()
    events.outboxStatus.connect(window.set_delivery_state)
    message = "Offline: postserveren kan ikke nås. Næste forsøg om 4 s."
    events.on_outbox_status(SyncStatus(ConnectionState.OFFLINE, message))
    assert window.outbox_label.toolTip() == message
    assert "#c0392b" in window.outbox_label.styleSheet()
    events.on_outbox_status(SyncStatus(ConnectionState.ONLINE, "Leveret"))
    assert window.outbox_label.styleSheet() == ""


def test_backlog_and_caseworker_tabs_in_the_running_app(sandbox_runtime, loop, qtbot):
    """The team lead's overview and the caseworker list are tabs of the real window, fed by
    the same cache the sync fills."""
    runtime = sandbox_runtime
    cache = runtime.services.cache

    async def scenario() -> None:
        window = open_window(runtime, qtbot)
        await until(lambda: window.inbox.model.rowCount() >= 12, 40, "sync into the inbox")
        assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
            "Indbakke",
            "Overblik",
            "Fordelt til mig",
        ]
        window.tabs.setCurrentWidget(window.backlog_view)
        window.backlog_view.refresh()
        await until(lambda: window.backlog_view.report is not None, 20, "backlog report")
        summary = window.backlog_view.report.summary
        assert summary.open_total == cache.item_count() and summary.awaiting_decision > 0
        window.tabs.setCurrentIndex(0)

    run(loop, scenario(), 90)


def test_pdf_preview_in_the_tabbed_window_leaves_the_event_loop_free(tmp_path, loop, qtbot):
    """Regression: fit-to-width PDF pages with an as-needed scrollbar made QPdfView toggle its
    scrollbar forever at some window sizes (100 % CPU, asyncio timers starved, UI frozen).
    Reproduced with these letters in the full window at 1600x900 before the fix."""
    from app.sandbox.runner import SandboxConfig, SandboxThread
    from app.ui.app import backlog_service, connect_window, start_runtime
    from app.ui.settings import Settings

    lab = labels()
    picked = [
        u
        for u, v in sorted(lab.items())
        if v["kind"] == "nyhenvendelse" and "pdf" in v["notes"] and "large" not in v["notes"]
    ][:3]
    folder = tmp_path / "messages"
    folder.mkdir()
    for uuid in picked:
        shutil.copy(SANDBOX_MESSAGES / f"{uuid}.xml", folder / f"{uuid}.xml")
    config = SandboxConfig(messages_dir=folder, data_dir=tmp_path / "sb", store_in_keyring=False)
    runtime = run(
        loop, start_runtime(Settings(), sandbox=SandboxThread(config), sync_interval=1.0), 60
    )

    async def scenario() -> int:
        window = MainWindow(
            runtime.backend, Messages(), demo=True, backlog=backlog_service(runtime.backend)
        )
        qtbot.addWidget(window)
        connect_window(runtime, window)
        window.resize(1600, 900)
        window.show()
        window.show_first_run()
        window.inbox.refresh()
        await until(lambda: window.inbox.model.rowCount() == len(picked), 30, "rows")
        item = runtime.services.cache.item_id_for_uuid(picked[0])
        window.inbox.select_id(item)
        await until(lambda: window.detail is not None and window.detail.item_id == item)
        assert window.preview.show_file_of_type("application/pdf")
        started, ticks = loop.time(), 0
        while loop.time() - started < 1.0:
            await asyncio.sleep(0.02)
            ticks += 1
        window.close()
        return ticks

    try:
        assert run(loop, scenario(), 60) > 20  # the loop keeps serving timers (4 when frozen)
    finally:
        run(loop, runtime.close(), 60)


def test_a_selection_starts_loading_its_item_before_the_loop_turns(window, filled, loop):
    """The key press itself hands the item to the read thread (the UI thread then paints the
    selection while it loads): the load is under way before the event loop runs again, and the
    item is shown once it does. Moving on at once drops the first load's answer."""
    backend, _ids = filled
    started: dict[int, threading.Event] = {}
    facts = backend.cache.facts

    def watched(item_id: int) -> Any:
        started.setdefault(item_id, threading.Event()).set()
        return facts(item_id)

    backend.cache.facts = watched
    shown: list[int] = []
    window.detailShown.connect(shown.append)
    window.inbox.table.setFocus()
    QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
    first = window.inbox.current_id()
    assert first is not None
    # No run(loop, ...) yet: only the read thread can have set this.
    assert started.setdefault(first, threading.Event()).wait(10), "the load waited for the loop"
    QTest.keyClick(window.inbox.table, Qt.Key.Key_J)
    second = window.inbox.current_id()
    assert second != first
    assert started.setdefault(second, threading.Event()).wait(10)
    run(loop, until(lambda: second in shown, what="second item shown"))
    assert first not in shown  # its answer arrived for nobody
    assert window.detail is not None and window.detail.item_id == second
