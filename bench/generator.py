"""Made-up referrals as plain tuples, one case at a time: a county's agencies, ~50 facilitators, and for each case
what its course through the stages of DESIGN §2 left behind.

No ORM objects (a million referrals are ~15 million rows). The shapes follow the demo data (hub.demo), and what
is recorded on a case (participants, stage events, allocations, consent, contact attempts, assessments, sessions,
agreement, feedback, volunteer hours) matches how far it got, so every CHECK constraint holds.
"""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.tables import TABLES
from hub.demo.catalogue import (
    ACCESSIBILITY_NEEDS,
    ACTIONS,
    AGENCIES,
    CLOSING_NOTES,
    DECLINE_NOTES,
    FIRST_NAMES,
    HOLD_NOTES,
    HOURS_ACTIVITIES,
    INTERPRETER_LANGUAGES,
    MUTUAL_ACTIONS,
    OFFENCES,
    POLICE_PREFIX,
    PRISON_NAME,
    REFERRAL_WEIGHTS,
    SERVICE_NAME,
    SESSION_NOTES,
    STAGE_NOTES,
    STREETS,
    SURNAMES,
    TOWNS,
    UNSAFE_NOTE,
)
from hub.demo.plans import CLOSED_FROM, HOLDABLE, OUTCOME_WEIGHTS, TERMINAL, Plan, between
from hub.referrals.models import Stage
from hub.referrals.transitions import MAIN_PATH

PARTNER_AGENCY = f"{POLICE_PREFIX}Colchester"
POOL_AGENCY = "Victim Support — Essex"
FACILITATORS = 50
APPROACHES = ("FACE_TO_FACE_CONFERENCE", "LETTER_EXCHANGE", "SHUTTLE_MEDIATION", "VIDEO_OR_PHONE")
MUTUAL_APPROACHES = ("NEIGHBOUR_MEDIATION", "COMMUNITY_JUSTICE_PANEL")
WITHDRAWING = {"WITHDRAWN_BY_HARMED_PARTY": "HARMED", "WITHDRAWN_BY_RESPONSIBLE_PARTY": "RESPONSIBLE"}
HOURS = tuple(Decimal(h) for h in ("0.50", "1.00", "1.50", "2.00", "2.50", "3.00", "4.00"))
POSITIVE = frozenset({"RESOLVED", "PARTIALLY_RESOLVED"})


def reached(path: tuple[str, ...], stage: str) -> bool:
    return stage in path


@dataclass
class _Case:
    id: uuid.UUID
    path: tuple[str, ...]
    outcome: str | None
    times: list[datetime]
    now: datetime
    agency: tuple[uuid.UUID, str, str, tuple[str, ...]]
    district: str
    kind: str
    sensitive: bool
    mutual: bool
    coordinator: str
    participants: list[list[Any]] = field(default_factory=list)
    facilitators: list[tuple] = field(default_factory=list)

    def window(self, stage: str) -> tuple[datetime, datetime]:
        i = self.path.index(stage)
        return self.times[i], self.times[i + 1] if i + 1 < len(self.times) else self.now


