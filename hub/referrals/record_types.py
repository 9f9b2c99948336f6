"""GraphQL types of the case record: contact attempts, assessments, sessions, the outcome agreement, feedback.

Each field's description says who may read it; the rows come from the per-request dataloaders.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from hub.api.compiled import batched
from hub.api.context import Info
from hub.ids import global_id
from hub.referrals.enums import (
    ActionKindType,
    ActionStatusType,
    ApproachType,
    AssessmentOutcomeType,
    ContactMethodType,
    ParticipantRoleType,
    RespondentType,
    SessionStatusType,
)
from hub.referrals.loaders import then
from hub.referrals.models import AgreementAction as AgreementActionRow
from hub.referrals.models import Assessment as AssessmentRow
from hub.referrals.models import ContactAttempt as ContactAttemptRow
from hub.referrals.models import Feedback as FeedbackRow
from hub.referrals.models import OutcomeAgreement as OutcomeAgreementRow
from hub.referrals.models import RestorativeSession as RestorativeSessionRow

if TYPE_CHECKING:
    from hub.referrals.types import ParticipantType

Participant = Annotated["ParticipantType", strawberry.lazy("hub.referrals.types")]


async def participant_on_case(info: Info, referral_id: uuid.UUID, participant_id: uuid.UUID) -> Participant:
    """A participant of a case the caller already sees, from the case's batched participant list."""
    (participant,) = await participants_named([(referral_id, participant_id)], info)
    return participant


def participants_named(named: list[tuple[uuid.UUID, uuid.UUID | None]], info: Info) -> Awaitable[list[Any]]:
    """The participant each (case, participant) names, from its case's participants (None where none is named)."""
    from hub.referrals.types import ParticipantType

    def found(groups: list[list[Any]]) -> list[Participant | None]:
        return [
            None if participant_id is None else ParticipantType.from_row({row.id: row for row in rows}[participant_id])
            for (_, participant_id), rows in zip(named, groups, strict=True)
        ]

    loaded = info.context.loaders.participants_by_referral.load_many([case for case, _ in named])
    return then(asyncio.ensure_future(loaded), found)


def _participants_of(records: list[Any], info: Info) -> Awaitable[list[Any]]:
    """The `participant` of many contact attempts, assessments or feedback at once (hub.api.compiled.batched)."""
    return participants_named([(record.row.referral_id, record.row.participant_id) for record in records], info)


def case_part(
    loader: str, make: Callable[[Any], Any], key: Callable[[Any], Any] = attrgetter("id"), *, one: bool = False
) -> Callable[..., Awaitable[Any]]:
    """The resolver of a part of a case (its participants, history, sessions, ..., its referring agency, its
    agreement's actions): the rows the request's loader `loader` (a PartByKeyLoader) reads for the `key` of the
    object's row (the case's, or the agreement's), each made into its GraphQL type by `make` (with `one`, the first
    row, or None). For a page of cases, a compiled completion asks for all their parts at once, as a future
    (hub.api.compiled.batched); graphql-core asks case by case, and the asks of one level still go as one statement
    (hub.referrals.loaders.Gathered)."""

    def made(groups: list[list[Any]]) -> list[Any]:
        if one:
            return [make(rows[0]) if rows else None for rows in groups]
        return [[make(row) for row in rows] for rows in groups]

    def batch(cases: list[Any], info: Info) -> Awaitable[list[Any]]:
        return then(getattr(info.context.loaders, loader).groups([key(case.row) for case in cases]), made)

    @batched(batch)
    async def resolve(self: Any, info: Info) -> Any:
        (part,) = await batch([self], info)
        return part

    del resolve.__annotations__["return"]  # the field's own annotation gives its GraphQL type
    return resolve


@strawberry.type(
    name="ContactAttempt",
    description="One attempt to reach a participant.",
)
class ContactAttemptType:
    row: strawberry.Private[ContactAttemptRow]
    method: ContactMethodType = strawberry.field(description="How contact was attempted.")
    successful: bool = strawberry.field(description="Whether the participant was reached.")
    attempted_at: datetime = strawberry.field(description="When contact was attempted.")
    recorded_by: str | None = strawberry.field(description="Who recorded the attempt (a person or a client).")
    note: str | None = strawberry.field(description="What happened, in the practitioner's words.")

    @strawberry.field(description="The participant contact was attempted with.")
    @batched(_participants_of)
    async def participant(self, info: Info) -> Participant:
        return await participant_on_case(info, self.row.referral_id, self.row.participant_id)

    @classmethod
    def from_row(cls, row: ContactAttemptRow) -> ContactAttemptType:
        return cls(
            row=row,
            method=row.method,
            successful=row.successful,
            attempted_at=row.attempted_at,
            recorded_by=row.recorded_by,
            note=row.note,
        )


