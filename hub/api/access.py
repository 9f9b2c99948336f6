"""Who may read what: the one table of field rules (DESIGN §4), applied to the schema's types when it is built.

Rows are filtered in SQL before any of this (a row you may not see is NOT_FOUND). For a row you may see, these
rules decide by role, agency kind and Type.field which fields you may read. A denied field resolves to null with a
FORBIDDEN error at its path, and the rest of the response stands. Each field's description ends with who may read
it, printed from this table. Reading a restricted field is remembered for the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.base import StrawberryOptional
from strawberry.types.private import is_private
from strawberry.utils.str_converters import to_camel_case

from hub.api.context import Info
from hub.api.errors import ErrorCode
from hub.auth.principal import Principal
from hub.auth.scopes import Role
from hub.referrals.models import ParticipantRole


@dataclass(frozen=True)
class Rule:
    """Who may read a field: `readers` in words (printed into the schema), `allows` as code."""

    readers: str
    allows: Callable[[Principal, Any], bool]
    # Reading the field is reading restricted personal data: the audit trail records it.
    restricted: bool = True


def works_the_case(principal: Principal) -> bool:
    """Service staff, and facilitators (who only ever see the cases allocated to them)."""
    return principal.is_service_staff or Role.FACILITATOR in principal.roles


def shields_harmed_party(principal: Principal, participant: Any) -> bool:
    """Prisons, probation and youth offending teams never see a harmed party's personal details."""
    return principal.works_with_responsible_party and participant.role == ParticipantRole.HARMED


def is_self(principal: Principal, facilitator: Any) -> bool:
    return principal.facilitator_id is not None and principal.facilitator_id == facilitator.row.id


EVERYONE = Rule("everyone who may see the record", lambda p, s: True, restricted=False)
CASE_WORKERS = Rule("the RJ service's staff and the case's facilitators", lambda p, s: works_the_case(p))
SERVICE_STAFF = Rule("the RJ service's co-ordinators and manager", lambda p, s: p.is_service_staff)
PERSONAL_DETAILS = Rule(
    "everyone who may see the case, except that prisons, probation and youth offending teams never see a harmed "
    "party's",
    lambda p, s: not shields_harmed_party(p, s),
)
CONTACT_DETAILS = Rule(
    "the RJ service's staff and the case's facilitators (never a referrer; never a prison, probation or youth "
    "offending team for a harmed party)",
    lambda p, s: works_the_case(p) and not shields_harmed_party(p, s),
)
STAFF_OR_SELF = Rule(
    "the RJ service's co-ordinators and manager, and the facilitator themself",
    lambda p, s: p.is_service_staff or is_self(p, s),
)


def _fields(**by_rule: str) -> dict[str, Rule]:
    rules = {"everyone": EVERYONE, "case_workers": CASE_WORKERS, "service_staff": SERVICE_STAFF}
    rules |= {"personal": PERSONAL_DETAILS, "contact": CONTACT_DETAILS, "staff_or_self": STAFF_OR_SELF}
    return {name: rules[rule] for rule, names in by_rule.items() for name in names.split()}


# The table: GraphQL type → field → rule. A field of a governed type with no rule here fails the schema build.
FIELD_RULES: dict[str, dict[str, Rule]] = {
    "Referral": _fields(
        everyone="id reference agencyReference referringAgency referrer district incidentKind offenceCategory "
        "sensitivity reportedToPolice responsibilityAdmitted summary participants stage version stageHistory "
        "facilitators agreement outcome approach declineReason submittedAt updatedAt closedAt",
        case_workers="contactAttempts assessments sessions declineNote",
        service_staff="feedback",
    ),
    "Referrer": _fields(everyone="name email phone"),
    "Participant": _fields(
        everyone="id role fullName isChild consent withdrawnAt custody",
        personal="dateOfBirth needs",
        contact="contact preferredContact",
    ),
    "ContactDetails": _fields(everyone="phone email address"),
    "Needs": _fields(everyone="interpreterLanguage accessibility"),
    "Custody": _fields(everyone="establishment prisonNumber"),
    "StageEvent": _fields(everyone="stage from to at", case_workers="note actor"),
    "Facilitator": _fields(
        everyone="id firstName",
        case_workers="fullName accreditation sensitiveTrained districts active",
        service_staff="email",
        staff_or_self="volunteerHours totalVolunteerHours",
    ),
    "VolunteerHoursEntry": _fields(everyone="id workedOn hours activity recordedAt referral"),
    "ContactAttempt": _fields(everyone="participant method successful attemptedAt recordedBy note"),
    "Assessment": _fields(everyone="participant outcome assessedOn reviewDate assessedBy notes"),
    "RestorativeSession": _fields(everyone="id approach scheduledFor location status heldAt notes"),
    "OutcomeAgreement": _fields(everyone="agreedOn actions", case_workers="notes"),
    "AgreementAction": _fields(everyone="id kind description ownerRole dueOn status settledAt", case_workers="note"),
    "Feedback": _fields(everyone="respondent participant satisfied wouldRecommend comments receivedAt"),
    "Agency": _fields(everyone="id name kind districts"),
    "ReferralStageChange": _fields(everyone="referral from to at"),
}


class FieldRule(BasePermission):
    """Enforces one rule of the table on one field; remembers restricted reads for the audit trail."""

    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    def __init__(self, rule: Rule, type_name: str, field_name: str) -> None:
        self.rule, self.type_name, self.field_name = rule, type_name, field_name
        self.message = f"Only {rule.readers} may read {type_name}.{field_name}."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        (allowed,) = self.allows_each(info.context, [source])
        return allowed

    def allows_each(self, context: Any, sources: list[Any]) -> list[bool]:
        """has_permission for the field of many objects at once (hub.api.compiled completes a level's objects
        together): whether the request's principal may read it on each, each read allowed noted for the audit."""
        principal, allows = context.principal, self.rule.allows
        allowed = [allows(principal, source) for source in sources]
        if self.rule.restricted:
            for source, may in zip(sources, allowed, strict=True):
                if may:
                    context.note_read(self.type_name, record_id(source), self.field_name)
        return allowed


def record_id(source: Any) -> object:
    row = getattr(source, "row", None)
    return getattr(row, "id", None) or getattr(source, "id", None)


def rule_for(type_name: str, field_name: str) -> Rule:
    """The rule of one field; a governed field without a rule is a mistake the schema build refuses."""
    try:
        return FIELD_RULES[type_name][field_name]
    except KeyError:
        raise LookupError(f"{type_name}.{field_name} has no access rule in hub/api/access.py") from None


def govern(types: Iterable[type]) -> None:
    """Attach each field's rule (permission and description) to the types, once, before the schema is built."""
    for strawberry_type in types:
        definition = strawberry_type.__strawberry_definition__  # type: ignore[attr-defined]
        if getattr(definition, "_governed", False):
            continue
        for field in definition.fields:
            if is_private(field.type):
                continue
            name = field.graphql_name or to_camel_case(field.python_name)
            _apply(field, definition.name, name, rule_for(definition.name, name))
        definition._governed = True


def _apply(field: Any, type_name: str, name: str, rule: Rule) -> None:
    described = (field.description or "").strip()
    if described and not described.endswith("."):
        described += "."
    field.description = f"{described} Readable by {rule.readers}.".strip()
    if rule is EVERYONE:
        return
    if not isinstance(field.type, StrawberryOptional):
        raise TypeError(f"{type_name}.{name} is restricted, so it must be nullable (a denial reads as null)")
    field.extensions.append(PermissionExtension([FieldRule(rule, type_name, name)], use_directives=False))
