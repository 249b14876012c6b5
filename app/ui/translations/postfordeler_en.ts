<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_GB">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../about.py" line="39" />
        <source>Om Postfordeler</source>
        <translation>About Postfordeler</translation>
    </message>
    <message>
        <location filename="../about.py" line="49" />
        <source>Bygget %1</source>
        <translation>Built %1</translation>
    </message>
    <message>
        <location filename="../about.py" line="51" />
        <source>Kørt fra kildekode (ikke en installeret udgave)</source>
        <translation>Run from source (not an installed build)</translation>
    </message>
    <message>
        <location filename="../about.py" line="53" />
        <source>Version %1</source>
        <translation>Version %1</translation>
    </message>
    <message>
        <location filename="../about.py" line="58" />
        <source>Commit %1</source>
        <translation>Commit %1</translation>
    </message>
    <message>
        <location filename="../about.py" line="58" />
        <source>ukendt</source>
        <translation>unknown</translation>
    </message>
    <message>
        <location filename="../about.py" line="66" />
        <source>Modtag, fordel og journalisér indgående Digital Post til DUBU. Licens: EUPL-1.2. Qt %1, PySide6 %2.</source>
        <translation>Receive, distribute and journalise incoming Digital Post for DUBU. Licence: EUPL-1.2. Qt %1, PySide6 %2.</translation>
    </message>
    <message>
        <location filename="../about.py" line="77" />
        <source>Luk</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../about.py" line="85" />
        <source>&amp;Hjælp</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <location filename="../about.py" line="89" />
        <source>Om Postfordeler…</source>
        <translation>About Postfordeler…</translation>
    </message>
</context>
<context>
    <name>AssignDialog</name>
    <message>
        <location filename="../dialogs.py" line="137" />
        <source>Fordel til sagsbehandler</source>
        <translation>Assign to caseworker</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="141" />
        <source>Fordel %1 elementer.</source>
        <translation>Assign %1 items.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="146" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152" />
        <source>Team: %1</source>
        <translation>Team: %1</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="163" />
        <source>Sagsbehandler eller team</source>
        <translation>Caseworker or team</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="164" />
        <source>Fordel</source>
        <translation>Assign</translation>
    </message>
</context>
<context>
    <name>BacklogView</name>
    <message>
        <location filename="../backlog_view.py" line="79" />
        <source>ma</source>
        <comment>weekday</comment>
        <translation>Mon</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="80" />
        <source>ti</source>
        <comment>weekday</comment>
        <translation>Tue</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="81" />
        <source>on</source>
        <comment>weekday</comment>
        <translation>Wed</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="82" />
        <source>to</source>
        <comment>weekday</comment>
        <translation>Thu</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="83" />
        <source>fr</source>
        <comment>weekday</comment>
        <translation>Fri</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="84" />
        <source>lø</source>
        <comment>weekday</comment>
        <translation>Sat</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="85" />
        <source>sø</source>
        <comment>weekday</comment>
        <translation>Sun</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="158" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="159" />
        <source>Fordelt</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="160" />
        <location filename="../backlog_view.py" line="263" />
        <source>Over målet</source>
        <translation>Over the goal</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="161" />
        <source>Afventer</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="162" />
        <location filename="../backlog_view.py" line="402" />
        <source>Ældste</source>
        <translation>Oldest</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="197" />
        <location filename="../backlog_view.py" line="493" />
        <source>Modtaget %1</source>
        <translation>Received %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="250" />
        <source>Alder på ubehandlede elementer i arbejdsdage</source>
        <translation>Age of unhandled items in working days</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="260" />
        <source>Alder i arbejdsdage (ubehandlede)</source>
        <translation>Age in working days (unhandled)</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="262" />
        <source>Inden for målet</source>
        <translation>Within the goal</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="303" />
        <source>Modtaget og besluttet pr. arbejdsdag</source>
        <translation>Received and decided per working day</translation>
    </message>
    <message numerus="yes">
        <location filename="../backlog_view.py" line="312" />
        <source>Modtaget og besluttet, seneste %n arbejdsdage</source>
        <translation><numerusform>Received and decided, last %n working days</numerusform><numerusform>Received and decided, last %n working days</numerusform></translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="316" />
        <source>Modtaget</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="317" />
        <source>Besluttet</source>
        <translation>Decided</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="339" />
        <source>%1: modtaget %2, besluttet %3</source>
        <translation>%1: received %2, decided %3</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="378" />
        <source>Overblik over indgående post</source>
        <translation>Incoming post overview</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="386" />
        <source>Opdatér</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="388" />
        <source>Opdatér overblikket</source>
        <translation>Refresh the overview</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="389" />
        <source>Opdatér tallene (F5)</source>
        <translation>Refresh the figures (F5)</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="400" />
        <source>Åbne</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="401" />
        <source>Ældre end 2 arbejdsdage</source>
        <translation>Older than 2 working days</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="403" />
        <source>Afventer levering</source>
        <translation>Awaiting delivery</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="404" />
        <source>Fejlede</source>
        <translation>Failed</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="428" />
        <source>Fordelt pr. sagsbehandler</source>
        <translation>Distributed per caseworker</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="444" />
        <source>Hos sagsbehandlerne</source>
        <translation>With the caseworkers</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="449" />
        <source>Intet er fordelt til sagsbehandlere lige nu.</source>
        <translation>Nothing is distributed to caseworkers right now.</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="479" />
        <source>%1 ufordelte · %2 hos sagsbehandlere</source>
        <translation>%1 undistributed · %2 with caseworkers</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="485" />
        <source>Mål: journaliseret inden %1 arbejdsdage</source>
        <translation>Goal: journalised within %1 working days</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="489" />
        <source>Intet ubehandlet</source>
        <translation>Nothing unhandled</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="498" />
        <source>Beslutninger i udbakken · %1 prøves igen</source>
        <translation>Decisions in the outbox · %1 being retried</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="504" />
        <source>Afvist af modtageren – skal besluttes igen</source>
        <translation>Refused by the receiver – decide again</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="514" />
        <source>Opdateret %1</source>
        <translation>Updated %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="521" />
        <source>Pr. type: %1</source>
        <translation>By kind: %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="522" />
        <source>Pr. status: %1</source>
        <translation>By status: %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="526" />
        <source>Låst af fordelere: %1</source>
        <translation>Locked by distributors: %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="535" />
        <source>Opdatér overblik</source>
        <translation>Refresh overview</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="538" />
        <source>Opdaterer …</source>
        <translation>Refreshing …</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="542" />
        <source>Tallene kunne ikke hentes</source>
        <translation>The figures could not be loaded</translation>
    </message>
</context>
<context>
    <name>CacheNotice</name>
    <message>
        <location filename="../cache_notice.py" line="15" />
        <source>&lt;b&gt;Den lokale kopi af posten var beskadiget.&lt;/b&gt; Postfordeler har lagt den til side og bygget en ny; alle meddelelser hentes igen fra postserveren.</source>
        <translation>&lt;b&gt;The local copy of the mail was damaged.&lt;/b&gt; Postfordeler has set it aside and built a new one; every message is fetched again from the mail server.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="23" />
        <source>Den gamle kopi kunne slet ikke læses: beslutninger, der ikke var sendt fra denne computer, kunne ikke reddes. Kontrollér dine seneste beslutninger.</source>
        <translation>The old copy could not be read at all: decisions not yet sent from this computer could not be saved. Check your latest decisions.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="32" />
        <source>%1 beslutning(er), der ikke var sendt, er reddet og sendes igen.</source>
        <translation>%1 decision(s) not yet sent were saved and will be sent again.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="39" />
        <source>%1 beslutning(er) kunne ikke læses og er tabt. Kontrollér dine seneste beslutninger.</source>
        <translation>%1 decision(s) could not be read and are lost. Check your latest decisions.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="47" />
        <source>%1 linje(r) i adgangsloggen kunne ikke læses.</source>
        <translation>%1 line(s) of the access log could not be read.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="53" />
        <source>Adgangsloggen kunne ikke læses og er tabt.</source>
        <translation>The access log could not be read and is lost.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="59" />
        <source>Markeringer af læste meddelelser kunne ikke reddes.</source>
        <translation>The marks of messages already read could not be saved.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="65" />
        <source>Den beskadigede kopi ligger krypteret som %1 til IT-supporten.</source>
        <translation>The damaged copy is kept, encrypted, as %1 for IT support.</translation>
    </message>
    <message>
        <location filename="../cache_notice.py" line="74" />
        <source>&lt;b&gt;Den lokale kopi af posten er beskadiget.&lt;/b&gt; Synkroniseringen er stoppet. Luk Postfordeler og start programmet igen: så bygges kopien op på ny, og posten hentes igen fra postserveren. Beslutninger, der ikke er sendt, forsøges reddet.</source>
        <translation>&lt;b&gt;The local copy of the mail is damaged.&lt;/b&gt; Syncing has stopped. Close Postfordeler and start it again: the copy is then rebuilt and the mail fetched again from the mail server. Decisions not yet sent will be saved where possible.</translation>
    </message>
