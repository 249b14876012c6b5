"""Collapsible header details of one message: sender, contact point, ContactInfo fields,
ReplyData, ForwardData and the reply / legalNotification flags.

A forwarded letter always shows the citizen's comment and the original sender and date (they
matter for the decision), even when the details are collapsed. CPR numbers are shown masked
(DDMMYY-xxxx, `app.cpr.mask`); "Vis CPR" asks for the sender's number in full
(`revealRequested`), and the owner shows it (`reveal`) only once the access log has the reveal.
Reply data is told in words (no raw UUIDs or attribute names). The widget never logs anything it
shows.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import cpr
from app.sf1606.model import MemoMessage
from app.ui import labels, theme

# Lines of text the details block has room for (sender, created, contact point, a few
# contact-info fields, reply data, properties); a letter with more scrolls within it.
BODY_LINES = 8


def mask_cpr(text: str) -> str:
    """`text` with every CPR-looking number shown as DDMMYY-xxxx (`app.cpr.mask`)."""
    return cpr.mask(text)


def _local(dt: object) -> str:
    try:
        return labels.datetime_text(dt)  # type: ignore[arg-type]
    except (AttributeError, TypeError, ValueError):
        return ""


class HeaderPanel(QWidget):
    revealRequested = Signal(str)  # the sender's CPR, to be logged before it is shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._message: MemoMessage | None = None
        self._contact_point_label: str | None = None
        self._revealed = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("headerToggle")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(self.tr("Vis eller skjul brevhovedet"))
        self.toggle.toggled.connect(self._toggled)  # the owner places the toggle in its row
        # A long subject must not widen the preview pane (and squeeze the inbox).
        self.toggle.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.toggle.setMinimumWidth(80)
        # The details sit in a block of fixed height (scrolling when a letter has many
        # fields): selecting item after item never changes the height of the preview's top, so
        # the window is not laid out again and the document below does not jump.
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(2)
        self.forward = QLabel(self.body)
        self.forward.setObjectName("forwardBox")
        self.forward.setWordWrap(True)
        self.forward.setTextFormat(Qt.TextFormat.RichText)
        self.forward.setFrameShape(QFrame.Shape.StyledPanel)
        theme.style_panel(self.forward)
        body.addWidget(self.forward)
        self.details = QLabel(self.body)
        self.details.setObjectName("headerDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setContentsMargins(4, 0, 4, 4)
        self.details.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        body.addWidget(self.details)
        self.reveal_button = QToolButton(self)
        self.reveal_button.setObjectName("revealCpr")
        self.reveal_button.setText(self.tr("Vis CPR"))
        self.reveal_button.setToolTip(
            self.tr("Vis afsenderens fulde CPR-nummer (skrives i adgangsloggen)")
        )
        self.reveal_button.setAccessibleName(self.tr("Vis afsenderens CPR-nummer"))
        self.reveal_button.setVisible(False)
        self.reveal_button.clicked.connect(self._ask_reveal)  # the owner places it in its row
        body.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("headerScroll")
        self.scroll.setWidget(self.body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFixedHeight(self.fontMetrics().lineSpacing() * BODY_LINES + 8)
        layout.addWidget(self.scroll)
        self.clear()

    def _toggled(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.details.setVisible(on and bool(self.details.text()))
        self._fit()

    def _fit(self) -> None:
        """The block shows while it has something to show (its height never changes)."""
        shown = self.details.isVisibleTo(self.body) or self.forward.isVisibleTo(self.body)
        if self.scroll.isVisibleTo(self) != shown:
            self.scroll.setVisible(shown)

    def _ask_reveal(self) -> None:
        msg = self._message
        if msg is not None and self._sender_is_cpr(msg):
            self.revealRequested.emit(msg.sender.id)

    @staticmethod
    def _sender_is_cpr(msg: MemoMessage) -> bool:
        return (msg.sender.id_type or "").upper() == "CPR" and bool(msg.sender.id)

    def reveal(self) -> None:
        """Show the sender's CPR in full (call only after the reveal is in the access log)."""
        if self._message is not None:
            self._revealed = True
            self.show_message(self._message, self._contact_point_label)

    @property
    def revealed(self) -> bool:
        return self._revealed

    def clear(self) -> None:
        self._message = None
        self._revealed = False
        self.reveal_button.setVisible(False)
        self.toggle.setText("")
        self.toggle.setVisible(False)
        self.forward.setVisible(False)
        self.details.setText("")
        self.details.setVisible(False)
        self._fit()

    def show_message(self, msg: MemoMessage, contact_point_label: str | None = None) -> None:
        e = html.escape
        if self._message is not msg:
            self._revealed = False
        self._message, self._contact_point_label = msg, contact_point_label
        is_cpr = self._sender_is_cpr(msg)
        title = f"{labels.kind_label(str(msg.kind))}: {msg.label}"
        self.toggle.setText(title if len(title) < 90 else title[:87] + "…")
        self.toggle.setToolTip(labels.plain_tooltip(msg.label))
        self.toggle.setVisible(True)

        rows: list[tuple[str, str]] = []
        sender = msg.sender.label or ""
        shown_id = msg.sender.id if (is_cpr and self._revealed) else mask_cpr(msg.sender.id)
        sender_html = (
            f"{e(sender)} <span style='color:gray'>({e(msg.sender.id_type)} {e(shown_id)})</span>"
        )
        self.reveal_button.setVisible(is_cpr and not self._revealed)
        rows.append((self.tr("Afsender"), sender_html))
        if msg.created:
            rows.append((self.tr("Oprettet"), e(_local(msg.created))))
        cp = msg.recipient.contact_point
        if cp is not None:
            rows.append(
                (self.tr("Kontaktpunkt"), e(contact_point_label or cp.label or cp.contact_point_id))
            )
        for info in msg.contact_info:
            rows.append((e(info.label), e(mask_cpr(info.value)) or "<i>–</i>"))
        letter_ids = []
        for reply in msg.reply_data:
            # In words: the letter's id and raw attribute names are for the tooltip only.
            parts = [self.tr("Svar på et brev fra kommunen")]
            if reply.message_uuid:
                letter_ids.append(reply.message_uuid)
            if reply.case_id:
                parts.append(self.tr("sag %1").replace("%1", e(reply.case_id)))
            if reply.sender_id:
                sender_id = mask_cpr(reply.sender_id)
                parts.append(self.tr("brevet var fra %1").replace("%1", e(sender_id)))
            rows.append((self.tr("Svar på"), " · ".join(parts)))
        if msg.content_data and msg.content_data.case_id:
            rows.append((self.tr("Sagsnr. i brevet"), e(msg.content_data.case_id)))
        flags = []
        flags.append(
            self.tr("borgeren kan svare")
            if msg.reply
            else self.tr("<b>borgeren kan ikke svare på denne meddelelse</b>")
        )
        if msg.legal_notification:
            flags.append(self.tr("<b>retsvirkning</b> (digital forkyndelse)"))
        if msg.mandatory:
            flags.append(self.tr("obligatorisk"))
        rows.append((self.tr("Egenskaber"), ", ".join(flags)))
        self.details.setText(
            "<table cellspacing='0' cellpadding='1'>"
            + "".join(
                f"<tr><td style='color:gray; padding-right:8px'>{k}</td><td>{v}</td></tr>"
                for k, v in rows
            )
            + "</table>"
        )
        self.details.setToolTip(
            self.tr("Brevets id: %1").replace("%1", ", ".join(letter_ids)) if letter_ids else ""
        )
        self.details.setVisible(self.toggle.isChecked())

        fwd = msg.forward_data
        if fwd is not None:
            comment = e(fwd.comment) if fwd.comment else self.tr("<i>(ingen kommentar)</i>")
            self.forward.setText(
                self.tr(
                    "<b>Videresendt af borgeren.</b> Oprindelig afsender: <b>%1</b>, "
                    "dato %2.<br>Borgerens kommentar: %3"
                )
                .replace("%1", e(fwd.original_sender))
                .replace("%2", e(_local(fwd.original_message_datetime)))
                .replace("%3", comment)
            )
            self.forward.setVisible(True)
        else:
            self.forward.setVisible(False)
        self.scroll.verticalScrollBar().setValue(0)
        self._fit()
