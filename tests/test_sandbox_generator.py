"""Generated sandbox traffic: every message passes the real MeMo reader (XSD of its version),
the kinds and the ground truth are as intended, and the output is deterministic per seed."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from app.dubu.dataset import DubuDataset
from app.resources import resource
from app.sandbox.generator import MessageGenerator, minimal_pdf
from app.sf1606.memo import read_memo

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def dataset() -> DubuDataset:
    return DubuDataset.load(resource("sandbox", "dubu.json"))


@pytest.fixture(scope="module")
def generated(dataset):
    return MessageGenerator(dataset, seed=42, now=NOW).generate(200)


def test_every_generated_message_is_valid_memo(generated):
    for g in generated:
        msg = read_memo(g.xml)
        assert msg.message_uuid.lower() == g.message_uuid
        assert str(msg.kind) == g.kind
        assert msg.created is not None and msg.created.tzinfo is not None
        assert b"Z</memo:createdDateTime>" in g.xml


def test_kinds_versions_and_attachments_are_mixed(generated):
    kinds = Counter(g.kind for g in generated)
    assert kinds["retursvar"] > 50 and kinds["nyhenvendelse"] > 30 and kinds["videresendt"] > 10
    assert sum(g.misrouted for g in generated) > 5
    versions = Counter(g.memo_version for g in generated)
    assert versions["1.1"] > 20 and versions["1.2"] > 80
    assert sum(g.has_pdf for g in generated) > 20
    assert len({g.message_uuid for g in generated}) == len(generated)


def test_retursvar_points_at_a_real_letter_of_the_case(dataset, generated):
    for g in (g for g in generated if g.kind == "retursvar"):
        msg = read_memo(g.xml)
        rd = msg.reply_data[0]
        letter = dataset.letter_by_uuid(rd.message_uuid)
        assert letter is not None and letter.case_id == g.case_id
        assert rd.sender_id == dataset.municipality.cvr and rd.generating_system_id == "DUBU"
        assert rd.case_id == dataset.case_by_id(g.case_id).number
        assert msg.sender.id == letter.recipient_cpr


def test_nyhenvendelse_contact_info_and_forward_data(dataset, generated):
    saw_cpr_info = saw_forward = False
    for g in generated:
        msg = read_memo(g.xml)
        if g.kind == "nyhenvendelse" and not g.misrouted:
            info = {ci.label: ci.value for ci in msg.recipient.contact_point.contact_info}
            assert "Barnets navn" in info
            if "Barnets CPR nummer" in info:
                saw_cpr_info = True
                assert info["Barnets CPR nummer"] == g.child_cpr
                assert dataset.case_by_id(g.case_id).child_cpr == g.child_cpr
        if g.kind == "videresendt":
            saw_forward = True
            assert msg.forward_data is not None and msg.forward_data.original_sender
        if g.misrouted:
            assert g.case_id is None
    assert saw_cpr_info and saw_forward


def test_deterministic_per_seed(dataset):
    a = MessageGenerator(dataset, seed=7, now=NOW).generate(30)
    b = MessageGenerator(dataset, seed=7, now=NOW).generate(30)
    c = MessageGenerator(dataset, seed=8, now=NOW).generate(30)
    assert [m.xml for m in a] == [m.xml for m in b]
    assert {m.message_uuid for m in a}.isdisjoint({m.message_uuid for m in c})


def test_hand_written_pdf_is_valid_and_carries_danish_text(generated):
    pdf = minimal_pdf(["Bekymring for Åse Ærø (5.b)", "Slut \\ (tak)"], title="Test")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Åse Ærø" in text and "(tak)" in text
    with_pdf = next(g for g in generated if g.has_pdf)
    files = [f for d in read_memo(with_pdf.xml).documents for f in d.files]
    pdf_file = next(f for f in files if f.mime == "application/pdf")
    assert len(PdfReader(io.BytesIO(pdf_file.content)).pages) == 1
