"""Logging: one named logger per concern, and a redaction filter so personal data never
reaches a log record. CPR numbers (with or without separator) are masked in every message."""

from __future__ import annotations

import logging
import logging.handlers
import re

from app import paths

CPR_RE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[- ]?(\d{4})(?!\d)")


def redact(text: str) -> str:
    return CPR_RE.sub("<cpr>", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def setup_logging(verbose: bool = False, to_file: bool = True) -> None:
    root = logging.getLogger()
    if getattr(root, "_postfordeler", False):
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    handlers: list[logging.Handler] = [console]
    if to_file:
        logfile = logging.handlers.RotatingFileHandler(
            paths.sub("logs") / "postfordeler.log",
            maxBytes=5_000_000,
            backupCount=3,
            encoding="utf-8",
        )
        logfile.setLevel(logging.DEBUG if verbose else logging.INFO)
        handlers.append(logfile)
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    for noisy in ("zeep", "httpx", "httpcore", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._postfordeler = True  # type: ignore[attr-defined]
