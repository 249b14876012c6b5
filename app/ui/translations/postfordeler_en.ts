<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_GB">
<context>
    <name>AssignDialog</name>
    <message>
        <location filename="../dialogs.py" line="107" />
        <source>Fordel til sagsbehandler</source>
        <translation>Assign to caseworker</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="111" />
        <source>Fordel %1 elementer.</source>
        <translation>Assign %1 items.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="116" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="122" />
        <source>Team: %1</source>
        <translation>Team: %1</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="133" />
        <source>Sagsbehandler eller team</source>
        <translation>Caseworker or team</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="134" />
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
        <location filename="../backlog_view.py" line="149" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="150" />
        <source>Fordelt</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="151" />
        <location filename="../backlog_view.py" line="254" />
        <source>Over målet</source>
        <translation>Over the goal</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="152" />
        <source>Afventer</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="153" />
        <location filename="../backlog_view.py" line="393" />
        <source>Ældste</source>
        <translation>Oldest</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="188" />
        <location filename="../backlog_view.py" line="484" />
        <source>Modtaget %1</source>
        <translation>Received %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="241" />
        <source>Alder på ubehandlede elementer i arbejdsdage</source>
        <translation>Age of unhandled items in working days</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="251" />
        <source>Alder i arbejdsdage (ubehandlede)</source>
        <translation>Age in working days (unhandled)</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="253" />
        <source>Inden for målet</source>
        <translation>Within the goal</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="294" />
        <source>Modtaget og besluttet pr. arbejdsdag</source>
        <translation>Received and decided per working day</translation>
    </message>
    <message numerus="yes">
        <location filename="../backlog_view.py" line="303" />
        <source>Modtaget og besluttet, seneste %n arbejdsdage</source>
        <translation><numerusform>Received and decided, last %n working days</numerusform><numerusform>Received and decided, last %n working days</numerusform></translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="307" />
        <source>Modtaget</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="308" />
        <source>Besluttet</source>
        <translation>Decided</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="330" />
        <source>%1: modtaget %2, besluttet %3</source>
        <translation>%1: received %2, decided %3</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="369" />
        <source>Overblik over indgående post</source>
        <translation>Incoming post overview</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="377" />
        <source>Opdatér</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="379" />
        <source>Opdatér overblikket</source>
        <translation>Refresh the overview</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="380" />
        <source>Opdatér tallene (F5)</source>
        <translation>Refresh the figures (F5)</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="391" />
        <source>Åbne</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="392" />
        <source>Ældre end 2 arbejdsdage</source>
        <translation>Older than 2 working days</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="394" />
        <source>Afventer levering</source>
        <translation>Awaiting delivery</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="395" />
        <source>Fejlede</source>
        <translation>Failed</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="419" />
        <source>Fordelt pr. sagsbehandler</source>
        <translation>Distributed per caseworker</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="435" />
        <source>Hos sagsbehandlerne</source>
        <translation>With the caseworkers</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="440" />
        <source>Intet er fordelt til sagsbehandlere lige nu.</source>
        <translation>Nothing is distributed to caseworkers right now.</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="470" />
        <source>%1 ufordelte · %2 hos sagsbehandlere</source>
        <translation>%1 undistributed · %2 with caseworkers</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="476" />
        <source>Mål: journaliseret inden %1 arbejdsdage</source>
        <translation>Goal: journalised within %1 working days</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="480" />
        <source>Intet ubehandlet</source>
        <translation>Nothing unhandled</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="491" />
        <source>Beslutninger i udbakken · %1 prøves igen</source>
        <translation>Decisions in the outbox · %1 being retried</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="497" />
        <source>Afvist af modtageren – skal besluttes igen</source>
        <translation>Refused by the receiver – decide again</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="507" />
        <source>Opdateret %1</source>
        <translation>Updated %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="514" />
        <source>Pr. type: %1</source>
        <translation>By kind: %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="515" />
        <source>Pr. status: %1</source>
        <translation>By status: %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="519" />
        <source>Låst af fordelere: %1</source>
        <translation>Locked by distributors: %1</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="528" />
        <source>Opdatér overblik</source>
        <translation>Refresh overview</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="531" />
        <source>Opdaterer …</source>
        <translation>Refreshing …</translation>
    </message>
    <message>
        <location filename="../backlog_view.py" line="535" />
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
        <location filename="../caseworker_view.py" line="69" />
        <source>Modtaget</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="70" />
        <source>Fordelt</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="71" />
        <source>Alder</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="72" />
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="73" />
        <source>Afsender</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="74" />
        <source>Emne</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="75" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="127" />
        <source>%1 d</source>
        <translation>%1 d</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="178" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="183" />
        <source>&amp;Sagsbehandler:</source>
        <translation>&amp;Caseworker:</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="185" />
        <source>Vis også &amp;behandlede</source>
        <translation>Also show &amp;handled</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="187" />
        <source>Vis også behandlede elementer</source>
        <translation>Also show handled items</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="188" />
        <source>Opdatér</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="190" />
        <source>Opdatér listen</source>
        <translation>Refresh the list</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="191" />
        <source>Opdatér listen (F5)</source>
        <translation>Refresh the list (F5)</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="212" />
        <source>Fordelt til sagsbehandleren</source>
        <translation>Distributed to the caseworker</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="276" />
        <source>Intet fordelt til %1 mangler at blive journaliseret.</source>
        <translation>Nothing distributed to %1 awaits journalising.</translation>
    </message>
    <message numerus="yes">
        <location filename="../caseworker_view.py" line="281" />
        <source>%n element(er) fordelt til %1</source>
        <translation><numerusform>%n item(s) distributed to %1</numerusform><numerusform>%n item(s) distributed to %1</numerusform></translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="283" />
        <source>%1 ældre end %2 arbejdsdage</source>
        <translation>%1 older than %2 working days</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="289" />
        <source>ældste modtaget %1</source>
        <translation>oldest received %1</translation>
    </message>
    <message>
        <location filename="../caseworker_view.py" line="305" />
        <source>Hent fordelte elementer</source>
        <translation>Load distributed items</translation>
    </message>
