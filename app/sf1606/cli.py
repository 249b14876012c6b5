"""`postfordeler memo check [--json] FILE...`: read and validate MeMo files from the shell.

One line per file; exit status 0 when every file is valid, 1 when any is not (2 for usage
errors, from argparse). The output is the user's explicit request, so it names the sender
(which may be a CPR number); nothing here is logged. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    memo = subparsers.add_parser(
        "memo", help="læs og kontrollér MeMo-beskeder", description="Værktøjer til MeMo-beskeder."
    )
    memo_sub = memo.add_subparsers(dest="memo_command", metavar="KOMMANDO")
    memo.set_defaults(func=_show_help(memo))
    check = memo_sub.add_parser(
        "check",
        help="validér MeMo-filer mod XSD og vis deres indhold",
        description="Læser hver fil som MeMo 1.1/1.2, validerer mod den officielle XSD og "
        "skriver én linje pr. fil. Afslutningskode 0 når alle er gyldige, ellers 1.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="MeMo XML-fil(er)")
    check.add_argument("--json", action="store_true", help="ét JSON-objekt pr. linje")
    check.add_argument(
        "--max-bytes", type=int, default=None, metavar="N", help="største tilladte filstørrelse"
    )
    check.set_defaults(func=run_check)


def describe(path: str, msg: Any = None, error: Any = None) -> dict[str, Any]:
    """The JSON object for one file (`msg` a MemoMessage or `error` a MemoError)."""
    if msg is None:
        return {
            "file": path,
            "ok": False,
            "error": error.reason if error else "ukendt fejl",
            "code": getattr(error, "code", None),
            "version": None,
            "kind": None,
            "message_uuid": None,
            "label": None,
            "sender": None,
            "documents": [],
        }
    return {
        "file": path,
        "ok": True,
        "error": None,
        "code": None,
        "version": msg.version,
        "kind": msg.kind.value,
        "message_uuid": msg.message_uuid,
        "label": msg.label,
        "sender": msg.sender.id,
        "sender_type": msg.sender.id_type,
        "sender_label": msg.sender.label,
        "contact_point_id": msg.contact_point_id,
        "created": msg.created.isoformat().replace("+00:00", "Z") if msg.created else None,
        "reply_to": [r.message_uuid for r in msg.reply_data],
        "forwarded_from": msg.forward_data.message_uuid if msg.forward_data else None,
        "documents": [
            {
                "role": f.role.value,
                "document_index": f.document_index,
                "filename": f.filename,
                "safe_filename": f.safe_filename,
                "mime": f.mime,
                "bytes": f.size,
                "sha256": f.sha256,
            }
            for f in msg.files
        ],
    }


def run_check(args: argparse.Namespace) -> int:
    from app.sf1606.memo import DEFAULT_MAX_BYTES, MemoError, read_memo

    max_bytes = args.max_bytes or DEFAULT_MAX_BYTES
    all_ok = True
    out = sys.stdout
    for name in args.files:
        try:
            msg = read_memo(_as_path(name), max_bytes=max_bytes)
        except MemoError as exc:
            all_ok = False
            if args.json:
                out.write(json_line(describe(name, error=exc)))
            else:
                out.write(f"FEJL {_printable(name)}  {exc.reason}\n")
            continue
        if args.json:
            out.write(json_line(describe(name, msg)))
        else:
            out.write(
                f"OK  {_printable(name)}  {msg.version} {msg.kind.value} {msg.message_uuid}\n"
            )
    out.flush()
    return 0 if all_ok else 1


# Characters JSON leaves raw that line-based readers (str.splitlines, many log tools) take for
# a line break or that terminals act on: a sender-chosen file name must not split a JSON line.
_LINE_BREAKERS = {c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029]}


def json_line(obj: dict[str, Any]) -> str:
    """One JSON object as exactly one line (C1 controls and U+2028/9 escaped, too)."""
    return json.dumps(obj, ensure_ascii=False).translate(_LINE_BREAKERS) + "\n"


def _as_path(name: str) -> Path:
    return Path(name)  # a CLI argument is always a path, never XML text


def _printable(name: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in name)


def _show_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command handler that prints `parser`'s help and fails (a sub-command is required)."""

    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show
