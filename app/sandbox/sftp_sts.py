"""The sandbox's Serviceplatformen SFTP server and STS, started together for the runner.

`start_sftp_and_sts(data_dir, municipality_cvr, certs=...)` prepares `<data_dir>/sftp` (server
root, host key, the municipality's test SSH key `client_ed25519` (0600) and a `known_hosts`
pinning the server), starts the SFTP server and the STS and returns them with the ready-line
entries: `"sftp"` (`sftp://127.0.0.1:PORT`), `"sts"` (the token URL) and the files a gateway
needs to use them (SSH key, known_hosts, SFTP user, the SFTP root the SF2900 sandbox checks;
STS CA, signing certificate, FOCES certificate and key).

Every certificate comes from the sandbox's one test CA (`SandboxCertificates`,
app/sandbox/certs.py): the STS serves HTTPS with the sandbox server certificate, admits client
certificates of that CA, signs assertions with `sts-signing.pem` and issues tokens only for the
municipality's FOCES-like certificate (`municipality.pem`). Without `certs` the PKI is created
in `<data_dir>/tls`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from app.sandbox.certs import SandboxCertificates
from app.sandbox.sftp_server import (
    SandboxSftpServer,
    SftpServerConfig,
    load_or_create_key,
)
from app.sandbox.sts import SandboxSts, StsServerConfig, registered_certificates, start_sts

SANDBOX_SFTP_USER = "POSTFORDELER_SIMPELSFTP"  # the spec's "[AFSENDERSYSTEM]_SIMPELSFTP"


@dataclass
class SftpAndSts:
    sftp: SandboxSftpServer
    sts: SandboxSts
    endpoints: dict[str, Any]
    certificates: SandboxCertificates

    async def stop(self) -> None:
        for part in (self.sts, self.sftp):
            with contextlib.suppress(Exception):
                await part.stop()


def sts_server_config(certs: SandboxCertificates) -> StsServerConfig:
    """The sandbox STS on the sandbox PKI: tokens for the municipality certificate only."""
    foces = x509.load_pem_x509_certificate(certs.municipality.cert.read_bytes())
    return StsServerConfig(
        tls_cert=certs.server.cert,
        tls_key=certs.server.key,
        client_ca=certs.ca,
        signing_cert=certs.sts_signing.cert,
        signing_key=certs.sts_signing.key,
        registered=registered_certificates([foces]),
    )


async def start_sftp_and_sts(
    data_dir: Path,
    municipality_cvr: str,
    *,
    host: str = "127.0.0.1",
    sftp_port: int = 0,
    sts_port: int = 0,
    certs: SandboxCertificates | None = None,
) -> SftpAndSts:
    if certs is None:
        certs = await asyncio.to_thread(
            SandboxCertificates.ensure, data_dir / "tls", municipality_cvr=municipality_cvr
        )
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
        sts = await start_sts(sts_server_config(certs), host, sts_port)
    except BaseException:
        await sftp.stop()
        raise
    endpoints: dict[str, Any] = {
        "sftp": sftp.url,
        "sftp_user": SANDBOX_SFTP_USER,
        "sftp_key": str(client_key_path),
        "sftp_known_hosts": str(known_hosts),
        "sftp_root": str(sftp.root),
        "sts": sts.url,
        "sts_ca": str(certs.ca),
        "sts_signing_cert": str(certs.sts_signing.cert),
        "sts_foces_cert": str(certs.municipality.cert),
        "sts_foces_key": str(certs.municipality.key),
    }
    return SftpAndSts(sftp, sts, endpoints, certs)
