"""Detect post that is not for the family department, and name its likely receiver.

Scores the folded text against topic vocabularies (housing, elder care, building, parking, tax,
waste, pension, job centre, roads, citizen service) and against child-welfare vocabulary. A
letter is misrouted when another department's topic clearly dominates and nothing ties it to a
child-welfare matter. Merely mentioning a child, or coming from a parent known to DUBU, does
not make a parking fine a family matter. Pure functions; never logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.dubu.dataset import fold

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
            "uddannelseshjaelp",
            "unemployment",
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
        ),
    ),
}

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


# topic -> the KLE main group its receiver handles (how Videresend finds the receiver among
# those SF2900 lists, whatever the receiving system is called in this municipality)
TOPIC_KLE: dict[str, str] = {
    "bolig": "03.00.00",
    "aeldre": "29.00.00",
    "byggeri": "02.00.00",
    "parkering": "05.00.00",
    "skat": "25.00.00",
    "affald": "07.00.00",
    "pension": "32.00.00",
    "jobcenter": "15.00.00",
    "vej": "05.00.00",
    "borgerservice": "23.00.00",
}

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
    """Decide whether the letter belongs to another department.

    `strong_child_evidence` is True when the engine already tied the letter to a specific child
    by CPR or case number (or it answers one of our letters): such letters are never misrouted.
    `child_named` (a known child named in the text) weighs against, but does not veto.
    """
    scores = topic_scores(label, body)
    fl, fb = " " + fold(label) + " ", " " + fold(body) + " "
    welfare = 2.0 * len(set(_WELFARE_RE.findall(fl))) + float(len(set(_WELFARE_RE.findall(fb))))
    child = 0.5 * min(2, len(set(_CHILD_RE.findall(fl + " " + fb))))
    if not scores:
        return MisrouteVerdict(False, None, None, 0.0, welfare, None)
    topic, best = max(scores.items(), key=lambda kv: kv[1])
    receiver = TOPICS[topic][0]
    against = 1.5 * welfare + child + (0.5 if child_named else 0.0)
    misrouted = not strong_child_evidence and (
        (best >= 2.0 and best > against)
        or (best >= 1.0 and welfare == 0 and child == 0 and not child_named)
    )
    reason = (
        f"Emnet ligner {receiver.split(' (')[0].lower()} – ikke en børnesag" if misrouted else None
    )
    return MisrouteVerdict(misrouted, topic, receiver, best, welfare, reason)
