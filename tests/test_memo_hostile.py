"""Hostile and malformed MeMo: refused with a specific one-line reason in bounded time, or,
for dangerous content in a valid message, accepted with the danger neutralised."""

from __future__ import annotations

import time
import unicodedata

import pytest

from app.sf1606.memo import DEFAULT_MAX_BYTES, MemoError, read_memo, validate_only
from app.sf1606.safe_names import is_risky_type, mime_matches
from tests.hostile import make_hostile as H

REFUSED = H.refused_cases()
ACCEPTED = H.accepted_cases()
SYNTHETIC_CPR = "0101901234"  # synthetic, used to check that reasons never echo values


def _refuse(data, **kwargs) -> MemoError:
    started = time.perf_counter()
    with pytest.raises(MemoError) as err:
        read_memo(data, **kwargs)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"refusal took {elapsed:.2f}s"
    reason = err.value.reason
    assert reason and "\n" not in reason and len(reason) < 300
    assert str(err.value) == reason
    return err.value


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_specific_code(case):
    data, code = REFUSED[case]
    err = _refuse(data)
    assert err.code == code, (case, err.code, err.reason)
    # validate_only agrees with read_memo
    with pytest.raises(MemoError) as again:
        validate_only(data)
    assert again.value.code == code


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("billion_laughs", "DTD"),
        ("xxe_file", "DTD"),
        ("truncated", "afkortet"),
        ("not_xml_text", "ikke XML"),
        ("wrong_namespace", "navnerummet"),
        ("memo_version_9_9", "9.9"),
        ("uuid_not_v4", "UUID version 4"),
        ("time_not_utc", "UTC"),
        ("label_257", "256"),
        ("label_missing", "label"),
        ("base64_invalid", "base64"),
        ("base64_bad_padding", "content"),
        ("nesting_100", "indlejring"),
        ("nemsms", "NemSMS"),
    ],
)
def test_reason_says_what_is_wrong(case, words):
    assert words in _refuse(REFUSED[case][0]).reason


def test_entities_are_never_expanded_nor_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("HEMMELIGT-INDHOLD")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
        + H.message(label="&xxe;", prolog="")
    )
    err = _refuse(data)
    assert err.code == "dtd" and "HEMMELIGT" not in err.reason


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"label": ("Barn " + SYNTHETIC_CPR + " ") * 20}, SYNTHETIC_CPR),
        ({"uuid": SYNTHETIC_CPR + "-it's-'quoted'"}, SYNTHETIC_CPR),
        ({"created": "2026-11-15T08:00:00+01:00"}, "08:00"),
        ({"content_b64": "SGVq" + SYNTHETIC_CPR + "!"}, SYNTHETIC_CPR),
        ({"header_extra": f"<memo:postType>{'p' * 300}</memo:postType>"}, "ppp"),
    ],
)
def test_schema_reasons_never_quote_values(kwargs, needle):
    err = _refuse(H.message(**kwargs))
    assert err.code in ("schema", "base64")
    assert needle not in err.reason
    assert "'" not in err.reason.split(":", 1)[1]


def test_nesting_10000_deep_refused_fast(tmp_path):
    path = H.write_deep(tmp_path / "deep.xml", 10_000)
    assert _refuse(path).code == "depth"
    assert _refuse(path.read_bytes()).code == "depth"


def test_oversize_refused_before_parsing(tmp_path):
    path = H.write_oversize(tmp_path / "big.xml", 300_000)
    err = _refuse(path, max_bytes=100_000)
    assert err.code == "size" and "100.000" in err.reason
    # garbage over the limit is refused for its size, i.e. before any parser sees it
    assert _refuse(b"\x00garbage" * 20_000, max_bytes=100_000).code == "size"
    assert _refuse(bytearray(b"<" * 200_001), max_bytes=200_000).code == "size"
    # the same message under the limit reads
    assert read_memo(path, max_bytes=400_000).label
    assert DEFAULT_MAX_BYTES > 99_500_000


