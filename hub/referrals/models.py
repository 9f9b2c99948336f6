"""A referral is the case, from intake to close, with everything recorded while the service works it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.columns import enum_field, fk_field, id_field, members_check, timestamp_field

SUMMARY_MAX_LENGTH = 4000
NOTE_MAX_LENGTH = 4000


class Stage(StrEnum):
    RECEIVED = "RECEIVED"
    DECLINED = "DECLINED"
    ACCEPTED = "ACCEPTED"
    ALLOCATED = "ALLOCATED"
    CONTACT = "CONTACT"
    ASSESSMENT = "ASSESSMENT"
    PREPARATION = "PREPARATION"
    RESTORATIVE_PROCESS = "RESTORATIVE_PROCESS"
    AGREEMENT_MONITORING = "AGREEMENT_MONITORING"
    ON_HOLD = "ON_HOLD"
    CLOSED = "CLOSED"


class IncidentKind(StrEnum):
    CRIME = "CRIME"
    ANTI_SOCIAL_BEHAVIOUR = "ANTI_SOCIAL_BEHAVIOUR"
    NEIGHBOUR_DISPUTE = "NEIGHBOUR_DISPUTE"
    COMMUNITY_CONFLICT = "COMMUNITY_CONFLICT"
    WORKPLACE_OR_SCHOOL = "WORKPLACE_OR_SCHOOL"


class Sensitivity(StrEnum):
    SEXUAL_OFFENCE = "SEXUAL_OFFENCE"
    DOMESTIC_ABUSE = "DOMESTIC_ABUSE"
    HATE_CRIME = "HATE_CRIME"
    HOMICIDE = "HOMICIDE"
    CHILD_INVOLVED = "CHILD_INVOLVED"


class DeclineReason(StrEnum):
    NO_IDENTIFIABLE_PARTY = "NO_IDENTIFIABLE_PARTY"
    NOT_REPORTED_TO_POLICE = "NOT_REPORTED_TO_POLICE"
    NO_ADMISSION_OF_RESPONSIBILITY = "NO_ADMISSION_OF_RESPONSIBILITY"
    OUT_OF_AREA = "OUT_OF_AREA"
    DUPLICATE = "DUPLICATE"
    RISK_TOO_HIGH = "RISK_TOO_HIGH"
    OTHER = "OTHER"


class Outcome(StrEnum):
    RESOLVED = "RESOLVED"
    PARTIALLY_RESOLVED = "PARTIALLY_RESOLVED"
    WITHDRAWN_BY_HARMED_PARTY = "WITHDRAWN_BY_HARMED_PARTY"
    WITHDRAWN_BY_RESPONSIBLE_PARTY = "WITHDRAWN_BY_RESPONSIBLE_PARTY"
    WITHDRAWN_BY_REFERRER = "WITHDRAWN_BY_REFERRER"
    UNSUITABLE = "UNSUITABLE"
    NO_CONTACT = "NO_CONTACT"


POSITIVE_OUTCOMES = frozenset({Outcome.RESOLVED, Outcome.PARTIALLY_RESOLVED})


class Approach(StrEnum):
    FACE_TO_FACE_CONFERENCE = "FACE_TO_FACE_CONFERENCE"
    LETTER_EXCHANGE = "LETTER_EXCHANGE"
    SHUTTLE_MEDIATION = "SHUTTLE_MEDIATION"
    VIDEO_OR_PHONE = "VIDEO_OR_PHONE"
    COMMUNITY_JUSTICE_PANEL = "COMMUNITY_JUSTICE_PANEL"
    NEIGHBOUR_MEDIATION = "NEIGHBOUR_MEDIATION"


class ParticipantRole(StrEnum):
    HARMED = "HARMED"
    RESPONSIBLE = "RESPONSIBLE"
    SUPPORTER = "SUPPORTER"
    PARENT_OR_GUARDIAN = "PARENT_OR_GUARDIAN"
    COMMUNITY_MEMBER = "COMMUNITY_MEMBER"


class ContactMethod(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    LETTER = "LETTER"
    HOME_VISIT = "HOME_VISIT"
    VIA_PRISON = "VIA_PRISON"
    VIA_REFERRER = "VIA_REFERRER"


class ConsentState(StrEnum):
    PENDING = "PENDING"
    GIVEN = "GIVEN"
    REFUSED = "REFUSED"


class AssessmentOutcome(StrEnum):
    SAFE = "SAFE"
    NOT_SAFE = "NOT_SAFE"


class SessionStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    HELD = "HELD"
    CANCELLED = "CANCELLED"


class ActionKind(StrEnum):
    APOLOGY = "APOLOGY"
    REPARATION = "REPARATION"
    REPAIR = "REPAIR"
    BEHAVIOUR_COMMITMENT = "BEHAVIOUR_COMMITMENT"
    PAYMENT = "PAYMENT"
    COMMUNITY_WORK = "COMMUNITY_WORK"
    OTHER = "OTHER"


class ActionStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    MISSED = "MISSED"
    WAIVED = "WAIVED"


class Respondent(StrEnum):
    PARTICIPANT = "PARTICIPANT"
    REFERRER = "REFERRER"


def _text(nullable: bool = True, max_length: int | None = None) -> sa.Column:
    return sa.Column(sa.String(max_length) if max_length else sa.Text, nullable=nullable)


class Referral(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("referring_agency_id", "agency_reference"),
        sa.CheckConstraint("reference ~ '^RJ-[0-9]{4}-[0-9]{6,}$'", name="reference_format"),
        sa.CheckConstraint(f"length(summary) <= {SUMMARY_MAX_LENGTH}", name="summary_length"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("(stage = 'CLOSED') = (outcome IS NOT NULL)", name="closed_has_outcome"),
        sa.CheckConstraint("(stage IN ('CLOSED', 'DECLINED')) = (closed_at IS NOT NULL)", name="closed_at_set"),
        sa.CheckConstraint("(stage = 'DECLINED') = (decline_reason IS NOT NULL)", name="declined_has_reason"),
        sa.CheckConstraint("(stage = 'ON_HOLD') = (stage_before_hold IS NOT NULL)", name="hold_remembers_stage"),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= submitted_at", name="closed_after_submitted"),
        sa.CheckConstraint("updated_at >= submitted_at", name="updated_after_submitted"),
        members_check("sensitivity", Sensitivity, "sensitivity_known"),
        # Keyset pages scan these in either direction. The statistics count a period's referrals by agency and
        # district from the submitted_at index alone, and closures and declines from the stage index alone.
        sa.Index("ix_referral_agency_submitted", "referring_agency_id", "submitted_at", "id"),
        sa.Index("ix_referral_submitted", "submitted_at", "id", postgresql_include=["referring_agency_id", "district"]),
        sa.Index(
            "ix_referral_stage_closed_at", "stage", "closed_at", postgresql_include=["outcome", "decline_reason", "id"]
        ),
    )

    id: uuid.UUID = id_field()
    reference: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    referring_agency_id: uuid.UUID = fk_field("agency.id", index=False)
    agency_reference: str = Field(sa_column=_text(False, 100))
    referrer_name: str = Field(sa_column=_text(False, 200))
    referrer_email: str | None = Field(default=None, sa_column=_text(True, 320))
    referrer_phone: str | None = Field(default=None, sa_column=_text(True, 40))
    district: str = Field(sa_column=_text(False, 100))
    incident_kind: IncidentKind = enum_field(IncidentKind)
    offence_category: str | None = Field(default=None, sa_column=_text(True, 200))
    sensitivity: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(sa.ARRAY(sa.Text), nullable=False, server_default="{}"),
    )
    reported_to_police: bool
    responsibility_admitted: bool
    summary: str = Field(sa_column=_text(False))
    stage: Stage = enum_field(Stage, default=Stage.RECEIVED)
    stage_before_hold: Stage | None = enum_field(Stage, nullable=True, default=None, name="stage_before_hold")
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    approach: Approach | None = enum_field(Approach, nullable=True, default=None)
    outcome: Outcome | None = enum_field(Outcome, nullable=True, default=None)
    decline_reason: DeclineReason | None = enum_field(DeclineReason, nullable=True, default=None)
    decline_note: str | None = Field(default=None, sa_column=_text())
    content_hash: str = Field(sa_column=_text(False, 64))
    submitted_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    closed_at: datetime | None = timestamp_field(nullable=True, default_now=False)


class Participant(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("length(btrim(full_name)) >= 1", name="name_present"),
        sa.CheckConstraint("date_of_birth IS NULL OR date_of_birth >= DATE '1900-01-01'", name="dob_plausible"),
        sa.CheckConstraint("(prison_number IS NULL) OR (custody_establishment IS NOT NULL)", name="custody_pair"),
    )

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = fk_field("referral.id", ondelete="CASCADE")
    role: ParticipantRole = enum_field(ParticipantRole)
    full_name: str = Field(sa_column=_text(False, 200))
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, sa_column=_text(True, 40))
    email: str | None = Field(default=None, sa_column=_text(True, 320))
    address: str | None = Field(default=None, sa_column=_text(True, 500))
    preferred_contact: ContactMethod | None = enum_field(ContactMethod, nullable=True, default=None)
    interpreter_language: str | None = Field(default=None, sa_column=_text(True, 100))
    accessibility_needs: str | None = Field(default=None, sa_column=_text(True, 1000))
    custody_establishment: str | None = Field(default=None, sa_column=_text(True, 200))
    prison_number: str | None = Field(default=None, sa_column=_text(True, 20))
    consent: ConsentState = enum_field(ConsentState, default=ConsentState.PENDING)
    withdrawn_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    position: int = Field(default=0, sa_column=sa.Column(sa.SmallInteger, nullable=False, server_default="0"))


class StageEvent(SQLModel, table=True):
    """One transition of a referral: who, when, from, to, and an optional note."""

    __tablename__ = "stage_event"
    __table_args__ = (
        sa.CheckConstraint("from_stage IS DISTINCT FROM to_stage", name="changes_stage"),
        sa.Index("ix_stage_event_referral_at", "referral_id", "at", "id"),
    )

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = fk_field("referral.id", ondelete="CASCADE", index=False)
    from_stage: Stage | None = enum_field(Stage, nullable=True, default=None, name="from_stage")
    to_stage: Stage = enum_field(Stage, name="to_stage")
    at: datetime = timestamp_field()
    actor_agency_id: uuid.UUID | None = fk_field("agency.id", nullable=True, index=False)
    actor_client_id: str | None = Field(default=None, sa_column=_text(True, 100))
    actor_name: str | None = Field(default=None, sa_column=_text(True, 200))
    note: str | None = Field(default=None, sa_column=_text())


class ConsentRecord(SQLModel, table=True):
    """Each time a party gives or refuses consent (the participant row holds the current state)."""

    __tablename__ = "consent_record"

    id: uuid.UUID = id_field()
    participant_id: uuid.UUID = fk_field("participant.id", ondelete="CASCADE")
    consent: ConsentState = enum_field(ConsentState)
    recorded_at: datetime = timestamp_field()
    recorded_by: str | None = Field(default=None, sa_column=_text(True, 200))
    note: str | None = Field(default=None, sa_column=_text())


class ContactAttempt(SQLModel, table=True):
    __tablename__ = "contact_attempt"

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = fk_field("referral.id", ondelete="CASCADE")
    participant_id: uuid.UUID = fk_field("participant.id", ondelete="CASCADE")
    method: ContactMethod = enum_field(ContactMethod)
    successful: bool
    attempted_at: datetime = timestamp_field()
    recorded_by: str | None = Field(default=None, sa_column=_text(True, 200))
    note: str | None = Field(default=None, sa_column=_text())


class Assessment(SQLModel, table=True):
    """Risk and suitability assessment of one party; no communication between parties before SAFE."""

    __table_args__ = (
        sa.CheckConstraint("review_date IS NULL OR review_date >= assessed_on", name="review_after_assessment"),
    )

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = fk_field("referral.id", ondelete="CASCADE")
    participant_id: uuid.UUID = fk_field("participant.id", ondelete="CASCADE")
    outcome: AssessmentOutcome = enum_field(AssessmentOutcome)
    assessed_on: date
    review_date: date | None = None
    assessed_by: str | None = Field(default=None, sa_column=_text(True, 200))
    notes: str | None = Field(default=None, sa_column=_text())
    recorded_at: datetime = timestamp_field()


class RestorativeSession(SQLModel, table=True):
    """A meeting, letter exchange or call of the restorative process."""

    __tablename__ = "restorative_session"
    __table_args__ = (sa.CheckConstraint("(status = 'HELD') = (held_at IS NOT NULL)", name="held_has_time"),)

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = fk_field("referral.id", ondelete="CASCADE")
    approach: Approach = enum_field(Approach)
    scheduled_for: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    location: str | None = Field(default=None, sa_column=_text(True, 300))
    status: SessionStatus = enum_field(SessionStatus, default=SessionStatus.SCHEDULED)
    held_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    notes: str | None = Field(default=None, sa_column=_text())
    created_at: datetime = timestamp_field()


class OutcomeAgreement(SQLModel, table=True):
    __tablename__ = "outcome_agreement"

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    agreed_on: date
    notes: str | None = Field(default=None, sa_column=_text())
    created_at: datetime = timestamp_field()


class AgreementAction(SQLModel, table=True):
    __tablename__ = "agreement_action"
    __table_args__ = (
        sa.CheckConstraint("length(btrim(description)) >= 1", name="description_present"),
        sa.CheckConstraint("(status IN ('DONE', 'MISSED', 'WAIVED')) = (settled_at IS NOT NULL)", name="settled"),
    )

    id: uuid.UUID = id_field()
    agreement_id: uuid.UUID = fk_field("outcome_agreement.id", ondelete="CASCADE")
    kind: ActionKind = enum_field(ActionKind)
    description: str = Field(sa_column=_text(False, 1000))
    owner_role: ParticipantRole = enum_field(ParticipantRole)
    due_on: date | None = None
    status: ActionStatus = enum_field(ActionStatus, default=ActionStatus.PENDING)
    settled_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    note: str | None = Field(default=None, sa_column=_text())
    position: int = Field(default=0, sa_column=sa.Column(sa.SmallInteger, nullable=False, server_default="0"))


class Feedback(SQLModel, table=True):
    """Satisfaction of a participant, or a referrer's answer to "would you recommend the service"."""

    __table_args__ = (
        sa.CheckConstraint(
            "(respondent = 'PARTICIPANT') = (participant_id IS NOT NULL)", name="participant_answers_as_participant"
        ),
        sa.CheckConstraint(
            "(respondent = 'PARTICIPANT' AND satisfied IS NOT NULL)"
            " OR (respondent = 'REFERRER' AND would_recommend IS NOT NULL)",
            name="answer_present",
        ),
    )

    id: uuid.UUID = id_field()
    referral_id: uuid.UUID = fk_field("referral.id", ondelete="CASCADE")
    respondent: Respondent = enum_field(Respondent)
    participant_id: uuid.UUID | None = fk_field("participant.id", nullable=True, ondelete="CASCADE")
    satisfied: bool | None = None
    would_recommend: bool | None = None
    comments: str | None = Field(default=None, sa_column=_text())
    received_at: datetime = timestamp_field()
