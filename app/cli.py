"""Command line entry point: `postfordeler [--data-dir DIR] [COMMAND ...]`.

Each area registers its own sub-commands from a light `cli` module (no heavy imports at module
level, so `postfordeler memo check` never loads Qt). With no command the desktop app starts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from app import paths
from app.version import build_info

# Modules that expose `register(subparsers)`; each sub-command sets `func(args) -> int`.
COMMAND_MODULES = (
    "app.sf1606.cli",  # memo check
    "app.gateway.cli",  # gateway serve
    "app.core.cli",  # sync, outbox, cache check/rebuild, decide, status, policy, backlog
    "app.core.audit_cli",  # audit (access log per citizen), retention purge
    "app.sandbox.cli",  # sandbox
    "app.suggest.cli",  # suggest
    "app.ui.cli",  # ui (default), self-test
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postfordeler",
        description="Modtag, fordel og journalisér indgående Digital Post (SF1606) til DUBU.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=build_info().line(),
        help="print version, build date and commit and exit",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"keep all state (cache, outbox, gateway store, logs) in DIR "
        f"(default: ${paths.ENV_DATA_DIR} or the user data folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--self-test", action="store_true", help="check the installation offline and exit"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    paths.set_data_dir(args.data_dir)
    from app.logging_setup import setup_logging

    setup_logging(verbose=args.verbose)
    if args.self_test:
        from app.selftest import run

        return run()
    func = getattr(args, "func", None)
    try:
        if func is None:  # no command: the desktop app
            from app.ui.cli import run_ui

            return run_ui(args)
        return int(func(args) or 0)
    except Exception as exc:
        # Keys and secrets live in the OS keyring; without one, say so in plain words.
        from app.core.audit import AuditError
        from app.models.crypto import CacheKeyUnavailable

        if isinstance(exc, CacheKeyUnavailable | AuditError):
            print(f"postfordeler: {exc}", file=sys.stderr)
            return 3
        raise