def test_missing_file_is_a_memo_error(tmp_path):
    assert _refuse(tmp_path / "nope.xml").code == "io"


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_dangerous_names_accepted_and_neutralised(case, tmp_path):
    data, original = ACCEPTED[case]
    msg = read_memo(data)
    f = msg.files[0]
    assert f.filename == original.replace("\r", "") or case == "control_chars"
    safe = f.safe_filename
    assert safe and len(safe) <= 120
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert not safe.endswith((".", " "))
    assert unicodedata.normalize("NFC", safe) == safe
    assert not any(unicodedata.category(c).startswith("C") for c in safe)
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    target = (tmp_path / safe).resolve()
    assert target.parent == tmp_path.resolve()
    target.write_bytes(f.content)  # really usable as a name on this OS
    assert target.read_bytes() == f.content


def test_specific_neutralisations():
    names = {case: read_memo(data).files[0].safe_filename for case, (data, _) in ACCEPTED.items()}
    assert names["path_traversal"] == "passwd.txt"
    assert names["backslash_traversal"] == "win.ini"
    assert names["reserved_device"] == "_CON.txt"
    assert names["bidi_override"] == "invoicefdp.exe"
    assert names["hidden_dotfile"] == "bashrc.txt"
    assert names["very_long_name"].endswith(".pdf") and len(names["very_long_name"]) == 120
    assert names["only_dots"] == names["empty_name"] == "dokument.txt"
    # the exe hidden behind a bidi override is flagged as risky
    assert is_risky_type(names["bidi_override"], "text/plain")
    assert is_risky_type(ACCEPTED["bidi_override"][1], "text/plain")


def test_html_with_script_is_accepted_but_risky():
    msg = read_memo(H.html_script_message())
    f = msg.files[0]
    assert f.mime == "text/html" and b"<script>" in f.content
    assert is_risky_type(f.filename, f.mime, f.content)


def test_executable_declared_as_pdf_fails_type_check():
    msg = read_memo(H.mismatched_type_message())
    f = msg.files[0]
    assert f.mime == "application/pdf"
    assert not mime_matches(f.mime, f.content)
    assert is_risky_type(f.safe_filename, f.mime, f.content)


def test_generator_script_writes_cases(tmp_path):
    assert H.main([str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == len(REFUSED) + len(ACCEPTED)
    for p in tmp_path.iterdir():
        if p.name.startswith("accepted_"):
            read_memo(p)
        else:
            assert _refuse(p).code == p.name.split("_")[1]


@pytest.mark.slow
def test_big_99mb_message_reads(tmp_path):
    path = H.write_big_valid(tmp_path / "big.xml")
    assert 98_000_000 < path.stat().st_size < 100_000_000
    started = time.perf_counter()
    msg = read_memo(path)
    assert time.perf_counter() - started < 30
    f = msg.files[0]
    assert f.size > 70_000_000 and f.content.startswith(b"%PDF")
    with pytest.raises(MemoError) as err:
        read_memo(path, max_bytes=50_000_000)
    assert err.value.code == "size"


def test_wrapped_base64_lines_are_accepted():
    import base64

    payload = bytes(range(256)) * 4
    wrapped = base64.encodebytes(payload).decode()  # 76-char lines with newlines
    msg = read_memo(
        H.message(content_b64=wrapped, mime="application/octet-stream", filename="data.bin")
    )
    assert msg.files[0].content == payload


def test_comment_inside_text_does_not_truncate_content():
    import base64

    b64 = base64.b64encode(b"abcdefghijkl").decode()
    data = H.message(content_b64=b64[:8] + "<!-- x -->" + b64[8:], label="Hej<!-- c --> du")
    msg = read_memo(data)
    assert msg.files[0].content == b"abcdefghijkl"
    assert msg.label == "Hej du"


def test_whole_hostile_corpus_is_refused_quickly():
    started = time.perf_counter()
    for data, _ in REFUSED.values():
        with pytest.raises(MemoError):
            read_memo(data)
    assert time.perf_counter() - started < 5


def test_without_schema_validation_hardening_still_holds():
    assert read_memo(H.message(), validate=False).label
    for case in ("billion_laughs", "xxe_http", "truncated", "wrong_namespace", "nesting_100"):
        data, code = REFUSED[case]
        assert _refuse(data, validate=False).code == code
    assert _refuse(H.message(content_b64="SGVq$$$$"), validate=False).code == "base64"
    assert _refuse(H.message(created="2026-11-15T08:00:00"), validate=False).code == "schema"
