"""A realistic team backlog in a real client cache, for the backlog UI tests and the screenshot
script: sandbox corpus messages ingested through `Cache.ingest` with receipt times over the last
three weeks, and decisions made through the real outbox (journalised, assigned to DUBU
caseworkers and partly journalised by them, rejected, forwarded, pending, retrying, refused).
Decision times are then placed on their day (the outbox stamps the real clock). Synthetic data.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import text

from app.decisions import Assign, Decision, Forward, Journalise, Reject
from app.models.cache import Cache
from app.models.db import Database
from app.models.inbox import LOCAL_TZ, is_working_day, local_date
from app.sf1606.memo import read_memo
from app.suggest.text import ingest_message

REPO = Path(__file__).resolve().parent.parent
SANDBOX_MESSAGES = REPO / "resources" / "sandbox" / "messages"
SANDBOX_DUBU = REPO / "resources" / "sandbox" / "dubu.json"


@dataclass(frozen=True)
class FakeItem:  # the fields of MailboxItem the cache reads
    item_id: int
    message_uuid: str
    received_at: datetime
    contact_point_id: str | None
    memo: bytes
    kind: str = ""


def caseworkers() -> list[tuple[str, str, str]]:
    data = json.loads(SANDBOX_DUBU.read_text(encoding="utf-8"))
    return [(w["id"], f"{w['name']} ({w['initials']})", w["team"]) for w in data["caseworkers"]]


def _working_days_back(now: datetime, n: int) -> list:
    day, out = local_date(now), []
    while len(out) < n:
        if is_working_day(day):
            out.append(day)
        day -= timedelta(days=1)
    return out


def _at(day, rng: random.Random) -> datetime:
    local = datetime.combine(day, time(rng.randint(7, 15), rng.randint(0, 59)), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC)


def _working_hours(moment: datetime) -> datetime:
    """Move a moment on a weekend or holiday to the next working day (people decide at work)."""
    local = moment.astimezone(LOCAL_TZ)
    day = local.date()
    if is_working_day(day):
        return moment
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(9, local.minute), tzinfo=LOCAL_TZ).astimezone(UTC)


def _stamp(cache: Cache, outbox_id: int, at: datetime) -> None:
    with cache.engine.begin() as conn:
        conn.execute(
            text("UPDATE outbox SET created_at = :at WHERE id = :id"),
            {"at": at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "), "id": outbox_id},
        )


def fill_team_cache(db: Database, now: datetime, n: int = 160, seed: int = 7) -> dict[str, int]:
    """Fill `db`; returns counts of what was done (for sanity checks)."""
    rng = random.Random(seed)
    cache = Cache(db)
    paths = sorted(SANDBOX_MESSAGES.glob("*.xml"))
    paths = [p for p in paths if p.stat().st_size < 150_000]
    rng.shuffle(paths)
    days = _working_days_back(now, 16)
    weights = [14, 11, 10, 9, 8, 8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3]
    batch = []
    for i, path in enumerate(paths[:n]):
        back = rng.choices(range(len(days)), weights)[0]
        received = _at(days[back], rng)
        if back == 0:
            received = min(received, now - timedelta(minutes=rng.randint(5, 120)))
        raw = path.read_bytes()
        msg = read_memo(raw, locate=True)
        batch.append((FakeItem(i + 1, msg.message_uuid, received, None, raw), ingest_message(msg)))
    cache.ingest(batch)
    workers = caseworkers()[:7]
    worker_weights = [9, 7, 5, 4, 3, 2, 1]
    case = Journalise("5d7a4c1e-0b1f-4c0e-9a57-3f1f8b0c2a11", "27.24.00-G01-9-26")
    done = {"journalise": 0, "assign": 0, "reject": 0, "forward": 0, "journalised_later": 0}
    later: list[tuple[int, str, datetime]] = []  # pending / retrying / refused, after the rest
    for item, _msg in sorted(batch, key=lambda b: b[0].received_at):
        item_id = cache.item_id_for_uuid(item.message_uuid)
        assert item_id is not None
        age_days = sum(1 for d in days if d > local_date(item.received_at))
        p_decided = (0.12, 0.55, 0.8, 0.88, 0.9, 0.92, 0.95)[min(age_days, 6)]
        if rng.random() > p_decided:
            continue
        action = rng.choices(["journalise", "assign", "reject", "forward"], [50, 36, 7, 7])[0]
        lag = rng.choices([0, 1, 2, 4], [55, 25, 12, 8])[0] if age_days else 0
        delay = timedelta(hours=rng.uniform(0.2, 7) + 24 * min(lag, max(0, age_days - 1)))
        decided_at = min(_working_hours(item.received_at + delay), now - timedelta(minutes=2))
        if age_days in (1, 2) and len(later) < 5 and rng.random() < 0.3:
            later.append((item_id, action, decided_at))
            continue
        decision: Decision
        if action == "journalise":
            decision = case
        elif action == "assign":
            cw = rng.choices(workers, worker_weights)[0]
            decision = Assign(cw[0], cw[1])
        elif action == "reject":
            decision = Reject("Sendt til forkert afdeling")
        else:
            decision = Forward("nexus", kle="29.09.00")
        outbox_id = cache.enqueue(item_id, decision, "fordeler")
        _stamp(cache, outbox_id, decided_at)
        task = cache.next_due()
        assert task is not None and task.id == outbox_id
        cache.apply_delivery_result(outbox_id, delivered=True)
        done[action] += 1
        # Caseworkers journalise most of what they got, the older the likelier.
        if action == "assign" and rng.random() < (0.0, 0.2, 0.45, 0.6)[min(age_days, 3)]:
            when = min(_working_hours(decided_at + timedelta(hours=rng.uniform(2, 40))), now)
            assert isinstance(decision, Assign)
            jid = cache.enqueue(item_id, case, decision.caseworker_id)
            _stamp(cache, jid, when)
            task = cache.next_due()
            assert task is not None and task.id == jid
            cache.apply_delivery_result(jid, delivered=True)
            done["journalised_later"] += 1
    # Entries that stay plainly pending go last: `next_due` takes the oldest due entry.
    order = sorted(range(len(later)), key=lambda k: k % 3 == 2)
    for k in order:
        item_id, _action, at = later[k]
        outbox_id = cache.enqueue(item_id, case, "fordeler")
        _stamp(cache, outbox_id, at)
        if k % 3 == 0:  # refused by DUBU: needs the distributor again
            task = cache.next_due()
            assert task is not None
            cache.apply_delivery_result(
                outbox_id, delivered=False, reason="FEJLET: sagen er lukket"
            )
        elif k % 3 == 1:  # a delivery attempt timed out: retried later
            task = cache.next_due()
            assert task is not None
            cache.defer(outbox_id, "timeout", 600)
    open_ids = [
        cache.item_id_for_uuid(it.message_uuid)
        for it, _m in batch
        if cache.item(cache.item_id_for_uuid(it.message_uuid) or 0)["status"] == "ny"
    ]
    for item_id, user in zip(open_ids[:3], ("anna", "anna", "bo"), strict=False):
        cache.set_claim(item_id or 0, user, now + timedelta(minutes=5))
    done["later"] = len(later)
    return done