</context>
<context>
    <name>CaseworkerView</name>
    <message>
        <location filename="../caseworker_view.py" line="68" />
        <source>Modtaget</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="69" />
        <source>Fordelt</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="70" />
        <source>Alder</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="71" />
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="72" />
        <source>Afsender</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="73" />
        <source>Emne</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="74" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="126" />
        <source>%1 d</source>
        <translation>%1 d</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="177" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="182" />
        <source>&amp;Sagsbehandler:</source>
        <translation>&amp;Caseworker:</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="184" />
        <source>Vis også &amp;behandlede</source>
        <translation>Also show &amp;handled</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="186" />
        <source>Vis også behandlede elementer</source>
        <translation>Also show handled items</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="187" />
        <source>Opdatér</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="189" />
        <source>Opdatér listen</source>
        <translation>Refresh the list</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="190" />
        <source>Opdatér listen (F5)</source>
        <translation>Refresh the list (F5)</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="211" />
        <source>Fordelt til sagsbehandleren</source>
        <translation>Distributed to the caseworker</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="275" />
        <source>Intet fordelt til %1 mangler at blive journaliseret.</source>
        <translation>Nothing distributed to %1 awaits journalising.</translation>
    </message>
    <message numerus="yes">
        <location filename="../caseworker_view.py" line="280" />
        <source>%n element(er) fordelt til %1</source>
        <translation><numerusform>%n item(s) distributed to %1</numerusform><numerusform>%n item(s) distributed to %1</numerusform></translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="282" />
        <source>%1 ældre end %2 arbejdsdage</source>
        <translation>%1 older than %2 working days</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="288" />
        <source>ældste modtaget %1</source>
        <translation>oldest received %1</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="304" />
        <source>Hent fordelte elementer</source>
        <translation>Load distributed items</translation>
    </message>
</context>
<context>
    <name>CommandPalette</name>
    <message>
        <location filename="../command_palette.py" line="47" />
        <source>Kommandoer</source>
        <translation>Commands</translation>
    </message>
    <message>
        <location filename="../command_palette.py" line="54" />
        <source>Find en handling eller visning</source>
        <translation>Find an action or view</translation>
    </message>
    <message>
        <location filename="../command_palette.py" line="55" />
        <source>Skriv for at finde en handling eller visning …</source>
        <translation>Type to find an action or view …</translation>
    </message>
    <message>
        <location filename="../command_palette.py" line="58" />
        <source>Handlinger og visninger</source>
        <translation>Actions and views</translation>
    </message>
    <message>
        <location filename="../command_palette.py" line="60" />
        <source>Ingen handling passer.</source>
        <translation>No action matches.</translation>
    </message>
    <message>
        <location filename="../command_palette.py" line="66" />
        <source>Visning</source>
        <translation>View</translation>
    </message>
</context>
<context>
    <name>DecisionFlow</name>
    <message>
        <location filename="../decision_flow.py" line="115" />
        <source>&lt;b&gt;Afventer&lt;/b&gt; afsendelse: %1</source>
        <translation>&lt;b&gt;Pending&lt;/b&gt; delivery: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="119" />
        <source>Seneste forsøg: %1</source>
        <translation>Last attempt: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="121" />
        <source>&lt;b&gt;Fejlet:&lt;/b&gt; %1</source>
        <translation>&lt;b&gt;Failed:&lt;/b&gt; %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="125" />
        <source>Låst af %1 – du kan ikke handle på det.</source>
        <translation>Locked by %1 – you cannot act on it.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="159" />
        <source>Sagen %1 er lukket.</source>
        <translation>Case %1 is closed.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="161" />
        <source>Sagen er fundet ved søgning – den er ikke foreslået.</source>
        <translation>The case was found by search – it was not suggested.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="164" />
        <source>Forslaget er kun %1 % sikkert.</source>
        <translation>The suggestion is only %1 % certain.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="175" />
        <source>Beslutningen gælder %1 valgte elementer.</source>
        <translation>The decision applies to %1 selected items.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="216" />
        <source>Fordel</source>
        <translation>Assign</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="224" />
        <source>Opret ny sag gælder ét element ad gangen.</source>
        <translation>Create a new case applies to one item at a time.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="255" />
        <location filename="../decision_flow.py" line="261" />
        <source>Opret ny sag</source>
        <translation>Create a new case</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="291" />
        <location filename="../decision_flow.py" line="320" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="292" />
        <source>Listen over modtagere kan ikke hentes fra gatewayen: %1</source>
        <translation>The list of receivers cannot be fetched from the gateway: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="353" />
        <source>%1: lagt i udbakken (Ctrl+Z fortryder)</source>
        <translation>%1: placed in the outbox (Ctrl+Z undoes)</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="367" />
        <source>Journaliseret på sag %1</source>
        <translation>Journalised on case %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="372" />
        <source>Sendt til DUBU: %1 genåbner sag %2</source>
        <translation>Sent to DUBU: %1 reopens case %2</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="377" />
        <source>Sendt til DUBU: %1 opretter en ny sag</source>
        <translation>Sent to DUBU: %1 creates a new case</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="381" />
        <source>Fordelt til %1 uden sag</source>
        <translation>Assigned to %1 without a case</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="383" />
        <source>Fordelt til %1</source>
        <translation>Assigned to %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="385" />
        <source>Videresendt til %1</source>
        <translation>Forwarded to %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="387" />
        <source>Afvist som fejlsendt</source>
        <translation>Rejected as misrouted</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="389" />
        <source>Journalnotat på sag %1</source>
        <translation>Journal note on case %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="393" />
        <source>%1 elementer: %2</source>
        <translation>%1 items: %2</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="399" />
        <location filename="../decision_flow.py" line="400" />
        <source>Der er ingen beslutning at fortryde.</source>
        <translation>There is no decision to undo.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="434" />
        <source>Fortrudt: %1</source>
        <translation>Undone: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="436" />
        <source>For sent at fortryde: handlingen er sendt.</source>
        <translation>Too late to undo: the action was sent.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="439" />
        <source>%1 af %2 fortrudt; resten er sendt.</source>
        <translation>%1 of %2 undone; the rest was sent.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="448" />
        <source>Fortryd</source>
        <translation>Undo</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="458" />
        <source>Læst/ulæst</source>
        <translation>Read/unread</translation>
    </message>
</context>
<context>
    <name>Diagnostics</name>
    <message>
        <location filename="../diagnostics.py" line="54" />
        <source>Uventet fejl</source>
        <translation>Unexpected error</translation>
    </message>
    <message>
        <location filename="../diagnostics.py" line="55" />
        <source>Der opstod en uventet fejl. Dit arbejde i udbakken er gemt.
Fejlen er skrevet i logfilen.</source>
        <translation>An unexpected error occurred. Your work in the outbox is saved.
The error was written to the log file.</translation>
    </message>
