"""Detect post that is not for the family department, and name its likely receiver.

A letter is judged by what it asks for, not by who wrote it or whether a child is named: a
parent known to DUBU moving their own job-centre meeting because their child is ill is post for
the job centre. The judge is a text classifier (scikit-learn logistic regression) over features
a distributor can follow: the words and word pairs of the letter, word pieces (so inflected and
compound forms count: "jobcentret", "sygedagpengene"), and the hits on topic vocabularies and
child-welfare vocabulary below. It is trained at build/dev time (`PurposeClassifier`,
`python -m app.suggest.train_misroute`) on the hand-written letters in
`resources/suggest/misroute_training.txt` (kept apart from every evaluation set) and shipped as
weights (`resources/suggest/misroute_weights.json`) that `app.suggest.misroute_weights` scores
in plain Python at run time: scikit-learn is only a training dependency. The reason
shown names the topic and the letter's words that weighed most. Each topic's receiver is given
with its KLE main group, which SF2900's `FordelingsmodtagerList` answers for (see
`app.dubu.routing.FORWARD_KLE`). Pure functions; never logs.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from app.dubu.dataset import fold
from app.resources import resource
from app.suggest import misroute_weights

# topic -> (receiver shown to the distributor, stems matched at word starts in folded text)
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bolig": (
        "Borgerservice (boligstøtte og bolig)",
        (
            "boligstotte",
            "boligydelse",
            "husleje",
            "lejemaal",
            "boligsag",
            "udlejer",
            "depositum",
            "boligforening",
            "boligselskab",
            "lejekontrakt",
            "beboerklage",
            "fraflytningssyn",
            "housing benefit",
            "rent increase",
            "my rent",
            "landlord",
            "tenancy",
        ),
    ),
    "aeldre": (
        "Ældreplejen",
        (
            "aeldrepleje",
            "hjemmehjaelp",
            "hjemmepleje",
            "plejehjem",
            "plejebolig",
            "madudbringning",
            "madordning",
            "mad leveret",
            "mad bliver leveret",
            "faaet sin mad",
            "rengoeringshjaelp",
            "rengoringshjaelp",
            "aeldrecenter",
            "hjemmesygepleje",
            "genoptraening",
            "hjaelpemiddel",
            "hjaelpemidl",
            "plejeseng",
            "rollator",
            "nodkald",
            "plejecenter",
            "aeldrebolig",
            "hjemmehjaelper",
            "demens",
            "home care",
            "nursing home",
            "meals on wheels",
            "elderly",
        ),
    ),
    "byggeri": (
        "Byggeri (Teknik og Miljø)",
        (
            "byggetilladelse",
            "byggesag",
            "byggeansogning",
            "bygge en",
            "carport",
            "tilbygning",
            "lokalplan",
            "matr nr",
            "matrikel",
            "udestue",
            "garage",
            "skur ",
            "nabohoring",
            "byggeri",
            "ombygning",
            "bygningsreglement",
            "tagterrasse",
            "building permit",
            "planning permission",
        ),
    ),
    "parkering": (
        "Parkering (Teknik og Miljø)",
        (
            "parkering",
            "p skive",
            "p afgift",
            "beboerlicens",
            "parkeringslicens",
            "parkeringsafgift",
            "reg nr",
            "parkeringsbode",
            "parkeret",
            "p plads",
            "p bode",
            "parking",
            "parking ticket",
            "parking fine",
        ),
    ),
    "skat": (
        "Skat og opkrævning",
        (
            "ejendomsskat",
            "grundskyld",
            "forskudsopgorelse",
            "aarsopgorelse",
            "restance",
            "rykker for restance",
            "skattestyrelsen",
            "skat dk",
            "ejendomsvurdering",
            "daekningsafgift",
            "ejendomsvaerdiskat",
            "opkraevning",
            "property tax",
            "tax assessment",
            "tax return",
        ),
    ),
    "affald": (
        "Affald og genbrug",
        (
            "skraldespand",
            "skraldespan",
            "affald",
            "renovation",
            "storskrald",
            "genbrugsplads",
            "skrald",
            "affaldsbeholder",
            "dagrenovation",
            "haveaffald",
            "garbage",
            "tomning",
            "tomt",
            "waste collection",
            "rubbish",
            "recycling",
        ),
    ),
    "pension": (
        "Borgerservice (pension)",
        (
            "folkepension",
            "fortidspension",
            "seniorpension",
            "pensionstillaeg",
            "aeldrecheck",
            "pension",
        ),
    ),
    "jobcenter": (
        "Jobcenter",
        (
            "jobcenter",
            "dagpenge",
            "kontanthjaelp",
            "sygedagpenge",
            "a kasse",
            "ledighed",
            "jobsogning",
            "ressourceforlob",
            "fleksjob",
            "arbejdsprovning",
            "virksomhedspraktik",
            "jobafklaring",
            "opfolgningssamtale",
            "uddannelseshjaelp",
            "unemployment",
            "jobkonsulent",
            "jobplan",
            "praktikforlob",
            "aktivering",
            "sygemeldt",
            "job centre",
            "job center",
        ),
    ),
    "vej": (
        "Vej og park",
        (
            "vejarbejde",
            "fortov",
            "snerydning",
            "glatfore",
            "hul i vejen",
            "gadelys",
            "vejbelysning",
            "cykelsti",
            "traefaeldning",
            "pothole",
            "street light",
        ),
    ),
    "borgerservice": (
        "Borgerservice",
        (
            "nyt pas",
            "nye pas",
            "pas til",
            "pasfoto",
            "bestille tid",
            "pasfornyelse",
            "korekort",
            "sygesikring",
            "sundhedskort",
            "folkeregister",
            "navneaendring",
            "nemid",
            "mitid",
            "passport",
            "driving licence",
            "kørekort",
            "korekort",
            "melde flytning",
            "id kort",
        ),
    ),
}

# topic -> KLE main group whose receiving system (SF2900 FordelingsmodtagerList) takes the post
TOPIC_KLE: dict[str, str] = {
    "bolig": "23.00.00",
    "aeldre": "29.00.00",
    "byggeri": "02.00.00",
    "parkering": "09.00.00",
    "skat": "00.00.00",
    "affald": "09.00.00",
    "pension": "23.00.00",
    "jobcenter": "15.00.00",
    "vej": "09.00.00",
    "borgerservice": "23.00.00",
}
FAMILY = "familie"  # the class for the family department's own post

# Vocabulary that ties a letter to the family department's work (children and youth).
WELFARE: tuple[str, ...] = (
    "underretning",
    "underrette",
    "bekymr",
    "samvaer",
    "aflastning",
    "anbring",
    "plejefamilie",
    "plejeforaeldre",
    "sagsbehandler",
    "radgiver",
    "raadgiver",
    "borne",
    "bornefaglig",
    "mobbet",
    "mobning",
    "diagnose",
    "adhd",
    "autis",
    "fravaer",
    "trivsel",
    "kontaktperson",
    "efterskole",
    "merudgift",
    "handicap",
    "familieafdeling",
    "familieretshus",
    "vold",
    "misbrug",
    "omsorgssvigt",
    "forebyggende",
    "familiebehandling",
    "stotteperson",
    "udredning",
    "psykiatri",
    "skadestue",
    "boernehave",
    "bornehave",
    "vuggestue",
    "dagpleje",
    "barnets",
    "bornetilskud",
    "bornefamilie",
    "samtykke",
    "handleplan",
    "netvaerksmode",
    "concern",
    "custody",
    "foster",
    "social worker",
    "child protection",
    "wellbeing",
    "neglect",
    "abuse",
    "bullied",
)
# A child mentioned at all (weak: "my son's parking permit" is still parking).
CHILD: tuple[str, ...] = (
    "min son",
    "min datter",
    "vores son",
    "vores datter",
    "barnet",
    "born",
    "bornene",
    "my son",
    "my daughter",
    "our son",
    "our daughter",
    "child",
    "children",
)


def _pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(s.strip()) for s in stems) + ")")


_TOPIC_RE = {topic: _pattern(stems) for topic, (_, stems) in TOPICS.items()}
_WELFARE_RE = _pattern(WELFARE)
_CHILD_RE = _pattern(CHILD)


@dataclass(frozen=True, slots=True)
class MisrouteVerdict:
    misrouted: bool
    topic: str | None
    forward_to: str | None
    topic_score: float
    welfare_score: float
    reason: str | None


def topic_scores(label: str, body: str) -> dict[str, float]:
    """Topic -> score: 2 per topic word in the label, 1 per distinct topic word in the body."""
    fl, fb = " " + fold(label) + " ", " " + fold(body) + " "
    out: dict[str, float] = {}
    for topic, rx in _TOPIC_RE.items():
        s = 2.0 * len(set(rx.findall(fl))) + min(3.0, float(len(set(rx.findall(fb)))))
        if s:
            out[topic] = s
    return out


def assess(
    label: str, body: str, *, strong_child_evidence: bool, child_named: bool = False
) -> MisrouteVerdict:
    """Decide whether the letter belongs to another department, by what it asks for.

    `strong_child_evidence` is True when the engine already tied the letter to a specific child
    by CPR or case number (or it answers one of our letters): such letters are never misrouted
    (and the classifier is not asked). Otherwise two judges, either of which suffices: the
    classifier (sure enough, and the letter carries words of that department), and the topic
    vocabularies clearly outweighing child-welfare vocabulary. `child_named` (a known child
    named in the text) weighs a little against the vocabulary judge, and keeps the classifier
    from deciding on its own words without any topic-vocabulary hit: a parent moving
    their own job-centre meeting because the child is ill still writes to the job centre.
    """
    if strong_child_evidence:
        return MisrouteVerdict(False, None, None, 0.0, 0.0, None)
    scores = topic_scores(label, body)
    fl, fb = " " + fold(label) + " ", " " + fold(body) + " "
    welfare = 2.0 * len(set(_WELFARE_RE.findall(fl))) + float(len(set(_WELFARE_RE.findall(fb))))
    child = 0.5 * min(2, len(set(_CHILD_RE.findall(fl + " " + fb))))
    model = classifier()
    p_other, topic, words = (
        model.predict(f"{label}\n{label}\n{body}") if model is not None else (0.0, "", [])
    )
    by_model = p_other >= THRESHOLD and (
        bool(scores) or (bool(words) and p_other >= SURE and not child_named)
    )
    by_words = False
    if scores:
        best_topic, best = max(scores.items(), key=lambda kv: kv[1])
        against = 1.5 * welfare + child + (0.5 if child_named else 0.0)
        by_words = (best >= 2.0 and best > against) or (
            best >= 1.0 and welfare == 0 and child == 0 and not child_named
        )
        if by_words and not by_model:
            topic, words = best_topic, []
    misrouted = by_model or by_words
    if not topic:  # no classifier and no topic word
        return MisrouteVerdict(False, None, None, 0.0, welfare, None)
    receiver = TOPICS[topic][0]
    reason = None
    if misrouted:
        what = receiver.split(" (")[0].lower()
        written = {fold(w): w.lower() for w in re.findall(r"[^\W\d_]+", f"{label} {body}")}
        shown = [written.get(w, w) for w in words]
        why = f" (ord: {', '.join(shown)})" if shown else ""
        reason = f"Emnet ligner {what}{why} – ikke en børnesag"
    return MisrouteVerdict(misrouted, topic, receiver, p_other, welfare, reason)


# --- the classifier ------------------------------------------------------------------------------

THRESHOLD = 0.6  # P(another department) from which a letter is misrouted
SURE = 0.9  # ... without any topic-vocabulary hit, only this sure and with weighing words
LIST_SCALE = 0.5  # the topic-vocabulary features' weight beside the tf-idf ones
# What the weights depend on besides the letters: change it when the features or models change
SETTINGS = "words(1,2) sublinear; char_wb(4,5) min_df=2; lists*0.5; LR C=4 w=2/1; OvR LR C=8"
WEIGHTS = ("suggest", "misroute_weights.json")


def training_letters() -> list[tuple[str, str]]:
    """(class, text) of the hand-written training letters."""
    out = []
    path = resource("suggest", "misroute_training.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cls, _, text = line.partition("\t")
        out.append((cls.strip(), text.replace(" | ", "\n").strip()))
    return out


def _list_features(text: str) -> list[float]:
    """Topic-vocabulary hits (one per topic), child-welfare and child hits, on folded text."""
    ft = " " + fold(text) + " "
    feats = [min(3.0, float(len(set(rx.findall(ft))))) for rx in _TOPIC_RE.values()]
    feats.append(min(4.0, float(len(set(_WELFARE_RE.findall(ft))))))
    feats.append(min(2.0, float(len(set(_CHILD_RE.findall(ft))))))
    return feats


class PurposeClassifier:
    """Which department a letter is for: `FAMILY` or a topic of `TOPICS`."""

    def __init__(self, letters: list[tuple[str, str]]) -> None:
        import numpy as np
        from scipy.sparse import csr_matrix, hstack  # type: ignore[import-untyped]
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
        from sklearn.multiclass import OneVsRestClassifier  # type: ignore[import-untyped]

        self._np, self._csr, self._hstack = np, csr_matrix, hstack
        texts = [_content(fold(t)) for _, t in letters]
        labels = [c for c, _ in letters]
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self.pieces = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(4, 5), sublinear_tf=True, min_df=2
        )
        x = self._features(texts, [t for _, t in letters], fit=True)
        # two stages: family post or not (balanced), then which other department
        self.binary = LogisticRegression(
            C=4.0, solver="liblinear", class_weight={False: 2.0, True: 1.0}
        )
        self.binary.fit(x, [c != FAMILY for c in labels])
        rows = [i for i, c in enumerate(labels) if c != FAMILY]
        self.topic = OneVsRestClassifier(LogisticRegression(C=8.0, solver="liblinear"))
        self.topic.fit(x[rows], [labels[i] for i in rows])
        self.topics: list[str] = [str(c) for c in self.topic.classes_]
        self._n_words = len(self.words.vocabulary_)
        self._word_names = self.words.get_feature_names_out()
        self._letters = letters

    def export(self) -> dict[str, Any]:
        """The weights `misroute_weights.LinearScorer` scores with (JSON-serialisable)."""
        return {
            "format": misroute_weights.FORMAT,
            "training_hash": misroute_weights.training_hash(self._letters, SETTINGS),
            "words": {
                "vocabulary": {str(k): int(v) for k, v in sorted(self.words.vocabulary_.items())},
                "idf": [float(v) for v in self.words.idf_],
            },
            "pieces": {
                "vocabulary": {str(k): int(v) for k, v in sorted(self.pieces.vocabulary_.items())},
                "idf": [float(v) for v in self.pieces.idf_],
                "ngram_range": list(self.pieces.ngram_range),
            },
            "list_scale": LIST_SCALE,
            "binary": {
                "coef": [float(v) for v in self.binary.coef_[0]],
                "intercept": float(self.binary.intercept_[0]),
            },
            "topic": {
                "classes": list(self.topics),
                "coef": [[float(v) for v in e.coef_[0]] for e in self.topic.estimators_],
                "intercept": [float(e.intercept_[0]) for e in self.topic.estimators_],
            },
        }

    def _features(self, folded: list[str], raw: list[str], *, fit: bool = False) -> Any:
        if fit:
            w = self.words.fit_transform(folded)
            p = self.pieces.fit_transform(folded)
        else:
            w = self.words.transform(folded)
            p = self.pieces.transform(folded)
        lists = self._csr(self._np.array([_list_features(t) for t in raw]) * LIST_SCALE)
        return self._hstack([w, p, lists]).tocsr()

    def predict(self, text: str) -> tuple[float, str, list[str]]:
        """P(another department), the most likely other department, and the letter's words
        that weighed most for it (for the reason shown)."""
        x = self._features([_content(fold(text))], [text])
        p_other = float(self.binary.predict_proba(x)[0][list(self.binary.classes_).index(True)])
        tp = self.topic.predict_proba(x)[0]
        k = int(tp.argmax())
        topic = self.topics[k]
        away, toward = self.binary.coef_[0], self.topic.estimators_[k].coef_[0]
        row = x[0, : self._n_words].tocoo()
        weighed = sorted(
            (
                ((away[j] + toward[j]) * v, self._word_names[j])
                for j, v in zip(row.col, row.data, strict=True)
                if away[j] > 0 and toward[j] > 0  # a word of that department, not of ours
            ),
            reverse=True,
        )
        words = [w for c, w in weighed if c > 0 and len(w) >= 4][:3]
        return p_other, topic, words


_STOP = frozenset(
    [
        "jeg",
        "min",
        "mit",
        "mine",
        "vores",
        "hans",
        "hendes",
        "han",
        "hun",
        "det",
        "den",
        "der",
        "som",
        "ikke",
        "eller",
        "til",
        "fra",
        "med",
        "for",
        "har",
        "have",
        "kan",
        "kunne",
        "skal",
        "skulle",
        "vil",
        "ville",
        "hvad",
        "hvor",
        "hvordan",
        "hvornaar",
        "efter",
        "over",
        "under",
        "meget",
        "mere",
        "nogen",
        "noget",
        "alle",
        "selv",
        "igen",
        "gerne",
        "bare",
        "ogsaa",
        "eller",
        "men",
        "hvis",
        "naar",
        "fordi",
        "this",
        "that",
        "with",
        "have",
        "from",
        "will",
        "would",
        "could",
        "should",
        "what",
        "when",
        "where",
        "there",
        "their",
        "about",
        "hej",
        "tak",
        "venlig",
        "hilsen",
        "kaere",
        "goddag",
        "mvh",
        "vh",
        "er",
        "i",
        "at",
        "af",
        "og",
        "paa",
        "en",
        "et",
        "de",
        "vi",
        "du",
        "dig",
        "mig",
        "os",
        "jer",
        "sig",
        "sin",
        "sit",
        "sine",
        "ham",
        "dem",
        "denne",
        "dette",
        "disse",
        "ingen",
        "nu",
        "saa",
        "da",
        "nej",
        "ja",
        "lige",
        "bare",
        "helt",
        "godt",
        "dear",
        "hello",
        "regards",
        "thanks",
        "thank",
        "you",
        "the",
        "and",
        "for",
        "not",
        "but",
        "have",
        "has",
        "had",
        "was",
        "were",
        "are",
        "is",
        "be",
        "been",
        "can",
        "cannot",
        "my",
        "our",
        "your",
        "his",
        "her",
        "him",
        "them",
        "they",
        "we",
        "it",
        "its",
        "of",
        "to",
        "in",
        "on",
        "at",
        "an",
        "a",
    ]
)


def _content(folded: str) -> str:
    """The letter's content words: folded, without function words and numbers."""
    return " ".join(w for w in folded.split() if w not in _STOP and not w.isdigit())


