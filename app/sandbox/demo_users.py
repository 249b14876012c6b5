"""The sandbox's demo users: a distributor per team, a caseworker and a team lead, each seeing
the post of different contact points of the DUBU dataset.

Teams are the dataset's caseworker teams. Each contact point belongs to one team, by its label
(the Fjordby dataset: "handicap" → Team Handicap, professionals' notifications ("fagperson",
"underretning") → Team Forebyggelse, the rest — families' new enquiries and replies to the
family department's letters — → Team Modtagelse, the reception). A label no rule matches goes
to the reception team (the first team when there is none called "Modtagelse").

- `fordeler-<team>` (distributor): the team's contact points;
- a caseworker of the handicap team (named by their DUBU initials, lower case): the replies to
  their team's letters only (the team's "retursvar" contact points);
- `teamleder` (team lead of the reception): every contact point of the municipality, listed;
- `administrator` (sets the municipality's policy, app/gateway/policy.py): every contact point;
- the sandbox's own `demo` user (distributor in the reception) sees everything, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.dubu.dataset import ContactPoint, DubuDataset
from app.gateway.users import (
    ROLE_ADMINISTRATOR,
    ROLE_CASEWORKER,
    ROLE_DISTRIBUTOR,
    ROLE_TEAM_LEAD,
    GatewayUser,
    make_user,
)

RECEPTION_TEAM = "Team Modtagelse"
# (words in a contact point's label, word in the team's name), first match wins
_TEAM_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("handicap",), "handicap"),
    (("fagperson", "underretning"), "forebyggelse"),
)


@dataclass(frozen=True, slots=True)
class DemoTeams:
    """Teams of the dataset and the contact points each handles (ids, dataset order)."""

    reception: str
    contact_points: dict[str, tuple[str, ...]]


def team_contact_points(dataset: DubuDataset) -> DemoTeams:
    teams = sorted({w.team for w in dataset.caseworkers() if w.team}) or [RECEPTION_TEAM]
    reception = next((t for t in teams if "modtagelse" in t.lower()), teams[0])
    assigned: dict[str, list[str]] = {t: [] for t in teams}
    for cp in dataset.contact_points:
        assigned[_team_of(cp, teams, reception)].append(cp.id)
    return DemoTeams(reception, {t: tuple(ids) for t, ids in assigned.items()})


def _team_of(cp: ContactPoint, teams: Sequence[str], reception: str) -> str:
    label = cp.label.lower()
    for words, team_word in _TEAM_RULES:
        if any(w in label for w in words):
            team = next((t for t in teams if team_word in t.lower()), None)
            if team is not None:
                return team
    return reception


def _slug(team: str) -> str:
    text = team.lower().removeprefix("team ").strip()
    text = text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "team"


def demo_users(dataset: DubuDataset, demo_user: str) -> tuple[GatewayUser, ...]:
    """The demo users of `dataset` (without secrets; the sandbox makes one per user).
    `demo_user` is the sandbox's existing user: a reception distributor seeing everything."""
    teams = team_contact_points(dataset)
    every = [cp.id for cp in dataset.contact_points]
    users = [make_user(demo_user, ROLE_DISTRIBUTOR, teams.reception, None)]
    for team, ids in teams.contact_points.items():
        # a team without a contact point of its own distributes the reception's post
        users.append(
            make_user(
                f"fordeler-{_slug(team)}",
                ROLE_DISTRIBUTOR,
                team,
                ids or teams.contact_points[teams.reception] or every,
            )
        )
    case_team = next((t for t in teams.contact_points if "handicap" in t.lower()), teams.reception)
    worker = next((w for w in dataset.caseworkers() if w.team == case_team), None)
    replies = [
        cp.id
        for cp in dataset.contact_points
        if cp.purpose == "retursvar" and cp.id in teams.contact_points[case_team]
    ]
    worker_name = worker.initials.lower() if worker and worker.initials else "sagsbehandler"
    users.append(
        make_user(
            worker_name,
            ROLE_CASEWORKER,
            case_team,
            replies or teams.contact_points[case_team] or every,
            caseworker_id=worker.id if worker else None,  # sees what is assigned to them
        )
    )
    users.append(make_user("teamleder", ROLE_TEAM_LEAD, teams.reception, every))
    users.append(make_user("administrator", ROLE_ADMINISTRATOR, teams.reception, None))
    seen: set[str] = set()
    unique = []
    for user in users:  # a dataset caseworker called "teamleder" would clash: keep the first
        if user.name not in seen:
            seen.add(user.name)
            unique.append(user)
    return tuple(unique)
