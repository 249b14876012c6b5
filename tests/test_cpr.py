"""The one CPR module (app.cpr) and everything that must agree with it.

Property-style: every format the suggestion engine recognises (separators, spacing, OCR damage,
invalid dates, repeats, surrounding text) is generated, checked to be found by the engine, and
then pushed through the logging redaction (message, args, exception traceback, stack info; the
real filter on a real handler) and the UI mask: no serial digits may survive any of them.
"""

from __future__ import annotations

import io
import itertools
import logging
import random
import re
import sys
from collections.abc import Iterator
from datetime import date

import pytest

from app import cpr
from app.core import audit
from app.logging_setup import FORMAT, RedactingFilter, build_handlers, redact
from app.sf1606.model import ContactInfo, ContactPoint, Kind, MemoMessage, Party, ReplyData
from app.ui.header_panel import HeaderPanel, mask_cpr

# Valid dates (one fails modulus 11, one is from the 2000s by the century digit), an invalid date.
VALID = ("0101990120", "3101145920", "0703145123", "2902004321")
INVALID_DATE = ("3102991234", "0113991234")
SAMPLES = VALID + INVALID_DATE

DATE_SEPARATORS = ("", "-", ".", "/", " ")
GAPS = ("", " ", "  ", "\t")
SERIAL_SEPARATORS = ("", "-", "\u2013", "\u2010", "\u2011", "\u2212", ".", "/")
CONTEXTS = (
    "{}",
    "CPR: {}",
    "cpr nr. {} vedr. barnet",
    "({})",
    "Barnets personnummer er {}.",
    "linje et\n{}\nlinje tre",
    "første {} og igen {}",  # a repeat of the same number
)


def formats(number: str) -> Iterator[str]:
    """`number` written in every way the engine accepts (without OCR damage)."""
    d, m, y, serial = number[:2], number[2:4], number[4:6], number[6:]
    for sep, gap1, serial_sep, gap2 in itertools.product(
        DATE_SEPARATORS, GAPS, SERIAL_SEPARATORS, GAPS
    ):
        yield f"{d}{sep}{m}{sep}{y}{gap1}{serial_sep}{gap2}{serial}"


OCR_LETTERS = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z"}


def ocr_damaged(written: str, rng: random.Random) -> str:
    """`written` with one or two digits replaced by letters OCR mistakes for them."""
    positions = [i for i, c in enumerate(written) if c in OCR_LETTERS]
    chars = list(written)
    for i in rng.sample(positions, min(len(positions), rng.choice((1, 2)))):
        chars[i] = OCR_LETTERS[chars[i]]
    return "".join(chars)


def corpus() -> list[tuple[str, str]]:
    """(number, text) pairs: every format of every sample in a few contexts, plus OCR damage."""
    rng = random.Random(8)
    out: list[tuple[str, str]] = []
    for number in SAMPLES:
        written = list(formats(number))
        for text in written:
            out.append((number, rng.choice(CONTEXTS).format(text, text)))
        for text in rng.sample(written, 40):
            out.append((number, rng.choice(CONTEXTS).format(*[ocr_damaged(text, rng)] * 2)))
    return out


CORPUS = corpus()


OCR_CLASS = {"0": "[0OoDQ]", "1": "[1Il|i]", "2": "[2Zz]", "5": "[5Ss]", "8": "[8B]"}


def leaked(number: str, output: str) -> bool:
    """True if `output` still holds something CPR-shaped, or the serial (last four digits) of
    `number` standing on its own, digits or OCR look-alikes."""
    return bool(cpr.spans(output)) or serial_visible(number, output)


def serial_visible(number: str, output: str) -> bool:
    serial = "".join(OCR_CLASS.get(c, c) for c in number[6:])
    return re.search(rf"(?<![0-9]){serial}(?![0-9])", output) is not None


# --- the recogniser --------------------------------------------------------------------------


def test_cpr_formats_and_modulus11_not_required():
    # 0101990120 has a valid date but fails modulus 11: still accepted
    assert not _mod11("0101990120")
    for text in (
        "cpr 0101990120",
        "CPR: 010199-0120",
        "010199 0120",
        "01.01.99-0120",
        "010199/0120",
        "0l0199-0l20",
        "01 01 99 0120",
        "010199 \u2013 0120",
    ):
        assert [h.cpr for h in cpr.find(text)] == ["0101990120"], text
    assert cpr.find("tlf. 41071606 og J.nr. 3802-28067-00871-26") == []
    assert cpr.find("310299-1234") == []  # 31 February is no date
    assert cpr.is_valid("3101145920")


def test_every_generated_format_is_found_by_the_engine():
    for number, text in CORPUS:
        hits = cpr.find(text, keep_invalid_dates=True)
        assert [h.cpr for h in hits] == [number], repr(text)
        assert hits[0].valid_date is (number in VALID), repr(text)
        assert [h.cpr for h in cpr.find(text)] == ([number] if number in VALID else [])


