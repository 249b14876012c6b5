"""Build the English UI translation: `python -m app.ui.i18n_build`.

Runs `pyside6-lupdate` over `app/ui/*.py` into `app/ui/translations/postfordeler_en.ts`, fills every
translation from `app/ui/translations/en.py`, and compiles `postfordeler_en.qm` with
`pyside6-lrelease`. Prints the source strings that still lack a translation (exit status 1).
A developer tool: the app itself only loads the compiled `.qm`.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from app.ui.translations.en import EN, EN_DISAMBIGUATED

UI = Path(__file__).resolve().parent
TS = UI / "translations" / "postfordeler_en.ts"
QM = UI / "translations" / "postfordeler_en.qm"
# Danish for Qt's own dialogs where qtbase_da lags behind (a hand-kept Linguist source).
QT_EXTRA_TS = UI / "translations" / "qt_extra_da.ts"
QT_EXTRA_QM = UI / "translations" / "qt_extra_da.qm"


def _tool(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def build() -> list[str]:
    sources = sorted(str(p.relative_to(UI.parent.parent)) for p in UI.glob("*.py"))
    subprocess.run(
        [_tool("pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(TS)],
        check=True,
        cwd=UI.parent.parent,
        capture_output=True,
    )
    tree = ET.parse(TS)
    tree.getroot().set("language", "en_GB")
    missing = []
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        comment = message.findtext("comment")
        english = EN_DISAMBIGUATED.get((source, comment)) if comment else EN.get(source)
        if english is None:
            missing.append(source)
            translation.set("type", "unfinished")
            continue
        translation.attrib.pop("type", None)
        if message.get("numerus") == "yes":
            translation.text = None
            for child in list(translation):
                translation.remove(child)
            for _form in range(2):  # English: singular, plural
                ET.SubElement(translation, "numerusform").text = english
        else:
            translation.text = english
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    subprocess.run(
        [_tool("pyside6-lrelease"), str(TS), "-qm", str(QM)], check=True, capture_output=True
    )
    subprocess.run(
        [_tool("pyside6-lrelease"), str(QT_EXTRA_TS), "-qm", str(QT_EXTRA_QM)],
        check=True,
        capture_output=True,
    )
    return missing


def main() -> int:
    missing = build()
    for source in missing:
        print(f"missing English: {source!r}")
    print(f"wrote {QM}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
