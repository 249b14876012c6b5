"""The client's settings, declared once: typed fields with their defaults (Qt-free).

`app.ui.settings` stores them per user (QSettings, with schema upgrades); `app.machine_config`
lets IT fix or pre-fill any of them machine-wide by these same field names. No secret is ever
a setting: the gateway secret lives in the OS keyring.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

CONTACT_POINT_MODES = ("both", "retursvar", "nyhenvendelser")


@dataclass
class Settings:
    gateway_url: str = ""
    dubu_url: str = ""
    dubu_data: str = ""  # optional DUBU extract for offline suggestions
    ca_bundle: str = ""  # PEM file the gateway's TLS certificate must chain to; "" = system store
    municipality_cvr: str = ""
    idp_url: str = ""  # the municipality's identity provider (issuer / authority URL)
    idp_client_id: str = ""  # Postfordeler's client id at the identity provider
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


FIELD_NAMES = tuple(f.name for f in fields(Settings))
