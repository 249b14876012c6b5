"""The hostile case registry: every case the reader, `memo check` and EP_FS1 are run against.

A case is a name, a class (which issue-10 point it covers), a builder and the required outcome:
refused with a MemoError code (EP_FS1: the matching final receipt, never "temporary") or
accepted (`code=None`, optionally with a check on the neutralised message). Builders get a
`HostileEnv`: a FIFO trap, an existing and a missing file and a network trap to name in
DOCTYPEs, so a case that makes anything open a file, a FIFO or a URL is *seen* (the traps
count every open/connection) instead of hanging the run.

To add cases for another class: `register(HostileCase(...))` in your own module and import it
from `all_cases()`'s list of modules (or call `register` at import time from a test module);
`tests/hostile/test_*.py` and `benchmarks/bench_hostile.py` run everything registered. The older
corpus in `make_hostile.py` is included as class "legacy".
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.hostile import make_hostile as H

MEMO_NS = H.MEMO_NS
SYNTHETIC_CPR = "0101901234"  # synthetic (01.01.1990, serial 1234)
BIG_PAD = 10 * 1024 * 1024  # past the reader's 8 MB "parse from disk" and the spool threshold


# --------------------------------------------------------------------------- traps


class FifoTrap:
    """A FIFO that records every open for reading: a poller opens it for writing without
    blocking (ENXIO while nobody reads), so a parser that opened it is counted and released."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="fifo-trap", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.005):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            self.opened += 1
            os.close(fd)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


