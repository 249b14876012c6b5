"""The typed decisions (pure): every type round-trips through its stored JSON, every rule refuses
with a Danish message, the payloads stored before the types existed still load, the values are
frozen and carry their schema version."""

from __future__ import annotations

import dataclasses
import json

import pytest

from app.decisions import (
    ACTIONS,
    MAX_ID,
    MAX_NOTE,
    MAX_REASON,
    Assign,
    DecisionError,
    Forward,
    Journalise,
    JournalNote,
    Reject,
    decision_from_json,
)

CASE = "755d6027-2f68-420a-9826-e4816574902c"
NUMBER = "27.24.00-G01-86593-22"

EVERY = [
    Journalise(CASE),
    Journalise(CASE, NUMBER),
    Journalise(CASE, NUMBER, note=JournalNote(CASE, "Mor ringede.\nHun kommer tirsdag.")),
    Journalise(CASE, NUMBER, note=JournalNote(CASE, "Mor ringede.", "Telefonnotat")),
    Assign("c999adf3-136d-4618-9835-957f9068565d"),
    Assign("team:born", "Børn og unge"),
    Assign("cw-7", "Anna Andersen", case_id=CASE, case_number=NUMBER),
    Assign("cw-7", "Anna Andersen", case_id=CASE, note=JournalNote(CASE, "Til orientering")),
    Reject("Hører til Jobcenteret"),
    Forward("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Nexus"),
    Forward(kle="29.01.00"),
    Forward("sys-1", "Nexus", kle="29.01.00", comment="Til sundhed – se bilag"),
    JournalNote(CASE, "Far ringede om samvær."),
    JournalNote(CASE, "Far ringede om samvær.", "Telefon"),
]


@pytest.mark.parametrize("decision", EVERY, ids=lambda d: type(d).__name__)
def test_every_type_round_trips_through_json(decision):
    data = decision.to_json()
    assert data["version"] == type(decision).VERSION == 1
    stored = json.loads(json.dumps(data, ensure_ascii=False, sort_keys=True))
    again = decision_from_json(decision.action, stored)
    assert again == decision and type(again) is type(decision)
    assert again.to_json() == data


def test_actions_and_versions():
    assert ACTIONS == ("journalise", "assign", "reject", "forward", "journal_note")
    for cls in (Journalise, Assign, Reject, Forward, JournalNote):
        assert cls.action in ACTIONS and isinstance(cls.VERSION, int) and cls.VERSION >= 1


@pytest.mark.parametrize("decision", EVERY, ids=lambda d: type(d).__name__)
def test_decisions_are_frozen_and_slotted(decision):
    field = dataclasses.fields(decision)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(decision, field, "x")
    assert not hasattr(decision, "__dict__")
    assert hash(decision) == hash(dataclasses.replace(decision))


def test_text_is_stripped_and_empty_optionals_become_none():
    j = Journalise(f"  {CASE}\n", "  ", note=JournalNote(CASE, "  notat \n", " "))
    assert j.case_id == CASE and j.case_number is None
    assert j.note == JournalNote(CASE, "notat") and j.note.title is None
    f = Forward(" sys-1 ", "", kle=" 29.01.00 ", comment="   ")
    assert (f.receiver_id, f.receiver_label, f.kle, f.comment) == ("sys-1", None, "29.01.00", None)
    assert Reject("  Fejlsendt  ").reason == "Fejlsendt"
    assert Assign(" cw ", " Anna ").caseworker_label == "Anna"


