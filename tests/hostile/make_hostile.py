"""Build hostile and malformed MeMo inputs (bytes) for the reader and gateway tests.

Small cases are built in memory; the big ones (oversize, 10,000-deep nesting, a ~99 MB valid
message) are written to a temp folder at test time and never committed. Run as a script to
write every case into a folder: `python -m tests.hostile.make_hostile OUT_DIR [--big]`.
Each case maps a name to (bytes, expected MemoError code) or (bytes, None) when the message is
valid and must be accepted (dangerous content that the reader neutralises).
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable
from pathlib import Path

MEMO_NS = "https://DigitalPost.dk/MeMo-1"
VALID_UUID = "0f4b7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b"


def message(
    *,
    version: str = "1.2",
    uuid: str = VALID_UUID,
    label: str | None = "Underretning vedr. Emil",
    created: str = "2026-11-15T08:00:00Z",
    filename: str = "besked.txt",
    mime: str = "text/plain",
    content_b64: str | None = None,
    header_extra: str = "",
    root_ns: str = MEMO_NS,
    root_name: str = "Message",
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
    message_type: str = "DIGITALPOST",
) -> bytes:
    """A minimal valid MeMo message (synthetic data) with one knob per hostile variant."""
    if content_b64 is None:
        content_b64 = base64.b64encode(b"Hej, dette er en test.").decode()
    label_el = "" if label is None else f"<memo:label>{label}</memo:label>"
    flags = "<memo:mandatory>false</memo:mandatory><memo:legalNotification>false</memo:legalNotification>"
    sch = ' memoSchVersion="1.1.0"' if version == "1.1" else ""
    header_flags = flags if version == "1.1" else ""
    return (
        f'{prolog}<memo:{root_name} xmlns:memo="{root_ns}" memoVersion="{version}"{sch}>'
        "<memo:MessageHeader>"
        f"<memo:messageType>{message_type}</memo:messageType>"
        f"<memo:messageUUID>{uuid}</memo:messageUUID>"
        f"{label_el}{header_flags}"
        "<memo:Sender><memo:senderID>29189846</memo:senderID><memo:idType>CVR</memo:idType>"
        "<memo:label>Fjordby Skole</memo:label></memo:Sender>"
        "<memo:Recipient><memo:recipientID>66272311</memo:recipientID><memo:idType>CVR</memo:idType>"
        "<memo:ContactPoint><memo:contactPointID>cp-1</memo:contactPointID></memo:ContactPoint>"
        f"</memo:Recipient>{header_extra}</memo:MessageHeader>"
        f"<memo:MessageBody><memo:createdDateTime>{created}</memo:createdDateTime>"
        "<memo:MainDocument><memo:File>"
        f"<memo:encodingFormat>{mime}</memo:encodingFormat>"
        f"<memo:filename>{filename}</memo:filename>"
        "<memo:language>da</memo:language>"
        f"<memo:content>{content_b64}</memo:content>"
        "</memo:File></memo:MainDocument></memo:MessageBody>"
        f"</memo:{root_name}>"
    ).encode()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)


def refused_cases() -> dict[str, tuple[bytes, str]]:
    """Inputs the reader must refuse, with the expected MemoError code."""
    valid = message()
    body_start = valid.index(b"<memo:Message ")
    return {
        "billion_laughs": (
            (
                BILLION_LAUGHS + f'<memo:Message xmlns:memo="{MEMO_NS}" memoVersion="1.2">'
                "<memo:MessageHeader><memo:label>&lol9;</memo:label></memo:MessageHeader>"
                "</memo:Message>"
            ).encode(),
            "dtd",
        ),
        "billion_laughs_in_attribute": (
            (
                BILLION_LAUGHS + f'<memo:Message xmlns:memo="{MEMO_NS}" memoVersion="&lol9;"/>'
            ).encode(),
            "dtd",
        ),
        "xxe_file": (
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + message(label="&xxe;", prolog=""),
            "dtd",
        ),
        "xxe_http": (
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>'
            + message(label="&xxe;", prolog=""),
            "dtd",
        ),
        "xxe_parameter_entity": (
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
            + message(prolog=""),
            "dtd",
        ),
        "external_dtd": (
            b'<?xml version="1.0"?><!DOCTYPE memo:Message SYSTEM "http://127.0.0.1:9/memo.dtd">'
            + message(prolog=""),
            "dtd",
        ),
        "doctype_plain": (b"<!DOCTYPE html>" + valid[body_start:], "dtd"),
        "doctype_after_comment": (b"<!-- hi --><!DOCTYPE x []>" + valid[body_start:], "dtd"),
        "truncated": (valid[: len(valid) // 2], "xml"),
        "truncated_in_tag": (valid[:-5], "xml"),
        "not_xml_text": (b"Hej kommune, her er mit brev.", "xml"),
        "not_xml_json": (b'{"messageUUID": "x"}', "xml"),
        "empty": (b"", "xml"),
        "whitespace_only": (b"   \n\t ", "xml"),
        "binary_garbage": (bytes((i * 73 + 41) % 256 for i in range(4096)), "xml"),
        "pdf_not_xml": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n", "xml"),
        "utf16": (valid.decode().replace("UTF-8", "UTF-16").encode("utf-16"), "encoding"),
        "utf7_declared": (valid.replace(b"UTF-8", b"UTF-7"), "encoding"),
        "two_roots": (valid + valid[body_start:], "xml"),
        "undefined_entity": (message(label="&nbsp;"), "xml"),
        "wrong_namespace": (message(root_ns="https://DigitalPost.dk/MeMo-2"), "namespace"),
        "no_namespace": (
            valid.replace(b'xmlns:memo="https://DigitalPost.dk/MeMo-1"', b'xmlns:memo="urn:x"'),
            "namespace",
        ),
        "wrong_root": (message(root_name="MessageHeader"), "namespace"),
        "memo_version_9_9": (message(version="9.9"), "version"),
        "memo_version_missing": (valid.replace(b' memoVersion="1.2"', b""), "version"),
        "memo_version_text": (valid.replace(b'memoVersion="1.2"', b'memoVersion="abc"'), "version"),
        "nemsms": (message(message_type="NEMSMS"), "nemsms"),
        "uuid_not_v4": (message(uuid="0f4b7c1e-2a3d-1e5f-8a9b-0c1d2e3f4a5b"), "schema"),
        "uuid_garbage": (message(uuid="not-a-uuid"), "schema"),
        "time_not_utc": (message(created="2026-11-15T08:00:00+01:00"), "schema"),
        "time_no_zone": (message(created="2026-11-15T08:00:00"), "schema"),
        "label_257": (message(label="x" * 257), "schema"),
        "label_missing": (message(label=None), "schema"),
        # libxml2's xs:base64Binary check lets this through; the strict decoder refuses it.
        "base64_invalid": (message(content_b64="SGVq!!!IGRpZw=="), "base64"),
        "base64_invalid_chars": (message(content_b64="SGVq$$$$"), "base64"),
        "base64_bad_padding": (message(content_b64="SGVqQ"), "schema"),
        "unknown_element": (message(header_extra="<memo:Evil>x</memo:Evil>"), "schema"),
        "v11_missing_mandatory": (
            message(version="1.1").replace(b"<memo:mandatory>false</memo:mandatory>", b""),
            "schema",
        ),
        "nesting_100": (message(header_extra="<memo:X>" * 100 + "</memo:X>" * 100), "depth"),
    }


def accepted_cases() -> dict[str, tuple[bytes, str]]:
    """Valid messages with dangerous content: accepted, name neutralised. Maps to the filename."""
    names = {
        "path_traversal": "../../etc/passwd",
        "backslash_traversal": "..\\..\\win.ini",
        "absolute_path": "/etc/shadow",
        "drive_letter": "C:\\Windows\\System32\\evil.dll",
        "reserved_device": "CON.txt",
        "reserved_device_bare": "aux",
        "bidi_override": "invoice\u202efdp.exe",
        "hidden_dotfile": ".bashrc",
        "very_long_name": "a" * 250 + ".pdf",
        "control_chars": "brev\t\n\x7f\x85.txt",
        "zero_width": "bre\u200bv.pdf",
        "windows_forbidden": 'a<b>c:d"e|f?g*h.txt',
        "only_dots": "...",
        "empty_name": "",
    }
    out = {}
    for case, name in names.items():
        shown = name if "&#" in name else _xml_escape(name)
        out[case] = (message(filename=shown), name)
    return out


def html_script_message() -> bytes:
    html = (
        b"<html><body><script>alert(1)</script><img src='http://127.0.0.1:9/x.png'></body></html>"
    )
    return message(
        filename="brev.html", mime="text/html", content_b64=base64.b64encode(html).decode()
    )


def mismatched_type_message() -> bytes:
    exe = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode"
    return message(
        filename="faktura.pdf", mime="application/pdf", content_b64=base64.b64encode(exe).decode()
    )


def write_deep(path: Path, depth: int = 10_000) -> Path:
    """A message with `depth` nested elements inside the header."""
    path.write_bytes(message(header_extra="<memo:X>" * depth + "</memo:X>" * depth))
    return path


def write_oversize(path: Path, size: int) -> Path:
    """A well-formed message padded (inside a comment) to at least `size` bytes."""
    base = message()
    pad = max(0, size - len(base))
    path.write_bytes(
        base.replace(b"<memo:MessageHeader>", b"<!--" + b"p" * pad + b"--><memo:MessageHeader>", 1)
    )
    return path


def write_big_valid(path: Path, target_bytes: int = 99_000_000) -> Path:
    """A valid ~99 MB message (one big PDF-ish attachment), streamed to disk in chunks."""
    head, tail = message(
        content_b64="@@CONTENT@@", filename="scan.pdf", mime="application/pdf"
    ).split(b"@@CONTENT@@")
    raw_len = (target_bytes - len(head) - len(tail)) // 4 * 3
    chunk = b"%PDF-1.4\n" + bytes(range(256)) * 3072  # ~786 KB
    chunk = chunk[: len(chunk) // 3 * 3]
    with path.open("wb") as fh:
        fh.write(head)
        written = 0
        while written < raw_len:
            part = chunk[: min(len(chunk), raw_len - written)]
            part = part[: len(part) // 3 * 3] or part
            fh.write(base64.b64encode(part))
            written += len(part)
        fh.write(tail)
    return path


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("hostile-out")
    out.mkdir(parents=True, exist_ok=True)
    for name, (data, code) in refused_cases().items():
        (out / f"refused_{code}_{name}.xml").write_bytes(data)
    for name, (data, _) in accepted_cases().items():
        (out / f"accepted_{name}.xml").write_bytes(data)
    if "--big" in argv:
        write_deep(out / "refused_depth_nesting_10000.xml")
        write_oversize(out / "refused_size_101mb.xml", 101 * 1024 * 1024)
        write_big_valid(out / "accepted_big_99mb.xml")
    print(out)
    return 0


BUILDERS: dict[str, Callable[..., Path]] = {
    "deep": write_deep,
    "oversize": write_oversize,
    "big_valid": write_big_valid,
}

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