def test_find_reports_where_and_whether_repaired():
    text = "Barnet: 0l0199-0120, igen 010199-0120"
    (hit,) = cpr.find(text)  # de-duplicated by value
    assert text[hit.start : hit.end] == "0l0199-0120"
    assert hit.ocr_repaired and hit.valid_date
    assert not cpr.find("SOS BIZ OlSBZ DOIlS")  # letters alone are words, not numbers
    assert not cpr.find("tlf 12345678901")  # 11 digits
    assert not cpr.find("x0101990120")  # glued to a word: the engine does not take it


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("0101990120", date(1999, 1, 1)),  # century digit 0: 1900s
        ("0101054120", date(2005, 1, 1)),  # 4 and year <= 36: 2000s
        ("0101994120", date(1999, 1, 1)),  # 4 and year > 36: 1900s
        ("0101585120", date(1858, 1, 1)),  # 5-8 and year > 57: 1800s
        ("0101155120", date(2015, 1, 1)),  # 5-8 and year <= 57: 2000s
        ("2902004321", date(2000, 2, 29)),  # leap day
        ("3102991234", None),
        ("0113991234", None),
        ("0000991234", None),
        ("2902014321", None),  # 2001 is no leap year
        ("010199012", None),
        ("01019901200", None),
        ("abcdefghij", None),
    ],
)
def test_birth_date_by_day_month_and_century_digit(number, born):
    assert cpr.birth_date(number) == born
    assert cpr.is_valid(number) is (born is not None)


def test_birth_date_agrees_with_python_stdnum():
    from stdnum.dk import cpr as stdnum_cpr
    from stdnum.exceptions import ValidationError

    rng = random.Random(11)
    numbers = [f"{rng.randrange(10**10):010d}" for _ in range(20000)]
    numbers += [
        f"{d:02d}{m:02d}{y:02d}{c}000"
        for d in (0, 1, 29, 31, 32)
        for m in (0, 2, 12, 13)
        for y in (0, 36, 37, 57, 58, 99)
        for c in range(10)
    ]
    for number in numbers:
        try:
            expected = stdnum_cpr.get_birth_date(number)
        except (ValidationError, ValueError):
            expected = None
        assert cpr.birth_date(number) == expected, number


def test_modulus_11_never_rejects():
    failing = [n for n in VALID if not _mod11(n)]
    assert failing
    for number in failing:
        assert cpr.is_valid(number)
        assert cpr.normalise(number) == number
        assert [h.cpr for h in cpr.find(f"CPR {number}")] == [number]


@pytest.mark.parametrize(
    "written", ["0101990120", "010199-0120", "010199 0120", " 010199-0120 ", "01.01.99-0120"]
)
def test_normalise(written):
    assert cpr.normalise(written) == "0101990120"


@pytest.mark.parametrize(
    "bad", ["", "12345", "0703145123x", "07031451234", "abcdefghij", "٠١٠١٩٩٠١٢٠"]
)
def test_normalise_refuses_without_echoing(bad):
    with pytest.raises(cpr.InvalidCpr) as err:
        cpr.normalise(bad)
    assert not bad or bad not in str(err.value)


def test_neighbours_are_one_slip_away():
    near = cpr.neighbours("0101990120")
    assert len(near) == 10 * 9 + sum(1 for a, b in itertools.pairwise("0101990120") if a != b)
    assert "0101990121" in near and "1001990120" in near and "0101990120" not in near


def test_audit_uses_the_same_normalisation():
    assert audit.normalise_cpr("01.01.99-0120") == cpr.normalise("01.01.99-0120")
    with pytest.raises(audit.InvalidCpr) as err:
        audit.normalise_cpr("0703145123x")
    assert isinstance(err.value, cpr.InvalidCpr) and isinstance(err.value, audit.AuditError)


# --- redaction and masking hide everything the engine finds ----------------------------------


def test_redact_and_mask_hide_every_format_the_engine_finds():
    for number, text in CORPUS:
        redacted = cpr.redact(text)
        assert "<cpr>" in redacted and not leaked(number, redacted), (repr(text), redacted)
        masked = cpr.mask(text)
        assert f"{number[:6]}-xxxx" in masked, (repr(text), masked)
        assert not leaked(number, masked), (repr(text), masked)


def test_redaction_is_wider_than_the_engine_at_the_edges():
    # Glued to letters, or mixed separators: the engine ignores these, logs still hide them.
    for text in ("ID:a0101990120", "uuid-0101990120", "01.01-99 0120", "0101990120.5"):
        assert "0120" not in cpr.redact(text), text


def test_redaction_keeps_ordinary_log_lines():
    for line in (
        "synced 25 items in 1.25 s",
        "message 550e8400-e29b-41d4-a716-446655440000 stored",
        "2026-12-01 22:57:01,123 gateway listening on 127.0.0.1:8443",
        "tlf. 41071606",
        "J.nr. 3802-28067-00871-26",
    ):
        assert cpr.redact(line) == line
        assert cpr.mask(line) == line


