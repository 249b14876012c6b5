"""`postfordeler` with no command (the desktop app), `postfordeler ui [--lang en]`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.sandbox.runner import SandboxThread


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ui = subparsers.add_parser("ui", help="start the desktop app (the default)")
    ui.add_argument("--lang", choices=("da", "en"), help="UI language (default: settings, Danish)")
    ui.set_defaults(func=run_ui)


def run_ui(args: argparse.Namespace) -> int:
    from app.ui.app import main

    # `postfordeler` with no command has no --lang (only `postfordeler ui` has).
    return main(vars(args).get("lang"), demo_sandbox=demo_sandbox)


def demo_sandbox() -> SandboxThread:
    """The built-in demo sandbox, loaded only when the settings name no endpoints (its servers
    take a noticeable part of a start-up a configured client need not pay)."""
    from app.sandbox.runner import SandboxConfig, SandboxThread

    return SandboxThread(SandboxConfig(demo_day=True))