</context>
<context>
    <name>DocumentPreview</name>
    <message>
        <location filename="../preview.py" line="301" />
        <source>Leveringstilstand</source>
        <translation>Delivery state</translation>
    </message>
    <message>
        <location filename="../preview.py" line="308" />
        <source>Dokumenter og bilag</source>
        <translation>Documents and attachments</translation>
    </message>
    <message>
        <location filename="../preview.py" line="315" />
        <source>Åbn</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../preview.py" line="316" />
        <source>Åbn filen i et andet program (Ctrl+O)</source>
        <translation>Open the file in another program (Ctrl+O)</translation>
    </message>
    <message>
        <location filename="../preview.py" line="318" />
        <source>Gem…</source>
        <translation>Save…</translation>
    </message>
    <message>
        <location filename="../preview.py" line="319" />
        <source>Gem filen (Ctrl+S)</source>
        <translation>Save the file (Ctrl+S)</translation>
    </message>
    <message>
        <location filename="../preview.py" line="329" />
        <source>Brevets tekst</source>
        <translation>Letter text</translation>
    </message>
    <message>
        <location filename="../preview.py" line="331" />
        <source>HTML-visning</source>
        <translation>HTML view</translation>
    </message>
    <message>
        <location filename="../preview.py" line="353" />
        <source>Levering: %1</source>
        <translation>Delivery: %1</translation>
    </message>
    <message>
        <location filename="../preview.py" line="360" />
        <source>Elementet er tilbage i fordelingskøen: træf en ny beslutning.</source>
        <translation>The item is back in the distribution queue: make a new decision.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="375" />
        <source>Vælg et element i indbakken.</source>
        <translation>Select an item in the inbox.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="402" />
        <source>%1 · %2 · oprindeligt navn: %3</source>
        <translation>%1 · %2 · original name: %3</translation>
    </message>
    <message>
        <location filename="../preview.py" line="419" />
        <source>Meddelelsen har ingen dokumenter.</source>
        <translation>The message has no documents.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="460" />
        <source>Henter filen …</source>
        <translation>Loading the file …</translation>
    </message>
    <message>
        <location filename="../preview.py" line="516" />
        <source>Filtypen %1 kan ikke vises her. Brug Gem eller Åbn.</source>
        <translation>The file type %1 cannot be shown here. Use Save or Open.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="523" />
        <source>Filen kunne ikke vises: indholdet passer ikke til den angivne type (%1).</source>
        <translation>The file could not be shown: its content does not match the declared type (%1).</translation>
    </message>
    <message>
        <location filename="../preview.py" line="534" />
        <source>Åbn fil?</source>
        <translation>Open file?</translation>
    </message>
    <message>
        <location filename="../preview.py" line="536" />
        <source>Filen "%1" (%2) kan indeholde kode, der kører på din computer.
Åbn den kun, hvis du stoler på afsenderen.</source>
        <translation>The file "%1" (%2) may contain code that runs on your computer.
Only open it if you trust the sender.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="549" />
        <source>Der er ingen fil at åbne</source>
        <translation>There is no file to open</translation>
    </message>
    <message>
        <location filename="../preview.py" line="562" />
        <location filename="../preview.py" line="573" />
        <source>%1 kunne ikke åbnes</source>
        <translation>%1 could not be opened</translation>
    </message>
    <message>
        <location filename="../preview.py" line="569" />
        <source>%1 er åbnet i et andet program</source>
        <translation>%1 is open in another program</translation>
    </message>
    <message>
        <location filename="../preview.py" line="575" />
        <source>Intet program på denne computer kan åbne filen. Gem den (Ctrl+S) og åbn den derfra.</source>
        <translation>No program on this computer can open the file. Save it (Ctrl+S) and open it from there.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="585" />
        <source>Der er ingen fil at gemme</source>
        <translation>There is no file to save</translation>
    </message>
    <message>
        <location filename="../preview.py" line="589" />
        <source>Gem fil</source>
        <translation>Save file</translation>
    </message>
    <message>
        <location filename="../preview.py" line="598" />
        <source>%1 kunne ikke gemmes</source>
        <translation>%1 could not be saved</translation>
    </message>
    <message>
        <location filename="../preview.py" line="603" />
        <source>Gemt som %1</source>
        <translation>Saved as %1</translation>
    </message>
</context>
<context>
    <name>ForwardDialog</name>
    <message>
        <location filename="../dialogs.py" line="306" />
        <location filename="../dialogs.py" line="344" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="310" />
        <source>Videresend %1 elementer.</source>
        <translation>Forward %1 items.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="313" />
        <location filename="../dialogs.py" line="337" />
        <source>Modtager</source>
        <translation>Receiver</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="314" />
        <source>Vælg modtager …</source>
        <translation>Choose a receiver …</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="323" />
        <source>SF2900 oplyser ingen modtagere at videresende til.</source>
        <translation>SF2900 lists no receivers to forward to.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="327" />
        <source>Den foreslåede modtager, %1, er ikke blandt de modtagere, SF2900 oplyser. Vælg selv en modtager.</source>
        <translation>The suggested receiver, %1, is not among the receivers SF2900 lists. Choose a receiver yourself.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="332" />
        <source>Der er ingen foreslået modtager. Vælg selv en modtager.</source>
        <translation>There is no suggested receiver. Choose a receiver yourself.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="334" />
        <source>Foreslået ud fra brevets emne.</source>
        <translation>Suggested from the letter's subject.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="336" />
        <location filename="../dialogs.py" line="339" />
        <source>Bemærkning</source>
        <translation>Remark</translation>
    </message>
</context>
<context>
    <name>HeaderPanel</name>
    <message>
        <location filename="../header_panel.py" line="66" />
        <source>Vis eller skjul brevhovedet</source>
        <translation>Show or hide the letter header</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="95" />
        <source>Vis CPR</source>
        <translation>Show CPR</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="97" />
        <source>Vis afsenderens fulde CPR-nummer (skrives i adgangsloggen)</source>
        <translation>Show the sender's full CPR number (written to the access log)</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="99" />
        <source>Vis afsenderens CPR-nummer</source>
        <translation>Show the sender's CPR number</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="172" />
        <source>Afsender</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="174" />
        <source>Oprettet</source>
        <translation>Created</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="178" />
        <source>Kontaktpunkt</source>
        <translation>Contact point</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="185" />
        <source>Svar på et brev fra kommunen</source>
        <translation>Reply to a letter from the municipality</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="192" />
        <source>brevet var fra %1</source>
        <translation>the letter was from %1</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="193" />
        <source>Svar på</source>
        <translation>Reply to</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="200" />
        <source>&lt;b&gt;borgeren kan ikke svare på denne meddelelse&lt;/b&gt;</source>
        <translation>&lt;b&gt;the citizen cannot reply to this message&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="203" />
        <source>&lt;b&gt;retsvirkning&lt;/b&gt; (digital forkyndelse)</source>
        <translation>&lt;b&gt;legal effect&lt;/b&gt; (digital service)</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="189" />
        <source>sag %1</source>
        <translation>case %1</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="195" />
        <source>Sagsnr. i brevet</source>
        <translation>Case no. in the letter</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="198" />
        <source>borgeren kan svare</source>
        <translation>the citizen can reply</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="205" />
        <source>obligatorisk</source>
        <translation>mandatory</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="206" />
        <source>Egenskaber</source>
        <translation>Properties</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="216" />
        <source>Brevets id: %1</source>
        <translation>Letter id: %1</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="222" />
        <source>&lt;i&gt;(ingen kommentar)&lt;/i&gt;</source>
        <translation>&lt;i&gt;(no comment)&lt;/i&gt;</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="225" />
        <source>&lt;b&gt;Videresendt af borgeren.&lt;/b&gt; Oprindelig afsender: &lt;b&gt;%1&lt;/b&gt;, dato %2.&lt;br&gt;Borgerens kommentar: %3</source>
        <translation>&lt;b&gt;Forwarded by the citizen.&lt;/b&gt; Original sender: &lt;b&gt;%1&lt;/b&gt;, date %2.&lt;br&gt;The citizen's comment: %3</translation>
    </message>
