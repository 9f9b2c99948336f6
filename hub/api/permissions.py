"""Field permissions: one small class per rule, reading the principal from the typed context.

A denied nullable field resolves to null with a FORBIDDEN error at its path; the rest of the response stands.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from hub.api.context import Info
from hub.api.errors import ErrorCode
from hub.auth.principal import Principal
from hub.auth.scopes import Role, Scope
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


class StaffOrTheFacilitator(_Rule):
    """The service's staff, and a facilitator reading their own record (e.g. their volunteer hours)."""

    message = "Only the RJ service's staff and the facilitator themself may read this field."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        acting_for = principal.facilitator_id
        return principal.is_service_staff or (acting_for is not None and acting_for == source.row.id)


class _MayCall(_Rule):
    """Who may call a mutation: checked before the resolver runs, so a refused call changes nothing."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return self.allows(info.context.principal)

    def allows(self, principal: Principal) -> bool:
        raise NotImplementedError


class MayRefer(_MayCall):
    """REFERRER, COORDINATOR, MANAGER: submit referrals, and withdraw your own agency's."""

    message = "Only referrers and the RJ service's staff may submit or withdraw referrals."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.REFERRALS_WRITE)


class DoesCaseWork(_MayCall):
    """Facilitators (on cases allocated to them) and the service's staff: contact, assessments, sessions."""

    message = "Only the RJ service's staff and the case's facilitators may record case work."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.CASEWORK)


class CoordinatesCases(_MayCall):
    """COORDINATOR and MANAGER: triage, allocation, stage changes, agreements, closing."""

    message = "Only the RJ service's co-ordinators and manager may do this."

    def allows(self, principal: Principal) -> bool:
        return principal.is_service_staff and principal.has_scope(Scope.CASEWORK)


class ManagesFacilitators(_MayCall):
    """COORDINATOR and MANAGER: the facilitator register."""

    message = "Only the RJ service's co-ordinators and manager may manage facilitators."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.FACILITATORS_MANAGE)


class ServiceStaffOnly(_Rule):
    """COORDINATOR and MANAGER: e.g. individual feedback answers, a facilitator's email."""

    message = "Only the RJ service's co-ordinators and manager may read this field."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.is_service_staff


class ReadsStatistics(_MayCall):
    """MANAGER and AUDITOR (scope statistics:read): the service's figures, which identify no case."""

    message = "Only the RJ service's manager and auditors may read the service's statistics."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.STATISTICS_READ)
