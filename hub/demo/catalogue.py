"""What the demo's cases are made of: the county, names, offences, and the words of notes and agreements."""

from __future__ import annotations

from dataclasses import dataclass

from hub.agencies.models import AgencyKind
from hub.referrals.models import (
    ActionKind,
    DeclineReason,
    IncidentKind,
    Outcome,
    ParticipantRole,
    Sensitivity,
    Stage,
)

HISTORY_DAYS = 540  # about eighteen months of referrals
FACILITATOR_COUNT = 12

# --- the county ----------------------------------------------------------------------------------------------------

DISTRICTS = ("Colchester", "Southend", "Thurrock", "Basildon", "Chelmsford", "Harlow")
TOWNS = {"Southend": "Southend-on-Sea", "Thurrock": "Grays"}
PRISON_NAME = "HMP Chelmsford"
SERVICE_NAME = "Essex Restorative Justice Service"
POLICE_PREFIX = "Essex Police — "
AGENCIES: tuple[tuple[str, AgencyKind, tuple[str, ...]], ...] = (
    *((f"{POLICE_PREFIX}{district}", AgencyKind.POLICE, (district,)) for district in DISTRICTS),
    ("Essex Youth Offending Service", AgencyKind.YOUTH_OFFENDING, DISTRICTS),
    ("Colchester City Council", AgencyKind.COUNCIL, ("Colchester",)),
    ("Basildon Borough Council", AgencyKind.COUNCIL, ("Basildon",)),
    ("Essex County Fire and Rescue Service", AgencyKind.FIRE_AND_RESCUE, DISTRICTS),
    (PRISON_NAME, AgencyKind.PRISON, DISTRICTS),
    ("Probation Service — Essex", AgencyKind.PROBATION, DISTRICTS),
    ("Victim Support — Essex", AgencyKind.VICTIM_SUPPORT, DISTRICTS),
    (SERVICE_NAME, AgencyKind.RJ_SERVICE, DISTRICTS),
)
# How often each kind of agency refers, per agency.
REFERRAL_WEIGHTS = {
    AgencyKind.POLICE: 9,
    AgencyKind.YOUTH_OFFENDING: 9,
    AgencyKind.COUNCIL: 5,
    AgencyKind.FIRE_AND_RESCUE: 3,
    AgencyKind.PRISON: 7,
    AgencyKind.PROBATION: 6,
    AgencyKind.VICTIM_SUPPORT: 6,
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
class Offence:
    """A kind of incident, the kinds of agency that refer it, and the sensitivity flags it brings."""

    kind: IncidentKind
    category: str
    sources: frozenset[AgencyKind]
    sensitivity: tuple[Sensitivity, ...] = ()

    @property
    def summary(self) -> str:
        """The referral summary, with {town} to fill in."""
        return SUMMARIES[self.category]


def offence(kind: str, category: str, sources: str, *flags: Sensitivity) -> Offence:
    return Offence(IncidentKind[kind], category, frozenset(AgencyKind[s] for s in sources.split()), flags)


CRIME = IncidentKind.CRIME
OFFENCES = (
    offence("CRIME", "Burglary (dwelling)", "POLICE PRISON PROBATION VICTIM_SUPPORT YOUTH_OFFENDING"),
    offence("CRIME", "Theft from a shop", "POLICE YOUTH_OFFENDING PROBATION"),
    offence("CRIME", "Criminal damage", "POLICE YOUTH_OFFENDING VICTIM_SUPPORT"),
    offence(
        "CRIME", "Assault occasioning actual bodily harm", "POLICE PRISON PROBATION VICTIM_SUPPORT YOUTH_OFFENDING"
    ),
    offence("CRIME", "Robbery", "POLICE PRISON VICTIM_SUPPORT"),
    offence("CRIME", "Vehicle crime", "POLICE PROBATION YOUTH_OFFENDING"),
    offence("CRIME", "Arson", "FIRE_AND_RESCUE POLICE"),
    offence("CRIME", "Racially aggravated public order", "POLICE VICTIM_SUPPORT", Sensitivity.HATE_CRIME),
    offence("CRIME", "Domestic abuse — criminal damage", "POLICE PROBATION", Sensitivity.DOMESTIC_ABUSE),
    offence("CRIME", "Sexual assault", "VICTIM_SUPPORT POLICE", Sensitivity.SEXUAL_OFFENCE),
    offence("CRIME", "Causing death by dangerous driving", "PRISON VICTIM_SUPPORT POLICE", Sensitivity.HOMICIDE),
    offence("ANTI_SOCIAL_BEHAVIOUR", "Intimidation", "POLICE COUNCIL"),
    offence("ANTI_SOCIAL_BEHAVIOUR", "Deliberate fires", "FIRE_AND_RESCUE COUNCIL"),
    offence("NEIGHBOUR_DISPUTE", "Noise and parking", "COUNCIL POLICE"),
    offence("NEIGHBOUR_DISPUTE", "Boundary dispute", "COUNCIL"),
    offence("COMMUNITY_CONFLICT", "Conflict between residents and young people", "COUNCIL POLICE"),
    offence("WORKPLACE_OR_SCHOOL", "Bullying", "YOUTH_OFFENDING POLICE"),
    offence("WORKPLACE_OR_SCHOOL", "Assault at school", "YOUTH_OFFENDING"),
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
    Stage.ACCEPTED: "Eligible: responsibility admitted and the harmed party wants to be heard.",
    Stage.ALLOCATED: "Allocated to co-workers who cover the district.",
    Stage.CONTACT: "Initial letters sent to both parties.",
    Stage.ASSESSMENT: "Both parties reached; home visits booked for the assessment.",
    Stage.PREPARATION: "Assessed safe; discussing the approach with each party.",
    Stage.RESTORATIVE_PROCESS: "Both parties agreed the approach; first session booked.",
    Stage.AGREEMENT_MONITORING: "Outcome agreement signed; actions to monitor.",
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