</context>
<context>
    <name>InboxModel</name>
    <message>
        <location filename="../inbox_model.py" line="249" />
        <source>Anden afd.?</source>
        <translation>Other dept.?</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="259" />
        <source>%1 d</source>
        <translation>%1 d</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="269" />
        <source>%1 · låst af %2</source>
        <translation>%1 · locked by %2</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="293" />
        <source>%1 (modtaget %2)</source>
        <translation>%1 (received %2)</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="300" />
        <source>Foreslået sag %1</source>
        <translation>Suggested case %1</translation>
    </message>
</context>
<context>
    <name>InboxPane</name>
    <message>
        <location filename="../inbox_pane.py" line="99" />
        <source>Gemte visninger</source>
        <translation>Saved views</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="112" />
        <source>Søg i afsender, emne og tekst (Ctrl+F)</source>
        <translation>Search sender, subject and text (Ctrl+F)</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="113" />
        <source>Hurtigsøgning</source>
        <translation>Quick search</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="120" />
        <location filename="../inbox_pane.py" line="392" />
        <source>Filtre</source>
        <translation>Filters</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="122" />
        <source>Vis filtre</source>
        <translation>Show filters</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="130" />
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="132" />
        <source>Alle typer</source>
        <translation>All kinds</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="137" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="139" />
        <source>Alle statusser</source>
        <translation>All statuses</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="143" />
        <source>Kontaktpunkt</source>
        <translation>Contact point</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="143" />
        <source>Alle kontaktpunkter</source>
        <translation>All contact points</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="145" />
        <source>Alder</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="147" />
        <source>Alle aldre</source>
        <translation>All ages</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="148" />
        <source>Over 1 arbejdsdag</source>
        <translation>Over 1 working day</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="149" />
        <source>Over 2 arbejdsdage</source>
        <translation>Over 2 working days</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="150" />
        <source>Over 5 arbejdsdage</source>
        <translation>Over 5 working days</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="151" />
        <source>Over 10 arbejdsdage</source>
        <translation>Over 10 working days</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="155" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="156" />
        <source>Alle sagsbehandlere</source>
        <translation>All caseworkers</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="156" />
        <source>Ingen</source>
        <translation>None</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="159" />
        <source>Låst af</source>
        <translation>Locked by</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="159" />
        <source>Alle låse</source>
        <translation>All locks</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="159" />
        <source>Ikke låst</source>
        <translation>Not locked</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="178" />
        <source>Indbakke</source>
        <translation>Inbox</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="328" />
        <source>Opdater indbakken</source>
        <translation>Refresh the inbox</translation>
    </message>
    <message numerus="yes">
        <location filename="../inbox_pane.py" line="359" />
        <source>%n element(er)</source>
        <translation><numerusform>%n item(s)</numerusform><numerusform>%n item(s)</numerusform></translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="367" />
        <source>Tæl visninger</source>
        <translation>Count views</translation>
    </message>
</context>
<context>
    <name>JournaliseDialog</name>
    <message>
        <location filename="../dialogs.py" line="53" />
        <location filename="../dialogs.py" line="79" />
        <source>Journalisér</source>
        <translation>Journalise</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="55" />
        <source>Journalisér på sag &lt;b&gt;%1&lt;/b&gt;?</source>
        <translation>Journalise on case &lt;b&gt;%1&lt;/b&gt;?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="58" />
        <source>Journalisér %1 elementer på sag &lt;b&gt;%2&lt;/b&gt;?</source>
        <translation>Journalise %1 items on case &lt;b&gt;%2&lt;/b&gt;?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="65" />
        <source>Bemærk: sagen er lukket.</source>
        <translation>Note: the case is closed.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="67" />
        <source>Tilføj journalnotat</source>
        <translation>Add a journal note</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="69" />
        <source>Notatets titel</source>
        <translation>Note title</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="71" />
        <source>Notatets tekst</source>
        <translation>Note text</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="75" />
        <source>Titel</source>
        <translation>Title</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="76" />
        <source>Notat</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="94" />
        <source>Journalnotat</source>
        <translation>Journal note</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <location filename="../labels.py" line="109" />
        <source>Retursvar</source>
        <translation>Replies</translation>
    </message>
    <message>
        <location filename="../labels.py" line="56" />
        <source>Nyhenvendelse</source>
        <translation>New inquiry</translation>
    </message>
    <message>
        <location filename="../labels.py" line="69" />
        <source>Videresendt</source>
        <translation>Forwarded</translation>
    </message>
    <message>
        <location filename="../labels.py" line="58" />
        <source>Ulæselig</source>
        <translation>Unreadable</translation>
    </message>
    <message>
        <location filename="../labels.py" line="55" />
        <source>Retursvar</source>
        <comment>kind of one item</comment>
        <translation>Reply</translation>
    </message>
    <message>
        <location filename="../labels.py" line="57" />
        <source>Videresendt</source>
        <comment>kind of one item</comment>
        <translation>Forwarded</translation>
    </message>
    <message>
        <location filename="../labels.py" line="64" />
        <source>Ny</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../labels.py" line="65" />
        <source>Afventer</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../labels.py" line="66" />
        <source>Journaliseret</source>
        <translation>Journalised</translation>
    </message>
    <message>
        <location filename="../labels.py" line="67" />
        <source>Fordelt</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <location filename="../labels.py" line="68" />
        <source>Afvist</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <location filename="../labels.py" line="70" />
        <source>Fejlet</source>
        <translation>Failed</translation>
    </message>
    <message>
        <location filename="../labels.py" line="78" />
        <source>Ny</source>
        <comment>delivery state</comment>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../labels.py" line="79" />
        <source>Kun på denne pc</source>
        <translation>Only on this PC</translation>
    </message>
    <message>
        <location filename="../labels.py" line="80" />
        <source>Afventer</source>
        <comment>delivery state</comment>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../labels.py" line="81" />
        <source>Sendt</source>
        <translation>Sent</translation>
    </message>
    <message>
        <location filename="../labels.py" line="82" />
        <source>Accepteret af DUBU</source>
        <translation>Accepted by DUBU</translation>
    </message>
    <message>
        <location filename="../labels.py" line="83" />
        <source>Afvist af DUBU</source>
        <translation>Rejected by DUBU</translation>
    </message>
    <message>
        <location filename="../labels.py" line="84" />
        <source>Fejlet</source>
        <comment>delivery state</comment>
        <translation>Failed</translation>
    </message>
    <message>
        <location filename="../labels.py" line="85" />
        <source>Afsluttet (afvist af fordeler)</source>
        <translation>Closed (rejected by distributor)</translation>
    </message>
    <message>
        <location filename="../labels.py" line="90" />
        <source>kvittering mangler – følg op</source>
        <translation>receipt missing – follow up</translation>
    </message>
    <message>
        <location filename="../labels.py" line="95" />
        <source>Konflikt</source>
        <translation>Conflict</translation>
    </message>
    <message>
        <location filename="../labels.py" line="99" />
        <source>Konflikt: meddelelsen %1 er modtaget før med et andet indhold. Begge er gemt; sammenlign dem, før du fordeler.</source>
        <translation>Conflict: message %1 was received before with different content. Both are kept; compare them before you distribute.</translation>
    </message>
    <message>
        <location filename="../labels.py" line="108" />
        <source>Ufordelte</source>
        <translation>Undistributed</translation>
    </message>
    <message>
        <location filename="../labels.py" line="110" />
        <source>Nyhenvendelser</source>
        <translation>New inquiries</translation>
    </message>
    <message>
        <location filename="../labels.py" line="111" />
        <source>Videresendte</source>
        <translation>Forwarded</translation>
    </message>
    <message>
        <location filename="../labels.py" line="112" />
        <source>Mine</source>
        <translation>Mine</translation>
    </message>
    <message>
        <location filename="../labels.py" line="113" />
        <source>Ældre end 2 arbejdsdage</source>
        <translation>Older than 2 working days</translation>
    </message>
    <message>
        <location filename="../labels.py" line="114" />
        <source>Alle</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../labels.py" line="120" />
        <source>Journalisér</source>
        <translation>Journalise</translation>
    </message>
    <message>
        <location filename="../labels.py" line="121" />
        <source>Fordel</source>
        <translation>Assign</translation>
    </message>
    <message>
        <location filename="../labels.py" line="122" />
        <source>Afvis</source>
        <translation>Reject</translation>
    </message>
    <message>
        <location filename="../labels.py" line="123" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../labels.py" line="124" />
        <source>Journalnotat</source>
        <translation>Journal note</translation>
    </message>
    <message>
        <location filename="../labels.py" line="130" />
        <source>Modtaget</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../labels.py" line="131" />
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../labels.py" line="132" />
        <source>Afsender</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../labels.py" line="133" />
        <source>Emne</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../labels.py" line="134" />
        <source>Kontaktpunkt</source>
        <translation>Contact point</translation>
    </message>
    <message>
        <location filename="../labels.py" line="135" />
        <source>Forslag</source>
        <translation>Suggestion</translation>
    </message>
    <message>
        <location filename="../labels.py" line="136" />
        <source>Alder</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../labels.py" line="137" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../labels.py" line="138" />
        <source>Levering</source>
        <translation>Delivery</translation>
    </message>
    <message>
        <location filename="../labels.py" line="144" />
        <source>1 arbejdsdag</source>
        <translation>1 working day</translation>
    </message>
    <message numerus="yes">
        <location filename="../labels.py" line="145" />
        <source>%n arbejdsdage</source>
        <translation><numerusform>%n working days</numerusform><numerusform>%n working days</numerusform></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="129" />
        <source>Indbakke</source>
        <translation>Inbox</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="135" />
        <source>Overblik</source>
        <translation>Overview</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="136" />
        <source>Fordelt til mig</source>
        <translation>Assigned to me</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="128" />
        <source>Visninger</source>
        <translation>Views</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="152" />
        <source>Hentning af post</source>
        <translation>Fetching mail</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="163" />
        <source>Ikke synkroniseret endnu</source>
        <translation>Not synchronised yet</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="255" />
        <source>Indstillingerne er gemt. Nye forbindelser og sprog bruges ved næste start.</source>
        <translation>Settings saved. New connections and language apply at the next start.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="272" />
        <source>● Online</source>
        <translation>● Online</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="273" />
        <source>● Forbindelsen svigter</source>
        <translation>● Connection failing</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="274" />
        <source>● Offline</source>
        <translation>● Offline</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="275" />
        <source>● Lokal kopi beskadiget</source>
        <translation>● Local copy damaged</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="288" />
        <source>Den lokale kopi af posten</source>
        <translation>The local copy of the mail</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="305" />
        <source>Henter post … %1 hentet</source>
        <translation>Fetching mail … %1 fetched</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="312" />
        <source>Udbakke: %1</source>
        <translation>Outbox: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="323" />
        <location filename="../main_window.py" line="335" />
        <source>Demo (sandkasse)</source>
        <translation>Demo (sandbox)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="330" />
        <source>&lt;b&gt;Demo (sandkasse)&lt;/b&gt;: Postfordeler kører mod en indbygget sandkasse med syntetiske data – intet sendes til rigtige systemer. Åbn &lt;b&gt;Indstillinger&lt;/b&gt; (Ctrl+,) for at forbinde til kommunens postserver.</source>
        <translation>&lt;b&gt;Demo (sandbox)&lt;/b&gt;: Postfordeler runs against a built-in sandbox with synthetic data – nothing is sent to real systems. Open &lt;b&gt;Settings&lt;/b&gt; (Ctrl+,) to connect to the municipality's mail server.</translation>
    </message>
    <message numerus="yes">
        <location filename="../main_window.py" line="339" />
        <source>%n ny(e) meddelelse(r) i indbakken</source>
        <translation><numerusform>%n new message(s) in the inbox</numerusform><numerusform>%n new message(s) in the inbox</numerusform></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="382" />
        <location filename="../main_window.py" line="388" />
        <location filename="../main_window.py" line="425" />
        <source>Vis element</source>
        <translation>Show item</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="451" />
        <location filename="../main_window.py" line="472" />
        <source>Adgangslog</source>
        <translation>Access log</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="466" />
        <source>Vis CPR</source>
        <translation>Show CPR</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="479" />
        <source>Søg sag</source>
        <translation>Search case</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="525" />
        <source>Opdater element</source>
        <translation>Refresh item</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="527" />
        <source>Udbakke</source>
        <translation>Outbox</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="549" />
        <source>Ulæste</source>
        <translation>Unread</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="632" />
        <source>Vinduets layout er nulstillet</source>
        <translation>The window layout has been reset</translation>
    </message>
