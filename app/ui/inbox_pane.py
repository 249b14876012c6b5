"""The inbox pane: saved views, quick search, filters and the item table.

It owns an `InboxModel` and asks the backend for a new ID list whenever the view, a filter,
the search text or the sort changes (all in SQL, off the UI thread). It keeps the selection by
item ID across refreshes and emits `currentItemChanged` / `selectionChanged` with item IDs only.
What an operation changed (`OpChanges`) reaches it through `apply_changes`.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTabBar,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import OpChanges
from app.models.inbox import (
    SAVED_VIEWS,
    UNASSIGNED,
    UNCLAIMED,
    VIEWS_BY_KEY,
    InboxFilter,
    SortColumn,
)
from app.models.schema import ItemStatus
from app.ui import labels
from app.ui.backend import UiBackend
from app.ui.inbox_model import ID_ROLE, PAGE, InboxModel
from app.ui.tasks import Messages, spawn

ANY = None
MIN_COLUMN = 36
# Columns that give up width on a narrow pane (the date, age and status keep theirs).
SHRINKING = (
    SortColumn.KIND,
    SortColumn.SENDER,
    SortColumn.SUBJECT,
    SortColumn.CONTACT_POINT,
    SortColumn.SUGGESTION,
    SortColumn.DELIVERY,
)
DEFAULT_WIDTHS = {
    SortColumn.RECEIVED: 92,
    SortColumn.KIND: 100,
    SortColumn.SENDER: 120,
    SortColumn.SUBJECT: 180,
    SortColumn.CONTACT_POINT: 96,
    SortColumn.SUGGESTION: 116,
    SortColumn.AGE: 44,
    SortColumn.STATUS: 90,
    SortColumn.DELIVERY: 120,
}


class InboxPane(QWidget):
    currentItemChanged = Signal(object)  # item id or None
    selectionChanged = Signal(list)  # item ids
    refreshed = Signal(int)  # number of items shown

    def __init__(
        self, backend: UiBackend, messages: Messages, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.messages = messages
        self.model = InboxModel(backend.rows, self)
        self.view_key = "ufordelte"
        self.scope = InboxFilter()  # what this client receives (settings: contact points)
        self._refresh_task: asyncio.Task[None] | None = None
        self._refresh_again = False
        self._counted = False
        self._counts_task: asyncio.Task[None] | None = None
        self._count_again = False
        self._current: int | None = None
        self._build()
        self.model.sortRequested.connect(lambda *_: self.refresh())

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        self.tabs = QTabBar(self)
        self.tabs.setObjectName("savedViews")
        self.tabs.setAccessibleName(self.tr("Gemte visninger"))
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for view in SAVED_VIEWS:
            index = self.tabs.addTab(labels.view_label(view.key))
            self.tabs.setTabData(index, view.key)
        self.tabs.currentChanged.connect(self._on_tab)
        layout.addWidget(self.tabs)

        row = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setObjectName("quickSearch")
        self.search.setPlaceholderText(self.tr("Søg i afsender, emne og tekst (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Hurtigsøgning"))
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        row.addWidget(self.search, 1)
        self.filter_button = QToolButton(self)
        self.filter_button.setText(self.tr("Filtre"))
        self.filter_button.setCheckable(True)
        self.filter_button.setAccessibleName(self.tr("Vis filtre"))
        row.addWidget(self.filter_button)
        layout.addLayout(row)

        self.filters = QWidget(self)
        frow = QGridLayout(self.filters)  # two rows of three: narrow enough for any pane
        frow.setContentsMargins(0, 0, 0, 0)
        self.kind_box = self._combo(
            self.tr("Type"),
            [
                (self.tr("Alle typer"), ANY),
                *[(labels.kind_label(k), k) for k in ("retursvar", "nyhenvendelse", "videresendt")],
            ],
        )
        self.status_box = self._combo(
            self.tr("Status"),
            [
                (self.tr("Alle statusser"), ANY),
                *[(labels.status_label(s), s) for s in ItemStatus.ALL],
            ],
        )
        self.cp_box = self._combo(self.tr("Kontaktpunkt"), [(self.tr("Alle kontaktpunkter"), ANY)])
        self.age_box = self._combo(
            self.tr("Alder"),
            [
                (self.tr("Alle aldre"), ANY),
                (self.tr("Over 1 arbejdsdag"), 1),
                (self.tr("Over 2 arbejdsdage"), 2),
                (self.tr("Over 5 arbejdsdage"), 5),
                (self.tr("Over 10 arbejdsdage"), 10),
            ],
        )
        self.assignee_box = self._combo(
            self.tr("Sagsbehandler"),
            [(self.tr("Alle sagsbehandlere"), ANY), (self.tr("Ingen"), UNASSIGNED)],
        )
        self.claim_box = self._combo(
            self.tr("Låst af"), [(self.tr("Alle låse"), ANY), (self.tr("Ikke låst"), UNCLAIMED)]
        )
        for n, box in enumerate(
            (
                self.kind_box,
                self.status_box,
                self.cp_box,
                self.age_box,
                self.assignee_box,
                self.claim_box,
            )
        ):
            frow.addWidget(box, n // 3, n % 3)
        self.filters.setVisible(False)
        self.filter_button.toggled.connect(self.filters.setVisible)
        layout.addWidget(self.filters)

        self.table = QTableView(self)
        self.table.setObjectName("inboxTable")
        self.table.setAccessibleName(self.tr("Indbakke"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            SortColumn.RECEIVED, Qt.SortOrder.DescendingOrder
        )
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(MIN_COLUMN)
        self._fitting = False
        self.default_columns()
        header.sectionResized.connect(self._on_section_resized)
        self.table.viewport().installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.selectionChanged.emit(self.selected_ids())
        )
        layout.addWidget(self.table, 1)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("inboxCount")
        layout.addWidget(self.count_label)

    def default_columns(self) -> None:
        """The default widths, fitted to the pane until the distributor drags a column."""
        self.auto_columns = True
        header = self.table.horizontalHeader()
        for column in DEFAULT_WIDTHS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SortColumn.SUBJECT, QHeaderView.ResizeMode.Stretch)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Default widths, shrunk in proportion when the pane is narrower than their sum (a
        1366-wide screen), so no column hides behind a horizontal scrollbar; the subject
        takes what is left."""
        if not self.auto_columns:
            return
        header = self.table.horizontalHeader()
        fixed = sum(w for c, w in DEFAULT_WIDTHS.items() if c not in SHRINKING)
        shrinking = sum(DEFAULT_WIDTHS[c] for c in SHRINKING)
        room = self.table.viewport().width() - fixed
        factor = min(1.0, room / shrinking) if room > 0 else 1.0
        self._fitting = True
        try:
            for column, default in DEFAULT_WIDTHS.items():
                width = (
                    max(MIN_COLUMN + 20, int(default * factor)) if column in SHRINKING else default
                )
                if column != SortColumn.SUBJECT:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column != SortColumn.SUBJECT and self.table.isVisible():
            self.auto_columns = False  # a person dragged a column: keep their widths

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def _combo(self, name: str, entries: list[tuple[str, object]]) -> QComboBox:
        box = QComboBox(self)
        # Short, elided entries: showing the filters never widens the pane (or the window).
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(3)
        box.setAccessibleName(name)
        box.setToolTip(name)
        for text, data in entries:
            box.addItem(text, data)
        box.currentIndexChanged.connect(lambda _i: self.refresh())
        return box

    # ------------------------------------------------------------------ state
    def current_filter(self) -> InboxFilter:
        base = self.scope.merged(VIEWS_BY_KEY[self.view_key].filter)
        user = InboxFilter(
            kinds=_one(self.kind_box.currentData()),
            statuses=_one(self.status_box.currentData()),
            contact_points=_one(self.cp_box.currentData()),
            older_than_workdays=self.age_box.currentData(),
            assignee=self.assignee_box.currentData(),
            claimed_by=self.claim_box.currentData(),
            search=self.search.text(),
        )
        return base.merged(user)

    def set_view(self, key: str) -> None:
        for index in range(self.tabs.count()):
            if self.tabs.tabData(index) == key:
                self.tabs.setCurrentIndex(index)
                return

    def _on_tab(self, index: int) -> None:
        self.view_key = self.tabs.tabData(index) or "ufordelte"
        self.refresh()

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [i for r in rows if (i := self.model.item_id(r)) is not None]

    def current_id(self) -> int | None:
        return self._current

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item_id = current.data(ID_ROLE) if current.isValid() else None
        if item_id != self._current:
            self._current = item_id
            self.currentItemChanged.emit(item_id)

    def select_id(self, item_id: int) -> bool:
        row = self.model.row_of(item_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def move(self, step: int) -> None:
        current = self.table.currentIndex()
        row = current.row() + step if current.isValid() else 0
        row = max(0, min(self.model.rowCount() - 1, row))
        if self.model.rowCount():
            self.select_id(self.model.item_id(row))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ refresh
    def refresh(self, data_changed: bool = False) -> None:
        """Ask for a new ID list; coalesces bursts (one query in flight at a time). View counts
        only change with the data (sync, decisions), not with filters: `data_changed`."""
        if data_changed or not self._counted:
            self._counted = True
            self.update_counts()
        if self._refresh_task is not None and not self._refresh_task.done():
            self._refresh_again = True
            return
        self._refresh_task = spawn(self._refresh(), self.tr("Opdater indbakken"), self.messages)

    async def _refresh(self) -> None:
        while True:
            self._refresh_again = False
            flt = self.current_filter()
            ids = await self.backend.ids(flt, self.model.sort_column, self.model.descending)
            if self._refresh_again:
                continue
            # The first page's rows before the list changes: no placeholder flash.
            await self.model.preload(_first_page(ids, self._current))
            if not self._refresh_again:
                break
        keep = self.selected_ids()
        current = self._current
        self.model.set_ids(ids)
        self.model.prefetch(0)
        restored = False
        if current is not None and self.model.row_of(current) is not None:
            restored = self.select_id(current)
            for item_id in keep:
                row = self.model.row_of(item_id)
                if row is not None and item_id != current:
                    self.table.selectionModel().select(
                        self.model.index(row, 0),
                        QItemSelectionModel.SelectionFlag.Select
                        | QItemSelectionModel.SelectionFlag.Rows,
                    )
        if not restored:
            self._current = None
            self.currentItemChanged.emit(None)
        self.count_label.setText(self.tr("%n element(er)", "", len(ids)))
        self.refreshed.emit(len(ids))

    def update_counts(self) -> None:
        """Count the saved views again; a request during a count runs once it is done."""
        if self._counts_task is not None and not self._counts_task.done():
            self._count_again = True
            return
        self._counts_task = spawn(self._update_counts(), self.tr("Tæl visninger"))

    async def _update_counts(self) -> None:
        while True:
            self._count_again = False
            counts = await self.backend.view_counts(self.scope)
            if not self._count_again:
                break
        for index in range(self.tabs.count()):
            key = self.tabs.tabData(index)
            self.tabs.setTabText(index, f"{labels.view_label(key)} ({counts.get(key, 0)})")

    def apply_changes(self, changes: OpChanges) -> None:
        """Refresh what an operation changed: refetch the changed rows (and, when the outbox
        worker moved entries on, every row shown as waiting), ask for the ids again when items
        may have entered or left the view, and count the views again when counts changed.
        Decisions leave the ids alone: the decided row stays where the distributor works."""
        if changes.items:
            self.model.invalidate(sorted(changes.items))
        if changes.waiting:
            self.model.invalidate(self.model.cached_ids(ItemStatus.PENDING))
        if changes.delivery:
            self.model.invalidate(self.model.cached_row_ids())
        if changes.membership:
            self.refresh(data_changed=changes.counts)
            spawn(self.load_filter_choices(), self.tr("Filtre"))
        elif changes.counts:
            self.update_counts()

    async def load_filter_choices(self) -> None:
        choices = await self.backend.filter_choices()
        _refill(self.cp_box, [(label, cp) for cp, label, _n in choices["contact_points"]])
        _refill(self.assignee_box, [(label, a) for a, label in choices["assignees"]])
        _refill(self.claim_box, [(c, c) for c in choices["claimers"]])


def _first_page(ids: list[int], current: int | None) -> list[int]:
    """The rows about to be on screen: the top of the list, or around the kept selection."""
    if current is not None:
        try:
            at = ids.index(current)
        except ValueError:
            at = 0
        start = max(0, at - PAGE // 2)
        return ids[start : start + PAGE]
    return ids[:PAGE]


def _one(value: object) -> tuple[str, ...]:
    return () if value is None else (str(value),)


def _refill(box: QComboBox, entries: list[tuple[str, object]]) -> None:
    """Keep the fixed leading entries (all/none), replace the data-driven ones."""
    current = box.currentData()
    box.blockSignals(True)
    fixed = 2 if box.count() >= 2 and box.itemData(1) in (UNASSIGNED, UNCLAIMED) else 1
    while box.count() > fixed:
        box.removeItem(box.count() - 1)
    for text, data in entries:
        box.addItem(text, data)
    index = box.findData(current)
    box.setCurrentIndex(max(0, index))
    box.blockSignals(False)
