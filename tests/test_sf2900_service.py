"""The SF2900 sandbox over real loopback HTTPS (the sandbox's test CA, the municipality's client
certificate), called through zeep on the real WSDL: SF2900 v2.4 as published is all it takes."""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
import uuid
from typing import Any

import httpx
import pytest
import requests
import zeep
from lxml import etree
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport, Transport

from app.resources import resource
from app.sandbox.certs import SandboxCertificates
from app.sandbox.sf2900_service import (
    DUBU_SYSTEM_UUID,
    NS3,
    SOAP_ENV,
    Sf2900Service,
    request_schema,
)
from app.sf1606.tls import pem_client_context, server_context, trust_context

CVR = "29189919"
WSDL = str(resource("sf2900", "wsdl", "context", "DistributionService.wsdl"))
CERTS: SandboxCertificates | None = None


@pytest.fixture(scope="module", autouse=True)
def certs(tmp_path_factory: pytest.TempPathFactory) -> SandboxCertificates:
    """One test CA for the module: the service's server certificate, the municipality's."""
    global CERTS
    CERTS = SandboxCertificates.ensure(tmp_path_factory.mktemp("tls"), municipality_cvr=CVR)
    return CERTS


def client_ctx() -> ssl.SSLContext:
    assert CERTS is not None
    return pem_client_context(CERTS.municipality.cert, CERTS.municipality.key, CERTS.ca)


def inspect() -> httpx.AsyncClient:
    """The inspection/fault routes: HTTPS with the sandbox CA, no client certificate."""
    assert CERTS is not None
    return httpx.AsyncClient(timeout=10, verify=trust_context(CERTS.ca))


def _virk() -> dict[str, Any]:
    return {
        "FraTidspunkt": "2026-11-20T09:00:00Z",
        "Aktoer": {"UUID": "6f1d0c9e-2b8a-4c1e-9d7f-3a5b6c7d8e9f"},
        "AktoerType": "Bruger",
    }


def dokument(
    tid: str,
    *,
    case_id: str = "0534211d-a32c-413a-9543-b5a068faf9e1",
    kle: str = "27.24.00",
    file: tuple[str, str, int] = ("brev.pdf", "application/pdf", 1234),
    remote_name: str | None = "SANDBOX_SAGSDOKUMENT_0d3c9a6b-1d1f-4c52-a1e2-9c6a0e0e2f11.PDF",
    fremdrift: tuple[str, ...] = ("Endeligt",),
    bruger: str | None = None,
) -> dict[str, Any]:
    """A published DOKUMENT: the file already on SFTP (`DokumentFilNavn`), no bytes in the call."""
    name, mime, size = file
    reg: dict[str, Any] = {
        "FraTidsPunkt": "2026-11-20T09:00:00Z",
        "LivscyklusKode": "Oprettet",
        "RegistreringItSystem": {"UUID": str(uuid.uuid4())},
        "RelationListe": {
            "VariantListe": {
                "Variant": [
                    {
                        "Virkning": _virk(),
                        "Rolle": "Variant",
                        "Indeks": "1",
                        "VariantAttributter": {"VariantType": "PDF"},
                        "DelAttributter": {
                            "DelTekst": name,
                            "Indeks": 1,
                            "Filstoerrelse": size,
                            "MimeType": mime,
                        },
                    }
                ]
            }
        },
        "TilstandsListe": [
            {"Tilstand": [{"Fremdrift": f, "Virkning": _virk()} for f in fremdrift]}
        ],
        "AttributListe": {
            "Attributter": [
                {
                    "BrugervendtNoegleTekst": "retursvar",
                    "TitelTekst": "Svar på brev om møde",
                    "BeskrivelseTekst": "Indkommet Digital Post",
                    "Dokumenttype": "Brev",
                    "Retning": "Indgaaende",
                    "Brevdato": "2026-11-20",
                    "Virkning": _virk(),
                }
            ]
        },
    }
    if bruger:
        reg["BrugerRef"] = {"UUID": bruger}
    ctx: dict[str, Any] = {
        "AnvenderTransaktionsID": tid,
        "AfsendendeMyndighed": CVR,
        "RoutingMyndighed": CVR,
        "RoutingValg": {"RoutingKLEEmneHandling": {"RoutingKLEEmne": kle}},
    }
    if remote_name is not None:
        ctx["DokumentFilNavn"] = remote_name
    return {
        "DistributionContext": ctx,
        "DistributionObject": {
            "ObjektType": "DOKUMENT",
            "ObjektIndhold": {
                "DistributionDokument": {
                    "ID": str(uuid.uuid4()),
                    "KLEEmneForslag": kle,
                    "SagForslag": case_id,
                    "Registrering": reg,
                }
            },
        },
    }


