"""The inbox table model: an ordered list of item IDs plus a lazily filled row cache.

Only IDs live in the model (100k ints is cheap); `InboxRow`s are fetched in pages of `PAGE`
rows off the UI thread when the view first asks for them, and kept in a bounded LRU. Sorting
and filtering happen in SQL (`app.models.inbox`): `sort()` only asks for a new ID list.
The model never opens a database session itself; it calls the `fetch_rows` coroutine it was
given.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.models.inbox import InboxRow, SortColumn, local_date
from app.ui import labels
from app.ui.tasks import spawn

RowFetcher = Callable[[Sequence[int]], Awaitable[dict[int, InboxRow]]]

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
PAGE = 200
MAX_CACHED_ROWS = 20_000
OVERDUE_WORKDAYS = 2


class InboxModel(QAbstractTableModel):
    """IDs + lazy rows. `sortRequested(column, descending)` asks the owner for new IDs."""

    sortRequested = Signal(int, bool)
    rowsLoaded = Signal()

    def __init__(self, fetch_rows: RowFetcher, parent: object | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._fetch_rows = fetch_rows
        self._ids: list[int] = []
        self._index: dict[int, int] | None = None
        self._rows: OrderedDict[int, InboxRow] = OrderedDict()
        self._pending: set[int] = set()  # item ids being fetched
        self._stale: set[int] = set()  # invalidated while their fetch was in flight
        self._headers = labels.column_labels()
        self.sort_column = SortColumn.RECEIVED
        self.descending = True
        self._now = datetime.now(UTC)
        self._bold: QFont | None = None

    # ------------------------------------------------------------------ ids

    def set_ids(self, ids: Sequence[int]) -> None:
        """Replace the ID list (after a filter/sort/sync). Cached rows stay valid."""
        ids = list(ids)
        if ids == self._ids:
            return
        self.beginResetModel()
        self._ids = ids
        self._index = None
        self._now = datetime.now(UTC)
        self.endResetModel()

    def ids(self) -> list[int]:
        return list(self._ids)

    def item_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, item_id: int) -> int | None:
        if self._index is None:
            self._index = {item_id: n for n, item_id in enumerate(self._ids)}
        return self._index.get(item_id)

    def cached_row(self, item_id: int) -> InboxRow | None:
        return self._rows.get(item_id)

    def cached_ids(self, status: str) -> list[int]:
        """Ids of the fetched rows that have this status (e.g. the ones waiting in the outbox)."""
        return [i for i, row in self._rows.items() if row.status == status]

    # ------------------------------------------------------------------ row cache

    def cached_row_ids(self) -> list[int]:
        """Ids of every fetched row (a sync changed delivery states: refetch them all)."""
        return list(self._rows)

    def invalidate(self, item_ids: Sequence[int]) -> None:
        """Refetch these rows (status changed); the view shows the new data when it arrives."""
        for item_id in item_ids:
            self._rows.pop(item_id, None)
            if item_id in self._pending:
                self._stale.add(item_id)  # its fetch in flight may predate the change
        self._request([i for i in item_ids if self.row_of(i) is not None])

    def invalidate_all(self) -> None:
        self._rows.clear()
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, self.columnCount() - 1)
            )

    def prefetch(self, first_row: int = 0, count: int = PAGE) -> None:
        self._request(self._ids[first_row : first_row + count])

    def _request(self, item_ids: Sequence[int]) -> None:
        wanted = [i for i in item_ids if i not in self._pending]
        if not wanted:
            return
        self._pending.update(wanted)
        spawn(self._load(wanted), "inbox rows")

    async def _load(self, item_ids: list[int]) -> None:
        try:
            rows = await self._fetch_rows(item_ids)
        finally:
            self._pending.difference_update(item_ids)
        self._store(rows)
        # rows invalidated while this fetch was in flight may have been read before the change
        again = [i for i in item_ids if i in self._stale]
        if again:
            self._stale.difference_update(again)
            for item_id in again:
                self._rows.pop(item_id, None)
            self._request([i for i in again if self.row_of(i) is not None])

    def _store(self, rows: dict[int, InboxRow]) -> None:
        positions = []
        for item_id, row in rows.items():
            self._rows[item_id] = row
            self._rows.move_to_end(item_id)
            pos = self.row_of(item_id)
            if pos is not None:
                positions.append(pos)
        while len(self._rows) > MAX_CACHED_ROWS:
            self._rows.popitem(last=False)
        if positions:
            last_col = self.columnCount() - 1
            self.dataChanged.emit(
                self.index(min(positions), 0), self.index(max(positions), last_col)
            )
        self.rowsLoaded.emit()

    def _row(self, position: int) -> InboxRow | None:
        item_id = self._ids[position]
        row = self._rows.get(item_id)
        if row is None and item_id not in self._pending:
            page_start = position - position % PAGE
            self._request(
                [i for i in self._ids[page_start : page_start + PAGE] if i not in self._rows]
            )
        return row

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SortColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self._headers)
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return self._headers[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        row = self._row(index.row())
        if row is None:
            if role == Qt.ItemDataRole.DisplayRole and index.column() == SortColumn.SUBJECT:
                return "…"
            return None
        if role == ROW_ROLE:
            return row
        column = SortColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return labels.plain_tooltip(self._tooltip(row, column))
        if role == Qt.ItemDataRole.FontRole and not row.read:
            if self._bold is None:
                self._bold = QFont(QApplication.font())
                self._bold.setBold(True)
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(row, column)
        return None

    def _display(self, row: InboxRow, column: SortColumn) -> str:
        if column == SortColumn.RECEIVED:
            local = row.received_at.astimezone()
            if local.year == self._now.year:
                return local.strftime("%d.%m. %H:%M")
            return local.strftime("%d.%m.%Y")
        if column == SortColumn.KIND:
            return labels.kind_label(row.kind)
        if column == SortColumn.SENDER:
            return row.sender_label
        if column == SortColumn.SUBJECT:
            return row.label
        if column == SortColumn.CONTACT_POINT:
            return _short_contact_point(row.contact_point_label or row.contact_point_id or "")
        if column == SortColumn.SUGGESTION:
            if row.misrouted:
                return self.tr("Anden afd.?")
            if row.suggested_case_number:
                score = (
                    f" · {round((row.suggested_score or 0) * 100)} %"
                    if row.suggested_score is not None
                    else ""
                )
                return f"{_short_case_number(row.suggested_case_number)}{score}"
            return ""
        if column == SortColumn.AGE:
            return self.tr("%1 d").replace("%1", str(row.age_workdays(self._now)))
        if column == SortColumn.STATUS:
            text = labels.status_label(row.status)
            if row.conflict_of:
                text = f"{labels.conflict_label()} · {text}"
            if row.decided_case_number and row.status != "ny":
                text = f"{text} · {row.decided_case_number}"
            elif row.assignee_label and row.status in ("fordelt", "afventer"):
                text = f"{text} · {row.assignee_label}"
            if row.claimed_by:
                text = self.tr("%1 · låst af %2").replace("%1", text).replace("%2", row.claimed_by)
            return text
        if column == SortColumn.DELIVERY:
            if row.delivery_state == "ny":
                return ""  # no decision: nothing to deliver
            text = labels.delivery_label(row.delivery_state)
            if row.follow_up:
                text = f"{text} · {labels.follow_up_label()}"
            return text
        return ""

    def _tooltip(self, row: InboxRow, column: SortColumn) -> str | None:
        if column == SortColumn.CONTACT_POINT:
            return row.contact_point_label
        if column == SortColumn.STATUS and row.conflict_of:
            tip = labels.conflict_tooltip(row.conflict_of)
            return f"{tip}\n{row.status_note}" if row.status_note else tip
        if column == SortColumn.STATUS and row.status_note:
            return row.status_note
        if column == SortColumn.DELIVERY and row.delivery_state != "ny":
            label = labels.delivery_label(row.delivery_state)
            return f"{label}: {row.delivery_reason}" if row.delivery_reason else label
        if column == SortColumn.AGE:
            return (
                self.tr("%1 (modtaget %2)")
                .replace("%1", labels.workdays_label(row.age_workdays(self._now)))
                .replace("%2", local_date(row.received_at).strftime("%d.%m.%Y"))
            )
        if column == SortColumn.SUBJECT:
            return row.label
        if column == SortColumn.SUGGESTION and row.suggested_case_number:
            return self.tr("Foreslået sag %1").replace("%1", row.suggested_case_number)
        return None

    def _foreground(self, row: InboxRow, column: SortColumn) -> QBrush | None:
        if (
            column == SortColumn.AGE
            and row.status in ("ny", "fejlet")
            and row.age_workdays(self._now) > OVERDUE_WORKDAYS
        ):
            return QBrush(QColor("#c0392b"))
        if column == SortColumn.STATUS and (row.status == "fejlet" or row.conflict_of):
            return QBrush(QColor("#c0392b"))
        if column == SortColumn.STATUS and row.status == "afventer":
            return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if column == SortColumn.DELIVERY:
            if row.delivery_state in ("afvist_af_dubu", "fejlet") or row.follow_up:
                return QBrush(QColor("#c0392b"))
            if row.delivery_state == "accepteret":
                return QBrush(QColor("#1e8449"))
            if row.delivery_state in ("lokal", "afventer"):
                return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column = SortColumn(column)
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.sortRequested.emit(int(self.sort_column), self.descending)


def _short_case_number(number: str) -> str:
    """'27.24.00-G01-28547-25' → '28547-25' (serial and year: what distributors say)."""
    parts = number.split("-")
    return "-".join(parts[-2:]) if len(parts) >= 4 else number


def _short_contact_point(label: str) -> str:
    """'Fjordby Kommune, Familieafdelingen - Børn og familie' → 'Børn og familie'."""
    for sep in (" - ", " – "):
        if sep in label:
            return label.rsplit(sep, 1)[1]
    return label
