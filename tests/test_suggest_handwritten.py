"""Suggestions on letters people write: the hand-written evaluation set (tests/handwritten),
finding the child through everyone a letter names, which child it is about, and misrouting by
purpose (the classifier and its SF2900 receivers)."""

from __future__ import annotations

import dataclasses
import json
import sys

import pytest

from app.dubu.dataset import DubuDataset
from app.dubu.routing import FORWARD_KLE
from app.sandbox.sf2900_service import DEFAULT_SYSTEMS
from app.sf1606.memo import read_memo
from app.sf1606.model import ForwardData, MemoMessage
from app.suggest import misroute, names
from app.suggest.engine import SuggestionEngine
from tests.conftest import CORPUS, REPO

HAND = REPO / "tests" / "handwritten"
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(HAND))
from bench_suggest import evaluate  # noqa: E402

from tests.test_suggest import with_text  # noqa: E402


@pytest.fixture(scope="module")
def world():
    ds = DubuDataset.load(REPO / "resources" / "sandbox" / "dubu.json")
    labels = json.loads((HAND / "labels.json").read_text(encoding="utf-8"))
    msgs = {u: read_memo(HAND / "messages" / f"{u}.xml") for u in labels}
    return ds, SuggestionEngine(ds), labels, msgs


def as_sender(msg: MemoMessage, cpr: str, name: str) -> MemoMessage:
    return dataclasses.replace(
        msg, sender=dataclasses.replace(msg.sender, id=cpr, id_type="CPR", label=name)
    )


def a_new_inquiry(labels, msgs) -> MemoMessage:
    u = next(u for u, lab in labels.items() if lab["kind"] == "nyhenvendelse")
    return msgs[u]


# --- the set itself -------------------------------------------------------------------------


def test_handwritten_set_is_what_build_makes_and_apart_from_training(world):
    import build

    ds_raw = json.loads((REPO / "resources" / "sandbox" / "dubu.json").read_text("utf-8"))
    records = build.parse((HAND / "letters.txt").read_text(encoding="utf-8"))
    assert len(records) >= 120
    assert len({r["body"] for r in records}) == len(records)  # each letter its own
    _ds, _engine, labels, _msgs = world
    for n, rec in enumerate(records):
        mid, xml, label = build.build(rec, ds_raw, n)
        assert labels[mid] == label
        assert (HAND / "messages" / f"{mid}.xml").read_bytes() == xml
    training = {t for _, t in misroute.training_letters()}
    bodies = {r["body"].strip() for r in records}
    assert not training & bodies


def test_handwritten_quality(world):
    _ds, engine, labels, msgs = world
    q = evaluate(engine, labels, msgs)
    assert q["retursvar_top1"] >= 99.0
    assert q["nyhenvendelse_videresendt_top1"] >= 90.0  # exact ties count as misses
    assert q["nyhenvendelse_videresendt_top3"] >= 97.0
    assert q["nocase_confident_share"] <= 5.0
    assert q["misroute_recall"] >= 90.0
    assert q["misroute_precision"] >= 90.0
    assert q["misrouted_confident_share"] == 0.0


# --- names as people write them ---------------------------------------------------------------


def test_pet_forms_by_rule_and_table():
    assert {"fred", "frede", "fredde"} <= names.pet_forms("frederik")
    assert "basse" in names.pet_forms("sebastian")
    assert "tilde" in names.pet_forms("mathilde")
    assert "kalle" in names.pet_forms("karla")
    assert "karl" not in names.pet_forms("karla")  # another name, not a pet form
    assert names.first_name_score("frederik", "fredde") >= 0.9
    assert names.first_name_score("mathilde", "tilde") >= 0.9


# --- everyone the letter names ------------------------------------------------------------------


def _open_case_with_two_parents(ds):
    for case in ds.cases:
        roles = {p.role: p.cpr for p in case.parties}
        if case.is_open and "mor" in roles and "far" in roles:
            mother = ds.person(roles["mor"])
            child = ds.person(case.child_cpr)
            if mother and child and mother.address and len(ds.cases_for_party(mother.cpr)) == 1:
                return case, mother, child
    raise AssertionError("no case with two parents")


