"""Turning a plan and its timeline into a referral with everything recorded while it was worked."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import SQLModel

from hub.agencies.models import Agency, AgencyKind
from hub.demo.catalogue import (
    ACCESSIBILITY_NEEDS,
    ACTIONS,
    CLOSING_NOTES,
    CRIME,
    DECLINE_NOTES,
    DISTRICTS,
    FACILITATOR_COUNT,
    FIRST_NAMES,
    HISTORY_DAYS,
    HOLD_NOTES,
    HOURS_ACTIVITIES,
    INTERPRETER_LANGUAGES,
    MUTUAL_ACTIONS,
    OFFENCES,
    OTHER_ACTIVITIES,
    POLICE_RANKS,
    PRISON_NAME,
    PRISON_NUMBER_LETTERS,
    REFERRAL_WEIGHTS,
    SESSION_NOTES,
    STAGE_NOTES,
    STREETS,
    SURNAMES,
    TOWNS,
    UNSAFE_NOTE,
    Offence,
)
from hub.demo.plans import PARTIES, TERMINAL, WITHDRAWING_ROLE, Plan, between, spread_moments
from hub.facilitators.models import Accreditation, Allocation, Facilitator, VolunteerHours
from hub.referrals.models import (
    POSITIVE_OUTCOMES,
    ActionStatus,
    AgreementAction,
    Approach,
    Assessment,
    AssessmentOutcome,
    ConsentRecord,
    ConsentState,
    ContactAttempt,
    ContactMethod,
    DeclineReason,
    Feedback,
    IncidentKind,
    Outcome,
    OutcomeAgreement,
    Participant,
    ParticipantRole,
    Referral,
    Respondent,
    RestorativeSession,
    Sensitivity,
    SessionStatus,
    Stage,
    StageEvent,
)


@dataclass
class _Case:
    """One referral being generated, with what later rows need to know about it."""

    plan: Plan
    times: list[datetime]
    now: datetime
    agency: Agency
    offence: Offence
    referral: Referral
    coordinator: str
    participants: list[Participant] = field(default_factory=list)
    facilitators: list[Facilitator] = field(default_factory=list)

    def window(self, stage: Stage) -> tuple[datetime, datetime]:
        """From when the case first entered the stage until it next moved (or now)."""
        i = self.plan.path.index(stage)
        return self.times[i], self.times[i + 1] if i + 1 < len(self.times) else self.now

    def parties(self, *roles: ParticipantRole) -> list[Participant]:
        return [p for p in self.participants if p.role in roles]

    @property
    def in_custody(self) -> bool:
        return any(p.custody_establishment for p in self.participants)


def _town(district: str) -> str:
    return TOWNS.get(district, district)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _content_hash(case: _Case) -> str:
    """A stable fingerprint of what the agency submitted."""
    referral = case.referral
    content = {
        "agency": case.agency.name,
        "agency_reference": referral.agency_reference,
        "summary": referral.summary,
        "participants": [[p.role.value, p.full_name, str(p.date_of_birth)] for p in case.participants],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- the builder -----------------------------------------------------------------------------------------------------


class DemoBuilder:
    """Generates the rows; they are added in tiers so foreign keys are always satisfied at flush."""

    def __init__(self, rng: random.Random, now: datetime, agencies: list[Agency]) -> None:
        self.rng = rng
        self.now = now
        self.agencies = agencies
        self.service = next(a for a in agencies if a.kind is AgencyKind.RJ_SERVICE)
        self.names: set[str] = set()
        self.agency_references: set[tuple[str, str]] = set()
        self.tiers: list[list[SQLModel]] = [[], [], [], []]
        self.coordinators = [self._full_name() for _ in range(3)]
        self.facilitators = self._facilitators()

    # people

    def _name(self, surname: str | None = None) -> tuple[str, str]:
        """A first name and surname, different from those used so far while there are enough to go round."""
        for _ in range(50):
            first, last = self.rng.choice(FIRST_NAMES), surname or self.rng.choice(SURNAMES)
            if f"{first} {last}" not in self.names:
                break
        self.names.add(f"{first} {last}")
        return first, last

    def _full_name(self) -> str:
        return " ".join(self._name())

    def _facilitators(self) -> list[Facilitator]:
        """Eight accredited (five of them trained for sensitive cases) and four trainees, covering every district."""
        rows = []
        for i in range(FACILITATOR_COUNT):
            first, last = self._name()
            extra = self.rng.sample(DISTRICTS, self.rng.randint(0, 2))
            rows.append(
                Facilitator(
                    full_name=f"{first} {last}",
                    email=f"{first}.{last}@rj-volunteers.example.org".lower(),
                    accreditation=Accreditation.ACCREDITED if i < 8 else Accreditation.TRAINEE,
                    sensitive_trained=i < 5,
                    districts=list(dict.fromkeys([DISTRICTS[i % len(DISTRICTS)], *extra])),
                    active=i != 7,
                    created_at=self.now - timedelta(days=HISTORY_DAYS + self.rng.randint(30, 700)),
                )
            )
        self.tiers[0].extend(rows)
        return rows

    # referrals

    def case(self, plan: Plan, times: list[datetime], number: int) -> None:
        """Generate one referral and everything recorded on it."""
        agency = self._referring_agency(plan)
        offence = self._pick_offence(agency, plan)
        referral = self._referral(plan, agency, offence, times, number)
        case = _Case(plan, times, self.now, agency, offence, referral, self.rng.choice(self.coordinators))
        case.participants = self._participants(case)
        referral.sensitivity = self._sensitivity(case)
        referral.content_hash = _content_hash(case)
        referral.approach = self._approach(case) if plan.reached(Stage.PREPARATION) else None
        self.tiers[1].append(referral)
        self.tiers[2].extend(case.participants)
        for step in (self._events, self._allocations, self._consent, self._contact_attempts, self._assessments):
            step(case)
        for step in (self._sessions, self._agreement, self._feedback, self._case_hours):
            step(case)

    def _referring_agency(self, plan: Plan) -> Agency:
        if plan.decline_reason is DeclineReason.NOT_REPORTED_TO_POLICE:
            return next(a for a in self.agencies if a.kind is AgencyKind.VICTIM_SUPPORT)
        candidates = [a for a in self.agencies if a.kind in REFERRAL_WEIGHTS]
        return self.rng.choices(candidates, weights=[REFERRAL_WEIGHTS[a.kind] for a in candidates])[0]

    def _pick_offence(self, agency: Agency, plan: Plan) -> Offence:
        choices = [o for o in OFFENCES if agency.kind in o.sources]
        if plan.decline_reason is DeclineReason.NOT_REPORTED_TO_POLICE:
            choices = [o for o in choices if o.kind is CRIME and not o.sensitivity]
        return self.rng.choice(choices)

    def _referral(self, plan: Plan, agency: Agency, offence: Offence, times: list[datetime], number: int) -> Referral:
        district = self.rng.choice(agency.districts)
        name, email, phone = self._referrer(agency)
        return Referral(
            reference=f"RJ-{times[0].year}-{number:06d}",
            referring_agency_id=agency.id,
            agency_reference=self._agency_reference(agency, times[0]),
            referrer_name=name,
            referrer_email=email,
            referrer_phone=phone,
            district=district,
            incident_kind=offence.kind,
            offence_category=offence.category,
            reported_to_police=self._reported(plan, agency, offence),
            responsibility_admitted=plan.decline_reason is not DeclineReason.NO_ADMISSION_OF_RESPONSIBILITY,
            summary=offence.summary.format(town=_town(district)),
            stage=plan.stage,
            stage_before_hold=plan.path[-2] if plan.stage is Stage.ON_HOLD else None,
            version=len(plan.path),
            outcome=plan.outcome,
            decline_reason=plan.decline_reason,
            decline_note=DECLINE_NOTES.get(plan.decline_reason) if plan.decline_reason else None,
            content_hash="",
            submitted_at=times[0],
            updated_at=times[-1],
            closed_at=times[-1] if plan.stage in TERMINAL else None,
        )

    def _referrer(self, agency: Agency) -> tuple[str, str, str | None]:
        first, last = self._name()
        rank = f"{self.rng.choice(POLICE_RANKS)} " if agency.kind is AgencyKind.POLICE else ""
        domain = "essex-police" if agency.kind is AgencyKind.POLICE else _slug(agency.name)
        phone = f"01632 960{self.rng.randint(0, 999):03d}" if self.rng.random() < 0.6 else None
        return f"{rank}{first} {last}", f"{first}.{last}@{domain}.example.org".lower(), phone

    def _agency_reference(self, agency: Agency, submitted: datetime) -> str:
        """A reference in the agency's own style (a crime number for the police), unique per agency."""
        rng, yy = self.rng, submitted.year % 100
        formats = {
            AgencyKind.POLICE: lambda: f"42/{rng.randint(100000, 999999)}/{yy:02d}",
            AgencyKind.YOUTH_OFFENDING: lambda: f"YOS-{rng.randint(10000, 99999)}",
            AgencyKind.COUNCIL: lambda: f"ASB/{submitted.year}/{rng.randint(1, 9999):04d}",
            AgencyKind.FIRE_AND_RESCUE: lambda: f"FIU-{yy:02d}-{rng.randint(1000, 9999)}",
            AgencyKind.PRISON: lambda: f"CHM-RJ-{rng.randint(100, 9999)}",
            AgencyKind.PROBATION: lambda: f"E{rng.randint(100000, 999999)}",
            AgencyKind.VICTIM_SUPPORT: lambda: f"VS{rng.randint(1000000, 9999999)}",
        }
        reference = formats[agency.kind]()
        while (agency.name, reference) in self.agency_references:
            reference = formats[agency.kind]()
        self.agency_references.add((agency.name, reference))
        return reference

    def _reported(self, plan: Plan, agency: Agency, offence: Offence) -> bool:
        if plan.decline_reason is DeclineReason.NOT_REPORTED_TO_POLICE:
            return False
        return agency.kind is AgencyKind.POLICE or offence.kind is CRIME or self.rng.random() < 0.3

    def _sensitivity(self, case: _Case) -> list[str]:
        flags = set(case.offence.sensitivity)
        submitted = case.times[0].date()
        if any(p.date_of_birth and _age_on(p.date_of_birth, submitted) < 18 for p in case.participants):
            flags.add(Sensitivity.CHILD_INVOLVED)
        return [s.value for s in Sensitivity if s in flags]

    def _approach(self, case: _Case) -> Approach:
        kind, rng = case.offence.kind, self.rng
        if kind is IncidentKind.NEIGHBOUR_DISPUTE:
            return rng.choice((Approach.NEIGHBOUR_MEDIATION, Approach.SHUTTLE_MEDIATION))
        if kind is IncidentKind.COMMUNITY_CONFLICT:
            return Approach.COMMUNITY_JUSTICE_PANEL
        if case.in_custody or case.offence.sensitivity:
            return rng.choice((Approach.LETTER_EXCHANGE, Approach.SHUTTLE_MEDIATION, Approach.FACE_TO_FACE_CONFERENCE))
        return rng.choice((Approach.FACE_TO_FACE_CONFERENCE,) * 3 + (Approach.LETTER_EXCHANGE, Approach.VIDEO_OR_PHONE))

    # participants

    def _participants(self, case: _Case) -> list[Participant]:
        """The harmed and responsible parties, a parent for each child, and sometimes supporters."""
        rng, offence = self.rng, case.offence
        school = offence.kind is IncidentKind.WORKPLACE_OR_SCHOOL
        young = case.agency.kind is AgencyKind.YOUTH_OFFENDING or school
        youth_crime = case.agency.kind is AgencyKind.POLICE and not offence.sensitivity and rng.random() < 0.15
        people = [self._person(case, ParticipantRole.HARMED, child=school and rng.random() < 0.7)]
        if offence.kind is CRIME and rng.random() < 0.15:
            people.append(self._person(case, ParticipantRole.HARMED, surname=people[0].full_name.split()[-1]))
        people.append(self._responsible(case, child=young or youth_crime))
        people += [self._parent(case, p) for p in people if self._is_child(case, p)]
        if rng.random() < 0.2:
            people.append(self._person(case, ParticipantRole.SUPPORTER))
        if offence.kind is IncidentKind.COMMUNITY_CONFLICT:
            people += [self._person(case, ParticipantRole.COMMUNITY_MEMBER) for _ in range(2)]
        for position, person in enumerate(people):
            person.position = position
        return people

    def _is_child(self, case: _Case, person: Participant) -> bool:
        born = person.date_of_birth
        return born is not None and _age_on(born, case.times[0].date()) < 18

    def _person(
        self, case: _Case, role: ParticipantRole, *, child: bool = False, surname: str | None = None
    ) -> Participant:
        rng = self.rng
        first, last = self._name(surname)
        age = rng.randint(12, 16) if child else rng.randint(19, 82)
        participant = Participant(
            referral_id=case.referral.id,
            role=role,
            full_name=f"{first} {last}",
            date_of_birth=case.times[0].date() - timedelta(days=age * 365 + rng.randint(0, 360)),
            interpreter_language=rng.choice(INTERPRETER_LANGUAGES) if rng.random() < 0.08 else None,
            accessibility_needs=rng.choice(ACCESSIBILITY_NEEDS) if rng.random() < 0.1 else None,
        )
        self._contact_details(participant, case.referral.district, child=child)
        return participant

    def _contact_details(self, person: Participant, district: str, *, child: bool) -> None:
        rng = self.rng
        first, last = person.full_name.split()[0], person.full_name.split()[-1]
        person.phone = f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.8 else None
        person.email = f"{first}.{last}{rng.randint(1, 99)}@example.net".lower() if rng.random() < 0.5 else None
        person.address = (
            f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {_town(district)}" if rng.random() < 0.7 else None
        )
        if child:
            person.email, person.preferred_contact = None, ContactMethod.HOME_VISIT
        elif person.phone:
            person.preferred_contact = ContactMethod.PHONE
        elif person.email:
            person.preferred_contact = ContactMethod.EMAIL
        elif person.address:
            person.preferred_contact = ContactMethod.LETTER

    def _responsible(self, case: _Case, *, child: bool) -> Participant:
        """The responsible party: in custody for prison referrals, homicides and some other crimes."""
        person = self._person(case, ParticipantRole.RESPONSIBLE, child=child)
        if case.plan.decline_reason is DeclineReason.NO_IDENTIFIABLE_PARTY:
            person.full_name = f"{person.full_name.split()[0]} (surname not known)"
            person.date_of_birth, person.phone, person.email, person.address = None, None, None, None
            person.preferred_contact = None
            return person
        prison = case.agency.kind is AgencyKind.PRISON or Sensitivity.HOMICIDE in case.offence.sensitivity
        if not child and (prison or (case.offence.kind is CRIME and self.rng.random() < 0.12)):
            person.phone, person.email, person.address = None, None, None
            person.custody_establishment, person.preferred_contact = PRISON_NAME, ContactMethod.VIA_PRISON
            letters = "".join(self.rng.choices(PRISON_NUMBER_LETTERS, k=2))
            person.prison_number = f"A{self.rng.randint(1000, 9999)}{letters}"
        return person

    def _parent(self, case: _Case, child: Participant) -> Participant:
        return self._person(case, ParticipantRole.PARENT_OR_GUARDIAN, surname=child.full_name.split()[-1])

    # history

    def _events(self, case: _Case) -> None:
        """One event per move along the path: the referrer submits, a co-ordinator moves it on."""
        path, referral = case.plan.path, case.referral
        self.tiers[2].append(
            StageEvent(
                referral_id=referral.id,
                to_stage=Stage.RECEIVED,
                at=case.times[0],
                actor_agency_id=case.agency.id,
                actor_name=referral.referrer_name,
                note="Submitted by the referring agency.",
            )
        )
        for i in range(1, len(path)):
            previous, stage = path[i - 1], path[i]
            event = StageEvent(referral_id=referral.id, from_stage=previous, to_stage=stage, at=case.times[i])
            event.actor_agency_id, event.actor_name = self.service.id, case.coordinator
            event.note = self._event_note(case, previous, stage)
            self.tiers[2].append(event)

    def _event_note(self, case: _Case, previous: Stage, stage: Stage) -> str | None:
        if stage is Stage.DECLINED:
            return case.referral.decline_note
        if stage is Stage.CLOSED:
            return CLOSING_NOTES[case.plan.outcome] if case.plan.outcome else None
        if stage is Stage.ON_HOLD:
            return self.rng.choice(HOLD_NOTES)
        if previous is Stage.ON_HOLD:
            return "Resumed: the reason for the hold has passed."
        return STAGE_NOTES.get(stage) if self.rng.random() < 0.5 else None

    def _allocations(self, case: _Case) -> None:
        """One or two facilitators; sensitive cases only to those trained for them."""
        if not case.plan.reached(Stage.ALLOCATED):
            return
        eligible = [f for f in self.facilitators if f.active and (f.sensitive_trained or not case.referral.sensitivity)]
        local = [f for f in eligible if case.referral.district in f.districts] or eligible
        count = 2 if len(local) >= 2 and self.rng.random() < 0.4 else 1
        case.facilitators = self.rng.sample(local, count)
        at = case.window(Stage.ALLOCATED)[0]
        self.tiers[2].extend(
            Allocation(referral_id=case.referral.id, facilitator_id=f.id, allocated_at=at) for f in case.facilitators
        )

    def _consent(self, case: _Case) -> None:
        """Consent follows the stage: pending before contact, given once assessed, refused by whoever withdrew."""
        plan = case.plan
        withdrawing = WITHDRAWING_ROLE.get(plan.outcome) if plan.outcome else None
        for person in case.participants:
            if withdrawing is person.role and person is case.parties(person.role)[0]:
                self._withdraw(case, person)
            elif plan.reached(Stage.ASSESSMENT):
                self._record_consent(case, person, ConsentState.GIVEN)
            elif plan.reached(Stage.CONTACT) and plan.outcome is not Outcome.NO_CONTACT and self.rng.random() < 0.6:
                self._record_consent(case, person, ConsentState.GIVEN)

    def _record_consent(
        self, case: _Case, person: Participant, state: ConsentState, at: datetime | None = None
    ) -> None:
        person.consent = state
        at = at or between(self.rng, *case.window(Stage.CONTACT))
        recorded_by = case.facilitators[0].full_name if case.facilitators else case.coordinator
        self.tiers[3].append(
            ConsentRecord(participant_id=person.id, consent=state, recorded_at=at, recorded_by=recorded_by)
        )

    def _withdraw(self, case: _Case, person: Participant) -> None:
        closed_at = case.times[-1]
        if case.plan.reached(Stage.ASSESSMENT):
            self._record_consent(case, person, ConsentState.GIVEN)
        person.withdrawn_at = closed_at - timedelta(hours=2)
        self._record_consent(case, person, ConsentState.REFUSED, person.withdrawn_at)

    def _contact_attempts(self, case: _Case) -> None:
        """Attempts to reach each party (and a child's parent); the last one succeeds once they answered."""
        if not case.plan.reached(Stage.CONTACT):
            return
        start, end = case.window(Stage.CONTACT)
        for person in case.parties(*PARTIES, ParticipantRole.PARENT_OR_GUARDIAN):
            answered = person.consent is not ConsentState.PENDING
            failures = 3 if case.plan.outcome is Outcome.NO_CONTACT else self.rng.randint(0, 2)
            succeeded = answered or (case.plan.outcome is not Outcome.NO_CONTACT and self.rng.random() < 0.5)
            moments = spread_moments(self.rng, start, end, failures + int(succeeded))
            for i, at in enumerate(moments):
                self.tiers[3].append(self._attempt(case, person, at, successful=succeeded and i == len(moments) - 1))

    def _attempt(self, case: _Case, person: Participant, at: datetime, *, successful: bool) -> ContactAttempt:
        if person.custody_establishment:
            method = ContactMethod.VIA_PRISON
        else:
            method = person.preferred_contact or ContactMethod.VIA_REFERRER
        return ContactAttempt(
            referral_id=case.referral.id,
            participant_id=person.id,
            method=method,
            successful=successful,
            attempted_at=at,
            recorded_by=case.facilitators[0].full_name if case.facilitators else case.coordinator,
            note=None if successful else "No answer; will try again.",
        )

    def _assessments(self, case: _Case) -> None:
        """SAFE where the case went on; one NOT_SAFE where it closed as unsuitable; partial while in assessment."""
        plan = case.plan
        if not plan.reached(Stage.ASSESSMENT):
            return
        start, end = case.window(Stage.ASSESSMENT)
        partial = not plan.reached(Stage.PREPARATION) and plan.outcome is not Outcome.UNSUITABLE
        for person in case.parties(*PARTIES):
            if partial and (person.withdrawn_at is not None or self.rng.random() < 0.3):
                continue  # withdrew first, or not assessed yet
            unsafe = plan.outcome is Outcome.UNSUITABLE and person is case.parties(ParticipantRole.RESPONSIBLE)[0]
            self.tiers[3].append(self._assessment(case, person, between(self.rng, start, end), unsafe=unsafe))

    def _assessment(self, case: _Case, person: Participant, at: datetime, *, unsafe: bool) -> Assessment:
        assessed_on = at.date()
        return Assessment(
            referral_id=case.referral.id,
            participant_id=person.id,
            outcome=AssessmentOutcome.NOT_SAFE if unsafe else AssessmentOutcome.SAFE,
            assessed_on=assessed_on,
            review_date=assessed_on + timedelta(days=self.rng.randint(28, 90)),
            assessed_by=self.rng.choice(case.facilitators).full_name,
            notes=UNSAFE_NOTE if unsafe else None,
            recorded_at=at,
        )

    def _sessions(self, case: _Case) -> None:
        """Held sessions, and the last one scheduled (open case) or cancelled (paused or withdrawn)."""
        plan, approach = case.plan, case.referral.approach
        if not plan.reached(Stage.RESTORATIVE_PROCESS) or approach is None:
            return
        start, end = case.window(Stage.RESTORATIVE_PROCESS)
        count = self.rng.randint(2, 3) if approach is Approach.SHUTTLE_MEDIATION else self.rng.randint(1, 2)
        moments = spread_moments(self.rng, start, end, count)
        finished = plan.reached(Stage.AGREEMENT_MONITORING)
        for i, at in enumerate(moments):
            if finished or i < count - 1:
                status = SessionStatus.HELD
            elif plan.stage is Stage.RESTORATIVE_PROCESS:
                status, at = SessionStatus.SCHEDULED, self.now + timedelta(days=self.rng.randint(3, 21), hours=2)
            else:
                status = SessionStatus.CANCELLED
            self.tiers[2].append(self._session(case, approach, at, status, start))

    def _session(
        self, case: _Case, approach: Approach, at: datetime, status: SessionStatus, created_at: datetime
    ) -> RestorativeSession:
        held = status is SessionStatus.HELD
        return RestorativeSession(
            referral_id=case.referral.id,
            approach=approach,
            scheduled_for=at,
            location=self._location(case, approach),
            status=status,
            held_at=at if held else None,
            notes=self.rng.choice(SESSION_NOTES) if held else None,
            created_at=created_at,
        )

    def _location(self, case: _Case, approach: Approach) -> str | None:
        town = _town(case.referral.district)
        if approach in (Approach.LETTER_EXCHANGE, Approach.VIDEO_OR_PHONE):
            return None
        if approach is Approach.SHUTTLE_MEDIATION:
            return "Separate home visits"
        if case.in_custody:
            return f"{PRISON_NAME}, visits hall"
        return f"{town} community centre"

    def _agreement(self, case: _Case) -> None:
        """An outcome agreement whose actions match how the case ended."""
        plan = case.plan
        if not plan.reached(Stage.AGREEMENT_MONITORING):
            return
        start, end = case.window(Stage.AGREEMENT_MONITORING)
        agreement = OutcomeAgreement(referral_id=case.referral.id, agreed_on=start.date(), created_at=start)
        self.tiers[2].append(agreement)
        mutual = case.offence.kind in (IncidentKind.NEIGHBOUR_DISPUTE, IncidentKind.COMMUNITY_CONFLICT)
        chosen = self.rng.sample(MUTUAL_ACTIONS if mutual else ACTIONS, self.rng.randint(1, 3))
        missed = self.rng.randrange(len(chosen)) if plan.outcome is Outcome.PARTIALLY_RESOLVED else -1
        for position, (kind, description, owner) in enumerate(chosen):
            status = self._action_status(plan, position == missed)
            settled = None if status is ActionStatus.PENDING else between(self.rng, start, end)
            action = AgreementAction(agreement_id=agreement.id, kind=kind, description=description, owner_role=owner)
            action.status, action.settled_at, action.position = status, settled, position
            action.due_on = start.date() + timedelta(days=self.rng.randint(14, 90))
            self.tiers[3].append(action)

    def _action_status(self, plan: Plan, missed: bool) -> ActionStatus:
        if missed:
            return ActionStatus.MISSED
        if plan.stage is Stage.CLOSED:
            return ActionStatus.WAIVED if self.rng.random() < 0.1 else ActionStatus.DONE
        return ActionStatus.DONE if self.rng.random() < 0.4 else ActionStatus.PENDING

    def _feedback(self, case: _Case) -> None:
        """After closing: satisfaction from some parties who took part, and the referrer's recommendation."""
        plan = case.plan
        if plan.stage is not Stage.CLOSED:
            return
        closed_at = case.times[-1]
        later = min(closed_at + timedelta(days=30), self.now)
        rate = 0.9 if plan.outcome in POSITIVE_OUTCOMES else 0.5  # of satisfied participants
        for person in case.parties(*PARTIES):
            if person.consent is ConsentState.GIVEN and self.rng.random() < 0.7:
                row = Feedback(
                    referral_id=case.referral.id, respondent=Respondent.PARTICIPANT, participant_id=person.id
                )
                row.satisfied, row.received_at = self.rng.random() < rate, between(self.rng, closed_at, later)
                self.tiers[3].append(row)
        if self.rng.random() < 0.6:
            row = Feedback(referral_id=case.referral.id, respondent=Respondent.REFERRER)
            row.would_recommend, row.received_at = self.rng.random() < 0.85, between(self.rng, closed_at, later)
            self.tiers[3].append(row)

    # volunteer hours

    def _case_hours(self, case: _Case) -> None:
        if not case.facilitators:
            return
        start, end = case.window(Stage.ALLOCATED)[0], case.times[-1] if case.plan.stage in TERMINAL else self.now
        for facilitator in case.facilitators:
            for at in spread_moments(self.rng, start, end, self.rng.randint(1, 3)):
                self.tiers[3].append(self._hours(facilitator, at, self.rng.choice(HOURS_ACTIVITIES), case.referral))

    def other_hours(self) -> None:
        """Supervision, meetings and training, not tied to a case."""
        for facilitator in self.facilitators:
            start = self.now - timedelta(days=HISTORY_DAYS)
            for at in spread_moments(self.rng, start, self.now, self.rng.randint(2, 4)):
                self.tiers[3].append(self._hours(facilitator, at, self.rng.choice(OTHER_ACTIVITIES), None))

    def _hours(
        self, facilitator: Facilitator, at: datetime, activity: str, referral: Referral | None
    ) -> VolunteerHours:
        hours = Decimal(self.rng.choice((50, 100, 150, 200, 250, 300, 400))) / 100
        return VolunteerHours(
            facilitator_id=facilitator.id,
            referral_id=referral.id if referral else None,
            worked_on=at.date(),
            hours=hours.quantize(Decimal("0.01")),
            activity=activity,
            recorded_at=at,
        )
