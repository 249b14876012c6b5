"""The SF2900 sandbox over real loopback HTTP, called through zeep on the real WSDL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from typing import Any

import httpx
import pytest
import zeep
from lxml import etree
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport

from app.resources import resource
from app.sandbox.sf2900_service import (
    DUBU_SYSTEM_UUID,
    NS3,
    SOAP_ENV,
    Sf2900Service,
    request_schema,
)

CVR = "29189919"
WSDL = str(resource("sf2900", "wsdl", "context", "DistributionService.wsdl"))


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
    files: list[tuple[str, str, bytes]] | None = None,
    fremdrift: tuple[str, ...] = ("Modtaget",),
    bruger: str | None = None,
) -> dict[str, Any]:
    files = files if files is not None else [("brev.txt", "text/plain", b"Hej kommunen")]
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
                        "Indeks": str(i),
                        "VariantAttributter": {"VariantType": "Produktion"},
                        "DelAttributter": {
                            "DelTekst": name,
                            "Indhold": base64.b64encode(data).decode(),
                            "Filstoerrelse": len(data),
                            "MimeType": mime,
                        },
                    }
                    for i, (name, mime, data) in enumerate(files, 1)
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
    return {
        "DistributionContext": {
            "AnvenderTransaktionsID": tid,
            "DigitalPostMeddelelsesID": "c0ffee00-0000-4000-8000-000000000001",
            "AfsendendeMyndighed": CVR,
            "RoutingMyndighed": CVR,
            "RoutingValg": {"RoutingKLEEmneHandling": {"RoutingKLEEmne": kle}},
        },
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


def journalpost(tid: str, title: str, text: str) -> dict[str, Any]:
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
                                    "JournalnotatAttributter": {"Titel": title, "Notat": text},
                                }
                            ]
                        },
                    },
                }
            },
        },
    }


class Zeep:
    """A zeep AsyncClient on the real WSDL file, pointed at the sandbox."""

    def __init__(self, address: str) -> None:
        self.http = httpx.AsyncClient(timeout=10)
        transport = AsyncTransport(client=self.http, wsdl_client=httpx.Client())
        self.client = zeep.AsyncClient(WSDL, transport=transport)
        self.svc = AsyncServiceProxy(self.client, self.client.service._binding, address=address)

    async def afsend(self, anmodning: dict[str, Any]) -> Any:
        return await self.svc.FordelingsobjektAfsend(
            AuthorityContext={"MunicipalityCVR": CVR}, anmodning=anmodning
        )

    async def close(self) -> None:
        await self.http.aclose()


def run(coro_fn, **kwargs):
    """Start a service, run `coro_fn(service, zeep)`, stop everything."""

    async def main():
        service = Sf2900Service(municipality_cvr=CVR, **kwargs)
        await service.start()
        z = Zeep(service.service_url)
        try:
            return await coro_fn(service, z)
        finally:
            await z.close()
            await service.stop()

    return asyncio.run(main())


def test_zeep_afsend_dokument_is_recorded_with_files_and_state():
    files = [
        ("brev.txt", "text/plain", "Kære kommune".encode()),
        ("bilag.pdf", "application/pdf", b"%PDF-1.4 x"),
    ]
    tid = str(uuid.uuid4())
    bruger = str(uuid.uuid4())

    async def body(service: Sf2900Service, z: Zeep):
        resp = await z.afsend(
            dokument(tid, files=files, fremdrift=("Modtaget", "Fordelt"), bruger=bruger)
        )
        assert (
            resp.ForretningsKvittering.ForretningsValideringsKode == "MODTAGET"
        )  # technical receipt
        assert resp.DistributionContext.AnvenderTransaktionsID == tid
        assert resp.DistributionContext.DistributionTransktionsID
        async with httpx.AsyncClient() as http:
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
    assert one["Fremdrift"] == "Fordelt" and one["BrugerRef"] == bruger
    assert one["Retning"] == "Indgaaende" and one["Brevdato"] == "2026-11-20"
    assert one["modtager"]["uuid"] == DUBU_SYSTEM_UUID
    assert [(f["name"], f["mime"], f["size"], f["sha256"]) for f in one["files"]] == [
        (n, m, len(d), hashlib.sha256(d).hexdigest()) for n, m, d in files
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
    assert rec["journal_note"] == {"title": "Telefonnotat", "text": "Mor ringede om mødet."}


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
        async with httpx.AsyncClient() as http:
            bad = await http.post(
                service.service_url, content=xml.encode(), headers={"Content-Type": "text/xml"}
            )
            dtd = await http.post(
                service.service_url,
                content=b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                + _raw_envelope("<x>&a;</x>"),
            )
            junk = await http.post(service.service_url, content=b"not xml at all")
            wrong = await http.post(
                service.service_url, content=_raw_envelope(f'<t:Nope xmlns:t="{NS3}"/>')
            )
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
        async with httpx.AsyncClient() as http:
            r = await http.post(service.service_url, content=etree.tostring(node))
        return r

    r = run(body)
    assert r.status_code == 200
    payload = etree.fromstring(r.content).find(f"{{{SOAP_ENV}}}Body")[0]
    assert request_schema().validate(payload), request_schema().error_log


def test_fault_injection_each_kind():
    async def body(service: Sf2900Service, z: Zeep):
        out: dict[str, Any] = {}
        async with httpx.AsyncClient() as http:
            # http500 for the next call only, via the faults URL
            r = await http.post(service.faults_url, json={"kind": "http500", "count": 1})
            assert r.json()["ok"]
            with pytest.raises(zeep.exceptions.TransportError) as info:
                await z.afsend(dokument(str(uuid.uuid4())))
            out["http500"] = info.value.status_code
            await z.afsend(dokument(str(uuid.uuid4())))  # recovered

            await http.post(
                f"{service.base_url}/sf2900/_faults",
                json={"kind": "afvist", "count": 1, "reason": "Sagen er lukket"},
            )
            resp = await z.afsend(dokument(tid := str(uuid.uuid4())))
            out["afvist"] = (
                resp.ForretningsKvittering.ForretningsValideringsKode,
                resp.ForretningsKvittering.Begrundelse,
            )
            assert service.get(tid) is None
            await z.afsend(
                dokument(tid)
            )  # the same transaction goes through once the fault is gone
            assert service.get(tid) is not None

            await http.post(service.faults_url, json=[{"kind": "fejlet", "count": 1}])
            resp = await z.afsend(dokument(str(uuid.uuid4())))
            out["fejlet"] = resp.ForretningsKvittering.ForretningsValideringsKode

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
    assert out["afvist"] == ("AFVIST", "Sagen er lukket")
    assert out["fejlet"] == "FEJLET"
    assert out["transport_fejl"] == "FEJL"
    assert out["soap_fault"] == ("soap:Server", "SP-503")
    assert out["slow"] >= 0.4
    assert out["bad_rule"] == 400
    assert out["received"] == 3  # the recovered call, the retried AFVIST transaction, the slow one


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


def test_wsdl_served_over_http_loads_in_zeep_with_rewritten_address():
    async def body(service: Sf2900Service, z: Zeep):
        def load() -> tuple[str, list[str]]:
            client = zeep.Client(service.wsdl_url)
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
        async with httpx.AsyncClient() as http:
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
        _reader, writer = await asyncio.open_connection(url.hostname, url.port)
        writer.write(
            f"POST {url.path or '/'} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            "Content-Length: 100000\r\n\r\n<soap".encode()
        )
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler is now waiting for the rest of the body
        writer.transport.abort()  # hang up without a FIN: the reset the fault tests produce
        await asyncio.sleep(0.3)  # let the server notice

    run(body)
