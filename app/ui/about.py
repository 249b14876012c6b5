"""The Help menu and the About dialog (version, build date, commit; Danish, English by `tr`).

`install_help_menu` puts "Hjælp" on the window's menu bar with the shortcut list (F1) and
"Om Postfordeler"; the dialog only shows `app.version.build_info()` and never touches the network.
"""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from app.resources import resource
from app.version import BuildInfo, build_info


def app_icon() -> QIcon:
    """The Postfordeler icon (resources/icons), empty if the file is missing."""
    try:
        return QIcon(str(resource("icons", "postfordeler.png")))
    except FileNotFoundError:
        return QIcon()


class AboutDialog(QDialog):
    def __init__(self, info: BuildInfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = info or build_info()
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("Om Postfordeler"))
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(64, 64) if not app_icon().isNull() else QPixmap())
        top.addWidget(icon)
        title = QLabel("<h2>Postfordeler</h2>", self)
        top.addWidget(title, 1)
        layout.addLayout(top)
        built = (
            self.tr("Bygget %1").replace("%1", info.build_date)
            if info.build_date
            else self.tr("Kørt fra kildekode (ikke en installeret udgave)")
        )
        self.version_label = QLabel(self.tr("Version %1").replace("%1", info.version), self)
        self.version_label.setObjectName("aboutVersion")
        self.build_label = QLabel(built, self)
        self.build_label.setObjectName("aboutBuild")
        self.commit_label = QLabel(
            self.tr("Commit %1").replace("%1", info.commit or self.tr("ukendt")), self
        )
        self.commit_label.setObjectName("aboutCommit")
        for label in (self.version_label, self.build_label, self.commit_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        about = QLabel(
            self.tr(
                "Modtag, fordel og journalisér indgående Digital Post til DUBU. "
                "Licens: EUPL-1.2. Qt %1, PySide6 %2."
            )
            .replace("%1", qVersion())
            .replace("%2", pyside_version),
            self,
        )
        about.setWordWrap(True)
        about.setStyleSheet("color: gray")
        layout.addWidget(about)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Luk"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)


def install_help_menu(window: QMainWindow, shortcuts: QAction) -> QAction:
    """The "Hjælp" menu (shortcut list, About); returns the About action."""
    menu = window.menuBar().addMenu(QCoreApplication.translate("AboutDialog", "&Hjælp"))
    menu.setObjectName("helpMenu")
    menu.addAction(shortcuts)
    menu.addSeparator()
    about = QAction(QCoreApplication.translate("AboutDialog", "Om Postfordeler…"), window)
    about.setObjectName("about")
    about.setMenuRole(QAction.MenuRole.AboutRole)

    def show() -> None:
        dialog = AboutDialog(parent=window)
        dialog.open()
        window.active_dialog = dialog  # type: ignore[attr-defined]  # kept alive while open

    about.triggered.connect(show)
    menu.addAction(about)
    return about
