"""Generated from the access table: for every role and agency kind, every field a case is read through is
present when the table allows it and null with FORBIDDEN when it does not. A field without a rule fails."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry import relay

from hub.agencies.models import AgencyKind
from hub.api.access import FIELD_RULES
from hub.api.schema import GOVERNED_TYPES, build_schema
from hub.auth.principal import Principal
from hub.auth.scopes import SERVICE_ROLES, Role, scopes_for
from hub.facilitators.models import Allocation, VolunteerHours
from hub.ids import global_id
from hub.referrals.models import (
    ActionKind,
    AgreementAction,
    Assessment,
    AssessmentOutcome,
    ContactAttempt,
    ContactMethod,
    Feedback,
    Outcome,
    OutcomeAgreement,
    ParticipantRole,
    Respondent,
    RestorativeSession,
    SessionStatus,
    Stage,
    StageEvent,
)
from tests.factories import (
    create_agency,
    create_client,
    create_facilitator,
    create_participant,
    create_referral,
    graphql,
    token_for,
)

SCHEMA: GraphQLSchema = build_schema()._schema
PLUMBING = ("Connection", "Edge", "PageInfo")
# Fields the case built below leaves empty by the nature of the process (a closed case was never declined).
EMPTY_BY_NATURE = {("Referral", "declineReason"), ("Referral", "declineNote")}


def object_type(field_type: Any) -> GraphQLObjectType | None:
    named = get_named_type(field_type)
    return named if isinstance(named, GraphQLObjectType) else None


def governed(name: str) -> bool:
    return not name.endswith(PLUMBING)


def reachable_from(root: str) -> list[GraphQLObjectType]:
    """Every object type a case is read through, plumbing of connections passed through."""
    found: dict[str, GraphQLObjectType] = {}
    queue = [SCHEMA.type_map[root]]
    while queue:
        current = queue.pop()
        if current.name in found:
            continue
        found[current.name] = current
        queue.extend(t for f in current.fields.values() if (t := object_type(f.type)) is not None)
    return [t for name, t in found.items() if governed(name)]


def test_every_field_a_case_is_read_through_has_a_rule():
    missing = [
        f"{t.name}.{field}"
        for t in reachable_from("Referral")
        for field in t.fields
        if field not in FIELD_RULES.get(t.name, {})
    ]
    assert missing == []


def test_the_table_names_only_fields_that_exist_and_every_governed_type():
    stale = [
        f"{name}.{field}"
        for name, rules in FIELD_RULES.items()
        for field in rules
        if field not in SCHEMA.type_map[name].fields  # type: ignore[union-attr]
    ]
    assert stale == []
    assert {t.__strawberry_definition__.name for t in GOVERNED_TYPES} == set(FIELD_RULES)
    assert {t.name for t in reachable_from("Referral")} <= set(FIELD_RULES)


def selection(type_: GraphQLObjectType, expanded: set[str]) -> str:
    """Every field of the type; each object type spelled out once, later occurrences as __typename."""
    expanded.add(type_.name)
    parts = []
    for name, field in type_.fields.items():
        inner = object_type(field.type)
        if inner is None:
            parts.append(name)
        elif inner.name in expanded:
            parts.append(f"{name} {{ __typename }}")
        else:
            parts.append(f"{name} {{ {selection(inner, expanded)} }}")
    return " ".join(parts)


CASE_FIELDS = selection(SCHEMA.type_map["Referral"], set())  # type: ignore[arg-type]
CASE_QUERY = f"query Case($id: ID!) {{ node(id: $id) {{ ... on Referral {{ {CASE_FIELDS} }} }} }}"


def principals() -> list[tuple[Role, AgencyKind]]:
    combos = []
    for role in Role:
        kinds = [AgencyKind.RJ_SERVICE] if role in SERVICE_ROLES else list(AgencyKind)
        combos.extend((role, kind) for kind in kinds)
    return combos


async def build_case(session, agency, facilitator) -> Any:
    """A closed case with every part of the record filled in: parties, history, work, agreement, feedback."""
    now = datetime.now(UTC)
    referral = await create_referral(
        session,
        agency,
        stage=Stage.CLOSED,
        outcome=Outcome.RESOLVED,
        closed_at=now,
        approach="LETTER_EXCHANGE",
        sensitivity=["DOMESTIC_ABUSE"],
        referrer_phone="01206 555000",
    )
    harmed = await create_participant(
        session,
        referral,
        ParticipantRole.HARMED,
        preferred_contact=ContactMethod.PHONE,
        accessibility_needs="Step-free",
    )
    responsible = await create_participant(
        session,
        referral,
        ParticipantRole.RESPONSIBLE,
        custody_establishment="HMP Chelmsford",
        prison_number="A1234BC",
        accessibility_needs="Large print",
        preferred_contact=ContactMethod.VIA_PRISON,
        withdrawn_at=now,
    )
    session.add(Allocation(referral_id=referral.id, facilitator_id=facilitator.id))
    for person in (harmed, responsible):
        session.add(
            ContactAttempt(
                referral_id=referral.id,
                participant_id=person.id,
                method=ContactMethod.PHONE,
                successful=True,
                recorded_by="Robin",
                note="Reached.",
            )
        )
        session.add(
            Assessment(
                referral_id=referral.id,
                participant_id=person.id,
                outcome=AssessmentOutcome.SAFE,
                assessed_on=date.today(),
                review_date=date.today() + timedelta(days=30),
                assessed_by="Robin",
                notes="Safe.",
            )
        )
    session.add(
        RestorativeSession(
            referral_id=referral.id,
            approach="LETTER_EXCHANGE",
            scheduled_for=now,
            location="Library",
            status=SessionStatus.HELD,
            held_at=now,
            notes="Letters exchanged.",
        )
    )
    agreement = OutcomeAgreement(referral_id=referral.id, agreed_on=date.today(), notes="Agreed.")
    session.add(agreement)
    await session.flush()
    session.add(
        AgreementAction(
            agreement_id=agreement.id,
            kind=ActionKind.APOLOGY,
            description="Letter of apology",
            owner_role=ParticipantRole.RESPONSIBLE,
            due_on=date.today(),
            status="DONE",
            settled_at=now,
            note="Sent.",
        )
    )
    session.add(
        Feedback(
            referral_id=referral.id,
            respondent=Respondent.PARTICIPANT,
            participant_id=harmed.id,
            satisfied=True,
            comments="Helpful.",
        )
    )
    session.add(
        VolunteerHours(
            facilitator_id=facilitator.id,
            referral_id=referral.id,
            worked_on=date.today(),
            hours=Decimal("2.5"),
            activity="Letter exchange",
        )
    )
    session.add(Feedback(referral_id=referral.id, respondent=Respondent.REFERRER, would_recommend=True))
    closing = StageEvent(
        referral_id=referral.id,
        from_stage=Stage.AGREEMENT_MONITORING,
        to_stage=Stage.CLOSED,
        at=now,
        actor_name="Alex Coordinator",
        note="Every action done.",
    )
    session.add(closing)
    await session.flush()
    return referral


def source_of(type_name: str, value: dict[str, Any]) -> Any:
    """Enough of the object for a rule to decide: a participant's role, a facilitator's id."""
    row_id = (
        uuid.UUID(relay.GlobalID.from_id(value["id"]).node_id) if "id" in value and type_name == "Facilitator" else None
    )
    role = ParticipantRole(value["role"]) if type_name == "Participant" else None
    return SimpleNamespace(role=role, row=SimpleNamespace(id=row_id))


class Checker:
    """Walks the response along the schema, comparing every governed field with the table."""

    def __init__(self, principal: Principal, forbidden: set[tuple]) -> None:
        self.principal, self.forbidden = principal, forbidden
        self.present: dict[tuple[str, str], bool] = {}

    def object(self, type_: GraphQLObjectType, value: dict[str, Any], path: tuple) -> None:
        rules = FIELD_RULES.get(type_.name)
        for name, field in type_.fields.items():
            if name not in value:
                continue
            if rules is not None:
                self.field(
                    type_.name,
                    name,
                    rules[name].allows(self.principal, source_of(type_.name, value)),
                    value[name],
                    (*path, name),
                )
            self.nested(field.type, value[name], (*path, name))

    def field(self, type_name: str, name: str, allowed: bool, value: Any, path: tuple) -> None:
        if allowed:
            assert path not in self.forbidden, f"{type_name}.{name} at {path} was refused but the table allows it"
            key = (type_name, name)
            self.present[key] = self.present.get(key, False) or value not in (None, [])
        else:
            assert value is None and path in self.forbidden, f"{type_name}.{name} at {path} should be FORBIDDEN"

    def nested(self, field_type: Any, value: Any, path: tuple) -> None:
        inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        if value is None:
            return
        if isinstance(inner, GraphQLList):
            for index, item in enumerate(value):
                self.nested(inner.of_type, item, (*path, index))
        elif isinstance(inner, GraphQLObjectType) and "__typename" not in value:
            self.object(inner, value, path)


@pytest.mark.parametrize(("role", "kind"), principals(), ids=lambda v: v.value)
async def test_each_field_is_readable_exactly_as_the_table_says(http, session, role, kind):
    agency = await create_agency(session, kind)
    person = await create_facilitator(
        session,
        full_name="Robin Hale",
        email=f"robin-{uuid.uuid4().hex[:6]}@rj.example.org",
        sensitive_trained=True,
        districts=["Colchester"],
    )
    referral = await build_case(session, agency, person)
    acting_for = person if role == Role.FACILITATOR else None
    issued = await create_client(session, agency, {role}, facilitator=acting_for)
    result = await graphql(http, await token_for(http, issued), CASE_QUERY, {"id": global_id("Referral", referral.id)})
    principal = Principal(
        agency.id,
        kind,
        issued.client.client_id,
        issued.client.client_id,
        frozenset({role}),
        scopes_for({role}),
        facilitator_id=acting_for.id if acting_for else None,
    )
    if role == Role.AUDITOR:
        assert result["data"] == {"node": None}
        assert [e["extensions"]["code"] for e in result["errors"]] == ["NOT_FOUND"]
        return
    errors = result.get("errors", [])
    assert {e["extensions"]["code"] for e in errors} <= {"FORBIDDEN"}
    checker = Checker(principal, {tuple(e["path"][1:]) for e in errors})
    checker.object(SCHEMA.type_map["Referral"], result["data"]["node"], ())  # type: ignore[arg-type]
    empty = sorted(key for key, seen in checker.present.items() if not seen and key not in EMPTY_BY_NATURE)
    assert empty == [], "allowed fields that came back empty: the case built above should fill every one"
    assert len(errors) == len(checker.forbidden)
