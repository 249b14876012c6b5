"""SF2900 document values from real corpus messages through the real cache: the values are
checked where they are built. (The byte-for-byte golden of the desktop outbox's envelopes is
gone with that path: issue 9 moved delivery to the gateway and changed the wire to the
published form on purpose; tests/test_sf2900_delivery.py and the sandbox's inspection endpoint
check that form field by field.)"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime as real_datetime

import pytest

from app.decisions import Assign, Forward, Journalise, JournalNote
from app.dubu.dataset import DubuDataset
from app.dubu.directory import DatasetDubuDirectory
from app.dubu.sf2900_client import (
    DEFAULT_KLE,
    DocumentFile,
    LetterHeader,
    Sf2900Document,
    Sf2900JournalNote,
    derived_id,
    facet_from_case_number,
)
from tests.conftest import CORPUS

LABELS = json.loads((CORPUS / "labels.json").read_text())
DATASET = DubuDataset.load(CORPUS / "dubu.json")
WITH_CASE = [u for u, v in sorted(LABELS.items()) if v["case_id"]][:4]
WITHOUT_CASE = [u for u, v in sorted(LABELS.items()) if not v["case_id"]][:3]
FIXED_NOW = real_datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
CASEWORKER_UUID = "0d6f1f9e-3c1a-4c7e-9a55-7b1e2d3c4f50"
NEXUS = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@dataclass(frozen=True)
class Synced:  # the fields of a synced MailboxItem the cache reads
    item_id: int
    message_uuid: str
    received_at: real_datetime
    contact_point_id: str | None
    memo: bytes


def test_document_values_are_checked_where_they_are_built():
    case = DatasetDubuDirectory(DATASET).sync_case(LABELS[WITH_CASE[0]]["case_id"])
    assert case is not None
    tid = "00000000-0000-4000-8000-000000000001"
    letter = LetterHeader("0376b2ed-3498-4334-9bfc-ad52706225fd", "Brev", None, FIXED_NOW)
    files = [DocumentFile("brev.txt", "text/plain", b"x")]

    def doc(decision, **kw):
        args = {"transaction_id": tid, "user": "u", "letter": letter, "files": files, "case": case}
        return Sf2900Document.for_decision(decision, **{**args, **kw})

    j = doc(Journalise(case.id, case.number))
    assert (j.case_id, j.kle, j.fremdrift, j.caseworker_id, j.receiver_id) == (
        case.id,
        case.kle,
        "Modtaget",
        None,
        None,
    )
    assert j.facet == facet_from_case_number(case.number) and j.files == tuple(files)
    a = doc(Assign("cw-1", case_id=case.id))
    assert (a.fremdrift, a.caseworker_id, a.case_id) == ("Fordelt", "cw-1", case.id)
    f = doc(Forward("sys-1"), case=None)
    assert (f.receiver_id, f.case_id, f.kle, f.facet) == ("sys-1", None, DEFAULT_KLE, None)
    assert doc(Forward(kle="29.01.00"), case=None).kle == "29.01.00"
    # the case must be the decision's
    with pytest.raises(ValueError, match="sagen passer ikke"):
        doc(Journalise("another-case"))
    with pytest.raises(ValueError, match="sagen passer ikke"):
        doc(Assign("cw-1"))  # no case decided, but one given
    with pytest.raises(ValueError, match="mindst én fil"):
        doc(Journalise(case.id), files=[])
    with pytest.raises(ValueError, match="UUID"):
        doc(Journalise(case.id), transaction_id="not-a-uuid")
    with pytest.raises(ValueError, match=r"NN\.NN\.NN"):
        dataclasses.replace(j, kle="27.24")
    with pytest.raises(ValueError, match="Fremdrift"):
        dataclasses.replace(j, fremdrift="Færdig")
    with pytest.raises(dataclasses.FrozenInstanceError):
        j.kle = "29.01.00"  # type: ignore[misc]
    # the journal note that goes with the document: derived ids, the document's case and KLE
    jn = Sf2900JournalNote.for_document(JournalNote(case.id, "Notat"), j)
    assert jn.transaction_id == derived_id(tid, "journalnotat")
    assert jn.document_id == derived_id(tid, "dokument")
    assert (jn.case_id, jn.kle, jn.title, jn.user) == (case.id, case.kle, "Journalnotat: Brev", "u")
    with pytest.raises(ValueError, match="journalnotatet passer ikke"):
        Sf2900JournalNote.for_document(JournalNote("another-case", "Notat"), j)
    with pytest.raises(ValueError, match="tekst"):
        dataclasses.replace(jn, note="  ")
    alone = Sf2900JournalNote.for_decision(
        JournalNote(case.id, "Notat", "Telefon"),
        transaction_id=tid,
        user="u",
        letter=letter,
        case=case,
    )
    assert (alone.transaction_id, alone.document_id, alone.title) == (tid, None, "Telefon")
