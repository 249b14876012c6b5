"""The suggestion engine's reasons in the UI language.

The Qt-free engine (`app.suggest.engine`) words its reasons in Danish with their facts filled in
(a case number, a date, a role). Here each wording is one pattern with numbered parameters
(%1, %2, ...): the Danish pattern is the translation source (`tr` context "Reasons"), so the
English `.qm` carries every reason and `python -m app.ui.i18n_build` reports one that lacks
English. A reason no pattern matches is shown as the engine wrote it (and
`tests/test_ui_i18n.py` fails on it for the corpus).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

# Marked for lupdate, translated when shown (the translator is installed after import). Order: more specific first.
# Each entry: the engine's wording as a regex, and the Danish pattern with %1.. for its groups.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rx), source)
    for rx, source in (
        (
            r"Sagsnummer matcher søgningen",
            QT_TRANSLATE_NOOP("Reasons", "Sagsnummer matcher søgningen"),
        ),
        (
            r"Barnets CPR matcher søgningen",
            QT_TRANSLATE_NOOP("Reasons", "Barnets CPR matcher søgningen"),
        ),
        (
            r"Søgt CPR er part i sagen \((.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Søgt CPR er part i sagen (%1)"),
        ),
        (
            r"Barnets fødselsdato matcher søgningen",
            QT_TRANSLATE_NOOP("Reasons", "Barnets fødselsdato matcher søgningen"),
        ),
        (
            r"Barnets navn matcher søgningen",
            QT_TRANSLATE_NOOP("Reasons", "Barnets navn matcher søgningen"),
        ),
        (
            r"Søgt navn er part i sagen \((.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Søgt navn er part i sagen (%1)"),
        ),
        (r"Afsender er barnet selv", QT_TRANSLATE_NOOP("Reasons", "Afsender er barnet selv")),
        (
            r"Afsender er part i barnets sag \((.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Afsender er part i barnets sag (%1)"),
        ),
        (
            r"Sagens id i brevets metadata \((.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Sagens id i brevets metadata (%1)"),
        ),
        (
            r"Sagsnummer i brevets metadata \(uden årstal: (.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Sagsnummer i brevets metadata (uden årstal: %1)"),
        ),
        (
            r"Sagsnummer i brevets metadata \((.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Sagsnummer i brevets metadata (%1)"),
        ),
        (
            r"Sagsnummer nævnt i teksten \(uden årstal: (.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Sagsnummer nævnt i teksten (uden årstal: %1)"),
        ),
        (
            r"Sagsnummer nævnt i teksten \((.+)\)",
            QT_TRANSLATE_NOOP("Reasons", "Sagsnummer nævnt i teksten (%1)"),
        ),
        (
            r"Kontaktoplysninger peger på et andet barn end teksten",
            QT_TRANSLATE_NOOP("Reasons", "Kontaktoplysninger peger på et andet barn end teksten"),
        ),
        (
            r"Brevet ser ud til at høre til en anden afdeling",
            QT_TRANSLATE_NOOP("Reasons", "Brevet ser ud til at høre til en anden afdeling"),
        ),
        (
            r"Svar på brev fra sag (.+) \(sagsnummer i svardata\)",
            QT_TRANSLATE_NOOP("Reasons", "Svar på brev fra sag %1 (sagsnummer i svardata)"),
        ),
        (r"Sagen (.+) er lukket \((.+)\)", QT_TRANSLATE_NOOP("Reasons", "Sagen %1 er lukket (%2)")),
        (r"Sagen er lukket \((.+)\)", QT_TRANSLATE_NOOP("Reasons", "Sagen er lukket (%1)")),
        (
            r"Svar på brev '(.*)' sendt (.+) på sag (.+)",
            QT_TRANSLATE_NOOP("Reasons", "Svar på brev '%1' sendt %2 på sag %3"),
        ),
        (
            r"Titlen svarer til brev '(.*)' sendt (.+) til afsender på sag (.+)",
            QT_TRANSLATE_NOOP(
                "Reasons", "Titlen svarer til brev '%1' sendt %2 til afsender på sag %3"
            ),
        ),
        (
            r"Barnets CPR fundet i brevets metadata",
            QT_TRANSLATE_NOOP("Reasons", "Barnets CPR fundet i brevets metadata"),
        ),
        (
            r"Barnets CPR fundet i vedhæftet PDF",
            QT_TRANSLATE_NOOP("Reasons", "Barnets CPR fundet i vedhæftet PDF"),
        ),
        (
            r"Barnets CPR fundet i kontaktoplysninger",
            QT_TRANSLATE_NOOP("Reasons", "Barnets CPR fundet i kontaktoplysninger"),
        ),
        (
            r"Barnets CPR fundet i brevet",
            QT_TRANSLATE_NOOP("Reasons", "Barnets CPR fundet i brevet"),
        ),
        (
            r"CPR på en part i barnets sag fundet i brevets metadata",
            QT_TRANSLATE_NOOP("Reasons", "CPR på en part i barnets sag fundet i brevets metadata"),
        ),
        (
            r"CPR på en part i barnets sag fundet i vedhæftet PDF",
            QT_TRANSLATE_NOOP("Reasons", "CPR på en part i barnets sag fundet i vedhæftet PDF"),
        ),
        (
            r"CPR på en part i barnets sag fundet i kontaktoplysninger",
            QT_TRANSLATE_NOOP(
                "Reasons", "CPR på en part i barnets sag fundet i kontaktoplysninger"
            ),
        ),
        (
            r"CPR på en part i barnets sag fundet i brevet",
            QT_TRANSLATE_NOOP("Reasons", "CPR på en part i barnets sag fundet i brevet"),
        ),
        (
            r"CPR i brevets metadata ligner barnets \(læse- eller tastefejl\)",
            QT_TRANSLATE_NOOP(
                "Reasons", "CPR i brevets metadata ligner barnets (læse- eller tastefejl)"
            ),
        ),
        (
            r"CPR i vedhæftet PDF ligner barnets \(læse- eller tastefejl\)",
            QT_TRANSLATE_NOOP(
                "Reasons", "CPR i vedhæftet PDF ligner barnets (læse- eller tastefejl)"
            ),
        ),
        (
            r"CPR i kontaktoplysninger ligner barnets \(læse- eller tastefejl\)",
            QT_TRANSLATE_NOOP(
                "Reasons", "CPR i kontaktoplysninger ligner barnets (læse- eller tastefejl)"
            ),
        ),
        (
            r"CPR i brevet ligner barnets \(læse- eller tastefejl\)",
            QT_TRANSLATE_NOOP("Reasons", "CPR i brevet ligner barnets (læse- eller tastefejl)"),
        ),
        (
            r"Barnets navn i kontaktoplysninger",
            QT_TRANSLATE_NOOP("Reasons", "Barnets navn i kontaktoplysninger"),
        ),
        (
            r"Barnets fulde navn nævnt i brevet",
            QT_TRANSLATE_NOOP("Reasons", "Barnets fulde navn nævnt i brevet"),
        ),
        (
            r"Barnets navn nævnt i brevet",
            QT_TRANSLATE_NOOP("Reasons", "Barnets navn nævnt i brevet"),
        ),
        (
            r"Barnets fornavn nævnt i brevet",
            QT_TRANSLATE_NOOP("Reasons", "Barnets fornavn nævnt i brevet"),
        ),
        (
            r"Fornavn og alder/klasse/fødselsdato passer",
            QT_TRANSLATE_NOOP("Reasons", "Fornavn og alder/klasse/fødselsdato passer"),
        ),
        (
            r"Fødselsdato i brevet passer",
            QT_TRANSLATE_NOOP("Reasons", "Fødselsdato i brevet passer"),
        ),
        (r"Alderen i brevet passer", QT_TRANSLATE_NOOP("Reasons", "Alderen i brevet passer")),
        (
            r"Klassetrin passer til barnets alder",
            QT_TRANSLATE_NOOP("Reasons", "Klassetrin passer til barnets alder"),
        ),
        (
            r"Barnet har kun lukkede sager – opret ny sag eller genoptag",
            QT_TRANSLATE_NOOP(
                "Reasons", "Barnet har kun lukkede sager – opret ny sag eller genoptag"
            ),
        ),
        (
            r"Barnets åbne sag – brevets sag (.+) er lukket",
            QT_TRANSLATE_NOOP("Reasons", "Barnets åbne sag – brevets sag %1 er lukket"),
        ),
        (
            r"Barnets åbne sag – sag (.+) er lukket",
            QT_TRANSLATE_NOOP("Reasons", "Barnets åbne sag – sag %1 er lukket"),
        ),
        (
            r"Sagsbehandleren \((.+)\) nævnt i brevet",
            QT_TRANSLATE_NOOP("Reasons", "Sagsbehandleren (%1) nævnt i brevet"),
        ),
        (
            r"Emnet ligner (.+) – ikke en børnesag",
            QT_TRANSLATE_NOOP("Reasons", "Emnet ligner %1 – ikke en børnesag"),
        ),
        (
            r"Vejnavnet i brevet passer til barnets eller forælderens adresse",
            QT_TRANSLATE_NOOP(
                "Reasons", "Vejnavnet i brevet passer til barnets eller forælderens adresse"
            ),
        ),
        (
            r"CPR i brevet tilhører et andet barn end sagens",
            QT_TRANSLATE_NOOP("Reasons", "CPR i brevet tilhører et andet barn end sagens"),
        ),
        (
            r"Barnets fulde navn nævnt i brevet \(efternavn først\)",
            QT_TRANSLATE_NOOP("Reasons", "Barnets fulde navn nævnt i brevet (efternavn først)"),
        ),
        (
            r"Barnets (mor|far|plejeforælder|værge|forælder) \((.*)\) nævnt i brevet",
            QT_TRANSLATE_NOOP("Reasons", "Barnets %1 (%2) nævnt i brevet"),
        ),
        (
            r"Det videresendte brev er fra barnet selv",
            QT_TRANSLATE_NOOP("Reasons", "Det videresendte brev er fra barnet selv"),
        ),
        (
            r"Det videresendte brev er fra barnets (mor|far|plejeforælder|værge|forælder) \((.*)\)",
            QT_TRANSLATE_NOOP("Reasons", "Det videresendte brev er fra barnets %1 (%2)"),
        ),
        (
            r"Adressen i brevet er barnets eller forælderens",
            QT_TRANSLATE_NOOP("Reasons", "Adressen i brevet er barnets eller forælderens"),
        ),
        (
            r"Barnets fornavn og (mor|far|plejeforælder|værge|forælder)s fornavn",
            QT_TRANSLATE_NOOP("Reasons", "Barnets fornavn og %1s fornavn"),
        ),
        (
            r"Brevet handler om barnet \(emne, gentagelse eller ordlyd\)",
            QT_TRANSLATE_NOOP(
                "Reasons", "Brevet handler om barnet (emne, gentagelse eller ordlyd)"
            ),
        ),
        (
            r"Barnet nævnes kun i forbigående",
            QT_TRANSLATE_NOOP("Reasons", "Barnet nævnes kun i forbigående"),
        ),
        (
            r"Afsenderen skriver at CPR-nummeret var forkert",
            QT_TRANSLATE_NOOP("Reasons", "Afsenderen skriver at CPR-nummeret var forkert"),
        ),
        (
            r"To børn nævnt – brevet siger ikke hvilket",
            QT_TRANSLATE_NOOP("Reasons", "To børn nævnt – brevet siger ikke hvilket"),
        ),
        (
            r"Barnet i brevet har ingen sag i DUBU – opret ny sag",
            QT_TRANSLATE_NOOP("Reasons", "Barnet i brevet har ingen sag i DUBU – opret ny sag"),
        ),
    )
)
_UNKNOWN_DATE = "ukendt dato"  # the engine's word for a missing date
# A party's role on a case (DUBU's words), a parameter of several reasons.
_ROLES = {
    "mor": QT_TRANSLATE_NOOP("Reasons", "mor"),
    "far": QT_TRANSLATE_NOOP("Reasons", "far"),
    "plejeforælder": QT_TRANSLATE_NOOP("Reasons", "plejeforælder"),
    "værge": QT_TRANSLATE_NOOP("Reasons", "værge"),
    "forælder": QT_TRANSLATE_NOOP("Reasons", "forælder"),
}


def known(reason: str) -> bool:
    """Whether a pattern covers this reason (what the translation test checks)."""
    return any(rx.fullmatch(reason) for rx, _source in _PATTERNS)


def translate_reason(reason: str) -> str:
    """One engine reason in the UI language (unchanged when no pattern matches)."""
    for rx, source in _PATTERNS:
        match = rx.fullmatch(reason)
        if match is None:
            continue
        text = QCoreApplication.translate("Reasons", source)
        # Highest number first: %1 must not eat the start of %10.
        for n, value in sorted(enumerate(match.groups(), 1), reverse=True):
            if value == _UNKNOWN_DATE:
                shown = QCoreApplication.translate("Reasons", "ukendt dato")
            elif value in _ROLES:
                shown = QCoreApplication.translate("Reasons", _ROLES[value])
            else:
                shown = value
            text = text.replace(f"%{n}", shown)
        return text
    return reason


def translate_reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(translate_reason(r) for r in reasons)
