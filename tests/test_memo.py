"""MeMo reader: every example and corpus message reads; fields match the XML."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from lxml import etree

from app.sf1606.memo import MEMO_NS, MemoError, peek_header, read_memo, validate_only
from app.sf1606.model import DocumentRole, Kind
from tests.conftest import CORPUS, MESSAGES, SPEC_EXAMPLES

M = "{" + MEMO_NS + "}"
G = "{https://data.gov.dk/model/core/}"
K = "{http://kle-online.dk/}"
CORPUS_FILES = sorted(MESSAGES.glob("*.xml"))


@pytest.fixture(scope="module")
def labels() -> dict:
    return json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))


def test_corpus_present():
    assert len(CORPUS_FILES) == 300


def test_every_corpus_message_reads_with_labelled_kind(labels):
    versions = set()
    for path in CORPUS_FILES:
        msg = read_memo(path)
        assert msg.message_uuid == path.stem.lower()
        assert msg.kind.value == labels[msg.message_uuid]["kind"], path.name
        assert msg.message_type == "DIGITALPOST"
        assert msg.created is not None and msg.created.tzinfo is not None
        assert msg.documents and msg.documents[0].role is DocumentRole.MAIN
        versions.add(msg.version)
    assert versions == {"1.1", "1.2"}


def test_bytes_path_and_text_inputs_agree():
    path = CORPUS_FILES[0]
    a = read_memo(path)
    b = read_memo(path.read_bytes())
    c = read_memo(str(path))
    d = read_memo(path.read_text(encoding="utf-8").split("?>", 1)[1])
    assert a == b == c == d


@pytest.mark.parametrize("name", ["MeMo_Minimum_Example.xml", "MeMo_with_attachment.xml"])
def test_spec_examples_read(name):
    msg = read_memo(SPEC_EXAMPLES / name)
    assert msg.version == "1.2"
    assert msg.kind is Kind.NYHENVENDELSE
    assert all(f.sha256 == hashlib.sha256(f.content).hexdigest() for f in msg.files)


def test_attachment_example_files():
    msg = read_memo(SPEC_EXAMPLES / "MeMo_with_attachment.xml")
    assert msg.message_uuid == "78212f5c-6d79-4012-8ed1-e2420243bd17"
    assert [f.filename for f in msg.files] == ["File1.txt", "File2.txt"]
    assert [f.content for f in msg.files] == [b"File content 1", b"File content 2"]
    assert msg.main_text() == "File content 1\nFile content 2"
    assert msg.sender.id == "Sender ID" and msg.sender.id_type == "CVR"
    assert msg.created == datetime(2000, 1, 1, tzinfo=UTC)


def test_nemsms_example_refused():
    with pytest.raises(MemoError) as err:
        read_memo(SPEC_EXAMPLES / "MeMo_NemSMS.xml")
    assert err.value.code == "nemsms"
    with pytest.raises(MemoError):
        validate_only((SPEC_EXAMPLES / "MeMo_NemSMS.xml").read_bytes())
    assert peek_header(SPEC_EXAMPLES / "MeMo_NemSMS.xml").message_type == "NEMSMS"


def _tree(path):
    return etree.parse(str(path)).getroot()


def _files_with(tag_text: str, labels: dict | None = None, tag: str | None = None):
    out = []
    for path in CORPUS_FILES:
        data = path.read_bytes()
        if tag_text.encode() in data and (tag is None or tag in labels[path.stem]["notes"]):
            out.append(path)
    return out


def test_replydata_all_entries_in_order(labels):
    second = _files_with("ReplyData", labels, "second_replydata")
    assert second, "corpus should hold second_replydata messages"
    for path in _files_with("ReplyData"):
        root = _tree(path)
        entries = root.findall(f"{M}MessageHeader/{M}ReplyData")
        msg = read_memo(path)
        assert msg.kind is Kind.RETURSVAR
        assert len(msg.reply_data) == len(entries)
        for got, el in zip(msg.reply_data, entries, strict=True):
            assert got.message_uuid == el.findtext(f"{M}messageUUID").lower()
            assert got.case_id == el.findtext(f"{M}caseID")
            assert got.sender_id == el.findtext(f"{M}senderID")
            assert got.generating_system_id == el.findtext(f"{M}generatingSystemID")
            reply_uuid = el.findtext(f"{M}replyUUID")
            assert got.reply_uuid == (reply_uuid.lower() if reply_uuid else None)
            assert got.comment == el.findtext(f"{M}comment")
    for path in second:
        assert len(read_memo(path).reply_data) >= 2


def test_forward_data_matches_xml():
    paths = _files_with("ForwardData")
    assert paths
    for path in paths:
        fd_el = _tree(path).find(f"{M}MessageHeader/{M}ForwardData")
        msg = read_memo(path)
        assert msg.kind is Kind.VIDERESENDT
        fd = msg.forward_data
        assert fd is not None
        assert fd.message_uuid == fd_el.findtext(f"{M}messageUUID").lower()
        assert fd.original_sender == fd_el.findtext(f"{M}originalSender")
        assert fd.comment == fd_el.findtext(f"{M}comment")
        when = fd_el.findtext(f"{M}originalMessageDateTime")
        assert fd.original_message_datetime == datetime.fromisoformat(when)
        assert fd.original_message_datetime.tzinfo is not None


def test_contact_info_barnets_cpr():
    paths = _files_with("Barnets CPR nummer")
    assert paths
    for path in paths:
        root = _tree(path)
        cp_el = root.find(f"{M}MessageHeader/{M}Recipient/{M}ContactPoint")
        msg = read_memo(path)
        assert msg.contact_point_id == cp_el.findtext(f"{M}contactPointID")
        expected = [
            (ci.findtext(f"{M}label"), ci.findtext(f"{M}value") or "")
            for ci in cp_el.findall(f"{M}ContactInfo")
        ]
        assert [(c.label, c.value) for c in msg.contact_info] == expected
        assert "Barnets CPR nummer" in [c.label for c in msg.contact_info]


def test_content_data_cpr_and_more():
    paths = _files_with("CPRdata")
    assert paths
    for path in paths:
        cd_el = _tree(path).find(f"{M}MessageHeader/{M}ContentData")
        msg = read_memo(path)
        assert msg.content_data is not None
        assert msg.content_data.cpr == cd_el.findtext(f"{G}CPRdata/{G}cprNumber")
        assert msg.content_data.cpr_name == cd_el.findtext(f"{G}CPRdata/{G}name")
        assert msg.content_data.case_id == cd_el.findtext(f"{M}CaseID/{M}caseID")
        assert msg.content_data.kle_subject == cd_el.findtext(f"{K}KLEdata/{K}subjectKey")


def test_pdf_attachment_hash_and_bytes():
    paths = _files_with("application/pdf")
    assert paths
    for path in paths[:20]:
        root = _tree(path)
        msg = read_memo(path)
        file_els = root.iter(f"{M}File")
        for f, el in zip(msg.files, file_els, strict=True):
            raw = base64.b64decode(el.findtext(f"{M}content"))
            assert f.content == raw
            assert f.size == len(raw)
            assert f.sha256 == hashlib.sha256(raw).hexdigest()
            assert f.mime == el.findtext(f"{M}encodingFormat")
            assert f.filename == el.findtext(f"{M}filename")
            assert f.language == el.findtext(f"{M}language")
        pdfs = [f for f in msg.files if f.mime == "application/pdf"]
        assert pdfs and all(f.content.startswith(b"%PDF") for f in pdfs)


def test_sender_recipient_header_fields():
    for path in CORPUS_FILES[:40]:
        root = _tree(path)
        h = root.find(f"{M}MessageHeader")
        msg = read_memo(path)
        assert msg.label == h.findtext(f"{M}label")
        assert msg.sender.id == h.findtext(f"{M}Sender/{M}senderID")
        assert msg.sender.id_type == h.findtext(f"{M}Sender/{M}idType")
        assert msg.sender.label == h.findtext(f"{M}Sender/{M}label")
        assert msg.recipient.id == h.findtext(f"{M}Recipient/{M}recipientID")
        assert msg.version == root.get("memoVersion")
        if msg.version == "1.1":
            assert msg.mandatory == (h.findtext(f"{M}mandatory") == "true")
        created = root.findtext(f"{M}MessageBody/{M}createdDateTime")
        assert msg.created == datetime.fromisoformat(created)


def test_peek_header_matches_full_read(labels):
    for path in CORPUS_FILES[:50]:
        head = peek_header(path)
        msg = read_memo(path)
        assert head.kind is msg.kind
        assert head.message_uuid == msg.message_uuid
        assert head.contact_point_id == msg.contact_point_id
        assert head.reply_message_uuids == tuple(r.message_uuid for r in msg.reply_data)


def test_validate_only_returns_version():
    assert validate_only(CORPUS_FILES[0].read_bytes()) in ("1.1", "1.2")


def test_threads_share_nothing_mutable():
    """Readers on several threads get their own parser and schema objects and the right
    reasons (lxml validators keep a per-object error log)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.hostile.make_hostile import message

    bad_label = message(label="x" * 257)
    bad_uuid = message(uuid="0f4b7c1e-2a3d-1e5f-8a9b-0c1d2e3f4a5b")
    goods = [p.read_bytes() for p in CORPUS_FILES[:30]]

    def work(i: int) -> str:
        out = []
        for j, good in enumerate(goods):
            data = good
            if (i + j) % 3 == 0:
                data = bad_label if j % 2 else bad_uuid
                try:
                    read_memo(data)
                except MemoError as exc:
                    want = "label" if j % 2 else "messageUUID"
                    out.append("ok" if want in exc.reason else exc.reason)
            else:
                out.append("ok" if read_memo(data).message_uuid else "empty")
        return ",".join(set(out))

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(work, range(16))) == {"ok"}
