"""GraphQL types of the referrals domain. Each field's description says who may read it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from operator import attrgetter

import strawberry
from strawberry import relay

from hub.agencies.types import AgencyType
from hub.api.context import Info
from hub.facilitators.types import FacilitatorType
from hub.referrals.enums import (
    ApproachType,
    ConsentStateType,
    ContactMethodType,
    DeclineReasonType,
    IncidentKindType,
    OutcomeType,
    ParticipantRoleType,
    SensitivityType,
    StageType,
)
from hub.referrals.models import Participant as ParticipantRow
from hub.referrals.models import Referral as ReferralRow
from hub.referrals.models import (
    Sensitivity,
)
from hub.referrals.models import StageEvent as StageEventRow
from hub.referrals.record_types import (
    AssessmentType,
    ContactAttemptType,
    FeedbackType,
    OutcomeAgreementType,
    RestorativeSessionType,
    case_part,
)

ADULT_AGE = 18


def is_child(date_of_birth: date | None, on: date | None = None) -> bool:
    """Under 18 on the given day (today by default); unknown date of birth counts as not a child."""
    if date_of_birth is None:
        return False
    on = on or date.today()
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    return age < ADULT_AGE


@strawberry.type(description="The officer or member of staff who made the referral.")
class Referrer:
    name: str = strawberry.field(description="The referrer's name.")
    email: str | None = strawberry.field(description="The referrer's work email.")
    phone: str | None = strawberry.field(description="The referrer's work phone.")


@strawberry.type(description="How to reach a participant.")
class ContactDetails:
    phone: str | None = strawberry.field(description="Phone number.")
    email: str | None = strawberry.field(description="Email address.")
    address: str | None = strawberry.field(description="Postal address.")


@strawberry.type(description="What a participant needs to take part.")
class Needs:
    interpreter_language: str | None = strawberry.field(description="Language an interpreter is needed for.")
    accessibility: str | None = strawberry.field(description="Accessibility needs, in the referrer's words.")


@strawberry.type(description="Where a participant in custody is held.")
class Custody:
    establishment: str = strawberry.field(description="The prison or other establishment.")
    prison_number: str | None = strawberry.field(description="The prisoner number.")


@strawberry.type(name="Participant", description="A person taking part in a case: harmed, responsible or supporting.")
class ParticipantType(relay.Node):
    id: relay.NodeID[str]
    row: strawberry.Private[ParticipantRow]
    role: ParticipantRoleType = strawberry.field(description="The participant's part in the case.")
    full_name: str = strawberry.field(description="Full name.")
    is_child: bool = strawberry.field(description="Under 18 today (false when the date of birth is unknown).")
    consent: ConsentStateType = strawberry.field(description="Consent to take part.")
    withdrawn_at: datetime | None = strawberry.field(description="When the participant withdrew, if they did.")

    @strawberry.field(
        description="Date of birth. Not of a harmed party for prison, probation or youth offending agencies."
    )
    def date_of_birth(self) -> date | None:
        return self.row.date_of_birth

    @strawberry.field(
        description="Needs (interpreter, accessibility). Not of a harmed party for prison, probation or youth "
        "offending agencies."
    )
    def needs(self) -> Needs | None:
        return Needs(interpreter_language=self.row.interpreter_language, accessibility=self.row.accessibility_needs)

    @strawberry.field(
        description="Phone, email and address. The hub never discloses contact details back to a referrer."
    )
    def contact(self) -> ContactDetails | None:
        return ContactDetails(phone=self.row.phone, email=self.row.email, address=self.row.address)

    @strawberry.field(description="Preferred way of contact.")
    def preferred_contact(self) -> ContactMethodType | None:
        return self.row.preferred_contact

    @strawberry.field(description="Custody details, where the participant is in custody.")
    def custody(self) -> Custody | None:
        if self.row.custody_establishment is None:
            return None
        return Custody(establishment=self.row.custody_establishment, prison_number=self.row.prison_number)

    @classmethod
    def from_row(cls, row: ParticipantRow) -> ParticipantType:
        return cls(
            id=str(row.id),
            row=row,
            role=row.role,
            full_name=row.full_name,
            is_child=is_child(row.date_of_birth),
            consent=row.consent,
            withdrawn_at=row.withdrawn_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list:
        from hub.api.node import load_many

        return await load_many(info, info.context.loaders.participant_by_id, node_ids, cls.from_row)


@strawberry.type(description="One move of a case from one stage to another.")
class StageEvent:
    row: strawberry.Private[StageEventRow]
    stage: StageType = strawberry.field(description="The stage the case moved to (same as `to`).")
    from_: StageType | None = strawberry.field(name="from", description="The stage it left (null at submission).")
    to: StageType = strawberry.field(description="The stage it moved to.")
    at: datetime = strawberry.field(description="When it moved.")

    @strawberry.field(description="Why it moved, in the service's words.")
    def note(self) -> str | None:
        return self.row.note

    @strawberry.field(
        description="Who moved it (a person's name, or the client that acted). Service staff and the case's "
        "facilitators only."
    )
    def actor(self) -> str | None:
        return self.row.actor_name or self.row.actor_client_id

    @classmethod
    def from_row(cls, row: StageEventRow) -> StageEvent:
        return cls(row=row, stage=row.to_stage, from_=row.from_stage, to=row.to_stage, at=row.at)


@strawberry.type(name="Referral", description="A case, from the partner's referral to its closed outcome.")
class ReferralType(relay.Node):
    id: relay.NodeID[str]
    row: strawberry.Private[ReferralRow]
    reference: str = strawberry.field(description="The hub's reference, e.g. RJ-2026-000123.")
    agency_reference: str = strawberry.field(
        description="The referring agency's own reference (crime or occurrence number), unique per agency."
    )
    district: str = strawberry.field(description="The district the case belongs to.")
    incident_kind: IncidentKindType = strawberry.field(description="What kind of harm or conflict it is.")
    offence_category: str | None = strawberry.field(description="The offence category, for crimes.")
    sensitivity: list[SensitivityType] = strawberry.field(description="Sensitive or complex case flags.")
    reported_to_police: bool = strawberry.field(description="Whether the harm was reported to the police.")
    responsibility_admitted: bool = strawberry.field(description="Whether the responsible party admits it.")
    summary: str = strawberry.field(description="What happened, in the referrer's words.")
    stage: StageType = strawberry.field(description="The case's current stage.")
    version: int = strawberry.field(description="Grows by one with every change; mutations take it back.")
    outcome: OutcomeType | None = strawberry.field(description="How the case ended, once CLOSED.")
    approach: ApproachType | None = strawberry.field(
        description="The restorative approach chosen in preparation, once chosen."
    )
    decline_reason: DeclineReasonType | None = strawberry.field(
        description="Why the service did not take the case on, once DECLINED."
    )
    decline_note: str | None = strawberry.field(
        description="The service's note on the decline (always given for OTHER). Like every stage note it may "
        "hold details of the parties; referrers read declineReason."
    )
    submitted_at: datetime = strawberry.field(description="When the referral was submitted.")
    updated_at: datetime = strawberry.field(description="When the case last changed.")
    closed_at: datetime | None = strawberry.field(description="When the case was closed or declined.")

    @strawberry.field(description="The officer or member of staff who referred the case.")
    def referrer(self) -> Referrer:
        row = self.row
        return Referrer(name=row.referrer_name, email=row.referrer_email, phone=row.referrer_phone)

    referring_agency: AgencyType = strawberry.field(
        resolver=case_part("agency_of_case", AgencyType.from_row, attrgetter("referring_agency_id"), one=True),
        description="The agency that referred the case.",
    )

    participants: list[ParticipantType] = strawberry.field(
        resolver=case_part("participants_by_referral", ParticipantType.from_row),
        description="Everyone taking part in the case, in the order the referrer listed them.",
    )

    stage_history: list[StageEvent] = strawberry.field(
        resolver=case_part("stage_events_by_referral", StageEvent.from_row),
        description="Every move of the case between stages, oldest first.",
    )

    facilitators: list[FacilitatorType] = strawberry.field(
        resolver=case_part("facilitators_by_referral", FacilitatorType.from_row),
        description="The facilitators allocated to the case.",
    )

    contact_attempts: list[ContactAttemptType] | None = strawberry.field(
        resolver=case_part("contact_attempts_by_referral", ContactAttemptType.from_row),
        description="Every attempt to contact a participant, oldest first. Service staff and the case's "
        "facilitators only.",
    )

    assessments: list[AssessmentType] | None = strawberry.field(
        resolver=case_part("assessments_by_referral", AssessmentType.from_row),
        description="Risk and suitability assessments of the parties, oldest first. Service staff and the case's "
        "facilitators only.",
    )

    sessions: list[RestorativeSessionType] | None = strawberry.field(
        resolver=case_part("sessions_by_referral", RestorativeSessionType.from_row),
        description="Sessions of the restorative process, by when they are scheduled. Service staff and the "
        "case's facilitators only.",
    )

    agreement: OutcomeAgreementType | None = strawberry.field(
        resolver=case_part("agreements_with_actions", OutcomeAgreementType.from_row, one=True),
        description="The outcome agreement, once recorded. Everyone who may see the case; its notes and its "
        "actions' notes are for service staff and the case's facilitators only.",
    )

    feedback: list[FeedbackType] | None = strawberry.field(
        resolver=case_part("feedback_by_referral", FeedbackType.from_row),
        description="Individual feedback from participants and the referrer, oldest first. The service's "
        "co-ordinators and manager only (statistics give everyone the rates).",
    )

    @classmethod
    def from_row(cls, row: ReferralRow) -> ReferralType:
        return cls(
            id=str(row.id),
            row=row,
            reference=row.reference,
            agency_reference=row.agency_reference,
            district=row.district,
            incident_kind=row.incident_kind,
            offence_category=row.offence_category,
            sensitivity=[Sensitivity(s) for s in row.sensitivity],
            reported_to_police=row.reported_to_police,
            responsibility_admitted=row.responsibility_admitted,
            summary=row.summary,
            stage=row.stage,
            version=row.version,
            outcome=row.outcome,
            approach=row.approach,
            decline_reason=row.decline_reason,
            decline_note=row.decline_note,
            submitted_at=row.submitted_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list:
        from hub.api.node import load_many

        return await load_many(info, info.context.loaders.referral_by_id, node_ids, cls.from_row)
