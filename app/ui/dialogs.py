"""Small decision dialogs (journalise, assign, reject, forward) and the shortcut overlay.

Each dialog only collects what the action needs and returns it; none of them touches the cache
or the network. Enter accepts, Escape cancels, so a decision stays a few keystrokes.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.ui.suggestions import CaseChoice


class _Dialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(440)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annullér"))


class JournaliseDialog(_Dialog):
    """One confirmation, with an optional journal note (sent as an SF2900 JOURNALPOST)."""

    def __init__(self, choice: CaseChoice, count: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Journalisér"), parent)
        self.setObjectName("journaliseDialog")
        what = self.tr("Journalisér på sag <b>%1</b>?").replace("%1", choice.case_number)
        if count > 1:
            what = (
                self.tr("Journalisér %1 elementer på sag <b>%2</b>?")
                .replace("%1", str(count))
                .replace("%2", choice.case_number)
            )
        label = QLabel(what + (f"<br>{choice.title}" if choice.title else ""), self)
        label.setWordWrap(True)
        if not choice.is_open:
            label.setText(label.text() + "<br><b>" + self.tr("Bemærk: sagen er lukket.") + "</b>")
        self.layout_.insertWidget(0, label)
        self.add_note = QCheckBox(self.tr("Tilføj journalnotat"), self)
        self.note_title = QLineEdit(self)
        self.note_title.setAccessibleName(self.tr("Notatets titel"))
        self.note_text = QPlainTextEdit(self)
        self.note_text.setAccessibleName(self.tr("Notatets tekst"))
        self.note_text.setTabChangesFocus(True)
        self.note_text.setFixedHeight(90)
        self.form.addRow(self.add_note)
        self.form.addRow(self.tr("Titel"), self.note_title)
        self.form.addRow(self.tr("Notat"), self.note_text)
        self.add_note.toggled.connect(self._toggle)
        self._toggle(False)
        self.ok.setText(self.tr("Journalisér"))
        self.ok.setFocus()

    def _toggle(self, on: bool) -> None:
        for w in (self.note_title, self.note_text):
            w.setVisible(on)
            label = self.form.labelForField(w)
            if label is not None:
                label.setVisible(on)
        self.adjustSize()

    def note(self) -> dict[str, str] | None:
        if not self.add_note.isChecked():
            return None
        text = self.note_text.toPlainText().strip()
        title = self.note_title.text().strip() or self.tr("Journalnotat")
        return {"title": title, "text": text} if text else None


class RiskDialog(_Dialog):
    """A risky decision asks once more: what makes it risky, and Annullér as the default
    button (Enter cancels; the decision needs a deliberate click or Alt+J / Tab, Enter)."""

    def __init__(
        self, action: str, risks: list[str], count: int = 1, parent: QWidget | None = None
    ) -> None:
        super().__init__(self.tr("Er du sikker?"), parent)
        self.setObjectName("riskDialog")
        head = (
            self.tr("%1 %2 elementer?").replace("%1", action).replace("%2", str(count))
            if count > 1
            else self.tr("%1 alligevel?").replace("%1", action)
        )
        items = "".join(f"<li>{html.escape(r)}</li>" for r in risks)
        self.label = QLabel(f"<b>{html.escape(head)}</b><ul>{items}</ul>", self)
        self.label.setObjectName("riskText")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.layout_.insertWidget(0, self.label)
        self.ok.setText(self.tr("&Ja, %1").replace("%1", action.lower()))
        self.ok.setDefault(False)
        self.ok.setAutoDefault(False)
        self.cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel.setDefault(True)
        self.cancel.setAutoDefault(True)
        self.cancel.setFocus()


class AssignDialog(_Dialog):
    """Pick a caseworker (or a team) to assign the item(s) to."""

    def __init__(
        self,
        caseworkers: list[tuple[str, str, str]],
        preselect: str | None = None,
        count: int = 1,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Fordel til sagsbehandler"), parent)
        self.setObjectName("assignDialog")
        if count > 1:
            self.layout_.insertWidget(
                0, QLabel(self.tr("Fordel %1 elementer.").replace("%1", str(count)), self)
            )
        self.picker = QComboBox(self)
        self.picker.setEditable(True)
        self.picker.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.picker.setAccessibleName(self.tr("Sagsbehandler"))
        teams = sorted({team for _i, _l, team in caseworkers if team})
        for cw_id, label, team in sorted(caseworkers, key=lambda c: (c[2], c[1])):
            self.picker.addItem(f"{label} · {team}" if team else label, (cw_id, label))
        for team in teams:
            slug = re.sub(r"[^a-z0-9æøå]+", "-", team.lower()).strip("-")
            self.picker.addItem(self.tr("Team: %1").replace("%1", team), (f"team:{slug}", team))
        if preselect:
            index = self.picker.findData(
                preselect, Qt.ItemDataRole.UserRole, Qt.MatchFlag.MatchStartsWith
            )
            for n in range(self.picker.count()):
                if self.picker.itemData(n)[0] == preselect:
                    index = n
            self.picker.setCurrentIndex(max(0, index))
        if self.picker.completer() is not None:
            self.picker.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        self.form.addRow(self.tr("Sagsbehandler eller team"), self.picker)
        self.ok.setText(self.tr("Fordel"))

    def selected(self) -> tuple[str, str] | None:
        if self.picker.currentIndex() < 0:
            return None
        data = self.picker.currentData()
        return tuple(data) if data else None  # type: ignore[return-value]


class NewCaseDialog(AssignDialog):
    """ "Opret ny sag / genåbn sag": no open case fits, so the letter goes to DUBU without a case
    (an SF2900 DOKUMENT without SagForslag, routed by its KLE subject) for the chosen caseworker
    or team to create the case from it, or to reopen a closed case of the child."""

    def __init__(
        self,
        caseworkers: list[tuple[str, str, str]],
        closed: list[CaseChoice],
        kles: list[str],
        preselect: str | None = None,
        note: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(caseworkers, preselect, 1, parent)
        self.setObjectName("newCaseDialog")
        self.setWindowTitle(self.tr("Opret ny sag / genåbn sag"))
        text = self.tr(
            "Brevet sendes til DUBU uden sag. Den valgte sagsbehandler opretter sagen ud fra "
            "det – eller genåbner den lukkede sag."
        )
        if note:
            text = f"<b>{html.escape(note)}</b><br>{text}"
        self.explain = QLabel(text, self)
        self.explain.setObjectName("newCaseText")
        self.explain.setWordWrap(True)
        self.explain.setTextFormat(Qt.TextFormat.RichText)
        self.layout_.insertWidget(0, self.explain)
        self.case = QComboBox(self)
        self.case.setObjectName("newCaseKind")
        self.case.setAccessibleName(self.tr("Ny sag eller genåbning"))
        self.case.addItem(self.tr("Opret ny sag"), None)
        for c in closed:
            self.case.addItem(self.tr("Genåbn lukket sag %1").replace("%1", c.case_number), c)
        self.kle = QComboBox(self)
        self.kle.setObjectName("newCaseKle")
        self.kle.setEditable(True)
        self.kle.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.kle.setAccessibleName(self.tr("KLE-emne for sagen"))
        for k in dict.fromkeys(kles):
            self.kle.addItem(k)
        self.form.insertRow(0, self.tr("Sag"), self.case)
        self.form.addRow(self.tr("KLE-emne"), self.kle)
        self.case.currentIndexChanged.connect(self._case_changed)
        current = self.picker.currentData()
        if preselect is None or not current or current[0] != preselect:  # never a guess
            self.picker.setCurrentIndex(-1)
            self.picker.setEditText("")
        self.picker.currentIndexChanged.connect(lambda _i: self._check())
        self.kle.currentTextChanged.connect(lambda _t: self._check())
        self._check()
        self.ok.setText(self.tr("Send til DUBU"))
        self.picker.setFocus()  # type the caseworker's name, or ↓

    def _case_changed(self, _index: int) -> None:
        closed = self.case.currentData()
        if isinstance(closed, CaseChoice):
            if closed.kle:
                self.kle.setEditText(closed.kle)
            if closed.caseworker_id:
                for n in range(self.picker.count()):
                    if self.picker.itemData(n)[0] == closed.caseworker_id:
                        self.picker.setCurrentIndex(n)
        self._check()

    def _check(self) -> None:
        kle_ok = re.fullmatch(r"\d{2}\.\d{2}\.\d{2}", self.kle.currentText().strip()) is not None
        self.ok.setEnabled(kle_ok and self.selected() is not None)

    def chosen_kle(self) -> str:
        return self.kle.currentText().strip()

    def reopen(self) -> CaseChoice | None:
        closed = self.case.currentData()
        return closed if isinstance(closed, CaseChoice) else None


class RejectDialog(_Dialog):
    """Reject as misrouted: a reason is required."""

    def __init__(self, count: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Afvis"), parent)
        self.setObjectName("rejectDialog")
        if count > 1:
            self.layout_.insertWidget(
                0, QLabel(self.tr("Afvis %1 elementer.").replace("%1", str(count)), self)
            )
        self.reason = QComboBox(self)
        self.reason.setEditable(True)
        self.reason.setAccessibleName(self.tr("Begrundelse"))
        self.reason.addItem("")
        for r in (
            self.tr("Hører ikke til familieafdelingen"),
            self.tr("Sendt til forkert kontaktpunkt"),
            self.tr("Dublet"),
            self.tr("Andet"),
        ):
            self.reason.addItem(r)
        self.reason.setCurrentIndex(0)
        self.reason.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.reason.lineEdit()
        assert line is not None  # editable
        line.setPlaceholderText(self.tr("Skriv eller vælg en begrundelse (↓ viser de faste)"))
        # Down/Up step through the preset reasons, Alt+Down opens the list; Enter confirms.
        line.returnPressed.connect(self._enter)
        self.form.addRow(self.tr("Begrundelse (skal udfyldes)"), self.reason)
        self.reason.currentTextChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.ok.setEnabled(False)
        self.ok.setText(self.tr("Afvis"))

    def _enter(self) -> None:
        if self.ok.isEnabled() and self.isVisible():
            self.accept()

    def text(self) -> str:
        return self.reason.currentText().strip()


class ForwardDialog(_Dialog):
    """Forward to another department or system (receivers from FordelingsmodtagerList).

    The suggested receiver (`suggested`, an id matched by `routing.suggested_receiver`) is
    preselected; without one nothing is, the OK button waits for a choice and the dialog says
    why (`hint`: the engine's receiver, shown when no listed receiver matches it)."""

    def __init__(
        self,
        receivers: list[tuple[str, str]],
        suggested: str | None = None,  # the receiver id to preselect
        count: int = 1,
        parent: QWidget | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(self.tr("Videresend"), parent)
        self.setObjectName("forwardDialog")
        if count > 1:
            self.layout_.insertWidget(
                0, QLabel(self.tr("Videresend %1 elementer.").replace("%1", str(count)), self)
            )
        self.receiver = QComboBox(self)
        self.receiver.setAccessibleName(self.tr("Modtager"))
        self.receiver.setPlaceholderText(self.tr("Vælg modtager …"))
        for rid, label in receivers:
            self.receiver.addItem(label, rid)
        index = self.receiver.findData(suggested) if suggested is not None else -1
        self.receiver.setCurrentIndex(index)
        self.why = QLabel(self)
        self.why.setObjectName("forwardWhy")
        self.why.setWordWrap(True)
        if not receivers:
            self.why.setText(self.tr("SF2900 oplyser ingen modtagere at videresende til."))
        elif index < 0 and hint:
            self.why.setText(
                self.tr(
                    "Den foreslåede modtager, %1, er ikke blandt de modtagere, SF2900 oplyser. "
                    "Vælg selv en modtager."
                ).replace("%1", hint)
            )
        elif index < 0:
            self.why.setText(self.tr("Der er ingen foreslået modtager. Vælg selv en modtager."))
        else:
            self.why.setText(self.tr("Foreslået ud fra brevets emne."))
        self.comment = QLineEdit(self)
        self.comment.setAccessibleName(self.tr("Bemærkning"))
        self.form.addRow(self.tr("Modtager"), self.receiver)
        self.form.addRow(self.why)
        self.form.addRow(self.tr("Bemærkning"), self.comment)
        self.receiver.currentIndexChanged.connect(
            lambda i: self.ok.setEnabled(i >= 0 and bool(receivers))
        )
        self.ok.setEnabled(index >= 0)
        self.ok.setText(self.tr("Videresend"))
        if index < 0:
            self.receiver.setFocus()

    def selected(self) -> tuple[str, str] | None:
        if self.receiver.currentIndex() < 0:
            return None
        return self.receiver.currentData(), self.receiver.currentText()


class ShortcutOverlay(QDialog):
    """F1 / ?: every shortcut in one place."""

    def __init__(self, shortcuts: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutOverlay")
        self.setWindowTitle(self.tr("Tastaturgenveje"))
        layout = QVBoxLayout(self)
        rows = "".join(
            f"<tr><td style='padding-right:16px'><b>{k}</b></td><td>{v}</td></tr>"
            for k, v in shortcuts
        )
        label = QLabel(f"<table cellpadding='2'>{rows}</table>", self)
        label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Luk"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
