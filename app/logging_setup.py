"""Logging: one named logger per concern, and a redaction filter so personal data never
reaches a log record.

Every handler `setup_logging` installs carries a `RedactingFilter`: CPR numbers, in every
format the suggestion engine recognises (see `app.cpr`), are replaced by `<cpr>` in the
message, its arguments, the traceback of `exc_info` and any `stack_info` before a formatter
sees the record.
"""

from __future__ import annotations

import logging
import logging.handlers
from typing import Final

from app import cpr, paths

FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY_LOGGERS: Final = ("zeep", "httpx", "httpcore", "aiohttp.access", "alembic")
_MARK: Final = "_postfordeler"
_TRACEBACKS = logging.Formatter()  # formats exc_info exactly as the default Formatter would


def redact(text: str) -> str:
    """`text` with every CPR-looking number replaced by `<cpr>` (`app.cpr.redact`)."""
    return cpr.redact(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record so no CPR number survives in it; never drops a record.

    The message is formatted with its arguments and redacted (`args` become None); a traceback
    (`exc_info`) is formatted once, redacted and kept as `exc_text` (`exc_info` is cleared so no
    later formatter renders the raw exception again); `stack_info` is redacted too. The record
    is shared by all handlers, so one filter protects every handler after it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format must not lose the record (or leak its args)
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def build_handlers(verbose: bool = False, to_file: bool = True) -> list[logging.Handler]:
    """The console handler (WARNING+, or DEBUG+ when verbose) and, with `to_file`, the rotating
    file in the data dir's `logs/` (INFO+ or DEBUG+), each formatted and redacting."""
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
    fmt = logging.Formatter(FORMAT)
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
    return handlers


def setup_logging(verbose: bool = False, to_file: bool = True) -> None:
    """Install `build_handlers` on the root logger once per process and quieten chatty
    third-party loggers."""
    root = logging.getLogger()
    if getattr(root, _MARK, False):
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in build_handlers(verbose, to_file):
        root.addHandler(handler)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    setattr(root, _MARK, True)