_LOCK = threading.Lock()
_CLASSIFIER: Any = None
_UNAVAILABLE = False


class _Scored:
    """`PurposeClassifier.predict`'s interface over the exported weights (no scikit-learn)."""

    def __init__(self, scorer: misroute_weights.LinearScorer) -> None:
        self.scorer = scorer

    def predict(self, text: str) -> tuple[float, str, list[str]]:
        return self.scorer.predict_row(
            self.scorer.features(_content(fold(text)), _list_features(text))
        )


def load_scorer() -> misroute_weights.LinearScorer:
    """The shipped weights (resources/suggest/misroute_weights.json)."""
    return misroute_weights.LinearScorer.load(resource(*WEIGHTS))


def classifier() -> _Scored | None:
    """The process's classifier: the shipped weights, scored in plain Python (no scikit-learn
    at run time, the bundle has none); None when the weights file is missing or unreadable:
    then the vocabulary judge alone decides."""
    global _CLASSIFIER, _UNAVAILABLE
    with _LOCK:
        if _CLASSIFIER is None and not _UNAVAILABLE:
            try:
                _CLASSIFIER = _Scored(load_scorer())
            except (OSError, ValueError, KeyError):
                _UNAVAILABLE = True
        return _CLASSIFIER  # type: ignore[no-any-return]
