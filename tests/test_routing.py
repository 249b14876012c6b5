"""Routing rules (app/core/routing.py), without Qt: which receiving systems "Videresend" offers
from SF2900 FordelingsmodtagerList, and which one the suggestion's hint preselects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from app.core import routing
from app.core.routing import FORWARD_KLE, RoutingRules, forward_receivers, suggested_receiver


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


@pytest.mark.expect_log("postfordeler.core.routing", "not available")
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


def test_the_sandbox_sf2900_lists_receivers_outside_the_department(tmp_path):
    """Against the sandbox's SF2900 service through the real client: several receivers, none
    of them the department's own DUBU."""
    from app.core.services import default_municipality_cvr
    from app.dubu.sf2900_client import Sf2900Client
    from app.sandbox.runner import SandboxConfig, SandboxThread

    sandbox = SandboxThread(
        SandboxConfig(data_dir=tmp_path / "sb", store_in_keyring=False, push_messages=False)
    )
    endpoints = sandbox.start()
    try:

        async def ask() -> list[tuple[str, str]]:
            cvr = default_municipality_cvr()
            client = Sf2900Client(endpoints["sf2900"], municipality_cvr=cvr)
            try:
                return await forward_receivers(client)
            finally:
                await client.close()

        found = asyncio.run(ask())
    finally:
        sandbox.stop()
    assert len(found) >= 3
    assert not any("DUBU" in name for _id, name in found)
