"""Thin mutations of the facilitators domain: call one service function, shape the payload.

Who may call each is the permission class on the field, checked before anything runs.
"""

from __future__ import annotations

import strawberry

from hub.api.context import Info
from hub.api.mutations import UserError, attempt
from hub.api.permissions import DoesCaseWork, ManagesFacilitators
from hub.facilitators import service
from hub.facilitators.models import Facilitator
from hub.facilitators.types import (
    CreateFacilitatorInput,
    FacilitatorType,
    LogVolunteerHoursInput,
    UpdateFacilitatorInput,
    VolunteerHoursEntryType,
)

ERRORS = "Why the change was refused; empty when it was made. Nothing is changed when it is not empty."


def _facilitator(row: Facilitator | None) -> FacilitatorType | None:
    return FacilitatorType.from_row(row) if row is not None else None


@strawberry.type(description="The result of createFacilitator.")
class CreateFacilitatorPayload:
    facilitator: FacilitatorType | None = strawberry.field(description="The new facilitator; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of updateFacilitator.")
class UpdateFacilitatorPayload:
    facilitator: FacilitatorType | None = strawberry.field(
        description="The facilitator after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of logVolunteerHours.")
class LogVolunteerHoursPayload:
    entry: VolunteerHoursEntryType | None = strawberry.field(description="The entry logged; null when refused.")
    facilitator: FacilitatorType | None = strawberry.field(
        description="The facilitator whose hours were logged (with the new total); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The facilitator register and volunteer hours.")
class FacilitatorMutation:
    @strawberry.mutation(
        description=f"Add a facilitator to the register. {ManagesFacilitators.__doc__}",
        permission_classes=[ManagesFacilitators],
    )
    async def create_facilitator(self, info: Info, input: CreateFacilitatorInput) -> CreateFacilitatorPayload | None:
        row, errors = await attempt(info, service.create_facilitator, input)
        return CreateFacilitatorPayload(facilitator=_facilitator(row), user_errors=errors)

    @strawberry.mutation(
        description=f"Change a facilitator's details; fields left out stay as they are. {ManagesFacilitators.__doc__}",
        permission_classes=[ManagesFacilitators],
    )
    async def update_facilitator(self, info: Info, input: UpdateFacilitatorInput) -> UpdateFacilitatorPayload | None:
        row, errors = await attempt(info, service.update_facilitator, input)
        return UpdateFacilitatorPayload(facilitator=_facilitator(row), user_errors=errors)

    @strawberry.mutation(
        description="Log hours a facilitator gave: a facilitator logs their own, the service's staff anyone's. "
        "Facilitators and the service's staff (COORDINATOR, MANAGER) only.",
        permission_classes=[DoesCaseWork],
    )
    async def log_volunteer_hours(self, info: Info, input: LogVolunteerHoursInput) -> LogVolunteerHoursPayload | None:
        result, errors = await attempt(info, service.log_volunteer_hours, input)
        if result is None:
            return LogVolunteerHoursPayload(entry=None, facilitator=None, user_errors=errors)
        entry, facilitator = result
        # Totals and pages read earlier in this request no longer hold.
        info.context.loaders.volunteer_hours_total_by_facilitator.clear_all()
        info.context.loaders.volunteer_hours_by_facilitator.clear_all()
        return LogVolunteerHoursPayload(
            entry=VolunteerHoursEntryType.from_row(entry), facilitator=_facilitator(facilitator), user_errors=errors
        )
