"""English translations of the Danish UI source strings (Danish text → English text).

`python -m app.ui.i18n_build` fills `postfordeler_en.ts` from this dict and compiles the `.qm`.
Keep placeholders (%1, %2, %n) and markup (<b>…</b>) as in the source.
"""

# The team-lead backlog and caseworker views keep their strings in their own module.
from app.ui.translations.en_backlog import EN_BACKLOG, EN_BACKLOG_DISAMBIGUATED
from app.ui.translations.en_cache import EN_CACHE
from app.ui.translations.en_day import EN_DAY
from app.ui.translations.en_install import EN_INSTALL

# Same Danish source, different English by disambiguation comment: (source, comment) keys.
EN_DISAMBIGUATED: dict[tuple[str, str], str] = {
    ("Retursvar", "kind of one item"): "Reply",
    ("Videresendt", "kind of one item"): "Forwarded",
    # Delivery states of a decision (DESIGN9)
    ("Ny", "delivery state"): "New",
    ("Afventer", "delivery state"): "Pending",
    ("Fejlet", "delivery state"): "Failed",
}

EN: dict[str, str] = {
    # The suggestion engine's reasons (app/ui/reasons.py; issue 12 point 7)
    "Sagsnummer matcher søgningen": "Case number matches the search",
    "Barnets CPR matcher søgningen": "The child's CPR matches the search",
    "Søgt CPR er part i sagen (%1)": "Searched CPR is a party to the case (%1)",
    "Barnets fødselsdato matcher søgningen": "The child's date of birth matches the search",
    "Barnets navn matcher søgningen": "The child's name matches the search",
    "Søgt navn er part i sagen (%1)": "Searched name is a party to the case (%1)",
    "Afsender er barnet selv": "The sender is the child",
    "Afsender er part i barnets sag (%1)": "The sender is a party to the child's case (%1)",
    "Sagens id i brevets metadata (%1)": "The case id in the letter's metadata (%1)",
    "Sagsnummer i brevets metadata (uden årstal: %1)": "Case number in the letter's metadata "
    "(without year: %1)",
    "Sagsnummer i brevets metadata (%1)": "Case number in the letter's metadata (%1)",
    "Sagsnummer nævnt i teksten (uden årstal: %1)": "Case number mentioned in the text "
    "(without year: %1)",
    "Sagsnummer nævnt i teksten (%1)": "Case number mentioned in the text (%1)",
    "Kontaktoplysninger peger på et andet barn end teksten": "The contact details point to "
    "another child than the text",
    "Brevet ser ud til at høre til en anden afdeling": "The letter seems to belong to another "
    "department",
    "Svar på brev fra sag %1 (sagsnummer i svardata)": "Reply to a letter from case %1 (case "
    "number in the reply data)",
    "Sagen %1 er lukket (%2)": "Case %1 is closed (%2)",
    "Sagen er lukket (%1)": "The case is closed (%1)",
    "Svar på brev '%1' sendt %2 på sag %3": "Reply to letter '%1' sent %2 on case %3",
    "Titlen svarer til brev '%1' sendt %2 til afsender på sag %3": "The title matches letter "
    "'%1' sent %2 to the sender on case %3",
    "Barnets CPR fundet i brevets metadata": "The child's CPR found in the letter's metadata",
    "Vejnavnet i brevet passer til barnets eller forælderens adresse": "The street in the letter matches the child's or a parent's address",
    "CPR i brevet tilhører et andet barn end sagens": "A CPR in the letter belongs to another child than the case's",
    "Barnets fulde navn nævnt i brevet (efternavn først)": "The child's full name is in the letter (surname first)",
    "Barnets %1 (%2) nævnt i brevet": "The child's %1 (%2) is named in the letter",
    "Det videresendte brev er fra barnet selv": "The forwarded letter is from the child",
    "Det videresendte brev er fra barnets %1 (%2)": "The forwarded letter is from the child's %1 (%2)",
    "Adressen i brevet er barnets eller forælderens": "The address in the letter is the child's or a parent's",
    "Barnets fornavn og %1s fornavn": "The child's first name and their %1's first name",
    "Brevet handler om barnet (emne, gentagelse eller ordlyd)": "The letter is about this child (subject, repetition or wording)",
    "Barnet nævnes kun i forbigående": "The child is only mentioned in passing",
    "Afsenderen skriver at CPR-nummeret var forkert": "The sender writes that the CPR number was wrong",
    "To børn nævnt – brevet siger ikke hvilket": "Two children named – the letter does not say which",
    "forælder": "parent",
    "Barnets CPR fundet i vedhæftet PDF": "The child's CPR found in an attached PDF",
    "Barnets CPR fundet i kontaktoplysninger": "The child's CPR found in the contact details",
    "Barnets CPR fundet i brevet": "The child's CPR found in the letter",
    "CPR på en part i barnets sag fundet i brevets metadata": "CPR of a party to the child's "
    "case found in the letter's metadata",
    "CPR på en part i barnets sag fundet i vedhæftet PDF": "CPR of a party to the child's case "
    "found in an attached PDF",
    "CPR på en part i barnets sag fundet i kontaktoplysninger": "CPR of a party to the child's "
    "case found in the contact details",
    "CPR på en part i barnets sag fundet i brevet": "CPR of a party to the child's case found in "
    "the letter",
    "CPR i brevets metadata ligner barnets (læse- eller tastefejl)": "A CPR in the letter's "
    "metadata resembles the child's (misread or mistyped)",
    "CPR i vedhæftet PDF ligner barnets (læse- eller tastefejl)": "A CPR in an attached PDF "
    "resembles the child's (misread or mistyped)",
    "CPR i kontaktoplysninger ligner barnets (læse- eller tastefejl)": "A CPR in the contact "
    "details resembles the child's (misread or mistyped)",
    "CPR i brevet ligner barnets (læse- eller tastefejl)": "A CPR in the letter resembles the "
    "child's (misread or mistyped)",
    "Barnets navn i kontaktoplysninger": "The child's name in the contact details",
    "Barnets fulde navn nævnt i brevet": "The child's full name mentioned in the letter",
    "Barnets navn nævnt i brevet": "The child's name mentioned in the letter",
    "Barnets fornavn nævnt i brevet": "The child's first name mentioned in the letter",
    "Fornavn og alder/klasse/fødselsdato passer": "First name and age/class/date of birth match",
    "Fødselsdato i brevet passer": "The date of birth in the letter matches",
    "Alderen i brevet passer": "The age in the letter matches",
    "Klassetrin passer til barnets alder": "The school class matches the child's age",
    "Barnet har kun lukkede sager – opret ny sag eller genoptag": "The child has only closed "
    "cases – create a new case or reopen one",
    "Barnets åbne sag – brevets sag %1 er lukket": "The child's open case – the letter's case %1 "
    "is closed",
    "Barnets åbne sag – sag %1 er lukket": "The child's open case – case %1 is closed",
    "Sagsbehandleren (%1) nævnt i brevet": "The caseworker (%1) mentioned in the letter",
    "Emnet ligner %1 – ikke en børnesag": "The subject looks like %1 – not a children's case",
    "Barnet i brevet har ingen sag i DUBU – opret ny sag": "The child in the letter has no case "
    "in DUBU – create a new case",
    "ukendt dato": "unknown date",
    "mor": "mother",
    "far": "father",
    "plejeforælder": "foster parent",
    "værge": "guardian",
    # Window layout (issue 12 point 5)
    "Nulstil vinduets layout": "Reset window layout",
    "Standardstørrelse, -paneler og -kolonnebredder for dette vindue": "Default size, panes "
    "and column widths for this window",
    "Vindue": "Window",
    "Layoutet er nulstillet": "The layout has been reset",
    "Vinduets layout er nulstillet": "The window layout has been reset",
    # One CPR mask with a logged reveal; reply data in words (issue 12 point 6)
    "Hentning af post": "Fetching mail",
    "Henter post … %1 hentet": "Fetching mail … %1 fetched",
    "Vis CPR": "Show CPR",
    "Vis afsenderens fulde CPR-nummer (skrives i adgangsloggen)": "Show the sender's full CPR "
    "number (written to the access log)",
    "Vis afsenderens CPR-nummer": "Show the sender's CPR number",
    "Svar på et brev fra kommunen": "Reply to a letter from the municipality",
    "brevet var fra %1": "the letter was from %1",
    "Svar på": "Reply to",
    "<b>borgeren kan ikke svare på denne meddelelse</b>": "<b>the citizen cannot reply to this "
    "message</b>",
    "<b>retsvirkning</b> (digital forkyndelse)": "<b>legal effect</b> (digital service)",
    "Brevets id: %1": "Letter id: %1",
    # Delivery states of a decision (DESIGN9): DUBU's refusal and the distributor's Afvis differ
    "Kun på denne pc": "Only on this PC",
    "Sendt": "Sent",
    "Accepteret af DUBU": "Accepted by DUBU",
    "Afvist af DUBU": "Rejected by DUBU",
    "Afsluttet (afvist af fordeler)": "Closed (rejected by distributor)",
    "kvittering mangler – følg op": "receipt missing – follow up",
    # A conflict item (issue 10 point 4): the same messageUUID arrived with other content
    "Konflikt": "Conflict",
    "Konflikt: meddelelsen %1 er modtaget før med et andet indhold. Begge er gemt; "
    "sammenlign dem, før du fordeler.": "Conflict: message %1 was received before with "
    "different content. Both are kept; compare them before you distribute.",
    "Levering": "Delivery",
    "Levering: %1": "Delivery: %1",
    "Leveringstilstand": "Delivery state",
    "Elementet er tilbage i fordelingskøen: træf en ny beslutning.": "The item is back in the "
    "distribution queue: make a new decision.",
    " · lukket": " · closed",
    "%1 (modtaget %2)": "%1 (received %2)",
    "%1 d": "%1 d",
    "%1 · %2 · oprindeligt navn: %3": "%1 · %2 · original name: %3",
    "%1 · låst af %2": "%1 · locked by %2",
    "%1: lagt i udbakken (Ctrl+Z fortryder)": "%1: placed in the outbox (Ctrl+Z undoes)",
    "%n arbejdsdage": "%n working days",
    "%n element(er)": "%n item(s)",
    "%n fund": "%n hits",
    "%n ny(e) meddelelse(r) i indbakken": "%n new message(s) in the inbox",
    "(uændret)": "(unchanged)",
    "1 arbejdsdag": "1 working day",
    "<b>Afventer</b> afsendelse: %1": "<b>Pending</b> delivery: %1",
    "<b>Demo (sandkasse)</b>: Postfordeler kører mod en indbygget sandkasse med syntetiske data "
    "– intet sendes til rigtige systemer. Åbn <b>Indstillinger</b> (Ctrl+,) for at forbinde til "
    "kommunens postserver.": "<b>Demo (sandbox)</b>: Postfordeler runs against a built-in sandbox with synthetic data "
    "– nothing is sent to real systems. Open <b>Settings</b> (Ctrl+,) to connect to the "
    "municipality's mail server.",
    "<b>Fejlet:</b> %1": "<b>Failed:</b> %1",
    "<b>Ingen nøglering fundet.</b> Denne computer har ingen sikker adgangskode-opbevaring "
    "(keyring), så adgangskoder kan ikke gemmes. Bed IT om at aktivere Windows Credential "
    "Manager, macOS Keychain eller Secret Service (GNOME Keyring/KWallet) – Postfordeler gemmer "
    "aldrig adgangskoder i en almindelig fil.": "<b>No keyring found.</b> This computer has no secure password storage (keyring), so "
    "passwords cannot be saved. Ask IT to enable Windows Credential Manager, macOS Keychain "
    "or Secret Service (GNOME Keyring/KWallet) – Postfordeler never stores passwords in a "
    "plain file.",
    "<b>Videresendt af borgeren.</b> Oprindelig afsender: <b>%1</b>, dato %2.<br>Borgerens "
    "kommentar: %3": "<b>Forwarded by the citizen.</b> Original sender: <b>%1</b>, date %2.<br>The citizen's "
    "comment: %3",
    "<b>retsvirkning</b> (legalNotification)": "<b>legal effect</b> (legalNotification)",
    "<b>svar ikke muligt</b> (reply=false)": "<b>no reply possible</b> (reply=false)",
    "<i>(ingen kommentar)</i>": "<i>(no comment)</i>",
    "Adgangskode": "Password",
    "Adgangslog": "Access log",
    "Adgangskoden kunne ikke gemmes i nøgleringen (%1).": "The password could not be stored in the keyring (%1).",
    "Afsender": "Sender",
    "Afventer": "Pending",
    "Afvis": "Reject",
    "Afvis %1 elementer.": "Reject %1 items.",
    "Afvis (fejlsendt)": "Reject (misrouted)",
    "Afvis som fejlsendt (A)": "Reject as misrouted (A)",
    "Afvist": "Rejected",
    "Afvis…": "Reject…",
    "Alder": "Age",
    "Alle": "All",
    "Alle aldre": "All ages",
    "Alle kontaktpunkter": "All contact points",
    "Alle låse": "All locks",
    "Alle sagsbehandlere": "All caseworkers",
    "Alle statusser": "All statuses",
    "Alle typer": "All kinds",
    "Andet": "Other",
    "Anden afd.?": "Other dept.?",
    "Annullér": "Cancel",
    "Arbejde og udseende": "Work and appearance",
    "Begrundelse": "Reason",
    "Begrundelse (skal udfyldes)": "Reason (required)",
    "Bemærk: sagen er lukket.": "Note: the case is closed.",
    "Bemærkning": "Remark",
    "Brevets tekst": "Letter text",
    "Brugernavn": "User name",
    "CA-fil for postserveren (PEM)": "CA file for the mail server (PEM)",
    "DUBU sagsopslag": "DUBU case look-up",
    "DUBU-opslag": "DUBU look-up",
    "Demo (sandkasse)": "Demo (sandbox)",
    "Der opstod en uventet fejl. Dit arbejde i udbakken er gemt.\nFejlen er skrevet i logfilen.": "An unexpected error occurred. Your work in the outbox is saved.\n"
    "The error was written to the log file.",
    "Dokumenter og bilag": "Documents and attachments",
    "Dublet": "Duplicate",
    "Egenskaber": "Properties",
    "Emne": "Subject",
    "Fejlet": "Failed",
    'Filen "%1" (%2) kan indeholde kode, der kører på din computer.\nÅbn den kun, hvis du '
    "stoler på afsenderen.": 'The file "%1" (%2) may contain code that runs on your computer.\nOnly open it if '
    "you trust the sender.",
    "Filen kunne ikke vises: indholdet passer ikke til den angivne type (%1).": "The file could not be shown: its content does not match the declared type (%1).",
    "Filtre": "Filters",
    "Filtypen %1 kan ikke vises her. Brug Gem eller Åbn.": "The file type %1 cannot be shown here. Use Save or Open.",
    "Finder forslag…": "Finding suggestions…",
    "For sent at fortryde: handlingen er sendt.": "Too late to undo: the action was sent.",
    "Forbindelser": "Connections",
    "Fordel": "Assign",
    "Fordel %1 elementer.": "Assign %1 items.",
    "Fordel til sagsbehandler": "Assign to caseworker",
    "Fordel til sagsbehandler eller team (F)": "Assign to a caseworker or team (F)",
    "Fordelt": "Assigned",
    "Fordel…": "Assign…",
    "Foreslåede sager": "Suggested cases",
    "Foreslået modtager: %1": "Suggested receiver: %1",
    "Foreslået sag %1": "Suggested case %1",
    "Forrige element": "Previous item",
    "Forslag": "Suggestion",
    "Fortryd": "Undo",
    "Fortryd (mens den venter i udbakken)": "Undo (while it waits in the outbox)",
    "Fortryd, mens handlingen venter i udbakken (Ctrl+Z)": "Undo while the action waits in the outbox (Ctrl+Z)",
    "Følg styresystemet": "Follow the system",
    "Gem": "Save",
    "Gem fil": "Save file",
    "Gem filen (Ctrl+S)": "Save the file (Ctrl+S)",
    "Gemte visninger": "Saved views",
    "Gem…": "Save…",
    "Gå til indbakken": "Go to the inbox",
    "HTML-visning": "HTML view",
    "Handlingen er fortrudt.": "The action was undone.",
    "Hent ny post nu": "Fetch new mail now",
    "Henter filen …": "Loading the file …",
    "Hurtigsøgning": "Quick search",
    "Hurtigsøgning i indbakken": "Quick search in the inbox",
    "Hører ikke til familieafdelingen": "Not for the family department",
    "Ikke låst": "Not locked",
    "Ikke synkroniseret endnu": "Not synchronised yet",
    "Indbakke": "Inbox",
    "Indstillinger": "Settings",
    "Indstillingerne er gemt. Nye forbindelser og sprog bruges ved næste start.": "Settings saved. New connections and language apply at the next start.",
    "Ingen": "None",
    "Ingen postserver er sat op, så Postfordeler kører som <b>demo mod en indbygget "
    "sandkasse</b> med syntetiske data. Udfyld adressen på kommunens postserver for at bruge "
    "rigtig post.": "No mail server is configured, so Postfordeler runs as a <b>demo against a built-in "
    "sandbox</b> with synthetic data. Enter the address of the municipality's mail server "
    "to use real mail.",
    "Ingen sager fundet.": "No cases found.",
    "Intet sikkert forslag. Søg efter sagen med CPR, navn eller sagsnummer.": "No confident suggestion. Search for the case by CPR, name or case number.",
    "Journaliseret": "Journalised",
    "Journalisér": "Journalise",
    "Journalisér %1 elementer på sag <b>%2</b>?": "Journalise %1 items on case <b>%2</b>?",
    "Journalisér på den valgte sag (Enter)": "Journalise on the selected case (Enter)",
    "Journalisér på sag <b>%1</b>?": "Journalise on case <b>%1</b>?",
    "Journalisér på valgt forslag": "Journalise on the selected suggestion",
    "Journalnotat": "Journal note",
    "Kommunens CVR": "Municipality CVR",
    "Kontaktpunkt": "Contact point",
    "Kontaktpunkter": "Contact points",
    "Kopiér sidens tekst til udklipsholderen": "Copy the page text to the clipboard",
    "Kopiér tekst": "Copy text",
    "Kun nyhenvendelser (synlige kontaktpunkter)": "New inquiries only (visible contact points)",
    "Kun retursvar (skjulte kontaktpunkter)": "Replies only (hidden contact points)",
    "Luk": "Close",
    "Lyst": "Light",
    "Låst af": "Locked by",
    "Låst af %1 – du kan ikke handle på det.": "Locked by %1 – you cannot act on it.",
    "Læst/ulæst": "Read/unread",
    "Markér som ulæst / læst": "Mark as unread / read",
    "Meddelelsen har ingen dokumenter.": "The message has no documents.",
    "Mine": "Mine",
    "Modtag post fra": "Receive mail from",
    "Modtager": "Receiver",
    "Modtaget": "Received",
    "Mørkt": "Dark",
    "Notat": "Note",
    "Notatets tekst": "Note text",
    "Notatets titel": "Note title",
    "Ny": "New",
    "Nye forbindelser bruges, når Postfordeler startes igen.": "New connections are used when Postfordeler is started again.",
    "Nyhenvendelse": "New inquiry",
    "Nyhenvendelser": "New inquiries",
    "Næste / forrige element": "Next / previous item",
    "Næste dokument": "Next document",
    "Næste element": "Next item",
    "Opdater element": "Refresh item",
    "Opdater indbakken": "Refresh the inbox",
    "Oprettet": "Created",
    "Over 1 arbejdsdag": "Over 1 working day",
    "Over 10 arbejdsdage": "Over 10 working days",
    "Over 2 arbejdsdage": "Over 2 working days",
    "Over 5 arbejdsdage": "Over 5 working days",
    "PDF-visning": "PDF view",
    "Postserver (gateway)": "Mail server (gateway)",
    "Retursvar": "Replies",
    "Retursvar og nyhenvendelser": "Replies and new inquiries",
    "Sagsbehandler": "Caseworker",
    "Sagsbehandler eller team": "Caseworker or team",
    "Sagsforslag": "Case suggestions",
    "Sagsnr. i brevet": "Case no. in the letter",
    "Sendt til forkert kontaktpunkt": "Sent to the wrong contact point",
    "Seneste forsøg: %1": "Last attempt: %1",
    "Listen over modtagere kan ikke hentes fra gatewayen: %1": (
        "The list of receivers cannot be fetched from the gateway: %1"
    ),
    "Ser ud til at høre til en anden afdeling.": "Looks like it belongs to another department.",
    "Ser ud til at høre til en anden afdeling (emne: %1).": (
        "Looks like it belongs to another department (subject: %1)."
    ),
    "Side": "Page",
    "Side ": "Page ",
    "Skriv eller vælg en begrundelse": "Type or pick a reason",
    "Sprog": "Language",
    "Status": "Status",
    "Svardata": "Reply data",
    "Søg i PDF": "Search the PDF",
    "Søg i afsender, emne og tekst (Ctrl+F)": "Search sender, subject and text (Ctrl+F)",
    "Søg sag": "Search case",
    "Søg sag (CPR, navn, sagsnummer)": "Search case (CPR, name, case number)",
    "Søg sag: CPR, navn eller sagsnummer (Ctrl+K)": "Search case: CPR, name or case no. (Ctrl+K)",
    "Tastaturgenveje": "Keyboard shortcuts",
    "Team: %1": "Team: %1",
    "Tilføj journalnotat": "Add a journal note",
    "Titel": "Title",
    "Type": "Kind",
    "Tæl visninger": "Count views",
    "Udbakke": "Outbox",
    "Ulæste": "Unread",
    "Udbakke: %1": "Outbox: %1",
    "Udseende": "Appearance",
    "Ufordelte": "Undistributed",
    "Ulæselig": "Unreadable",
    "Uventet fejl": "Unexpected error",
    "Videresend": "Forward",
    "Videresend %1 elementer.": "Forward %1 items.",
    "Videresend til anden afdeling eller system (V)": "Forward to another department or system (V)",
    "Videresendt": "Forwarded",
    "Videresendte": "Forwarded",
    "Videresend…": "Forward…",
    "Vis element": "Show item",
    "Vis eller skjul brevhovedet": "Show or hide the letter header",
    "Vis filtre": "Show filters",
    "Vis/skjul filtre": "Show/hide filters",
    "Visning: Ufordelte … Alle": "View: Undistributed … All",
    "Vælg CA-fil": "Choose CA file",
    "systemets certifikatlager": "the system certificate store",
    "PEM-certifikater (*.pem *.crt *.cer)": "PEM certificates (*.pem *.crt *.cer)",
    "Vælg et element i indbakken.": "Select an item in the inbox.",
    "Vælg forslag 1–5": "Pick suggestion 1–5",
    "Vælg…": "Choose…",
    "Zoom ind": "Zoom in",
    "Zoom ind (Ctrl++)": "Zoom in (Ctrl++)",
    "Zoom ind / ud i PDF": "Zoom in / out in the PDF",
    "Zoom ud": "Zoom out",
    "Zoom ud (Ctrl+-)": "Zoom out (Ctrl+-)",
    "af %1": "of %1",
    "afsender %1": "sender %1",
    "borgeren kan svare": "the citizen can reply",
    "lukket": "closed",
    "obligatorisk": "mandatory",
    "sag %1": "case %1",
    "svar på brev %1": "reply to letter %1",
    "Åbn": "Open",
    "Åbn fil": "Open file",
    "Åbn fil?": "Open file?",
    "Åbn filen i et andet program (Ctrl+O)": "Open the file in another program (Ctrl+O)",
    "Ældre end 2 arbejdsdage": "Older than 2 working days",
    "● Forbindelsen svigter": "● Connection failing",
    "● Offline": "● Offline",
    "● Online": "● Online",
}

EN.update(EN_BACKLOG)
EN.update(EN_CACHE)
EN.update(EN_INSTALL)
EN.update(EN_DAY)
EN_DISAMBIGUATED.update(EN_BACKLOG_DISAMBIGUATED)
EN.update(
    {
        "Indbakke": "Inbox",
        "Overblik": "Overview",
        "Fordelt til mig": "Assigned to me",
        "Visninger": "Views",
        "Postfordeler kan ikke starte": "Postfordeler cannot start",
        "Ingen nøglering på denne computer: demoen kører i en midlertidig mappe, "
        "som glemmes når programmet lukkes.": "No keyring on this computer: the demo runs in a "
        "temporary folder that is forgotten when the program closes.",
    }
)
