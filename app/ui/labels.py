"""User-visible names of domain values (kinds, statuses, saved views, actions), translated.

Every string goes through `QCoreApplication.translate` so lupdate finds it; the source text is
Danish (the default UI language). Never put business logic here.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip that shows `text` as it is. Qt renders a tooltip that looks like HTML as rich
    text, and rich text loads `<img src>` (a file, a FIFO): text from a message is escaped."""
    if text is None:
        return None
    return "<p style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</p>"


def kind_label(kind: str) -> str:
    return {
        "retursvar": QCoreApplication.translate("Labels", "Retursvar", "kind of one item"),
        "nyhenvendelse": QCoreApplication.translate("Labels", "Nyhenvendelse"),
        "videresendt": QCoreApplication.translate("Labels", "Videresendt", "kind of one item"),
        "ukendt": QCoreApplication.translate("Labels", "Ulæselig"),
    }.get(kind, kind)


def status_label(status: str) -> str:
    return {
        "ny": QCoreApplication.translate("Labels", "Ny"),
        "afventer": QCoreApplication.translate("Labels", "Afventer"),
        "journaliseret": QCoreApplication.translate("Labels", "Journaliseret"),
        "fordelt": QCoreApplication.translate("Labels", "Fordelt"),
        "afvist": QCoreApplication.translate("Labels", "Afvist"),
        "videresendt": QCoreApplication.translate("Labels", "Videresendt"),
        "fejlet": QCoreApplication.translate("Labels", "Fejlet"),
    }.get(status, status)


def delivery_label(state: str) -> str:
    """The delivery state of an item's decision (DESIGN9 labels). The distributor's own Afvis is
    "Afsluttet (afvist af fordeler)"; DUBU's refusal is "Afvist af DUBU": never the same."""
    return {
        "ny": QCoreApplication.translate("Labels", "Ny", "delivery state"),
        "lokal": QCoreApplication.translate("Labels", "Kun på denne pc"),
        "afventer": QCoreApplication.translate("Labels", "Afventer", "delivery state"),
        "sendt": QCoreApplication.translate("Labels", "Sendt"),
        "accepteret": QCoreApplication.translate("Labels", "Accepteret af DUBU"),
        "afvist_af_dubu": QCoreApplication.translate("Labels", "Afvist af DUBU"),
        "fejlet": QCoreApplication.translate("Labels", "Fejlet", "delivery state"),
        "afsluttet": QCoreApplication.translate("Labels", "Afsluttet (afvist af fordeler)"),
    }.get(state, state)


def follow_up_label() -> str:
    return QCoreApplication.translate("Labels", "kvittering mangler – følg op")


def conflict_label() -> str:
    """A conflict item: the sender's messageUUID arrived before with other content."""
    return QCoreApplication.translate("Labels", "Konflikt")


def conflict_tooltip(message_uuid: str) -> str:
    return QCoreApplication.translate(
        "Labels",
        "Konflikt: meddelelsen %1 er modtaget før med et andet indhold. Begge er gemt; "
        "sammenlign dem, før du fordeler.",
    ).replace("%1", message_uuid)


def view_label(key: str) -> str:
    return {
        "ufordelte": QCoreApplication.translate("Labels", "Ufordelte"),
        "retursvar": QCoreApplication.translate("Labels", "Retursvar"),
        "nyhenvendelser": QCoreApplication.translate("Labels", "Nyhenvendelser"),
        "videresendte": QCoreApplication.translate("Labels", "Videresendte"),
        "mine": QCoreApplication.translate("Labels", "Mine"),
        "aeldre": QCoreApplication.translate("Labels", "Ældre end 2 arbejdsdage"),
        "alle": QCoreApplication.translate("Labels", "Alle"),
    }.get(key, key)


def action_label(action: str) -> str:
    return {
        "journalise": QCoreApplication.translate("Labels", "Journalisér"),
        "assign": QCoreApplication.translate("Labels", "Fordel"),
        "reject": QCoreApplication.translate("Labels", "Afvis"),
        "forward": QCoreApplication.translate("Labels", "Videresend"),
        "journal_note": QCoreApplication.translate("Labels", "Journalnotat"),
    }.get(action, action)


def column_labels() -> list[str]:
    return [
        QCoreApplication.translate("Labels", "Modtaget"),
        QCoreApplication.translate("Labels", "Type"),
        QCoreApplication.translate("Labels", "Afsender"),
        QCoreApplication.translate("Labels", "Emne"),
        QCoreApplication.translate("Labels", "Kontaktpunkt"),
        QCoreApplication.translate("Labels", "Forslag"),
        QCoreApplication.translate("Labels", "Alder"),
        QCoreApplication.translate("Labels", "Status"),
        QCoreApplication.translate("Labels", "Levering"),
    ]


def workdays_label(days: int) -> str:
    if days == 1:
        return QCoreApplication.translate("Labels", "1 arbejdsdag")
    return QCoreApplication.translate("Labels", "%n arbejdsdage", "", days)
