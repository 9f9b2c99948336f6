"""The principal a request acts for: an agency (and, for a portal, a person in it) with roles and scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hub.agencies.models import RESPONSIBLE_SIDE_KINDS, AgencyKind
from hub.auth.scopes import SERVICE_ROLES, Role, Scope


@dataclass(frozen=True, slots=True)
class Principal:
    agency_id: uuid.UUID
    agency_kind: AgencyKind
    client_id: str
    subject: str
    roles: frozenset[Role]
    scopes: frozenset[Scope]
    token_id: str | None = None
    # Set when the principal is a person who is a facilitator (portal sign-in); clients have none.
    facilitator_id: uuid.UUID | None = None
    # Set when the principal is a person signed in through a portal (the token's subject).
    user_id: uuid.UUID | None = None
    # The client's own GraphQL rate limit (points a minute), when it has one; else the hub's default.
    rate_limit_per_minute: int | None = None
    # COORDINATOR or MANAGER: the RJ service's own staff, who see every referral. Worked out once from the roles:
    # the field rules ask it some forty times in a read of one case.
    is_service_staff: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_service_staff", bool(self.roles & SERVICE_ROLES))

    @property
    def works_with_responsible_party(self) -> bool:
        """Prisons, probation and youth offending teams never see a harmed party's personal details."""
        return self.agency_kind in RESPONSIBLE_SIDE_KINDS

    def has_scope(self, scope: Scope) -> bool:
        return scope in self.scopes
