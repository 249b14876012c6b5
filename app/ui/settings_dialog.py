"""Settings dialog: endpoints, certificate, contact points, municipality, user, language, look.

Secrets (the gateway password and the certificate passphrase) go to the OS keyring only; when
no keyring backend is usable the dialog says so in plain words and does not store them anywhere
else. Saving writes the typed `Settings`; the app applies language/look at once and endpoints
at the next start. Never logs a secret.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.keyrings import IN_MEMORY_MARK, secure_keyring
from app.ui import i18n
from app.ui.settings import KEYRING_SERVICE, Settings

log = logging.getLogger("postfordeler.ui.settings")


def keyring_problem() -> bool:
    """True when no secure OS keyring exists (only fail/null, plaintext or other file
    backends), or only the keyring-less demo's in-process one, which forgets at exit."""
    kr = secure_keyring()
    return kr is None or all(getattr(b, IN_MEMORY_MARK, False) for b in kr.backends)


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Indstillinger"))
        self.setMinimumWidth(620)
        self.settings = settings
        layout = QVBoxLayout(self)

        self.demo_note = QLabel(self)
        self.demo_note.setWordWrap(True)
        self.demo_note.setObjectName("settingsDemoNote")
        if not settings.configured:
            self.demo_note.setText(
                self.tr(
                    "Ingen postserver er sat op, så Postfordeler kører som <b>demo mod en indbygget "
                    "sandkasse</b> med syntetiske data. Udfyld adressen på kommunens postserver for "
                    "at bruge rigtig post."
                )
            )
        layout.addWidget(self.demo_note)
        self.demo_note.setVisible(not settings.configured)

        endpoints = QGroupBox(self.tr("Forbindelser"), self)
        form = QFormLayout(endpoints)
        self.gateway = self._line(
            settings.gateway_url, "https://postserver.kommune.dk", self.tr("Postserver (gateway)")
        )
        self.dubu = self._line(settings.dubu_url, "https://…/dubu", self.tr("DUBU sagsopslag"))
        self.user = self._line(settings.user, "initialer", self.tr("Brugernavn"))
        self.password = self._line("", self.tr("(uændret)"), self.tr("Adgangskode"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.cvr = self._line(settings.municipality_cvr, "12345678", self.tr("Kommunens CVR"))
        self.cvr.setInputMask("99999999;_")
        self.cvr.setText(settings.municipality_cvr)
        form.addRow(self.tr("Postserver (gateway)"), self.gateway)
        form.addRow(self.tr("Brugernavn"), self.user)
        form.addRow(self.tr("Adgangskode"), self.password)
        form.addRow(self.tr("DUBU-opslag"), self.dubu)
        form.addRow(self.tr("Kommunens CVR"), self.cvr)
        ca_row = QHBoxLayout()
        self.ca_bundle = self._line(
            settings.ca_bundle,
            self.tr("systemets certifikatlager"),
            self.tr("CA-fil for postserveren (PEM)"),
        )
        browse_ca = QPushButton(self.tr("Vælg…"), self)
        browse_ca.setAccessibleName(self.tr("Vælg CA-fil"))
        browse_ca.clicked.connect(self._browse_ca)
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(browse_ca)
        form.insertRow(1, self.tr("CA-fil for postserveren (PEM)"), ca_row)
        # No SF2900 endpoint and no municipality certificate here: the gateway delivers the
        # decisions to SF2900 and holds the Serviceplatformen certificate (issue 9).
        layout.addWidget(endpoints)

        work = QGroupBox(self.tr("Arbejde og udseende"), self)
        wform = QFormLayout(work)
        self.contact_points = QComboBox(self)
        self.contact_points.setAccessibleName(self.tr("Kontaktpunkter"))
        for key, text in (
            ("both", self.tr("Retursvar og nyhenvendelser")),
            ("retursvar", self.tr("Kun retursvar (skjulte kontaktpunkter)")),
            ("nyhenvendelser", self.tr("Kun nyhenvendelser (synlige kontaktpunkter)")),
        ):
            self.contact_points.addItem(text, key)
        self.contact_points.setCurrentIndex(
            max(0, self.contact_points.findData(settings.contact_points))
        )
        self.language = QComboBox(self)
        self.language.setAccessibleName(self.tr("Sprog"))
        for key, text in i18n.LANGUAGES.items():
            self.language.addItem(text, key)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.look = QComboBox(self)
        self.look.setAccessibleName(self.tr("Udseende"))
        for key, text in (
            ("auto", self.tr("Følg styresystemet")),
            ("light", self.tr("Lyst")),
            ("dark", self.tr("Mørkt")),
        ):
            self.look.addItem(text, key)
        self.look.setCurrentIndex(max(0, self.look.findData(settings.dark)))
        wform.addRow(self.tr("Modtag post fra"), self.contact_points)
        wform.addRow(self.tr("Sprog"), self.language)
        wform.addRow(self.tr("Udseende"), self.look)
        layout.addWidget(work)

        self.keyring_note = QLabel(self)
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        if keyring_problem():
            self.keyring_note.setText(
                self.tr(
                    "<b>Ingen nøglering fundet.</b> Denne computer har ingen sikker "
                    "adgangskode-opbevaring (keyring), så adgangskoder kan ikke gemmes. "
                    "Bed IT om at aktivere Windows Credential Manager, macOS Keychain eller "
                    "Secret Service (GNOME Keyring/KWallet) – Postfordeler gemmer aldrig "
                    "adgangskoder i en almindelig fil."
                )
            )
            self.password.setEnabled(False)
        self.keyring_note.setVisible(bool(self.keyring_note.text()))
        layout.addWidget(self.keyring_note)

        self.restart_note = QLabel(
            self.tr("Nye forbindelser bruges, når Postfordeler startes igen."), self
        )
        self.restart_note.setStyleSheet("color: gray")
        layout.addWidget(self.restart_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Gem"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annullér"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _line(self, value: str, placeholder: str, name: str) -> QLineEdit:
        edit = QLineEdit(value, self)
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(name)
        return edit

    def _browse_ca(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Vælg CA-fil"),
            self.ca_bundle.text(),
            self.tr("PEM-certifikater (*.pem *.crt *.cer)"),
        )
        if name:
            self.ca_bundle.setText(name)

    def result_settings(self) -> Settings:
        cvr = self.cvr.text().strip().strip("_")
        return Settings(
            gateway_url=self.gateway.text().strip(),
            dubu_url=self.dubu.text().strip(),
            dubu_data=self.settings.dubu_data,
            ca_bundle=self.ca_bundle.text().strip(),
            municipality_cvr=cvr,
            user=self.user.text().strip(),
            contact_points=self.contact_points.currentData(),
            language=self.language.currentData(),
            dark=self.look.currentData(),
        )

    def store_secrets(self, settings: Settings) -> list[str]:
        """Put typed secrets in the keyring; returns what could not be stored (Danish)."""
        problems = []
        pairs = []
        if self.password.text() and settings.user:
            pairs.append((f"gateway:{settings.user}", self.password.text()))
        for key, secret in pairs:
            try:
                keyring = None if keyring_problem() else secure_keyring()
                if keyring is None:
                    raise RuntimeError("no secure keyring")
                keyring.set_password(KEYRING_SERVICE, key, secret)
            except Exception as exc:
                log.warning("keyring write failed: %s", type(exc).__name__)
                problems.append(
                    self.tr("Adgangskoden kunne ikke gemmes i nøgleringen (%1).").replace(
                        "%1", type(exc).__name__
                    )
                )
        return problems