def test_child_found_through_a_parent_an_address_and_an_original_sender(world):
    ds, engine, labels, msgs = world
    case, mother, child = _open_case_with_two_parents(ds)
    base = as_sender(a_new_inquiry(labels, msgs), "0101521234", "Grete Outsider")
    texts = [
        (
            f"Jeg er mormor. Min datter {mother.name} har det svært, og {child.first_name} "
            "kommer tit sulten til mig."
        ),
        (
            f"Jeg bor ved siden af på {mother.address.split(',')[0]}. {child.first_name} sidder "
            "ofte alene ude på trappen om aftenen."
        ),
    ]
    for text in texts:
        r = engine.suggest(with_text(base, text, label="Bekymring"))
        assert r.top is not None and r.top.case_id == case.id, text
        assert r.top.score >= 0.5
    surname = child.name.split()[-1]
    r = engine.suggest(
        with_text(base, f"Vedr.: {surname.upper()}, {child.first_name.upper()}", label="Skema")
    )
    assert r.top is not None and r.top.case_id == case.id  # surname first, in capitals
    fwd = dataclasses.replace(
        base,
        forward_data=ForwardData(
            message_uuid="4f7e0f7e-2a3c-4b1e-9a55-0c1d2e3f4a5b",
            original_message_datetime=None,
            original_sender=mother.name,
            comment="Sendt til os ved en fejl, vedrører borgerens barn.",
        ),
    )
    r = engine.suggest(with_text(fwd, f"Jeg vil gerne have hjælp til {child.first_name}."))
    assert r.top is not None and r.top.case_id == case.id
    assert any("videresendte brev" in why for why in r.top.reasons)


# --- which child ------------------------------------------------------------------------------


def _two_siblings(ds):
    for adult in {p.cpr for c in ds.cases for p in c.parties if p.role == "mor"}:
        kids = sorted({c.child_cpr for c in ds.cases_for_party(adult) if c.is_open})
        firsts = {ds.person(k).first_name for k in kids}
        if len(kids) == 2 and len(firsts) == 2:
            return ds.person(adult), ds.person(kids[0]), ds.person(kids[1])
    raise AssertionError("no mother with two children")


def test_subject_correction_and_equal_evidence(world):
    ds, engine, labels, msgs = world
    mother, a, b = _two_siblings(ds)
    base = as_sender(a_new_inquiry(labels, msgs), mother.cpr, mother.name)
    case_a = ds.open_case_for_child(a.cpr)
    case_b = ds.open_case_for_child(b.cpr)
    cases = [
        (b.first_name, f"{b.first_name} græder hver morgen. {a.first_name} har det fint.", case_b),
        (
            "Rettelse",
            (
                f"I går skrev jeg om {a.first_name}, men det drejer sig om {b.first_name}, "
                f"ikke {a.first_name}."
            ),
            case_b,
        ),
        ("Spørgsmål", f"Det drejer sig om {a.first_name}. {b.first_name} er ikke med.", case_a),
    ]
    for label, text, want in cases:
        r = engine.suggest(with_text(base, text, label=label))
        assert r.top.case_id == want.id, text
        assert r.suggestions[1].score < r.top.score
    r = engine.suggest(
        with_text(base, f"{a.first_name} og {b.first_name} skal på lejr.", label="Lejr")
    )
    top2 = {s.case_id for s in r.suggestions[:2]}
    assert top2 == {case_a.id, case_b.id}
    assert r.suggestions[0].score == r.suggestions[1].score
    assert all(any("To børn nævnt" in w for w in s.reasons) for s in r.suggestions[:2])


# --- misrouting by purpose --------------------------------------------------------------------


def test_parent_writing_about_own_job_centre_meeting_is_misrouted(world):
    ds, engine, labels, msgs = world
    mother, a, _b = _two_siblings(ds)
    base = as_sender(a_new_inquiry(labels, msgs), mother.cpr, mother.name)
    text = (
        f"Jeg kan ikke komme til min samtale i jobcentret på mandag, fordi {a.first_name} er "
        "syg og skal passes. Kan samtalen flyttes? Jeg er stadig sygemeldt."
    )
    r = engine.suggest(with_text(base, text, label="Min samtale"))
    assert r.misrouted and r.misroute_topic == "jobcenter"
    assert all(s.score < 0.8 for s in r.suggestions)
    assert r.forward_kle == "15.00.00" and r.note and "jobcent" in r.note
    r = engine.suggest(with_text(base, f"{a.first_name} bliver mobbet i skolen.", label="Hjælp"))
    assert not r.misrouted


def test_every_receiver_is_in_sf2900s_list():
    for topic, kle in misroute.TOPIC_KLE.items():
        assert topic in misroute.TOPICS
        assert kle in FORWARD_KLE, topic
        assert any(s.takes(kle) and not s.takes("27.") for s in DEFAULT_SYSTEMS), topic
    assert set(misroute.TOPIC_KLE) == set(misroute.TOPICS)


def test_classifier_trained_on_its_own_letters():
    letters = misroute.training_letters()
    classes = {c for c, _ in letters}
    assert classes == {misroute.FAMILY, *misroute.TOPICS}
    dev = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    assert len(letters) >= 150 and dev  # the dev corpus is not its training data
    model = misroute.classifier()
    assert model is not None
    p, topic, _words = model.predict("Skraldespand\nVores skraldespand er fuld.")
    assert p >= 0.6 and topic == "affald"
