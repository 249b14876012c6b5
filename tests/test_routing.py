"""Routing rules (app/dubu/routing.py), without Qt: which receiving systems "Videresend" offers
from SF2900 FordelingsmodtagerList, and which one the suggestion's hint preselects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from app.dubu import routing
from app.dubu.routing import FORWARD_KLE, RoutingRules, forward_receivers, suggested_receiver


@dataclass(frozen=True)
class System:
    system_uuid: str
    name: str
    kle: str


class FakeSf2900:
    """Answers FordelingsmodtagerList per KLE subject; a listed KLE fails."""

    def __init__(self, by_kle: dict[str, list[System]], failing: tuple[str, ...] = ()) -> None:
        self.by_kle = by_kle
        self.failing = failing
        self.asked: list[str] = []

    async def receivers(self, kle: str) -> list[System]:
        self.asked.append(kle)
        if kle in self.failing:
            raise ConnectionError("SF2900 svarer ikke")
        return self.by_kle.get(kle, [])


JOB = System("u-job", "Jobcenter", "15.00.00")
SKOLE = System("u-skole", "Skoleforvaltningen", "17.00.00")
BORGER = System("u-borger", "Borgerservice", "00.00.00")
DUBU = System("u-dubu", "DUBU (Børn og unge)", "27.00.00")


def test_every_kle_subject_is_asked_and_the_own_department_left_out():
    sf2900 = FakeSf2900(
        {
            "00.00.00": [BORGER, DUBU],
            "15.00.00": [JOB],
            "17.00.00": [SKOLE, JOB],  # listed under two subjects: offered once
        }
    )
    found = asyncio.run(forward_receivers(sf2900))
    assert sorted(sf2900.asked) == sorted(FORWARD_KLE)
    assert found == [
        ("u-borger", "Borgerservice"),
        ("u-job", "Jobcenter"),
        ("u-skole", "Skoleforvaltningen"),
    ]  # sorted by name, DUBU (KLE 27) is the department's own


@pytest.mark.expect_log("postfordeler.dubu.routing", "not available")
def test_a_failing_subject_is_skipped_and_no_client_means_no_receivers(caplog):
    sf2900 = FakeSf2900({"15.00.00": [JOB], "17.00.00": [SKOLE]}, failing=("17.00.00",))
    assert asyncio.run(forward_receivers(sf2900)) == [("u-job", "Jobcenter")]
    assert [r.getMessage() for r in caplog.records] == [
        "receivers for KLE 17.00.00 not available: ConnectionError"
    ]
    assert asyncio.run(forward_receivers(None)) == []


def test_the_rules_choose_subjects_and_the_own_prefix():
    sf2900 = FakeSf2900({"27.00.00": [DUBU], "15.00.00": [JOB]})
    rules = RoutingRules(forward_kle=("27.00.00", "15.00.00"), own_kle_prefix="15.")
    assert asyncio.run(forward_receivers(sf2900, rules)) == [("u-dubu", "DUBU (Børn og unge)")]
    assert sf2900.asked == ["27.00.00", "15.00.00"]
    assert routing.RoutingRules().is_own("27.24.00") and not RoutingRules().is_own("15.00.00")


def test_the_suggested_receiver_is_found_by_its_name():
    receivers = [("u-borger", "Borgerservice"), ("u-job", "Jobcenter Fjordby")]
    assert suggested_receiver(receivers, "jobcenter") == "u-job"
    assert suggested_receiver(receivers, "Skoleforvaltningen") is None
    assert suggested_receiver(receivers, None) is None
    assert suggested_receiver([], "Jobcenter") is None


@pytest.mark.expect_log("postfordeler.dubu.routing", "not available")
def test_the_gateway_keeps_the_list_and_asks_again_after_a_failed_round():
    """`CachedReceivers` (the gateway's GET /receivers): one SF2900 round per TTL; a round in
    which some subject failed is answered but not kept; every subject failing is an error."""
    from app.gateway.receivers import CachedReceivers, ReceiversUnavailable

    async def main() -> None:
        sf2900 = FakeSf2900({"15.00.00": [JOB]}, failing=("17.00.00",))
        cached = CachedReceivers(sf2900, ttl=3600)
        assert await cached.get() == [("u-job", "Jobcenter")]
        await cached.get()
        assert cached.lookups == 2  # a subject failed: not kept
        sf2900.failing = ()
        sf2900.by_kle["17.00.00"] = [SKOLE]
        first = await cached.get()
        assert first == [("u-job", "Jobcenter"), ("u-skole", "Skoleforvaltningen")]
        assert await cached.get() == first and cached.lookups == 3  # kept
        cached.invalidate()
        await cached.get()
        assert cached.lookups == 4
        down = CachedReceivers(FakeSf2900({}, failing=FORWARD_KLE), ttl=3600)
        with pytest.raises(ReceiversUnavailable):
            await down.get()

    asyncio.run(main())


@pytest.mark.expect_log("postfordeler.dubu.routing", "not available")
def test_the_receivers_come_from_sf2900_through_the_gateway(tmp_path):
    """The desktop asks the gateway (HTTPS, the demo user); the gateway asks the sandbox's
    SF2900 over TLS with its own certificate and STS token: several receivers, none of them the
    department's own DUBU. No user: refused. SF2900 down: a clear temporary failure."""
    from app.sandbox.runner import SandboxConfig, start_sandbox
    from app.sf1606.gateway_client import GatewayClient, GatewayRefused, GatewayUnavailable

    async def main() -> None:
        sandbox = await start_sandbox(
            SandboxConfig(data_dir=tmp_path / "sb", store_in_keyring=False, push_messages=False)
        )
        ep = sandbox.endpoints
        try:
            client = GatewayClient(
                ep["gateway"], user=ep["user"], secret=sandbox.secret, ca_bundle=ep["tls_ca"]
            )
            stranger = GatewayClient(
                ep["gateway"], user=ep["user"], secret="forkert", ca_bundle=ep["tls_ca"]
            )
            try:
                found = await client.receivers()
                assert len(found) >= 3
                assert not any("DUBU" in name for _id, name in found)
                assert found == sorted(found, key=lambda r: r[1])
                # with each system's KLE subjects: the Videresend preselection matches by KLE
                systems = await client.receiving_systems()
                kles = {rid: kle for rid, _name, kle in systems}
                byg = next(rid for rid, name in found if name.startswith("Byg"))
                assert set(kles[byg]) == {"02.00.00", "09.00.00"}
                assert suggested_receiver(found, "Byggeri (Teknik og Miljø)", "02.00.00", kles) == (
                    byg
                )
                with pytest.raises(GatewayRefused):
                    await stranger.receivers()
                received = sandbox.sf2900.calls.get("FordelingsmodtagerListRequest", 0)
                assert received >= len(FORWARD_KLE)
                assert await client.receivers() == found  # kept by the gateway
                assert sandbox.sf2900.calls["FordelingsmodtagerListRequest"] == received
                state_receivers = sandbox.gateway.receivers
                assert state_receivers is not None
                state_receivers.invalidate()
                await sandbox.sf2900.stop()  # SF2900 goes away
                with pytest.raises(GatewayUnavailable, match="SF2900"):
                    await client.receivers()
            finally:
                await client.close()
                await stranger.close()
        finally:
            await sandbox.stop()

    asyncio.run(main())


SANDBOX_LIST = [
    ("u-bom", "Byg og miljø (Byggesag)"),
    ("u-besk", "Beskæftigelse (Momentum)"),
    ("u-borger", "Borgerservice (SBSYS)"),
    ("u-skole", "Skole og dagtilbud (SBSYS)"),
    ("u-nexus", "Ældre og sundhed (KMD Nexus)"),
]
SANDBOX_KLES = {
    "u-bom": ["02.00.00", "09.00.00"],
    "u-besk": ["15.00.00"],
    "u-borger": ["00.00.00", "23.00.00"],
    "u-skole": ["17.00.00", "28.00.00"],
    "u-nexus": ["29.00.00"],
}


@pytest.mark.parametrize(
    ("hint", "kle", "expected"),
    [
        # issue 12: the hint's name is not in the list; never the first entry (Beskæftigelse)
        ("Byggeri (Teknik og Miljø)", "02.00.00", "u-bom"),
        ("Byggeri (Teknik og Miljø)", None, "u-bom"),  # by name alone: byggeri ~ byg/byggesag
        ("Jobcenter", "15.00.00", "u-besk"),  # by KLE: the name says nothing
        ("Jobcenter", None, None),
        ("Ældreplejen", None, "u-nexus"),
        ("Borgerservice (pension)", "32.00.00", "u-borger"),  # no system for 32: by name
        ("Parkering (Teknik og Miljø)", "05.00.00", None),  # "miljø" alone is not a match
        ("Skat og opkrævning", "25.00.00", None),
        (None, None, None),
    ],
)
def test_the_suggested_receiver_is_matched_by_kle_then_name_never_by_default(hint, kle, expected):
    assert suggested_receiver(SANDBOX_LIST, hint, kle, SANDBOX_KLES) == expected


def test_the_gateway_lists_each_receivers_kle_subjects():
    sf2900 = FakeSf2900({"15.00.00": [JOB], "17.00.00": [SKOLE, JOB]})
    kles: dict[str, list[str]] = {}
    asyncio.run(forward_receivers(sf2900, kles=kles))
    assert kles == {"u-job": ["15.00.00"], "u-skole": ["17.00.00"]}