</context>
<context>
    <name>NewCaseDialog</name>
    <message>
        <location filename="../dialogs.py" line="189" />
        <source>Opret ny sag / genåbn sag</source>
        <translation>Create a new case / reopen a case</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="191" />
        <source>Brevet sendes til DUBU uden sag. Den valgte sagsbehandler opretter sagen ud fra det – eller genåbner den lukkede sag.</source>
        <translation>The letter is sent to DUBU without a case. The chosen caseworker creates the case from it – or reopens the closed case.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="203" />
        <source>Ny sag eller genåbning</source>
        <translation>New case or reopening</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="204" />
        <source>Opret ny sag</source>
        <translation>Create a new case</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="206" />
        <source>Genåbn lukket sag %1</source>
        <translation>Reopen closed case %1</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="211" />
        <source>KLE-emne for sagen</source>
        <translation>KLE subject of the case</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="214" />
        <source>Sag</source>
        <translation>Case</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="215" />
        <source>KLE-emne</source>
        <translation>KLE subject</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="224" />
        <source>Send til DUBU</source>
        <translation>Send to DUBU</translation>
    </message>
</context>
<context>
    <name>PdfViewer</name>
    <message>
        <location filename="../preview.py" line="183" />
        <source>Side</source>
        <translation>Page</translation>
    </message>
    <message>
        <location filename="../preview.py" line="184" />
        <source>Side </source>
        <translation>Page </translation>
    </message>
    <message>
        <location filename="../preview.py" line="188" />
        <source>Zoom ud (Ctrl+-)</source>
        <translation>Zoom out (Ctrl+-)</translation>
    </message>
    <message>
        <location filename="../preview.py" line="189" />
        <source>Zoom ind (Ctrl++)</source>
        <translation>Zoom in (Ctrl++)</translation>
    </message>
    <message>
        <location filename="../preview.py" line="190" />
        <source>Zoom ud</source>
        <translation>Zoom out</translation>
    </message>
    <message>
        <location filename="../preview.py" line="191" />
        <source>Zoom ind</source>
        <translation>Zoom in</translation>
    </message>
    <message>
        <location filename="../preview.py" line="195" />
        <location filename="../preview.py" line="196" />
        <source>Søg i PDF</source>
        <translation>Search the PDF</translation>
    </message>
    <message>
        <location filename="../preview.py" line="199" />
        <source>Kopiér tekst</source>
        <translation>Copy text</translation>
    </message>
    <message>
        <location filename="../preview.py" line="200" />
        <source>Kopiér sidens tekst til udklipsholderen</source>
        <translation>Copy the page text to the clipboard</translation>
    </message>
    <message>
        <location filename="../preview.py" line="215" />
        <source>PDF-visning</source>
        <translation>PDF view</translation>
    </message>
    <message>
        <location filename="../preview.py" line="243" />
        <source>af %1</source>
        <translation>of %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../preview.py" line="263" />
        <source>%n fund</source>
        <translation><numerusform>%n hits</numerusform><numerusform>%n hits</numerusform></translation>
    </message>
