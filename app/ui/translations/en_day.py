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
    # Risky decisions ask once more (point 4)
    "Er du sikker?": "Are you sure?",
    "%1 %2 elementer?": "%1 %2 items?",
    "%1 alligevel?": "%1 anyway?",
    "&Ja, %1": "&Yes, %1",
    "Sagen %1 er lukket.": "Case %1 is closed.",
    "Sagen er fundet ved søgning – den er ikke foreslået.": "The case was found by search – it "
    "was not suggested.",
    "Forslaget er kun %1 % sikkert.": "The suggestion is only %1 % certain.",
    "Beslutningen gælder %1 valgte elementer.": "The decision applies to %1 selected items.",
    "fundet ved søgning": "found by search",
    # Undo (point 3)
    "Fortryd (Ctrl+Z)": "Undo (Ctrl+Z)",
    "sendes om %1 s": "sent in %1 s",
    "Journaliseret på sag %1": "Journalised on case %1",
    "Fordelt til %1 uden sag": "Assigned to %1 without a case",
    "Fordelt til %1": "Assigned to %1",
    "Videresendt til %1": "Forwarded to %1",
    "Afvist som fejlsendt": "Rejected as misrouted",
    "Journalnotat på sag %1": "Journal note on case %1",
    "%1 elementer: %2": "%1 items: %2",
    "Der er ingen beslutning at fortryde.": "There is no decision to undo.",
    "Fortrudt: %1": "Undone: %1",
    "%1 af %2 fortrudt; resten er sendt.": "%1 of %2 undone; the rest was sent.",
    "Fortrydelsestid": "Undo time",
    "Så længe venter en beslutning i udbakken, før den sendes (Ctrl+Z fortryder)": "How long a "
    "decision waits in the outbox before it is sent (Ctrl+Z undoes it)",
    "Skriv eller vælg en begrundelse (↓ viser de faste)": "Type or choose a reason (↓ shows the "
    "presets)",
    # Feedback (point 8)
    "%1 kunne ikke åbnes": "%1 could not be opened",
    "%1 er åbnet i et andet program": "%1 is open in another program",
    "Intet program på denne computer kan åbne filen. Gem den (Ctrl+S) og åbn den derfra.": "No "
    "program on this computer can open the file. Save it (Ctrl+S) and open it from there.",
    "%1 kunne ikke gemmes": "%1 could not be saved",
    "Gemt som %1": "Saved as %1",
    "Kan ikke hente ny post": "Cannot fetch new post",
    "Der er ingen postserver forbundet.": "No post server is connected.",
    "Henter ny post …": "Fetching new post …",
    "Indbakken er opdateret kl. %1.": "The inbox was updated at %1.",
    "Kunne ikke hente ny post": "Could not fetch new post",
    "Ingen elementer passer til søgningen.": "No items match the search.",
    "Søg sag: CPR, navn eller sagsnummer (Ctrl+Shift+F)": "Search case: CPR, name or case number "
    "(Ctrl+Shift+F)",
    # Command palette (point 8)
    "Kommandoer: find og kør en handling eller visning": "Commands: find and run an action or view",
    "Kommandoer": "Commands",
    "Find en handling eller visning": "Find an action or view",
    "Skriv for at finde en handling eller visning …": "Type to find an action or view …",
    "Handlinger og visninger": "Actions and views",
    "Ingen handling passer.": "No action matches.",
    "Visning": "View",
    # Opret ny sag / genåbn sag (point 9)
    "Opret ny sag / genåbn sag": "Create a new case / reopen a case",
    "Opret ny sag / genåbn sag (til DUBU uden sag)": "Create a new case / reopen a case (to "
    "DUBU without a case)",
    "Brevet sendes til DUBU uden sag. Den valgte sagsbehandler opretter sagen ud fra det – "
    "eller genåbner den lukkede sag.": "The letter is sent to DUBU without a case. The chosen "
    "caseworker creates the case from it – or reopens the closed case.",
    "Ny sag eller genåbning": "New case or reopening",
    "Opret ny sag": "Create a new case",
    "Genåbn lukket sag %1": "Reopen closed case %1",
    "KLE-emne for sagen": "KLE subject of the case",
    "Sag": "Case",
    "KLE-emne": "KLE subject",
    "Send til DUBU": "Send to DUBU",
    "Opret ny sag gælder ét element ad gangen.": "Create a new case applies to one item at a time.",
    "Sendt til DUBU: %1 genåbner sag %2": "Sent to DUBU: %1 reopens case %2",
    "Sendt til DUBU: %1 opretter en ny sag": "Sent to DUBU: %1 creates a new case",
    "Ny sag / genåbn…": "New case / reopen…",
    "Ingen åben sag passer: send brevet til DUBU, så sagen oprettes (N)": "No open case fits: "
    "send the letter to DUBU so the case is created (N)",
    "Tryk N for at sende brevet til DUBU som ny sag.": "Press N to send the letter to DUBU as a "
    "new case.",
    "Der er ingen fil at åbne": "There is no file to open",
    "Der er ingen fil at gemme": "There is no file to save",
}
