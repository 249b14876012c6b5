"""English for the About dialog, the Help menu and the machine-wide (IT) settings (issue 14)."""

EN_INSTALL: dict[str, str] = {
    "Om Postfordeler": "About Postfordeler",
    "Om Postfordeler…": "About Postfordeler…",
    "&Hjælp": "&Help",
    "Bygget %1": "Built %1",
    "Kørt fra kildekode (ikke en installeret udgave)": "Run from source (not an installed build)",
    "Version %1": "Version %1",
    "Commit %1": "Commit %1",
    "ukendt": "unknown",
    "Modtag, fordel og journalisér indgående Digital Post til DUBU. "
    "Licens: EUPL-1.2. Qt %1, PySide6 %2.": "Receive, distribute and journalise incoming "
    "Digital Post for DUBU. Licence: EUPL-1.2. Qt %1, PySide6 %2.",
    "Luk": "Close",
}

EN_INSTALL.update(
    {
        "Postfordeler skal opdateres": "Postfordeler must be updated",
        "Identitetsudbyder (login)": "Identity provider (login)",
        "Klient-id hos identitetsudbyderen": "Client id at the identity provider",
        "Fastlagt af IT (%1)": "Set by IT (%1)",
        "<b>Nogle indstillinger er fastlagt af IT</b> for hele computeren i %1 og "
        "kan ikke ændres her (de grå og skrivebeskyttede felter).": "<b>Some settings are set "
        "by IT</b> for the whole computer in %1 and cannot be changed here (the grey, read-only "
        "fields).",
    }
)
