"""SF2900 as published, end to end against the REAL sandbox parts on loopback: the gateway's
`Sf2900Delivery` uploads each file by SFTP (asyncssh, key auth, the spec's name) before the SOAP
call, then sends one DOKUMENT per file (+ the journal note as a JOURNALPOST) over mutual TLS
with a SAML token from the sandbox STS (FOCES certificate of the sandbox's test CA); the SF2900
sandbox checks the token and the named SFTP file and answers the technical receipt MODTAGET
with a DistributionTransaktionsID. No mocks: every server is the real one."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.decisions import Assign, Forward, Journalise, JournalNote
from app.dubu.directory import CaseInfo
from app.dubu.sf2900_client import (
    LetterHeader,
    RemoteFile,
    Sf2900JournalNote,
    Sf2900Unavailable,
    document_parts,
    part_title,
    part_transaction_id,
)
from app.dubu.sf2900_delivery import (
    PartUpload,
    Sf2900Delivery,
    Sf2900Settings,
    Sf2900TooLarge,
)
from app.dubu.sftp_upload import SftpConfig, SftpUploadError
from app.dubu.sts_client import StsClient, StsConfig
from app.sandbox.certs import SandboxCertificates
from app.sandbox.sf2900_service import Sf2900Service
from app.sandbox.sftp_sts import SANDBOX_SFTP_USER, SftpAndSts, start_sftp_and_sts

CVR = "29189854"
CASE = CaseInfo(
    id="0534211d-a32c-413a-9543-b5a068faf9e1",
    number="27.24.00-G01-14547-26",
    title="Børnesag",
    kle="27.24.00",
    child_cpr="",
    child_name="",
    parties=(),
    caseworker=None,
    status="open",
    opened=date(2026, 1, 5),
    closed=None,
)
LETTER = LetterHeader(
    message_uuid="0376b2ed-3498-4334-9bfc-ad52706225fd",
    title="Svar på indkaldelse",
    letter_date=date(2026, 11, 20),
)
FILES = [
    ("brev.pdf", "application/pdf", b"%PDF-1.7 hovedbrev\n" * 2000),
    (
        "bilag.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04 bilag" * 300,
    ),
    ("foto.tif", "image/tiff", b"II*\x00" + bytes(range(256)) * 40),
]


def server_context(certs: SandboxCertificates) -> ssl.SSLContext:
    """HTTPS for the SF2900 sandbox: the sandbox server certificate, client certificates of the
    sandbox CA required (Serviceplatformen's TransportBinding RequireClientCertificate)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs.ca))
    ctx.load_cert_chain(str(certs.server.cert), str(certs.server.key))
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


@dataclass
class Parts:
    certs: SandboxCertificates
    sftp_sts: SftpAndSts
    sf2900: Sf2900Service

    def settings(self, **kw: Any) -> Sf2900Settings:
        ep = self.sftp_sts.endpoints
        args: dict[str, Any] = {
            "service_url": self.sf2900.service_url,
            "municipality_cvr": CVR,
            "sftp": SftpConfig(
                host="127.0.0.1",
                port=self.sftp_sts.sftp.port,
                username=ep["sftp_user"],
                private_key=Path(ep["sftp_key"]),
                known_hosts=Path(ep["sftp_known_hosts"]),
                timeout=30,
            ),
            "auth": "sts",
            "sts": StsConfig(
                url=self.sftp_sts.sts.url,
                signing_certificate=self.certs.sts_signing.cert.read_bytes(),
                cvr=CVR,
            ),
            "ca_file": self.certs.ca,
            "client_cert": self.certs.municipality.cert,
            "client_key": self.certs.municipality.key,
            "timeout": 20.0,
        }
        args.update(kw)
        return Sf2900Settings(**args)


def run(tmp_path: Path, body: Callable[[Parts], Awaitable[None]], **service_kw: Any) -> None:
    async def main() -> None:
        certs = await asyncio.to_thread(
            SandboxCertificates.ensure, tmp_path / "tls", municipality_cvr=CVR
        )
        sftp_sts = await start_sftp_and_sts(tmp_path, CVR, certs=certs)
        kw: dict[str, Any] = {
            "municipality_cvr": CVR,
            "sftp_root": sftp_sts.sftp.root,
            "sftp_user": SANDBOX_SFTP_USER,
            "sts_signing_cert": certs.sts_signing.cert.read_bytes(),
            "require_token": True,
        }
        kw.update(service_kw)
        sf2900 = Sf2900Service(**kw)
        await sf2900.start(ssl_context=server_context(certs))
        try:
            await body(Parts(certs, sftp_sts, sf2900))
        finally:
            await sf2900.stop()
            await sftp_sts.stop()

    asyncio.run(main())


def uploads(decision_id: str) -> list[PartUpload]:
    return [
        PartUpload(decision_id, i, name, mime, content=data)
        for i, (name, mime, data) in enumerate(FILES)
    ]


async def upload_all(delivery: Sf2900Delivery, decision_id: str) -> list[RemoteFile]:
    out = []
    for part in uploads(decision_id):
        uploaded = await delivery.upload(part)
        out.append(delivery.remote_file(part, uploaded))
    return out


def test_a_three_file_decision_is_three_dokuments_and_a_journalpost(tmp_path):
    decision_id = str(uuid.uuid4())
    decision = Journalise(CASE.id, CASE.number, note=JournalNote(CASE.id, "Mor ringede – æøå."))

    async def body(p: Parts) -> None:
        async with Sf2900Delivery(p.settings()) as delivery:
            remote = await upload_all(delivery, decision_id)
            parts = document_parts(
                decision,
                decision_id=decision_id,
                user="fordeler@fjordby",
                letter=LETTER,
                files=remote,
                case=CASE,
            )
            assert [type(x).__name__ for x in parts] == ["Sf2900Document"] * 3 + [
                "Sf2900JournalNote"
            ]
            results = [await delivery.send(x) for x in parts]
            # the synchronous answer is only the technical receipt, with Serviceplatformen's id
            assert {(r.status, r.kvitteringstype, r.ok) for r in results} == {
                ("MODTAGET", "Teknisk", True)
            }
            # a retry of the same part is DUPLIKAT = success, recorded once
            again = await delivery.send(parts[0])
            assert again.ok and again.duplicate
            assert delivery.sts is not None and delivery.sts.fetches == 1  # one token, cached
        received = {r["anvender_transaktions_id"]: r for r in p.sf2900.received()}
        ids = [part_transaction_id(decision_id, n) for n in range(4)]
        assert ids[0] == decision_id and list(received) == ids
        assert [received[i]["distribution_transaktions_id"] for i in ids] == [
            r.distribution_transaktions_id for r in results
        ]
        assert all(r.distribution_transaktions_id for r in results)
        docs = [received[i] for i in ids[:3]]
        for n, (doc, (name, _mime, data)) in enumerate(zip(docs, FILES, strict=True)):
            assert doc["type"] == "DOKUMENT" and doc["sag_forslag"] == CASE.id
            fil = doc["dokument_fil_navn"]
            assert fil == remote[n].remote_name
            assert fil.startswith(f"{SANDBOX_SFTP_USER}_SAGSDOKUMENT_")
            assert doc["sftp_file_sha256"] == hashlib.sha256(data).hexdigest()
            assert doc["sent_digitalpost_meddelelses_id"] is False
            assert doc["notat_is_base64"] is None
            assert len(doc["files"]) == 1
            f = doc["files"][0]
            assert (f["name"], f["size"]) == (name, len(data))
            assert doc["Titel"] == part_title(LETTER.title, n, 3, name)
            assert doc["Fremdrift"] == "Endeligt" and doc["Retning"] == "Indgaaende"
        assert [d["files"][0]["variant_type"] for d in docs] == ["PDF", "Word", "TIFF"]
        assert docs[0]["Titel"] == "Svar på indkaldelse (hoveddokument 1 af 3: brev.pdf)"
        assert docs[1]["Titel"] == "Svar på indkaldelse (bilag 2 af 3: bilag.docx)"
        note = received[ids[3]]
        assert note["type"] == "JOURNALPOST" and note["sag_forslag"] == CASE.id
        assert note["notat_is_base64"] is True
        assert note["journal_note_text"] == "Mor ringede – æøå."
        assert note["dokument_fil_navn"] is None and note["sftp_file_sha256"] is None
        assert note["DokumentRef"] == received[ids[0]]["ID"]  # the note is on the main document
        assert p.sf2900.token_calls == 5 and p.sf2900.duplicates == 1
        assert p.sftp_sts.sts.issued == 1

    run(tmp_path, body)


def test_the_soap_call_names_the_file_and_carries_no_filled_in_fields(tmp_path):
    """The envelope itself: DokumentFilNavn, no Indhold, no DigitalPostMeddelelsesID or
    DistributionTransaktionsID, no ImportTidspunkt, no AuthorityContext in token mode."""
    decision_id = str(uuid.uuid4())

    async def body(p: Parts) -> None:
        async with Sf2900Delivery(p.settings()) as delivery:
            remote = await upload_all(delivery, decision_id)
            (doc, *_rest) = document_parts(
                Assign("cw-1", case_id=CASE.id, case_number=CASE.number),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote,
                case=CASE,
            )
            client = delivery.client
            xml = etree.tostring(
                client.create_message("FordelingsobjektAfsend", **client.afsend_kwargs(doc))
            ).decode()
            assert f"DokumentFilNavn>{remote[0].remote_name}<" in xml
            assert ":ObjektIndhold>" in xml and ":DelAttributter>" in xml  # the check is real
            for absent in (
                "Indhold",
                "DigitalPostMeddelelsesID",
                "DistributionTransktionsID",
                "ImportTidspunkt",
                "AuthorityContext",
            ):
                assert f":{absent}>" not in xml and f":{absent} " not in xml
            assert delivery.request_size(doc) < 64 * 1024

    run(tmp_path, body)


def test_a_dokument_before_its_upload_is_refused_then_accepted(tmp_path):
    decision_id = str(uuid.uuid4())

    async def body(p: Parts) -> None:
        async with Sf2900Delivery(p.settings()) as delivery:
            part = uploads(decision_id)[0]
            name = delivery.remote_name(decision_id, 0, part.file_name, part.mime)
            assert part.content is not None
            early = RemoteFile(name, part.file_name, part.mime, len(part.content))
            (doc, *_rest) = document_parts(
                Forward(kle="27.24.00"),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=[early],
                case=None,
            )
            with pytest.raises(Sf2900Unavailable, match="SP-SFTP-FIL"):
                await delivery.send(doc)
            # a file of another size than the call declares: refused as well
            wrong = replace(early, size=early.size + 1)
            with pytest.raises(Sf2900Unavailable):
                await delivery.send(replace(doc, file=wrong))
            uploaded = await delivery.upload(part)
            assert uploaded.remote_name == name
            again = await delivery.upload(part)  # idempotent by name
            assert again.already_present
            result = await delivery.send(doc)
            assert result.ok and not result.duplicate
        assert p.sf2900.missing_files == 2 and len(p.sf2900.received()) == 1

    run(tmp_path, body)


def test_authority_context_mode_without_a_token(tmp_path):
    decision_id = str(uuid.uuid4())

    async def body(p: Parts) -> None:
        settings = p.settings(auth="authority", sts=None)
        async with Sf2900Delivery(settings) as delivery:
            assert delivery.sts is None
            local = tmp_path / "brev.pdf"  # an upload from a local file (PartUpload.path)
            local.write_bytes(FILES[0][2])
            part = PartUpload(decision_id, 0, "brev.pdf", "application/pdf", path=local)
            remote = [delivery.remote_file(part, await delivery.upload(part))]
            parts = document_parts(
                Journalise(CASE.id, CASE.number),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote[:1],
                case=CASE,
            )
            assert len(parts) == 1
            result = await delivery.send(parts[0])
            assert result.ok and result.distribution_transaktions_id
        assert p.sf2900.token_calls == 0 and p.sftp_sts.sts.issued == 0
        (rec,) = p.sf2900.received()
        assert rec["MunicipalityCVR"] == CVR
        assert rec["sftp_file_sha256"] == hashlib.sha256(FILES[0][2]).hexdigest()

    run(tmp_path, body, require_token=False)


def test_a_token_the_service_does_not_trust_is_refused_and_renewed(tmp_path):
    """SF2900 pins another STS certificate: the call fails as transient, the cached token is
    dropped, so the retry fetches a new one."""

    async def body(p: Parts) -> None:
        async with Sf2900Delivery(p.settings()) as delivery:
            decision_id = str(uuid.uuid4())
            remote = await upload_all(delivery, decision_id)
            (doc, *_rest) = document_parts(
                Journalise(CASE.id),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote[:1],
                case=CASE,
            )
            with pytest.raises(Sf2900Unavailable, match="SP-TOKEN"):
                await delivery.send(doc)
            assert delivery.sts is not None and delivery.sts.cached() is None
            p.sf2900.sts_signing_cert = p.certs.sts_signing.cert.read_bytes()  # fixed
            assert (await delivery.send(doc)).ok
            assert delivery.sts.fetches == 2
        assert p.sf2900.token_refusals == 1

    run(tmp_path, body, sts_signing_cert=b"")


def test_no_token_and_sts_down_are_transient(tmp_path):
    async def body(p: Parts) -> None:
        await p.sftp_sts.sts.stop()
        async with Sf2900Delivery(p.settings()) as delivery:
            decision_id = str(uuid.uuid4())
            remote = await upload_all(delivery, decision_id)
            (doc, *_rest) = document_parts(
                Journalise(CASE.id),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote[:1],
                case=CASE,
            )
            with pytest.raises(Sf2900Unavailable, match="STS"):
                await delivery.send(doc)
        assert p.sf2900.received() == []

    run(tmp_path, body)


def test_sftp_down_is_a_transient_upload_error(tmp_path):
    async def body(p: Parts) -> None:
        await p.sftp_sts.sftp.stop()
        async with Sf2900Delivery(p.settings()) as delivery:
            with pytest.raises(SftpUploadError) as err:
                await delivery.upload(uploads(str(uuid.uuid4()))[0])
            assert err.value.transient

    run(tmp_path, body)


def test_too_large_calls_are_never_sent(tmp_path):
    async def body(p: Parts) -> None:
        async with Sf2900Delivery(p.settings(max_request_bytes=70 * 1024)) as delivery:
            big = Sf2900JournalNote(
                transaction_id=str(uuid.uuid4()),
                kle="27.24.00",
                case_id=CASE.id,
                title="Langt notat",
                note="x" * (20 * 1024),
            )
            with pytest.raises(Sf2900TooLarge):
                await delivery.send(big)
        assert p.sf2900.received() == [] and p.sf2900.calls == {}

    run(tmp_path, body)


def test_part_ids_and_titles():
    d = "6b1f0d2e-8c3a-4f5e-9a7b-1c2d3e4f5a6b"
    assert part_transaction_id(d, 0) == d
    assert part_transaction_id(d, 2) == str(uuid.uuid5(uuid.UUID(d), "part-2"))
    assert part_transaction_id(d, 1) != part_transaction_id(d, 2)
    assert part_title("Brev", 0, 1, "a.pdf") == "Brev"
    assert len(part_title("x" * 300, 1, 2, "bilag.pdf")) == 256
    assert part_title("x" * 300, 1, 2, "bilag.pdf").endswith("(bilag 2 af 2: bilag.pdf)")
    note_alone = document_parts(
        JournalNote(CASE.id, "Telefon"),
        decision_id=d,
        user=None,
        letter=LETTER,
        files=[],
        case=CASE,
    )
    assert len(note_alone) == 1 and note_alone[0].transaction_id == d
    assert isinstance(note_alone[0], Sf2900JournalNote)
    with pytest.raises(ValueError, match="uploadet"):  # a file's bytes never go in the call
        document_parts(
            Journalise(CASE.id),
            decision_id=d,
            user=None,
            letter=LETTER,
            files=[("a.pdf", "application/pdf", b"x")],  # type: ignore[list-item]
            case=CASE,
        )
    with pytest.raises(ValueError, match="mindst én fil"):
        document_parts(
            Journalise(CASE.id), decision_id=d, user=None, letter=LETTER, files=[], case=CASE
        )
    assert base64.b64decode(base64.b64encode("æ".encode())).decode() == "æ"


def test_the_token_is_renewed_before_it_expires(tmp_path):
    """A short-lived token: cached while fresh, fetched anew once it is within the renewal
    margin, so SF2900 never sees an expired one."""
    decision_id = str(uuid.uuid4())

    async def body(p: Parts) -> None:
        p.sftp_sts.sts.lifetime = timedelta(seconds=4)
        settings = p.settings()
        assert settings.sts is not None
        settings = replace(settings, sts=replace(settings.sts, renew_margin=timedelta(seconds=2)))
        async with Sf2900Delivery(settings) as delivery:
            remote = await upload_all(delivery, decision_id)
            parts = document_parts(
                Journalise(CASE.id),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote,
                case=CASE,
            )
            assert (await delivery.send(parts[0])).ok
            assert (await delivery.send(parts[1])).ok  # still fresh: the cached token
            assert delivery.sts is not None and delivery.sts.fetches == 1
            await asyncio.sleep(2.2)  # now within the margin
            assert (await delivery.send(parts[2])).ok
            assert delivery.sts.fetches == 2
        assert p.sf2900.token_refusals == 0 and p.sftp_sts.sts.issued == 2

    run(tmp_path, body)


def test_settings_are_checked(tmp_path):
    certs = SandboxCertificates.ensure(tmp_path / "tls", municipality_cvr=CVR)
    sftp = SftpConfig(
        host="127.0.0.1", username="U", private_key=tmp_path / "k", known_hosts=tmp_path / "h"
    )
    base: dict[str, Any] = {"service_url": "https://x", "municipality_cvr": CVR, "sftp": sftp}
    with pytest.raises(ValueError, match="auth"):
        Sf2900Settings(**base, auth="cert")
    with pytest.raises(ValueError, match="STS"):
        Sf2900Settings(**base, auth="sts", sts=None)
    with pytest.raises(ValueError, match="sammen"):
        Sf2900Settings(**base, auth="authority", client_cert=certs.municipality.cert)
    with pytest.raises(ValueError, match="CVR"):
        Sf2900Settings(**{**base, "municipality_cvr": "123"}, auth="authority")
    open_key = tmp_path / "open-key.pem"
    open_key.write_bytes(certs.municipality.key.read_bytes())
    open_key.chmod(0o644)
    settings = Sf2900Settings(
        **base,
        auth="authority",
        ca_file=certs.ca,
        client_cert=certs.municipality.cert,
        client_key=open_key,
    )
    with pytest.raises(ValueError, match="andre end ejeren"):
        settings.ssl_context()
    ok = replace(settings, client_key=certs.municipality.key)
    assert ok.ssl_context().verify_mode == ssl.CERT_REQUIRED


def test_the_token_and_the_certificate_must_belong_together(tmp_path):
    """Holder-of-key: a token issued to the municipality's FOCES certificate is refused on a
    connection made with another certificate; AuthorityContext with a certificate that is not
    the municipality's is refused too."""
    decision_id = str(uuid.uuid4())

    async def body(p: Parts) -> None:
        foces = p.settings().ssl_context()  # the STS sees the FOCES certificate
        other = ssl.create_default_context(cafile=str(p.certs.ca))
        other.load_cert_chain(
            str(p.certs.serviceplatformen.cert), str(p.certs.serviceplatformen.key)
        )
        settings = p.settings()
        assert settings.sts is not None
        sts = StsClient(settings.sts, foces)
        async with Sf2900Delivery(settings, ssl_context=other, sts=sts) as delivery:
            remote = await upload_all(delivery, decision_id)
            (doc, *_rest) = document_parts(
                Journalise(CASE.id),
                decision_id=decision_id,
                user=None,
                letter=LETTER,
                files=remote[:1],
                case=CASE,
            )
            with pytest.raises(Sf2900Unavailable) as err:
                await delivery.send(doc)
            assert err.value.codes == ("SP-TOKEN",)
        sts.close()
        async with Sf2900Delivery(
            p.settings(auth="authority", sts=None), ssl_context=other
        ) as delivery:
            with pytest.raises(Sf2900Unavailable) as err:
                await delivery.send(doc)
            assert err.value.codes == ("SP-CERTIFIKAT",)
        assert p.sf2900.received() == [] and p.sf2900.token_refusals == 1

    run(tmp_path, body, require_token=False)