@strawberry.type(
    name="Assessment",
    description="A risk and suitability assessment of one party.",
)
class AssessmentType:
    row: strawberry.Private[AssessmentRow]
    outcome: AssessmentOutcomeType = strawberry.field(description="SAFE or NOT_SAFE.")
    assessed_on: date = strawberry.field(description="The day of the assessment.")
    review_date: date | None = strawberry.field(description="When the assessment is to be reviewed.")
    assessed_by: str | None = strawberry.field(description="Who assessed.")
    notes: str | None = strawberry.field(description="The assessor's notes.")

    @strawberry.field(description="The party assessed.")
    @batched(_participants_of)
    async def participant(self, info: Info) -> Participant:
        return await participant_on_case(info, self.row.referral_id, self.row.participant_id)

    @classmethod
    def from_row(cls, row: AssessmentRow) -> AssessmentType:
        return cls(
            row=row,
            outcome=row.outcome,
            assessed_on=row.assessed_on,
            review_date=row.review_date,
            assessed_by=row.assessed_by,
            notes=row.notes,
        )


@strawberry.type(
    name="RestorativeSession",
    description="A meeting, letter exchange or call of the restorative process. Service staff and the case's "
    "facilitators only.",
)
class RestorativeSessionType:
    id: strawberry.ID = strawberry.field(description="The session's id, as recordSessionOutcome takes it.")
    approach: ApproachType = strawberry.field(description="The approach this session follows.")
    scheduled_for: datetime = strawberry.field(description="When the session is, or was, to take place.")
    location: str | None = strawberry.field(description="Where it takes place.")
    status: SessionStatusType = strawberry.field(description="SCHEDULED, HELD or CANCELLED.")
    held_at: datetime | None = strawberry.field(description="When it was held, once HELD.")
    notes: str | None = strawberry.field(description="The facilitator's notes of the session.")

    @classmethod
    def from_row(cls, row: RestorativeSessionRow) -> RestorativeSessionType:
        return cls(
            id=strawberry.ID(global_id("RestorativeSession", row.id)),
            approach=row.approach,
            scheduled_for=row.scheduled_for,
            location=row.location,
            status=row.status,
            held_at=row.held_at,
            notes=row.notes,
        )


@strawberry.type(
    name="AgreementAction",
    description="One thing a party agreed to do, monitored to done or missed. Everyone who may see the case, "
    "except `note`.",
)
class AgreementActionType:
    row: strawberry.Private[AgreementActionRow]
    id: strawberry.ID = strawberry.field(description="The action's id, as updateAgreementAction takes it.")
    kind: ActionKindType = strawberry.field(description="What kind of action it is.")
    description: str = strawberry.field(description="What was agreed.")
    owner_role: ParticipantRoleType = strawberry.field(description="The party who owns the action.")
    due_on: date | None = strawberry.field(description="When it is due.")
    status: ActionStatusType = strawberry.field(description="PENDING, DONE, MISSED or WAIVED.")
    settled_at: datetime | None = strawberry.field(description="When it was settled (done, missed, waived).")

    @strawberry.field(description="The service's note on the action.")
    def note(self) -> str | None:
        return self.row.note

    @classmethod
    def from_row(cls, row: AgreementActionRow) -> AgreementActionType:
        return cls(
            row=row,
            id=strawberry.ID(global_id("AgreementAction", row.id)),
            kind=row.kind,
            description=row.description,
            owner_role=row.owner_role,
            due_on=row.due_on,
            status=row.status,
            settled_at=row.settled_at,
        )


@strawberry.type(
    name="OutcomeAgreement",
    description="What the parties agreed, and the actions monitored afterwards. Everyone who may see the case, "
    "except `notes`.",
)
class OutcomeAgreementType:
    row: strawberry.Private[OutcomeAgreementRow]
    agreed_on: date = strawberry.field(description="The day the agreement was made.")

    @strawberry.field(description="The service's notes on the agreement.")
    def notes(self) -> str | None:
        return self.row.notes

    actions: list[AgreementActionType] = strawberry.field(
        resolver=case_part("actions_by_agreement", AgreementActionType.from_row),
        description="The agreed actions, in the order agreed.",
    )

    @classmethod
    def from_row(cls, row: OutcomeAgreementRow) -> OutcomeAgreementType:
        return cls(row=row, agreed_on=row.agreed_on)


@strawberry.type(
    name="Feedback",
    description="A participant's satisfaction, or the referrer's answer to whether they would recommend the service.",
)
class FeedbackType:
    row: strawberry.Private[FeedbackRow]
    respondent: RespondentType = strawberry.field(description="PARTICIPANT or REFERRER.")
    satisfied: bool | None = strawberry.field(description="A participant's answer: satisfied with the service.")
    would_recommend: bool | None = strawberry.field(description="A referrer's answer: would recommend the service.")
    comments: str | None = strawberry.field(description="Comments, in the respondent's words.")
    received_at: datetime = strawberry.field(description="When the feedback was received.")

    @strawberry.field(description="The participant who answered (null when the referrer did).")
    @batched(_participants_of)
    async def participant(self, info: Info) -> ParticipantType | None:
        if self.row.participant_id is None:
            return None
        return await participant_on_case(info, self.row.referral_id, self.row.participant_id)

    @classmethod
    def from_row(cls, row: FeedbackRow) -> FeedbackType:
        return cls(
            row=row,
            respondent=row.respondent,
            satisfied=row.satisfied,
            would_recommend=row.would_recommend,
            comments=row.comments,
            received_at=row.received_at,
        )