def journalpost(tid: str, title: str, text: str, *, base64_notat: bool = True) -> dict[str, Any]:
    notat = base64.b64encode(text.encode()).decode() if base64_notat else text
    return {
        "DistributionContext": {
            "AnvenderTransaktionsID": tid,
            "AfsendendeMyndighed": CVR,
            "RoutingMyndighed": CVR,
            "RoutingValg": {"RoutingModtagerAktoer": DUBU_SYSTEM_UUID},
        },
        "DistributionObject": {
            "ObjektType": "JOURNALPOST",
            "ObjektIndhold": {
                "DistributionJournalPost": {
                    "ID": str(uuid.uuid4()),
                    "KLEEmneForslag": "27.24.00",
                    "SagForslag": "0534211d-a32c-413a-9543-b5a068faf9e1",
                    "Registrering": {
                        "FraTidsPunkt": "2026-11-20T09:00:00Z",
                        "LivscyklusKode": "Oprettet",
                        "RegistreringItSystem": {"UUID": str(uuid.uuid4())},
                        "RelationListe": {
                            "JournalPost": [
                                {
                                    "Virkning": _virk(),
                                    "Rolle": "Journalpost",
                                    "Indeks": "1",
                                    "JournalnotatAttributter": {"Titel": title, "Notat": notat},
                                }
                            ]
                        },
                    },
                }
            },
        },
    }


class Zeep:
    """A zeep AsyncClient on the real WSDL file, pointed at the sandbox, with the municipality's
    client certificate."""

    def __init__(self, address: str) -> None:
        self.http = httpx.AsyncClient(timeout=10, verify=client_ctx())
        transport = AsyncTransport(client=self.http, wsdl_client=httpx.Client())
        self.client = zeep.AsyncClient(WSDL, transport=transport)
        self.svc = AsyncServiceProxy(self.client, self.client.service._binding, address=address)

    async def afsend(self, anmodning: dict[str, Any]) -> Any:
        return await self.svc.FordelingsobjektAfsend(
            AuthorityContext={"MunicipalityCVR": CVR}, anmodning=anmodning
        )

    async def post(self, url: str, body: bytes) -> httpx.Response:
        return await self.http.post(url, content=body, headers={"Content-Type": "text/xml"})

    async def close(self) -> None:
        await self.http.aclose()


def run(coro_fn, **kwargs):
    """Start a service on HTTPS, run `coro_fn(service, zeep)`, stop everything."""
    assert CERTS is not None

    async def main():
        service = Sf2900Service(municipality_cvr=CVR, **kwargs)
        await service.start(
            ssl_context=server_context(CERTS.server.cert, CERTS.server.key, CERTS.ca)
        )
        z = Zeep(service.service_url)
        try:
            return await coro_fn(service, z)
        finally:
            await z.close()
            await service.stop()

    return asyncio.run(main())


