"""The misroute classifier as exported weights, scored without scikit-learn.

The bundle ships no scikit-learn (build.spec), so the classifier of `misroute.PurposeClassifier`
is trained at build/dev time (`python -m app.suggest.train_misroute`) and its weights are written
to `resources/suggest/misroute_weights.json`: both vocabularies with their idf, the two-stage
linear models' coefficients and intercepts and the classes. `LinearScorer` reproduces the
TfidfVectorizer features (word 1–2-grams and char_wb 4–5-grams, sublinear tf, l2 norm) and the
logistic models' probabilities in plain Python; tests/test_misroute_weights.py checks that it
agrees with the scikit-learn model on every letter, and that the shipped weights were made from
the current training letters (`training_hash`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

FORMAT = 1
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's default token_pattern
_WHITE = re.compile(r"\s\s+")


def training_hash(letters: list[tuple[str, str]], settings: str) -> str:
    """sha256 over the training letters and the feature settings: stale weights differ."""
    blob = json.dumps([FORMAT, settings, letters], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _word_grams(doc: str) -> list[str]:
    tokens = _TOKEN.findall(doc.lower())
    grams = list(tokens)
    grams.extend(f"{a} {b}" for a, b in pairwise(tokens))
    return grams


def _char_wb_grams(doc: str, lo: int, hi: int) -> list[str]:
    doc = _WHITE.sub(" ", doc.lower())
    out: list[str] = []
    for word in doc.split():
        w = f" {word} "
        n_w = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset : offset + n])
            while offset + n < n_w:
                offset += 1
                out.append(w[offset : offset + n])
            if offset == 0:  # a short word counts once
                break
    return out


def _tfidf(
    grams: list[str], vocab: dict[str, int], idf: list[float], base: int
) -> dict[int, float]:
    counts = Counter(g for g in grams if g in vocab)
    row = {base + vocab[g]: (1.0 + math.log(c)) * idf[vocab[g]] for g, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in row.values()))
    if norm > 0:
        row = {j: v / norm for j, v in row.items()}
    return row


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class LinearScorer:
    """`misroute.PurposeClassifier.predict` from exported weights (no numpy, no sklearn)."""

    def __init__(self, weights: dict[str, Any]) -> None:
        if weights.get("format") != FORMAT:
            raise ValueError("misroute weights: unknown format")
        self.hash = str(weights["training_hash"])
        self.word_vocab: dict[str, int] = weights["words"]["vocabulary"]
        self.word_idf: list[float] = weights["words"]["idf"]
        self.piece_vocab: dict[str, int] = weights["pieces"]["vocabulary"]
        self.piece_idf: list[float] = weights["pieces"]["idf"]
        self.piece_range: tuple[int, int] = tuple(weights["pieces"]["ngram_range"])
        self.list_scale = float(weights["list_scale"])
        self.binary_coef: list[float] = weights["binary"]["coef"]
        self.binary_intercept = float(weights["binary"]["intercept"])
        self.topics: list[str] = weights["topic"]["classes"]
        self.topic_coef: list[list[float]] = weights["topic"]["coef"]
        self.topic_intercept: list[float] = weights["topic"]["intercept"]
        self.n_words = len(self.word_vocab)
        self.word_names = sorted(self.word_vocab, key=self.word_vocab.__getitem__)
        self._lists_base = self.n_words + len(self.piece_vocab)

    @classmethod
    def load(cls, path: Path) -> LinearScorer:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def features(self, content: str, lists: list[float]) -> dict[int, float]:
        """The sparse feature row: column → value (as sklearn's hstack of the three blocks)."""
        row = _tfidf(_word_grams(content), self.word_vocab, self.word_idf, 0)
        lo, hi = self.piece_range
        row.update(
            _tfidf(_char_wb_grams(content, lo, hi), self.piece_vocab, self.piece_idf, self.n_words)
        )
        for i, v in enumerate(lists):
            if v:
                row[self._lists_base + i] = v * self.list_scale
        return row

    def scores(self, row: dict[int, float]) -> tuple[float, list[float]]:
        """P(another department) and the topics' probabilities (one-vs-rest, normalised)."""
        z = self.binary_intercept + sum(self.binary_coef[j] * v for j, v in row.items())
        p_other = _sigmoid(z)
        raw = [
            _sigmoid(b + sum(coef[j] * v for j, v in row.items()))
            for coef, b in zip(self.topic_coef, self.topic_intercept, strict=True)
        ]
        total = sum(raw)
        return p_other, [p / total for p in raw]

    def predict_row(self, row: dict[int, float]) -> tuple[float, str, list[str]]:
        p_other, tp = self.scores(row)
        k = max(range(len(tp)), key=tp.__getitem__)  # first maximum, as numpy's argmax
        away, toward = self.binary_coef, self.topic_coef[k]
        weighed = sorted(
            (
                ((away[j] + toward[j]) * v, self.word_names[j])
                for j, v in sorted(row.items())
                if j < self.n_words and away[j] > 0 and toward[j] > 0
            ),
            reverse=True,
        )
        words = [w for c, w in weighed if c > 0 and len(w) >= 4][:3]
        return p_other, self.topics[k], words
