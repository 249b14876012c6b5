"""The machine-wide configuration IT deploys: one TOML file per PC, read-only for users.

Windows: `%ProgramData%\\Postfordeler\\config.toml`; elsewhere `/etc/postfordeler/config.toml`;
`$POSTFORDELER_MACHINE_CONFIG` names another file (tests, staging). Two tables, whose keys are
the client settings' own field names (`app.client_settings.Settings`, declared once there):

    [settings]   # fixed by IT: the user sees them read-only
    gateway_url = "https://postserver.kommune.dk"
    ca_bundle = "/etc/postfordeler/kommune-ca.pem"
    municipality_cvr = "12345678"
    idp_url = "https://login.kommune.dk/adfs"
    idp_client_id = "postfordeler"

    [defaults]   # pre-filled, the user may change them
    contact_points = "retursvar"

No file: nothing fixed. A file that cannot be read or parsed fixes nothing and is reported
(`MachineConfig.error`, shown by `--self-test` and logged). Secrets never belong here: a key
that looks like one is refused. Qt-free.
"""

from __future__ import annotations

import logging
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app.client_settings import FIELD_NAMES

log = logging.getLogger("postfordeler.config")

ENV_MACHINE_CONFIG = "POSTFORDELER_MACHINE_CONFIG"
_SECRET_WORDS = ("password", "secret", "token", "key", "adgangskode")


def machine_config_path() -> Path:
    override = os.environ.get(ENV_MACHINE_CONFIG)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA") or r"C:\ProgramData"
        return Path(base) / "Postfordeler" / "config.toml"
    return Path("/etc/postfordeler/config.toml")


@dataclass(frozen=True)
class MachineConfig:
    path: Path
    fixed: dict[str, str] = field(default_factory=dict)  # field name → value IT fixed
    defaults: dict[str, str] = field(default_factory=dict)  # field name → pre-filled value
    error: str = ""  # Danish, one sentence; "" when the file is fine or absent
    found: bool = False


def load_machine_config(path: Path | None = None) -> MachineConfig:
    """Read the machine file; keys other than the settings' field names are refused."""
    path = path or machine_config_path()
    names = set(FIELD_NAMES)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return MachineConfig(path)
    except OSError as exc:
        return _broken(path, f"kan ikke læses ({type(exc).__name__})")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return _broken(path, f"er ikke gyldig TOML ({exc})")
    tables: dict[str, dict[str, str]] = {"settings": {}, "defaults": {}}
    for table, target in tables.items():
        values = data.get(table, {})
        if not isinstance(values, dict):
            return _broken(path, f"[{table}] skal være en tabel")
        for key, value in values.items():
            if any(word in key.lower() for word in _SECRET_WORDS) and key not in names:
                return _broken(path, f"må ikke indeholde hemmeligheder ({table}.{key})")
            if key not in names:
                return _broken(path, f"har en ukendt indstilling: {table}.{key}")
            if not isinstance(value, str | int):
                return _broken(path, f"{table}.{key} skal være en tekst")
            target[key] = str(value)
    unknown = sorted(set(data) - set(tables))
    if unknown:
        return _broken(path, f"har en ukendt tabel: [{unknown[0]}]")
    return MachineConfig(path, tables["settings"], tables["defaults"], found=True)


def _broken(path: Path, what: str) -> MachineConfig:
    error = f"Maskinens konfigurationsfil {path} {what}; ingen værdier fra den bruges."
    log.error("machine config %s ignored: %s", path, what)
    return MachineConfig(path, error=error, found=True)
