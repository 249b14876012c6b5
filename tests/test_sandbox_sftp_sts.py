"""The sandbox runner starts Serviceplatformen's SFTP server and STS: the ready line names them
and the files it lists are enough for the gateway's uploader and token client."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import uuid
from pathlib import Path

import httpx

from app.decisions import Forward
from app.dubu.sf2900_client import (
    LetterHeader,
    document_parts,
)
from app.dubu.sf2900_delivery import (
    PartUpload,
    Sf2900Delivery,
    Sf2900Settings,
)
from app.dubu.sftp_upload import SftpConfig, document_file_uuid, sagsdokument_name, upload_document
from app.dubu.sts_client import StsClient, StsConfig
from app.sandbox.runner import SandboxConfig, start_sandbox


def test_sandbox_serves_sftp_and_sts(tmp_path):
    doc = tmp_path / "brev.pdf"
    doc.write_bytes(b"%PDF-1.7 sandbox\n" * 100)

    async def main():
        running = await start_sandbox(
            SandboxConfig(data_dir=tmp_path / "sb", push_messages=False, store_in_keyring=False)
        )
        try:
            ep = running.endpoints
            assert ep["sftp"].startswith("sftp://127.0.0.1:")
            assert ep["sts"].startswith("https://127.0.0.1:")
            port = int(ep["sftp"].rsplit(":", 1)[1])
            name = sagsdokument_name(ep["sftp_user"], document_file_uuid(uuid.uuid4(), 0), "PDF")
            up = await upload_document(
                SftpConfig(
                    host="127.0.0.1",
                    port=port,
                    username=ep["sftp_user"],
                    private_key=Path(ep["sftp_key"]),
                    known_hosts=Path(ep["sftp_known_hosts"]),
                    timeout=20,
                ),
                doc,
                name,
            )
            assert running.sftp_sts is not None
            info = running.sftp_sts.sftp.file_info(ep["sftp_user"], name)
            assert info is not None and (info.size, info.sha256) == (up.size, up.sha256)

            ctx = ssl.create_default_context(cafile=ep["sts_ca"])
            ctx.load_cert_chain(ep["sts_foces_cert"], ep["sts_foces_key"])
            client = StsClient(
                StsConfig(
                    url=ep["sts"],
                    signing_certificate=Path(ep["sts_signing_cert"]).read_bytes(),
                    cvr=running.municipality_cvr,
                ),
                ctx,
            )
            token = await client.token()
            client.close()
            assert token.cvr == running.municipality_cvr
        finally:
            await running.stop()

    asyncio.run(main())


def test_sandbox_wires_sf2900_as_published(tmp_path):
    """The ready line's files are enough for `Sf2900Delivery`: upload to the sandbox SFTP, token
    from the sandbox STS, SOAP to the HTTPS SF2900 endpoint (client certificate), and the
    inspection URL (HTTPS, sandbox CA, no client certificate) shows the object with the
    sha256 of the uploaded file; SF2900 calls the gateway's callback URL back."""
    decision_id = str(uuid.uuid4())

    async def main():
        running = await start_sandbox(
            SandboxConfig(data_dir=tmp_path / "sb", push_messages=False, store_in_keyring=False)
        )
        try:
            ep = running.endpoints
            assert ep["sf2900_tls"].startswith("https://127.0.0.1:")
            assert ep["sf2900_received"].startswith("https://127.0.0.1:")
            assert ep["sf2900_callback"].startswith(ep["gateway"])
            assert running.sf2900.callback_url == ep["sf2900_callback"]
            cvr = running.municipality_cvr
            settings = Sf2900Settings(
                service_url=ep["sf2900_tls"],
                municipality_cvr=cvr,
                sftp=SftpConfig(
                    host="127.0.0.1",
                    port=int(ep["sftp"].rsplit(":", 1)[1]),
                    username=ep["sftp_user"],
                    private_key=Path(ep["sftp_key"]),
                    known_hosts=Path(ep["sftp_known_hosts"]),
                    timeout=20,
                ),
                sts=StsConfig(
                    url=ep["sts"],
                    signing_certificate=Path(ep["sts_signing_cert"]).read_bytes(),
                    cvr=cvr,
                ),
                ca_file=Path(ep["tls_ca"]),
                client_cert=Path(ep["municipality_cert"]),
                client_key=Path(ep["municipality_key"]),
            )
            data = b"%PDF-1.7 afgoerelse\n" * 50
            async with Sf2900Delivery(settings) as delivery:
                part = PartUpload(decision_id, 0, "brev.pdf", "application/pdf", content=data)
                remote = delivery.remote_file(part, await delivery.upload(part))
                (doc,) = document_parts(
                    Forward(kle="27.24.00"),
                    decision_id=decision_id,
                    user=None,
                    letter=LetterHeader(None, "Brev", None),
                    files=[remote],
                    case=None,
                )
                result = await delivery.send(doc)
            assert result.status == "MODTAGET" and result.distribution_transaktions_id
            async with httpx.AsyncClient(
                verify=ssl.create_default_context(cafile=ep["tls_ca"])
            ) as c:
                received = (await c.get(ep["sf2900_received"])).json()
            (rec,) = received
            assert rec["anvender_transaktions_id"] == decision_id
            assert rec["sftp_file_sha256"] == hashlib.sha256(data).hexdigest()
            assert rec["sent_digitalpost_meddelelses_id"] is False
            # without a client certificate the SOAP endpoint refuses the call
            async with httpx.AsyncClient(
                verify=ssl.create_default_context(cafile=ep["tls_ca"])
            ) as c:
                resp = await c.post(ep["sf2900_tls"], content=b"<x/>")
            assert resp.status_code == 500 and b"SP-CERTIFIKAT" in resp.content
        finally:
            await running.stop()

    asyncio.run(main())
