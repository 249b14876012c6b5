"""The team lead's backlog overview (teamleder): how much is unhandled, how old, with whom.

Journaliseringspligt: incoming post is journalised "snarest muligt"; the team's goal is within
2 working days. The view shows KPI tiles, the age of the unhandled items in working-day buckets,
the share of each caseworker (a sortable table), and received vs decided for the last 10 working
days. It is fed a `load` coroutine function returning a `BacklogReport` (see
`app.ui.backlog_service.BacklogService.report`) and refreshes through `spawn` while visible; it
never opens a database session or touches a thread itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QCoreApplication,
    QMargins,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QHideEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import OpChanges
from app.models.backlog import BacklogByAssignee, BacklogReport, BacklogSummary, TrendDay
from app.models.inbox import LOCAL_TZ
from app.ui import labels, theme
from app.ui.rows_model import RowsModel
from app.ui.tasks import Messages, spawn

ReportLoader = Callable[[], Awaitable[BacklogReport]]
ALERT = QColor("#c0392b")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
CASEWORKER_ID_ROLE = Qt.ItemDataRole.UserRole + 2


def day_label(day: date) -> str:
    """Short Danish day label for a chart axis, e.g. "ma 23/3"."""
    weekdays = (
        QCoreApplication.translate("BacklogView", "ma", "weekday"),
        QCoreApplication.translate("BacklogView", "ti", "weekday"),
        QCoreApplication.translate("BacklogView", "on", "weekday"),
        QCoreApplication.translate("BacklogView", "to", "weekday"),
        QCoreApplication.translate("BacklogView", "fr", "weekday"),
        QCoreApplication.translate("BacklogView", "lø", "weekday"),
        QCoreApplication.translate("BacklogView", "sø", "weekday"),
    )
    return f"{weekdays[day.weekday()]} {day.day}/{day.month}"


def bucket_label(key: str) -> str:
    return {"3-5": "3–5"}.get(key, key)


def _is_dark() -> bool:
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


# --------------------------------------------------------------------------- tiles


class KpiTile(QFrame):
    _alert = False

    def recolour(self) -> None:
        """The number in the palette's text colour, or red when it is an alert (again after a
        live theme switch: `theme.apply` calls this; a set palette does not follow it)."""
        palette = QPalette(QApplication.palette())
        if self._alert:
            palette.setColor(QPalette.ColorRole.WindowText, theme.alert_color())
        self.value.setPalette(palette)

    """One key figure: caption, big number, one line of detail."""

    def __init__(self, name: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty(theme.RECOLOUR_PROPERTY, True)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.caption = QLabel(caption, self)
        self.value = QLabel("–", self)
        self.value.setObjectName(f"{name}Value")
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.value.setFont(font)
        self.detail = QLabel("", self)
        self.detail.setWordWrap(True)
        self.detail.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 8, 12, 8)
        column.setSpacing(2)
        column.addWidget(self.caption)
        column.addWidget(self.value)
        column.addWidget(self.detail)
        column.addStretch(1)
        self.setAccessibleName(caption)

    def set(self, value: str, detail: str = "", alert: bool = False) -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self._alert = alert
        self.recolour()
        self.setAccessibleDescription(f"{value}. {detail}".strip(". "))


# --------------------------------------------------------------------------- table model


class AssigneeModel(RowsModel):
    """Per-caseworker rows: distributed to them and not journalised (read-only)."""

    NAME, COUNT, OVER, PENDING, OLDEST = range(5)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                QCoreApplication.translate("BacklogView", "Sagsbehandler"),
                QCoreApplication.translate("BacklogView", "Fordelt"),
                QCoreApplication.translate("BacklogView", "Over målet"),
                QCoreApplication.translate("BacklogView", "Afventer"),
                QCoreApplication.translate("BacklogView", "Ældste"),
            ],
            parent,
        )

    def row(self, position: int) -> BacklogByAssignee:
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
        if role == SORT_ROLE:
            return (
                row.caseworker_label.casefold(),
                row.count,
                row.over_goal,
                row.pending,
                row.oldest_age_workdays,
            )[column]
        if role == CASEWORKER_ID_ROLE:
            return row.caseworker_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and (
            (column == self.OVER and row.over_goal)
            or (column == self.OLDEST and row.oldest_age_workdays > 2)
        ):
            return QBrush(theme.alert_color())
        if role == Qt.ItemDataRole.ToolTipRole and column == self.OLDEST:
            return QCoreApplication.translate("BacklogView", "Modtaget %1").replace(
                "%1", labels.date_text(row.oldest_received_at)
            )
        return None

    def _display(self, row: BacklogByAssignee, column: int) -> str:
        if column == self.NAME:
            return row.caseworker_label
        if column == self.COUNT:
            return str(row.count)
        if column == self.OVER:
            return str(row.over_goal)
        if column == self.PENDING:
            return str(row.pending)
        return labels.workdays_label(row.oldest_age_workdays)


# --------------------------------------------------------------------------- charts


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setTheme(
        QChart.ChartTheme.ChartThemeDark if _is_dark() else QChart.ChartTheme.ChartThemeLight
    )
    chart.setBackgroundBrush(QApplication.palette().brush(QPalette.ColorRole.Base))
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def _value_axis(maximum: int) -> QValueAxis:
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    top = max(1, maximum)
    step = max(1, -(-top // 5))  # at most ~6 ticks, integer steps
    top = step * -(-top // step)
    axis.setRange(0, top)
    axis.setTickCount(top // step + 1)
    return axis


class AgeChart(QChartView):
    """Unhandled items per age bucket; buckets over the goal in the alert colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backlogAgeChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName(
            QCoreApplication.translate(
                "BacklogView", "Alder på ubehandlede elementer i arbejdsdage"
            )
        )
        self.setMinimumHeight(230)
        self.counts: tuple[int, ...] = ()
        self._build((), ())

    def _build(self, keys: Sequence[str], counts: Sequence[int], goal: int = 2) -> None:
        chart = _chart(
            QCoreApplication.translate("BacklogView", "Alder i arbejdsdage (ubehandlede)")
        )
        within = QBarSet(QCoreApplication.translate("BacklogView", "Inden for målet"))
        over = QBarSet(QCoreApplication.translate("BacklogView", "Over målet"))
        within.setColor(QColor("#2e86c1"))
        over.setColor(ALERT)
        for key, n in zip(keys, counts, strict=True):
            low = int(key.lstrip(">").split("-")[0]) + (1 if key.startswith(">") else 0)
            (over if low > goal else within).append(n)
            (within if low > goal else over).append(0)
        series = QStackedBarSeries()
        series.append(within)
        series.append(over)
        series.setLabelsVisible(True)  # zero-height segments get no label
        series.setLabelsPosition(QStackedBarSeries.LabelsPosition.LabelsInsideEnd)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([bucket_label(k) for k in keys] or [""])
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        y = _value_axis(max(counts, default=0))
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y)
        old = self.chart()
        self.setChart(chart)
        if old is not None and old is not chart:
            old.deleteLater()

    def set_summary(self, summary: BacklogSummary) -> None:
        self.counts = tuple(b.count for b in summary.age_buckets)
        self._build([b.key for b in summary.age_buckets], self.counts, summary.goal_workdays)
        desc = ", ".join(f"{bucket_label(b.key)}: {b.count}" for b in summary.age_buckets)
        self.setAccessibleDescription(desc)