def test_ui_mask_is_the_one_mask():
    for number, text in CORPUS[::11]:
        assert mask_cpr(text) == cpr.mask(text)
        assert not leaked(number, mask_cpr(text))


@pytest.mark.ui
def test_header_panel_never_shows_a_serial(qtbot):
    sample = CORPUS[::97]
    message = MemoMessage(
        version="1.2",
        message_type="DIGITALPOST",
        message_uuid="8d6c7a52-3c35-4a8a-9a3b-0c2f2a8a7a11",
        message_id=None,
        label="Henvendelse",
        created=None,
        sender=Party("010199-0120", "CPR", "Borger"),
        recipient=Party(
            "29189846",
            "CVR",
            "Kommunen",
            ContactPoint(
                "cp-1",
                "Børn og familie",
                None,
                tuple(ContactInfo("Barnets CPR nummer", t) for _, t in sample),
            ),
        ),
        kind=Kind.NYHENVENDELSE,
        reply_data=(ReplyData("7c9e6679-7425-40de-944b-e07fc1f90ae7", sender_id="3101145920"),),
    )
    panel = HeaderPanel()
    qtbot.addWidget(panel)
    panel.show_message(message)
    shown = panel.details.text()
    assert "010199-xxxx" in shown and "310114-xxxx" in shown
    for number in {n for n, _ in sample} | {"0101990120", "3101145920"}:
        assert not serial_visible(number, shown), number


def _filtered_stream() -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("postfordeler.test.cpr")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger, stream, handler


def test_log_filter_redacts_every_format_the_engine_finds():
    logger, stream, handler = _filtered_stream()
    try:
        for number, text in CORPUS:
            stream.seek(0)
            stream.truncate()
            logger.info(text)
            logger.info("args: %s", text)
            logger.info("dict args: %(value)s", {"value": text})
            out = stream.getvalue()
            assert out.count("<cpr>") >= 3 and not leaked(number, out), (repr(text), out)
    finally:
        logger.removeHandler(handler)


def test_log_filter_redacts_tracebacks_and_stack_info():
    logger, stream, handler = _filtered_stream()
    try:
        for number, text in CORPUS[:: max(1, len(CORPUS) // 150)]:
            stream.seek(0)
            stream.truncate()
            try:
                raise ValueError(f"bad value {text}")
            except ValueError:
                logger.exception("failed on %s", text)
            logger.info("where", stack_info=True, extra={"x": text})
            try:
                raise KeyError(text)
            except KeyError:
                logger.exception("lookup")
            out = stream.getvalue()
            assert "Traceback" in out and "ValueError: bad value" in out
            assert "KeyError" in out and not leaked(number, out), (repr(text), out)
    finally:
        logger.removeHandler(handler)


def test_log_filter_redacts_a_record_that_was_already_formatted():
    # Another handler (e.g. pytest's) may have cached the raw traceback in exc_text first.
    record = logging.LogRecord(
        "postfordeler.x", logging.ERROR, __file__, 1, "m %s", ("0101990120",), None
    )
    try:
        raise ValueError("010199-0120")
    except ValueError:
        record.exc_info = sys.exc_info()
    logging.Formatter().format(record)
    assert "010199-0120" in (record.exc_text or "")
    assert RedactingFilter().filter(record)
    assert record.exc_info is None and "0120" not in (record.exc_text or "")
    assert record.getMessage() == "m <cpr>"


def test_the_real_log_file_never_holds_a_cpr(tmp_path):
    handlers = build_handlers(verbose=True, to_file=True)
    logger = logging.getLogger("postfordeler.test.cpr.file")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    file_handler = handlers[1]
    logger.addHandler(file_handler)
    try:
        for _, text in CORPUS[::7]:
            logger.debug("value %s", text)
            try:
                raise RuntimeError(text)
            except RuntimeError:
                logger.info("caught", exc_info=True)
    finally:
        logger.removeHandler(file_handler)
        for h in handlers:
            h.close()
    written = file_handler.baseFilename  # type: ignore[attr-defined]
    with open(written, encoding="utf-8") as f:
        content = f.read()
    assert content.count("<cpr>") >= 2 * len(CORPUS[::7])
    assert not cpr.spans(content)
    for number in {n for n, _ in CORPUS[::7]}:
        assert not serial_visible(number, content), number
    assert redact("CPR 010199-0120") == "CPR <cpr>"


def test_audit_detail_is_scrubbed_like_the_log(tmp_path):
    from app.models.db import open_cache

    db = open_cache(tmp_path / "cache.sqlite3")
    try:
        log = audit.AccessLog(db, user="fordeler1", key=b"k" * 32)
        sample = CORPUS[::29]
        for _, text in sample:
            log.search_name(f"Mia {text}")
        with db.engine.connect() as conn:
            details = [r[0] for r in conn.exec_driver_sql("SELECT detail FROM access_log")]
    finally:
        db.engine.dispose()
    assert len(details) == len(sample)
    for (number, _), detail in zip(sample, details, strict=True):
        assert detail.startswith("Mia ") and not leaked(number, detail), detail


def _mod11(number: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0
