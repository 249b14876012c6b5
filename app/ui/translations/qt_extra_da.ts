<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Danish for Qt's own dialogs where PySide6's qtbase_da.qm lags behind Qt 6's strings
     (issue 12 point 7: the file dialog said "Look in:" and "Files of type:"). Compiled to
     qt_extra_da.qm by `python -m app.ui.i18n_build`; loaded after qtbase_da by app.ui.i18n. -->
<TS version="2.1" language="da_DK">
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>&amp;Kig i:</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>Filer af &amp;typen:</translation>
    </message>
</context>
</TS>
