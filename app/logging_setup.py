"""Logging: one named logger per concern, and redaction so personal data never reaches a log.

Every handler `setup_logging` installs
- drops records below WARNING from loggers outside `postfordeler` (`ThirdPartyFilter`): zeep,
  httpx, httpcore, aiohttp, asyncssh, SQLAlchemy and friends log whole request and response
  bodies (a MeMo message: names, text, base64 attachments) at DEBUG/INFO; their levels are also
  held at WARNING, `-v` or not;
- rewrites each record with a `RedactingFilter` (CPR numbers, in every format `app.cpr`
  recognises, become `<cpr>` in the message, its arguments, the traceback and `stack_info`),
  so later handlers and formatters never see the raw values;
- formats with a `RedactingFormatter`, which redacts the *final* string once more: whatever a
  format field, an `extra` value, an exception's `__str__` or a cached `exc_text` put there.

Uncaught exceptions outside the desktop app (which has its own hook) are printed and logged
redacted too (`install_excepthook`).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from types import TracebackType
from typing import Final

from app import cpr, paths

FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN_LOGGER: Final = "postfordeler"
# Third-party loggers known to log message bodies, URLs with data or SQL parameters below
# WARNING; held at WARNING even with -v (ThirdPartyFilter drops any other's records too).
NOISY_LOGGERS: Final = (
    "qasync",
    "zeep",
    "zeep.transports",
    "zeep.wsdl",
    "zeep.xsd",
    "httpx",
    "httpcore",
    "h11",
    "h2",
    "hpack",
    "aiohttp",
    "aiohttp.access",
    "aiohttp.client",
    "aiohttp.server",
    "aiohttp.web",
    "asyncssh",
    "paramiko",
    "sqlalchemy",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "alembic",
    "urllib3",
    "requests",
    "PIL",
    "signxml",
    "xmlschema",
    "asyncio",
    "keyring",
    "secretstorage",
    "psycopg",
    "multipart",
    "charset_normalizer",
)
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


class RedactingFormatter(logging.Formatter):
    """A Formatter whose output, traceback and stack included, has every CPR number redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class ThirdPartyFilter(logging.Filter):
    """Drops records below WARNING from every logger outside `postfordeler`: third-party
    debug and info output (request and response bodies, SQL parameters) never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        return (
            record.levelno >= logging.WARNING
            or name == OWN_LOGGER
            or name.startswith(OWN_LOGGER + ".")
        )


def quieten_third_party() -> None:
    """Hold the known body-logging loggers at WARNING (whatever -v or a library set)."""
    for noisy in NOISY_LOGGERS:
        logger = logging.getLogger(noisy)
        if logger.level < logging.WARNING:  # NOTSET (0) included
            logger.setLevel(logging.WARNING)


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
    fmt = RedactingFormatter(FORMAT)
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(ThirdPartyFilter())
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
    quieten_third_party()
    logging.captureWarnings(True)  # warnings go through the same filters
    install_excepthook()
    setattr(root, _MARK, True)


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    # the console handler prints it to stderr, redacted like every record
    logging.getLogger(OWN_LOGGER).critical("uncaught exception", exc_info=(exc_type, exc, tb))


def install_excepthook() -> None:
    """Uncaught exceptions are logged (and so printed) with CPR numbers redacted (the desktop app
    replaces this with its own hook, which logs through the same handlers)."""
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _excepthook
