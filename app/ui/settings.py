"""Client settings, declared once (`app.client_settings.Settings`): a schema version with
upgrades, stored per user in an ini file under the data dir (QSettings), separate from window
geometry, and layered under the machine-wide file IT deploys (`app.machine_config`): its
`[defaults]` fill what the user has not set, its `[settings]` win and are never saved per user.

Secrets are never stored here: the gateway secret lives in the OS keyring (`postfordeler` /
`gateway:{user}`). The client has no SF2900 endpoint and no municipality certificate any more
(schema 2): the gateway delivers the decisions to SF2900.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from app import paths
from app.client_settings import CONTACT_POINT_MODES, Settings
from app.machine_config import MachineConfig, load_machine_config

SCHEMA_VERSION = 2
KEYRING_SERVICE = "postfordeler"
__all__ = ["CONTACT_POINT_MODES", "KEYRING_SERVICE", "SCHEMA_VERSION", "Settings", "load", "save"]


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


def load(store: QSettings | None = None, machine: MachineConfig | None = None) -> Settings:
    store = store or qsettings()
    machine = machine if machine is not None else load_machine_config()
    _upgrade(store)
    values = dict(machine.defaults)
    for f in fields(Settings):
        value = store.value(f"settings/{f.name}")
        if value is not None:
            values[f.name] = str(value)
    values.update(machine.fixed)  # what IT fixed wins over the user's own value
    settings = Settings(**values)
    if settings.contact_points not in CONTACT_POINT_MODES:
        settings.contact_points = "both"
    if settings.language not in ("da", "en"):
        settings.language = "da"
    return settings


def save(
    settings: Settings, store: QSettings | None = None, machine: MachineConfig | None = None
) -> None:
    """Write the user's settings; values IT fixed are not the user's and are not written (so
    they follow the machine file when IT changes or lifts them)."""
    store = store or qsettings()
    machine = machine if machine is not None else load_machine_config()
    for key, value in asdict(settings).items():
        if key in machine.fixed:
            store.remove(f"settings/{key}")
        else:
            store.setValue(f"settings/{key}", value)
    store.setValue("meta/schema", SCHEMA_VERSION)
    store.sync()