class Generator:
    """Makes the rows of one referral at a time into `rows` (table name → list of tuples)."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.rows: dict[str, list[tuple]] = {table: [] for table in TABLES}
        self.agencies = [(self.uuid(), name, kind.value, districts) for name, kind, districts in AGENCIES]
        self.by_name = {agency[1]: agency for agency in self.agencies}
        self.service = self.by_name[SERVICE_NAME]
        referring = [a for a in self.agencies if a[2] in {k.value for k in REFERRAL_WEIGHTS}]
        self.referring = referring
        self.weights = list(itertools.accumulate(self._weight(a) for a in referring))
        self.facilitators = [self._facilitator(i) for i in range(FACILITATORS)]
        self.coordinators = [self.name() for _ in range(4)]
        self.number = 0

    @staticmethod
    def _weight(agency: tuple) -> int:
        return next(w for k, w in REFERRAL_WEIGHTS.items() if k.value == agency[2])

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"

    def take(self) -> dict[str, list[tuple]]:
        """The rows made since the last call."""
        rows, self.rows = self.rows, {table: [] for table in TABLES}
        return rows

    def static_rows(self) -> None:
        """The agencies and facilitators."""
        registered = self.now - timedelta(days=600)
        self.rows["agency"] = [(*agency[:3], list(agency[3]), registered) for agency in self.agencies]
        self.rows["facilitator"] = [(*f, registered) for f in self.facilitators]

    def _facilitator(self, i: int) -> tuple:
        districts = sorted({self.rng.choice(self.service[3]) for _ in range(self.rng.randint(1, 3))})
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
        email = f"{first}.{last}.{i}@rj-volunteers.example.org".lower()
        accreditation = "ACCREDITED" if i % 5 else "TRAINEE"
        return (self.uuid(), f"{first} {last}", email, accreditation, i % 5 in (1, 2, 3), districts, i % 10 != 9)

    # --- plans ------------------------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        """A case's course, weighted like the demo: half closed, some declined, some on hold, the rest open."""
        rng, roll = self.rng, self.rng.random()
        if roll < 0.5:
            outcome = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
            path = (*MAIN_PATH[: MAIN_PATH.index(rng.choice(CLOSED_FROM[outcome])) + 1], Stage.CLOSED)
            plan = Plan(path, outcome=outcome)
        elif roll < 0.58:
            plan = Plan((Stage.RECEIVED, Stage.DECLINED), decline_reason=rng.choice(list(DECLINE_NOTES)))
        elif roll < 0.63:
            plan = Plan((*MAIN_PATH[: MAIN_PATH.index(rng.choice(HOLDABLE)) + 1], Stage.ON_HOLD))
        else:
            plan = Plan(MAIN_PATH[: rng.randrange(len(MAIN_PATH)) + 1])
        spots = [i for i, s in enumerate(plan.path) if s in HOLDABLE and Stage.ON_HOLD not in plan.path[i : i + 2]]
        if spots and rng.random() < 0.15:  # paused and resumed on the way
            i = rng.choice(spots)
            plan = Plan((*plan.path[: i + 1], Stage.ON_HOLD, plan.path[i], *plan.path[i + 1 :]), plan.outcome)
        return plan

    def pool_plan(self) -> tuple[Plan, list[datetime]]:
        """A recent case at ALLOCATED, for advanceStage."""
        submitted = self.now - timedelta(days=self.rng.randint(10, 40), minutes=self.rng.randint(0, 600))
        times = [submitted + timedelta(days=days) for days in (0, 2, 5)]
        return Plan((Stage.RECEIVED, Stage.ACCEPTED, Stage.ALLOCATED)), times

    # --- one referral -----------------------------------------------------------------------------------------------

    def referral(self, plan: Plan, times: list[datetime], agency: tuple | None = None) -> _Case:
        rng = self.rng
        agency = agency or self.referring[self._pick_agency()]
        offences = [o for o in OFFENCES if agency[2] in {s.value for s in o.sources}] or list(OFFENCES)
        offence = rng.choice(offences)
        path = tuple(str(s) for s in plan.path)
        outcome = str(plan.outcome) if plan.outcome else None
        district = rng.choice(agency[3])
        case = _Case(
            self.uuid(),
            path,
            outcome,
            times,
            self.now,
            agency,
            district,
            offence.kind.value,
            bool(offence.sensitivity),
            offence.kind.value in ("NEIGHBOUR_DISPUTE", "COMMUNITY_CONFLICT"),
            rng.choice(self.coordinators),
        )
        self._referral_row(case, plan, offence)
        self._participants(case)
        for step in (self._events, self._allocations, self._consent, self._contact_attempts, self._assessments):
            step(case)
        for step in (self._sessions, self._agreement, self._feedback, self._hours):
            step(case)
        return case

    def _pick_agency(self) -> int:
        roll = self.rng.random() * self.weights[-1]
        return next(i for i, w in enumerate(self.weights) if roll < w)

    def _referral_row(self, case: _Case, plan: Plan, offence: Any) -> None:
        rng, times, path = self.rng, case.times, case.path
        self.number += 1
        stage = path[-1]
        decline = str(plan.decline_reason) if plan.decline_reason else None
        approach = None
        if reached(path, "PREPARATION"):
            approach = rng.choice(MUTUAL_APPROACHES if case.mutual else APPROACHES)
        town = TOWNS.get(case.district, case.district)
        referrer = self.name()
        self.rows["referral"].append(
            (
                case.id,
                f"RJ-{times[0].year}-{self.number:06d}",
                case.agency[0],
                f"{case.agency[1][:3].upper()}/{times[0].year}/{self.number:07d}",
                referrer,
                f"{referrer.replace(' ', '.').lower()}@{case.agency[2].lower()}.example.org",
                f"01632 {rng.randint(100000, 999999)}",
                case.district,
                case.kind,
                offence.category,
                [s.value for s in offence.sensitivity],
                decline != "NOT_REPORTED_TO_POLICE",
                decline != "NO_ADMISSION_OF_RESPONSIBILITY",
                offence.summary.format(town=town),
                stage,
                path[-2] if stage == "ON_HOLD" else None,
                len(path),
                approach,
                case.outcome,
                decline,
                DECLINE_NOTES[plan.decline_reason] if plan.decline_reason else None,
                f"{rng.getrandbits(256):064x}",
                times[0],
                times[-1],
                times[-1] if stage in TERMINAL else None,
            )
        )

    def _participants(self, case: _Case) -> None:
        roles = ["HARMED", "RESPONSIBLE"]
        roll = self.rng.random()
        if roll < 0.25:
            roles.append("SUPPORTER")
        elif roll < 0.4:
            roles.append("PARENT_OR_GUARDIAN")
        for position, role in enumerate(roles):
            case.participants.append(self._person(case, role, position))

    def _person(self, case: _Case, role: str, position: int) -> list[Any]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        born = date(rng.randint(1945, 2008), rng.randint(1, 12), rng.randint(1, 28))
        town = TOWNS.get(case.district, case.district)
        custody = role == "RESPONSIBLE" and (case.agency[2] == "PRISON" or rng.random() < 0.08)
        phone = None if custody else f"07700 {rng.randint(900000, 900999)}"
        email = None if custody or rng.random() < 0.4 else f"{first}.{last}@example.net".lower()
        address = None if custody else f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {town}"
        preferred = "VIA_PRISON" if custody else ("PHONE" if rng.random() < 0.7 else "LETTER")
        needs = rng.random()
        return [
            self.uuid(),
            case.id,
            role,
            f"{first} {last}",
            born,
            phone,
            email,
            address,
            preferred,
            rng.choice(INTERPRETER_LANGUAGES) if needs < 0.05 else None,
            rng.choice(ACCESSIBILITY_NEEDS) if 0.05 <= needs < 0.12 else None,
            PRISON_NAME if custody else None,
            f"A{rng.randint(1000, 9999)}BC" if custody else None,
            "PENDING",
            None,
            position,
        ]

    def _events(self, case: _Case) -> None:
        rng, path = self.rng, case.path
        rows = self.rows["stage_event"]
        rows.append(
            (self.uuid(), case.id, None, "RECEIVED", case.times[0], case.agency[0], None, "Referrer", "Submitted.")
        )
        for i in range(1, len(path)):
            previous, stage = path[i - 1], path[i]
            if stage == "CLOSED":
                note = CLOSING_NOTES.get(case.outcome)  # type: ignore[call-overload]
            elif stage == "ON_HOLD":
                note = rng.choice(HOLD_NOTES)
            elif previous == "ON_HOLD":
                note = "Resumed: the reason for the hold has passed."
            else:
                note = STAGE_NOTES.get(stage) if rng.random() < 0.5 else None  # type: ignore[call-overload]
            at = case.times[i]
            rows.append((self.uuid(), case.id, previous, stage, at, self.service[0], None, case.coordinator, note))

    def _allocations(self, case: _Case) -> None:
        if not reached(case.path, "ALLOCATED"):
            return
        eligible = [f for f in self.facilitators if f[6] and (f[4] or not case.sensitive)]
        local = [f for f in eligible if case.district in f[5]] or eligible
        case.facilitators = self.rng.sample(local, 2 if len(local) >= 2 and self.rng.random() < 0.4 else 1)
        at = case.window("ALLOCATED")[0]
        self.rows["allocation"].extend((case.id, f[0], at) for f in case.facilitators)

    def _recorder(self, case: _Case) -> str:
        return case.facilitators[0][1] if case.facilitators else case.coordinator

    def _consent(self, case: _Case) -> None:
        path, rows = case.path, self.rows["consent_record"]
        withdrawing = WITHDRAWING.get(case.outcome or "")
        for person in case.participants:
            given = reached(path, "ASSESSMENT") or (
                reached(path, "CONTACT") and case.outcome != "NO_CONTACT" and self.rng.random() < 0.6
            )
            if given:
                at = between(self.rng, *case.window("CONTACT"))
                rows.append((self.uuid(), person[0], "GIVEN", at, self._recorder(case), None))
                person[13] = "GIVEN"
            if withdrawing == person[2]:  # one harmed and one responsible party per case
                person[14] = case.times[-1] - timedelta(hours=2)
                rows.append((self.uuid(), person[0], "REFUSED", person[14], self._recorder(case), None))
                person[13] = "REFUSED"
        self.rows["participant"].extend(tuple(p) for p in case.participants)

    def _contact_attempts(self, case: _Case) -> None:
        if not reached(case.path, "CONTACT"):
            return
        rng, rows = self.rng, self.rows["contact_attempt"]
        start, end = case.window("CONTACT")
        for person in case.participants:
            if person[2] not in ("HARMED", "RESPONSIBLE", "PARENT_OR_GUARDIAN"):
                continue
            failures = 3 if case.outcome == "NO_CONTACT" else rng.randint(0, 2)
            succeeded = person[13] != "PENDING" or (case.outcome != "NO_CONTACT" and rng.random() < 0.5)
            moments = sorted(between(rng, start, end) for _ in range(failures + int(succeeded)))
            for i, at in enumerate(moments):
                ok = succeeded and i == len(moments) - 1
                note = None if ok else "No answer; will try again."
                rows.append((self.uuid(), case.id, person[0], person[8], ok, at, self._recorder(case), note))

    def _assessments(self, case: _Case) -> None:
        if not reached(case.path, "ASSESSMENT"):
            return
        rng, rows = self.rng, self.rows["assessment"]
        start, end = case.window("ASSESSMENT")
        partial = not reached(case.path, "PREPARATION") and case.outcome != "UNSUITABLE"
        for person in case.participants:
            if person[2] not in ("HARMED", "RESPONSIBLE") or (partial and rng.random() < 0.3):
                continue
            unsafe = case.outcome == "UNSUITABLE" and person[2] == "RESPONSIBLE"
            at = between(rng, start, end)
            on = at.date()
            review = on + timedelta(days=rng.randint(28, 90))
            outcome, notes = ("NOT_SAFE", UNSAFE_NOTE) if unsafe else ("SAFE", None)
            rows.append((self.uuid(), case.id, person[0], outcome, on, review, self._recorder(case), notes, at))

    def _sessions(self, case: _Case) -> None:
        if not reached(case.path, "RESTORATIVE_PROCESS"):
            return
        rng = self.rng
        start, end = case.window("RESTORATIVE_PROCESS")
        count = rng.randint(1, 3)
        finished = reached(case.path, "AGREEMENT_MONITORING")
        approach = rng.choice(MUTUAL_APPROACHES if case.mutual else APPROACHES)
        location = f"{TOWNS.get(case.district, case.district)} community centre"
        for i, at in enumerate(sorted(between(rng, start, end) for _ in range(count))):
            if finished or i < count - 1:
                status, held, notes = "HELD", at, rng.choice(SESSION_NOTES)
            elif case.path[-1] == "RESTORATIVE_PROCESS":
                status, held, notes = "SCHEDULED", None, None
                at = self.now + timedelta(days=rng.randint(3, 21))
            else:
                status, held, notes = "CANCELLED", None, None
            self.rows["restorative_session"].append(
                (self.uuid(), case.id, approach, at, location, status, held, notes, start)
            )

    def _agreement(self, case: _Case) -> None:
        if not reached(case.path, "AGREEMENT_MONITORING"):
            return
        rng = self.rng
        start, end = case.window("AGREEMENT_MONITORING")
        agreement = self.uuid()
        self.rows["outcome_agreement"].append((agreement, case.id, start.date(), None, start))
        chosen = rng.sample(MUTUAL_ACTIONS if case.mutual else ACTIONS, rng.randint(1, 3))
        missed = rng.randrange(len(chosen)) if case.outcome == "PARTIALLY_RESOLVED" else -1
        for position, (kind, description, owner) in enumerate(chosen):
            if position == missed:
                status = "MISSED"
            elif case.path[-1] == "CLOSED":
                status = "WAIVED" if rng.random() < 0.1 else "DONE"
            else:
                status = "DONE" if rng.random() < 0.4 else "PENDING"
            settled = None if status == "PENDING" else between(rng, start, end)
            due = start.date() + timedelta(days=rng.randint(14, 90))
            self.rows["agreement_action"].append(
                (self.uuid(), agreement, kind.value, description, owner.value, due, status, settled, None, position)
            )

    def _feedback(self, case: _Case) -> None:
        if case.path[-1] != "CLOSED":
            return
        rng, rows = self.rng, self.rows["feedback"]
        closed = case.times[-1]
        later = min(closed + timedelta(days=30), self.now)
        rate = 0.9 if case.outcome in POSITIVE else 0.5
        for person in case.participants:
            if person[2] in ("HARMED", "RESPONSIBLE") and person[13] == "GIVEN" and rng.random() < 0.7:
                at = between(rng, closed, later)
                rows.append((self.uuid(), case.id, "PARTICIPANT", person[0], rng.random() < rate, None, None, at))
        if rng.random() < 0.6:
            at = between(rng, closed, later)
            rows.append((self.uuid(), case.id, "REFERRER", None, None, rng.random() < 0.85, None, at))

    def _hours(self, case: _Case) -> None:
        if not case.facilitators:
            return
        rng = self.rng
        start = case.window("ALLOCATED")[0]
        end = case.times[-1] if case.path[-1] in TERMINAL else self.now
        for facilitator in case.facilitators:
            for _ in range(rng.randint(1, 2)):
                at = between(rng, start, end)
                hours, activity = rng.choice(HOURS), rng.choice(HOURS_ACTIVITIES)
                self.rows["volunteer_hours"].append(
                    (self.uuid(), facilitator[0], case.id, at.date(), hours, activity, at)
                )
