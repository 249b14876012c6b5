"""English for the strings of issue 12's "a whole day without a surprise" (Videresend's
preselection, undo notice, risky-decision confirmations, feedback, command palette, new case).
Merged into `en.EN` by `en.py`."""

EN_DAY: dict[str, str] = {
    # Videresend (point 2)
    "Vælg modtager …": "Choose a receiver …",
    "SF2900 oplyser ingen modtagere at videresende til.": "SF2900 lists no receivers to "
    "forward to.",
    "Den foreslåede modtager, %1, er ikke blandt de modtagere, SF2900 oplyser. "
    "Vælg selv en modtager.": "The suggested receiver, %1, is not among the receivers SF2900 "
    "lists. Choose a receiver yourself.",
    "Der er ingen foreslået modtager. Vælg selv en modtager.": "There is no suggested receiver. "
    "Choose a receiver yourself.",
    "Foreslået ud fra brevets emne.": "Suggested from the letter's subject.",
}
