"""Sandbox benchmarks: how fast the sandbox starts and how fast its parties answer.

- `sandbox_ready_s`: `start_sandbox` until every server listens (gateway, SF2900, DUBU);
- `sandbox_push_msgs_per_s`: the Postkomponent simulator delivering the shipped corpus to the
  gateway's EP_FS1 (XSD validation and durable commit included);
- `sf2900_afsend_per_s`: sequential zeep FordelingsobjektAfsend calls (a published DOKUMENT
  naming one uploaded file; no SFTP root, so the file is not looked up) against the SF2900
  sandbox, XSD validation and the published-form checks of each request included;
- `generator_msgs_per_s`: MessageGenerator output rate.
Each run uses its own temp data dir.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def bench_sandbox_push() -> dict[str, float | int]:
    from app.sandbox.runner import SandboxConfig, start_sandbox

    async def main() -> dict[str, float | int]:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            running = await start_sandbox(SandboxConfig(data_dir=Path(tmp), store_in_keyring=False))
            ready = time.perf_counter() - t0
            try:
                stats = await running.pushed()
            finally:
                await running.stop()
            return {
                "sandbox_ready_s": round(ready, 3),
                "sandbox_push_msgs_per_s": round(stats.accepted / stats.seconds, 1),
                "sandbox_push_messages": stats.accepted,
            }

    return asyncio.run(main())


def bench_sf2900_afsend(n: int = 300) -> dict[str, float | int]:

    import httpx
    import zeep
    from zeep.proxy import AsyncServiceProxy
    from zeep.transports import AsyncTransport

    from app.resources import resource
    from app.sandbox.sf2900_service import Sf2900Service

    cvr = "29189919"
    virk = {
        "FraTidspunkt": "2026-11-20T09:00:00Z",
        "Aktoer": {"UUID": str(uuid.uuid4())},
        "AktoerType": "Bruger",
    }

    def anmodning(tid: str) -> dict:
        return {
            "DistributionContext": {
                "AnvenderTransaktionsID": tid,
                "AfsendendeMyndighed": cvr,
                "RoutingMyndighed": cvr,
                "RoutingValg": {"RoutingKLEEmneHandling": {"RoutingKLEEmne": "27.24.00"}},
                "DokumentFilNavn": f"BENCH_SAGSDOKUMENT_{tid}.TXT",  # published: the file by SFTP
            },
            "DistributionObject": {
                "ObjektType": "DOKUMENT",
                "ObjektIndhold": {
                    "DistributionDokument": {
                        "ID": str(uuid.uuid4()),
                        "KLEEmneForslag": "27.24.00",
                        "SagForslag": str(uuid.uuid4()),
                        "Registrering": {
                            "FraTidsPunkt": "2026-11-20T09:00:00Z",
                            "LivscyklusKode": "Oprettet",
                            "RegistreringItSystem": {"UUID": str(uuid.uuid4())},
                            "RelationListe": {
                                "VariantListe": {
                                    "Variant": [
                                        {
                                            "Virkning": virk,
                                            "Rolle": "Variant",
                                            "Indeks": "1",
                                            "VariantAttributter": {"VariantType": "TXT"},
                                            "DelAttributter": {
                                                "DelTekst": "brev.txt",
                                                "Filstoerrelse": 2000,
                                                "MimeType": "text/plain",
                                            },
                                        }
                                    ]
                                }
                            },
                            "TilstandsListe": [
                                {"Tilstand": [{"Fremdrift": "Endeligt", "Virkning": virk}]}
                            ],
                            "AttributListe": {
                                "Attributter": [
                                    {
                                        "BrugervendtNoegleTekst": "b",
                                        "TitelTekst": "t",
                                        "BeskrivelseTekst": "d",
                                        "Dokumenttype": "Brev",
                                        "Retning": "Indgaaende",
                                        "Brevdato": "2026-11-20",
                                        "Virkning": virk,
                                    }
                                ]
                            },
                        },
                    }
                },
            },
        }

    async def main() -> dict[str, float | int]:
        with tempfile.TemporaryDirectory() as tmp:
            service = Sf2900Service(data_dir=Path(tmp), municipality_cvr=cvr)
            await service.start()
            http = httpx.AsyncClient()
            client = zeep.AsyncClient(
                str(resource("sf2900", "wsdl", "context", "DistributionService.wsdl")),
                transport=AsyncTransport(client=http, wsdl_client=httpx.Client()),
            )
            proxy = AsyncServiceProxy(client, client.service._binding, address=service.service_url)
            try:
                await proxy.FordelingsobjektAfsend(
                    AuthorityContext={"MunicipalityCVR": cvr},
                    anmodning=anmodning(str(uuid.uuid4())),
                )  # warm-up
                t0 = time.perf_counter()
                for _ in range(n):
                    await proxy.FordelingsobjektAfsend(
                        AuthorityContext={"MunicipalityCVR": cvr},
                        anmodning=anmodning(str(uuid.uuid4())),
                    )
                dt = time.perf_counter() - t0
            finally:
                await http.aclose()
                await service.stop()
            return {"sf2900_afsend_per_s": round(n / dt, 1)}

    return asyncio.run(main())


def bench_generator(n: int = 1000) -> dict[str, float | int]:
    from app.dubu.dataset import DubuDataset
    from app.resources import resource
    from app.sandbox.generator import MessageGenerator

    gen = MessageGenerator(DubuDataset.load(resource("sandbox", "dubu.json")), seed=1)
    t0 = time.perf_counter()
    gen.generate(n)
    return {"generator_msgs_per_s": round(n / (time.perf_counter() - t0), 1)}


BENCHMARKS = {
    "sandbox_push": bench_sandbox_push,
    "sf2900_afsend": bench_sf2900_afsend,
    "sandbox_generator": bench_generator,
}
