"""The shape of each demo case: which stages it passes through, when, and how it ends."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, pairwise

from hub.demo.catalogue import HISTORY_DAYS
from hub.referrals.models import (
    DeclineReason,
    Outcome,
    ParticipantRole,
    Stage,
)
from hub.referrals.transitions import MAIN_PATH

# --- the shape of each case ------------------------------------------------------------------------------------------

HOLDABLE = MAIN_PATH[1:]
TERMINAL = (Stage.CLOSED, Stage.DECLINED)
CLOSED_FROM = {
    Outcome.RESOLVED: (Stage.AGREEMENT_MONITORING,),
    Outcome.PARTIALLY_RESOLVED: (Stage.AGREEMENT_MONITORING,),
    Outcome.WITHDRAWN_BY_HARMED_PARTY: (Stage.CONTACT, Stage.ASSESSMENT, Stage.PREPARATION, Stage.RESTORATIVE_PROCESS),
    Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY: (
        Stage.CONTACT,
        Stage.ASSESSMENT,
        Stage.PREPARATION,
        Stage.RESTORATIVE_PROCESS,
    ),
    Outcome.WITHDRAWN_BY_REFERRER: (Stage.ACCEPTED, Stage.ALLOCATED, Stage.CONTACT),
    Outcome.UNSUITABLE: (Stage.ASSESSMENT,),
    Outcome.NO_CONTACT: (Stage.CONTACT,),
}
OUTCOME_WEIGHTS = {
    Outcome.RESOLVED: 10,
    Outcome.PARTIALLY_RESOLVED: 3,
    Outcome.WITHDRAWN_BY_HARMED_PARTY: 2,
    Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY: 2,
    Outcome.WITHDRAWN_BY_REFERRER: 1,
    Outcome.UNSUITABLE: 1,
    Outcome.NO_CONTACT: 1,
}
# Whole days a case typically spends before moving into a stage.
GAP_DAYS = {
    Stage.ACCEPTED: (1, 6),
    Stage.ALLOCATED: (1, 10),
    Stage.CONTACT: (2, 14),
    Stage.ASSESSMENT: (5, 25),
    Stage.PREPARATION: (7, 30),
    Stage.RESTORATIVE_PROCESS: (10, 40),
    Stage.AGREEMENT_MONITORING: (1, 10),
    Stage.ON_HOLD: (3, 30),
    Stage.CLOSED: (7, 60),
    Stage.DECLINED: (1, 10),
}
RESUME_GAP_DAYS = (14, 60)
WITHDRAWING_ROLE = {
    Outcome.WITHDRAWN_BY_HARMED_PARTY: ParticipantRole.HARMED,
    Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY: ParticipantRole.RESPONSIBLE,
}
PARTIES = (ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE)


@dataclass(frozen=True)
class Plan:
    """The stages one generated case walked, and how it ended."""

    path: tuple[Stage, ...]
    outcome: Outcome | None = None
    decline_reason: DeclineReason | None = None

    @property
    def stage(self) -> Stage:
        return self.path[-1]

    def reached(self, stage: Stage) -> bool:
        return stage in self.path


def _walk(to: Stage) -> tuple[Stage, ...]:
    return MAIN_PATH[: MAIN_PATH.index(to) + 1]


def _closed(rng: random.Random, outcome: Outcome) -> Plan:
    return Plan((*_walk(rng.choice(CLOSED_FROM[outcome])), Stage.CLOSED), outcome=outcome)


def _declined(reason: DeclineReason) -> Plan:
    return Plan((Stage.RECEIVED, Stage.DECLINED), decline_reason=reason)


def _on_hold(rng: random.Random) -> Plan:
    return Plan((*_walk(rng.choice(HOLDABLE)), Stage.ON_HOLD))


def _required_plans(rng: random.Random) -> list[Plan]:
    """Every stage first, then every outcome and decline reason, so even a small demo shows every state."""
    outcomes, reasons = list(Outcome), list(DeclineReason)
    first = [_closed(rng, outcomes[0]), _declined(reasons[0]), _on_hold(rng), *(Plan(_walk(s)) for s in MAIN_PATH)]
    return first + [_closed(rng, o) for o in outcomes[1:]] + [_declined(r) for r in reasons[1:]]


def _random_plan(rng: random.Random) -> Plan:
    roll = rng.random()
    if roll < 0.5:
        return _closed(rng, rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0])
    if roll < 0.58:
        return _declined(rng.choice(list(DeclineReason)))
    if roll < 0.63:
        return _on_hold(rng)
    return Plan(_walk(rng.choice(MAIN_PATH)))


def _with_pause(rng: random.Random, plan: Plan) -> Plan:
    """Sometimes a case went on hold and resumed on its way (awaiting sentencing, a prison transfer)."""
    path = plan.path
    spots = [i for i, s in enumerate(path) if s in HOLDABLE and Stage.ON_HOLD not in path[i : i + 2]]
    if not spots or rng.random() > 0.15:
        return plan
    i = rng.choice(spots)
    return replace(plan, path=(*path[: i + 1], Stage.ON_HOLD, path[i], *path[i + 1 :]))


def plans(rng: random.Random, count: int) -> list[Plan]:
    required = _required_plans(rng)[:count]
    plans = required + [_random_plan(rng) for _ in range(count - len(required))]
    return [_with_pause(rng, plan) for plan in plans]


# --- when things happened --------------------------------------------------------------------------------------------


def _days_ago(rng: random.Random, plan: Plan) -> int:
    """How long ago the case was submitted: closed cases are older, new ones recent."""
    steps = len(plan.path)
    if plan.stage in TERMINAL:
        return rng.randint(15 * steps, HISTORY_DAYS)
    return rng.randint(steps, min(14 + 25 * (steps - 1), HISTORY_DAYS))


def _gap(rng: random.Random, previous: Stage, stage: Stage) -> int:
    low, high = RESUME_GAP_DAYS if previous is Stage.ON_HOLD else GAP_DAYS[stage]
    return rng.randint(low, high)


def _fit(gaps: list[int], room: int) -> list[int]:
    """Shrink whole-day gaps (each at least a day) until they fit in `room` days."""
    total = sum(gaps)
    if total > room:
        gaps = [max(1, gap * room // total) for gap in gaps]
    while sum(gaps) > room:
        gaps[gaps.index(max(gaps))] -= 1
    return gaps


def _office_time(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(8, 30), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 540))


def timeline(rng: random.Random, plan: Plan, today: date) -> list[datetime]:
    """When the case entered each stage of its path: whole days apart, in office hours, before today."""
    days_ago = _days_ago(rng, plan)
    gaps = _fit([_gap(rng, a, b) for a, b in pairwise(plan.path)], days_ago - 1)
    start = today - timedelta(days=days_ago)
    return [_office_time(rng, start + timedelta(days=offset)) for offset in accumulate([0, *gaps])]


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment strictly inside (start, end), to the minute where there is room."""
    minutes = int((end - start).total_seconds() // 60)
    if minutes < 2:
        return start + (end - start) / 2
    return start + timedelta(minutes=rng.randint(1, minutes - 1))


def spread_moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    return sorted(between(rng, start, end) for _ in range(count))


# --- the result ------------------------------------------------------------------------------------------------------
