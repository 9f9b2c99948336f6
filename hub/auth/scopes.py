"""Roles and OAuth scopes, and the one table that says what each role may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REFERRER = "REFERRER"
    FACILITATOR = "FACILITATOR"
    COORDINATOR = "COORDINATOR"
    MANAGER = "MANAGER"
    AUDITOR = "AUDITOR"


class Scope(StrEnum):
    REFERRALS_READ = "referrals:read"
    REFERRALS_WRITE = "referrals:write"
    CASEWORK = "casework"
    FACILITATORS_MANAGE = "facilitators:manage"
    STATISTICS_READ = "statistics:read"
    AUDIT_READ = "audit:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
    ADMIN = "admin"


_COORDINATOR = frozenset(
    {
        Scope.REFERRALS_READ,
        Scope.REFERRALS_WRITE,
        Scope.CASEWORK,
        Scope.FACILITATORS_MANAGE,
        Scope.WEBHOOKS_MANAGE,
        Scope.ADMIN,
    }
)

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.REFERRER: frozenset({Scope.REFERRALS_READ, Scope.REFERRALS_WRITE, Scope.WEBHOOKS_MANAGE}),
    Role.FACILITATOR: frozenset({Scope.REFERRALS_READ, Scope.CASEWORK}),
    Role.COORDINATOR: _COORDINATOR,
    Role.MANAGER: _COORDINATOR | {Scope.STATISTICS_READ, Scope.AUDIT_READ},
    Role.AUDITOR: frozenset({Scope.STATISTICS_READ, Scope.AUDIT_READ}),
}

# Roles of the RJ service's own staff: they see every referral.
SERVICE_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER})


def scopes_for(roles: frozenset[Role] | set[Role]) -> frozenset[Scope]:
    """Every scope that at least one of the roles grants."""
    return frozenset().union(*(ROLE_SCOPES[role] for role in roles))


def role_table_markdown() -> str:
    """The role table as Markdown, for the README and the schema docs."""
    scopes = list(Scope)
    lines = ["| role | " + " | ".join(s.value for s in scopes) + " |", "|---" * (len(scopes) + 1) + "|"]
    for role, granted in ROLE_SCOPES.items():
        lines.append(f"| {role.value} | " + " | ".join("✓" if s in granted else "" for s in scopes) + " |")
    return "\n".join(lines)