class TrendChart(QChartView):
    """Received vs decided per working day."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backlogTrendChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName(
            QCoreApplication.translate("BacklogView", "Modtaget og besluttet pr. arbejdsdag")
        )
        self.setMinimumHeight(230)
        self.days: tuple[TrendDay, ...] = ()
        self.set_trend(())

    def set_trend(self, days: Sequence[TrendDay]) -> None:
        self.days = tuple(days)
        chart = _chart(
            QCoreApplication.translate(
                "BacklogView", "Modtaget og besluttet, seneste %n arbejdsdage", "", len(days) or 10
            )
        )
        received = QBarSet(QCoreApplication.translate("BacklogView", "Modtaget"))
        decided = QBarSet(QCoreApplication.translate("BacklogView", "Besluttet"))
        received.setColor(QColor("#7f8c8d"))
        decided.setColor(QColor("#27ae60"))
        received.append([d.received for d in days])
        decided.append([d.decided for d in days])
        series = QBarSeries()
        series.append(received)
        series.append(decided)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([day_label(d.day) for d in days] or [""])
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        y = _value_axis(max((max(d.received, d.decided) for d in days), default=0))
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y)
        old = self.chart()
        self.setChart(chart)
        if old is not None and old is not chart:
            old.deleteLater()
        self.setAccessibleDescription(
            "; ".join(
                QCoreApplication.translate("BacklogView", "%1: modtaget %2, besluttet %3")
                .replace("%1", day_label(d.day))
                .replace("%2", str(d.received))
                .replace("%3", str(d.decided))
                for d in days
            )
        )


# --------------------------------------------------------------------------- the view


class BacklogView(QWidget):
    """KPI tiles, age chart, per-caseworker table and the 10-day trend."""

    refreshed = Signal()
    caseworkerActivated = Signal(str)  # caseworker id (double-click / Enter in the table)

    def __init__(
        self,
        load: ReportLoader,
        messages: Messages | None = None,
        parent: QWidget | None = None,
        *,
        auto_refresh_ms: int = 60_000,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("backlogView")
        self._load = load
        self.messages = messages
        self.report: BacklogReport | None = None
        self._task: asyncio.Task[Any] | None = None
        self._again = False
        self._timer = QTimer(self)
        self._timer.setInterval(auto_refresh_ms)
        self._timer.timeout.connect(self.refresh)
        self._build()

    def _build(self) -> None:
        title = QLabel(self.tr("Overblik over indgående post"), self)
        title.setObjectName("backlogTitle")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        self.state = QLabel("", self)
        self.state.setObjectName("backlogState")
        self.refresh_button = QPushButton(self.tr("Opdatér"), self)
        self.refresh_button.setObjectName("backlogRefresh")
        self.refresh_button.setAccessibleName(self.tr("Opdatér overblikket"))
        self.refresh_button.setToolTip(self.tr("Opdatér tallene (F5)"))
        self.refresh_button.clicked.connect(self.refresh)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.state)
        header.addWidget(self.refresh_button)

        self.tile_open = KpiTile("kpiOpen", self.tr("Åbne"), self)
        self.tile_over = KpiTile("kpiOverGoal", self.tr("Ældre end 2 arbejdsdage"), self)
        self.tile_oldest = KpiTile("kpiOldest", self.tr("Ældste"), self)
        self.tile_pending = KpiTile("kpiPending", self.tr("Afventer levering"), self)
        self.tile_failed = KpiTile("kpiFailed", self.tr("Fejlede"), self)
        tiles = QHBoxLayout()
        for tile in (
            self.tile_open,
            self.tile_over,
            self.tile_oldest,
            self.tile_pending,
            self.tile_failed,
        ):
            tiles.addWidget(tile)

        self.age_chart = AgeChart(self)
        self.trend_chart = TrendChart(self)
        self.breakdown = QLabel("", self)
        self.breakdown.setObjectName("backlogBreakdown")
        self.breakdown.setWordWrap(True)
        self.breakdown.setTextFormat(Qt.TextFormat.PlainText)

        self.model = AssigneeModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("backlogAssignees")
        self.table.setAccessibleName(self.tr("Fordelt pr. sagsbehandler"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(AssigneeModel.OLDEST, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(AssigneeModel.NAME, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(self._on_activated)
        self.table.activated.connect(self._on_activated)
        table_title = QLabel(self.tr("Hos sagsbehandlerne"), self)
        table_title.setBuddy(self.table)
        bold = QFont(table_title.font())
        bold.setBold(True)
        table_title.setFont(bold)
        self.empty_hint = QLabel(self.tr("Intet er fordelt til sagsbehandlere lige nu."), self)
        self.empty_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.addWidget(self.age_chart, 0, 0)
        grid.addWidget(self.trend_chart, 1, 0)
        right = QVBoxLayout()
        right.addWidget(table_title)
        right.addWidget(self.table, 1)
        right.addWidget(self.empty_hint)
        right.addWidget(self.breakdown)
        grid.addLayout(right, 0, 1, 2, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

        column = QVBoxLayout(self)
        column.setContentsMargins(10, 8, 10, 8)
        column.addLayout(header)
        column.addLayout(tiles)
        column.addLayout(grid, 1)
        self.setTabOrder(self.refresh_button, self.table)

    # ------------------------------------------------------------------ data
    def apply(self, report: BacklogReport) -> None:
        """Show a report (called on the UI thread with an already computed report)."""
        self.report = report
        s = report.summary
        self.tile_open.set(
            str(s.open_total),
            self.tr("%1 ufordelte · %2 hos sagsbehandlere")
            .replace("%1", str(s.awaiting_decision))
            .replace("%2", str(s.with_caseworkers)),
        )
        self.tile_over.set(
            str(s.over_goal),
            self.tr("Mål: journaliseret inden %1 arbejdsdage").replace("%1", str(s.goal_workdays)),
            alert=s.over_goal > 0,
        )
        if s.oldest_received_at is None or s.oldest_age_workdays is None:
            self.tile_oldest.set("–", self.tr("Intet ubehandlet"))
        else:
            self.tile_oldest.set(
                labels.workdays_label(s.oldest_age_workdays),
                self.tr("Modtaget %1").replace("%1", labels.date_text(s.oldest_received_at)),
                alert=s.oldest_age_workdays > s.goal_workdays,
            )
        self.tile_pending.set(
            str(s.outbox_pending),
            self.tr("Beslutninger i udbakken · %1 prøves igen").replace(
                "%1", str(s.outbox_retrying)
            ),
        )
        self.tile_failed.set(
            str(s.outbox_failed),
            self.tr("Afvist af modtageren – skal besluttes igen"),
            alert=s.outbox_failed > 0,
        )
        self.age_chart.set_summary(s)
        self.trend_chart.set_trend(report.trend)
        self.model.set_rows(report.assignees)
        self.table.setVisible(bool(report.assignees))
        self.empty_hint.setVisible(not report.assignees)
        self.breakdown.setText(self._breakdown(s))
        self.state.setText(
            self.tr("Opdateret %1").replace("%1", s.as_of.astimezone(LOCAL_TZ).strftime("%H:%M"))
        )

    def _breakdown(self, s: BacklogSummary) -> str:
        kinds = " · ".join(f"{labels.kind_label(k)} {n}" for k, n in s.by_kind)
        statuses = " · ".join(f"{labels.status_label(k)} {n}" for k, n in s.by_status)
        lines = [
            self.tr("Pr. type: %1").replace("%1", kinds or "–"),
            self.tr("Pr. status: %1").replace("%1", statuses or "–"),
        ]
        if s.claimed:
            claimed = " · ".join(f"{user} {n}" for user, n in s.claimed)
            lines.append(self.tr("Låst af fordelere: %1").replace("%1", claimed))
        return "\n".join(lines)

    # ------------------------------------------------------------------ refresh
    def refresh(self) -> None:
        """Fetch a new report off the UI thread; one request in flight, bursts coalesced."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = spawn(self._refresh(), self.tr("Opdatér overblik"), self.messages)

    async def _refresh(self) -> None:
        self.state.setText(self.tr("Opdaterer …"))
        try:
            report = await self._load()
        except Exception:
            self.state.setText(self.tr("Tallene kunne ikke hentes"))
            raise
        self.apply(report)
        self.refreshed.emit()
        if self._again:
            self._again = False
            self._task = None
            self.refresh()

    def apply_changes(self, changes: OpChanges) -> None:
        """New items, decisions and deliveries move the figures: refresh while on screen (a
        hidden view refreshes when it is shown)."""
        if self.isVisible() and (changes.membership or changes.counts or changes.outbox):
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._timer.interval() > 0:
            self._timer.start()
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def _on_activated(self, index: QModelIndex) -> None:
        caseworker_id = index.data(CASEWORKER_ID_ROLE)
        if caseworker_id:
            self.caseworkerActivated.emit(caseworker_id)
