"""Input objects of the agencies domain's mutations."""

from __future__ import annotations

import strawberry

import hub.agencies.types  # noqa: F401  (registers AgencyKind with Strawberry)
from hub.agencies.models import AgencyKind


@strawberry.input(description="A partner agency (or the RJ service) to register.")
class CreateAgencyInput:
    name: str = strawberry.field(description="The agency's name, unique in the hub (up to 200 characters).")
    kind: AgencyKind = strawberry.field(description="What kind of agency it is.")
    districts: list[str] = strawberry.field(
        default_factory=list, description="The districts it covers (up to 50, each up to 100 characters)."
    )
