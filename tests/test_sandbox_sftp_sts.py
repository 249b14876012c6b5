"""The sandbox runner starts Serviceplatformen's SFTP server and STS: the ready line names them
and the files it lists are enough for the gateway's uploader and token client."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from pathlib import Path

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
