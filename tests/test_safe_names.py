"""safe_filename never yields a name that escapes a folder or misleads; type checks."""

from __future__ import annotations

import random
import unicodedata

import pytest

from app.sf1606.safe_names import (
    MAX_NAME_CHARS,
    is_risky_type,
    mime_matches,
    safe_filename,
    sniff_mime,
    unique_names,
)

RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in "123456789¹²³"
}
BIDI_AND_INVISIBLE = set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\ufeff"
)

NASTY = [
    "",
    ".",
    "..",
    "...",
    "....",
    " ",
    "  .  ",
    "/",
    "\\",
    "//",
    "\\\\",
    "./",
    ".\\",
    "../../etc/passwd",
    "..\\..\\win.ini",
    "..",
    "/etc/shadow",
    "C:\\Windows\\win.ini",
    "C:evil.txt",
    "c:",
    "\\\\server\\share\\x.pdf",
    "//server/share/x.pdf",
    "a/../../b.txt",
    "CON",
    "con",
    "CON.txt",
    "con.tar.gz",
    "NUL.",
    "nul ",
    "COM1.pdf",
    "LPT9",
    "AUX.pdf.txt",
    "COM¹.txt",
    "CONIN$",
    "PRN .txt",
    "invoice\u202efdp.exe",
    "\u202e",
    "\u2066abc\u2069.pdf",
    "a\u200bb.pdf",
    "\ufeffbom.txt",
    ".bashrc",
    ".ssh/authorized_keys",
    "..bashrc",
    ". .",
    "-rf",
    "--help.txt",
    "a" * 1000,
    "a" * 500 + ".pdf",
    "b" * 119 + ".pdf",
    "é" * 300 + ".txt",
    "e\u0301.txt",
    "\x00",
    "a\x00b.txt",
    "tab\there.txt",
    "new\nline.txt",
    "\x7f\x1b[31m.txt",
    'a<b>c:d"e|f?g*h',
    "?",
    "*",
    "<>",
    "trailing.",
    "trailing ",
    "trailing. . .",
    "x.pdf                          ",
    "ﾠ",
    "\u3000\u3000",
    "\u00a0name\u00a0.txt",
    "emoji 😀.png",
    "名前.pdf",
    "\ud800.txt".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "normal.pdf",
    "Brev fra skolen (2).pdf",
    "x.",
    "x.exe.",
    "file:name.txt",
]


def check_safe(result: str, tmp_path=None) -> None:
    assert result, "never empty"
    assert len(result) <= MAX_NAME_CHARS
    assert "/" not in result and "\\" not in result and "\x00" not in result
    assert not result.startswith(".")
    assert not result.endswith((".", " "))
    assert not set('<>:"|?*') & set(result)
    assert not BIDI_AND_INVISIBLE & set(result)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in result)
    assert unicodedata.normalize("NFC", result) == result
    assert result.split(".")[0].rstrip(" ").upper() not in RESERVED
    assert result not in (".", "..")
    assert safe_filename(result) == result, "idempotent"
    if tmp_path is not None:
        target = (tmp_path / result).resolve()
        assert target.parent == tmp_path.resolve()
        target.write_bytes(b"x")
        assert target.exists()
        target.unlink()


@pytest.mark.parametrize("name", NASTY)
def test_nasty_names(name, tmp_path):
    check_safe(safe_filename(name), tmp_path)
    check_safe(safe_filename(name, mime="application/pdf"), tmp_path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("CON.txt", "_CON.txt"),
        ("con.tar.gz", "_con.tar.gz"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        (".bashrc", "bashrc"),
        ("", "dokument"),
        ("..", "dokument"),
        ("normal.pdf", "normal.pdf"),
        ("Brev fra skolen (2).pdf", "Brev fra skolen (2).pdf"),
        ("e\u0301.txt", "\u00e9.txt"),
        ("C:\\Windows\\win.ini", "win.ini"),
        ("a  b.txt", "a b.txt"),
        ("x.pdf   ", "x.pdf"),
        ("名前.pdf", "名前.pdf"),
    ],
)
def test_expected_results(name, expected):
    assert safe_filename(name) == expected


