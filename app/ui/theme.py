"""Light/dark palette: follow the OS (Qt 6 color scheme) or force one; Fusion style so the
palette applies the same on every platform. Pure presentation, no state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d30"), QColor("#dfe1e5")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#26282b"),
        QPalette.ColorRole.ToolTipBase: window,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#3c3f41"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Highlight: QColor("#2f65ca"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#6ea8fe"),
        QPalette.ColorRole.PlaceholderText: QColor("#8c8f94"),
        QPalette.ColorRole.Mid: QColor("#4a4d50"),
        QPalette.ColorRole.Midlight: QColor("#3c3f41"),
        QPalette.ColorRole.Dark: QColor("#191a1c"),
        QPalette.ColorRole.Light: QColor("#505355"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7275"))
    return p


def os_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication, mode: str = "auto") -> bool:
    """Apply the palette; returns True when dark."""
    app.setStyle("Fusion")
    dark = mode == "dark" or (mode == "auto" and os_prefers_dark())
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    for widget in app.allWidgets():  # style sheets freeze colours when set: redo panels
        if widget.property(PANEL_PROPERTY):
            style_panel(widget)
        elif widget.property(RECOLOUR_PROPERTY):  # widgets that set a palette colour
            recolour = getattr(widget, "recolour", None)
            if callable(recolour):
                recolour()
    return dark


PANEL_PROPERTY = "postfordelerPanel"
RECOLOUR_PROPERTY = "postfordelerRecolour"  # has recolour(): called after a live switch
ALERT_LIGHT, ALERT_DARK = QColor("#c0392b"), QColor("#ff8a80")


def is_dark() -> bool:
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def alert_color(dark: bool | None = None) -> QColor:
    """Red for overdue and failed items, readable on the current palette's base and on its
    blue selection (a light red in dark mode). Asked at paint time, so a live switch shows."""
    return QColor(ALERT_DARK if (is_dark() if dark is None else dark) else ALERT_LIGHT)


def style_panel(widget: QWidget) -> None:
    """A framed note (demo banner, forward box) in the current palette's colours."""
    palette = QApplication.palette()
    background = palette.color(QPalette.ColorRole.AlternateBase).name()
    border = palette.color(QPalette.ColorRole.Highlight).name()
    text = palette.color(QPalette.ColorRole.WindowText).name()
    widget.setProperty(PANEL_PROPERTY, True)
    widget.setStyleSheet(
        f"#{widget.objectName()} {{ background: {background}; color: {text};"
        f" border: 1px solid {border}; padding: 6px 8px;"
        f" border-radius: 4px; }}"
    )