</context>
<context>
    <name>DecisionFlow</name>
    <message>
        <location filename="../decision_flow.py" line="96" />
        <source>&lt;b&gt;Afventer&lt;/b&gt; afsendelse: %1</source>
        <translation>&lt;b&gt;Pending&lt;/b&gt; delivery: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="100" />
        <source>Seneste forsøg: %1</source>
        <translation>Last attempt: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="102" />
        <source>&lt;b&gt;Fejlet:&lt;/b&gt; %1</source>
        <translation>&lt;b&gt;Failed:&lt;/b&gt; %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="106" />
        <source>Låst af %1 – du kan ikke handle på det.</source>
        <translation>Locked by %1 – you cannot act on it.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="165" />
        <source>Fordel</source>
        <translation>Assign</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="195" />
        <location filename="../decision_flow.py" line="221" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="196" />
        <source>Listen over modtagere kan ikke hentes fra gatewayen: %1</source>
        <translation>The list of receivers cannot be fetched from the gateway: %1</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="246" />
        <source>%1: lagt i udbakken (Ctrl+Z fortryder)</source>
        <translation>%1: placed in the outbox (Ctrl+Z undoes)</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="271" />
        <source>Handlingen er fortrudt.</source>
        <translation>The action was undone.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="273" />
        <source>For sent at fortryde: handlingen er sendt.</source>
        <translation>Too late to undo: the action was sent.</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="276" />
        <source>Fortryd</source>
        <translation>Undo</translation>
    </message>
    <message>
        <location filename="../decision_flow.py" line="286" />
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
        <location filename="../preview.py" line="298" />
        <source>Leveringstilstand</source>
        <translation>Delivery state</translation>
    </message>
    <message>
        <location filename="../preview.py" line="305" />
        <source>Dokumenter og bilag</source>
        <translation>Documents and attachments</translation>
    </message>
    <message>
        <location filename="../preview.py" line="312" />
        <source>Åbn</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../preview.py" line="313" />
        <source>Åbn filen i et andet program (Ctrl+O)</source>
        <translation>Open the file in another program (Ctrl+O)</translation>
    </message>
    <message>
        <location filename="../preview.py" line="315" />
        <source>Gem…</source>
        <translation>Save…</translation>
    </message>
    <message>
        <location filename="../preview.py" line="316" />
        <source>Gem filen (Ctrl+S)</source>
        <translation>Save the file (Ctrl+S)</translation>
    </message>
    <message>
        <location filename="../preview.py" line="326" />
        <source>Brevets tekst</source>
        <translation>Letter text</translation>
    </message>
    <message>
        <location filename="../preview.py" line="328" />
        <source>HTML-visning</source>
        <translation>HTML view</translation>
    </message>
    <message>
        <location filename="../preview.py" line="350" />
        <source>Levering: %1</source>
        <translation>Delivery: %1</translation>
    </message>
    <message>
        <location filename="../preview.py" line="357" />
        <source>Elementet er tilbage i fordelingskøen: træf en ny beslutning.</source>
        <translation>The item is back in the distribution queue: make a new decision.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="372" />
        <source>Vælg et element i indbakken.</source>
        <translation>Select an item in the inbox.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="399" />
        <source>%1 · %2 · oprindeligt navn: %3</source>
        <translation>%1 · %2 · original name: %3</translation>
    </message>
    <message>
        <location filename="../preview.py" line="416" />
        <source>Meddelelsen har ingen dokumenter.</source>
        <translation>The message has no documents.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="457" />
        <source>Henter filen …</source>
        <translation>Loading the file …</translation>
    </message>
    <message>
        <location filename="../preview.py" line="513" />
        <source>Filtypen %1 kan ikke vises her. Brug Gem eller Åbn.</source>
        <translation>The file type %1 cannot be shown here. Use Save or Open.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="520" />
        <source>Filen kunne ikke vises: indholdet passer ikke til den angivne type (%1).</source>
        <translation>The file could not be shown: its content does not match the declared type (%1).</translation>
    </message>
    <message>
        <location filename="../preview.py" line="531" />
        <source>Åbn fil?</source>
        <translation>Open file?</translation>
    </message>
    <message>
        <location filename="../preview.py" line="533" />
        <source>Filen "%1" (%2) kan indeholde kode, der kører på din computer.
