"""Wrap the hand-written letters of `letters.txt` into MeMo 1.2 files and `labels.json`.

The letter texts, subjects, senders and the child each letter is about are written by hand in
`letters.txt` (one record per letter, see its head). This script only wraps them: it builds a
valid MeMo message per record (deterministic UUIDs from the record id) and derives the label
from the sandbox DUBU dataset by the corpus's labelling rules: a reply is filed on the case of
the letter it answers; a new inquiry or a forward on the child's open case, `null` when the
child has only closed cases or is not in DUBU; misrouted post has no case and no child.

    python tests/handwritten/build.py          # rewrites messages/ and labels.json
    python tests/handwritten/build.py tests/handwritten_fresh   # the same for another set
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DUBU = ROOT / "resources" / "sandbox" / "dubu.json"
NS = "https://DigitalPost.dk/MeMo-1"
GRD = "https://data.gov.dk/model/core/"
CREATED = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
CONTACT_POINTS = {
    "familie": "09248c6b-e8e3-457e-b513-853b5dc7cd3f",
    "underretning": "2a465fd0-d1be-49cb-b88e-a473d9e705a8",
    "handicap": "b7224fcf-dc1a-461f-9bb2-d3b12fd2ea33",
    "retur": "dde4f781-b0a6-4373-b67e-fab242fa0032",
}


def _uuid(seed: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))


def parse(text: str) -> list[dict[str, str]]:
    records = []
    for chunk in text.split("\n=== ")[1:]:
        head, _, body = chunk.partition("\n---\n")
        lines = head.splitlines()
        rec = {"id": lines[0].strip(), "body": body.strip("\n") + "\n"}
        for line in lines[1:]:
            if line.strip():
                key, _, value = line.partition(":")
                rec[key.strip()] = value.strip()
        records.append(rec)
    return records


def _el(parent: etree._Element, tag: str, text: str | None = None, ns: str = NS) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _z(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(rec: dict[str, str], ds: dict, n: int) -> tuple[str, bytes, dict]:
    persons = {p["cpr"]: p for p in ds["persons"]}
    partners = {p["cvr"]: p for p in ds["partners"]}
    cps = {c["id"]: c for c in ds["contact_points"]}
    letters = {x["message_uuid"]: x for x in ds["letters"]}
    mid = _uuid("handwritten:" + rec["id"])
    created = CREATED - timedelta(hours=3 * n)
    root = etree.Element(f"{{{NS}}}Message", nsmap={"memo": NS, "grd": GRD}, memoVersion="1.2")
    h = _el(root, "MessageHeader")
    _el(h, "messageType", "DIGITALPOST")
    _el(h, "messageUUID", mid)
    _el(h, "label", rec["subject"][:256])
    s = _el(h, "Sender")
    sender = rec["from"]
    if sender.startswith("cvr:"):
        cvr = sender[4:]
        _el(s, "senderID", cvr)
        _el(s, "idType", "CVR")
        _el(s, "label", rec.get("name") or partners[cvr]["name"])
    else:
        _el(s, "senderID", sender)
        _el(s, "idType", "CPR")
        _el(s, "label", rec.get("name") or persons[sender]["name"])
    r = _el(h, "Recipient")
    _el(r, "recipientID", ds["municipality"]["cvr"])
    _el(r, "idType", "CVR")
    _el(r, "label", ds["municipality"]["name"])
    kind = "nyhenvendelse"
    cp_key = rec.get("cp") or ("retur" if rec.get("reply") else "familie")
    cp = _el(r, "ContactPoint")
    _el(cp, "contactPointID", CONTACT_POINTS[cp_key])
    _el(cp, "label", cps[CONTACT_POINTS[cp_key]]["label"])
    for pair in filter(None, (x.strip() for x in rec.get("ci", "").split(";"))):
        lab, _, val = pair.partition("=")
        ci = _el(cp, "ContactInfo")
        _el(ci, "label", lab.strip())
        _el(ci, "value", val.strip())
    if rec.get("fwd"):
        kind = "videresendt"
        fd = _el(h, "ForwardData")
        _el(fd, "messageUUID", _uuid("original:" + rec["id"]))
        _el(fd, "originalMessageDateTime", _z(created - timedelta(days=4)))
        _el(fd, "originalSender", rec["fwd"])
        if rec.get("comment"):
            _el(fd, "comment", rec["comment"][:512])
    if rec.get("reply"):
        kind = "retursvar"
        letter = letters[rec["reply"]]
        rd = _el(h, "ReplyData")
        _el(rd, "messageUUID", letter["message_uuid"])
        _el(rd, "senderID", ds["municipality"]["cvr"])
        _el(rd, "recipientID", sender)
        _el(rd, "contactPointID", CONTACT_POINTS["retur"])
        _el(rd, "generatingSystemID", "DUBU")
    body = _el(root, "MessageBody")
    _el(body, "createdDateTime", _z(created))
    main = _el(body, "MainDocument")
    _el(main, "label", rec["subject"][:256])
    f = _el(main, "File")
    _el(f, "encodingFormat", "text/plain")
    _el(f, "filename", "Brev.txt")
    _el(f, "language", "en" if rec.get("cat") == "english" else "da")
    _el(f, "content", base64.b64encode(rec["body"].encode("utf-8")).decode("ascii"))
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    misrouted = bool(rec.get("misrouted"))
    child = None if misrouted or rec.get("child", "none") == "none" else rec["child"]
    case_id = None
    if kind == "retursvar":
        case_id = letters[rec["reply"]]["case_id"]
        child = next(c["child_cpr"] for c in ds["cases"] if c["id"] == case_id)
    elif child:
        open_cases = [c for c in ds["cases"] if c["child_cpr"] == child and c["status"] == "open"]
        case_id = open_cases[0]["id"] if open_cases else None
    tags = [f"cat:{rec['cat']}"] + [t.strip() for t in rec.get("tags", "").split(",") if t.strip()]
    if misrouted:
        tags.append(f"misrouted:{rec['misrouted']}")
    label = {
        "kind": kind,
        "case_id": case_id,
        "misrouted": misrouted,
        "child_cpr": child,
        "notes": f"{rec.get('note', 'Hand-written letter')} [tags: {', '.join(tags)}]",
    }
    return mid, xml, label


def main() -> int:
    folder = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE
    ds = json.loads(DUBU.read_text(encoding="utf-8"))
    records = parse((folder / "letters.txt").read_text(encoding="utf-8"))
    out = folder / "messages"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.xml"):
        old.unlink()
    labels = {}
    for n, rec in enumerate(records):
        mid, xml, label = build(rec, ds, n)
        (out / f"{mid}.xml").write_bytes(xml)
        labels[mid] = label
    (folder / "labels.json").write_text(
        json.dumps(labels, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"{len(records)} letters", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
