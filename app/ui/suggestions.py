"""Glue between D's suggestion engine (Qt-free, `app.suggest.engine`) and the suggestion panel.

Turns the engine's ranked result into small frozen `CaseChoice`s the panel can show (case
number, title, score, reasons), and offers case search by CPR, name or case number. Runs on a
worker thread (never call it from the UI thread). Never logs CPR numbers or names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from app.dubu.dataset import Case, DubuDataset
from app.sf1606.stored import MessageFacts

log = logging.getLogger("postfordeler.ui.suggest")
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class CaseChoice:
    case_id: str
    case_number: str
    title: str
    score: float | None
    reasons: tuple[str, ...]
    is_open: bool
    kle: str | None
    caseworker_id: str | None
    caseworker_label: str | None


@dataclass(frozen=True, slots=True)
class SuggestionView:
    choices: tuple[CaseChoice, ...] = ()
    misrouted: bool = False
    misroute_reason: str | None = None
    receiver: str | None = None  # likely receiving system for a misrouted item
    note: str | None = None  # e.g. "ny sag eller genåbning"


def _reason_text(reason: Any) -> str:
    for attr in ("text", "label", "description"):
        value = getattr(reason, attr, None)
        if isinstance(value, str):
            return value
    return str(reason)


class Suggester:
    """Wraps `SuggestionEngine` over a `DubuDataset` (or a minimal fallback if the engine is
    not installed, which only knows a retursvar's letter)."""

    def __init__(self, dataset: DubuDataset, engine: Any | None = None) -> None:
        self.dataset = dataset
        if engine is None:
            try:
                from app.suggest.engine import SuggestionEngine

                engine = SuggestionEngine(dataset)
            except ImportError:
                log.warning("suggestion engine not available; only retursvar are suggested")
        self.engine = engine

    def _choice(self, case: Case, score: float | None, reasons: tuple[str, ...]) -> CaseChoice:
        worker = self.dataset.caseworker(case.caseworker_id)
        return CaseChoice(
            case_id=case.id,
            case_number=case.number,
            title=case.title,
            score=score,
            reasons=reasons,
            is_open=case.is_open,
            kle=case.kle,
            caseworker_id=case.caseworker_id,
            caseworker_label=f"{worker.name} ({worker.initials})" if worker else None,
        )

    def _from_result(self, result: Any) -> SuggestionView:
        items = getattr(result, "suggestions", result) or ()
        choices = []
        for s in items:
            case = self.dataset.case_by_id(s.case_id)
            reasons = tuple(_reason_text(r) for r in (getattr(s, "reasons", ()) or ()))
            if case is None:
                choices.append(
                    CaseChoice(
                        s.case_id,
                        getattr(s, "case_number", "") or "",
                        "",
                        getattr(s, "score", None),
                        reasons,
                        True,
                        None,
                        None,
                        None,
                    )
                )
            else:
                choices.append(self._choice(case, getattr(s, "score", None), reasons))
        receiver = getattr(result, "receiver", None) or getattr(result, "forward_to", None)
        return SuggestionView(
            choices=tuple(choices),
            misrouted=bool(getattr(result, "misrouted", False)),
            misroute_reason=_opt_text(getattr(result, "misroute_topic", None)),
            receiver=_opt_text(receiver),
            note=_opt_text(
                getattr(result, "note", None) or getattr(result, "abstain_reason", None)
            ),
        )

    def suggest(self, message: MessageFacts) -> SuggestionView:
        """Suggestions from the item's stored facts (extracted once at ingest; no parse)."""
        if self.engine is not None:
            return self._from_result(self.engine.suggest(message))
        for reply in message.header.reply_data:
            letter = self.dataset.letter_by_uuid(reply.message_uuid)
            case = self.dataset.case_by_id(letter.case_id) if letter else None
            if case is not None:
                return SuggestionView((self._choice(case, 0.95, ("svar på brev sendt på sagen",)),))
        return SuggestionView()

    def search(self, query: str, message: MessageFacts | None = None) -> SuggestionView:
        """Cases for a CPR (child or party), a case number or a name; with the message, the
        engine re-ranks its own suggestions so matching cases come first."""
        query = query.strip()
        if not query:
            return SuggestionView()
        if self.engine is not None:
            if message is not None:
                return self._from_result(self.engine.suggest(message, query=query))
            return self._from_result(self.engine.search_cases(query))
        digits = _DIGITS.sub("", query)
        cases: list[Case] = []
        if len(digits) == 10:
            cases = [*self.dataset.cases_for_child(digits), *self.dataset.cases_for_party(digits)]
        if not cases:
            cases = list(self.dataset.cases_by_number(query))
        if not cases:
            for person, _score in self.dataset.search_names(query, limit=10):
                cases.extend(self.dataset.cases_for_child(person.cpr))
        seen: dict[str, Case] = {}
        for case in cases:
            seen.setdefault(case.id, case)
        ranked = sorted(seen.values(), key=lambda c: (not c.is_open, c.number))
        return SuggestionView(tuple(self._choice(c, None, ()) for c in ranked[:20]))

    def caseworkers(self) -> list[tuple[str, str, str]]:
        return [(w.id, f"{w.name} ({w.initials})", w.team) for w in self.dataset.caseworkers()]


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else _reason_text(value)
