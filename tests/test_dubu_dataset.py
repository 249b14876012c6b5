"""The DUBU dataset model: loading and indexes."""

from __future__ import annotations

import json

import pytest

from app.dubu.dataset import DubuDataset, fold, normalize_case_number
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def ds():
    return DubuDataset.load(CORPUS / "dubu.json")


@pytest.fixture(scope="module")
def raw():
    return json.loads((CORPUS / "dubu.json").read_text(encoding="utf-8"))


def test_counts_and_municipality(ds, raw):
    assert len(ds.cases) == len(raw["cases"]) == 418
    assert len(ds.persons) == len(raw["persons"])
    assert len(ds.letters) == len(raw["letters"])
    assert ds.municipality.cvr == raw["municipality"]["cvr"]
    assert len(ds.caseworkers()) == len(raw["caseworkers"])
    assert {c.purpose for c in ds.contact_points} == {"nyhenvendelse", "retursvar"}


def test_case_lookups(ds, raw):
    c = raw["cases"][0]
    case = ds.case_by_id(c["id"].upper())
    assert case is not None and case.number == c["number"]
    assert ds.case_by_number(c["number"]) is case
    stem = c["number"].rsplit("-", 1)[0]
    assert ds.case_by_number(stem) is case
    assert ds.case_by_number(" " + c["number"].replace("-", " - ").lower()) is case
    assert ds.case_by_number("27.24.00-G01-00000-99") is None
    assert case in ds.cases_for_child(c["child_cpr"])
    for p in c["parties"]:
        assert case in ds.cases_for_party(p["cpr"])
        assert case.role_of(p["cpr"]) == p["role"]
    assert case.role_of(c["child_cpr"]) == "barn"


def test_cases_for_child_open_first(ds):
    for cpr in {c.child_cpr for c in ds.cases}:
        cases = ds.cases_for_child(cpr)
        flags = [c.is_open for c in cases]
        assert flags == sorted(flags, reverse=True)
        assert sum(flags) <= 1  # a child has at most one open case


def test_letters_persons_partners(ds, raw):
    letter = raw["letters"][5]
    found = ds.letter_by_uuid(letter["message_uuid"].upper())
    assert found is not None and found.case_id == letter["case_id"]
    assert found in ds.letters_to(letter["recipient_cpr"])
    p = raw["persons"][3]
    assert ds.person(p["cpr"]).name == p["name"]
    assert ds.person(p["cpr"][:6] + "-" + p["cpr"][6:]).name == p["name"]
    partner = raw["partners"][0]
    assert ds.partner(partner["cvr"]).name == partner["name"]


def test_search_names_tolerates_typos_and_order(ds, raw):
    child = ds.person(raw["cases"][0]["child_cpr"])
    first, last = child.first_name, child.last_name
    assert ds.search_names(f"{first} {last}")[0][0] == child
    typo = first[:-1] + ("e" if first[-1] != "e" else "a")
    assert child in [p for p, _ in ds.search_names(f"{last} {typo}", limit=10)]
    assert ds.search_names("") == []


def test_helpers():
    assert fold("Søren Ærø-Ålund") == "soren aero aalund"
    assert normalize_case_number("sag 27.24.00-G01-14547-26") == ("27.24.00-G01-14547", "26")
    assert normalize_case_number("27.24.00 g01 14547") == ("27.24.00-G01-14547", None)
    assert normalize_case_number("ingen sag") is None
