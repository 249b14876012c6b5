"""Between the suggestion engine (Qt-free, `app.suggest.engine`) and the suggestion panel.

Turns the engine's ranked result into small frozen `CaseChoice`s the panel can show (case
number, title, score, reasons), and offers case search by CPR, name or case number. Runs on a
worker thread (never call it from the UI thread). Never logs CPR numbers or names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.dubu.dataset import Case, DubuDataset
from app.sf1606.stored import MessageFacts
from app.suggest.engine import Suggestion, SuggestionEngine, SuggestionResult
from app.ui.reasons import translate_reason, translate_reasons


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
    found_by_search: bool = False  # a search hit, not among the item's suggestions (no score)


@dataclass(frozen=True, slots=True)
class SuggestionView:
    choices: tuple[CaseChoice, ...] = ()
    misrouted: bool = False
    misroute_reason: str | None = None
    receiver: str | None = None  # likely receiving system for a misrouted item
    receiver_kle: str | None = None  # its KLE subject (matched against SF2900's receivers)
    needs_new_case: bool = False  # no open case fits the child: "Opret ny sag"
    note: str | None = None  # e.g. "ny sag eller genåbning"


class Suggester:
    """Wraps `SuggestionEngine` over a `DubuDataset` for the panel."""

    def __init__(self, dataset: DubuDataset, engine: SuggestionEngine | None = None) -> None:
        self.dataset = dataset
        self.engine = engine or SuggestionEngine(dataset)

    def _choice(self, case: Case, score: float | None, reasons: tuple[str, ...]) -> CaseChoice:
        worker = self.dataset.caseworker(case.caseworker_id)
        return CaseChoice(
            case_id=case.id,
            case_number=case.number,
            title=case.title,
            score=score,
            reasons=translate_reasons(reasons),
            is_open=case.is_open,
            kle=case.kle,
            caseworker_id=case.caseworker_id,
            caseworker_label=f"{worker.name} ({worker.initials})" if worker else None,
        )

    def _choices(self, suggestions: Iterable[Suggestion]) -> tuple[CaseChoice, ...]:
        choices = []
        for s in suggestions:
            case = self.dataset.case_by_id(s.case_id)
            if case is None:  # the engine knows a case the dataset does not list
                choices.append(
                    CaseChoice(
                        s.case_id,
                        s.case_number,
                        "",
                        s.score,
                        translate_reasons(s.reasons),
                        True,
                        None,
                        None,
                        None,
                    )
                )
            else:
                choices.append(self._choice(case, s.score, s.reasons))
        return tuple(choices)

    def _from_result(self, result: SuggestionResult) -> SuggestionView:
        return SuggestionView(
            choices=self._choices(result.suggestions),
            misrouted=result.misrouted,
            misroute_reason=result.misroute_topic,
            receiver=result.forward_to,
            receiver_kle=result.forward_kle,
            needs_new_case=result.needs_new_case,
            note=translate_reason(result.note) if result.note else None,
        )

    def suggest(self, message: MessageFacts) -> SuggestionView:
        """Suggestions from the item's stored facts (extracted once at ingest; no parse)."""
        return self._from_result(self.engine.suggest(message))

    def search(self, query: str, message: MessageFacts | None = None) -> SuggestionView:
        """Cases for a CPR (child or party), a case number or a name; with the message, the
        engine re-ranks its own suggestions so matching cases come first."""
        query = query.strip()
        if not query:
            return SuggestionView()
        if message is not None:
            return self._from_result(self.engine.suggest(message, query=query))
        return SuggestionView(self._choices(self.engine.search_cases(query)))

    def caseworkers(self) -> list[tuple[str, str, str]]:
        return [(w.id, f"{w.name} ({w.initials})", w.team) for w in self.dataset.caseworkers()]