Åbn den kun, hvis du stoler på afsenderen.</source>
        <translation>The file "%1" (%2) may contain code that runs on your computer.
Only open it if you trust the sender.</translation>
    </message>
    <message>
        <location filename="../preview.py" line="564" />
        <source>Gem fil</source>
        <translation>Save file</translation>
    </message>
</context>
<context>
    <name>ForwardDialog</name>
    <message>
        <location filename="../dialogs.py" line="183" />
        <location filename="../dialogs.py" line="200" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="187" />
        <source>Videresend %1 elementer.</source>
        <translation>Forward %1 items.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="190" />
        <location filename="../dialogs.py" line="197" />
        <source>Modtager</source>
        <translation>Receiver</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="196" />
        <location filename="../dialogs.py" line="198" />
        <source>Bemærkning</source>
        <translation>Remark</translation>
    </message>
</context>
<context>
    <name>HeaderPanel</name>
    <message>
        <location filename="../header_panel.py" line="58" />
        <source>Vis eller skjul brevhovedet</source>
        <translation>Show or hide the letter header</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="128" />
        <source>Afsender</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="130" />
        <source>Oprettet</source>
        <translation>Created</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="134" />
        <source>Kontaktpunkt</source>
        <translation>Contact point</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="139" />
        <source>svar på brev %1</source>
        <translation>reply to letter %1</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="141" />
        <source>sag %1</source>
        <translation>case %1</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="143" />
        <source>afsender %1</source>
        <translation>sender %1</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="144" />
        <source>Svardata</source>
        <translation>Reply data</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="146" />
        <source>Sagsnr. i brevet</source>
        <translation>Case no. in the letter</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="149" />
        <source>borgeren kan svare</source>
        <translation>the citizen can reply</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="151" />
        <source>&lt;b&gt;svar ikke muligt&lt;/b&gt; (reply=false)</source>
        <translation>&lt;b&gt;no reply possible&lt;/b&gt; (reply=false)</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="154" />
        <source>&lt;b&gt;retsvirkning&lt;/b&gt; (legalNotification)</source>
        <translation>&lt;b&gt;legal effect&lt;/b&gt; (legalNotification)</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="156" />
        <source>obligatorisk</source>
        <translation>mandatory</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="157" />
        <source>Egenskaber</source>
        <translation>Properties</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="170" />
        <source>&lt;i&gt;(ingen kommentar)&lt;/i&gt;</source>
        <translation>&lt;i&gt;(no comment)&lt;/i&gt;</translation>
    </message>
    <message>
        <location filename="../header_panel.py" line="173" />
        <source>&lt;b&gt;Videresendt af borgeren.&lt;/b&gt; Oprindelig afsender: &lt;b&gt;%1&lt;/b&gt;, dato %2.&lt;br&gt;Borgerens kommentar: %3</source>
        <translation>&lt;b&gt;Forwarded by the citizen.&lt;/b&gt; Original sender: &lt;b&gt;%1&lt;/b&gt;, date %2.&lt;br&gt;The citizen's comment: %3</translation>
    </message>
</context>
<context>
    <name>InboxModel</name>
    <message>
        <location filename="../inbox_model.py" line="232" />
        <source>Anden afd.?</source>
        <translation>Other dept.?</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="242" />
        <source>%1 d</source>
        <translation>%1 d</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="252" />
        <source>%1 · låst af %2</source>
        <translation>%1 · locked by %2</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="276" />
        <source>%1 (modtaget %2)</source>
        <translation>%1 (received %2)</translation>
    </message>
    <message>
        <location filename="../inbox_model.py" line="283" />
        <source>Foreslået sag %1</source>
        <translation>Suggested case %1</translation>
    </message>
