"""The DUBU directory adapter: the HTTP service (real loopback) and the in-process dataset
implementation give the same answers, and they are the right ones for the dataset."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from app.dubu.dataset import DubuDataset
from app.dubu.directory import (
    DatasetDubuDirectory,
    DubuDirectory,
    DubuUnavailable,
    HttpDubuDirectory,
)
from app.resources import resource
from app.sandbox.dubu_service import DubuDirectoryService

DUBU_JSON = resource("sandbox", "dubu.json")


@pytest.fixture(scope="module")
def dataset() -> DubuDataset:
    return DubuDataset.load(DUBU_JSON)


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(DUBU_JSON.read_text("utf-8"))


def run_both(dataset, fn):
    """Run `fn(directory)` against both implementations; return (dataset_result, http_result)."""

    async def main():
        local = DatasetDubuDirectory(dataset)
        service = DubuDirectoryService(dataset)
        await service.start()
        remote = HttpDubuDirectory(service.base_url)
        try:
            assert isinstance(local, DubuDirectory) and isinstance(remote, DubuDirectory)
            return await fn(local), await fn(remote)
        finally:
            await remote.close()
            await service.stop()

    return asyncio.run(main())


def test_case_by_id_and_json_shape(dataset, raw):
    case = raw["cases"][0]

    async def fn(d):
        return await d.case(case["id"].upper()), await d.case(
            "00000000-0000-4000-8000-000000000000"
        )

    (a, missing_a), (b, missing_b) = run_both(dataset, fn)
    assert a == b and missing_a is None and missing_b is None
    assert a.id == case["id"] and a.number == case["number"] and a.kle == case["kle"]
    assert a.child_cpr == case["child_cpr"] and a.child_name
    assert [(p.cpr, p.role) for p in a.parties] == [(p["cpr"], p["role"]) for p in case["parties"]]
    assert all(p.name for p in a.parties)
    assert a.caseworker is not None and a.caseworker.id == case["caseworker_id"]
    assert set(a.to_json()) == {
        "id",
        "number",
        "title",
        "kle",
        "child_cpr",
        "child_name",
        "parties",
        "caseworker",
        "status",
        "opened",
        "closed",
    }


def test_cases_by_cpr_child_and_party(dataset, raw):
    case = raw["cases"][0]
    mother = case["parties"][0]["cpr"]

    async def fn(d):
        return (
            await d.cases_by_cpr(case["child_cpr"]),
            await d.cases_by_cpr(f"{mother[:6]}-{mother[6:]}"),
            await d.cases_by_cpr("0101011234"),
        )

    a, b = run_both(dataset, fn)
    assert a == b
    child_cases, party_cases, none = a
    assert case["id"] in [c.id for c in child_cases]
    assert all(c.child_cpr == case["child_cpr"] for c in child_cases)
    assert case["id"] in [c.id for c in party_cases]
    assert none == []


def test_case_by_number_tolerant(dataset, raw):
    case = raw["cases"][0]
    number = case["number"]  # 27.24.00-G01-14547-26
    loose = number.replace("-", " - ").lower()

    async def fn(d):
        return (
            await d.case_by_number(number),
            await d.case_by_number(loose),
            await d.case_by_number("nope"),
        )

    a, b = run_both(dataset, fn)
    assert a == b
    assert a[0].id == case["id"] and a[1].id == case["id"] and a[2] is None


def test_cases_by_name_typo_tolerant(dataset, raw):
    case = raw["cases"][0]
    child_name = next(p["name"] for p in raw["persons"] if p["cpr"] == case["child_cpr"])
    first, last = child_name.split()[0], child_name.split()[-1]
    typo = first[:-1] + ("e" if first[-1] != "e" else "a")

    async def fn(d):
        return await d.cases_by_name(f"{last} {first}"), await d.cases_by_name(f"{typo} {last}")

    a, b = run_both(dataset, fn)
    assert a == b
    assert case["id"] in [c.id for c in a[0]]
    assert case["id"] in [c.id for c in a[1]]


def test_letters_case_insensitive_and_caseworkers(dataset, raw):
    letter = raw["letters"][0]

    async def fn(d):
        return (
            await d.letter(letter["message_uuid"].upper()),
            await d.letter("3f1e2a7c-0000-4000-8000-000000000000"),
            await d.caseworkers(),
        )

    a, b = run_both(dataset, fn)
    assert a == b
    found, missing, workers = a
    assert found.case_id == letter["case_id"] and found.message_uuid == letter["message_uuid"]
    assert found.sent is not None and found.sent.tzinfo is not None
    assert missing is None
    assert [w.id for w in workers] == [w["id"] for w in raw["caseworkers"]]


def test_http_persons_health_and_faults(dataset, raw):
    person = raw["persons"][0]

    async def main():
        async with DubuDirectoryService(dataset) as service:
            d = HttpDubuDirectory(service.base_url)
            try:
                p = await d.person(person["cpr"])
                async with httpx.AsyncClient() as http:
                    health = (await http.get(f"{service.base_url}/health")).json()
                    bad = await http.get(f"{service.base_url}/cases")
                    await http.post(
                        f"{service.base_url}/faults", json={"kind": "http500", "count": 1}
                    )
                    with pytest.raises(DubuUnavailable):
                        await d.caseworkers()
                    assert await d.caseworkers()  # recovered
                    await http.post(f"{service.base_url}/faults", json={"kind": "drop", "count": 1})
                    with pytest.raises(DubuUnavailable):
                        await d.caseworkers()
                    rejected = await http.post(
                        f"{service.base_url}/faults", json={"kind": "afvist"}
                    )
                return p, health, bad.status_code, rejected.status_code
            finally:
                await d.close()

    p, health, bad, rejected = asyncio.run(main())
    assert p.name == person["name"]
    assert health["ok"] and health["cases"] == len(raw["cases"])
    assert bad == 400 and rejected == 400


def test_unreachable_directory_is_unavailable():
    async def main():
        d = HttpDubuDirectory("http://127.0.0.1:9", timeout=2)
        try:
            with pytest.raises(DubuUnavailable):
                await d.caseworkers()
        finally:
            await d.close()

    asyncio.run(main())