class NetTrap:
    """A loopback TCP listener that counts connections (a parser fetching a DTD or entity)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="net-trap", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/memo.dtd"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@dataclass
class HostileEnv:
    folder: Path
    fifo: FifoTrap = field(init=False)
    net: NetTrap = field(init=False)
    secret: Path = field(init=False)
    missing: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fifo = FifoTrap(self.folder / "trap.fifo")
        self.net = NetTrap()
        self.secret = self.folder / "hemmelig.txt"
        self.secret.write_text("HEMMELIGT-INDHOLD\n")
        self.missing = self.folder / "findes-ikke.dtd"

    def touched(self) -> int:
        """How many times anything opened the FIFO or connected to the network trap."""
        return self.fifo.opened + self.net.connections

    def close(self) -> None:
        self.fifo.close()
        self.net.close()


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class HostileCase:
    name: str
    cls: str  # parser, encoding, version, datetime, filename, legacy, ...
    build: Callable[[HostileEnv], bytes]
    code: str | None  # the MemoError code required; None: accepted (and neutralised)
    check: Callable[[Any], str | None] | None = None  # accepted: problem with the message
    big: bool = False  # built large (parsed from disk / spooled by the gateway)

    @property
    def receipt(self) -> tuple[int, str]:
        """(HTTP status, receiptStatus) EP_FS1 must answer: never a temporary failure."""
        if self.code is None:
            return 200, "RECEIVED"
        if self.code == "size":
            return 413, "INVALID"
        if self.code == "nemsms":
            return 200, "NOT_ALLOWED"
        return 200, "INVALID"


_REGISTRY: dict[str, HostileCase] = {}


def register(case: HostileCase) -> HostileCase:
    if case.name in _REGISTRY:
        raise ValueError(f"duplicate hostile case {case.name}")
    _REGISTRY[case.name] = case
    return case


def all_cases(*, big: bool = True) -> list[HostileCase]:
    """Every registered case (this module's, the legacy corpus, other classes' modules)."""
    _legacy()
    if not any(c.cls == "preview" for c in _REGISTRY.values()):
        from tests.hostile.preview_cases import register_preview_cases

        register_preview_cases()
    return [c for c in _REGISTRY.values() if big or not c.big]


def fresh_uuid(data: bytes) -> bytes:
    """The same message under a new messageUUID (EP_FS1 runs: no duplicate/conflict noise)."""
    return data.replace(H.VALID_UUID.encode(), str(uuid.uuid4()).encode())


def _split() -> tuple[bytes, bytes]:
    """(XML declaration, everything from the root element) of the valid message."""
    valid = H.message()
    at = valid.index(b"<memo:Message ")
    return valid[:at], valid[at:]


def _with_prolog(markup: str, *, decl: bool = True) -> bytes:
    head, body = _split()
    return (head if decl else b"") + markup.encode() + body


def _doctype_cases() -> None:
    def system(env: HostileEnv) -> str:
        return f'<!DOCTYPE memo:Message SYSTEM "{env.fifo.path}">'

    parser_cases: dict[str, Callable[[HostileEnv], bytes]] = {
        "doctype_system_fifo": lambda env: _with_prolog(system(env)),
        "doctype_system_fifo_file_uri": lambda env: _with_prolog(
            f'<!DOCTYPE memo:Message SYSTEM "file://{env.fifo.path}">'
        ),
        "doctype_public_fifo": lambda env: _with_prolog(
            f'<!DOCTYPE memo:Message PUBLIC "-//X//Y//DA" "{env.fifo.path}">'
        ),
        "doctype_system_url": lambda env: _with_prolog(
            f'<!DOCTYPE memo:Message SYSTEM "{env.net.url}">'
        ),
        "parameter_entity_fifo": lambda env: _with_prolog(
            f'<!DOCTYPE memo:Message [<!ENTITY % p SYSTEM "{env.fifo.path}"> %p;]>'
        ),
        "general_entity_existing_file": lambda env: _with_prolog(
            f'<!DOCTYPE memo:Message [<!ENTITY x SYSTEM "file://{env.secret}">]>'
        ).replace(b"Underretning", b"&x;"),
        "general_entity_missing_file": lambda env: _with_prolog(
            f'<!DOCTYPE memo:Message [<!ENTITY x SYSTEM "file://{env.missing}">]>'
        ).replace(b"Underretning", b"&x;"),
        "doctype_no_declaration": lambda env: _with_prolog(system(env), decl=False),
        "doctype_after_2mb_comment": lambda env: _with_prolog(
            "<!--" + "k" * (2 * 1024 * 1024) + "-->" + system(env)
        ),
        "doctype_after_comments_and_pis": lambda env: _with_prolog(
            "".join(f"<!-- {i} --><?pi {i}?>\n" for i in range(2000)) + system(env)
        ),
        "doctype_after_bom": lambda env: b"\xef\xbb\xbf" + _with_prolog(system(env)),
        "doctype_lowercase": lambda env: _with_prolog(
            f'<!doctype memo:Message SYSTEM "{env.fifo.path}">'
        ),
        "element_declaration_only": lambda env: _with_prolog(
            "<!ELEMENT memo:Message ANY>", decl=True
        ),
    }
    for name, build in parser_cases.items():
        register(HostileCase(name, "parser", build, "dtd"))
    register(
        HostileCase(
            "doctype_after_10mb_comment",
            "parser",
            lambda env: _with_prolog("<!--" + "k" * BIG_PAD + "-->" + system(env)),
            "dtd",
            big=True,
        )
    )
    register(
        HostileCase(
            "entity_fifo_after_10mb_comment",
            "parser",
            lambda env: _with_prolog(
                "<!--"
                + "k" * BIG_PAD
                + f'--><!DOCTYPE memo:Message [<!ENTITY % p SYSTEM "{env.fifo.path}"> %p;]>'
            ),
            "dtd",
            big=True,
        )
    )
    # Markup the parser itself refuses; it must still never open the FIFO.
    register(
        HostileCase(
            "doctype_after_root",
            "parser",
            lambda env: H.message() + f'<!DOCTYPE x SYSTEM "{env.fifo.path}">'.encode(),
            "xml",
        )
    )
    register(
        HostileCase(
            "doctype_inside_element",
            "parser",
            lambda env: H.message(label=f'<!DOCTYPE x SYSTEM "{env.fifo.path}">'),
            "xml",
        )
    )
    register(
        HostileCase(
            "xinclude_fifo",
            "parser",
            lambda env: H.message(
                header_extra='<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                f'href="{env.fifo.path}"/>'
            ),
            "schema",
        )
    )
    # xsi hints are allowed on any element: accepted, and never followed.
    register(
        HostileCase(
            "xsi_schema_location_fifo",
            "parser",
            lambda env: H.message().replace(
                b'memoVersion="1.2"',
                b'memoVersion="1.2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                + f'xsi:schemaLocation="{MEMO_NS} {env.fifo.path}"'.encode(),
            ),
            None,
        )
    )


def _encoding_cases() -> None:
    def utf16(env: HostileEnv, codec: str, bom: bool) -> bytes:
        text = _with_prolog(f'<!DOCTYPE memo:Message SYSTEM "{env.fifo.path}">').decode()
        text = text.replace("UTF-8", "UTF-16" if "16" in codec else "UTF-32")
        return (("\ufeff" if bom else "") + text).encode(codec)

    cases: dict[str, Callable[[HostileEnv], bytes]] = {
        "utf16le_bom_doctype": lambda env: utf16(env, "utf-16-le", True),
        "utf16be_bom_doctype": lambda env: utf16(env, "utf-16-be", True),
        "utf16le_no_bom_doctype": lambda env: utf16(env, "utf-16-le", False),
        "utf16be_no_bom_doctype": lambda env: utf16(env, "utf-16-be", False),
        "utf32le_bom_doctype": lambda env: utf16(env, "utf-32-le", True),
        "utf32be_no_bom_doctype": lambda env: utf16(env, "utf-32-be", False),
        # a declaration that lies: UTF-16 bytes declared UTF-8, and UTF-8 bytes declared UTF-16
        "utf16_bytes_declared_utf8": lambda env: (
            "\ufeff" + _with_prolog(f'<!DOCTYPE m SYSTEM "{env.fifo.path}">').decode()
        ).encode("utf-16-le"),
        "utf8_bytes_declared_utf16": lambda env: _with_prolog(
            f'<!DOCTYPE m SYSTEM "{env.fifo.path}">'
        ).replace(b"UTF-8", b"UTF-16"),
        "utf8_bom_declared_latin1": lambda env: (
            b"\xef\xbb\xbf" + H.message().replace(b"UTF-8", b"ISO-8859-1")
        ),
        "utf7_hidden_doctype": lambda env: H.message(
            prolog='<?xml version="1.0" encoding="UTF-7"?>'
            f"+ADw-!DOCTYPE m SYSTEM +ACI-{env.fifo.path}+ACI-+AD4-"
        ),
        "ebcdic_doctype": lambda env: (
            _with_prolog(f'<!DOCTYPE m SYSTEM "{env.fifo.path}">')
            .replace(b"UTF-8", b"IBM037")
            .decode()
            .encode("cp037")
        ),
        "declaration_not_at_start": lambda env: b"\n " + H.message().replace(b"UTF-8", b"UTF-16"),
    }
    codes = {"declaration_not_at_start": "xml"}
    for name, build in cases.items():
        register(HostileCase(name, "encoding", build, codes.get(name, "encoding")))
    register(
        HostileCase(
            "latin1_declared_accepted",
            "encoding",
            lambda env: (
                H.message(label="Underretning vedr. Søren")
                .replace(b"UTF-8", b"ISO-8859-1")
                .replace("ø".encode(), "ø".encode("latin-1"))
            ),
            None,
            lambda msg: None if msg.label == "Underretning vedr. Søren" else "label misread",
        )
    )


def _version_cases() -> None:
    for name, value in {
        "version_leading_zero": "01.2",
        "version_trailing_zero": "1.20",
        "version_spaces": " 1.2 ",
        "version_plus_sign": "+1.2",
        "version_1_10": "1.10",
        "version_newline": "1.2\n",
        "version_exponent": "1.2e0",
    }.items():
        register(
            HostileCase(
                name,
                "version",
                lambda env, v=value: H.message().replace(
                    b'memoVersion="1.2"', f'memoVersion="{v}"'.encode()
                ),
                "version",
            )
        )


def _created_is(expected: str) -> Callable[[Any], str | None]:
    def check(msg: Any) -> str | None:
        got = msg.created.isoformat() if msg.created else None
        return None if got == expected else f"created {got} != {expected}"

    return check


def _datetime_cases() -> None:
    refused = {
        "time_year_9999_end_of_day": "9999-12-31T24:00:00Z",
        "time_year_9999": "9999-12-31T23:59:59Z",
        "time_year_10000": "10000-01-01T00:00:00Z",
        "time_negative_year": "-0001-01-01T00:00:00Z",
        "time_year_0001": "0001-01-01T00:00:00Z",
        "time_offset_plus_14": "2026-11-15T08:00:00+14:00",
        "time_offset_minus_14_at_9999": "9999-12-31T23:00:00-14:00",
        "time_leap_second": "2026-12-31T23:59:60Z",
    }
    for name, value in refused.items():
        register(HostileCase(name, "datetime", lambda env, v=value: H.message(created=v), "schema"))
    register(
        HostileCase(
            "time_huge_fraction",
            "datetime",
            lambda env: H.message(created="2026-11-15T08:00:00." + "9" * 5000 + "Z"),
            None,
            _created_is("2026-11-15T08:00:00.999999+00:00"),
        )
    )
    register(
        HostileCase(
            "time_end_of_day_2026",
            "datetime",
            lambda env: H.message(created="2026-11-15T24:00:00Z"),
            None,
            _created_is("2026-11-16T00:00:00+00:00"),
        )
    )


def _no_serial(msg: Any) -> str | None:
    for f in msg.files:
        if "1234" in f.safe_filename or SYNTHETIC_CPR in f.safe_filename:
            return f"CPR serial kept in {f.safe_filename!r}"
        if "010190-xxxx" not in f.safe_filename:
            return f"CPR not masked as DDMMYY-xxxx in {f.safe_filename!r}"
    return None


def _filename_cases() -> None:
    for name, filename in {
        "filename_cpr_plain": f"Journal_{SYNTHETIC_CPR}.pdf",
        "filename_cpr_dash": "barn 010190-1234.pdf",
        "filename_cpr_dots": "01.01.90-1234.docx",
        "filename_cpr_zero_width": "0101\u200b901234.pdf",
        "filename_cpr_in_path": f"../{SYNTHETIC_CPR}/{SYNTHETIC_CPR}.txt",
    }.items():
        register(
            HostileCase(
                name,
                "filename",
                lambda env, n=filename: H.message(filename=n),
                None,
                _no_serial,
            )
        )


def _legacy() -> None:
    if any(c.cls == "legacy" for c in _REGISTRY.values()):
        return
    for name, (data, code) in H.refused_cases().items():
        register(HostileCase(f"legacy_{name}", "legacy", lambda env, d=data: d, code))
    for name, (data, _original) in H.accepted_cases().items():
        register(HostileCase(f"legacy_{name}", "legacy", lambda env, d=data: d, None, _one_part))
    html = base64.b64encode(b"<script>alert(1)</script>").decode()
    register(
        HostileCase(
            "legacy_html_script",
            "legacy",
            lambda env: H.message(filename="brev.html", mime="text/html", content_b64=html),
            None,
        )
    )


def _one_part(msg: Any) -> str | None:
    for f in msg.files:
        name = f.safe_filename
        if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 120:
            return f"unsafe name {name!r}"
    return None


_doctype_cases()
_encoding_cases()
_version_cases()
_datetime_cases()
_filename_cases()