</context>
<context>
    <name>Reasons</name>
    <message>
        <location filename="../reasons.py" line="24" />
        <source>Sagsnummer matcher søgningen</source>
        <translation>Case number matches the search</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="28" />
        <source>Barnets CPR matcher søgningen</source>
        <translation>The child's CPR matches the search</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="32" />
        <source>Søgt CPR er part i sagen (%1)</source>
        <translation>Searched CPR is a party to the case (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="36" />
        <source>Barnets fødselsdato matcher søgningen</source>
        <translation>The child's date of birth matches the search</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="40" />
        <source>Barnets navn matcher søgningen</source>
        <translation>The child's name matches the search</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="44" />
        <source>Søgt navn er part i sagen (%1)</source>
        <translation>Searched name is a party to the case (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="46" />
        <source>Afsender er barnet selv</source>
        <translation>The sender is the child</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="49" />
        <source>Afsender er part i barnets sag (%1)</source>
        <translation>The sender is a party to the child's case (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="53" />
        <source>Sagens id i brevets metadata (%1)</source>
        <translation>The case id in the letter's metadata (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="57" />
        <source>Sagsnummer i brevets metadata (uden årstal: %1)</source>
        <translation>Case number in the letter's metadata (without year: %1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="61" />
        <source>Sagsnummer i brevets metadata (%1)</source>
        <translation>Case number in the letter's metadata (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="65" />
        <source>Sagsnummer nævnt i teksten (uden årstal: %1)</source>
        <translation>Case number mentioned in the text (without year: %1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="69" />
        <source>Sagsnummer nævnt i teksten (%1)</source>
        <translation>Case number mentioned in the text (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="73" />
        <source>Kontaktoplysninger peger på et andet barn end teksten</source>
        <translation>The contact details point to another child than the text</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="77" />
        <source>Brevet ser ud til at høre til en anden afdeling</source>
        <translation>The letter seems to belong to another department</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="81" />
        <source>Svar på brev fra sag %1 (sagsnummer i svardata)</source>
        <translation>Reply to a letter from case %1 (case number in the reply data)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="83" />
        <source>Sagen %1 er lukket (%2)</source>
        <translation>Case %1 is closed (%2)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="84" />
        <source>Sagen er lukket (%1)</source>
        <translation>The case is closed (%1)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="87" />
        <source>Svar på brev '%1' sendt %2 på sag %3</source>
        <translation>Reply to letter '%1' sent %2 on case %3</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="91" />
        <source>Titlen svarer til brev '%1' sendt %2 til afsender på sag %3</source>
        <translation>The title matches letter '%1' sent %2 to the sender on case %3</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="97" />
        <source>Barnets CPR fundet i brevets metadata</source>
        <translation>The child's CPR found in the letter's metadata</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="101" />
        <source>Barnets CPR fundet i vedhæftet PDF</source>
        <translation>The child's CPR found in an attached PDF</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="105" />
        <source>Barnets CPR fundet i kontaktoplysninger</source>
        <translation>The child's CPR found in the contact details</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="109" />
        <source>Barnets CPR fundet i brevet</source>
        <translation>The child's CPR found in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="113" />
        <source>CPR på en part i barnets sag fundet i brevets metadata</source>
        <translation>CPR of a party to the child's case found in the letter's metadata</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="117" />
        <source>CPR på en part i barnets sag fundet i vedhæftet PDF</source>
        <translation>CPR of a party to the child's case found in an attached PDF</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="121" />
        <source>CPR på en part i barnets sag fundet i kontaktoplysninger</source>
        <translation>CPR of a party to the child's case found in the contact details</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="127" />
        <source>CPR på en part i barnets sag fundet i brevet</source>
        <translation>CPR of a party to the child's case found in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="131" />
        <source>CPR i brevets metadata ligner barnets (læse- eller tastefejl)</source>
        <translation>A CPR in the letter's metadata resembles the child's (misread or mistyped)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="137" />
        <source>CPR i vedhæftet PDF ligner barnets (læse- eller tastefejl)</source>
        <translation>A CPR in an attached PDF resembles the child's (misread or mistyped)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="143" />
        <source>CPR i kontaktoplysninger ligner barnets (læse- eller tastefejl)</source>
        <translation>A CPR in the contact details resembles the child's (misread or mistyped)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="149" />
        <source>CPR i brevet ligner barnets (læse- eller tastefejl)</source>
        <translation>A CPR in the letter resembles the child's (misread or mistyped)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="153" />
        <source>Barnets navn i kontaktoplysninger</source>
        <translation>The child's name in the contact details</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="157" />
        <source>Barnets fulde navn nævnt i brevet</source>
        <translation>The child's full name mentioned in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="161" />
        <source>Barnets navn nævnt i brevet</source>
        <translation>The child's name mentioned in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="165" />
        <source>Barnets fornavn nævnt i brevet</source>
        <translation>The child's first name mentioned in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="169" />
        <source>Fornavn og alder/klasse/fødselsdato passer</source>
        <translation>First name and age/class/date of birth match</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="173" />
        <source>Fødselsdato i brevet passer</source>
        <translation>The date of birth in the letter matches</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="175" />
        <source>Alderen i brevet passer</source>
        <translation>The age in the letter matches</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="178" />
        <source>Klassetrin passer til barnets alder</source>
        <translation>The school class matches the child's age</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="182" />
        <source>Barnet har kun lukkede sager – opret ny sag eller genoptag</source>
        <translation>The child has only closed cases – create a new case or reopen one</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="188" />
        <source>Barnets åbne sag – brevets sag %1 er lukket</source>
        <translation>The child's open case – the letter's case %1 is closed</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="192" />
        <source>Barnets åbne sag – sag %1 er lukket</source>
        <translation>The child's open case – case %1 is closed</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="196" />
        <source>Sagsbehandleren (%1) nævnt i brevet</source>
        <translation>The caseworker (%1) mentioned in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="200" />
        <source>Emnet ligner %1 – ikke en børnesag</source>
        <translation>The subject looks like %1 – not a children's case</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="204" />
        <source>Vejnavnet i brevet passer til barnets eller forælderens adresse</source>
        <translation>The street in the letter matches the child's or a parent's address</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="210" />
        <source>CPR i brevet tilhører et andet barn end sagens</source>
        <translation>A CPR in the letter belongs to another child than the case's</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="214" />
        <source>Barnets fulde navn nævnt i brevet (efternavn først)</source>
        <translation>The child's full name is in the letter (surname first)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="218" />
        <source>Barnets %1 (%2) nævnt i brevet</source>
        <translation>The child's %1 (%2) is named in the letter</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="222" />
        <source>Det videresendte brev er fra barnet selv</source>
        <translation>The forwarded letter is from the child</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="226" />
        <source>Det videresendte brev er fra barnets %1 (%2)</source>
        <translation>The forwarded letter is from the child's %1 (%2)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="230" />
        <source>Adressen i brevet er barnets eller forælderens</source>
        <translation>The address in the letter is the child's or a parent's</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="234" />
        <source>Barnets fornavn og %1s fornavn</source>
        <translation>The child's first name and their %1's first name</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="238" />
        <source>Brevet handler om barnet (emne, gentagelse eller ordlyd)</source>
        <translation>The letter is about this child (subject, repetition or wording)</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="244" />
        <source>Barnet nævnes kun i forbigående</source>
        <translation>The child is only mentioned in passing</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="248" />
        <source>Afsenderen skriver at CPR-nummeret var forkert</source>
        <translation>The sender writes that the CPR number was wrong</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="252" />
        <source>To børn nævnt – brevet siger ikke hvilket</source>
        <translation>Two children named – the letter does not say which</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="256" />
        <source>Barnet i brevet har ingen sag i DUBU – opret ny sag</source>
        <translation>The child in the letter has no case in DUBU – create a new case</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="263" />
        <source>mor</source>
        <translation>mother</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="264" />
        <source>far</source>
        <translation>father</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="265" />
        <source>plejeforælder</source>
        <translation>foster parent</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="266" />
        <source>værge</source>
        <translation>guardian</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="267" />
        <source>forælder</source>
        <translation>parent</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="286" />
        <source>ukendt dato</source>
        <translation>unknown date</translation>
    </message>
</context>
<context>
    <name>RejectDialog</name>
    <message>
        <location filename="../dialogs.py" line="254" />
        <location filename="../dialogs.py" line="281" />
        <source>Afvis</source>
        <translation>Reject</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="258" />
        <source>Afvis %1 elementer.</source>
        <translation>Reject %1 items.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="262" />
        <source>Begrundelse</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="265" />
        <source>Hører ikke til familieafdelingen</source>
        <translation>Not for the family department</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="266" />
        <source>Sendt til forkert kontaktpunkt</source>
        <translation>Sent to the wrong contact point</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="267" />
        <source>Dublet</source>
        <translation>Duplicate</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="268" />
        <source>Andet</source>
        <translation>Other</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="275" />
        <source>Skriv eller vælg en begrundelse (↓ viser de faste)</source>
        <translation>Type or choose a reason (↓ shows the presets)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="278" />
        <source>Begrundelse (skal udfyldes)</source>
        <translation>Reason (required)</translation>
    </message>
</context>
<context>
    <name>RiskDialog</name>
    <message>
        <location filename="../dialogs.py" line="105" />
        <source>Er du sikker?</source>
        <translation>Are you sure?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="108" />
        <source>%1 %2 elementer?</source>
        <translation>%1 %2 items?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="110" />
        <source>%1 alligevel?</source>
        <translation>%1 anyway?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="118" />
        <source>&amp;Ja, %1</source>
        <translation>&amp;Yes, %1</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="59" />
        <source>Indstillinger</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="70" />
        <source>Ingen postserver er sat op, så Postfordeler kører som &lt;b&gt;demo mod en indbygget sandkasse&lt;/b&gt; med syntetiske data. Udfyld adressen på kommunens postserver for at bruge rigtig post.</source>
        <translation>No mail server is configured, so Postfordeler runs as a &lt;b&gt;demo against a built-in sandbox&lt;/b&gt; with synthetic data. Enter the address of the municipality's mail server to use real mail.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="78" />
        <source>Forbindelser</source>
        <translation>Connections</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="81" />
        <location filename="../settings_dialog.py" line="90" />
        <source>Postserver (gateway)</source>
        <translation>Mail server (gateway)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="83" />
        <source>DUBU sagsopslag</source>
        <translation>DUBU case look-up</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="84" />
        <location filename="../settings_dialog.py" line="91" />
        <source>Brugernavn</source>
        <translation>User name</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="85" />
        <source>(uændret)</source>
        <translation>(unchanged)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="85" />
        <location filename="../settings_dialog.py" line="92" />
        <source>Adgangskode</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="87" />
        <location filename="../settings_dialog.py" line="94" />
        <source>Kommunens CVR</source>
        <translation>Municipality CVR</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="93" />
        <source>DUBU-opslag</source>
        <translation>DUBU look-up</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="109" />
        <source>Vælg…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="106" />
        <source>systemets certifikatlager</source>
        <translation>the system certificate store</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="97" />
        <location filename="../settings_dialog.py" line="102" />
        <source>Identitetsudbyder (login)</source>
        <translation>Identity provider (login)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="100" />
        <location filename="../settings_dialog.py" line="103" />
        <source>Klient-id hos identitetsudbyderen</source>
        <translation>Client id at the identity provider</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="107" />
        <location filename="../settings_dialog.py" line="114" />
        <source>CA-fil for postserveren (PEM)</source>
        <translation>CA file for the mail server (PEM)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="110" />
        <location filename="../settings_dialog.py" line="260" />
        <source>Vælg CA-fil</source>
        <translation>Choose CA file</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="119" />
        <source>Arbejde og udseende</source>
        <translation>Work and appearance</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="122" />
        <source>Kontaktpunkter</source>
        <translation>Contact points</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="124" />
        <source>Retursvar og nyhenvendelser</source>
        <translation>Replies and new inquiries</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="125" />
        <source>Kun retursvar (skjulte kontaktpunkter)</source>
        <translation>Replies only (hidden contact points)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="126" />
        <source>Kun nyhenvendelser (synlige kontaktpunkter)</source>
        <translation>New inquiries only (visible contact points)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="133" />
        <location filename="../settings_dialog.py" line="147" />
        <source>Sprog</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="138" />
        <location filename="../settings_dialog.py" line="148" />
        <source>Udseende</source>
        <translation>Appearance</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="140" />
        <source>Følg styresystemet</source>
        <translation>Follow the system</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="141" />
        <source>Lyst</source>
        <translation>Light</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="142" />
        <source>Mørkt</source>
        <translation>Dark</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="146" />
        <source>Modtag post fra</source>
        <translation>Receive mail from</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="154" />
        <location filename="../settings_dialog.py" line="158" />
        <source>Fortrydelsestid</source>
        <translation>Undo time</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="156" />
        <source>Så længe venter en beslutning i udbakken, før den sendes (Ctrl+Z fortryder)</source>
        <translation>How long a decision waits in the outbox before it is sent (Ctrl+Z undoes it)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="159" />
        <source>Nulstil vinduets layout</source>
        <translation>Reset window layout</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="162" />
        <source>Standardstørrelse, -paneler og -kolonnebredder for dette vindue</source>
        <translation>Default size, panes and column widths for this window</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="165" />
        <source>Vindue</source>
        <translation>Window</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="174" />
        <source>&lt;b&gt;Ingen nøglering fundet.&lt;/b&gt; Denne computer har ingen sikker adgangskode-opbevaring (keyring), så adgangskoder kan ikke gemmes. Bed IT om at aktivere Windows Credential Manager, macOS Keychain eller Secret Service (GNOME Keyring/KWallet) – Postfordeler gemmer aldrig adgangskoder i en almindelig fil.</source>
        <translation>&lt;b&gt;No keyring found.&lt;/b&gt; This computer has no secure password storage (keyring), so passwords cannot be saved. Ask IT to enable Windows Credential Manager, macOS Keychain or Secret Service (GNOME Keyring/KWallet) – Postfordeler never stores passwords in a plain file.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="192" />
        <source>Nye forbindelser bruges, når Postfordeler startes igen.</source>
        <translation>New connections are used when Postfordeler is started again.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="199" />
        <source>Gem</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="200" />
        <source>Annullér</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="222" />
        <source>Fastlagt af IT (%1)</source>
        <translation>Set by IT (%1)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="240" />
        <source>&lt;b&gt;Nogle indstillinger er fastlagt af IT&lt;/b&gt; for hele computeren i %1 og kan ikke ændres her (de grå og skrivebeskyttede felter).</source>
        <translation>&lt;b&gt;Some settings are set by IT&lt;/b&gt; for the whole computer in %1 and cannot be changed here (the grey, read-only fields).</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="248" />
        <source>Layoutet er nulstillet</source>
        <translation>The layout has been reset</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="262" />
        <source>PEM-certifikater (*.pem *.crt *.cer)</source>
        <translation>PEM certificates (*.pem *.crt *.cer)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="302" />
        <source>Adgangskoden kunne ikke gemmes i nøgleringen (%1).</source>
        <translation>The password could not be stored in the keyring (%1).</translation>
    </message>
</context>
<context>
    <name>ShortcutOverlay</name>
    <message>
        <location filename="../dialogs.py" line="360" />
        <source>Tastaturgenveje</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="370" />
        <source>Luk</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>SuggestionPanel</name>
    <message>
        <location filename="../suggestion_panel.py" line="120" />
        <source>Sagsforslag</source>
        <translation>Case suggestions</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="142" />
        <source>Søg sag: CPR, navn eller sagsnummer (Ctrl+Shift+F)</source>
        <translation>Search case: CPR, name or case number (Ctrl+Shift+F)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="144" />
        <source>Søg sag</source>
        <translation>Search case</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="154" />
        <source>Foreslåede sager</source>
        <translation>Suggested cases</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="178" />
        <source>Journalisér</source>
        <translation>Journalise</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="180" />
        <source>Journalisér på den valgte sag (Enter)</source>
        <translation>Journalise on the selected case (Enter)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="182" />
        <source>Fordel…</source>
        <translation>Assign…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="184" />
        <source>Fordel til sagsbehandler eller team (F)</source>
        <translation>Assign to a caseworker or team (F)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="185" />
        <source>Afvis…</source>
        <translation>Reject…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="187" />
        <source>Afvis som fejlsendt (A)</source>
        <translation>Reject as misrouted (A)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="188" />
        <source>Videresend…</source>
        <translation>Forward…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="190" />
        <source>Videresend til anden afdeling eller system (V)</source>
        <translation>Forward to another department or system (V)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="191" />
        <source>Fortryd</source>
        <translation>Undo</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="193" />
        <source>Fortryd, mens handlingen venter i udbakken (Ctrl+Z)</source>
        <translation>Undo while the action waits in the outbox (Ctrl+Z)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="194" />
        <source>Ny sag / genåbn…</source>
        <translation>New case / reopen…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="197" />
        <source>Ingen åben sag passer: send brevet til DUBU, så sagen oprettes (N)</source>
        <translation>No open case fits: send the letter to DUBU so the case is created (N)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="230" />
        <source>Finder forslag…</source>
        <translation>Finding suggestions…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="235" />
        <source>Ser ud til at høre til en anden afdeling.</source>
        <translation>Looks like it belongs to another department.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="237" />
        <source>Ser ud til at høre til en anden afdeling (emne: %1).</source>
        <translation>Looks like it belongs to another department (subject: %1).</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="241" />
        <source>Foreslået modtager: %1</source>
        <translation>Suggested receiver: %1</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="272" />
        <source>Ingen sager fundet.</source>
        <translation>No cases found.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="276" />
        <source>Intet sikkert forslag. Søg efter sagen med CPR, navn eller sagsnummer.</source>
        <translation>No confident suggestion. Search for the case by CPR, name or case number.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="279" />
        <source>Tryk N for at sende brevet til DUBU som ny sag.</source>
        <translation>Press N to send the letter to DUBU as a new case.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="284" />
        <source> · lukket</source>
        <translation> · closed</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="286" />
        <location filename="../suggestion_panel.py" line="299" />
        <source>fundet ved søgning</source>
        <translation>found by search</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="296" />
        <source>lukket</source>
        <translation>closed</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="297" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
</context>
<context>
    <name>UndoNotice</name>
    <message>
        <location filename="../undo_notice.py" line="32" />
        <source>Fortryd (Ctrl+Z)</source>
        <translation>Undo (Ctrl+Z)</translation>
    </message>
    <message>
        <location filename="../undo_notice.py" line="76" />
        <source>sendes om %1 s</source>
        <translation>sent in %1 s</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <location filename="../actions.py" line="96" />
        <source>Næste element</source>
        <translation>Next item</translation>
    </message>
    <message>
        <location filename="../actions.py" line="97" />
        <source>Forrige element</source>
        <translation>Previous item</translation>
    </message>
    <message>
        <location filename="../actions.py" line="98" />
        <source>Næste / forrige element</source>
        <translation>Next / previous item</translation>
    </message>
    <message>
        <location filename="../actions.py" line="100" />
        <source>Journalisér på valgt forslag</source>
        <translation>Journalise on the selected suggestion</translation>
    </message>
    <message>
        <location filename="../actions.py" line="111" />
        <source>Fordel til sagsbehandler</source>
        <translation>Assign to caseworker</translation>
    </message>
    <message>
        <location filename="../actions.py" line="112" />
        <source>Afvis (fejlsendt)</source>
        <translation>Reject (misrouted)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="113" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../actions.py" line="115" />
        <source>Opret ny sag / genåbn sag (til DUBU uden sag)</source>
        <translation>Create a new case / reopen a case (to DUBU without a case)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="117" />
        <source>Fortryd (mens den venter i udbakken)</source>
        <translation>Undo (while it waits in the outbox)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="118" />
        <source>Hurtigsøgning i indbakken</source>
        <translation>Quick search in the inbox</translation>
    </message>
    <message>
        <location filename="../actions.py" line="120" />
        <source>Søg sag (CPR, navn, sagsnummer)</source>
        <translation>Search case (CPR, name, case number)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="126" />
        <source>Kommandoer: find og kør en handling eller visning</source>
        <translation>Commands: find and run an action or view</translation>
    </message>
    <message>
        <location filename="../actions.py" line="131" />
        <source>Vælg forslag 1–5</source>
        <translation>Pick suggestion 1–5</translation>
    </message>
    <message>
        <location filename="../actions.py" line="134" />
        <source>Markér som ulæst / læst</source>
        <translation>Mark as unread / read</translation>
    </message>
    <message>
        <location filename="../actions.py" line="135" />
        <source>Gå til indbakken</source>
        <translation>Go to the inbox</translation>
    </message>
    <message>
        <location filename="../actions.py" line="137" />
        <source>Visning: Ufordelte … Alle</source>
        <translation>View: Undistributed … All</translation>
    </message>
    <message>
        <location filename="../actions.py" line="144" />
        <source>Vis/skjul filtre</source>
        <translation>Show/hide filters</translation>
    </message>
    <message>
        <location filename="../actions.py" line="145" />
        <source>Åbn fil</source>
        <translation>Open file</translation>
    </message>
    <message>
        <location filename="../actions.py" line="146" />
        <source>Gem fil</source>
        <translation>Save file</translation>
    </message>
    <message>
        <location filename="../actions.py" line="147" />
        <source>Næste dokument</source>
        <translation>Next document</translation>
    </message>
    <message>
        <location filename="../actions.py" line="148" />
        <source>Zoom ind / ud i PDF</source>
        <translation>Zoom in / out in the PDF</translation>
    </message>
    <message>
        <location filename="../actions.py" line="150" />
        <source>Hent ny post nu</source>
        <translation>Fetch new mail now</translation>
    </message>
    <message>
        <location filename="../actions.py" line="151" />
        <source>Indstillinger</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../actions.py" line="152" />
        <source>Tastaturgenveje</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <location filename="../actions.py" line="182" />
        <source>Kan ikke hente ny post</source>
        <translation>Cannot fetch new post</translation>
    </message>
    <message>
        <location filename="../actions.py" line="182" />
        <source>Der er ingen postserver forbundet.</source>
        <translation>No post server is connected.</translation>
    </message>
    <message>
        <location filename="../actions.py" line="186" />
        <source>Henter ny post …</source>
        <translation>Fetching new post …</translation>
    </message>
    <message>
        <location filename="../actions.py" line="198" />
        <source>Indbakken er opdateret kl. %1.</source>
        <translation>The inbox was updated at %1.</translation>
    </message>
    <message>
        <location filename="../actions.py" line="201" />
        <source>Kunne ikke hente ny post</source>
        <translation>Could not fetch new post</translation>
    </message>
    <message>
        <location filename="../actions.py" line="219" />
        <source>Ingen elementer passer til søgningen.</source>
        <translation>No items match the search.</translation>
    </message>
</context>
<context>
    <name>_Dialog</name>
    <message>
        <location filename="../dialogs.py" line="46" />
        <source>Annullér</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <location filename="../app.py" line="265" />
        <source>Postfordeler kan ikke starte</source>
        <translation>Postfordeler cannot start</translation>
    </message>
    <message>
        <location filename="../app.py" line="300" />
        <source>Ingen nøglering på denne computer: demoen kører i en midlertidig mappe, som glemmes når programmet lukkes.</source>
        <translation>No keyring on this computer: the demo runs in a temporary folder that is forgotten when the program closes.</translation>
    </message>
    <message>
        <location filename="../app.py" line="329" />
        <source>Postfordeler skal opdateres</source>
        <translation>Postfordeler must be updated</translation>
    </message>
</context>
</TS>