"""The sandbox's Serviceplatformen SFTP server and STS, started together for the runner.

`start_sftp_and_sts(data_dir, ...)` prepares `<data_dir>/sftp` (server root, host key, the
municipality's test SSH key `client_ed25519` (0600) and a `known_hosts` pinning the server) and
`<data_dir>/sts` (the test PKI of app/sandbox/sts_pki.py), starts both and returns them with
the ready-line entries: `"sftp"` (`sftp://127.0.0.1:PORT`), `"sts"` (the token URL) and the
files a gateway needs to use them (SSH key, known_hosts, SFTP user; STS CA, signing
certificate, FOCES certificate and key).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from app.sandbox.sftp_server import (
    SandboxSftpServer,
    SftpServerConfig,
    load_or_create_key,
)
from app.sandbox.sts import SandboxSts, StsServerConfig, registered_certificates, start_sts
from app.sandbox.sts_pki import write_sts_pki

SANDBOX_SFTP_USER = "POSTFORDELER_SIMPELSFTP"  # the spec's "[AFSENDERSYSTEM]_SIMPELSFTP"


@dataclass
class SftpAndSts:
    sftp: SandboxSftpServer
    sts: SandboxSts
    endpoints: dict[str, Any]

    async def stop(self) -> None:
        for part in (self.sts, self.sftp):
            with contextlib.suppress(Exception):
                await part.stop()


async def start_sftp_and_sts(
    data_dir: Path,
    municipality_cvr: str,
    *,
    host: str = "127.0.0.1",
    sftp_port: int = 0,
    sts_port: int = 0,
) -> SftpAndSts:
    sftp_dir = data_dir / "sftp"
    client_key_path = sftp_dir / "client_ed25519"
    client_key = load_or_create_key(client_key_path)
    sftp = SandboxSftpServer(
        SftpServerConfig(
            root=sftp_dir / "root",
            users={SANDBOX_SFTP_USER: [client_key.export_public_key().decode("ascii")]},
            host=host,
            port=sftp_port,
        )
    )
    await sftp.start()
    try:
        known_hosts = sftp.write_known_hosts(sftp_dir / "known_hosts")
        pki = write_sts_pki(data_dir / "sts", municipality_cvr, host)
        foces = x509.load_pem_x509_certificate(pki.foces_cert.read_bytes())
        sts = await start_sts(
            StsServerConfig(
                tls_cert=pki.tls_cert,
                tls_key=pki.tls_key,
                client_ca=pki.ca_cert,
                signing_cert=pki.signing_cert,
                signing_key=pki.signing_key,
                registered=registered_certificates([foces]),
            ),
            host,
            sts_port,
        )
    except BaseException:
        await sftp.stop()
        raise
    endpoints: dict[str, Any] = {
        "sftp": sftp.url,
        "sftp_user": SANDBOX_SFTP_USER,
        "sftp_key": str(client_key_path),
        "sftp_known_hosts": str(known_hosts),
        "sts": sts.url,
        "sts_ca": str(pki.ca_cert),
        "sts_signing_cert": str(pki.signing_cert),
        "sts_foces_cert": str(pki.foces_cert),
        "sts_foces_key": str(pki.foces_key),
    }
    return SftpAndSts(sftp, sts, endpoints)