def test_zeep_afsend_dokument_is_recorded_with_its_file_and_state():
    tid = str(uuid.uuid4())
    bruger = str(uuid.uuid4())

    async def body(service: Sf2900Service, z: Zeep):
        assert service.service_url.startswith("https://127.0.0.1:")
        resp = await z.afsend(dokument(tid, fremdrift=("Modtaget", "Endeligt"), bruger=bruger))
        assert (
            resp.ForretningsKvittering.ForretningsValideringsKode == "MODTAGET"
        )  # technical receipt
        assert resp.ForretningsKvittering.Kvitteringstype == "Teknisk"
        assert resp.DistributionContext.AnvenderTransaktionsID == tid
        assert resp.DistributionContext.DistributionTransktionsID
        async with inspect() as http:
            listing = (await http.get(service.received_url)).json()
            one = (await http.get(f"{service.received_url}/{tid.upper()}")).json()
            missing = await http.get(f"{service.received_url}/{uuid.uuid4()}")
        return listing, one, missing.status_code

    listing, one, missing = run(body)
    assert missing == 404
    assert len(listing) == 1 and listing[0] == one
    assert one["AnvenderTransaktionsID"] == tid and one["ObjektType"] == "DOKUMENT"
    assert one["SagForslag"] == "0534211d-a32c-413a-9543-b5a068faf9e1"
    assert one["KLEEmneForslag"] == "27.24.00"
    assert one["Fremdrift"] == "Endeligt" and one["BrugerRef"] == bruger
    assert one["Retning"] == "Indgaaende" and one["Brevdato"] == "2026-11-20"
    assert one["modtager"]["uuid"] == DUBU_SYSTEM_UUID
    assert one["dokument_fil_navn"].startswith("SANDBOX_SAGSDOKUMENT_")
    assert one["sent_digitalpost_meddelelses_id"] is False and one["notat_is_base64"] is None
    assert one["files"] == [
        {
            "name": "brev.pdf",
            "mime": "application/pdf",
            "size": 1234,
            "variant_type": "PDF",
            "index": "1",
        }
    ]


def test_duplicate_transaction_is_advarsel_duplikat_and_recorded_once(tmp_path):
    tid = str(uuid.uuid4())

    async def body(service: Sf2900Service, z: Zeep):
        await z.afsend(dokument(tid))
        with pytest.raises(zeep.exceptions.Fault) as info:
            await z.afsend(dokument(tid))
        return info.value

    fault = run(body, data_dir=tmp_path)
    ns = {"t": NS3}
    assert (
        fault.detail.findtext("t:TransportKvittering/t:TransportValideringsKode", namespaces=ns)
        == "ADVARSEL"
    )
    assert (
        fault.detail.findtext("t:TransportKvittering/t:FejlListe/t:Fejl/t:FejlKode", namespaces=ns)
        == "DUPLIKAT"
    )

    # a restarted service (same data dir) still knows the transaction
    async def again(service: Sf2900Service, z: Zeep):
        assert len(service.received()) == 1
        with pytest.raises(zeep.exceptions.Fault) as info:
            await z.afsend(dokument(tid))
        await z.afsend(dokument(str(uuid.uuid4())))
        return info.value.detail

    detail = run(again, data_dir=tmp_path)
    assert (
        detail.findtext("t:TransportKvittering/t:FejlListe/t:Fejl/t:FejlKode", namespaces=ns)
        == "DUPLIKAT"
    )
    assert len(Sf2900Service(data_dir=tmp_path).received()) == 2


def test_journalpost_records_note():
    tid = str(uuid.uuid4())

    async def body(service: Sf2900Service, z: Zeep):
        resp = await z.afsend(journalpost(tid, "Telefonnotat", "Mor ringede om mødet."))
        assert (
            resp.ForretningsKvittering.ForretningsValideringsKode == "MODTAGET"
        )  # technical receipt
        return service.get(tid)

    rec = run(body)
    assert rec["ObjektType"] == "JOURNALPOST"
    assert rec["notat_is_base64"] is True and rec["dokument_fil_navn"] is None
    assert rec["journal_note"]["title"] == "Telefonnotat"
    assert rec["journal_note_text"] == "Mor ringede om mødet."


def _with(anmodning: dict[str, Any], **ctx: Any) -> dict[str, Any]:
    return {**anmodning, "DistributionContext": {**anmodning["DistributionContext"], **ctx}}


def _reg(anmodning: dict[str, Any]) -> dict[str, Any]:
    return anmodning["DistributionObject"]["ObjektIndhold"]["DistributionDokument"]["Registrering"]


