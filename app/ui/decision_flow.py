"""Decisions from the main window: journalise, assign, reject, forward, undo and read marks.

`DecisionFlow` opens the small decision dialog for the current item (or the selected items),
turns what the distributor chose into outbox entries through the backend, publishes what that
changed once on the window's `ChangeBus` (the views refresh themselves from it) and shows the
current item's decision state ("afventer", then the result) on the suggestion panel. It never
opens a database session or a network client itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.core.changes import OpChanges
from app.decisions import (
    Assign,
    Decision,
    DecisionError,
    Forward,
    Journalise,
    JournalNote,
    Reject,
)
from app.dubu import routing
from app.models.schema import ItemStatus, OutboxStatus
from app.sf1606.gateway_client import GatewayRefused, GatewayUnavailable
from app.ui import labels
from app.ui.backend import ItemDetail, UiBackend
from app.ui.dialogs import (
    AssignDialog,
    ForwardDialog,
    JournaliseDialog,
    NewCaseDialog,
    RejectDialog,
    RiskDialog,
)
from app.ui.inbox_pane import InboxPane
from app.ui.suggestion_panel import SuggestionPanel
from app.ui.suggestions import CaseChoice
from app.ui.tasks import ChangeBus, Messages, spawn
from app.ui.undo_notice import UndoNotice

# Below this confidence a suggestion is not safe to journalise on with Enter, Enter.
RISKY_SCORE = 0.5
UNDO_KEEP = 100  # decisions Ctrl+Z can go back through


class DecisionHost(Protocol):
    """What the decisions need of the main window."""

    backend: UiBackend
    messages: Messages
    changes: ChangeBus
    inbox: InboxPane
    panel: SuggestionPanel
    detail: ItemDetail | None  # the item on screen

    def open_dialog(self, dialog: Any, on_accept: Callable[[], None]) -> None: ...


class DecisionFlow(QObject):
    """Dialogs → backend for the window's decisions; Ctrl+Z undoes the last one."""

    decisionQueued = Signal(int, int)  # item id, outbox id

    def __init__(self, window: QWidget, host: DecisionHost) -> None:
        super().__init__(window)
        self.window = window  # the dialogs' parent
        self.host = host
        self.backend = host.backend
        self.messages = host.messages
        self.inbox = host.inbox
        self.panel = host.panel
        self.changes = host.changes
        # each decision made here: its (item id, outbox id) pairs and the decision, for Ctrl+Z
        self._last_decisions: list[tuple[list[tuple[int, int]], Decision]] = []
        self.notice = UndoNotice(window)
        self.notice.undoRequested.connect(self.undo)
        status_bar = getattr(window, "statusBar", None)
        if status_bar is not None:
            status_bar().insertPermanentWidget(0, self.notice)

    @property
    def detail(self) -> ItemDetail | None:
        return self.host.detail

    def _targets(self) -> list[int]:
        ids = self.inbox.selected_ids()
        current = self.inbox.current_id()
        if current is not None and current not in ids:
            ids = [current]
        return ids

    def _open(self, dialog: Any, on_accept: Any) -> None:
        self.host.open_dialog(dialog, on_accept)

    # ------------------------------------------------------------------ state
    def show_state(self, detail: ItemDetail) -> None:
        """Which decisions the panel offers for the item, and its pending or last decision."""
        row = detail.row
        pending = detail.open_outbox
        last = detail.last_outbox
        decidable = row.status in (ItemStatus.NEW, ItemStatus.FAILED) and pending is None
        claimed_by_other = bool(row.claimed_by) and row.claimed_by != self.backend.user
        undoable = (
            pending is not None and pending.status == OutboxStatus.PENDING and pending.attempts == 0
        )
        self.panel.set_decidable(decidable and not claimed_by_other, undoable)
        text = ""
        if pending is not None:
            text = self.tr("<b>Afventer</b> afsendelse: %1").replace(
                "%1", _describe(pending.decision)
            )
            if pending.last_error:
                text += "<br>" + self.tr("Seneste forsøg: %1").replace("%1", pending.last_error)
        elif row.status == ItemStatus.FAILED:
            text = self.tr("<b>Fejlet:</b> %1").replace("%1", row.status_note or "")
        elif row.status != ItemStatus.NEW and last is not None:
            text = "<b>" + labels.status_label(row.status) + "</b>: " + _describe(last.decision)
        if claimed_by_other:
            text += "<br>" + self.tr("Låst af %1 – du kan ikke handle på det.").replace(
                "%1", row.claimed_by or ""
            )
        self.panel.set_state_text(text)

    # ------------------------------------------------------------------ decisions
    def journalise(self) -> None:
        choice = self.panel.selected_choice()
        ids = self._targets()
        if choice is None or not ids or not self.panel.journalise_button.isEnabled():
            return
        dialog = JournaliseDialog(choice, len(ids), parent=self.window)

        def accepted() -> None:
            note = dialog.note()
            try:
                decision = Journalise(
                    case_id=choice.case_id,
                    case_number=choice.case_number,
                    note=JournalNote(choice.case_id, note["text"], note["title"]) if note else None,
                )
            except DecisionError as exc:
                self.messages.show_error(labels.action_label(Journalise.action), str(exc))
                return
            self._confirm(ids, decision, self.risks(choice))

        self._open(dialog, accepted)

    def risks(self, choice: CaseChoice | None) -> list[str]:
        """Why journalising on `choice` is risky (empty: it is safe, no second question)."""
        out: list[str] = []
        if choice is None:
            return out
        if not choice.is_open:
            out.append(self.tr("Sagen %1 er lukket.").replace("%1", choice.case_number))
        if choice.found_by_search:
            out.append(self.tr("Sagen er fundet ved søgning – den er ikke foreslået."))
        elif choice.score is not None and choice.score < RISKY_SCORE:
            out.append(
                self.tr("Forslaget er kun %1 % sikkert.").replace(
                    "%1", str(round(choice.score * 100))
                )
            )
        return out

    def _confirm(self, item_ids: list[int], decision: Decision, risks: list[str]) -> None:
        """Decide at once when it is safe; else ask once more (Annullér the default)."""
        if len(item_ids) > 1:
            risks = [
                *risks,
                self.tr("Beslutningen gælder %1 valgte elementer.").replace(
                    "%1", str(len(item_ids))
                ),
            ]
        if not risks:
            self._decide(item_ids, decision)
            return
        dialog = RiskDialog(labels.action_label(decision.action), risks, len(item_ids), self.window)
        self._open(dialog, lambda: self._decide(item_ids, decision))

    def assign(self) -> None:
        ids = self._targets()
        if not ids or not self.panel.assign_button.isEnabled():
            return

        async def run() -> None:
            workers = await self.backend.caseworkers()
            choice = self.panel.selected_choice()
            dialog = AssignDialog(
                workers, choice.caseworker_id if choice else None, len(ids), self.window
            )

            def accepted() -> None:
                selected = dialog.selected()
                if not selected:
                    return
                case = choice if len(ids) == 1 else None
                try:
                    decision = Assign(
                        caseworker_id=selected[0],
                        caseworker_label=selected[1],
                        case_id=case.case_id if case is not None else None,
                        case_number=case.case_number if case is not None else None,
                    )
                except DecisionError as exc:
                    self.messages.show_error(labels.action_label(Assign.action), str(exc))
                    return
                self._confirm(ids, decision, [])

            self._open(dialog, accepted)

        spawn(run(), self.tr("Fordel"), self.messages)

    def new_case(self) -> None:
        """N / "Ny sag…": the letter to DUBU without a case, for the chosen caseworker to
        create the child's case from it (or reopen a closed one)."""
        ids = self._targets()
        if len(ids) != 1 or not self.panel.new_case_button.isEnabled():
            if len(ids) > 1:
                self.messages.show_info(self.tr("Opret ny sag gælder ét element ad gangen."))
            return
        view = self.panel.suggested()

        async def run() -> None:
            workers = await self.backend.caseworkers()
            closed = [c for c in view.choices if not c.is_open]
            kles = [c.kle for c in view.choices if c.kle] + [routing.DEFAULT_KLE]
            first = closed[0] if closed else (view.choices[0] if view.choices else None)
            dialog = NewCaseDialog(
                workers,
                closed,
                kles,
                first.caseworker_id if first else None,
                view.note,
                self.window,
            )

            def accepted() -> None:
                selected = dialog.selected()
                if not selected:
                    return
                reopen = dialog.reopen()
                try:
                    decision = Assign(
                        caseworker_id=selected[0],
                        caseworker_label=selected[1],
                        new_case_kle=dialog.chosen_kle(),
                        reopen_case_number=reopen.case_number if reopen else None,
                    )
                except DecisionError as exc:
                    self.messages.show_error(self.tr("Opret ny sag"), str(exc))
                    return
                self._confirm(ids, decision, [])

            self._open(dialog, accepted)

        spawn(run(), self.tr("Opret ny sag"), self.messages)

    def reject_items(self) -> None:
        ids = self._targets()
        if not ids or not self.panel.reject_button.isEnabled():
            return
        dialog = RejectDialog(len(ids), self.window)

        def accepted() -> None:
            if not dialog.text():
                return
            try:
                decision = Reject(reason=dialog.text())
            except DecisionError as exc:
                self.messages.show_error(labels.action_label(Reject.action), str(exc))
                return
            self._confirm(ids, decision, [])

        self._open(dialog, accepted)

    def forward(self) -> None:
        ids = self._targets()
        if not ids or not self.panel.forward_button.isEnabled():
            return

        async def run() -> None:
            try:
                receivers = await self.backend.receivers()
            except (GatewayUnavailable, GatewayRefused) as exc:
                self.messages.show_error(
                    self.tr("Videresend"),
                    self.tr("Listen over modtagere kan ikke hentes fra gatewayen: %1").replace(
                        "%1", str(exc)
                    ),
                )
                return
            view = self.panel.suggested()
            kles = {r[0]: r[2] for r in receivers if len(r) > 2}
            pairs = [(r[0], r[1]) for r in receivers]
            suggested = routing.suggested_receiver(pairs, view.receiver, view.receiver_kle, kles)
            dialog = ForwardDialog(pairs, suggested, len(ids), self.window, hint=view.receiver)

            def accepted() -> None:
                selected = dialog.selected()
                if not selected:
                    return
                try:
                    decision = Forward(
                        receiver_id=selected[0],
                        receiver_label=selected[1],
                        comment=dialog.comment.text(),
                    )
                except DecisionError as exc:
                    self.messages.show_error(labels.action_label(Forward.action), str(exc))
                    return
                self._confirm(ids, decision, [])

            self._open(dialog, accepted)

        spawn(run(), self.tr("Videresend"), self.messages)

    def _decide(self, item_ids: list[int], decision: Decision) -> None:
        action = decision.action

        async def run() -> None:
            failures = []
            changed: list[OpChanges] = []
            batch: list[tuple[int, int]] = []
            for item_id in item_ids:
                try:
                    queued = await self.backend.enqueue(item_id, decision)
                except Exception as exc:
                    failures.append(str(exc))
                    # A refused claim records who holds the item instead.
                    changed.append(OpChanges(frozenset({item_id}), claims=True))
                    continue
                outbox_id = queued.value
                changed.append(queued.changes)
                self.decisionQueued.emit(item_id, outbox_id)
                batch.append((item_id, outbox_id))
            if batch:
                self._last_decisions.append((batch, decision))
                del self._last_decisions[:-UNDO_KEEP]  # long sent, beyond undoing anyway
            self.changes.publish(OpChanges.merge_all(changed))
            if batch:
                self.notice.show_decision(
                    self._done_text(decision, len(batch)), self.backend.undo_hold
                )
            if failures:
                self.messages.show_error(labels.action_label(action), failures[0])
            else:
                self.messages.show_info(
                    self.tr("%1: lagt i udbakken (Ctrl+Z fortryder)").replace(
                        "%1", labels.action_label(action)
                    )
                )
            # On to the next item, unless the distributor already picked another one.
            if len(item_ids) == 1 and not failures and self.inbox.current_id() == item_ids[0]:
                self.inbox.move(1)

        spawn(run(), labels.action_label(action), self.messages)

    def _done_text(self, decision: Decision, count: int) -> str:
        """What was decided, as the undo notice says it ("Journaliseret på sag …")."""
        match decision:
            case Journalise(case_number=number, case_id=case_id):
                text = self.tr("Journaliseret på sag %1").replace("%1", number or case_id)
            case Assign(
                caseworker_label=label, caseworker_id=cw_id, reopen_case_number=str(reopen)
            ):
                text = (
                    self.tr("Sendt til DUBU: %1 genåbner sag %2")
                    .replace("%1", label or cw_id)
                    .replace("%2", reopen)
                )
            case Assign(caseworker_label=label, caseworker_id=cw_id, new_case_kle=str()):
                text = self.tr("Sendt til DUBU: %1 opretter en ny sag").replace(
                    "%1", label or cw_id
                )
            case Assign(caseworker_label=label, caseworker_id=cw_id, case_id=None):
                text = self.tr("Fordelt til %1 uden sag").replace("%1", label or cw_id)
            case Assign(caseworker_label=label, caseworker_id=cw_id):
                text = self.tr("Fordelt til %1").replace("%1", label or cw_id)
            case Forward(receiver_label=label, receiver_id=rid, kle=kle):
                text = self.tr("Videresendt til %1").replace("%1", label or rid or kle or "")
            case Reject():
                text = self.tr("Afvist som fejlsendt")
            case JournalNote(case_id=case_id):
                text = self.tr("Journalnotat på sag %1").replace("%1", case_id)
            case _:
                text = labels.action_label(decision.action)
        if count > 1:
            text = self.tr("%1 elementer: %2").replace("%1", str(count)).replace("%2", text)
        return text

    def undo(self) -> None:
        """Ctrl+Z: undo the last decision made here (all its items), whatever is selected."""
        if not self._last_decisions:
            self.messages.show_info(self.tr("Der er ingen beslutning at fortryde."))
            self.notice.show_text(self.tr("Der er ingen beslutning at fortryde."))
            return
        batch, decision = self._last_decisions.pop()
        self._undo(batch, decision)

    def undo_current(self) -> None:
        """The panel's Fortryd: undo the pending decision of the item on screen."""
        detail = self.detail
        pending = detail.open_outbox if detail else None
        if detail is None or pending is None:
            self.undo()
            return
        target = (detail.item_id, pending.id)
        for n, (batch, _decision) in enumerate(self._last_decisions):
            if target in batch:
                batch.remove(target)
                if not batch:
                    del self._last_decisions[n]
                break
        self._undo([target], pending.decision)

    def _undo(self, batch: list[tuple[int, int]], decision: Decision) -> None:
        what = self._done_text(decision, len(batch))

        async def run() -> None:
            undone_ids: list[int] = []
            changed: list[OpChanges] = []
            for item_id, outbox_id in batch:
                undone = await self.backend.undo(item_id, outbox_id)
                changed.append(undone.changes)
                if undone.value:
                    undone_ids.append(item_id)
            self.changes.publish(OpChanges.merge_all(changed))
            if len(undone_ids) == len(batch):
                text = self.tr("Fortrudt: %1").replace("%1", what)
            elif not undone_ids:
                text = self.tr("For sent at fortryde: handlingen er sendt.")
            else:
                text = (
                    self.tr("%1 af %2 fortrudt; resten er sendt.")
                    .replace("%1", str(len(undone_ids)))
                    .replace("%2", str(len(batch)))
                )
            self.messages.show_info(text)
            self.notice.show_text(text)
            if len(undone_ids) == 1:  # back to the item, to decide it again
                self.inbox.select_id(undone_ids[0])

        spawn(run(), self.tr("Fortryd"), self.messages)

    def toggle_read(self) -> None:
        ids = self._targets()
        rows = [self.inbox.model.cached_row(i) for i in ids]
        read = not all(r.read for r in rows if r is not None)

        async def run() -> None:
            self.changes.publish(await self.backend.mark_read(ids, read))

        spawn(run(), self.tr("Læst/ulæst"), self.messages)


def _describe(decision: Decision) -> str:
    """One line for a decision: the action and what it targets."""
    match decision:
        case Journalise(case_number=number, case_id=case_id):
            target = number or case_id
        case Assign(caseworker_label=label, caseworker_id=cw_id, case_number=number):
            who = label or cw_id
            target = f"{who} · {number}" if number else who
        case Forward(receiver_label=label, receiver_id=receiver_id, kle=kle):
            target = label or receiver_id or kle or ""
        case Reject(reason=reason):
            target = reason
        case JournalNote(title=title, case_id=case_id):
            target = title or case_id
    return f"{labels.action_label(decision.action)} {target}".strip()
