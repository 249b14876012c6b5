"""The case-suggestion engine: rank existing DUBU cases for an incoming MeMo message.

Input is a message's stored `MessageFacts` (or a parsed `MemoMessage`), never raw XML. The engine
gathers evidence from everything the message carries — ReplyData (entry chosen by our CVR or
generatingSystemID, never by position), ContentData, ForwardData and its comment, the sender
(as child, party or partner), ContactInfo fields, CPR numbers, case numbers, names, birth
dates and school classes in the body and PDF text — ties it to children and cases of a
`DubuDataset`, and returns a ranked, explained `SuggestionResult` with calibrated scores in
[0, 1]. When nothing is convincing it abstains (no suggestions, or only low scores); letters
for another department are flagged as misrouted with the likely receiver.

Pure and Qt-free: no I/O, no parsing (it reads the text extracted once at ingest, see
`app.suggest.text.message_facts`), and it never logs CPR numbers, names or message content.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from rapidfuzz import fuzz, process

from app.cpr import birth_date, neighbours
from app.cpr import find as find_cprs
from app.dubu.dataset import Case, DubuDataset, Letter, fold, normalize_case_number
from app.sf1606.model import Kind, MemoMessage, ReplyData
from app.sf1606.stored import MessageFacts
from app.suggest import misroute, names, people
from app.suggest.text import MAX_TEXT_CHARS, message_facts

__all__ = ["Suggestion", "SuggestionEngine", "SuggestionResult"]

MIN_SCORE = 0.12  # below this a candidate is not shown at all
MAX_SUGGESTIONS = 5
CLOSED_ONLY_CAP = 0.35  # a closed case for a non-reply is never proposed with confidence

_REPLY_PREFIX_RE = re.compile(r"^\s*((sv|re|svar|aw|vs|fw|fwd|videresendt)\s*:\s*)+", re.IGNORECASE)
_GREETINGS = frozenset({"hej", "kaere", "til", "att", "dear", "hi", "hello", "goddag", "kaereste"})
_ROLE_DA = {"mor": "mor", "far": "far", "plejeforælder": "plejeforælder", "værge": "værge"}


@dataclass(frozen=True, slots=True)
class Suggestion:
    case_id: str
    case_number: str
    score: float  # calibrated confidence in [0, 1]
    reasons: tuple[str, ...]  # Danish, for the distributor
    child_cpr: str | None
    child_name: str | None
    closed: bool


@dataclass(frozen=True, slots=True)
class SuggestionResult:
    suggestions: tuple[Suggestion, ...] = ()  # best first; empty = abstain
    misrouted: bool = False
    misroute_topic: str | None = None
    forward_to: str | None = None  # likely receiver, Danish
    forward_kle: str | None = None  # the KLE subject of that receiver (routing.suggested_receiver)
    needs_new_case: bool = False
    note: str | None = None  # Danish, e.g. why no case fits

    @property
    def top(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None


# ---------------------------------------------------------------------------------------------


@dataclass
class _Ev:
    """Evidence for one child or one case: independent strengths combined by noisy-OR."""

    strengths: list[tuple[float, str]] = field(default_factory=list)
    factor: float = 1.0
    penalties: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)  # shown first, e.g. "To børn nævnt ..."

    def add(self, strength: float, reason: str) -> None:
        """Add evidence; the same reason twice (label and PDF repeat the body) counts once."""
        strength = min(0.995, max(0.0, strength))
        for i, (s, r) in enumerate(self.strengths):
            if r == reason:
                if strength > s:
                    self.strengths[i] = (strength, reason)
                return
        self.strengths.append((strength, reason))

    def penalise(self, factor: float, reason: str | None = None) -> None:
        self.factor *= factor
        if reason:
            self.penalties.append(reason)

    @property
    def p(self) -> float:
        q = 1.0
        for s, _ in self.strengths:
            q *= 1.0 - s
        return (1.0 - q) * self.factor

    def reasons(self) -> list[str]:
        seen: dict[str, float] = {}
        for s, r in self.strengths:
            seen[r] = max(seen.get(r, 0.0), s)
        ranked = [r for r, _ in sorted(seen.items(), key=lambda kv: -kv[1])]
        return self.lead + ranked + self.penalties


def _fmt_date(value: date | datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "ukendt dato"


def _clean_label(label: str) -> str:
    return _REPLY_PREFIX_RE.sub("", label or "").strip()


class SuggestionEngine:
    """Ranks DUBU cases for messages. Build once per dataset; `suggest` is cheap (< 20 ms)."""

    def __init__(
        self,
        dataset: DubuDataset,
        *,
        municipality_cvr: str | None = None,
        extract_pdf: bool = True,
        ocr: bool = False,
    ) -> None:
        self.ds = dataset
        self.cvr = (municipality_cvr or dataset.municipality.cvr or "").strip()
        self.extract_pdf = extract_pdf
        self.ocr = ocr  # read photographed and scanned letters (Tesseract; bounded, cached)
        # children indexed by folded first name, and by (first name, other name part)
        self._child_first: dict[str, list[str]] = defaultdict(list)
        self._child_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
        for cpr in {c.child_cpr for c in dataset.cases}:
            parts = dataset.folded_name(cpr)
            if not parts:
                continue
            self._child_first[parts[0]].append(cpr)
            for other in parts[1:]:
                self._child_pair[(parts[0], other)].append(cpr)
        self._first_vocab = list(self._child_first)
        self._fuzzy_first_cache: dict[str, list[tuple[str, float]]] = {}
        self._known_cprs = {p.cpr for p in dataset.persons} | {c.child_cpr for c in dataset.cases}
        self.people = people.PeopleIndex(dataset)
        misroute.classifier()  # the weights loaded once per process, here rather than on the first letter
        self._worker_first = {fold(w.name).split()[0] for w in dataset.caseworkers() if w.name}

    # -- public API -----------------------------------------------------------------------

    def suggest(
        self,
        message: MessageFacts | MemoMessage,
        *,
        extra_text: str = "",
        query: str | None = None,
    ) -> SuggestionResult:
        """Rank cases for a message: its stored `MessageFacts` (the client: header, body and PDF
        text extracted once at ingest), or a freshly parsed `MemoMessage` (tools and tests; its
        facts are built with the same `message_facts` the sync uses). `extra_text` replaces
        the PDF text. `query` (CPR, name or case number typed by the distributor) moves
        matching cases to the top."""
        facts = (
            message
            if isinstance(message, MessageFacts)
            else message_facts(message, pdf=self.extract_pdf and not extra_text, ocr=self.ocr)
        )
        result = self._suggest(facts, extra_text)
        if query and query.strip():
            result = self._apply_query(result, query)
        return result

    def search_cases(self, query: str, limit: int = 20) -> list[Suggestion]:
        """Manual search by CPR (child or party), case number (with or without year) or name."""
        q = query.strip()
        if not q:
            return []
        found: dict[str, tuple[float, str]] = {}

        def hit(case: Case, score: float, reason: str) -> None:
            if case.id not in found or found[case.id][0] < score:
                found[case.id] = (score, reason)

        parsed = normalize_case_number(q)
        digits = re.sub(r"\D", "", q)
        if parsed:
            for case in self.ds.cases_by_number(q):
                hit(case, 1.0, "Sagsnummer matcher søgningen")
        elif len(digits) == 10 and not re.search(r"[A-Za-zÆØÅæøå]", q):
            for case in self.ds.cases_for_child(digits):
                hit(case, 1.0 if case.is_open else 0.9, "Barnets CPR matcher søgningen")
            for case in self.ds.cases_for_party(digits):
                role = case.role_of(digits) or "part"
                hit(case, 0.8 if case.is_open else 0.7, f"Søgt CPR er part i sagen ({role})")
        elif 4 <= len(digits) <= 6 and not re.search(r"[A-Za-zÆØÅæøå]", q):
            for case in self.ds.cases_by_number(digits):
                hit(case, 0.8, "Sagsnummer matcher søgningen")
            if len(digits) == 6:  # a birth date
                for case in self.ds.cases:
                    if case.child_cpr.startswith(digits):
                        hit(case, 0.6, "Barnets fødselsdato matcher søgningen")
        if not parsed and not digits:
            for person, s in self.ds.search_names(q, limit=limit):
                for case in self.ds.cases_for_child(person.cpr):
                    hit(case, s * (1.0 if case.is_open else 0.9), "Barnets navn matcher søgningen")
                for case in self.ds.cases_for_party(person.cpr):
                    hit(case, s * 0.7, f"Søgt navn er part i sagen ({case.role_of(person.cpr)})")
        ranked = sorted(found.items(), key=lambda kv: -kv[1][0])[:limit]
        out = []
        for case_id, (score, reason) in ranked:
            picked = self.ds.case_by_id(case_id)
            assert picked is not None
            out.append(self._make(picked, round(score, 3), [reason]))
        return out

    # -- core ------------------------------------------------------------------------------

    def _suggest(self, facts: MessageFacts, extra_text: str) -> SuggestionResult:
        ds = self.ds
        message = facts.header
        today = (message.created or datetime.now(UTC)).date()
        label = message.label or ""
        body = facts.body_text[:MAX_TEXT_CHARS]
        pdf = extra_text or ((facts.pdf_text or "") if self.extract_pdf else "")
        fwd_comment = (message.forward_data.comment or "") if message.forward_data else ""
        reply_comments = " ".join(r.comment or "" for r in message.reply_data)
        all_text = "\n".join(t for t in (label, fwd_comment, body, pdf) if t)

        children: dict[str, _Ev] = defaultdict(_Ev)
        cases: dict[str, _Ev] = defaultdict(_Ev)
        notes: list[str] = []
        strong = False  # tied to a specific child/case by CPR, case number or reply

        # 1. ReplyData: the case of the letter this message answers.
        reply_case, reply_closed_note = self._reply(message, cases)
        if reply_case is not None:
            strong = True

        # 2. Sender: the child itself, a party on cases, or a partner.
        sender_id = re.sub(r"\D", "", message.sender.id or "")
        sender_is_cpr = (message.sender.id_type or "").upper() == "CPR" and len(sender_id) == 10
        family: set[str] = set()
        if sender_is_cpr:
            if ds.is_child(sender_id):
                children[sender_id].add(0.9, "Afsender er barnet selv")
                family.add(sender_id)
            for case in ds.cases_for_party(sender_id):
                role = case.role_of(sender_id) or "part"
                family.add(case.child_cpr)
                children[case.child_cpr].add(0.45, f"Afsender er part i barnets sag ({role})")
            if reply_case is None:
                reply_case = self._letters_by_label(message, sender_id, label, cases)
                if reply_case is not None:
                    reply_closed_note = self._closed_note(reply_case)

        # 2b. Everyone else the letter names: parents and foster parents by full name, the
        # forwarded letter's original sender, addresses, a parent's first name beside the child's.
        name_text = _without_sender(all_text + "\n" + reply_comments, message.sender.label or "")
        toks = names.tokens(name_text)
        n_label = len(names.tokens(_without_sender(label, message.sender.label or "")))
        street_only = self._people(message, toks, all_text, children, family, sender_id)

        # 3. Case numbers in metadata and text.
        cd = message.content_data
        if cd and cd.case_id:
            by_id = self.ds.case_by_id(cd.case_id)
            if by_id is not None:
                cases[by_id.id].add(0.95, f"Sagens id i brevets metadata ({by_id.number})")
                strong = True
            else:
                strong |= self._case_numbers(cd.case_id, cases, "Sagsnummer i brevets metadata")
        strong |= self._case_numbers(
            all_text + "\n" + reply_comments, cases, "Sagsnummer nævnt i teksten"
        )

        # 4. CPR numbers: ContentData, text, PDF, ContactInfo.
        text_cprs: set[str] = set()  # children identified by CPR in the letter itself
        unknown_child_cprs: set[str] = set()
        if cd and cd.cpr:
            strong |= self._cpr_evidence(
                cd.cpr, "metadata", children, text_cprs, unknown_child_cprs, today, sender_id
            )
        for src, txt in (
            ("tekst", f"{label}\n{fwd_comment}\n{body}\n{reply_comments}"),
            ("pdf", pdf),
        ):
            for hit in find_cprs(txt, keep_invalid_dates=True):
                strong |= self._cpr_evidence(
                    hit.cpr,
                    src,
                    children,
                    text_cprs,
                    unknown_child_cprs,
                    today,
                    sender_id,
                    valid_date=hit.valid_date,
                )
        ci_children: set[str] = set()
        ci_names: list[str] = []
        for ci in message.contact_info:
            lab = fold(ci.label)
            if not ci.value.strip():
                continue
            if "cpr" in lab or "personnummer" in lab:
                for hit in find_cprs(ci.value, keep_invalid_dates=True) or []:
                    self._cpr_evidence(
                        hit.cpr,
                        "kontaktoplysninger",
                        children,
                        ci_children,
                        unknown_child_cprs,
                        today,
                        sender_id,
                        valid_date=hit.valid_date,
                    )
            elif "navn" in lab or "name" in lab:
                ci_names.append(ci.value)

        # 5. Names (family first, then the whole register for full names), and clues.
        named = self._names(toks, family, children, sender_is_cpr)
        self._focus(toks, n_label, family, children, text_cprs, fold(all_text))
        # the letter names a child, but none of the sender's children: maybe a new child
        if (
            family
            and not (named & family)
            and not text_cprs
            and self._other_child_named(toks, family, message.sender.label or "")
        ):
            for cpr in family:
                children[cpr].penalise(0.6)
        for value in ci_names:
            self._names(
                names.tokens(value),
                family,
                children,
                sender_is_cpr,
                reason_prefix="kontaktoplysninger",
                ci=ci_children,
            )
        self._clues(all_text, today, children, family, toks)
        # "min søn" / "vores datter": the CPR's last digit is odd for boys, even for girls
        sex = names.sex_named(all_text)
        if sex is not None:
            rivals = [c for c in children if len(c) == 10 and c[-1].isdigit() and c in family]
            for cpr in rivals:
                if (int(cpr[-1]) % 2 == 1) != (sex == "M"):
                    children[cpr].penalise(0.7)
        for cpr in street_only & set(children):
            children[cpr].add(
                0.25, "Vejnavnet i brevet passer til barnets eller forælderens adresse"
            )

        # 6. Text wins over ContactInfo: a form field naming another child loses.
        text_ids = text_cprs | named
        if text_ids:
            for cpr in ci_children - text_ids:
                children[cpr].penalise(0.3, "Kontaktoplysninger peger på et andet barn end teksten")
        # A CPR of a child not in DUBU found in the text: that is who the letter is about;
        # a namesake in DUBU with another birth date is someone else.
        if unknown_child_cprs and not (text_cprs & set(children)):
            unknown_births = {birth_date(c) for c in unknown_child_cprs}
            for cpr, ev in children.items():
                if cpr in text_cprs:
                    continue
                if birth_date(cpr) in unknown_births:
                    ev.penalise(0.6)
                else:
                    ev.penalise(0.25, "CPR i brevet tilhører et andet barn end sagens")

        # 7. Misrouted?
        verdict = misroute.assess(
            label,
            f"{fwd_comment}\n{body}\n{pdf}",
            strong_child_evidence=strong or message.kind is Kind.RETURSVAR,
            child_named=bool(named),
        )

        # 8. Children -> cases.
        caps = {t.folded for t in toks if t.capital}
        suggestions, needs_new, note = self._rank(
            children, cases, reply_case, reply_closed_note, unknown_child_cprs, caps
        )
        if reply_closed_note and not note:
            note = reply_closed_note
        if verdict.misrouted:
            suggestions = [
                _replace_score(
                    s, min(s.score, 0.2), "Brevet ser ud til at høre til en anden afdeling"
                )
                for s in suggestions
            ]
            needs_new = False
            note = verdict.reason
        suggestions = [s for s in suggestions if s.score >= MIN_SCORE][:MAX_SUGGESTIONS]
        return SuggestionResult(
            suggestions=tuple(suggestions),
            misrouted=verdict.misrouted,
            misroute_topic=verdict.topic if verdict.misrouted else None,
            forward_to=verdict.forward_to if verdict.misrouted else None,
            forward_kle=misroute.TOPIC_KLE.get(verdict.topic or "") if verdict.misrouted else None,
            needs_new_case=needs_new,
            note=note or (" ".join(notes) or None),
        )

    # -- evidence gatherers ----------------------------------------------------------------

    def _reply(self, message: MemoMessage, cases: dict[str, _Ev]) -> tuple[Case | None, str | None]:
        """Resolve ReplyData to the case of the original letter."""
        if not message.reply_data:
            return None, None
        ours = [r for r in message.reply_data if self._is_ours(r)]
        others = [r for r in message.reply_data if r not in ours]
        for entry in ours + others:
            trusted = entry in ours
            for uuid in (entry.message_uuid, entry.reply_uuid):
                letter = self.ds.letter_by_uuid(uuid) if uuid else None
                if letter is None:
                    continue
                case = self.ds.case_by_id(letter.case_id)
                if case is None:
                    continue
                cases[case.id].add(0.99 if trusted else 0.97, self._letter_reason(letter, case))
                return case, self._closed_note(case)
        for entry in ours + others:
            if entry.case_id:
                found = self.ds.cases_by_number(entry.case_id)
                if len(found) == 1:
                    case = found[0]
                    cases[case.id].add(
                        0.96 if entry in ours else 0.9,
                        f"Svar på brev fra sag {case.number} (sagsnummer i svardata)",
                    )
                    return case, self._closed_note(case)
        return None, None

    def _is_ours(self, entry: ReplyData) -> bool:
        sid = re.sub(r"\D", "", entry.sender_id or "")
        return bool((self.cvr and sid == self.cvr) or (entry.generating_system_id or "").strip())

    def _closed_note(self, case: Case) -> str | None:
        if case.is_open:
            return None
        return f"Sagen {case.number} er lukket ({_fmt_date(case.closed)})"

    @staticmethod
    def _letter_reason(letter: Letter, case: Case) -> str:
        return f"Svar på brev '{letter.label}' sendt {_fmt_date(letter.sent)} på sag {case.number}"

    def _letters_by_label(
        self, message: MemoMessage, sender: str, label: str, cases: dict[str, _Ev]
    ) -> Case | None:
        """A reply without ReplyData: letters we sent the sender with the same title.

        Returns the case when the title (with a reply prefix) points to exactly one case, so
        it is treated like a retursvar; several cases are left to the child evidence.
        """
        clean = fold(_clean_label(label))
        if len(clean) < 6:
            return None
        looks_like_reply = bool(_REPLY_PREFIX_RE.match(label or ""))
        matched: dict[str, Letter] = {}  # case id -> newest letter with that title
        for letter in self.ds.letters_to(sender)[:300]:  # newest first
            if fuzz.ratio(clean, fold(letter.label)) >= 90 and letter.case_id not in matched:
                matched[letter.case_id] = letter
        if not matched:
            return None
        unique = len(matched) == 1
        for i, (case_id, letter) in enumerate(matched.items()):
            case = self.ds.case_by_id(case_id)
            if case is None:
                continue
            strength = (0.9 if looks_like_reply else 0.6) if unique else (0.55 if i else 0.6)
            cases[case.id].add(
                strength,
                f"Titlen svarer til brev '{letter.label}' sendt "
                f"{_fmt_date(letter.sent)} til afsender på sag {case.number}",
            )
        if unique and looks_like_reply:
            return self.ds.case_by_id(next(iter(matched)))
        return None

    def _case_numbers(self, text: str, cases: dict[str, _Ev], reason: str) -> bool:
        found_any = False
        for m in re.finditer(r"\d{2}\s*\.\s*\d{2}\s*\.\s*\d{2}[^\n]{0,30}", text):
            parsed = normalize_case_number(m.group(0))
            if not parsed:
                continue
            found = self.ds.cases_by_number(m.group(0))
            if len(found) == 1:
                cases[found[0].id].add(0.95 if parsed[1] else 0.9, f"{reason} ({found[0].number})")
                found_any = True
            elif found:
                for case in found:
                    cases[case.id].add(0.45, f"{reason} (uden årstal: {case.number})")
        return found_any

    def _cpr_evidence(
        self,
        cpr: str,
        source: str,
        children: dict[str, _Ev],
        ids: set[str],
        unknown: set[str],
        today: date,
        sender: str,
        valid_date: bool = True,
    ) -> bool:
        """Evidence from one CPR-looking number. Returns True if it pins a known child."""
        ds = self.ds
        cpr = re.sub(r"\D", "", cpr)
        if len(cpr) != 10 or (cpr == sender and source != "metadata"):
            return False
        where = {
            "tekst": "i brevet",
            "pdf": "i vedhæftet PDF",
            "metadata": "i brevets metadata",
            "kontaktoplysninger": "i kontaktoplysninger",
        }[source]
        base = {"tekst": 0.93, "pdf": 0.9, "metadata": 0.9, "kontaktoplysninger": 0.8}[source]
        if ds.is_child(cpr):
            children[cpr].add(base, f"Barnets CPR fundet {where}")
            ids.add(cpr)
            return source != "kontaktoplysninger"
        if cpr in self._known_cprs:  # a parent / party: their children become candidates
            for case in ds.cases_for_party(cpr):
                children[case.child_cpr].add(0.35, f"CPR på en part i barnets sag fundet {where}")
            return False
        born = birth_date(cpr) if valid_date else None
        # not known: an OCR or typing slip of a known child's number?
        repaired = [n for n in neighbours(cpr) if ds.is_child(n)]
        if len(repaired) == 1 and (born is None or source != "metadata"):
            strength = 0.75 if born is None else 0.55
            children[repaired[0]].add(
                strength * (0.85 if source == "kontaktoplysninger" else 1.0),
                f"CPR {where} ligner barnets (læse- eller tastefejl)",
            )
            ids.add(repaired[0])
            return False
        if born is not None and names.age_on(born, today) < 23 and source != "kontaktoplysninger":
            unknown.add(cpr)
        return False

    def _fuzzy_first(self, tok: str) -> list[tuple[str, float]]:
        cached = self._fuzzy_first_cache.get(tok)
        if cached is not None:
            return cached
        out: list[tuple[str, float]] = []
        for v in (tok, tok[:-1] if len(tok) > 3 and tok.endswith("s") else None):
            if v and v in self._child_first:
                out.append((v, 1.0))
        if not out and len(tok) >= 5:
            for name, score, _ in process.extract(
                tok, self._first_vocab, scorer=fuzz.ratio, limit=3, score_cutoff=85
            ):
                out.append((name, 0.6 + (score / 100 - 0.8) * 1.5))
        if len(self._fuzzy_first_cache) > 20_000:
            self._fuzzy_first_cache.clear()
        self._fuzzy_first_cache[tok] = out
        return out

    def _names(
        self,
        toks: list[names.Token],
        family: set[str],
        children: dict[str, _Ev],
        sender_is_cpr: bool,
        reason_prefix: str = "",
        ci: set[str] | None = None,
    ) -> set[str]:
        """Name evidence. Returns children named in a way that identifies them."""
        ds = self.ds
        named: set[str] = set()
        in_ci = bool(reason_prefix)
        # (a) within the sender's family: first name is enough.
        for cpr in family:
            m = names.match_child_name(ds.folded_name(cpr), toks)
            if m is None or m.score < 0.4:
                continue
            if in_ci:
                children[cpr].add(0.35 + 0.3 * m.score, "Barnets navn i kontaktoplysninger")
                if ci is not None:
                    ci.add(cpr)
            else:
                children[cpr].add(
                    0.35 + 0.45 * m.score,
                    "Barnets navn nævnt i brevet" if m.full else "Barnets fornavn nævnt i brevet",
                )
                named.add(cpr)
        # (b) the whole register: a full name (first name + a surname side by side).
        caps = [t for t in toks if t.capital]
        seen_pairs: set[tuple[int, str]] = set()
        for i, t in enumerate(caps):
            for first, fs in self._fuzzy_first(t.folded):
                for j in range(i + 1, min(i + 4, len(caps))):
                    nxt = caps[j]
                    if nxt.index - caps[j - 1].index > 1:
                        break
                    cands: list[tuple[str, float]] = []
                    for v in (nxt.folded, nxt.folded[:-1] if nxt.folded.endswith("s") else ""):
                        for cpr in self._child_pair.get((first, v), ()):
                            cands.append((cpr, 1.0))
                    if not cands and len(nxt.folded) >= 5:
                        for cpr in self._child_first.get(first, ())[:400]:
                            ss = names.surname_score(ds.folded_name(cpr)[1:], nxt.folded)
                            if ss >= 0.8:
                                cands.append((cpr, ss))
                    for cpr, ss in cands:
                        if (i, cpr) in seen_pairs:
                            continue
                        seen_pairs.add((i, cpr))
                        score = 0.55 * fs + 0.45 * ss
                        if in_ci:
                            children[cpr].add(0.45 * score, "Barnets navn i kontaktoplysninger")
                            if ci is not None:
                                ci.add(cpr)
                        else:
                            children[cpr].add(0.7 * score, "Barnets fulde navn nævnt i brevet")
                            named.add(cpr)
                    if cands:
                        break
        # surname first, as forms and lists write it ("Holst, Tilde", "RAVN HOLST TILDE")
        for i in range(len(toks) - 1):
            sur, first_tok = toks[i], toks[i + 1]
            if not (sur.capital and first_tok.capital) or first_tok.index != sur.index + 1:
                continue
            for cpr in self._child_pair.get((first_tok.folded, sur.folded), ()):
                if cpr in named or any(p[1] == cpr for p in seen_pairs):
                    continue
                if in_ci:
                    children[cpr].add(0.45, "Barnets navn i kontaktoplysninger")
                    if ci is not None:
                        ci.add(cpr)
                else:
                    children[cpr].add(0.65, "Barnets fulde navn nævnt i brevet (efternavn først)")
                    named.add(cpr)
        return named

    def _clues(
        self,
        text: str,
        today: date,
        children: dict[str, _Ev],
        family: set[str],
        toks: list[names.Token],
    ) -> None:
        """Birth dates, ages and classes confirm or weaken candidates (siblings, namesakes)."""
        dates = names.birth_dates(text)
        ages = names.ages(text)
        classes = names.school_classes(text)
        if not (dates or ages or classes):
            return
        # first name + clue, for children not yet candidates (e.g. "Oscar i 7.b" from a school)
        if not family:
            for t in {t.folded for t in toks if t.capital}:
                for first, fs in self._fuzzy_first(t):
                    if fs < 1.0:
                        continue
                    cands = self._child_first.get(first, [])
                    fitting = [c for c in cands if self._fits(c, dates, ages, classes, today)]
                    # a different surname rules a namesake out, unless the exact birth date
                    # matches (the child may have taken a new surname)
                    fitting = [
                        c
                        for c in fitting
                        if (dates and birth_date(c) in dates)
                        or not self._surname_conflict(c, first, toks)
                    ]
                    if 0 < len(fitting) <= 8:  # ranked by the other evidence, not dropped
                        for c in fitting:
                            children[c].add(
                                0.5 / len(fitting) ** 0.5,
                                "Fornavn og alder/klasse/fødselsdato passer",
                            )
        for cpr, ev in children.items():
            born = birth_date(cpr)
            if born is None:
                continue
            if dates:
                if born in dates:
                    ev.add(0.6, "Fødselsdato i brevet passer")
                else:
                    ev.penalise(0.5)
            if ages:
                if any(abs(names.age_on(born, today) - a) <= 1 for a in ages):
                    ev.add(0.2, "Alderen i brevet passer")
                else:
                    ev.penalise(0.6)
            if classes:
                if any(names.class_fits(g, born, today) for g in classes):
                    ev.add(0.2, "Klassetrin passer til barnets alder")
                else:
                    ev.penalise(0.6)

    def _people(
        self,
        message: MemoMessage,
        toks: list[names.Token],
        all_text: str,
        children: dict[str, _Ev],
        family: set[str],
        sender_id: str,
    ) -> set[str]:
        """Children found through the adults and addresses a letter names. Adds them to
        `family` (their first names then suffice) and returns children whose street only (no
        house number) is named, for confirmation once other evidence exists."""
        ds, ppl = self.ds, self.people
        words = [(t.folded, t.capital) for t in toks]
        for _, cpr in ppl.full_names(words):
            if cpr == sender_id or ds.is_child(cpr):
                continue
            person = ds.person(cpr)
            for child, role in ppl.children_of(cpr):
                who = _ROLE_DA.get(role, role)
                children[child].add(
                    0.42, f"Barnets {who} ({person.name if person else ''}) nævnt i brevet"
                )
                family.add(child)
        fd = message.forward_data
        if fd is not None and fd.original_sender:
            for _, cpr in ppl.full_names([(w, True) for w in fold(fd.original_sender).split()]):
                person = ds.person(cpr)
                pname = person.name if person else ""
                if ds.is_child(cpr):
                    children[cpr].add(0.6, "Det videresendte brev er fra barnet selv")
                    family.add(cpr)
                    continue
                for child, role in ppl.children_of(cpr):
                    who = _ROLE_DA.get(role, role)
                    children[child].add(
                        0.45, f"Det videresendte brev er fra barnets {who} ({pname})"
                    )
                    family.add(child)
        street_only: set[str] = set()
        for hit in ppl.addresses(all_text):
            kids = [hit.cpr] if ds.is_child(hit.cpr) else [c for c, _ in ppl.children_of(hit.cpr)]
            for child in kids:
                if hit.with_number:
                    children[child].add(0.4, "Adressen i brevet er barnets eller forælderens")
                    family.add(child)
                else:
                    street_only.add(child)
        # a child's first name beside a parent's first name ("Tildes morbror. Marius ved ...")
        greeted = {
            toks[i + 1].folded
            for i in range(len(toks) - 1)
            if toks[i].folded in _GREETINGS and toks[i + 1].folded in self._worker_first
        }
        tokset = {t.folded for t in toks} - greeted
        # a first name one of the already known children has is about that child
        known_firsts = {self.ds.folded_name(c)[0] for c in family if self.ds.folded_name(c)}
        for tok in {t.folded for t in toks if t.capital}:
            for first in (tok, tok[:-1] if tok.endswith("s") and len(tok) > 3 else ""):
                if first in known_firsts:
                    continue
                cands = [c for c in self._child_first.get(first, ()) if c not in family]
                hits = []
                for child in cands:
                    pf = ppl.parent_first_names(child)
                    shared = [n for n in pf if n in tokset and n != first]
                    if shared:
                        hits.append((child, pf[shared[0]]))
                if 0 < len(hits) <= 3:
                    for child, adult in hits:
                        person = ds.person(adult)
                        who = _ROLE_DA.get(self.people.parents[child].get(adult, ""), "forælder")
                        children[child].add(
                            0.45 / len(hits) ** 0.5,
                            f"Barnets fornavn og {who}s fornavn"
                            f" ({person.first_name if person else ''}) nævnt i brevet",
                        )
                        family.add(child)
        return street_only

    def _focus(
        self,
        toks: list[names.Token],
        n_label: int,
        family: set[str],
        children: dict[str, _Ev],
        text_cprs: set[str],
        folded_text: str,
    ) -> None:
        """Which of the named children the letter is about: the subject line, the first and
        repeated mention, "det drejer sig om", "angående", corrections. A clear winner gains,
        the others (mentioned in passing) lose; equal evidence stays equal and says so."""
        sal: dict[str, float] = {}
        for cpr in family:
            parts = self.ds.folded_name(cpr)
            if not parts:
                continue
            pos = names.mentions(parts[0], toks)
            if pos:
                sal[cpr] = names.salience(pos, toks, n_label)
        if len(sal) < 2 and not (sal and text_cprs - set(sal)):
            return
        top = max(sal.values())
        leaders = [c for c, v in sal.items() if top - v < 1.5]
        if len(leaders) == 1:
            focus = leaders[0]
            children[focus].add(0.35, "Brevet handler om barnet (emne, gentagelse eller ordlyd)")
            for cpr in sal:
                if cpr != focus:
                    children[cpr].penalise(0.5, "Barnet nævnes kun i forbigående")
            if re.search(r"\b(forkert|wrong)\b.{0,20}\b(cpr|personnummer|number)", folded_text):
                for cpr in text_cprs - {focus}:
                    children[cpr].penalise(0.3, "Afsenderen skriver at CPR-nummeret var forkert")
        else:
            why = (
                "To børn nævnt – brevet siger ikke hvilket"
                if len(leaders) == 2
                else (f"{len(leaders)} børn nævnt – brevet siger ikke hvilket")
            )
            for cpr in leaders:
                if why not in children[cpr].lead:
                    children[cpr].lead.append(why)

    def _surname_conflict(self, cpr: str, first: str, toks: list[names.Token]) -> bool:
        """True when the first name is written with a surname that is not the child's."""
        others = self.ds.folded_name(cpr)[1:]
        for i, t in enumerate(toks[:-1]):
            nxt = toks[i + 1]
            if (
                nxt.capital
                and nxt.index == t.index + 1
                and names.first_name_score(first, t.folded) >= 1.0
                and names.surname_score(others, nxt.folded) < 0.8
                and nxt.folded not in self._child_first
            ):
                return True
        return False

    @staticmethod
    def _fits(
        cpr: str, dates: list[date], ages: list[int], classes: list[int], today: date
    ) -> bool:
        born = birth_date(cpr)
        if born is None:
            return False
        if dates and born not in dates:
            return False
        if ages and not any(abs(names.age_on(born, today) - a) <= 1 for a in ages):
            return False
        return not (classes and not any(names.class_fits(g, born, today) for g in classes))

    # -- ranking ---------------------------------------------------------------------------

    def _rank(
        self,
        children: dict[str, _Ev],
        cases: dict[str, _Ev],
        reply_case: Case | None,
        reply_closed_note: str | None,
        unknown: set[str],
        caps: set[str],
    ) -> tuple[list[Suggestion], bool, str | None]:
        ds = self.ds
        # child probabilities, damped when another child is about as likely (siblings)
        probs = {c: ev.p for c, ev in children.items() if ev.p > 0}
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        damped: dict[str, float] = {}
        for i, (cpr, p) in enumerate(ranked):
            rival = max((q for j, (_, q) in enumerate(ranked) if j != i), default=0.0)
            ratio = min(1.0, rival / p) if p else 1.0
            damped[cpr] = p * (1.0 - 0.55 * ratio**2)
        # direct case evidence may also carry the child's own evidence
        scores: dict[str, float] = {}
        reasons: dict[str, list[str]] = {}
        for case_id, ev in cases.items():
            case = ds.case_by_id(case_id)
            if case is None:
                continue
            child_p = damped.get(case.child_cpr, 0.0)
            scores[case_id] = 1.0 - (1.0 - ev.p) * (1.0 - child_p * 0.5)
            reasons[case_id] = ev.reasons() + (
                children[case.child_cpr].reasons() if case.child_cpr in children else []
            )
        needs_new = False
        note: str | None = None
        for cpr, p in damped.items():
            child_cases = ds.cases_for_child(cpr)
            if not child_cases:
                continue
            open_case = next((c for c in child_cases if c.is_open), None)
            target = open_case or child_cases[0]
            score = p if open_case else min(p * 0.45, CLOSED_ONLY_CAP)
            why = children[cpr].reasons()
            if open_case is None:
                why = [*why, "Barnet har kun lukkede sager – opret ny sag eller genoptag"]
            if target.id in scores:
                scores[target.id] = max(scores[target.id], score)
                reasons[target.id] += [r for r in why if r not in reasons[target.id]]
            else:
                scores[target.id] = score
                reasons[target.id] = why
        # a case mentioned directly but closed: for non-replies the child's open case leads
        for case_id in list(scores):
            case = ds.case_by_id(case_id)
            if case is None or case.is_open:
                continue
            open_case = ds.open_case_for_child(case.child_cpr)
            if reply_case is not None and case.id == reply_case.id:
                if open_case is not None:
                    s = min(scores[case_id] - 0.02, max(0.75, scores.get(open_case.id, 0.0)))
                    scores[open_case.id] = s
                    reasons.setdefault(open_case.id, [])
                    reasons[open_case.id] = [
                        f"Barnets åbne sag – brevets sag {case.number} er lukket"
                    ] + reasons[open_case.id]
                continue
            if open_case is not None:
                scores[open_case.id] = max(scores.get(open_case.id, 0.0), scores[case_id])
                reasons[open_case.id] = [
                    f"Barnets åbne sag – sag {case.number} er lukket",
                    *reasons.get(open_case.id, []),
                ]
            scores[case_id] = min(scores[case_id] * 0.45, CLOSED_ONLY_CAP)
        # the case's caseworker addressed by name ("Til Jonna", "Att. Ivan Jessen"): tie-breaker
        for case_id in list(scores):
            case = ds.case_by_id(case_id)
            worker = ds.caseworker(case.caseworker_id) if case else None
            if case is None or worker is None or not case.is_open or scores[case_id] < 0.2:
                continue
            if self._mentions_worker(worker.name, worker.initials, caps):
                scores[case_id] = 1.0 - (1.0 - scores[case_id]) * 0.85
                reasons[case_id].append(f"Sagsbehandleren ({worker.name}) nævnt i brevet")
        ordered = sorted(scores.items(), key=lambda kv: -kv[1])
        out = [
            self._make(ds.case_by_id(cid), round(s, 3), reasons.get(cid, []))  # type: ignore[arg-type]
            for cid, s in ordered
        ]
        top_child = ranked[0][0] if ranked else None
        if reply_case is None:
            if (
                top_child
                and all(not c.is_open for c in ds.cases_for_child(top_child))
                and ds.cases_for_child(top_child)
                and damped[top_child] >= 0.3
                and not any(s.score >= 0.5 for s in out)
            ):
                needs_new = True
                note = "Barnet har kun lukkede sager – opret ny sag eller genoptag"
            elif unknown and not any(s.score >= 0.5 for s in out):
                needs_new = True
                note = "Barnet i brevet har ingen sag i DUBU – opret ny sag"
        return out, needs_new, note

    def _other_child_named(self, toks: list[names.Token], family: set[str], sender: str) -> bool:
        """A capitalised child first name in the text that is not one of `family`'s children,
        the sender's own name or a caseworker's."""
        skip = set(fold(sender).split())
        skip |= {fold(w.name).split()[0] for w in self.ds.caseworkers() if w.name}
        fam_first = {self.ds.folded_name(c)[0] for c in family if self.ds.folded_name(c)}
        for t in toks:
            if not t.capital or t.folded in skip:
                continue

            def known(x: str) -> bool:
                return x in self._child_first or bool(self.ds.persons_with_first_name(x))

            v = t.folded[:-1] if t.folded.endswith("s") and known(t.folded[:-1]) else t.folded
            if (
                known(v)
                and v not in fam_first
                and not any(names.first_name_score(f, t.folded) >= 0.6 for f in fam_first)
            ):
                return True
        return False

    @staticmethod
    def _mentions_worker(name: str, initials: str, caps: set[str]) -> bool:
        parts = fold(name).split()
        return bool(parts) and (parts[0] in caps or (bool(initials) and fold(initials) in caps))

    def _make(self, case: Case, score: float, reasons: list[str]) -> Suggestion:
        person = self.ds.person(case.child_cpr)
        why = list(dict.fromkeys(reasons))
        if not case.is_open and not any("lukket" in r for r in why):
            why.append(f"Sagen er lukket ({_fmt_date(case.closed)})")
        return Suggestion(
            case_id=case.id,
            case_number=case.number,
            score=max(0.0, min(1.0, score)),
            reasons=tuple(why),
            child_cpr=case.child_cpr,
            child_name=person.name if person else None,
            closed=not case.is_open,
        )

    def _apply_query(self, result: SuggestionResult, query: str) -> SuggestionResult:
        matches = self.search_cases(query)
        match_ids = {s.case_id: s for s in matches}
        first = [s for s in result.suggestions if s.case_id in match_ids]
        first_ids = {s.case_id for s in first}
        extra = [s for s in matches if s.case_id not in first_ids]
        rest = [s for s in result.suggestions if s.case_id not in match_ids]
        return SuggestionResult(
            suggestions=tuple(first + extra + rest),
            misrouted=result.misrouted,
            misroute_topic=result.misroute_topic,
            forward_to=result.forward_to,
            forward_kle=result.forward_kle,
            needs_new_case=result.needs_new_case,
            note=result.note,
        )


def _without_sender(text: str, sender: str) -> str:
    """`text` without the sender's own name (the signature is not a child's name)."""
    parts = sender.split()
    if len(parts) < 2:
        return text
    out = re.sub(re.escape(sender), " ", text, flags=re.IGNORECASE)
    lines = out.splitlines()
    tail = [i for i, line in enumerate(lines) if line.strip()][-2:]
    first = fold(parts[0])
    for i in tail:
        if fold(lines[i]).split()[:1] == [first] and len(fold(lines[i]).split()) <= 2:
            lines[i] = ""
    return "\n".join(lines)


def _replace_score(s: Suggestion, score: float, reason: str) -> Suggestion:
    return Suggestion(
        s.case_id,
        s.case_number,
        round(score, 3),
        (*s.reasons, reason),
        s.child_cpr,
        s.child_name,
        s.closed,
    )
