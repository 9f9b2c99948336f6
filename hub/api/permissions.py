"""Field permissions: one small class per rule, reading the principal from the typed context.

A denied nullable field resolves to null with a FORBIDDEN error at its path; the rest of the response stands.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from hub.api.context import Info
from hub.api.errors import ErrorCode
from hub.auth.scopes import Role
from hub.referrals.models import ParticipantRole


class _Rule(BasePermission):
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}


class WorksTheCase(_Rule):
    """Service staff, and facilitators (who only ever see cases allocated to them)."""

    message = "Only the RJ service's staff and the case's facilitators may read this field."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal.is_service_staff or Role.FACILITATOR in principal.roles


class SeesParticipantPersonalDetails(_Rule):
    """Date of birth and needs: not of a harmed party for agencies that work with the responsible party."""

    message = "Agencies working with the responsible party may not read a harmed party's personal details."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal.is_service_staff or Role.FACILITATOR in principal.roles:
            return True
        return not (principal.works_with_responsible_party and source.role == ParticipantRole.HARMED)
