"""The caseworker's "Fordelt til mig": what was distributed to one person and still needs
journalising, oldest first, with its age in working days (journaliseringspligt).

Fed a service with `async caseworkers() -> list[CaseworkerChoice]` and
`async caseworker_items(caseworker_id, include_done) -> tuple[CaseworkerItem, ...]` (see
`app.ui.backlog_service.BacklogService`); double-click or Enter emits `open_item(item_id)` so the
main window can show the item. Never opens a database session or a thread itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeySequence, QPalette, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import OpChanges
from app.models.backlog import GOAL_WORKDAYS, CaseworkerItem
from app.models.inbox import LOCAL_TZ, local_date
from app.ui import labels
from app.ui.backlog_service import CaseworkerChoice
from app.ui.rows_model import RowsModel
from app.ui.tasks import Messages, spawn

ALERT = QColor("#c0392b")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2


class CaseworkerSource(Protocol):
    async def caseworkers(self) -> list[CaseworkerChoice]: ...

    async def caseworker_items(
        self, caseworker_id: str, include_done: bool = False
    ) -> tuple[CaseworkerItem, ...]: ...


class CaseworkerItemsModel(RowsModel):
    """Read-only rows of a caseworker's items."""

    RECEIVED, ASSIGNED, AGE, KIND, SENDER, SUBJECT, STATUS = range(7)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                QCoreApplication.translate("CaseworkerView", "Modtaget"),
                QCoreApplication.translate("CaseworkerView", "Fordelt"),
                QCoreApplication.translate("CaseworkerView", "Alder"),
                QCoreApplication.translate("CaseworkerView", "Type"),
                QCoreApplication.translate("CaseworkerView", "Afsender"),
                QCoreApplication.translate("CaseworkerView", "Emne"),
                QCoreApplication.translate("CaseworkerView", "Status"),
            ],
            parent,
        )

    def item(self, position: int) -> CaseworkerItem:
        return self._rows[position]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        row = self._row_at(index)
        if row is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(row, column)
        if role == ID_ROLE:
            return row.id
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.SUBJECT:
                return labels.plain_tooltip(row.label)
            if column == self.STATUS and row.status_note:
                return labels.plain_tooltip(row.status_note)
            if column == self.AGE:
                return labels.workdays_label(row.age_workdays)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.AGE and row.age_workdays > GOAL_WORKDAYS:
                return QBrush(ALERT)
            if column == self.STATUS and row.status == "fejlet":
                return QBrush(ALERT)
            if column == self.STATUS and row.status == "afventer":
                return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.AGE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _when(moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(LOCAL_TZ).strftime("%d.%m.%Y %H:%M")

    def _display(self, row: CaseworkerItem, column: int) -> str:
        if column == self.RECEIVED:
            return self._when(row.received_at)
        if column == self.ASSIGNED:
            return self._when(row.assigned_at)
        if column == self.AGE:
            return QCoreApplication.translate("CaseworkerView", "%1 d").replace(
                "%1", str(row.age_workdays)
            )
        if column == self.KIND:
            return labels.kind_label(row.kind)
        if column == self.SENDER:
            return row.sender_label
        if column == self.SUBJECT:
            return row.label
        text = labels.status_label(row.status)
        if row.decided_case_number:
            text = f"{text} · {row.decided_case_number}"
        return text

    def _sort_key(self, row: CaseworkerItem, column: int) -> object:
        epoch = datetime.fromtimestamp(0, UTC)
        if column == self.RECEIVED:
            return row.received_at.timestamp()
        if column == self.ASSIGNED:
            return (row.assigned_at or epoch).timestamp()
        if column == self.AGE:
            return row.age_workdays
        return self._display(row, column).casefold()


class CaseworkerView(QWidget):
    """Caseworker picker + that person's distributed, not yet journalised items."""

    open_item = Signal(int)  # item id (double-click / Enter)
    loaded = Signal(int)  # number of items shown

    def __init__(
        self,
        source: CaseworkerSource,
        messages: Messages | None = None,
        parent: QWidget | None = None,
        *,
        current_user_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseworkerView")
        self.source = source
        self.messages = messages
        self.current_user_id = current_user_id
        self.choices: list[CaseworkerChoice] = []
        self._task: asyncio.Task[Any] | None = None
        self._again = False
        self._loaded_choices = False

        self.picker = QComboBox(self)
        self.picker.setObjectName("caseworkerPicker")
        self.picker.setAccessibleName(self.tr("Sagsbehandler"))
        self.picker.setMinimumContentsLength(44)
        self.picker.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        picker_label = QLabel(self.tr("&Sagsbehandler:"), self)
        picker_label.setBuddy(self.picker)
        self.include_done = QCheckBox(self.tr("Vis også &behandlede"), self)
        self.include_done.setObjectName("caseworkerIncludeDone")
        self.include_done.setAccessibleName(self.tr("Vis også behandlede elementer"))
        self.refresh_button = QPushButton(self.tr("Opdatér"), self)
        self.refresh_button.setObjectName("caseworkerRefresh")
        self.refresh_button.setAccessibleName(self.tr("Opdatér listen"))
        self.refresh_button.setToolTip(self.tr("Opdatér listen (F5)"))
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.reload)
        top = QHBoxLayout()
        top.addWidget(picker_label)
        top.addWidget(self.picker)
        top.addWidget(self.include_done)
        top.addStretch(1)
        top.addWidget(self.refresh_button)

        self.summary = QLabel("", self)
        self.summary.setObjectName("caseworkerSummary")
        self.summary.setWordWrap(True)

        self.model = CaseworkerItemsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("caseworkerItems")
        self.table.setAccessibleName(self.tr("Fordelt til sagsbehandleren"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(CaseworkerItemsModel.AGE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        head = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(CaseworkerItemsModel.SUBJECT, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._on_activated)
        self.table.activated.connect(self._on_activated)

        column = QVBoxLayout(self)
        column.setContentsMargins(10, 8, 10, 8)
        column.addLayout(top)
        column.addWidget(self.summary)
        column.addWidget(self.table, 1)
        self.setTabOrder(self.picker, self.include_done)
        self.setTabOrder(self.include_done, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.table)

        self.picker.currentIndexChanged.connect(lambda _i: self.reload())
        self.include_done.toggled.connect(lambda _on: self.reload())
        self.refresh_button.clicked.connect(self.refresh)

    # ------------------------------------------------------------------ choices
    def set_choices(self, choices: Sequence[CaseworkerChoice]) -> None:
        """Fill the picker, keeping the current person (or the signed-in user's own id)."""
        keep = self.current_caseworker() or self.current_user_id
        self.choices = list(choices)
        self.picker.blockSignals(True)
        self.picker.clear()
        for choice in self.choices:
            text = choice.label
            if choice.team:
                text = f"{text} – {choice.team}"
            if choice.open_count:
                text = f"{text} ({choice.open_count})"
            self.picker.addItem(text, choice.id)
        index = self.picker.findData(keep) if keep else -1
        self.picker.setCurrentIndex(index if index >= 0 else (0 if self.choices else -1))
        self.picker.blockSignals(False)

    def current_caseworker(self) -> str | None:
        data = self.picker.currentData()
        return str(data) if data else None

    def select_caseworker(self, caseworker_id: str) -> bool:
        index = self.picker.findData(caseworker_id)
        if index < 0:
            return False
        self.picker.setCurrentIndex(index)  # reloads through currentIndexChanged
        return True

    def show_items(self, items: Sequence[CaseworkerItem]) -> None:
        self.model.set_rows(items)
        name = self.picker.currentText().split(" – ")[0].split(" (")[0]
        over = sum(1 for i in items if i.age_workdays > GOAL_WORKDAYS)
        if not items:
            text = self.tr("Intet fordelt til %1 mangler at blive journaliseret.").replace(
                "%1", name or "–"
            )
        else:
            text = (
                self.tr("%n element(er) fordelt til %1", "", len(items)).replace("%1", name)
                + " · "
                + self.tr("%1 ældre end %2 arbejdsdage")
                .replace("%1", str(over))
                .replace("%2", str(GOAL_WORKDAYS))
            )
            if items:
                oldest = min(items, key=lambda i: i.received_at)
                text += " · " + self.tr("ældste modtaget %1").replace(
                    "%1", local_date(oldest.received_at).strftime("%d.%m.%Y")
                )
        self.summary.setText(text)
        self.loaded.emit(len(items))

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        """Reload the caseworker list and the current person's items."""
        self._loaded_choices = False
        self.reload()

    def reload(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = spawn(self._reload(), self.tr("Hent fordelte elementer"), self.messages)

    async def _reload(self) -> None:
        if not self._loaded_choices:
            self.set_choices(await self.source.caseworkers())
            self._loaded_choices = True
        caseworker_id = self.current_caseworker()
        items: tuple[CaseworkerItem, ...] = ()
        if caseworker_id:
            items = await self.source.caseworker_items(caseworker_id, self.include_done.isChecked())
        if caseworker_id == self.current_caseworker():
            self.show_items(items)
        if self._again:
            self._again = False
            self._task = None
            self.reload()

    def apply_changes(self, changes: OpChanges) -> None:
        """Decisions and deliveries change what each caseworker holds: refresh while on screen
        (a hidden view refreshes when it is shown)."""
        if self.isVisible() and (changes.membership or changes.counts or changes.outbox):
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _on_activated(self, index: QModelIndex) -> None:
        item_id = index.data(ID_ROLE)
        if item_id is not None:
            self.open_item.emit(int(item_id))
