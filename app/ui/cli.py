"""`postfordeler` with no command (the desktop app), `postfordeler ui [--lang en]`."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    ui = subparsers.add_parser("ui", help="start the desktop app (the default)")
    ui.add_argument("--lang", choices=("da", "en"), help="UI language (default: settings, Danish)")
    ui.set_defaults(func=run_ui)


def run_ui(args: argparse.Namespace) -> int:
    from app.ui.app import main

    # `postfordeler` with no command has no --lang (only `postfordeler ui` has).
    return main(vars(args).get("lang"))