def test_what_the_published_form_forbids_is_refused_and_never_recorded():
    """Only SF2900 as published: every request is checked, whichever the listener."""
    inline = dokument(str(uuid.uuid4()))
    _reg(inline)["RelationListe"]["VariantListe"]["Variant"][0]["DelAttributter"]["Indhold"] = (
        base64.b64encode(b"Hej kommunen").decode()
    )
    imported = dokument(str(uuid.uuid4()))
    _reg(imported)["ImportTidspunkt"] = "2026-11-20T08:00:00Z"
    two_files = dokument(str(uuid.uuid4()))
    variants = _reg(two_files)["RelationListe"]["VariantListe"]["Variant"]
    variants.append({**variants[0], "Indeks": "2"})
    cases = [
        ("SP-INDHOLD", inline),
        (
            "SP-DPMID",
            _with(
                dokument(str(uuid.uuid4())),
                DigitalPostMeddelelsesID="c0ffee00-0000-4000-8000-000000000001",
            ),
        ),
        (
            "SP-DTID",
            _with(dokument(str(uuid.uuid4())), DistributionTransktionsID=str(uuid.uuid4())),
        ),
        ("SP-IMPORT", imported),
        ("SP-DOKUMENTFIL", dokument(str(uuid.uuid4()), remote_name=None)),
        ("SP-DOKUMENTFIL", two_files),  # one file per DOKUMENT
        ("SP-NOTAT", journalpost(str(uuid.uuid4()), "Notat", "Ikke base64!", base64_notat=False)),
    ]

    async def body(service: Sf2900Service, z: Zeep):
        got = []
        for _, anmodning in cases:
            with pytest.raises(zeep.exceptions.Fault) as info:
                await z.afsend(anmodning)
            detail = info.value.detail
            got.append(
                (
                    detail.findtext(f".//{{{NS3}}}TransportValideringsKode"),
                    [c.text for c in detail.findall(f".//{{{NS3}}}FejlKode")],
                )
            )
        return got, service.received()

    got, received = run(body)
    assert received == []
    assert got == [("FEJL", [code]) for code, _ in cases]


def _raw_envelope(inner: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    ).encode()


def test_schema_invalid_and_hostile_requests_get_faults():
    async def body(service: Sf2900Service, z: Zeep):
        # build a valid request with zeep, then break it: KLEEmneForslag "27.24" violates the pattern
        node = z.client.create_message(
            z.svc,
            "FordelingsobjektAfsend",
            AuthorityContext={"MunicipalityCVR": CVR},
            anmodning=dokument(str(uuid.uuid4())),
        )
        xml = etree.tostring(node).decode().replace(">27.24.00<", ">27.24<")
        url = service.service_url
        bad = await z.post(url, xml.encode())
        dtd = await z.post(
            url,
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + _raw_envelope("<x>&a;</x>"),
        )
        junk = await z.post(url, b"not xml at all")
        wrong = await z.post(url, _raw_envelope(f'<t:Nope xmlns:t="{NS3}"/>'))
        return bad, dtd, junk, wrong, service.received()

    bad, dtd, junk, wrong, received = run(body)
    assert received == []
    for resp in (bad, dtd, junk, wrong):
        assert resp.status_code == 500
        doc = etree.fromstring(resp.content)
        assert doc.findtext(".//faultcode") == "soap:Client"
        assert doc.findtext(f".//{{{NS3}}}TransportValideringsKode") == "FEJL"
    assert etree.fromstring(bad.content).findtext(f".//{{{NS3}}}FejlKode") == "SP-XSD-VALIDERING"


def test_responses_validate_against_the_schema():
    async def body(service: Sf2900Service, z: Zeep):
        node = z.client.create_message(
            z.svc,
            "FordelingsobjektAfsend",
            AuthorityContext={"MunicipalityCVR": CVR},
            anmodning=dokument(str(uuid.uuid4())),
        )
        return await z.post(service.service_url, etree.tostring(node))

    r = run(body)
    assert r.status_code == 200
    payload = etree.fromstring(r.content).find(f"{{{SOAP_ENV}}}Body")[0]
    assert request_schema().validate(payload), request_schema().error_log


