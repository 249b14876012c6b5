"""Realistic, schema-valid MeMo messages made on the fly from a DUBU dataset (sandbox traffic).

`MessageGenerator(dataset, seed=..., now=...)` yields `GeneratedMessage`s of the three kinds a
family department receives, with Danish content:

- retursvar: a parent's reply to a real letter of the dataset (ReplyData with the letter's
  messageUUID, our CVR, the case number, DUBU as generating system), sent to the hidden
  "retursvar" contact point;
- nyhenvendelse: a parent asking about their child (ContactInfo "Barnets CPR nummer" /
  "Barnets navn"), or a partner (school, day care, police, hospital...) sending an underretning
  to the professionals' contact point, sometimes with the CPR in ContentData;
- videresendt: a parent forwarding a letter from another authority (ForwardData);
- misrouted: post that belongs to another department (parking, housing benefit, building).

Some carry a small hand-written PDF. MeMo 1.1 and 1.2 are mixed. Output is deterministic for a
given seed and `now` (UUIDs are version-4 UUIDs drawn from the seeded RNG); createdDateTime is
UTC with a 'Z'. Only CPR numbers that are already in the (synthetic) dataset are used.
This module never does I/O except through `write_messages`, and never logs content.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from app.dubu.dataset import Case, ContactPoint, DubuDataset, Letter, Partner, Person

MEMO_NS = "https://DigitalPost.dk/MeMo-1"
GRD_NS = "https://data.gov.dk/model/core/"
KLE_NS = "http://kle-online.dk/"
NSMAP = {"memo": MEMO_NS, "grd": GRD_NS, "kle": KLE_NS}


@dataclass(frozen=True, slots=True)
class GeneratedMessage:
    message_uuid: str
    kind: str  # retursvar | nyhenvendelse | videresendt
    misrouted: bool
    case_id: str | None  # the case it belongs on (None: new case needed / misrouted)
    child_cpr: str | None
    memo_version: str  # "1.1" | "1.2"
    xml: bytes
    has_pdf: bool

    @property
    def filename(self) -> str:
        return f"{self.message_uuid}.xml"


# ---------------------------------------------------------------------------------------------
# A minimal, valid PDF written by hand (one page, Helvetica, WinAnsi text)


def _pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def minimal_pdf(lines: list[str], title: str = "") -> bytes:
    """A one-page PDF showing `lines` (correct xref table; opens in QtPdf and pypdf)."""
    ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"56 780 Td"]
    for line in lines[:50]:
        ops.append(b"(" + _pdf_escape(line[:95]) + b") Tj T*")
    ops.append(b"ET")
    stream = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title (" + _pdf_escape(title) + b") /Producer (Postfordeler sandbox) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Danish content

_REPLY_TEXTS = [
    "Tak for brevet. Jeg kan godt komme til mødet den dato I foreslår.",
    "Jeg er ikke enig i det, der står i referatet. Kan vi tale om det i telefonen?",
    "Hej. Vi har læst brevet og har nogle spørgsmål til handleplanen. Ring gerne efter kl. 15.",
    "Jeg sender hermed den underskrevne samtykkeerklæring.",
    "Vi kan desværre ikke komme på torsdag. Kan mødet flyttes til næste uge?",
    "Tak for sidst. Som aftalt sender jeg lægens udtalelse.",
]
_PARENT_TOPICS = [
    (
        "Spørgsmål om aflastning",
        "Vi har brug for hjælp til aflastning i weekenderne. Hvem kan vi tale med?",
    ),
    (
        "Henvendelse vedr. min søn",
        "Jeg er bekymret for min søns trivsel i skolen og vil gerne have et møde.",
    ),
    (
        "Henvendelse vedr. min datter",
        "Min datter har det svært for tiden. Kan vi få en samtale med en rådgiver?",
    ),
    (
        "Ansøgning om tabt arbejdsfortjeneste",
        "Jeg vil gerne søge om tabt arbejdsfortjeneste, da mit barn har brug for pasning.",
    ),
    ("Samvær i julen", "Vi vil gerne aftale samvær i juleferien. Hvordan gør vi det?"),
]
_PARTNER_TOPICS = {
    "skole": (
        "Underretning vedr. elev",
        "Vi er bekymrede for {name}, der har haft meget fravær og virker trist.",
    ),
    "dagtilbud": (
        "Underretning fra dagtilbud",
        "Vi har i længere tid været bekymrede for {name}s trivsel i institutionen.",
    ),
    "politi": (
        "Underretning fra politiet",
        "Politiet har i nat været tilkaldt til hjemmet, hvor {name} var til stede.",
    ),
    "sundhedspleje": (
        "Bekymring fra sundhedsplejen",
        "Ved hjemmebesøget fandt sundhedsplejersken grund til bekymring for {name}.",
    ),
    "hospital": (
        "Underretning fra hospitalet",
        "{name} har været indlagt, og vi finder anledning til at underrette kommunen.",
    ),
    "psykiatri": (
        "Orientering fra børne- og ungdomspsykiatrien",
        "{name} er udredt, og vi sender hermed vores konklusion.",
    ),
}
_FORWARD_ORIGINS = [
    ("Regionshospitalet Nordvest", "Indkaldelse til ambulant undersøgelse"),
    ("Udbetaling Danmark", "Afgørelse om børnetilskud"),
    ("Familieretshuset", "Indkaldelse til møde om forældremyndighed"),
    ("Pædagogisk Psykologisk Rådgivning", "Udtalelse fra PPR"),
]
_FORWARD_COMMENTS = [
    "Jeg sender lige brevet videre, så I kan se det.",
    "Til orientering.",
    "Skal jeg gøre noget ved det her?",
    "Sagsbehandleren bad mig sende det videre.",
]
_MISROUTED = [
    (
        "Klage over parkeringsafgift",
        "Jeg har fået en parkeringsafgift, som jeg mener er uberettiget.",
    ),
    ("Boligstøtte - genberegning", "Jeg har spørgsmål til genberegningen af min boligstøtte."),
    (
        "Ansøgning om byggetilladelse til carport",
        "Jeg søger hermed om tilladelse til at bygge en carport.",
    ),
    ("Spørgsmål om renovation", "Vores skraldespand er ikke blevet tømt de sidste to uger."),
    ("Hjemmehjælp til min mor", "Min mor har brug for mere hjemmehjælp efter sin operation."),
]


# ---------------------------------------------------------------------------------------------
# Builder


def _el(
    parent: etree._Element, tag: str, text: str | None = None, ns: str = MEMO_NS
) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _zulu(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class MessageGenerator:
    """Draws realistic messages from a dataset. Not thread-safe (one RNG)."""

    def __init__(
        self,
        dataset: DubuDataset,
        *,
        seed: int = 1,
        now: datetime | None = None,
        memo_11_share: float = 0.3,
        pdf_share: float = 0.25,
        weights: dict[str, float] | None = None,
    ) -> None:
        self.ds = dataset
        self.rng = random.Random(seed)
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.memo_11_share = memo_11_share
        self.pdf_share = pdf_share
        self.weights = weights or {
            "retursvar": 0.45,
            "nyhenvendelse_parent": 0.2,
            "nyhenvendelse_partner": 0.12,
            "videresendt": 0.13,
            "misrouted": 0.1,
        }
        self.cvr = dataset.municipality.cvr
        self.muni_name = dataset.municipality.name
        cps = dataset.contact_points
        self.cp_reply = [c for c in cps if c.purpose == "retursvar"] or list(cps)
        self.cp_visible = [c for c in cps if c.visible] or list(cps)
        self.cp_family = self.cp_visible[0]
        self.cp_partner = next(
            (c for c in self.cp_visible if "fagperson" in c.label.lower()), self.cp_family
        )
        # letters whose recipient DUBU knows as a person (a parent replying)
        self.letters = [lt for lt in dataset.letters if dataset.person(lt.recipient_cpr)]
        self.open_cases = [c for c in dataset.cases if c.is_open and c.parties]
        self.partners = [p for p in dataset.partners if p.kind in _PARTNER_TOPICS] or list(
            dataset.partners
        )
        self.persons = list(dataset.persons)

    # -- public --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[GeneratedMessage]:
        while True:
            yield self.next()

    def generate(self, n: int) -> list[GeneratedMessage]:
        return [self.next() for _ in range(n)]

    def next(self) -> GeneratedMessage:
        kinds = list(self.weights)
        kind = self.rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]
        if kind == "retursvar" and self.letters:
            return self._retursvar()
        if kind == "nyhenvendelse_partner" and self.partners and self.open_cases:
            return self._underretning()
        if kind == "videresendt" and self.open_cases:
            return self._videresendt()
        if kind == "misrouted" and self.persons:
            return self._misrouted()
        if self.open_cases:
            return self._parent_inquiry()
        return self._misrouted()

    # -- helpers ---------------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _created(self) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(60, 14 * 24 * 3600))

    def _version(self) -> str:
        return "1.1" if self.rng.random() < self.memo_11_share else "1.2"

    def _header(
        self, version: str, msg_uuid: str, label: str
    ) -> tuple[etree._Element, etree._Element]:
        root = etree.Element(f"{{{MEMO_NS}}}Message", nsmap=NSMAP)
        root.set("memoVersion", version)
        if version == "1.1":
            root.set("memoSchVersion", "1.1.0")
        header = _el(root, "MessageHeader")
        _el(header, "messageType", "DIGITALPOST")
        _el(header, "messageUUID", msg_uuid)
        _el(header, "label", label[:256])
        if version == "1.1":
            _el(header, "mandatory", "false")
            _el(header, "legalNotification", "false")
        return root, header

    def _sender(self, header: etree._Element, sid: str, id_type: str, label: str) -> None:
        s = _el(header, "Sender")
        _el(s, "senderID", sid)
        _el(s, "idType", id_type)
        _el(s, "label", label)

    def _recipient(
        self,
        header: etree._Element,
        cp: ContactPoint,
        info: Sequence[tuple[str, str]] = (),
    ) -> None:
        r = _el(header, "Recipient")
        _el(r, "recipientID", self.cvr)
        _el(r, "idType", "CVR")
        _el(r, "label", self.muni_name)
        c = _el(r, "ContactPoint")
        _el(c, "contactPointID", cp.id)
        _el(c, "label", cp.label)
        for lab, val in info:
            ci = _el(c, "ContactInfo")
            _el(ci, "label", lab)
            _el(ci, "value", val)

    def _body(
        self,
        root: etree._Element,
        created: datetime,
        text: str,
        *,
        txt_name: str = "besked.txt",
        pdf: tuple[str, list[str]] | None = None,
        doc_label: str | None = None,
    ) -> None:
        body = _el(root, "MessageBody")
        _el(body, "createdDateTime", _zulu(created))
        main = _el(body, "MainDocument")
        if doc_label:
            _el(main, "label", doc_label[:256])
        self._file(main, "text/plain", txt_name, text.encode("utf-8"))
        if pdf is not None:
            name, lines = pdf
            self._file(main, "application/pdf", name, minimal_pdf(lines, title=doc_label or name))

    @staticmethod
    def _file(parent: etree._Element, mime: str, name: str, data: bytes) -> None:
        f = _el(parent, "File")
        _el(f, "encodingFormat", mime)
        _el(f, "filename", name)
        _el(f, "language", "da")
        _el(f, "content", base64.b64encode(data).decode("ascii"))

    def _maybe_pdf(self, name: str, lines: list[str]) -> tuple[str, list[str]] | None:
        return (name, lines) if self.rng.random() < self.pdf_share else None

    def _done(
        self,
        root: etree._Element,
        msg_uuid: str,
        kind: str,
        version: str,
        *,
        case: Case | None,
        misrouted: bool = False,
        pdf: bool = False,
    ) -> GeneratedMessage:
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return GeneratedMessage(
            message_uuid=msg_uuid,
            kind=kind,
            misrouted=misrouted,
            case_id=case.id if case else None,
            child_cpr=case.child_cpr if case else None,
            memo_version=version,
            xml=xml,
            has_pdf=pdf,
        )

    def _name(self, cpr: str) -> str:
        p = self.ds.person(cpr)
        return p.name if p else "Borger"

    # -- kinds -----------------------------------------------------------------------------

    def _retursvar(self) -> GeneratedMessage:
        letter: Letter = self.rng.choice(self.letters)
        case = self.ds.case_by_id(letter.case_id)
        sender: Person = self.ds.person(letter.recipient_cpr)  # type: ignore[assignment]
        version, msg_uuid, created = self._version(), self._uuid(), self._created()
        root, header = self._header(version, msg_uuid, f"Svar: {letter.label}")
        self._sender(header, sender.cpr, "CPR", sender.name)
        cp = self.rng.choice(self.cp_reply)
        self._recipient(header, cp)
        rd = _el(header, "ReplyData")
        _el(rd, "messageUUID", letter.message_uuid)
        _el(rd, "senderID", self.cvr)
        _el(rd, "recipientID", sender.cpr)
        if case is not None:
            _el(rd, "caseID", case.number)
        _el(rd, "contactPointID", cp.id)
        _el(rd, "generatingSystemID", "DUBU")
        _el(rd, "comment", letter.label[:512])
        text = f"Hej\n\n{self.rng.choice(_REPLY_TEXTS)}\n\nMed venlig hilsen\n{sender.first_name}"
        pdf = self._maybe_pdf(
            "Bilag_til_svar.pdf", ["Bilag til svar", f"Vedr.: {letter.label}", "", text]
        )
        self._body(root, created, text, pdf=pdf)
        return self._done(root, msg_uuid, "retursvar", version, case=case, pdf=pdf is not None)

    def _parent_inquiry(self) -> GeneratedMessage:
        case: Case = self.rng.choice(self.open_cases)
        parent_cpr = self.rng.choice(case.parties).cpr
        child = self.ds.person(case.child_cpr)
        child_name = child.name if child else ""
        topic, sentence = self.rng.choice(_PARENT_TOPICS)
        version, msg_uuid, created = self._version(), self._uuid(), self._created()
        root, header = self._header(version, msg_uuid, topic)
        self._sender(header, parent_cpr, "CPR", self._name(parent_cpr))
        info = [("Barnets CPR nummer", case.child_cpr), ("Barnets navn", child_name)]
        if self.rng.random() < 0.3:
            info = [("Barnets navn", child_name.split()[0] if child_name else "")]
        self._recipient(header, self.cp_family, info)
        first = child_name.split()[0] if child_name else "mit barn"
        text = f"Hej\n\n{sentence}\nDet drejer sig om {first}.\n\nVenlig hilsen\n{self._name(parent_cpr)}"
        pdf = self._maybe_pdf("bilag.pdf", [topic, "", text])
        self._body(root, created, text, pdf=pdf)
        return self._done(root, msg_uuid, "nyhenvendelse", version, case=case, pdf=pdf is not None)

    def _underretning(self) -> GeneratedMessage:
        case: Case = self.rng.choice(self.open_cases)
        partner: Partner = self.rng.choice(self.partners)
        child = self.ds.person(case.child_cpr)
        child_name = child.name if child else "barnet"
        topic, sentence = _PARTNER_TOPICS.get(
            partner.kind, ("Underretning", "Vi er bekymrede for {name}.")
        )
        version, msg_uuid, created = self._version(), self._uuid(), self._created()
        root, header = self._header(version, msg_uuid, topic)
        self._sender(header, partner.cvr, "CVR", partner.name)
        self._recipient(
            header,
            self.cp_partner,
            [("Barnets CPR nummer", case.child_cpr), ("Barnets navn", child_name)],
        )
        if self.rng.random() < 0.4:
            cd = _el(header, "ContentData")
            cpr = _el(cd, "CPRdata", ns=GRD_NS)
            _el(cpr, "cprNumber", case.child_cpr, ns=GRD_NS)
            _el(cpr, "name", child_name, ns=GRD_NS)
        text = f"Til Familieafdelingen\n\n{sentence.format(name=child_name)}\n\nMed venlig hilsen\n{partner.name}"
        pdf = self._maybe_pdf(
            "underretning.pdf", [topic, f"Barn: {child_name}", "", sentence.format(name=child_name)]
        )
        self._body(root, created, text, txt_name="underretning.txt", pdf=pdf)
        return self._done(root, msg_uuid, "nyhenvendelse", version, case=case, pdf=pdf is not None)

    def _videresendt(self) -> GeneratedMessage:
        case: Case = self.rng.choice(self.open_cases)
        parent_cpr = self.rng.choice(case.parties).cpr
        origin, title = self.rng.choice(_FORWARD_ORIGINS)
        child = self.ds.person(case.child_cpr)
        child_name = child.name if child else ""
        version, msg_uuid, created = self._version(), self._uuid(), self._created()
        root, header = self._header(version, msg_uuid, f"Fwd: {title}")
        self._sender(header, parent_cpr, "CPR", self._name(parent_cpr))
        self._recipient(header, self.cp_family)
        fd = _el(header, "ForwardData")
        _el(fd, "messageUUID", self._uuid())
        _el(fd, "originalMessageDateTime", _zulu(created - timedelta(days=self.rng.randint(1, 30))))
        _el(fd, "originalSender", origin)
        comment = self.rng.choice(_FORWARD_COMMENTS)
        if child_name:
            comment += f" Det handler om {child_name.split()[0]}."
        _el(fd, "comment", comment[:512])
        text = f"{title}\n\nKære {self._name(parent_cpr)}\n\nVedrørende {child_name}.\n\nMed venlig hilsen\n{origin}"
        pdf = self._maybe_pdf(
            f"{title.replace(' ', '_')}.pdf", [origin, title, "", f"Vedr. {child_name}"]
        )
        self._body(root, created, text, txt_name="Brev.txt", pdf=pdf, doc_label=title)
        return self._done(root, msg_uuid, "videresendt", version, case=case, pdf=pdf is not None)

    def _misrouted(self) -> GeneratedMessage:
        person: Person = self.rng.choice(self.persons)
        topic, sentence = self.rng.choice(_MISROUTED)
        version, msg_uuid, created = self._version(), self._uuid(), self._created()
        root, header = self._header(version, msg_uuid, topic)
        self._sender(header, person.cpr, "CPR", person.name)
        self._recipient(header, self.cp_family)
        text = f"Hej\n\n{sentence}\n\nVenlig hilsen\n{person.name}"
        pdf = self._maybe_pdf("bilag.pdf", [topic, "", sentence])
        self._body(root, created, text, pdf=pdf)
        return self._done(
            root, msg_uuid, "nyhenvendelse", version, case=None, misrouted=True, pdf=pdf is not None
        )


def write_messages(messages: list[GeneratedMessage], folder: Path) -> list[Path]:
    """Write each message as `<messageUUID>.xml` into `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for m in messages:
        path = folder / m.filename
        path.write_bytes(m.xml)
        out.append(path)
    return out