REFUSALS = [
    (lambda: Journalise(""), "Vælg en sag at journalisere på"),
    (lambda: Journalise("   "), "Vælg en sag at journalisere på"),
    (lambda: Journalise(None), "Vælg en sag at journalisere på"),  # type: ignore[arg-type]
    (lambda: Assign(""), "Vælg en sagsbehandler"),
    (lambda: Assign("cw", case_number=NUMBER), "Et sagsnummer kræver en sag"),
    (lambda: Reject(""), "Angiv en begrundelse for afvisningen"),
    (lambda: Reject(" \n\t "), "Angiv en begrundelse for afvisningen"),
    (Forward, "Vælg det system, elementet skal videresendes til"),
    (lambda: Forward(receiver_label="Nexus"), "Vælg det system, elementet skal videresendes til"),
    (lambda: Forward(kle="29.01"), "KLE-emnet skal have formen NN.NN.NN"),
    (lambda: JournalNote("", "tekst"), "Et journalnotat skal høre til en sag"),
    (lambda: JournalNote(CASE, "  "), "Skriv en tekst i journalnotatet"),
    (
        lambda: Journalise(CASE, note=JournalNote("anden-sag", "tekst")),
        "Journalnotatet skal høre til den sag, beslutningen gælder",
    ),
    (lambda: Assign("cw", note=JournalNote(CASE, "tekst")), "Et journalnotat kræver en sag"),
    (lambda: Journalise(CASE, note="tekst"), "Journalnotatet har en ugyldig værdi"),  # type: ignore[arg-type]
    # bounds
    (lambda: Journalise("x" * (MAX_ID + 1)), "Sags-id'et må højst være 200 tegn"),
    (lambda: Reject("x" * (MAX_REASON + 1)), "Begrundelsen må højst være 4000 tegn"),
    (lambda: JournalNote(CASE, "x" * (MAX_NOTE + 1)), "Journalnotatet må højst være"),
    (lambda: JournalNote(CASE, "tekst", "t" * 257), "Titlen på journalnotatet må højst være"),
    (lambda: Assign("cw", "n" * 257), "Sagsbehandlerens navn må højst være"),
    (lambda: Forward("sys", comment="c" * 4001), "Kommentaren må højst være"),
    # control characters: none in ids and names; text keeps only tab and line breaks
    (lambda: Journalise("abc\x00def"), "Sags-id'et indeholder ugyldige tegn"),
    (lambda: Assign("cw\nx"), "Sagsbehandlerens id indeholder ugyldige tegn"),
    (lambda: Forward("sys\x1b[31m"), "Modtagerens id indeholder ugyldige tegn"),
    (lambda: Forward("sys", "Nex\x07us"), "Modtagerens navn indeholder ugyldige tegn"),
    (lambda: Reject("Fe\x0bjl"), "Begrundelsen indeholder ugyldige tegn"),
    (lambda: JournalNote(CASE, "a\x00b"), "Journalnotatet indeholder ugyldige tegn"),
    # types
    (lambda: Journalise(123), "Sags-id'et har en ugyldig værdi"),  # type: ignore[arg-type]
    (lambda: Reject(["nej"]), "Begrundelsen har en ugyldig værdi"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("make", "message"), REFUSALS)
def test_every_rule_refuses_in_danish(make, message):
    with pytest.raises(DecisionError) as caught:
        make()
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_text_may_span_lines():
    note = JournalNote(CASE, "Linje 1\r\n\tLinje 2")
    assert note.text == "Linje 1\r\n\tLinje 2"
    assert Reject("Ikke vores.\nSendt videre pr. telefon.").reason.count("\n") == 1


# The payload dicts the outbox stored before the typed decisions (no version key), in the shapes
# the UI, the tests and the load tools wrote them.
OLD_SHAPES = [
    ("journalise", {"case_id": CASE}, Journalise(CASE)),
    ("journalise", {"case_id": CASE, "case_number": NUMBER}, Journalise(CASE, NUMBER)),
    (
        "journalise",
        {"case_id": CASE, "case_number": NUMBER, "note": "Mor ringede.", "note_title": "Notat"},
        Journalise(CASE, NUMBER, note=JournalNote(CASE, "Mor ringede.", "Notat")),
    ),
    (
        "journalise",
        {"case_id": CASE, "case_number": None, "note": "Mor ringede."},
        Journalise(CASE, note=JournalNote(CASE, "Mor ringede.")),
    ),
    ("journalise", {"case_id": CASE, "note": "  "}, Journalise(CASE)),
    (
        "assign",
        {"caseworker_id": "cw", "caseworker_label": "Anna", "case_id": CASE, "case_number": NUMBER},
        Assign("cw", "Anna", case_id=CASE, case_number=NUMBER),
    ),
    ("assign", {"case_id": CASE, "caseworker_id": "cw"}, Assign("cw", case_id=CASE)),
    ("reject", {"reason": "Sendt til forkert afdeling"}, Reject("Sendt til forkert afdeling")),
    (
        "forward",
        {"receiver_id": "sys-1", "receiver_label": "Nexus", "comment": "Til sundhed"},
        Forward("sys-1", "Nexus", comment="Til sundhed"),
    ),
    ("forward", {"kle": "29.09.00", "receiver_id": "nexus"}, Forward("nexus", kle="29.09.00")),
    ("forward", {"kle": "29.01.00"}, Forward(kle="29.01.00")),
    # a key the decision does not know is ignored
    ("reject", {"reason": "Fejlsendt", "extra": 1}, Reject("Fejlsendt")),
]


@pytest.mark.parametrize(("action", "payload", "expected"), OLD_SHAPES)
def test_old_payload_shapes_load_as_version_1(action, payload, expected):
    assert "version" not in payload
    assert decision_from_json(action, payload) == expected
    assert decision_from_json(action, {**payload, "version": 1}) == expected


def test_stored_json_is_refused_with_a_reason():
    with pytest.raises(DecisionError, match="Ukendt handling: explode"):
        decision_from_json("explode", {})
    with pytest.raises(DecisionError, match="nyere version af Postfordeler"):
        decision_from_json("reject", {"version": 2, "reason": "x"})
    for bad in ("1", 0, True, None, 1.0):
        with pytest.raises(DecisionError, match="versionsnummer"):
            decision_from_json("reject", {"version": bad, "reason": "x"})
    with pytest.raises(DecisionError, match="ugyldig form"):
        decision_from_json("reject", ["x"])  # type: ignore[arg-type]
    # the rules hold for stored values too
    with pytest.raises(DecisionError, match="Vælg en sag"):
        decision_from_json("journalise", {"case_number": NUMBER})
    with pytest.raises(DecisionError, match="Et journalnotat kræver en sag"):
        decision_from_json("assign", {"caseworker_id": "cw", "note": "tekst"})
    with pytest.raises(DecisionError, match="Begrundelsen har en ugyldig værdi"):
        decision_from_json("reject", {"reason": 7})


def test_the_stored_form_is_the_version_then_the_set_fields_in_order():
    """The outbox rows and the gateway keep this form: keys, order and the flat note keys."""
    note = JournalNote(case_id="c-1", text="Noteret", title="Titel")
    assert list(Journalise(case_id="c-1", note=note).to_json().items()) == [
        ("version", 1),
        ("case_id", "c-1"),
        ("note", "Noteret"),
        ("note_title", "Titel"),
    ]
    assert list(Assign(caseworker_id="cw-1", caseworker_label="Anne").to_json().items()) == [
        ("version", 1),
        ("caseworker_id", "cw-1"),
        ("caseworker_label", "Anne"),
    ]
    assert Reject(reason=" forkert modtager ").to_json() == {
        "version": 1,
        "reason": "forkert modtager",
    }
    assert Forward(kle="27.24.00").to_json() == {"version": 1, "kle": "27.24.00"}
    assert JournalNote(case_id="c", text="t").to_json() == {
        "version": 1,
        "case_id": "c",
        "text": "t",
    }


def test_a_new_case_hand_off_is_an_assign_without_a_case_with_its_kle():
    """ "Opret ny sag / genåbn sag" (issue 12, point 9): stored and read back; an old Assign's
    stored form is unchanged (the new keys only when set); the rules hold."""
    from app.decisions import Assign, DecisionError, decision_from_json

    plain = Assign("cw-1", "Lise")
    assert "new_case_kle" not in plain.to_json() and not plain.new_case
    new = Assign("cw-1", "Lise", new_case_kle="27.24.00", reopen_case_number="27.24.00-G01-9-20")
    assert new.new_case
    assert decision_from_json("assign", new.to_json()) == new
    with pytest.raises(DecisionError, match=r"NN\.NN\.NN"):
        Assign("cw-1", new_case_kle="27.24")
    with pytest.raises(DecisionError, match="eksisterende sag"):
        Assign("cw-1", case_id="c-1", new_case_kle="27.24.00")
    with pytest.raises(DecisionError, match="KLE"):
        Assign("cw-1", reopen_case_number="27.24.00-G01-9-20")