def test_fault_injection_each_kind():
    async def body(service: Sf2900Service, z: Zeep):
        out: dict[str, Any] = {}
        async with inspect() as http:
            # http500 for the next call only, via the faults URL
            r = await http.post(service.faults_url, json={"kind": "http500", "count": 1})
            assert r.json()["ok"]
            with pytest.raises(zeep.exceptions.TransportError) as info:
                await z.afsend(dokument(str(uuid.uuid4())))
            out["http500"] = info.value.status_code
            await z.afsend(dokument(str(uuid.uuid4())))  # recovered

            # DUBU's AFVIST / FEJLET are the business receipt's (the callback,
            # tests/test_sf2900_receipts.py): the synchronous answer stays the technical receipt
            await http.post(
                f"{service.base_url}/sf2900/_faults",
                json=[{"kind": "afvist", "count": 1, "reason": "Sagen er lukket"}],
            )
            resp = await z.afsend(dokument(str(uuid.uuid4())))
            out["afvist"] = resp.ForretningsKvittering.ForretningsValideringsKode
            await http.post(service.faults_url, json={"clear": True})

            await http.post(service.faults_url, json={"kind": "transport_fejl", "count": 1})
            with pytest.raises(zeep.exceptions.Fault) as f1:
                await z.afsend(dokument(str(uuid.uuid4())))
            out["transport_fejl"] = f1.value.detail.findtext(
                f".//{{{NS3}}}TransportValideringsKode"
            )

            await http.post(
                service.faults_url, json={"kind": "soap_fault", "count": 1, "code": "SP-503"}
            )
            with pytest.raises(zeep.exceptions.Fault) as f2:
                await z.afsend(dokument(str(uuid.uuid4())))
            out["soap_fault"] = (f2.value.code, f2.value.detail.findtext(".//{*}ErrorCode"))

            await http.post(service.faults_url, json={"kind": "drop", "count": 1})
            with pytest.raises(httpx.TransportError):
                await z.afsend(dokument(str(uuid.uuid4())))

            await http.post(service.faults_url, json={"kind": "slow", "seconds": 0.4, "count": 1})
            t0 = time.perf_counter()
            await z.afsend(dokument(str(uuid.uuid4())))
            out["slow"] = time.perf_counter() - t0

            await http.post(service.faults_url, json={"kind": "http500", "probability": 1.0})
            assert (await http.get(service.faults_url)).json()[0]["kind"] == "http500"
            await http.post(service.faults_url, json={"clear": True})
            assert (await http.get(service.faults_url)).json() == []
            bad = await http.post(service.faults_url, json={"kind": "nonsense"})
            out["bad_rule"] = bad.status_code
        out["received"] = len(service.received())
        return out

    out = run(body)
    assert out["http500"] == 500
    assert out["afvist"] == "MODTAGET"
    assert out["transport_fejl"] == "FEJL"
    assert out["soap_fault"] == ("soap:Server", "SP-503")
    assert out["slow"] >= 0.4
    assert out["bad_rule"] == 400
    assert out["received"] == 3  # the recovered call, the one under the afvist rule, the slow one


def test_constructor_faults_with_probability_are_deterministic_with_seed():
    async def body(service: Sf2900Service, z: Zeep):
        outcomes = []
        for _ in range(20):
            try:
                await z.afsend(dokument(str(uuid.uuid4())))
                outcomes.append("ok")
            except zeep.exceptions.TransportError:
                outcomes.append("500")
        return outcomes

    a = run(body, faults=[{"kind": "http500", "probability": 0.5}], seed=7)
    b = run(body, faults=[{"kind": "http500", "probability": 0.5}], seed=7)
    assert a == b and "ok" in a and "500" in a


def test_fordelingsmodtager_list_and_valider():
    async def body(service: Sf2900Service, z: Zeep):
        lists = {}
        for kle in ("27.24.00", "29.09.00", "02.00.00", "15.00.00", "99.99.99"):
            res = await z.svc.FordelingsmodtagerList(
                AuthorityContext={"MunicipalityCVR": CVR},
                Routing={
                    "AfsendendeMyndighed": CVR,
                    "RoutingMyndighed": CVR,
                    "RoutingKLEEmne": kle,
                },
            )
            lists[kle] = [(s.SystemNavn, s.SystemUUID) for s in (res or [])]
        val = await z.svc.FordelingsmodtagerValider(
            AuthorityContext={"MunicipalityCVR": CVR},
            AfsendendeMyndighed=CVR,
            RoutingListe={
                "Routing": [
                    {"RoutingMyndighed": CVR, "RoutingModtagerAktoer": DUBU_SYSTEM_UUID},
                    {"RoutingMyndighed": CVR, "RoutingModtagerAktoer": str(uuid.uuid4())},
                ]
            },
        )
        return lists, [v.KanModtage for v in val]

    lists, kan = run(body)
    assert lists["27.24.00"] == [("DUBU – Børn og Familie", DUBU_SYSTEM_UUID)]
    assert "Nexus" in lists["29.09.00"][0][0]
    assert lists["02.00.00"] and lists["15.00.00"]
    assert lists["99.99.99"] == []
    assert kan == [True, False]