</context>
<context>
    <name>InboxPane</name>
    <message>
        <location filename="../inbox_pane.py" line="77" />
        <source>Gemte visninger</source>
        <translation>Saved views</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="90" />
        <source>Søg i afsender, emne og tekst (Ctrl+F)</source>
        <translation>Search sender, subject and text (Ctrl+F)</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="91" />
        <source>Hurtigsøgning</source>
        <translation>Quick search</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="98" />
        <location filename="../inbox_pane.py" line="330" />
        <source>Filtre</source>
        <translation>Filters</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="100" />
        <source>Vis filtre</source>
        <translation>Show filters</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="108" />
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="110" />
        <source>Alle typer</source>
        <translation>All kinds</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="115" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="117" />
        <source>Alle statusser</source>
        <translation>All statuses</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="121" />
        <source>Kontaktpunkt</source>
        <translation>Contact point</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="121" />
        <source>Alle kontaktpunkter</source>
        <translation>All contact points</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="123" />
        <source>Alder</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="125" />
        <source>Alle aldre</source>
        <translation>All ages</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="126" />
        <source>Over 1 arbejdsdag</source>
        <translation>Over 1 working day</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="127" />
        <source>Over 2 arbejdsdage</source>
        <translation>Over 2 working days</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="128" />
        <source>Over 5 arbejdsdage</source>
        <translation>Over 5 working days</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="129" />
        <source>Over 10 arbejdsdage</source>
        <translation>Over 10 working days</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="133" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="134" />
        <source>Alle sagsbehandlere</source>
        <translation>All caseworkers</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="134" />
        <source>Ingen</source>
        <translation>None</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="137" />
        <source>Låst af</source>
        <translation>Locked by</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="137" />
        <source>Alle låse</source>
        <translation>All locks</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="137" />
        <source>Ikke låst</source>
        <translation>Not locked</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="154" />
        <source>Indbakke</source>
        <translation>Inbox</translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="270" />
        <source>Opdater indbakken</source>
        <translation>Refresh the inbox</translation>
    </message>
    <message numerus="yes">
        <location filename="../inbox_pane.py" line="297" />
        <source>%n element(er)</source>
        <translation><numerusform>%n item(s)</numerusform><numerusform>%n item(s)</numerusform></translation>
    </message>
    <message>
        <location filename="../inbox_pane.py" line="305" />
        <source>Tæl visninger</source>
        <translation>Count views</translation>
    </message>
