"""The case-suggestion engine: corpus quality floor, specific behaviours and the CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from app.dubu.dataset import DubuDataset
from app.sf1606.memo import read_memo
from app.sf1606.model import ContactInfo, DocumentRole, MemoMessage, ReplyData
from app.suggest.engine import SuggestionEngine, SuggestionResult
from tests.conftest import CORPUS, MESSAGES, REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from bench_suggest import evaluate


@pytest.fixture(scope="module")
def world():
    ds = DubuDataset.load(CORPUS / "dubu.json")
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    msgs = {u: read_memo(MESSAGES / f"{u}.xml") for u in labels}
    return ds, SuggestionEngine(ds), labels, msgs


def with_text(msg: MemoMessage, text: str, **changes) -> MemoMessage:
    docs = []
    for doc in msg.documents:
        files = tuple(
            dataclasses.replace(f, content=text.encode(), size=len(text.encode()))
            for f in doc.files
            if f.mime.startswith("text/plain") and doc.role is DocumentRole.MAIN
        )
        if files:
            docs.append(dataclasses.replace(doc, files=files))
    return dataclasses.replace(msg, documents=tuple(docs), **changes)


def with_contact_info(msg: MemoMessage, infos) -> MemoMessage:
    cp = dataclasses.replace(msg.recipient.contact_point, contact_info=tuple(infos))
    return dataclasses.replace(msg, recipient=dataclasses.replace(msg.recipient, contact_point=cp))


def first(labels, pred):
    return next(u for u, lab in labels.items() if pred(lab))


# --- quality floor ---------------------------------------------------------------------------


def test_corpus_quality_floor(world):
    _ds, engine, labels, msgs = world
    q = evaluate(engine, labels, msgs)
    assert q["retursvar_top1"] >= 99.0
    assert q["nyhenvendelse_videresendt_top1"] >= 93.0
    assert q["nyhenvendelse_videresendt_top3"] >= 97.0
    assert q["nocase_confident_share"] <= 5.0
    assert q["misroute_recall"] >= 90.0
    assert q["misroute_precision"] >= 90.0


def test_scores_are_probabilities_and_sorted(world):
    _ds, engine, _labels, msgs = world
    for m in msgs.values():
        r = engine.suggest(m)
        assert isinstance(r, SuggestionResult)
        scores = [s.score for s in r.suggestions]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert all(s.reasons for s in r.suggestions)


# --- replies ---------------------------------------------------------------------------------


def test_replydata_chosen_by_sender_not_position(world):
    ds, engine, labels, msgs = world
    u = first(labels, lambda lab: lab["kind"] == "retursvar" and "second_replydata" in lab["notes"])
    m = msgs[u]
    ours = next(r for r in m.reply_data if r.sender_id == ds.municipality.cvr)
    # A decoy entry first, pointing at another real letter but not sent by us
    other = next(lt for lt in ds.letters if ds.case_by_id(lt.case_id).id != labels[u]["case_id"])
    decoy = ReplyData(
        message_uuid=other.message_uuid,
        sender_id="12345678",
        case_id=ds.case_by_id(other.case_id).number,
    )
    ours_plain = dataclasses.replace(ours, generating_system_id=None)
    r = engine.suggest(dataclasses.replace(m, reply_data=(decoy, ours_plain)))
    assert r.suggestions[0].case_id == labels[u]["case_id"]
    assert r.suggestions[0].reasons[0].startswith("Svar på brev")


def test_reply_to_closed_case_keeps_it_first_then_open_case(world):
    ds, engine, labels, msgs = world
    u = first(labels, lambda lab: "closed_case_newer_open" in lab["notes"])
    r = engine.suggest(msgs[u])
    top, second = r.suggestions[0], r.suggestions[1]
    assert top.case_id == labels[u]["case_id"] and top.closed
    assert not second.closed
    assert ds.case_by_id(second.case_id).child_cpr == ds.case_by_id(top.case_id).child_cpr
    assert any("lukket" in why for why in second.reasons)


def test_reply_letter_uuid_case_insensitive(world):
    _ds, engine, labels, msgs = world
    u = first(labels, lambda lab: lab["kind"] == "retursvar")
    m = msgs[u]
    rd = tuple(
        dataclasses.replace(x, message_uuid=x.message_uuid.upper(), case_id=None)
        for x in m.reply_data
    )
    assert engine.suggest(dataclasses.replace(m, reply_data=rd)).top.case_id == labels[u]["case_id"]


# --- closed cases, new cases -------------------------------------------------------------------


def test_only_closed_case_needs_new_case_and_no_confident_suggestion(world):
    _ds, engine, labels, msgs = world
    items = [u for u, lab in labels.items() if "only_closed_case" in lab["notes"]]
    assert items
    for u in items:
        r = engine.suggest(msgs[u])
        assert r.needs_new_case, u
        assert "lukkede" in (r.note or "")
        assert all(s.score < 0.5 for s in r.suggestions)


def test_child_not_in_dubu_gets_no_confident_suggestion(world):
    _ds, engine, labels, msgs = world
    for u, lab in labels.items():
        if "child_not_in_dubu" in lab["notes"] or "new_family_not_in_dubu" in lab["notes"]:
            r = engine.suggest(msgs[u])
            assert not r.suggestions or r.suggestions[0].score < 0.5, u


# --- CPR in the engine (the recogniser itself: tests/test_cpr.py) ---------------------------


def _mod11(cpr: str) -> bool:
    return (
        sum(int(d) * w for d, w in zip(cpr, (4, 3, 2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0
    )


def test_mod11_failing_child_cpr_is_matched(world):
    ds, engine, labels, msgs = world
    case = next(c for c in ds.cases if c.is_open and not _mod11(c.child_cpr))
    u = first(labels, lambda lab: lab["kind"] == "nyhenvendelse" and "partner:" in lab["notes"])
    c = case.child_cpr
    m = with_contact_info(
        with_text(msgs[u], f"Vi underretter om barnet med CPR {c[:6]} {c[6:]}."), ()
    )
    r = engine.suggest(m)
    assert r.top.case_id == case.id
    assert "Barnets CPR fundet i brevet" in r.top.reasons


def test_wrong_contactinfo_cpr_is_overridden_by_text(world):
    ds, engine, labels, msgs = world
    u = first(
        labels,
        lambda lab: (
            "contactinfo_ok" in lab["notes"]
            and lab["case_id"]
            and "cpr_dash" in lab["notes"]
            and lab["kind"] == "nyhenvendelse"
        ),
    )
    truth = labels[u]["case_id"]
    other = next(c for c in ds.cases if c.is_open and c.id != truth)
    m = msgs[u]
    infos = [
        ContactInfo(ci.label, other.child_cpr if "CPR" in ci.label else ci.value)
        for ci in m.contact_info
    ]
    r = engine.suggest(with_contact_info(m, infos))
    assert r.top.case_id == truth


# --- misrouted --------------------------------------------------------------------------------


def test_misrouted_example_forward_to(world):
    _ds, engine, labels, msgs = world
    for u, lab in labels.items():
        if lab["misrouted"]:
            r = engine.suggest(msgs[u])
            assert r.misrouted and r.forward_to and r.misroute_topic, u
            assert all(s.score < 0.5 for s in r.suggestions)
    u = first(labels, lambda lab: "misrouted:parkering" in lab["notes"])
    assert engine.suggest(msgs[u]).forward_to.startswith("Parkering")


# --- search and query ------------------------------------------------------------------------


def test_search_cases_by_cpr_name_and_number(world):
    ds, engine, _labels, _msgs = world
    case = next(c for c in ds.cases if c.is_open)
    child = ds.person(case.child_cpr)
    assert engine.search_cases(case.child_cpr)[0].case_id == case.id
    assert engine.search_cases(case.number)[0].case_id == case.id
    assert engine.search_cases(case.number.rsplit("-", 1)[0])[0].case_id == case.id
    assert case.id in [s.case_id for s in engine.search_cases(child.name)[:5]]


def test_query_reranks(world):
    ds, engine, labels, msgs = world
    u = first(labels, lambda lab: lab["kind"] == "retursvar")
    other = next(c for c in ds.cases if c.id != labels[u]["case_id"])
    r = engine.suggest(msgs[u], query=other.number)
    assert r.suggestions[0].case_id == other.id
    assert labels[u]["case_id"] in [s.case_id for s in r.suggestions]


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_json(world, tmp_path):
    _ds, _engine, labels, _msgs = world
    files = sorted(MESSAGES.glob("*.xml"))[:6]
    bad = tmp_path / "bad.xml"
    bad.write_text("<nope/>")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "suggest",
            "--dubu-data",
            str(CORPUS / "dubu.json"),
            "--json",
            *map(str, files),
        ],
        capture_output=True,
        check=False,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(lines) == len(files)
    for doc, f in zip(lines, files, strict=True):
        assert doc["message_uuid"] == f.stem
        assert doc["kind"] == labels[f.stem]["kind"]
        assert isinstance(doc["misrouted"], bool)
        for s in doc["suggestions"]:
            assert set(s) >= {"case_id", "case_number", "score", "reasons"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "suggest",
            "--dubu-data",
            str(CORPUS / "dubu.json"),
            str(files[0]),
            str(bad),
        ],
        capture_output=True,
        check=False,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert len(out) == 2 and "FEJL" in out[1]