def test_unroutable_kle_is_afvist_and_wrong_municipality_faults():
    async def body(service: Sf2900Service, z: Zeep):
        resp = await z.afsend(dokument(str(uuid.uuid4()), kle="99.01.00"))
        with pytest.raises(zeep.exceptions.Fault) as info:
            await z.svc.FordelingsobjektAfsend(
                AuthorityContext={"MunicipalityCVR": "11111111"},
                anmodning=dokument(str(uuid.uuid4())),
            )
        return resp, info.value, service.received()

    resp, fault, received = run(body)
    assert resp.ForretningsKvittering.ForretningsValideringsKode == "AFVIST"
    assert resp.ForretningsKvittering.FejlListe.Fejl[0].FejlKode == "INGEN_MODTAGER"
    assert fault.detail.findtext(f".//{{{NS3}}}FejlKode") == "SP-SERVICEAFTALE"
    assert received == []


def test_wsdl_served_over_https_loads_in_zeep_with_rewritten_address():
    async def body(service: Sf2900Service, z: Zeep):
        def load() -> tuple[str, list[str]]:
            assert CERTS is not None
            session = requests.Session()
            session.verify = str(CERTS.ca)
            session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the sandbox CA
            client = zeep.Client(service.wsdl_url, transport=Transport(session=session))
            port = client.wsdl.services["DistributionService"].ports[
                "DistributionServiceWebServicePort"
            ]
            return port.binding_options["address"], sorted(port.binding._operations)

        return await asyncio.to_thread(load), service.service_url

    (address, ops), url = run(body)
    assert address == url
    assert ops == [
        "FordelingskvitteringModtag",
        "FordelingsmodtagerList",
        "FordelingsmodtagerValider",
        "FordelingsobjektAfsend",
    ]


def test_received_files_are_served_safely():
    async def body(service: Sf2900Service, z: Zeep):
        async with inspect() as http:
            ok = await http.get(f"{service.base_url}/sf2900/files/sp/CallContext_1.xsd")
            esc = await http.get(f"{service.base_url}/sf2900/files/..%2F..%2Fpyproject.toml")
            health = await http.get(f"{service.base_url}/sf2900/health")
        return ok.status_code, esc.status_code, health.json()

    ok, esc, health = run(body)
    assert ok == 200 and esc == 404 and health["ok"] is True


def test_drop_after_record_then_retry_is_duplikat():
    tid = str(uuid.uuid4())

    async def body(service: Sf2900Service, z: Zeep):
        service.faults.add({"kind": "drop_after_record", "count": 1})
        with pytest.raises(httpx.TransportError):
            await z.afsend(dokument(tid))
        assert service.get(tid) is not None  # recorded although the sender saw no receipt
        with pytest.raises(zeep.exceptions.Fault) as info:
            await z.afsend(dokument(tid))  # the sender's retry, same transaction id
        return info.value.detail, len(service.received())

    detail, count = run(body)
    assert detail.findtext(f".//{{{NS3}}}FejlKode") == "DUPLIKAT"
    assert count == 1


def test_a_client_hanging_up_mid_request_is_no_server_error():
    """A sender that drops the connection while its body is read (a timeout, a crash, the
    fault plan's drops) is normal: no ERROR from aiohttp, one quiet line; the log-warning check
    of every test fails on anything WARNING or worse."""
    from urllib.parse import urlsplit

    async def body(service, _z):
        url = urlsplit(service.service_url)
        _reader, writer = await asyncio.open_connection(url.hostname, url.port, ssl=client_ctx())
        writer.write(
            f"POST {url.path or '/'} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            "Content-Length: 100000\r\n\r\n<soap".encode()
        )
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler is now waiting for the rest of the body
        writer.transport.abort()  # hang up without a FIN: the reset the fault tests produce
        await asyncio.sleep(0.3)  # let the server notice

    run(body)