</context>
<context>
    <name>JournaliseDialog</name>
    <message>
        <location filename="../dialogs.py" line="52" />
        <location filename="../dialogs.py" line="78" />
        <source>Journalisér</source>
        <translation>Journalise</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="54" />
        <source>Journalisér på sag &lt;b&gt;%1&lt;/b&gt;?</source>
        <translation>Journalise on case &lt;b&gt;%1&lt;/b&gt;?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="57" />
        <source>Journalisér %1 elementer på sag &lt;b&gt;%2&lt;/b&gt;?</source>
        <translation>Journalise %1 items on case &lt;b&gt;%2&lt;/b&gt;?</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="64" />
        <source>Bemærk: sagen er lukket.</source>
        <translation>Note: the case is closed.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="66" />
        <source>Tilføj journalnotat</source>
        <translation>Add a journal note</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="68" />
        <source>Notatets titel</source>
        <translation>Note title</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="70" />
        <source>Notatets tekst</source>
        <translation>Note text</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="74" />
        <source>Titel</source>
        <translation>Title</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="75" />
        <source>Notat</source>
        <translation>Note</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="93" />
        <source>Journalnotat</source>
        <translation>Journal note</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <location filename="../labels.py" line="78" />
        <source>Retursvar</source>
        <translation>Replies</translation>
    </message>
    <message>
        <location filename="../labels.py" line="25" />
        <source>Nyhenvendelse</source>
        <translation>New inquiry</translation>
    </message>
    <message>
        <location filename="../labels.py" line="38" />
        <source>Videresendt</source>
        <translation>Forwarded</translation>
    </message>
    <message>
        <location filename="../labels.py" line="27" />
        <source>Ulæselig</source>
        <translation>Unreadable</translation>
    </message>
    <message>
        <location filename="../labels.py" line="24" />
        <source>Retursvar</source>
        <comment>kind of one item</comment>
        <translation>Reply</translation>
    </message>
    <message>
        <location filename="../labels.py" line="26" />
        <source>Videresendt</source>
        <comment>kind of one item</comment>
        <translation>Forwarded</translation>
    </message>
    <message>
        <location filename="../labels.py" line="33" />
        <source>Ny</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../labels.py" line="34" />
        <source>Afventer</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../labels.py" line="35" />
        <source>Journaliseret</source>
        <translation>Journalised</translation>
    </message>
    <message>
        <location filename="../labels.py" line="36" />
        <source>Fordelt</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <location filename="../labels.py" line="37" />
        <source>Afvist</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <location filename="../labels.py" line="39" />
        <source>Fejlet</source>
        <translation>Failed</translation>
    </message>
    <message>
        <location filename="../labels.py" line="47" />
        <source>Ny</source>
        <comment>delivery state</comment>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../labels.py" line="48" />
        <source>Kun på denne pc</source>
        <translation>Only on this PC</translation>
    </message>
    <message>
        <location filename="../labels.py" line="49" />
        <source>Afventer</source>
        <comment>delivery state</comment>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../labels.py" line="50" />
        <source>Sendt</source>
        <translation>Sent</translation>
    </message>
    <message>
        <location filename="../labels.py" line="51" />
        <source>Accepteret af DUBU</source>
        <translation>Accepted by DUBU</translation>
    </message>
    <message>
        <location filename="../labels.py" line="52" />
        <source>Afvist af DUBU</source>
        <translation>Rejected by DUBU</translation>
    </message>
    <message>
        <location filename="../labels.py" line="53" />
        <source>Fejlet</source>
        <comment>delivery state</comment>
        <translation>Failed</translation>
    </message>
    <message>
        <location filename="../labels.py" line="54" />
        <source>Afsluttet (afvist af fordeler)</source>
        <translation>Closed (rejected by distributor)</translation>
    </message>
    <message>
        <location filename="../labels.py" line="59" />
        <source>kvittering mangler – følg op</source>
        <translation>receipt missing – follow up</translation>
    </message>
    <message>
        <location filename="../labels.py" line="64" />
        <source>Konflikt</source>
        <translation>Conflict</translation>
    </message>
    <message>
        <location filename="../labels.py" line="68" />
        <source>Konflikt: meddelelsen %1 er modtaget før med et andet indhold. Begge er gemt; sammenlign dem, før du fordeler.</source>
        <translation>Conflict: message %1 was received before with different content. Both are kept; compare them before you distribute.</translation>
    </message>
    <message>
        <location filename="../labels.py" line="77" />
        <source>Ufordelte</source>
        <translation>Undistributed</translation>
    </message>
    <message>
        <location filename="../labels.py" line="79" />
        <source>Nyhenvendelser</source>
        <translation>New inquiries</translation>
    </message>
    <message>
        <location filename="../labels.py" line="80" />
        <source>Videresendte</source>
        <translation>Forwarded</translation>
    </message>
    <message>
        <location filename="../labels.py" line="81" />
        <source>Mine</source>
        <translation>Mine</translation>
    </message>
    <message>
        <location filename="../labels.py" line="82" />
        <source>Ældre end 2 arbejdsdage</source>
        <translation>Older than 2 working days</translation>
    </message>
    <message>
        <location filename="../labels.py" line="83" />
        <source>Alle</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../labels.py" line="89" />
        <source>Journalisér</source>
        <translation>Journalise</translation>
    </message>
    <message>
        <location filename="../labels.py" line="90" />
        <source>Fordel</source>
        <translation>Assign</translation>
    </message>
    <message>
        <location filename="../labels.py" line="91" />
        <source>Afvis</source>
        <translation>Reject</translation>
    </message>
    <message>
        <location filename="../labels.py" line="92" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../labels.py" line="93" />
        <source>Journalnotat</source>
        <translation>Journal note</translation>
    </message>
    <message>
        <location filename="../labels.py" line="99" />
        <source>Modtaget</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../labels.py" line="100" />
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../labels.py" line="101" />
        <source>Afsender</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../labels.py" line="102" />
        <source>Emne</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../labels.py" line="103" />
        <source>Kontaktpunkt</source>
        <translation>Contact point</translation>
    </message>
    <message>
        <location filename="../labels.py" line="104" />
        <source>Forslag</source>
        <translation>Suggestion</translation>
    </message>
    <message>
        <location filename="../labels.py" line="105" />
        <source>Alder</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../labels.py" line="106" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../labels.py" line="107" />
        <source>Levering</source>
        <translation>Delivery</translation>
    </message>
    <message>
        <location filename="../labels.py" line="113" />
        <source>1 arbejdsdag</source>
        <translation>1 working day</translation>
    </message>
    <message numerus="yes">
        <location filename="../labels.py" line="114" />
        <source>%n arbejdsdage</source>
        <translation><numerusform>%n working days</numerusform><numerusform>%n working days</numerusform></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="125" />
        <source>Indbakke</source>
        <translation>Inbox</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="131" />
        <source>Overblik</source>
        <translation>Overview</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="132" />
        <source>Fordelt til mig</source>
        <translation>Assigned to me</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="124" />
        <source>Visninger</source>
        <translation>Views</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="147" />
        <source>Ikke synkroniseret endnu</source>
        <translation>Not synchronised yet</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="230" />
        <source>Indstillingerne er gemt. Nye forbindelser og sprog bruges ved næste start.</source>
        <translation>Settings saved. New connections and language apply at the next start.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="247" />
        <source>● Online</source>
        <translation>● Online</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="248" />
        <source>● Forbindelsen svigter</source>
        <translation>● Connection failing</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="249" />
        <source>● Offline</source>
        <translation>● Offline</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="250" />
        <source>● Lokal kopi beskadiget</source>
        <translation>● Local copy damaged</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="263" />
        <source>Den lokale kopi af posten</source>
        <translation>The local copy of the mail</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="275" />
        <source>Udbakke: %1</source>
        <translation>Outbox: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="286" />
        <location filename="../main_window.py" line="298" />
        <source>Demo (sandkasse)</source>
        <translation>Demo (sandbox)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="293" />
        <source>&lt;b&gt;Demo (sandkasse)&lt;/b&gt;: Postfordeler kører mod en indbygget sandkasse med syntetiske data – intet sendes til rigtige systemer. Åbn &lt;b&gt;Indstillinger&lt;/b&gt; (Ctrl+,) for at forbinde til kommunens postserver.</source>
        <translation>&lt;b&gt;Demo (sandbox)&lt;/b&gt;: Postfordeler runs against a built-in sandbox with synthetic data – nothing is sent to real systems. Open &lt;b&gt;Settings&lt;/b&gt; (Ctrl+,) to connect to the municipality's mail server.</translation>
    </message>
    <message numerus="yes">
        <location filename="../main_window.py" line="302" />
        <source>%n ny(e) meddelelse(r) i indbakken</source>
        <translation><numerusform>%n new message(s) in the inbox</numerusform><numerusform>%n new message(s) in the inbox</numerusform></translation>
    </message>
    <message>
        <location filename="../main_window.py" line="345" />
        <location filename="../main_window.py" line="351" />
        <location filename="../main_window.py" line="388" />
        <source>Vis element</source>
        <translation>Show item</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="414" />
        <location filename="../main_window.py" line="421" />
        <source>Adgangslog</source>
        <translation>Access log</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="428" />
        <source>Søg sag</source>
        <translation>Search case</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="471" />
        <source>Opdater element</source>
        <translation>Refresh item</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="473" />
        <source>Udbakke</source>
        <translation>Outbox</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="495" />
        <source>Ulæste</source>
        <translation>Unread</translation>
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
    <name>RejectDialog</name>
    <message>
        <location filename="../dialogs.py" line="145" />
        <location filename="../dialogs.py" line="167" />
        <source>Afvis</source>
        <translation>Reject</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="149" />
        <source>Afvis %1 elementer.</source>
        <translation>Reject %1 items.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="153" />
        <source>Begrundelse</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="156" />
        <source>Hører ikke til familieafdelingen</source>
        <translation>Not for the family department</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="157" />
        <source>Sendt til forkert kontaktpunkt</source>
        <translation>Sent to the wrong contact point</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="158" />
        <source>Dublet</source>
        <translation>Duplicate</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="159" />
        <source>Andet</source>
        <translation>Other</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="163" />
        <source>Skriv eller vælg en begrundelse</source>
        <translation>Type or pick a reason</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="164" />
        <source>Begrundelse (skal udfyldes)</source>
        <translation>Reason (required)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="46" />
        <source>Indstillinger</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="57" />
        <source>Ingen postserver er sat op, så Postfordeler kører som &lt;b&gt;demo mod en indbygget sandkasse&lt;/b&gt; med syntetiske data. Udfyld adressen på kommunens postserver for at bruge rigtig post.</source>
        <translation>No mail server is configured, so Postfordeler runs as a &lt;b&gt;demo against a built-in sandbox&lt;/b&gt; with synthetic data. Enter the address of the municipality's mail server to use real mail.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="65" />
        <source>Forbindelser</source>
        <translation>Connections</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="68" />
        <location filename="../settings_dialog.py" line="77" />
        <source>Postserver (gateway)</source>
        <translation>Mail server (gateway)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="70" />
        <source>DUBU sagsopslag</source>
        <translation>DUBU case look-up</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="71" />
        <location filename="../settings_dialog.py" line="78" />
        <source>Brugernavn</source>
        <translation>User name</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="72" />
        <source>(uændret)</source>
        <translation>(unchanged)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="72" />
        <location filename="../settings_dialog.py" line="79" />
        <source>Adgangskode</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="74" />
        <location filename="../settings_dialog.py" line="81" />
        <source>Kommunens CVR</source>
        <translation>Municipality CVR</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="80" />
        <source>DUBU-opslag</source>
        <translation>DUBU look-up</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="88" />
        <source>Vælg…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="85" />
        <source>systemets certifikatlager</source>
        <translation>the system certificate store</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="86" />
        <location filename="../settings_dialog.py" line="93" />
        <source>CA-fil for postserveren (PEM)</source>
        <translation>CA file for the mail server (PEM)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="89" />
        <location filename="../settings_dialog.py" line="170" />
        <source>Vælg CA-fil</source>
        <translation>Choose CA file</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="98" />
        <source>Arbejde og udseende</source>
        <translation>Work and appearance</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="101" />
        <source>Kontaktpunkter</source>
        <translation>Contact points</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="103" />
        <source>Retursvar og nyhenvendelser</source>
        <translation>Replies and new inquiries</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="104" />
        <source>Kun retursvar (skjulte kontaktpunkter)</source>
        <translation>Replies only (hidden contact points)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="105" />
        <source>Kun nyhenvendelser (synlige kontaktpunkter)</source>
        <translation>New inquiries only (visible contact points)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="112" />
        <location filename="../settings_dialog.py" line="126" />
        <source>Sprog</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="117" />
        <location filename="../settings_dialog.py" line="127" />
        <source>Udseende</source>
        <translation>Appearance</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="119" />
        <source>Følg styresystemet</source>
        <translation>Follow the system</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="120" />
        <source>Lyst</source>
        <translation>Light</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="121" />
        <source>Mørkt</source>
        <translation>Dark</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="125" />
        <source>Modtag post fra</source>
        <translation>Receive mail from</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="136" />
        <source>&lt;b&gt;Ingen nøglering fundet.&lt;/b&gt; Denne computer har ingen sikker adgangskode-opbevaring (keyring), så adgangskoder kan ikke gemmes. Bed IT om at aktivere Windows Credential Manager, macOS Keychain eller Secret Service (GNOME Keyring/KWallet) – Postfordeler gemmer aldrig adgangskoder i en almindelig fil.</source>
        <translation>&lt;b&gt;No keyring found.&lt;/b&gt; This computer has no secure password storage (keyring), so passwords cannot be saved. Ask IT to enable Windows Credential Manager, macOS Keychain or Secret Service (GNOME Keyring/KWallet) – Postfordeler never stores passwords in a plain file.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="148" />
        <source>Nye forbindelser bruges, når Postfordeler startes igen.</source>
        <translation>New connections are used when Postfordeler is started again.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="155" />
        <source>Gem</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="156" />
        <source>Annullér</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="172" />
        <source>PEM-certifikater (*.pem *.crt *.cer)</source>
        <translation>PEM certificates (*.pem *.crt *.cer)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="206" />
        <source>Adgangskoden kunne ikke gemmes i nøgleringen (%1).</source>
        <translation>The password could not be stored in the keyring (%1).</translation>
    </message>
