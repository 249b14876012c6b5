"""The case-suggestion panel: ranked suggestions with reasons and confidence, a case search
(CPR / name / case number), and the decision buttons.

The panel only shows and emits: the main window turns its signals into outbox entries.
The top suggestion is preselected; typing in the search box replaces the list with search
results (re-ranked by the engine) and clearing it brings the suggestions back.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from dataclasses import replace

from PySide6.QtCore import QModelIndex, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.suggestions import CaseChoice, SuggestionView

CHOICE_ROLE = Qt.ItemDataRole.UserRole + 1
HTML_ROLE = Qt.ItemDataRole.UserRole + 2


class RichItemDelegate(QStyledItemDelegate):
    """Paints an item's HTML (case number, confidence, title, reasons) word-wrapped.

    Laying out rich text is the costly part of showing suggestions, and the view asks for
    each row's size and paint many times: laid-out documents are kept per (HTML, width, font,
    selected) in a small LRU cache."""

    CACHE_SIZE = 64

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._docs: OrderedDict[tuple[str, int, str, bool], QTextDocument] = OrderedDict()

    def _document(
        self,
        option: QStyleOptionViewItem,
        index: QModelIndex,
        width: int,
        selected: bool = False,
    ) -> QTextDocument:
        html = index.data(HTML_ROLE) or ""
        if selected:  # gray is unreadable on the highlight
            html = html.replace("color:gray", "")
        key = (html, max(80, width), option.font.key(), selected)
        doc = self._docs.get(key)
        if doc is not None:
            self._docs.move_to_end(key)
            return doc
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(4)
        doc.setHtml(html)
        doc.setTextWidth(key[1])
        self._docs[key] = doc
        if len(self._docs) > self.CACHE_SIZE:
            self._docs.popitem(last=False)
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        doc = self._document(option, index, option.rect.width(), selected)
        context = QAbstractTextDocumentLayout.PaintContext()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(option.rect.translated(-option.rect.topLeft()))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        view = self.parent()
        width = view.viewport().width() if isinstance(view, QListWidget) else 260
        doc = self._document(option, index, width)
        return QSize(width, int(doc.size().height()) + 2)


def confidence_text(score: float | None) -> str:
    return "" if score is None else f"{round(score * 100)} %"


class SuggestionPanel(QWidget):
    searchRequested = Signal(str)
    journaliseClicked = Signal()
    assignClicked = Signal()
    rejectClicked = Signal()
    forwardClicked = Signal()
    undoClicked = Signal()
    newCaseClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._suggested = SuggestionView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        title = QLabel(self.tr("Sagsforslag"), self)
        title.setObjectName("panelTitle")
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        title.setFont(font)
        layout.addWidget(title)

        self.banner = QLabel(self)
        self.banner.setObjectName("misrouteBanner")
        self.banner.setWordWrap(True)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setStyleSheet(
            "#misrouteBanner { background: #fff3cd; color: #664d03;"
            " padding: 6px; border-radius: 4px; }"
        )
        self.banner.setVisible(False)
        layout.addWidget(self.banner)

        self.search = QLineEdit(self)
        self.search.setObjectName("caseSearch")
        self.search.setPlaceholderText(
            self.tr("Søg sag: CPR, navn eller sagsnummer (Ctrl+Shift+F)")
        )
        self.search.setAccessibleName(self.tr("Søg sag"))
        self.search.setClearButtonEnabled(True)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self._search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._search)
        layout.addWidget(self.search)

        self.list = QListWidget(self)
        self.list.setObjectName("suggestionList")
        self.list.setAccessibleName(self.tr("Foreslåede sager"))
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setItemDelegate(RichItemDelegate(self.list))
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        layout.addWidget(self.list, 1)

        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("suggestionEmpty")
        self.empty.setStyleSheet("color: gray")
        layout.addWidget(self.empty)

        self.state = QLabel(self)
        self.state.setObjectName("itemState")
        self.state.setWordWrap(True)
        self.state.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.state)

        grid = QGridLayout()
        grid.setSpacing(4)
        self.journalise_button = QPushButton(self.tr("Journalisér"), self)
        self.journalise_button.setObjectName("journaliseButton")
        self.journalise_button.setToolTip(self.tr("Journalisér på den valgte sag (Enter)"))
        self.journalise_button.setDefault(True)
        self.assign_button = QPushButton(self.tr("Fordel…"), self)
        self.assign_button.setObjectName("assignButton")
        self.assign_button.setToolTip(self.tr("Fordel til sagsbehandler eller team (F)"))
        self.reject_button = QPushButton(self.tr("Afvis…"), self)
        self.reject_button.setObjectName("rejectButton")
        self.reject_button.setToolTip(self.tr("Afvis som fejlsendt (A)"))
        self.forward_button = QPushButton(self.tr("Videresend…"), self)
        self.forward_button.setObjectName("forwardButton")
        self.forward_button.setToolTip(self.tr("Videresend til anden afdeling eller system (V)"))
        self.undo_button = QPushButton(self.tr("Fortryd"), self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setToolTip(self.tr("Fortryd, mens handlingen venter i udbakken (Ctrl+Z)"))
        self.new_case_button = QPushButton(self.tr("Ny sag / genåbn…"), self)
        self.new_case_button.setObjectName("newCaseButton")
        self.new_case_button.setToolTip(
            self.tr("Ingen åben sag passer: send brevet til DUBU, så sagen oprettes (N)")
        )
        grid.addWidget(self.journalise_button, 0, 0, 1, 2)
        grid.addWidget(self.new_case_button, 3, 0, 1, 2)
        grid.addWidget(self.assign_button, 1, 0)
        grid.addWidget(self.forward_button, 1, 1)
        grid.addWidget(self.reject_button, 2, 0)
        grid.addWidget(self.undo_button, 2, 1)
        layout.addLayout(grid)
        self.journalise_button.clicked.connect(self.journaliseClicked)
        self.assign_button.clicked.connect(self.assignClicked)
        self.reject_button.clicked.connect(self.rejectClicked)
        self.forward_button.clicked.connect(self.forwardClicked)
        self.undo_button.clicked.connect(self.undoClicked)
        self.new_case_button.clicked.connect(self.newCaseClicked)
        self._decidable = False
        self._undoable = False
        self.clear()

    # ------------------------------------------------------------------ content
    def clear(self) -> None:
        self._suggested = SuggestionView()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.list.clear()
        self.banner.setVisible(False)
        self.empty.setText("")
        self.state.setText("")
        self.set_decidable(False, False)

    def set_loading(self) -> None:
        self.list.clear()
        self.empty.setText(self.tr("Finder forslag…"))

    def show_suggestions(self, view: SuggestionView) -> None:
        self._suggested = view
        if view.misrouted:
            text = self.tr("Ser ud til at høre til en anden afdeling.")
            if view.misroute_reason:
                text = self.tr("Ser ud til at høre til en anden afdeling (emne: %1).").replace(
                    "%1", html.escape(view.misroute_reason)
                )
            if view.receiver:
                text += " " + self.tr("Foreslået modtager: %1").replace(
                    "%1", html.escape(view.receiver)
                )
            self.banner.setText(text)
        self.banner.setVisible(view.misrouted)
        if not self.search.text().strip():
            self._fill(view, searching=False)

    def show_search_results(self, view: SuggestionView) -> None:
        if self.search.text().strip():
            self._fill(view, searching=True)

    def _fill(self, view: SuggestionView, searching: bool) -> None:
        self.list.clear()
        suggested = {c.case_id for c in self._suggested.choices}
        for shown in view.choices:
            # a search hit is no suggestion: no confidence shown, marked as found by search
            choice = (
                replace(shown, score=None, found_by_search=True)
                if searching and shown.case_id not in suggested
                else shown
            )
            item = QListWidgetItem(self._choice_text(choice))
            item.setData(CHOICE_ROLE, choice)
            item.setData(HTML_ROLE, self._choice_html(choice))
            item.setToolTip("\n".join(choice.reasons))
            self.list.addItem(item)
        if view.choices:
            self.list.setCurrentRow(0)
            self.empty.setText("")
        elif searching:
            self.empty.setText(self.tr("Ingen sager fundet."))
        else:
            self.empty.setText(
                view.note
                or self.tr("Intet sikkert forslag. Søg efter sagen med CPR, navn eller sagsnummer.")
            )
        if view.needs_new_case and not searching:
            hint = self.tr("Tryk N for at sende brevet til DUBU som ny sag.")
            self.empty.setText(f"{view.note or ''} {hint}".strip())
        self._update_buttons()

    def _choice_text(self, c: CaseChoice) -> str:
        status = "" if c.is_open else self.tr(" · lukket")
        confidence = (
            self.tr("fundet ved søgning") if c.found_by_search else confidence_text(c.score)
        )
        head = f"{c.case_number}   {confidence}{status}".rstrip()
        lines = [head, c.title or ""]
        if c.reasons:
            lines.append("· " + "; ".join(c.reasons))
        return "\n".join(line for line in lines if line)

    def _choice_html(self, c: CaseChoice) -> str:
        e = html.escape
        closed_text = self.tr("lukket")
        worker_text = self.tr("Sagsbehandler")
        closed = f" <span style='color:#c0392b'>{e(closed_text)}</span>" if not c.is_open else ""
        found_text = self.tr("fundet ved søgning")
        score = (
            f"<span style='float:right'>&nbsp;&nbsp;{confidence_text(c.score)}</span>"
            if c.score is not None
            else f"&nbsp;&nbsp;<i>{e(found_text)}</i>"
            if c.found_by_search
            else ""
        )
        parts = [f"<b>{e(c.case_number)}</b>{score}{closed}"]
        if c.title:
            parts.append(e(c.title))
        if c.caseworker_label:
            parts.append(
                f"<span style='color:gray'>{e(worker_text)}: {e(c.caseworker_label)}</span>"
            )
        if c.reasons:
            items = "".join(f"<li>{e(r)}</li>" for r in c.reasons[:4])
            parts.append(f"<ul style='margin:0; -qt-list-indent:1'>{items}</ul>")
        return "<br>".join(parts[:-1] if c.reasons else parts) + (parts[-1] if c.reasons else "")

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.list.doItemsLayout()

    def _search(self) -> None:
        query = self.search.text().strip()
        if query:
            self.searchRequested.emit(query)
        else:
            self._fill(self._suggested, searching=False)

    def selected_choice(self) -> CaseChoice | None:
        item = self.list.currentItem()
        return item.data(CHOICE_ROLE) if item is not None else None

    def top_choice(self) -> CaseChoice | None:
        return self._suggested.choices[0] if self._suggested.choices else None

    def suggested(self) -> SuggestionView:
        return self._suggested

    # ------------------------------------------------------------------ state
    def set_decidable(self, decidable: bool, undoable: bool) -> None:
        self._decidable = decidable
        self._undoable = undoable
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.journalise_button.setEnabled(self._decidable and self.selected_choice() is not None)
        for b in (self.assign_button, self.reject_button, self.forward_button):
            b.setEnabled(self._decidable)
        self.new_case_button.setEnabled(self._decidable)
        self.undo_button.setEnabled(self._undoable)

    def set_state_text(self, text: str) -> None:
        self.state.setText(text)
