"""Collapsible header details of one message: sender, contact point, ContactInfo fields,
ReplyData, ForwardData and the reply / legalNotification flags.

A forwarded letter always shows the citizen's comment and the original sender and date (they
matter for the decision), even when the details are collapsed. CPR numbers are shown masked
(DDMMYY-xxxx); the widget never logs anything it shows.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
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
        return dt.astimezone().strftime("%d.%m.%Y %H:%M")  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return ""


class HeaderPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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

    def clear(self) -> None:
        self.toggle.setText("")
        self.toggle.setVisible(False)
        self.forward.setVisible(False)
        self.details.setText("")
        self.details.setVisible(False)
        self._fit()

    def show_message(self, msg: MemoMessage, contact_point_label: str | None = None) -> None:
        e = html.escape
        title = f"{labels.kind_label(str(msg.kind))}: {msg.label}"
        self.toggle.setText(title if len(title) < 90 else title[:87] + "…")
        self.toggle.setToolTip(labels.plain_tooltip(msg.label))
        self.toggle.setVisible(True)

        rows: list[tuple[str, str]] = []
        sender = msg.sender.label or ""
        sender_html = (
            f"{e(sender)} <span style='color:gray'>({e(msg.sender.id_type)} "
            f"{e(mask_cpr(msg.sender.id))})</span>"
        )
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
        for reply in msg.reply_data:
            parts = [self.tr("svar på brev %1").replace("%1", e(reply.message_uuid))]
            if reply.case_id:
                parts.append(self.tr("sag %1").replace("%1", e(reply.case_id)))
            if reply.sender_id:
                parts.append(self.tr("afsender %1").replace("%1", e(mask_cpr(reply.sender_id))))
            rows.append((self.tr("Svardata"), " · ".join(parts)))
        if msg.content_data and msg.content_data.case_id:
            rows.append((self.tr("Sagsnr. i brevet"), e(msg.content_data.case_id)))
        flags = []
        flags.append(
            self.tr("borgeren kan svare")
            if msg.reply
            else self.tr("<b>svar ikke muligt</b> (reply=false)")
        )
        if msg.legal_notification:
            flags.append(self.tr("<b>retsvirkning</b> (legalNotification)"))
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