</context>
<context>
    <name>ShortcutOverlay</name>
    <message>
        <location filename="../dialogs.py" line="214" />
        <source>Tastaturgenveje</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="224" />
        <source>Luk</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>SuggestionPanel</name>
    <message>
        <location filename="../suggestion_panel.py" line="118" />
        <source>Sagsforslag</source>
        <translation>Case suggestions</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="139" />
        <source>Søg sag: CPR, navn eller sagsnummer (Ctrl+K)</source>
        <translation>Search case: CPR, name or case no. (Ctrl+K)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="140" />
        <source>Søg sag</source>
        <translation>Search case</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="150" />
        <source>Foreslåede sager</source>
        <translation>Suggested cases</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="174" />
        <source>Journalisér</source>
        <translation>Journalise</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="176" />
        <source>Journalisér på den valgte sag (Enter)</source>
        <translation>Journalise on the selected case (Enter)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="178" />
        <source>Fordel…</source>
        <translation>Assign…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="180" />
        <source>Fordel til sagsbehandler eller team (F)</source>
        <translation>Assign to a caseworker or team (F)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="181" />
        <source>Afvis…</source>
        <translation>Reject…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="183" />
        <source>Afvis som fejlsendt (A)</source>
        <translation>Reject as misrouted (A)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="184" />
        <source>Videresend…</source>
        <translation>Forward…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="186" />
        <source>Videresend til anden afdeling eller system (V)</source>
        <translation>Forward to another department or system (V)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="187" />
        <source>Fortryd</source>
        <translation>Undo</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="189" />
        <source>Fortryd, mens handlingen venter i udbakken (Ctrl+Z)</source>
        <translation>Undo while the action waits in the outbox (Ctrl+Z)</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="219" />
        <source>Finder forslag…</source>
        <translation>Finding suggestions…</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="224" />
        <source>Ser ud til at høre til en anden afdeling.</source>
        <translation>Looks like it belongs to another department.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="226" />
        <source>Ser ud til at høre til en anden afdeling (emne: %1).</source>
        <translation>Looks like it belongs to another department (subject: %1).</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="230" />
        <source>Foreslået modtager: %1</source>
        <translation>Suggested receiver: %1</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="254" />
        <source>Ingen sager fundet.</source>
        <translation>No cases found.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="258" />
        <source>Intet sikkert forslag. Søg efter sagen med CPR, navn eller sagsnummer.</source>
        <translation>No confident suggestion. Search for the case by CPR, name or case number.</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="263" />
        <source> · lukket</source>
        <translation> · closed</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="273" />
        <source>lukket</source>
        <translation>closed</translation>
    </message>
    <message>
        <location filename="../suggestion_panel.py" line="274" />
        <source>Sagsbehandler</source>
        <translation>Caseworker</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <location filename="../actions.py" line="84" />
        <source>Næste element</source>
        <translation>Next item</translation>
    </message>
    <message>
        <location filename="../actions.py" line="85" />
        <source>Forrige element</source>
        <translation>Previous item</translation>
    </message>
    <message>
        <location filename="../actions.py" line="86" />
        <source>Næste / forrige element</source>
        <translation>Next / previous item</translation>
    </message>
    <message>
        <location filename="../actions.py" line="88" />
        <source>Journalisér på valgt forslag</source>
        <translation>Journalise on the selected suggestion</translation>
    </message>
    <message>
        <location filename="../actions.py" line="99" />
        <source>Fordel til sagsbehandler</source>
        <translation>Assign to caseworker</translation>
    </message>
    <message>
        <location filename="../actions.py" line="100" />
        <source>Afvis (fejlsendt)</source>
        <translation>Reject (misrouted)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="101" />
        <source>Videresend</source>
        <translation>Forward</translation>
    </message>
    <message>
        <location filename="../actions.py" line="102" />
        <source>Fortryd (mens den venter i udbakken)</source>
        <translation>Undo (while it waits in the outbox)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="103" />
        <source>Hurtigsøgning i indbakken</source>
        <translation>Quick search in the inbox</translation>
    </message>
    <message>
        <location filename="../actions.py" line="105" />
        <source>Søg sag (CPR, navn, sagsnummer)</source>
        <translation>Search case (CPR, name, case number)</translation>
    </message>
    <message>
        <location filename="../actions.py" line="110" />
        <source>Vælg forslag 1–5</source>
        <translation>Pick suggestion 1–5</translation>
    </message>
    <message>
        <location filename="../actions.py" line="113" />
        <source>Markér som ulæst / læst</source>
        <translation>Mark as unread / read</translation>
    </message>
    <message>
        <location filename="../actions.py" line="114" />
        <source>Gå til indbakken</source>
        <translation>Go to the inbox</translation>
    </message>
    <message>
        <location filename="../actions.py" line="116" />
        <source>Visning: Ufordelte … Alle</source>
        <translation>View: Undistributed … All</translation>
    </message>
    <message>
        <location filename="../actions.py" line="123" />
        <source>Vis/skjul filtre</source>
        <translation>Show/hide filters</translation>
    </message>
    <message>
        <location filename="../actions.py" line="124" />
        <source>Åbn fil</source>
        <translation>Open file</translation>
    </message>
    <message>
        <location filename="../actions.py" line="125" />
        <source>Gem fil</source>
        <translation>Save file</translation>
    </message>
    <message>
        <location filename="../actions.py" line="126" />
        <source>Næste dokument</source>
        <translation>Next document</translation>
    </message>
    <message>
        <location filename="../actions.py" line="127" />
        <source>Zoom ind / ud i PDF</source>
        <translation>Zoom in / out in the PDF</translation>
    </message>
    <message>
        <location filename="../actions.py" line="129" />
        <source>Hent ny post nu</source>
        <translation>Fetch new mail now</translation>
    </message>
    <message>
        <location filename="../actions.py" line="130" />
        <source>Indstillinger</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../actions.py" line="131" />
        <source>Tastaturgenveje</source>
        <translation>Keyboard shortcuts</translation>
    </message>
</context>
<context>
    <name>_Dialog</name>
    <message>
        <location filename="../dialogs.py" line="45" />
        <source>Annullér</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <location filename="../app.py" line="249" />
        <source>Postfordeler kan ikke starte</source>
        <translation>Postfordeler cannot start</translation>
    </message>
    <message>
        <location filename="../app.py" line="279" />
        <source>Ingen nøglering på denne computer: demoen kører i en midlertidig mappe, som glemmes når programmet lukkes.</source>
        <translation>No keyring on this computer: the demo runs in a temporary folder that is forgotten when the program closes.</translation>
    </message>
</context>
</TS>