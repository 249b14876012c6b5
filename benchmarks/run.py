"""Run Postfordeler's benchmarks: `python benchmarks/run.py [--only NAME] [--json]`.

Each `benchmarks/bench_*.py` module exposes `BENCHMARKS: dict[str, Callable[[], dict]]`; each
callable runs one benchmark (in its own temp dirs) and returns named figures. With `--json` one
JSON object of all figures is printed on stdout; otherwise a readable table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def discover() -> dict:
    found = {}
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update(module.BENCHMARKS)
    return found


def main(argv=None) -> int:
    from tests.keyring_backend import shared_keyring

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--list", action="store_true", help="list benchmark names")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    args = parser.parse_args(argv)
    benchmarks = discover()
    if args.list:
        print("\n".join(benchmarks))
        return 0
    names = args.only or list(benchmarks)
    unknown = [n for n in names if n not in benchmarks]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benchmarks)}")
    figures: dict = {}
    for name in names:
        started = time.perf_counter()
        # every benchmark's caches keep their keys in an in-memory keyring shared with the
        # processes it starts (tests/keyring_backend.py): never the shell's, never a file
        with shared_keyring():
            result = benchmarks[name]()
        figures.update(result)
        if not args.json:
            print(f"## {name} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
            for key, value in result.items():
                print(f"{key:32} {value}")
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
