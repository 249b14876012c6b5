"""What the user is told about a damaged local cache, in plain words (Danish; English through
the translations): at start after a rebuild, and while running when the periodic check or a
sync finds damage. Only counts and a file name, never content."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.models.recovery import RebuildReport


def rebuilt_text(report: RebuildReport) -> str:
    """The banner after a rebuild at start: what happened, what was saved, what was lost."""
    parts = [
        QCoreApplication.translate(
            "CacheNotice",
            "<b>Den lokale kopi af posten var beskadiget.</b> Postfordeler har lagt den til "
            "side og bygget en ny; alle meddelelser hentes igen fra postserveren.",
        )
    ]
    if not report.readable or report.outbox_lost:
        parts.append(
            QCoreApplication.translate(
                "CacheNotice",
                "Den gamle kopi kunne slet ikke læses: beslutninger, der ikke var sendt fra "
                "denne computer, kunne ikke reddes. Kontrollér dine seneste beslutninger.",
            )
        )
    else:
        if report.decisions_saved:
            parts.append(
                QCoreApplication.translate(
                    "CacheNotice",
                    "%1 beslutning(er), der ikke var sendt, er reddet og sendes igen.",
                ).replace("%1", str(report.decisions_saved))
            )
        if report.decisions_lost:
            parts.append(
                QCoreApplication.translate(
                    "CacheNotice",
                    "%1 beslutning(er) kunne ikke læses og er tabt. Kontrollér dine seneste "
                    "beslutninger.",
                ).replace("%1", str(report.decisions_lost))
            )
        if report.access_log_lost:
            parts.append(
                QCoreApplication.translate(
                    "CacheNotice", "%1 linje(r) i adgangsloggen kunne ikke læses."
                ).replace("%1", str(report.access_log_lost))
            )
        if report.access_log_unreadable:
            parts.append(
                QCoreApplication.translate(
                    "CacheNotice", "Adgangsloggen kunne ikke læses og er tabt."
                )
            )
        if report.read_marks_lost:
            parts.append(
                QCoreApplication.translate(
                    "CacheNotice", "Markeringer af læste meddelelser kunne ikke reddes."
                )
            )
    if report.moved_to is not None:
        parts.append(
            QCoreApplication.translate(
                "CacheNotice", "Den beskadigede kopi ligger krypteret som %1 til IT-supporten."
            ).replace("%1", report.moved_to.name)
        )
    return " ".join(parts)


def damaged_text() -> str:
    """While running: the cache was found damaged, sync has stopped."""
    return QCoreApplication.translate(
        "CacheNotice",
        "<b>Den lokale kopi af posten er beskadiget.</b> Synkroniseringen er stoppet. Luk "
        "Postfordeler og start programmet igen: så bygges kopien op på ny, og posten hentes "
        "igen fra postserveren. Beslutninger, der ikke er sendt, forsøges reddet.",
    )
