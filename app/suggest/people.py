"""Everyone DUBU knows, as a letter names them: full names and addresses of children, parents,
foster parents and guardians, and the children each adult is a party for.

Used by the suggestion engine to find a child through the people a letter names (a
grandmother naming the mother, a neighbour naming an address, a forwarded letter's original
sender). Built once per dataset; look-ups are dictionary hits over the letter's words. Pure;
never logs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from app.dubu.dataset import DubuDataset, fold

__all__ = ["AddressHit", "PeopleIndex"]

_NUMBER_RE = re.compile(r"^\d{1,4}[a-z]?$")
_MAX_STREET_WORDS = 4


@dataclass(frozen=True, slots=True)
class AddressHit:
    cpr: str
    with_number: bool  # street and house number both match


def _split_address(address: str) -> tuple[str, str] | None:
    """("hornbaekvej", "97") from "Hornbækvej 97, 6091 Frøstrup"; None when unparsable."""
    street_part = address.split(",")[0]
    if street_part.lower().startswith("c/o"):
        street_part = address.split(",")[1] if "," in address else ""
    m = re.match(r"\s*(.+?)\s+(\d{1,4}\s?[A-Za-z]?)\b", street_part)
    if not m:
        return None
    street = fold(m.group(1))
    number = fold(m.group(2)).replace(" ", "")
    return (street, number) if street else None


class PeopleIndex:
    def __init__(self, ds: DubuDataset) -> None:
        self.ds = ds
        self.pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.streets: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.parents: dict[str, dict[str, str]] = defaultdict(dict)  # child -> adult -> role
        for person in ds.persons:
            parts = ds.folded_name(person.cpr)
            for other in parts[1:]:
                self.pairs[(parts[0], other)].append(person.cpr)
            if person.address:
                split = _split_address(person.address)
                if split:
                    self.streets[split[0]].append((split[1], person.cpr))
        for case in ds.cases:
            for party in case.parties:
                self.parents[case.child_cpr].setdefault(party.cpr, party.role)

    def children_of(self, adult: str) -> list[tuple[str, str]]:
        """(child CPR, the adult's role) for every case the adult is a party on."""
        out: dict[str, str] = {}
        for case in self.ds.cases_for_party(adult):
            out.setdefault(case.child_cpr, case.role_of(adult) or "part")
        return list(out.items())

    def parent_first_names(self, child: str) -> dict[str, str]:
        """Folded first name -> adult CPR, for the child's parties."""
        out = {}
        for adult in self.parents.get(child, {}):
            parts = self.ds.folded_name(adult)
            if parts:
                out[parts[0]] = adult
        return out

    def full_names(self, words: list[tuple[str, bool]]) -> list[tuple[int, str]]:
        """(position, CPR) of persons named by first name and a surname side by side.
        `words` are (folded word, written with a capital); lower-case pairs count too."""
        out = []
        for i in range(len(words) - 1):
            first = words[i][0]
            for j in (i + 1, i + 2):
                if j >= len(words):
                    break
                other = words[j][0]
                if other.endswith("s") and (first, other) not in self.pairs:
                    other = other[:-1]  # "Filippa Nielsens nye kæreste"
                for cpr in self.pairs.get((first, other), ()):
                    out.append((i, cpr))
        return out

    def addresses(self, text: str) -> list[AddressHit]:
        """Persons whose street (and house number) the text names."""
        words = fold(text).split()
        hits: dict[str, bool] = {}
        for i in range(len(words)):
            for k in range(_MAX_STREET_WORDS, 0, -1):
                key = " ".join(words[i : i + k])
                residents = self.streets.get(key)
                if not residents:
                    continue
                numbers = [w for w in words[i + k : i + k + 4] if _NUMBER_RE.match(w)]
                if not numbers:  # "pigen i nr. 95" further on
                    numbers = [
                        words[n + 1]
                        for n in range(len(words) - 1)
                        if words[n] in ("nr", "no", "nummer") and _NUMBER_RE.match(words[n + 1])
                    ]
                for number, cpr in residents:
                    exact = number in numbers or any(
                        re.sub(r"\D", "", number) == n for n in numbers
                    )
                    hits[cpr] = hits.get(cpr, False) or exact
                break
        return [AddressHit(cpr, exact) for cpr, exact in hits.items()]