def test_length_cap_keeps_extension():
    result = safe_filename("a" * 300 + ".pdf")
    assert len(result) == MAX_NAME_CHARS and result.endswith(".pdf")


def test_mime_adds_missing_extension_and_fallback():
    assert safe_filename("brev", mime="application/pdf") == "brev.pdf"
    assert safe_filename("", mime="text/plain") == "dokument.txt"
    assert safe_filename("", fallback="bilag") == "bilag"
    assert safe_filename("..", fallback="../../x") == "x"
    assert safe_filename("brev.docx", mime="application/pdf") == "brev.docx"


def test_random_fuzz_fixed_seed(tmp_path):
    rng = random.Random(1606)
    alphabet = (
        list("abcXYZ019 ._-/\\:*?\"<>|~$%&'()[]{}")
        + list(BIDI_AND_INVISIBLE)
        + [
            "\x00",
            "\x01",
            "\x1f",
            "\x7f",
            "\x85",
            "\u2028",
            "\u00a0",
            "\u3000",
            "é",
            "e\u0301",
            "ø",
            "Å",
            "😀",
            "\ud7ff",
            "\ue000",
            "\uffff",
            "CON",
            "nul",
            "com1",
            "..",
            "LPT3.",
        ]
    )
    for _ in range(3000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        check_safe(safe_filename(name, mime=rng.choice([None, "application/pdf"])))
    for _ in range(100):  # a sample really written to disk
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        check_safe(safe_filename(name), tmp_path)


def test_unique_names():
    assert unique_names(["a.pdf", "A.pdf", "a.pdf", "b.txt"]) == [
        "a.pdf",
        "A (2).pdf",
        "a (3).pdf",
        "b.txt",
    ]


PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
GIF = b"GIF89a" + b"\x00" * 10
ZIP = b"PK\x03\x04" + b"\x00" * 20
EXE = b"MZ\x90\x00" + b"\x00" * 60
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 20
HTML = b"  <!DOCTYPE html><html><script>x</script></html>"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (ZIP, "application/zip"),
        (EXE, "application/x-msdownload"),
        (ELF, "application/x-executable"),
        (HTML, "text/html"),
        (b"hello", None),
    ],
)
def test_sniff(data, mime):
    assert sniff_mime(data) == mime


@pytest.mark.parametrize(
    ("declared", "data", "ok"),
    [
        ("application/pdf", PDF, True),
        ("application/pdf", EXE, False),
        ("application/pdf", b"not a pdf", False),
        ("image/png", PNG, True),
        ("image/png", JPEG, False),
        ("image/jpeg", JPEG, True),
        ("image/jpg", JPEG, True),
        ("text/plain", "Hej Ærø".encode(), True),
        ("text/plain", EXE, False),
        ("text/plain", PDF, False),
        ("text/plain; charset=utf-8", b"ok", True),
        ("text/html", HTML, True),
        ("application/octet-stream", b"\x00\x01", True),
        ("application/octet-stream", ELF, False),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP, True),
    ],
)
def test_mime_matches(declared, data, ok):
    assert mime_matches(declared, data) is ok


@pytest.mark.parametrize(
    ("filename", "mime", "data", "risky"),
    [
        ("brev.pdf", "application/pdf", PDF, False),
        ("brev.txt", "text/plain", b"hej", False),
        ("foto.jpg", "image/jpeg", JPEG, False),
        ("setup.exe", "application/octet-stream", None, True),
        ("x.pdf.exe", "application/pdf", None, True),
        ("script.js", "text/plain", None, True),
        ("a.vbs", None, None, True),
        ("a.ps1", None, None, True),
        ("a.lnk", None, None, True),
        ("a.hta", None, None, True),
        ("a.html", "text/html", None, True),
        ("a.jar", None, None, True),
        ("a.BAT", None, None, True),
        ("invoice\u202efdp.exe", "application/pdf", None, True),
        ("brev.pdf", "application/pdf", EXE, True),
        ("brev.pdf", "text/plain", None, True),  # name and header disagree
        ("brev", "application/x-msdownload", None, True),
        ("brev.pdf", "application/pdf", b"junk", True),
    ],
)
def test_is_risky_type(filename, mime, data, risky):
    assert is_risky_type(filename, mime, data) is risky
