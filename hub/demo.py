"""Demo data: a county RJ service, its partner agencies, facilitators, and generated referrals at every stage.

Everything is generated from one seed, so the same seed (and the same `now`) gives the same cases. Names, phone
numbers (Ofcom's drama ranges) and email addresses (example.org/example.net) are fictional.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate, pairwise

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from hub.agencies.models import Agency, AgencyKind
from hub.agencies.service import create_agency
from hub.columns import utcnow
from hub.facilitators.models import Accreditation, Allocation, Facilitator, VolunteerHours
from hub.referrals.models import (
    POSITIVE_OUTCOMES,
    ActionKind,
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

S = Stage
K = AgencyKind
HISTORY_DAYS = 540  # about eighteen months of referrals
FACILITATOR_COUNT = 12

# --- the county ----------------------------------------------------------------------------------------------------

DISTRICTS = ("Colchester", "Southend", "Thurrock", "Basildon", "Chelmsford", "Harlow")
TOWNS = {"Southend": "Southend-on-Sea", "Thurrock": "Grays"}
PRISON_NAME = "HMP Chelmsford"
SERVICE_NAME = "Essex Restorative Justice Service"
POLICE_PREFIX = "Essex Police — "
AGENCIES: tuple[tuple[str, AgencyKind, tuple[str, ...]], ...] = (
    *((f"{POLICE_PREFIX}{district}", K.POLICE, (district,)) for district in DISTRICTS),
    ("Essex Youth Offending Service", K.YOUTH_OFFENDING, DISTRICTS),
    ("Colchester City Council", K.COUNCIL, ("Colchester",)),
    ("Basildon Borough Council", K.COUNCIL, ("Basildon",)),
    ("Essex County Fire and Rescue Service", K.FIRE_AND_RESCUE, DISTRICTS),
    (PRISON_NAME, K.PRISON, DISTRICTS),
    ("Probation Service — Essex", K.PROBATION, DISTRICTS),
    ("Victim Support — Essex", K.VICTIM_SUPPORT, DISTRICTS),
    (SERVICE_NAME, K.RJ_SERVICE, DISTRICTS),
)
# How often each kind of agency refers, per agency.
REFERRAL_WEIGHTS = {
    K.POLICE: 9,
    K.YOUTH_OFFENDING: 9,
    K.COUNCIL: 5,
    K.FIRE_AND_RESCUE: 3,
    K.PRISON: 7,
    K.PROBATION: 6,
    K.VICTIM_SUPPORT: 6,
}

FIRST_NAMES = (
    "Aisha Adam Adebayo Agnieszka Amelia Ben Bogdan Chidi Chloe Connor Daniel Dev Dylan Eleanor Ellie Emre Faisal "
    "Freya George Grace Hannah Harry Imran Ioana Isla Jack Jade Jamal Jessica Joshua Kacper Kayleigh Kemi Leah Liam "
    "Lily Lukas Luke Marta Maya Megan Mohammed Nadia Nathan Niamh Oliver Olivia Priya Ravi Rhys Rosie Ryan Sam "
    "Simone Sophie Stefan Tariq Tom Yusuf Zara"
).split()
SURNAMES = (
    "Adeyemi Ahmed Archer Bailey Barker Bennett Bishop Carter Chapman Clarke Cole Davies Dawson Ellis Fletcher Foster "
    "Gill Gray Hale Hughes Hussain Jenkins Kaminski Kaur Kowalski Lambert Lewis Mason Mills Moore Nowak Okafor Osei "
    "Owen Palmer Patel Pearce Popescu Reid Russell Shaw Singh Stone Taylor Turner Walsh Ward Webb Wells Yilmaz"
).split()
STREETS = (
    "Mill Lane, Station Road, Church Street, Victoria Road, Oak Avenue, Meadow Close, Orchard Way, Kings Road, "
    "Park View, Chapel Walk"
).split(", ")
POLICE_RANKS = ("PC", "PC", "DC", "PCSO", "Sgt")
INTERPRETER_LANGUAGES = ("Polish", "Romanian", "Urdu", "Bengali", "Lithuanian", "Portuguese")
ACCESSIBILITY_NEEDS = (
    "Wheelchair user: needs a ground-floor venue.",
    "Hearing impaired: prefers written communication.",
    "Dyslexic: plain-language letters, read through on the phone.",
    "Anxiety: prefers short meetings with a break.",
)
PRISON_NUMBER_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


@dataclass(frozen=True)
class _Offence:
    """A kind of incident, the kinds of agency that refer it, and the sensitivity flags it brings."""

    kind: IncidentKind
    category: str
    sources: frozenset[AgencyKind]
    sensitivity: tuple[Sensitivity, ...] = ()

    @property
    def summary(self) -> str:
        """The referral summary, with {town} to fill in."""
        return SUMMARIES[self.category]


def _offence(kind: str, category: str, sources: str, *flags: Sensitivity) -> _Offence:
    return _Offence(IncidentKind[kind], category, frozenset(AgencyKind[s] for s in sources.split()), flags)


CRIME = IncidentKind.CRIME
OFFENCES = (
    _offence("CRIME", "Burglary (dwelling)", "POLICE PRISON PROBATION VICTIM_SUPPORT YOUTH_OFFENDING"),
    _offence("CRIME", "Theft from a shop", "POLICE YOUTH_OFFENDING PROBATION"),
    _offence("CRIME", "Criminal damage", "POLICE YOUTH_OFFENDING VICTIM_SUPPORT"),
    _offence(
        "CRIME", "Assault occasioning actual bodily harm", "POLICE PRISON PROBATION VICTIM_SUPPORT YOUTH_OFFENDING"
    ),
    _offence("CRIME", "Robbery", "POLICE PRISON VICTIM_SUPPORT"),
    _offence("CRIME", "Vehicle crime", "POLICE PROBATION YOUTH_OFFENDING"),
    _offence("CRIME", "Arson", "FIRE_AND_RESCUE POLICE"),
    _offence("CRIME", "Racially aggravated public order", "POLICE VICTIM_SUPPORT", Sensitivity.HATE_CRIME),
    _offence("CRIME", "Domestic abuse — criminal damage", "POLICE PROBATION", Sensitivity.DOMESTIC_ABUSE),
    _offence("CRIME", "Sexual assault", "VICTIM_SUPPORT POLICE", Sensitivity.SEXUAL_OFFENCE),
    _offence("CRIME", "Causing death by dangerous driving", "PRISON VICTIM_SUPPORT POLICE", Sensitivity.HOMICIDE),
    _offence("ANTI_SOCIAL_BEHAVIOUR", "Intimidation", "POLICE COUNCIL"),
    _offence("ANTI_SOCIAL_BEHAVIOUR", "Deliberate fires", "FIRE_AND_RESCUE COUNCIL"),
    _offence("NEIGHBOUR_DISPUTE", "Noise and parking", "COUNCIL POLICE"),
    _offence("NEIGHBOUR_DISPUTE", "Boundary dispute", "COUNCIL"),
    _offence("COMMUNITY_CONFLICT", "Conflict between residents and young people", "COUNCIL POLICE"),
    _offence("WORKPLACE_OR_SCHOOL", "Bullying", "YOUTH_OFFENDING POLICE"),
    _offence("WORKPLACE_OR_SCHOOL", "Assault at school", "YOUTH_OFFENDING"),
)
SUMMARIES = {
    "Burglary (dwelling)": "A family home in {town} was broken into while the family was away and jewellery of "
    "sentimental value was taken. The responsible party has admitted it and wants to make amends.",
    "Theft from a shop": "Repeated thefts from a small shop in {town}. The owner wants the responsible party to "
    "understand what the losses mean for a family business.",
    "Criminal damage": "The windows of a community café in {town} were smashed late at night. The responsible party "
    "was identified on CCTV and has admitted the damage.",
    "Assault occasioning actual bodily harm": "An assault outside a bar in {town} left the harmed party with a broken "
    "cheekbone. The harmed party wants to know why it happened.",
    "Robbery": "A delivery driver was threatened in {town} and their phone and takings were taken. The responsible "
    "party has pleaded guilty and asked about writing to the driver.",
    "Vehicle crime": "A car was taken from a driveway in {town} and later found burnt out. The owner relied on it to "
    "care for a disabled parent.",
    "Arson": "A garden shed in {town} was set alight and the fire spread to a neighbour's fence. The responsible "
    "party has admitted starting it and attended fire-setter sessions.",
    "Racially aggravated public order": "A taxi driver in {town} was racially abused by a passenger and wants the "
    "responsible party to hear how it affected them and their family.",
    "Domestic abuse — criminal damage": "Damage to a former partner's flat in {town} after the relationship ended. "
    "The harmed party asks for an indirect process only, with a support worker.",
    "Sexual assault": "The harmed party was sexually assaulted at a party in {town}. After the conviction they asked "
    "whether they can put questions to the responsible party through the service.",
    "Causing death by dangerous driving": "A young man was killed in a collision near {town}. The responsible party, "
    "in custody, asked through the chaplaincy whether the family would accept a letter.",
    "Intimidation": "A group of young people gathers outside a pensioner's bungalow in {town}, shouting and kicking "
    "a ball against the windows.",
    "Deliberate fires": "Repeated bin fires behind a block of flats in {town}; residents are frightened and a car was "
    "damaged.",
    "Noise and parking": "Two households in {town} have argued for months about late-night music and a shared "
    "parking bay; it ended in a shouting match in the street.",
    "Boundary dispute": "Neighbours in {town} disagree about a fence line and an overhanging tree; both have "
    "complained to the council several times.",
    "Conflict between residents and young people": "Tension on an estate in {town} between older residents and young "
    "people using the play area in the evenings.",
    "Bullying": "A pupil at a secondary school in {town} was bullied online and at the school gates by a classmate; "
    "the school and both families support a meeting.",
    "Assault at school": "A fight at a school in {town} left a pupil with a broken wrist. The responsible pupil has "
    "admitted it and is working with the youth offending service.",
}

DECLINE_NOTES = {
    DeclineReason.NO_IDENTIFIABLE_PARTY: "The responsible party is known only by a first name; police could not "
    "identify them.",
    DeclineReason.NOT_REPORTED_TO_POLICE: "The harmed party does not want to report the crime to the police; "
    "signposted to support services.",
    DeclineReason.NO_ADMISSION_OF_RESPONSIBILITY: "The responsible party denies the offence and pleads not guilty.",
    DeclineReason.OUT_OF_AREA: "Both parties live in Suffolk; passed to the Suffolk restorative justice service.",
    DeclineReason.DUPLICATE: "The same incident was already referred by another agency.",
    DeclineReason.RISK_TOO_HIGH: "Ongoing threats between the families; a restorative process would put the harmed "
    "party at risk.",
    DeclineReason.OTHER: "The harmed party has moved abroad and asked for no further contact.",
}
CLOSING_NOTES = {
    Outcome.RESOLVED: "All actions in the agreement completed; both parties satisfied.",
    Outcome.PARTIALLY_RESOLVED: "Apology given; the reparation was not completed.",
    Outcome.WITHDRAWN_BY_HARMED_PARTY: "The harmed party decided not to continue.",
    Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY: "The responsible party withdrew consent.",
    Outcome.WITHDRAWN_BY_REFERRER: "The referrer withdrew the referral: new information in the criminal case.",
    Outcome.UNSUITABLE: "Assessment found a meeting would not be safe.",
    Outcome.NO_CONTACT: "No response after repeated attempts by phone and letter.",
}
HOLD_NOTES = (
    "Awaiting sentencing at Chelmsford Crown Court.",
    "The responsible party is being transferred to another prison.",
    "The harmed party asked for a pause after a bereavement.",
)
STAGE_NOTES = {
    S.ACCEPTED: "Eligible: responsibility admitted and the harmed party wants to be heard.",
    S.ALLOCATED: "Allocated to co-workers who cover the district.",
    S.CONTACT: "Initial letters sent to both parties.",
    S.ASSESSMENT: "Both parties reached; home visits booked for the assessment.",
    S.PREPARATION: "Assessed safe; discussing the approach with each party.",
    S.RESTORATIVE_PROCESS: "Both parties agreed the approach; first session booked.",
    S.AGREEMENT_MONITORING: "Outcome agreement signed; actions to monitor.",
}
UNSAFE_NOTE = "Minimises the harm and blames the harmed party; a meeting would risk re-victimisation."
SESSION_NOTES = (
    "The harmed party described the impact and received an apology.",
    "Questions answered through the facilitators; both parties want to continue.",
    "Productive meeting with supporters present; an agreement was drafted.",
)
ACTIONS = (
    (ActionKind.APOLOGY, "Write a letter of apology to the harmed party.", ParticipantRole.RESPONSIBLE),
    (
        ActionKind.PAYMENT,
        "Pay £150 towards the cost of the damage, in monthly instalments.",
        ParticipantRole.RESPONSIBLE,
    ),
    (ActionKind.REPAIR, "Repaint the fence panels that were damaged.", ParticipantRole.RESPONSIBLE),
    (ActionKind.COMMUNITY_WORK, "Ten hours' volunteering at the local food bank.", ParticipantRole.RESPONSIBLE),
    (ActionKind.OTHER, "Complete a victim-awareness course.", ParticipantRole.RESPONSIBLE),
    (
        ActionKind.BEHAVIOUR_COMMITMENT,
        "Not contact the harmed party on social media or go to their street.",
        ParticipantRole.RESPONSIBLE,
    ),
)
MUTUAL_ACTIONS = (
    (
        ActionKind.BEHAVIOUR_COMMITMENT,
        "Keep music down after 10 pm and warn before parties.",
        ParticipantRole.RESPONSIBLE,
    ),
    (ActionKind.BEHAVIOUR_COMMITMENT, "Talk to each other before complaining to the council.", ParticipantRole.HARMED),
    (ActionKind.REPARATION, "Share the cost of trimming the overhanging tree.", ParticipantRole.RESPONSIBLE),
    (ActionKind.OTHER, "Meet again in three months to review how things are going.", ParticipantRole.HARMED),
)
HOURS_ACTIVITIES = ("Case preparation", "Telephone contact", "Home visit", "Risk assessment", "Travel", "Case notes")
OTHER_ACTIVITIES = ("Supervision", "Team meeting", "Training: sensitive and complex cases", "Peer observation")

# --- the shape of each case ------------------------------------------------------------------------------------------

MAIN_PATH = (
    S.RECEIVED,
    S.ACCEPTED,
    S.ALLOCATED,
    S.CONTACT,
    S.ASSESSMENT,
    S.PREPARATION,
    S.RESTORATIVE_PROCESS,
    S.AGREEMENT_MONITORING,
)
HOLDABLE = MAIN_PATH[1:]
TERMINAL = (S.CLOSED, S.DECLINED)
CLOSED_FROM = {
    Outcome.RESOLVED: (S.AGREEMENT_MONITORING,),
    Outcome.PARTIALLY_RESOLVED: (S.AGREEMENT_MONITORING,),
    Outcome.WITHDRAWN_BY_HARMED_PARTY: (S.CONTACT, S.ASSESSMENT, S.PREPARATION, S.RESTORATIVE_PROCESS),
    Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY: (S.CONTACT, S.ASSESSMENT, S.PREPARATION, S.RESTORATIVE_PROCESS),
    Outcome.WITHDRAWN_BY_REFERRER: (S.ACCEPTED, S.ALLOCATED, S.CONTACT),
    Outcome.UNSUITABLE: (S.ASSESSMENT,),
    Outcome.NO_CONTACT: (S.CONTACT,),
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
    S.ACCEPTED: (1, 6),
    S.ALLOCATED: (1, 10),
    S.CONTACT: (2, 14),
    S.ASSESSMENT: (5, 25),
    S.PREPARATION: (7, 30),
    S.RESTORATIVE_PROCESS: (10, 40),
    S.AGREEMENT_MONITORING: (1, 10),
    S.ON_HOLD: (3, 30),
    S.CLOSED: (7, 60),
    S.DECLINED: (1, 10),
}
RESUME_GAP_DAYS = (14, 60)
WITHDRAWING_ROLE = {
    Outcome.WITHDRAWN_BY_HARMED_PARTY: ParticipantRole.HARMED,
    Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY: ParticipantRole.RESPONSIBLE,
}
PARTIES = (ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE)


@dataclass(frozen=True)
class _Plan:
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


def _closed(rng: random.Random, outcome: Outcome) -> _Plan:
    return _Plan((*_walk(rng.choice(CLOSED_FROM[outcome])), S.CLOSED), outcome=outcome)


def _declined(reason: DeclineReason) -> _Plan:
    return _Plan((S.RECEIVED, S.DECLINED), decline_reason=reason)


def _on_hold(rng: random.Random) -> _Plan:
    return _Plan((*_walk(rng.choice(HOLDABLE)), S.ON_HOLD))


def _required_plans(rng: random.Random) -> list[_Plan]:
    """Every stage first, then every outcome and decline reason, so even a small demo shows every state."""
    outcomes, reasons = list(Outcome), list(DeclineReason)
    first = [_closed(rng, outcomes[0]), _declined(reasons[0]), _on_hold(rng), *(_Plan(_walk(s)) for s in MAIN_PATH)]
    return first + [_closed(rng, o) for o in outcomes[1:]] + [_declined(r) for r in reasons[1:]]


def _random_plan(rng: random.Random) -> _Plan:
    roll = rng.random()
    if roll < 0.5:
        return _closed(rng, rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0])
    if roll < 0.58:
        return _declined(rng.choice(list(DeclineReason)))
    if roll < 0.63:
        return _on_hold(rng)
    return _Plan(_walk(rng.choice(MAIN_PATH)))


def _with_pause(rng: random.Random, plan: _Plan) -> _Plan:
    """Sometimes a case went on hold and resumed on its way (awaiting sentencing, a prison transfer)."""
    path = plan.path
    spots = [i for i, s in enumerate(path) if s in HOLDABLE and S.ON_HOLD not in path[i : i + 2]]
    if not spots or rng.random() > 0.15:
        return plan
    i = rng.choice(spots)
    return replace(plan, path=(*path[: i + 1], S.ON_HOLD, path[i], *path[i + 1 :]))


def _plans(rng: random.Random, count: int) -> list[_Plan]:
    required = _required_plans(rng)[:count]
    plans = required + [_random_plan(rng) for _ in range(count - len(required))]
    return [_with_pause(rng, plan) for plan in plans]


# --- when things happened --------------------------------------------------------------------------------------------


def _days_ago(rng: random.Random, plan: _Plan) -> int:
    """How long ago the case was submitted: closed cases are older, new ones recent."""
    steps = len(plan.path)
    if plan.stage in TERMINAL:
        return rng.randint(15 * steps, HISTORY_DAYS)
    return rng.randint(steps, min(14 + 25 * (steps - 1), HISTORY_DAYS))


def _gap(rng: random.Random, previous: Stage, stage: Stage) -> int:
    low, high = RESUME_GAP_DAYS if previous is S.ON_HOLD else GAP_DAYS[stage]
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


def _timeline(rng: random.Random, plan: _Plan, today: date) -> list[datetime]:
    """When the case entered each stage of its path: whole days apart, in office hours, before today."""
    days_ago = _days_ago(rng, plan)
    gaps = _fit([_gap(rng, a, b) for a, b in pairwise(plan.path)], days_ago - 1)
    start = today - timedelta(days=days_ago)
    return [_office_time(rng, start + timedelta(days=offset)) for offset in accumulate([0, *gaps])]


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment strictly inside (start, end), to the minute where there is room."""
    minutes = int((end - start).total_seconds() // 60)
    if minutes < 2:
        return start + (end - start) / 2
    return start + timedelta(minutes=rng.randint(1, minutes - 1))


def _moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    return sorted(_between(rng, start, end) for _ in range(count))


# --- the result ------------------------------------------------------------------------------------------------------


@dataclass
class DemoData:
    """What load_demo created: the RJ service, a police agency to act for, every agency, and the case count."""

    service_agency: Agency
    police_agency: Agency
    agencies: list[Agency]
    referral_count: int


@dataclass
class _Case:
    """One referral being generated, with what later rows need to know about it."""

    plan: _Plan
    times: list[datetime]
    now: datetime
    agency: Agency
    offence: _Offence
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


class _DemoBuilder:
    """Generates the rows; they are added in tiers so foreign keys are always satisfied at flush."""

    def __init__(self, rng: random.Random, now: datetime, agencies: list[Agency]) -> None:
        self.rng = rng
        self.now = now
        self.agencies = agencies
        self.service = next(a for a in agencies if a.kind is K.RJ_SERVICE)
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

    def case(self, plan: _Plan, times: list[datetime], number: int) -> None:
        """Generate one referral and everything recorded on it."""
        agency = self._referring_agency(plan)
        offence = self._pick_offence(agency, plan)
        referral = self._referral(plan, agency, offence, times, number)
        case = _Case(plan, times, self.now, agency, offence, referral, self.rng.choice(self.coordinators))
        case.participants = self._participants(case)
        referral.sensitivity = self._sensitivity(case)
        referral.content_hash = _content_hash(case)
        referral.approach = self._approach(case) if plan.reached(S.PREPARATION) else None
        self.tiers[1].append(referral)
        self.tiers[2].extend(case.participants)
        for step in (self._events, self._allocations, self._consent, self._contact_attempts, self._assessments):
            step(case)
        for step in (self._sessions, self._agreement, self._feedback, self._case_hours):
            step(case)

    def _referring_agency(self, plan: _Plan) -> Agency:
        if plan.decline_reason is DeclineReason.NOT_REPORTED_TO_POLICE:
            return next(a for a in self.agencies if a.kind is K.VICTIM_SUPPORT)
        candidates = [a for a in self.agencies if a.kind in REFERRAL_WEIGHTS]
        return self.rng.choices(candidates, weights=[REFERRAL_WEIGHTS[a.kind] for a in candidates])[0]

    def _pick_offence(self, agency: Agency, plan: _Plan) -> _Offence:
        choices = [o for o in OFFENCES if agency.kind in o.sources]
        if plan.decline_reason is DeclineReason.NOT_REPORTED_TO_POLICE:
            choices = [o for o in choices if o.kind is CRIME and not o.sensitivity]
        return self.rng.choice(choices)

    def _referral(self, plan: _Plan, agency: Agency, offence: _Offence, times: list[datetime], number: int) -> Referral:
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
            stage_before_hold=plan.path[-2] if plan.stage is S.ON_HOLD else None,
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
        rank = f"{self.rng.choice(POLICE_RANKS)} " if agency.kind is K.POLICE else ""
        domain = "essex-police" if agency.kind is K.POLICE else _slug(agency.name)
        phone = f"01632 960{self.rng.randint(0, 999):03d}" if self.rng.random() < 0.6 else None
        return f"{rank}{first} {last}", f"{first}.{last}@{domain}.example.org".lower(), phone

    def _agency_reference(self, agency: Agency, submitted: datetime) -> str:
        """A reference in the agency's own style (a crime number for the police), unique per agency."""
        rng, yy = self.rng, submitted.year % 100
        formats = {
            K.POLICE: lambda: f"42/{rng.randint(100000, 999999)}/{yy:02d}",
            K.YOUTH_OFFENDING: lambda: f"YOS-{rng.randint(10000, 99999)}",
            K.COUNCIL: lambda: f"ASB/{submitted.year}/{rng.randint(1, 9999):04d}",
            K.FIRE_AND_RESCUE: lambda: f"FIU-{yy:02d}-{rng.randint(1000, 9999)}",
            K.PRISON: lambda: f"CHM-RJ-{rng.randint(100, 9999)}",
            K.PROBATION: lambda: f"E{rng.randint(100000, 999999)}",
            K.VICTIM_SUPPORT: lambda: f"VS{rng.randint(1000000, 9999999)}",
        }
        reference = formats[agency.kind]()
        while (agency.name, reference) in self.agency_references:
            reference = formats[agency.kind]()
        self.agency_references.add((agency.name, reference))
        return reference

    def _reported(self, plan: _Plan, agency: Agency, offence: _Offence) -> bool:
        if plan.decline_reason is DeclineReason.NOT_REPORTED_TO_POLICE:
            return False
        return agency.kind is K.POLICE or offence.kind is CRIME or self.rng.random() < 0.3

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
        young = case.agency.kind is K.YOUTH_OFFENDING or school
        youth_crime = case.agency.kind is K.POLICE and not offence.sensitivity and rng.random() < 0.15
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
        prison = case.agency.kind is K.PRISON or Sensitivity.HOMICIDE in case.offence.sensitivity
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
                to_stage=S.RECEIVED,
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
        if stage is S.DECLINED:
            return case.referral.decline_note
        if stage is S.CLOSED:
            return CLOSING_NOTES[case.plan.outcome] if case.plan.outcome else None
        if stage is S.ON_HOLD:
            return self.rng.choice(HOLD_NOTES)
        if previous is S.ON_HOLD:
            return "Resumed: the reason for the hold has passed."
        return STAGE_NOTES.get(stage) if self.rng.random() < 0.5 else None

    def _allocations(self, case: _Case) -> None:
        """One or two facilitators; sensitive cases only to those trained for them."""
        if not case.plan.reached(S.ALLOCATED):
            return
        eligible = [f for f in self.facilitators if f.active and (f.sensitive_trained or not case.referral.sensitivity)]
        local = [f for f in eligible if case.referral.district in f.districts] or eligible
        count = 2 if len(local) >= 2 and self.rng.random() < 0.4 else 1
        case.facilitators = self.rng.sample(local, count)
        at = case.window(S.ALLOCATED)[0]
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
            elif plan.reached(S.ASSESSMENT):
                self._record_consent(case, person, ConsentState.GIVEN)
            elif plan.reached(S.CONTACT) and plan.outcome is not Outcome.NO_CONTACT and self.rng.random() < 0.6:
                self._record_consent(case, person, ConsentState.GIVEN)

    def _record_consent(
        self, case: _Case, person: Participant, state: ConsentState, at: datetime | None = None
    ) -> None:
        person.consent = state
        at = at or _between(self.rng, *case.window(S.CONTACT))
        recorded_by = case.facilitators[0].full_name if case.facilitators else case.coordinator
        self.tiers[3].append(
            ConsentRecord(participant_id=person.id, consent=state, recorded_at=at, recorded_by=recorded_by)
        )

    def _withdraw(self, case: _Case, person: Participant) -> None:
        closed_at = case.times[-1]
        if case.plan.reached(S.ASSESSMENT):
            self._record_consent(case, person, ConsentState.GIVEN)
        person.withdrawn_at = closed_at - timedelta(hours=2)
        self._record_consent(case, person, ConsentState.REFUSED, person.withdrawn_at)

    def _contact_attempts(self, case: _Case) -> None:
        """Attempts to reach each party (and a child's parent); the last one succeeds once they answered."""
        if not case.plan.reached(S.CONTACT):
            return
        start, end = case.window(S.CONTACT)
        for person in case.parties(*PARTIES, ParticipantRole.PARENT_OR_GUARDIAN):
            answered = person.consent is not ConsentState.PENDING
            failures = 3 if case.plan.outcome is Outcome.NO_CONTACT else self.rng.randint(0, 2)
            succeeded = answered or (case.plan.outcome is not Outcome.NO_CONTACT and self.rng.random() < 0.5)
            moments = _moments(self.rng, start, end, failures + int(succeeded))
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
        if not plan.reached(S.ASSESSMENT):
            return
        start, end = case.window(S.ASSESSMENT)
        partial = not plan.reached(S.PREPARATION) and plan.outcome is not Outcome.UNSUITABLE
        for person in case.parties(*PARTIES):
            if partial and (person.withdrawn_at is not None or self.rng.random() < 0.3):
                continue  # withdrew first, or not assessed yet
            unsafe = plan.outcome is Outcome.UNSUITABLE and person is case.parties(ParticipantRole.RESPONSIBLE)[0]
            self.tiers[3].append(self._assessment(case, person, _between(self.rng, start, end), unsafe=unsafe))

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
        if not plan.reached(S.RESTORATIVE_PROCESS) or approach is None:
            return
        start, end = case.window(S.RESTORATIVE_PROCESS)
        count = self.rng.randint(2, 3) if approach is Approach.SHUTTLE_MEDIATION else self.rng.randint(1, 2)
        moments = _moments(self.rng, start, end, count)
        finished = plan.reached(S.AGREEMENT_MONITORING)
        for i, at in enumerate(moments):
            if finished or i < count - 1:
                status = SessionStatus.HELD
            elif plan.stage is S.RESTORATIVE_PROCESS:
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
        if not plan.reached(S.AGREEMENT_MONITORING):
            return
        start, end = case.window(S.AGREEMENT_MONITORING)
        agreement = OutcomeAgreement(referral_id=case.referral.id, agreed_on=start.date(), created_at=start)
        self.tiers[2].append(agreement)
        mutual = case.offence.kind in (IncidentKind.NEIGHBOUR_DISPUTE, IncidentKind.COMMUNITY_CONFLICT)
        chosen = self.rng.sample(MUTUAL_ACTIONS if mutual else ACTIONS, self.rng.randint(1, 3))
        missed = self.rng.randrange(len(chosen)) if plan.outcome is Outcome.PARTIALLY_RESOLVED else -1
        for position, (kind, description, owner) in enumerate(chosen):
            status = self._action_status(plan, position == missed)
            settled = None if status is ActionStatus.PENDING else _between(self.rng, start, end)
            action = AgreementAction(agreement_id=agreement.id, kind=kind, description=description, owner_role=owner)
            action.status, action.settled_at, action.position = status, settled, position
            action.due_on = start.date() + timedelta(days=self.rng.randint(14, 90))
            self.tiers[3].append(action)

    def _action_status(self, plan: _Plan, missed: bool) -> ActionStatus:
        if missed:
            return ActionStatus.MISSED
        if plan.stage is S.CLOSED:
            return ActionStatus.WAIVED if self.rng.random() < 0.1 else ActionStatus.DONE
        return ActionStatus.DONE if self.rng.random() < 0.4 else ActionStatus.PENDING

    def _feedback(self, case: _Case) -> None:
        """After closing: satisfaction from some parties who took part, and the referrer's recommendation."""
        plan = case.plan
        if plan.stage is not S.CLOSED:
            return
        closed_at = case.times[-1]
        later = min(closed_at + timedelta(days=30), self.now)
        rate = 0.9 if plan.outcome in POSITIVE_OUTCOMES else 0.5  # of satisfied participants
        for person in case.parties(*PARTIES):
            if person.consent is ConsentState.GIVEN and self.rng.random() < 0.7:
                row = Feedback(
                    referral_id=case.referral.id, respondent=Respondent.PARTICIPANT, participant_id=person.id
                )
                row.satisfied, row.received_at = self.rng.random() < rate, _between(self.rng, closed_at, later)
                self.tiers[3].append(row)
        if self.rng.random() < 0.6:
            row = Feedback(referral_id=case.referral.id, respondent=Respondent.REFERRER)
            row.would_recommend, row.received_at = self.rng.random() < 0.85, _between(self.rng, closed_at, later)
            self.tiers[3].append(row)

    # volunteer hours

    def _case_hours(self, case: _Case) -> None:
        if not case.facilitators:
            return
        start, end = case.window(S.ALLOCATED)[0], case.times[-1] if case.plan.stage in TERMINAL else self.now
        for facilitator in case.facilitators:
            for at in _moments(self.rng, start, end, self.rng.randint(1, 3)):
                self.tiers[3].append(self._hours(facilitator, at, self.rng.choice(HOURS_ACTIVITIES), case.referral))

    def other_hours(self) -> None:
        """Supervision, meetings and training, not tied to a case."""
        for facilitator in self.facilitators:
            start = self.now - timedelta(days=HISTORY_DAYS)
            for at in _moments(self.rng, start, self.now, self.rng.randint(2, 4)):
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


# --- loading ---------------------------------------------------------------------------------------------------------


async def _create_agencies(session: AsyncSession, registered: datetime) -> list[Agency]:
    agencies = [await create_agency(session, name, kind, list(districts)) for name, kind, districts in AGENCIES]
    for agency in agencies:
        agency.created_at = registered  # registered before the first demo referral
    return agencies


async def _reference_numbers(session: AsyncSession, count: int) -> list[int]:
    """The next `count` hub reference numbers, in ascending order."""
    statement = sa.text("SELECT nextval('referral_reference_seq') FROM generate_series(1, :count)")
    return sorted((await session.execute(statement, {"count": count})).scalars())


async def _flush_tiers(session: AsyncSession, tiers: Sequence[list[SQLModel]]) -> None:
    for rows in tiers:
        session.add_all(rows)
        await session.flush()


async def load_demo(
    session: AsyncSession, *, seed: int = 2026, referrals: int = 60, now: datetime | None = None
) -> DemoData | None:
    """Fill an empty database with a county's agencies, facilitators and cases; None if it already holds agencies."""
    if (await session.execute(sa.select(sa.literal(1)).select_from(Agency).limit(1))).first() is not None:
        return None
    now = now or utcnow()
    rng = random.Random(seed)
    agencies = await _create_agencies(session, now - timedelta(days=HISTORY_DAYS + 60))
    builder = _DemoBuilder(rng, now, agencies)
    cases = [(plan, _timeline(rng, plan, now.date())) for plan in _plans(rng, referrals)]
    cases.sort(key=lambda case: case[1][0])
    for (plan, times), number in zip(cases, await _reference_numbers(session, len(cases)), strict=True):
        builder.case(plan, times, number)
    builder.other_hours()
    await _flush_tiers(session, builder.tiers)
    police = next(a for a in agencies if a.name == f"{POLICE_PREFIX}Colchester")
    return DemoData(service_agency=builder.service, police_agency=police, agencies=agencies, referral_count=len(cases))
