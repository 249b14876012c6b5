"""`postfordeler` with no command (the desktop app) and `postfordeler self-test`."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # noqa: SLF001
    return None


def run_ui(args: argparse.Namespace) -> int:
    raise SystemExit("Brugerfladen er endnu ikke bygget.")
