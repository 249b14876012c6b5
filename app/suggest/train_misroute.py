"""Train the misroute classifier (scikit-learn, a dev/build dependency) and export its weights.

    python -m app.suggest.train_misroute [--out resources/suggest/misroute_weights.json]

Deterministic (liblinear, no random state involved): the same training letters give the same
file. tests/test_misroute_weights.py fails when the shipped file is stale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.resources import resources_dir
from app.suggest.misroute import WEIGHTS, PurposeClassifier, training_letters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.suggest.train_misroute")
    parser.add_argument("--out", type=Path, default=None, help="the weights file (JSON)")
    args = parser.parse_args(argv)
    out: Path = args.out or resources_dir().joinpath(*WEIGHTS)
    weights = PurposeClassifier(training_letters()).export()
    out.write_text(json.dumps(weights, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"{out}: {len(weights['words']['vocabulary'])} words, {len(weights['topic']['classes'])} topics"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
