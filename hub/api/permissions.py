"""Who may call what: one small permission class per rule, reading the principal from the typed context.

Checked before the resolver runs, so a refused call changes nothing; the caller gets null and a FORBIDDEN error.
Who may *read* which field is the table in hub/api/access.py.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from hub.api.context import Info
from hub.api.errors import ErrorCode
from hub.auth.principal import Principal
from hub.auth.scopes import Scope


class _Rule(BasePermission):
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}


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


class ReadsStatistics(_MayCall):
    """MANAGER and AUDITOR (scope statistics:read): the service's figures, which identify no case."""

    message = "Only the RJ service's manager and auditors may read the service's statistics."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.STATISTICS_READ)


class Administers(_MayCall):
    """COORDINATOR and MANAGER (scope admin): agencies and OAuth clients."""

    message = "Only the RJ service's co-ordinators and manager may administer agencies and clients."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.ADMIN)


class ReadsAuditLog(_MayCall):
    """MANAGER and AUDITOR (scope audit:read): the audit trail."""

    message = "Only the RJ service's manager and auditors may read the audit log."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.AUDIT_READ)


class ManagesWebhooks(_MayCall):
    """Partners and the RJ service's staff (scope webhooks:manage): webhook subscriptions and their deliveries."""

    message = "Only clients with the scope webhooks:manage may manage webhook subscriptions."

    def allows(self, principal: Principal) -> bool:
        return principal.has_scope(Scope.WEBHOOKS_MANAGE)
