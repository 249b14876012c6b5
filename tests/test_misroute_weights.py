"""The misroute classifier ships as exported weights (no scikit-learn in the bundle): the
pure-Python scorer agrees with the scikit-learn model on every letter of the hand-written sets,
the corpus and the training letters, the shipped weights are the current training letters',
and the app does not import scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.dubu.dataset import DubuDataset
from app.sf1606.memo import read_memo
from app.suggest import misroute, misroute_weights
from app.suggest.engine import SuggestionEngine
from tests.conftest import CORPUS, REPO

SETS = ["handwritten", "handwritten_fresh", "handwritten_fresh2", "handwritten_fresh3"]


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("sklearn")
    return misroute.PurposeClassifier(misroute.training_letters())


def _texts_the_engine_judges() -> list[str]:
    """What the engine hands the classifier for every letter of every set and the corpus."""
    seen: list[str] = []
    real = misroute.classifier()
    assert real is not None

    class Recorder:
        def predict(self, text: str) -> tuple[float, str, list[str]]:
            seen.append(text)
            return real.predict(text)

    sources = [(REPO / "resources" / "sandbox" / "dubu.json", REPO / "tests" / s) for s in SETS]
    sources.append((CORPUS / "dubu.json", CORPUS))
    original = misroute._CLASSIFIER
    misroute._CLASSIFIER = Recorder()
    try:
        for dubu, folder in sources:
            if not (folder / "labels.json").exists():
                continue
            engine = SuggestionEngine(DubuDataset.load(dubu))
            labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
            for u in labels:
                engine.suggest(read_memo(folder / "messages" / f"{u}.xml"))
    finally:
        misroute._CLASSIFIER = original
    return seen


def test_the_exported_scorer_agrees_with_sklearn_on_every_letter(model):
    scorer = misroute.classifier()
    assert isinstance(scorer, misroute._Scored)
    texts = _texts_the_engine_judges()
    assert len(texts) >= 200  # every letter the classifier judges (not retursvar)
    texts += [t for _, t in misroute.training_letters()]
    for text in texts:
        p_ref, topic_ref, words_ref = model.predict(text)
        p, topic, words = scorer.predict(text)
        assert p == pytest.approx(p_ref, abs=1e-9), text[:40]
        assert topic == topic_ref
        assert words == words_ref
        assert (p >= misroute.THRESHOLD) == (p_ref >= misroute.THRESHOLD)
    # the letters do reach both sides of the threshold, so agreement says something
    assert any(model.predict(t)[0] >= misroute.THRESHOLD for t in texts)
    assert any(model.predict(t)[0] < misroute.THRESHOLD for t in texts)


def test_the_shipped_weights_are_the_current_training_letters(model):
    shipped = json.loads(
        (REPO / "resources" / "suggest" / "misroute_weights.json").read_text("utf-8")
    )
    want = misroute_weights.training_hash(misroute.training_letters(), misroute.SETTINGS)
    assert shipped["training_hash"] == want, "stale: run python -m app.suggest.train_misroute"
    assert shipped == json.loads(json.dumps(model.export())), (
        "stale: run python -m app.suggest.train_misroute"
    )


def test_a_changed_training_letter_makes_the_weights_stale():
    letters = misroute.training_letters()
    base = misroute_weights.training_hash(letters, misroute.SETTINGS)
    changed = [letters[0], (letters[1][0], letters[1][1] + " x"), *letters[2:]]
    assert misroute_weights.training_hash(changed, misroute.SETTINGS) != base
    assert misroute_weights.training_hash(letters, misroute.SETTINGS + "!") != base


def test_training_is_deterministic(tmp_path):
    pytest.importorskip("sklearn")
    from app.suggest import train_misroute

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert train_misroute.main(["--out", str(a)]) == 0
    assert train_misroute.main(["--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() == (REPO / "resources" / "suggest" / "misroute_weights.json").read_bytes()


def test_suggesting_never_imports_sklearn():
    code = (
        "import sys\n"
        "from app.dubu.dataset import DubuDataset\n"
        "from app.suggest.engine import SuggestionEngine\n"
        "from app.suggest import misroute\n"
        f"e = SuggestionEngine(DubuDataset.load({str(REPO / 'resources' / 'sandbox' / 'dubu.json')!r}))\n"
        "m = misroute.classifier()\n"
        "assert m is not None\n"
        "p, topic, words = m.predict('Parkeringsbøde på Vesterbrogade, jeg vil klage over afgiften')\n"
        "assert p >= misroute.THRESHOLD, p\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('sklearn', 'scipy', 'numpy')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
