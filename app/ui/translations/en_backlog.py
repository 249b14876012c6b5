"""English for the backlog (team lead) and caseworker views: Danish source → English.

`app.ui.translations.en` includes these (`EN.update(EN_BACKLOG)` and
`EN_DISAMBIGUATED.update(EN_BACKLOG_DISAMBIGUATED)`); `python -m app.ui.i18n_build` compiles them.
Sources that `en.EN` already has (Sagsbehandler, Modtaget, Fordelt, Afventer, Alder, Type,
Afsender, Emne, Status, "%1 d", "Ældre end 2 arbejdsdage") are not repeated.
"""

EN_BACKLOG_DISAMBIGUATED: dict[tuple[str, str], str] = {
    ("ma", "weekday"): "Mon",
    ("ti", "weekday"): "Tue",
    ("on", "weekday"): "Wed",
    ("to", "weekday"): "Thu",
    ("fr", "weekday"): "Fri",
    ("lø", "weekday"): "Sat",
    ("sø", "weekday"): "Sun",
}

EN_BACKLOG: dict[str, str] = {
    "%1 ufordelte · %2 hos sagsbehandlere": "%1 undistributed · %2 with caseworkers",
    "%1 ældre end %2 arbejdsdage": "%1 older than %2 working days",
    "%1: modtaget %2, besluttet %3": "%1: received %2, decided %3",
    "%n element(er) fordelt til %1": "%n item(s) distributed to %1",
    "&Sagsbehandler:": "&Caseworker:",
    "Afventer levering": "Awaiting delivery",
    "Afvist af modtageren – skal besluttes igen": "Refused by the receiver – decide again",
    "Alder i arbejdsdage (ubehandlede)": "Age in working days (unhandled)",
    "Alder på ubehandlede elementer i arbejdsdage": "Age of unhandled items in working days",
    "Beslutninger i udbakken · %1 prøves igen": "Decisions in the outbox · %1 being retried",
    "Besluttet": "Decided",
    "Fejlede": "Failed",
    "Fordelt pr. sagsbehandler": "Distributed per caseworker",
    "Fordelt til sagsbehandleren": "Distributed to the caseworker",
    "Hent fordelte elementer": "Load distributed items",
    "Hos sagsbehandlerne": "With the caseworkers",
    "Inden for målet": "Within the goal",
    "Intet er fordelt til sagsbehandlere lige nu.": "Nothing is distributed to caseworkers right now.",
    "Intet fordelt til %1 mangler at blive journaliseret.": "Nothing distributed to %1 awaits journalising.",
    "Intet ubehandlet": "Nothing unhandled",
    "Låst af fordelere: %1": "Locked by distributors: %1",
    "Modtaget %1": "Received %1",
    "Modtaget og besluttet pr. arbejdsdag": "Received and decided per working day",
    "Modtaget og besluttet, seneste %n arbejdsdage": "Received and decided, last %n working days",
    "Mål: journaliseret inden %1 arbejdsdage": "Goal: journalised within %1 working days",
    "Opdatér": "Refresh",
    "Opdatér listen": "Refresh the list",
    "Opdatér listen (F5)": "Refresh the list (F5)",
    "Opdatér overblik": "Refresh overview",
    "Opdatér overblikket": "Refresh the overview",
    "Opdatér tallene (F5)": "Refresh the figures (F5)",
    "Opdateret %1": "Updated %1",
    "Opdaterer …": "Refreshing …",
    "Over målet": "Over the goal",
    "Overblik over indgående post": "Incoming post overview",
    "Pr. status: %1": "By status: %1",
    "Pr. type: %1": "By kind: %1",
    "Tallene kunne ikke hentes": "The figures could not be loaded",
    "Vis også &behandlede": "Also show &handled",
    "Vis også behandlede elementer": "Also show handled items",
    "Åbne": "Open",
    "Ældste": "Oldest",
    "ældste modtaget %1": "oldest received %1",
}
