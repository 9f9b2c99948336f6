"""GraphQL types of the facilitators domain. Each field's description says who may read it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from hub.api.context import Info
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, PageArgs, decode_cursor, to_connection
from hub.facilitators.models import Accreditation
from hub.facilitators.models import Facilitator as FacilitatorRow
from hub.facilitators.models import VolunteerHours as VolunteerHoursRow
from hub.ids import global_id

if TYPE_CHECKING:
    from hub.referrals.types import ReferralType

AccreditationType = strawberry.enum(Accreditation, description="A facilitator's accreditation level.")

# The hours log, newest day first; the cursor carries the entry's day and id.
HOURS_ORDERING = Ordering(
    VolunteerHoursRow.worked_on,
    VolunteerHoursRow.id,
    True,
    lambda row: row.worked_on,
    encode=lambda day: day.isoformat(),
    decode=date.fromisoformat,
)


@strawberry.type(name="VolunteerHoursEntry", description="Hours a facilitator gave on one day, perhaps on one case.")
class VolunteerHoursEntryType:
    row: strawberry.Private[VolunteerHoursRow]
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    worked_on: date = strawberry.field(description="The day the hours were worked.")
    hours: float = strawberry.field(description="Hours worked that day, in quarter hours.")
    activity: str = strawberry.field(description="What the hours were spent on, in the facilitator's words.")
    recorded_at: datetime = strawberry.field(description="When the entry was logged.")

    @classmethod
    def from_row(cls, row: VolunteerHoursRow) -> VolunteerHoursEntryType:
        return cls(
            row=row,
            id=strawberry.ID(global_id("VolunteerHoursEntry", row.id)),
            worked_on=row.worked_on,
            hours=float(row.hours),
            activity=row.activity,
            recorded_at=row.recorded_at,
        )

    @strawberry.field(description="The case the hours were for: null when none was named, or you may not see it.")
    async def referral(self, info: Info) -> Annotated[ReferralType, strawberry.lazy("hub.referrals.types")] | None:
        if self.row.referral_id is None:
            return None
        from hub.referrals.types import ReferralType

        row = await info.context.loaders.referral_by_id.load(self.row.referral_id)
        return ReferralType.from_row(row) if row is not None else None


@strawberry.type(name="Facilitator", description="A volunteer or staff practitioner who works restorative cases.")
class FacilitatorType(relay.Node):
    id: relay.NodeID[str]
    row: strawberry.Private[FacilitatorRow]
    first_name: str = strawberry.field(description="First name.")
    full_name: str | None = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(description="Email address.")
    accreditation: AccreditationType | None = strawberry.field(description="TRAINEE or ACCREDITED.")
    sensitive_trained: bool | None = strawberry.field(
        description="Trained for sensitive or complex cases (sexual offences, domestic abuse, hate crime, "
        "homicide, a child involved)."
    )
    districts: list[str] | None = strawberry.field(description="Districts the facilitator works in.")
    active: bool | None = strawberry.field(description="Whether the facilitator currently takes cases.")

    @classmethod
    def from_row(cls, row: FacilitatorRow) -> FacilitatorType:
        return cls(
            id=str(row.id),
            row=row,
            first_name=FacilitatorRow.first_name.fget(row),  # type: ignore[attr-defined]  (rows may be records)
            full_name=row.full_name,
            email=row.email,
            accreditation=row.accreditation,
            sensitive_trained=row.sensitive_trained,
            districts=list(row.districts),
            active=row.active,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list:
        from hub.api.node import load_many

        return await load_many(info, info.context.loaders.facilitator_by_id, node_ids, cls.from_row)

    @strawberry.field(
        description=f"The hours log, newest day first, at most {MAX_PAGE_SIZE} entries a page. Service staff and "
        "the facilitator themself only."
    )
    async def volunteer_hours(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[VolunteerHoursEntryType] | None:  # type: ignore[type-var]  (entries are not nodes)
        size = PageArgs(first=first, after=after).size()
        cursor = decode_cursor(HOURS_ORDERING, after, "after") if after else None
        page = await info.context.loaders.volunteer_hours_by_facilitator.load((self.row.id, size, cursor))
        return to_connection(page, HOURS_ORDERING, VolunteerHoursEntryType.from_row)

    @strawberry.field(description="Every hour the facilitator has logged.")
    async def total_volunteer_hours(self, info: Info) -> float | None:
        return float(await info.context.loaders.volunteer_hours_total_by_facilitator.load(self.row.id))


@strawberry.input(description="A new facilitator for the register.")
class CreateFacilitatorInput:
    full_name: str = strawberry.field(description="Full name (up to 200 characters).")
    email: str | None = strawberry.field(
        default=None, description="Email address (up to 320 characters); no two facilitators share one."
    )
    accreditation: AccreditationType | None = strawberry.field(description="TRAINEE or ACCREDITED.")
    sensitive_trained: bool | None = strawberry.field(
        default=False, description="Trained for sensitive or complex cases; a TRAINEE cannot be."
    )
    districts: list[str] | None = strawberry.field(
        description="Districts they work in: 1 to 20, each up to 100 characters."
    )


@strawberry.input(description="Changes to a facilitator: only the fields given change; the same rules as on create.")
class UpdateFacilitatorInput:
    facilitator_id: strawberry.ID = strawberry.field(description="The facilitator's id.")
    full_name: str | None = strawberry.field(default=strawberry.UNSET, description="Full name (up to 200 characters).")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Email address (up to 320 characters); null removes it."
    )
    accreditation: AccreditationType | None = strawberry.field(
        default=strawberry.UNSET, description="TRAINEE or ACCREDITED."
    )
    sensitive_trained: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Trained for sensitive or complex cases; a TRAINEE cannot be."
    )
    districts: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Districts they work in (replaces the list): 1 to 20."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether they take cases; false takes them off the allocation list."
    )


@strawberry.input(description="Hours a facilitator gave on one day.")
class LogVolunteerHoursInput:
    facilitator_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Whose hours: required for the service's staff; a facilitator leaves it out (or gives their own).",
    )
    referral_id: strawberry.ID | None = strawberry.field(
        default=None, description="The case the hours were for, if one; it must be a case you may see."
    )
    worked_on: date = strawberry.field(description="The day worked: today or within the past year.")
    hours: float = strawberry.field(description="Hours worked, more than 0 and at most 24, in quarter hours.")
    activity: str = strawberry.field(description="What the hours were spent on (up to 200 characters).")
