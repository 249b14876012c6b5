"""Client settings, declared once: typed fields, a schema version with upgrades, stored in an
ini file under the data dir (QSettings), separate from window geometry.

Secrets are never stored here: the gateway secret lives in the OS keyring (`postfordeler` /
`gateway:{user}`). The client has no SF2900 endpoint and no municipality certificate any more
(schema 2): the gateway delivers the decisions to SF2900.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from app import paths

SCHEMA_VERSION = 2
KEYRING_SERVICE = "postfordeler"
CONTACT_POINT_MODES = ("both", "retursvar", "nyhenvendelser")


@dataclass
class Settings:
    gateway_url: str = ""
    dubu_url: str = ""
    dubu_data: str = ""  # optional DUBU extract for offline suggestions
    ca_bundle: str = ""  # PEM file the gateway's TLS certificate must chain to; "" = system store
    municipality_cvr: str = ""
    user: str = ""
    contact_points: str = "both"  # which contact points this client receives
    language: str = "da"  # "da" (default) or "en"
    dark: str = "auto"  # "auto" (follow the OS), "light", "dark"

    @property
    def configured(self) -> bool:
        """With no gateway configured, the app runs the demo sandbox."""
        return bool(self.gateway_url.strip())

    def endpoints(self) -> dict[str, str]:
        out = {
            "gateway": self.gateway_url,
            "dubu": self.dubu_url,
            "municipality_cvr": self.municipality_cvr,
            "user": self.user,
            "tls_ca": self.ca_bundle,
        }
        return {k: v for k, v in out.items() if v}


# Window state, kept apart from the typed settings above (same ini file, "window/" group):
# restored at start, saved on close, removed by "Nulstil vinduets layout".
WINDOW_GEOMETRY = "window/geometry"
WINDOW_SPLITTER = "window/splitter"
WINDOW_INBOX_HEADER = "window/inboxHeader"
WINDOW_COLUMNS_FITTED = "window/columnsFitted"  # widths fitted to the pane, not dragged
WINDOW_VIEW = "window/view"
WINDOW_KEYS = (
    WINDOW_GEOMETRY,
    WINDOW_SPLITTER,
    WINDOW_INBOX_HEADER,
    WINDOW_COLUMNS_FITTED,
    WINDOW_VIEW,
)


def settings_file() -> Path:
    return paths.sub("client") / "settings.ini"


def qsettings() -> QSettings:
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


def _upgrade(store: QSettings) -> None:
    version = int(store.value("meta/schema", 0) or 0)
    if version < 1:
        # v0 had no language key and used "gateway" for the URL (pre-release layout).
        old = store.value("endpoints/gateway")
        if old and not store.value("settings/gateway_url"):
            store.setValue("settings/gateway_url", old)
            store.remove("endpoints/gateway")
    if version < 2:
        # v1 named SF2900 and the municipality's PKCS#12 on every PC; the gateway owns both now.
        store.remove("settings/sf2900_url")
        store.remove("settings/certificate_path")
    store.setValue("meta/schema", SCHEMA_VERSION)


def load(store: QSettings | None = None) -> Settings:
    store = store or qsettings()
    _upgrade(store)
    values = {}
    for f in fields(Settings):
        value = store.value(f"settings/{f.name}")
        if value is not None:
            values[f.name] = str(value)
    settings = Settings(**values)
    if settings.contact_points not in CONTACT_POINT_MODES:
        settings.contact_points = "both"
    if settings.language not in ("da", "en"):
        settings.language = "da"
    return settings


def save(settings: Settings, store: QSettings | None = None) -> None:
    store = store or qsettings()
    for key, value in asdict(settings).items():
        store.setValue(f"settings/{key}", value)
    store.setValue("meta/schema", SCHEMA_VERSION)
    store.sync()
