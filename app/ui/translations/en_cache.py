"""English for the damaged-cache notices (`app/ui/cache_notice.py`, the status label)."""

EN_CACHE: dict[str, str] = {
    "● Lokal kopi beskadiget": "● Local copy damaged",
    "Den lokale kopi af posten": "The local copy of the mail",
    "<b>Den lokale kopi af posten var beskadiget.</b> Postfordeler har lagt den til side og "
    "bygget en ny; alle meddelelser hentes igen fra postserveren.": (
        "<b>The local copy of the mail was damaged.</b> Postfordeler has set it aside and "
        "built a new one; every message is fetched again from the mail server."
    ),
    "Den gamle kopi kunne slet ikke læses: beslutninger, der ikke var sendt fra denne "
    "computer, kunne ikke reddes. Kontrollér dine seneste beslutninger.": (
        "The old copy could not be read at all: decisions not yet sent from this computer "
        "could not be saved. Check your latest decisions."
    ),
    "%1 beslutning(er), der ikke var sendt, er reddet og sendes igen.": (
        "%1 decision(s) not yet sent were saved and will be sent again."
    ),
    "%1 beslutning(er) kunne ikke læses og er tabt. Kontrollér dine seneste beslutninger.": (
        "%1 decision(s) could not be read and are lost. Check your latest decisions."
    ),
    "%1 linje(r) i adgangsloggen kunne ikke læses.": (
        "%1 line(s) of the access log could not be read."
    ),
    "Adgangsloggen kunne ikke læses og er tabt.": "The access log could not be read and is lost.",
    "Markeringer af læste meddelelser kunne ikke reddes.": (
        "The marks of messages already read could not be saved."
    ),
    "Den beskadigede kopi ligger krypteret som %1 til IT-supporten.": (
        "The damaged copy is kept, encrypted, as %1 for IT support."
    ),
    "<b>Den lokale kopi af posten er beskadiget.</b> Synkroniseringen er stoppet. Luk "
    "Postfordeler og start programmet igen: så bygges kopien op på ny, og posten hentes igen "
    "fra postserveren. Beslutninger, der ikke er sendt, forsøges reddet.": (
        "<b>The local copy of the mail is damaged.</b> Syncing has stopped. Close Postfordeler "
        "and start it again: the copy is then rebuilt and the mail fetched again from the mail "
        "server. Decisions not yet sent will be saved where possible."
    ),
}
