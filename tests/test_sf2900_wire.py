"""SF2900 as published, on the wire: the values are checked where they are built, and the SOAP
envelopes the gateway sends are pinned by a golden file.

The golden (`tests/golden/sf2900_published.xml`) holds, canonicalised (exclusive C14N), the two
`FordelingsobjektAfsend` envelopes of one assign decision with a journal note on a one-file
letter — a DOKUMENT and a JOURNALPOST — as `Sf2900Client.create_message` builds them in token
mode (the gateway's default: no AuthorityContext; the WS-Security header with the STS token is
added per call and is not part of the golden), with fixed UUIDs and a fixed clock. Both
envelopes are validated against the shipped XSDs (`resources/sf2900`), and any change of the
envelope fails with a unified diff of the pretty-printed canonical XML.

A change on purpose: regenerate with

    POSTFORDELER_REGEN_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_sf2900_wire.py

(the test then writes the file and skips), review `git diff tests/golden/` and commit it."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import difflib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from app.decisions import Assign, Forward, Journalise, JournalNote
from app.dubu.directory import CaseInfo
from app.dubu.sf2900_client import (
    DEFAULT_KLE,
    PUBLISHED_FREMDRIFT,
    LetterHeader,
    Party,
    RemoteFile,
    Sf2900Client,
    Sf2900Document,
    Sf2900JournalNote,
    derived_id,
    document_parts,
    facet_from_case_number,
)
from app.resources import resource
from app.sandbox.sf2900_service import request_schema

FIXED_NOW = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
REMOTE = RemoteFile(
    "SANDBOX_SAGSDOKUMENT_9c6a0e0e-1d1f-4c52-a1e2-0d3c9a6b2f11.PDF",
    "brev.pdf",
    "application/pdf",
    48213,
    "5e2b1c3f" * 8,
)

GOLDEN = Path(__file__).parent / "golden" / "sf2900_published.xml"
REGEN_ENV = "POSTFORDELER_REGEN_GOLDEN"
GOLDEN_NS = "urn:postfordeler:test:golden"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# everything fixed: the decision, the letter, its case, the caseworker, the clock
DECISION_ID = "6b1f0d2e-8c3a-4f5e-9a7b-1c2d3e4f5a6b"
CASEWORKER_UUID = "0d6f1f9e-3c1a-4c7e-9a55-7b1e2d3c4f50"
MUNICIPALITY_CVR = "29189854"
SYNTHETIC_CPR = "0101901234"  # synthetic
GOLDEN_CASE = CaseInfo(
    id="0534211d-a32c-413a-9543-b5a068faf9e1",
    number="27.24.00-G01-14547-26",
    title="Børnesag",
    kle="27.24.00",
    child_cpr="",
    child_name="",
    parties=(),
    caseworker=None,
    status="open",
    opened=date(2026, 1, 5),
    closed=None,
)
GOLDEN_LETTER = LetterHeader(
    message_uuid="0376b2ed-3498-4334-9bfc-ad52706225fd",
    title="Svar på indkaldelse til børnesamtale",
    letter_date=date(2026, 11, 20),
    parties=(Party(SYNTHETIC_CPR, "CPR"),),
)


def test_document_values_are_checked_where_they_are_built():
    case = GOLDEN_CASE
    tid = "00000000-0000-4000-8000-000000000001"
    letter = LetterHeader("0376b2ed-3498-4334-9bfc-ad52706225fd", "Brev", None)

    def doc(decision, **kw):
        args = {"transaction_id": tid, "user": "u", "letter": letter, "file": REMOTE, "case": case}
        return Sf2900Document.for_decision(decision, **{**args, **kw})

    j = doc(Journalise(case.id, case.number))
    assert (j.case_id, j.kle, j.fremdrift, j.caseworker_id, j.receiver_id) == (
        case.id,
        case.kle,
        PUBLISHED_FREMDRIFT,  # "Endeligt" for every decision (spec 3.1.3.3.2)
        None,
        None,
    )
    assert j.facet == facet_from_case_number(case.number)
    assert (j.file, j.file_name) == (REMOTE, REMOTE.remote_name)  # DokumentFilNavn
    a = doc(Assign("cw-1", case_id=case.id))
    assert (a.fremdrift, a.caseworker_id, a.case_id) == (PUBLISHED_FREMDRIFT, "cw-1", case.id)
    f = doc(Forward("sys-1"), case=None)
    assert (f.receiver_id, f.case_id, f.kle, f.facet) == ("sys-1", None, DEFAULT_KLE, None)
    assert doc(Forward(kle="29.01.00"), case=None).kle == "29.01.00"
    # the case must be the decision's
    with pytest.raises(ValueError, match="sagen passer ikke"):
        doc(Journalise("another-case"))
    with pytest.raises(ValueError, match="sagen passer ikke"):
        doc(Assign("cw-1"))  # no case decided, but one given
    with pytest.raises(ValueError, match="uploadet"):  # only an uploaded file, never bytes
        doc(Journalise(case.id), file=("brev.txt", "text/plain", b"x"))
    with pytest.raises(ValueError, match="UUID"):
        doc(Journalise(case.id), transaction_id="not-a-uuid")
    with pytest.raises(ValueError, match=r"NN\.NN\.NN"):
        dataclasses.replace(j, kle="27.24")
    with pytest.raises(ValueError, match="Fremdrift"):
        dataclasses.replace(j, fremdrift="Færdig")
    with pytest.raises(ValueError, match="filnavn"):
        dataclasses.replace(REMOTE, remote_name="OUT/brev.pdf")
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


# ---------------------------------------------------------------------------------------------
# The golden envelopes


def _envelopes() -> dict[str, etree._Element]:
    """The two envelopes of the golden decision, built as the gateway builds them."""
    decision = Assign(
        CASEWORKER_UUID,
        "Sagsbehandler (syntetisk)",
        case_id=GOLDEN_CASE.id,
        case_number=GOLDEN_CASE.number,
        note=JournalNote(GOLDEN_CASE.id, "Mor ringede – æøå; mødet flyttes.", "Telefonnotat"),
    )
    parts = document_parts(
        decision,
        decision_id=DECISION_ID,
        user="fordeler@fjordby.dk",
        letter=GOLDEN_LETTER,
        files=[REMOTE],
        case=GOLDEN_CASE,
    )
    assert [type(p) for p in parts] == [Sf2900Document, Sf2900JournalNote]

    async def build() -> dict[str, etree._Element]:
        client = Sf2900Client(
            "https://127.0.0.1:9/sf2900/DistributionService",  # never called
            municipality_cvr=MUNICIPALITY_CVR,
            wsdl=resource("sf2900", "wsdl", "token", "DistributionService.wsdl"),
            authority_context=False,
            clock=lambda: FIXED_NOW,
        )
        try:
            return {
                name: client.create_message("FordelingsobjektAfsend", **client.afsend_kwargs(obj))
                for name, obj in zip(("dokument", "journalpost"), parts, strict=True)
            }
        finally:
            await client.close()

    return asyncio.run(build())


def _c14n(el: etree._Element) -> bytes:
    return etree.tostring(el, method="c14n", exclusive=True, with_comments=False)


def _pretty(canonical: bytes) -> str:
    return etree.tostring(etree.fromstring(canonical), pretty_print=True, encoding="unicode")


def _golden_text(envelopes: dict[str, etree._Element]) -> str:
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<!-- SF2900 as published: the envelopes of tests/test_sf2900_wire.py (exclusive C14N,",
        f"     pretty-printed). Regenerate with {REGEN_ENV}=1 (see the test's docstring). -->",
        f'<golden xmlns="{GOLDEN_NS}">',
    ]
    for name, env in envelopes.items():
        body = _pretty(_c14n(env)).rstrip("\n")
        lines.append(f'<envelope name="{name}">')
        lines.extend(body.splitlines())
        lines.append("</envelope>")
    lines.append("</golden>")
    return "\n".join(lines) + "\n"


def _read_golden() -> Iterator[tuple[str, bytes]]:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(GOLDEN), parser).getroot()
    for holder in root.iterchildren(f"{{{GOLDEN_NS}}}envelope"):
        (env,) = holder
        yield holder.get("name", ""), _c14n(env)


@pytest.fixture(scope="module")
def envelopes() -> dict[str, etree._Element]:
    return _envelopes()


def test_published_envelopes_match_the_golden_file(envelopes):
    if os.environ.get(REGEN_ENV) == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(_golden_text(envelopes), encoding="utf-8")
        pytest.skip(f"wrote {GOLDEN}; review `git diff tests/golden/` and commit it")
    assert GOLDEN.is_file(), f"{GOLDEN} is missing; run with {REGEN_ENV}=1 to write it"
    golden = dict(_read_golden())
    assert list(golden) == list(envelopes), "the golden file holds other envelopes"
    for name, env in envelopes.items():
        got = _c14n(env)
        if got != golden[name]:
            diff = "\n".join(
                difflib.unified_diff(
                    _pretty(golden[name]).splitlines(),
                    _pretty(got).splitlines(),
                    f"golden/{name}",
                    f"built/{name}",
                    lineterm="",
                )
            )
            pytest.fail(
                f"the SF2900 {name} envelope changed (on purpose? regenerate with "
                f"{REGEN_ENV}=1, see the docstring):\n{diff}",
                pytrace=False,
            )


def test_published_envelopes_are_schema_valid_and_carry_the_published_form(envelopes):
    schema = request_schema()  # resources/sf2900/DistributionServiceMsg.xsd and its imports
    for name, env in envelopes.items():
        assert env.tag == f"{{{SOAP_ENV}}}Envelope"
        body = env.find(f"{{{SOAP_ENV}}}Body")
        assert body is not None and len(body) == 1, name
        assert schema.validate(body[0]), (name, schema.error_log)
        xml = etree.tostring(env, encoding="unicode")
        for absent in (
            "Indhold",
            "DigitalPostMeddelelsesID",
            "DistributionTransktionsID",
            "ImportTidspunkt",
            "AuthorityContext",
        ):
            assert f":{absent}>" not in xml and f":{absent} " not in xml, (name, absent)
    dok = etree.tostring(envelopes["dokument"], encoding="unicode")
    assert f"DokumentFilNavn>{REMOTE.remote_name}<" in dok
    assert ":Fremdrift>Endeligt<" in dok and ":VariantType>PDF<" in dok
    assert ":Brevdato>2026-11-20<" in dok and ":FraTidsPunkt>2026-11-23T09:30:15Z<" in dok
    notat = envelopes["journalpost"].find(".//{*}JournalnotatAttributter/{*}Notat")
    assert notat is not None and notat.text is not None
    assert base64.b64decode(notat.text).decode() == "Mor ringede – æøå; mødet flyttes."
    # the schema check is real: a KLE subject off the pattern fails it
    broken = etree.fromstring(
        etree.tostring(envelopes["dokument"]).replace(b">27.24.00<", b">27.24<")
    )
    assert not schema.validate(broken.find(f"{{{SOAP_ENV}}}Body")[0])  # type: ignore[index]


def test_a_new_case_hand_off_is_a_dokument_without_sagforslag_routed_by_its_kle():
    """ "Opret ny sag / genåbn sag" (issue 12, point 9): no SagForslag, KLEEmneForslag the chosen
    subject (DUBU takes 27.xx), BrugerRef the caseworker, the purpose in the description."""
    letter = LetterHeader("0376b2ed-3498-4334-9bfc-ad52706225fd", "Brev", None)
    decision = Assign(
        "cw-1", "Lise", new_case_kle="27.24.10", reopen_case_number="27.24.00-G01-9-20"
    )
    (doc,) = document_parts(
        decision,
        decision_id="00000000-0000-4000-8000-000000000002",
        user="u",
        letter=letter,
        files=[REMOTE],
        case=None,
    )
    assert isinstance(doc, Sf2900Document)
    assert (doc.case_id, doc.kle, doc.caseworker_id, doc.facet) == (None, "27.24.10", "cw-1", None)
    assert doc.description.startswith("Genåbn sag 27.24.00-G01-9-20 (KLE 27.24.10)")
    (new,) = document_parts(
        Assign("cw-1", new_case_kle="27.24.00"),
        decision_id="00000000-0000-4000-8000-000000000003",
        user="u",
        letter=letter,
        files=[REMOTE],
        case=None,
    )
    assert new.description.startswith("Opret ny sag (KLE 27.24.00)")
