"""Compiled completion (hub/api/compiled.py) answers exactly as graphql-core does: the same data in the same key
order, the same errors at the same paths, for every principal; and it is the path the hot queries take."""

from __future__ import annotations

import json
import uuid
from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa
import strawberry
from strawberry import relay
from strawberry.permission import PermissionExtension

from bench.scenarios import CASE as BENCH_CASE
from hub.api.access import FieldRule, Rule
from hub.api.compiled import CompiledExecutionContext
from hub.audit.models import AuditAction, AuditEntry
from hub.auth.scopes import Role
from hub.ids import global_id
from hub.referrals.models import ParticipantRole
from tests.api.test_field_rules import CASE_QUERY, build_case, principals
from tests.factories import (
    create_agency,
    create_client,
    create_facilitator,
    create_participant,
    create_referral,
    graphql,
    token_for,
)


def canonical(result: dict[str, Any]) -> tuple[str, list]:
    """The data as sent (key order included) and the errors by path (their order is not part of the contract)."""
    errors = sorted(
        ((e.get("path"), e["message"], e.get("extensions", {}).get("code")) for e in result.get("errors", [])),
        key=json.dumps,
    )
    return json.dumps(result.get("data")), errors


@pytest.fixture
def compiled_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The root fields whose values the compiled plans completed without falling back to graphql-core."""
    runs: list[str] = []
    run_compiled, fall_back = CompiledExecutionContext.run_compiled, CompiledExecutionContext.fall_back

    async def spy_run(self, completion, return_type, details, info, *rest):
        runs.append(info.field_name)
        return await run_compiled(self, completion, return_type, details, info, *rest)

    async def spy_fall_back(self, return_type, details, info, *rest):
        runs.remove(info.field_name)
        return await fall_back(self, return_type, details, info, *rest)

    monkeypatch.setattr(CompiledExecutionContext, "run_compiled", spy_run)
    monkeypatch.setattr(CompiledExecutionContext, "fall_back", spy_fall_back)
    return runs


async def both_ways(
    http, token: str, query: str, variables: dict[str, Any], monkeypatch, session=None
) -> tuple[dict, dict]:
    """The answer completed by the plans and by graphql-core; with a session, also the restricted reads each noted
    for the audit trail (the records of the CONSULTATION entry each request wrote), which must be the same."""
    compiled = await graphql(http, token, query, variables)
    compiled_reads = await last_consultation(session) if session is not None else None
    monkeypatch.setattr(CompiledExecutionContext, "enabled", False)
    try:
        plain = await graphql(http, token, query, variables)
    finally:
        monkeypatch.setattr(CompiledExecutionContext, "enabled", True)
    if session is not None:
        assert compiled_reads == await last_consultation(session)
    return compiled, plain


async def last_consultation(session) -> Any:
    statement = (
        sa.select(AuditEntry.id, AuditEntry.records)
        .where(AuditEntry.action == AuditAction.CONSULTATION)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    )
    row = (await session.execute(statement)).first()
    return row.records if row is not None else None


@pytest.mark.parametrize(("role", "kind"), principals(), ids=lambda v: v.value)
async def test_a_whole_case_reads_the_same_for_every_principal(http, session, monkeypatch, compiled_runs, role, kind):
    agency = await create_agency(session, kind)
    person = await create_facilitator(
        session, full_name="Robin Hale", email=f"robin-{uuid.uuid4().hex[:6]}@rj.example.org", sensitive_trained=True
    )
    referral = await build_case(session, agency, person)
    issued = await create_client(session, agency, {role}, facilitator=person if role == Role.FACILITATOR else None)
    token = await token_for(http, issued)
    variables = {"id": global_id("Referral", referral.id)}
    # Every field there is: a facilitator's volunteerHours takes arguments, so graphql-core completes this one.
    compiled, plain = await both_ways(http, token, CASE_QUERY, variables, monkeypatch)
    assert canonical(compiled) == canonical(plain)
    assert compiled_runs == []
    # What the benchmark reads (all a co-ordinator sees): compiled, unless the principal may not see the case.
    compiled, plain = await both_ways(http, token, BENCH_CASE, variables, monkeypatch, session)
    assert canonical(compiled) == canonical(plain)
    assert compiled_runs == ([] if role == Role.AUDITOR else ["node"])


LIST = """
query Mine($first: Int!) {
  referrals(first: $first) {
    edges { cursor node { __typename id reference stage version submittedAt
                          history: stageHistory { from to at note } ...Parties } }
    pageInfo { hasNextPage endCursor }
  }
}
fragment Parties on Referral { participants { id role fullName contact { phone } } referringAgency { name kind } }"""


async def test_the_list_is_compiled_and_reads_the_same(http, session, monkeypatch, compiled_runs):
    agency = await create_agency(session)
    for _ in range(3):
        referral = await create_referral(session, agency)
        await create_participant(session, referral, ParticipantRole.HARMED)
        await create_participant(session, referral, ParticipantRole.RESPONSIBLE)
    issued = await create_client(session, agency, {Role.REFERRER})
    token = await token_for(http, issued)
    compiled, plain = await both_ways(http, token, LIST, {"first": 2}, monkeypatch)
    assert compiled_runs == ["referrals"]
    assert canonical(compiled) == canonical(plain)
    assert len(compiled["data"]["referrals"]["edges"]) == 2
    # a referrer reads neither contact details nor stage notes: each is null with FORBIDDEN, at its own path
    refused = {(e["path"][2], e["path"][-3], e["path"][-2], e["path"][-1]) for e in compiled["errors"]}
    contacts = {(edge, "participants", i, "contact") for edge in range(2) for i in range(2)}
    notes = {(edge, "history", 0, "note") for edge in range(2)}
    assert refused == contacts | notes
    assert {e["extensions"]["code"] for e in compiled["errors"]} == {"FORBIDDEN"}


@pytest.mark.parametrize("batch_gives", ["its values", "too few values", "an error"])
async def test_a_page_asks_for_its_parts_once(http, session, monkeypatch, compiled_runs, batch_gives):
    """The parts of a page of cases (participants, history) are asked for once a level for the whole page, not
    once a case; a batch that does not give one value a case leaves the page to graphql-core, which reads the
    same."""
    from hub.api.compiled import BATCH
    from hub.referrals.types import ReferralType

    agency = await create_agency(session)
    for _ in range(3):
        referral = await create_referral(session, agency)
        await create_participant(session, referral, ParticipantRole.HARMED)
    token = await token_for(http, await create_client(session, agency, {Role.REFERRER}))
    definition = ReferralType.__strawberry_definition__
    asked: list[tuple[str, int]] = []
    for name in ("participants", "stage_history"):
        resolver = definition.get_field(name).base_resolver.wrapped_func
        batch = getattr(resolver, BATCH)

        async def counted(cases, info, batch=batch, name=name):
            asked.append((name, len(cases)))
            values = await batch(cases, info)
            if batch_gives == "too few values":
                return values[1:]
            if batch_gives == "an error":
                raise RuntimeError("the batch failed")
            return values

        monkeypatch.setattr(resolver, BATCH, counted)
    query = f"query {batch_gives.replace(' ', '_').title()} {{ referrals(first: 3) {{ edges {{ node {{ reference "
    query += "participants { role } stageHistory { to } } } } }"
    compiled, plain = await both_ways(http, token, query, {}, monkeypatch)
    assert sorted(asked) == [("participants", 3), ("stage_history", 3)]  # the compiled run's only asks
    assert canonical(compiled) == canonical(plain)
    assert [len(edge["node"]["participants"]) for edge in compiled["data"]["referrals"]["edges"]] == [1, 1, 1]
    assert compiled_runs == (["referrals"] if batch_gives == "its values" else [])


async def test_a_directive_leaves_the_selection_to_graphql_core(http, session, monkeypatch, compiled_runs):
    agency = await create_agency(session)
    await create_referral(session, agency)
    token = await token_for(http, await create_client(session, agency, {Role.REFERRER}))
    query = "query($all: Boolean!) { referrals(first: 5) { edges { node { id stage @include(if: $all) } } } }"
    compiled, plain = await both_ways(http, token, query, {"all": False}, monkeypatch)
    assert compiled_runs == []
    assert canonical(compiled) == canonical(plain)
    assert "stage" not in compiled["data"]["referrals"]["edges"][0]["node"]


# A small schema of its own for what the hub's types never do: resolvers that raise, nulls where a non-null was
# promised, unions, aliases of one field twice.
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


def refuse_odd(principal: Any, source: Any) -> bool:
    return source.number % 2 == 0


@strawberry.type
class Leaf:
    number: int
    colour: Colour
    label: str | None
    tag: str = "tagged"  # promised, but the third leaf's is None

    @strawberry.field
    def double(self) -> int:
        return self.number * 2

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        return f"later {self.number}"

    @strawberry.field
    def broken(self) -> str | None:
        if self.number == 3:
            raise ValueError("three is broken")
        return "fine"

    @strawberry.field
    def promised(self) -> str:
        return None if self.number == 2 else "kept"  # type: ignore[return-value]

    @strawberry.field(extensions=[PermissionExtension([FieldRule(Rule("even", refuse_odd), "Leaf", "secret")])])
    def secret(self) -> str | None:
        return f"secret {self.number}"


@strawberry.type
class Other:
    name: str


@strawberry.type
class Pin(relay.Node):
    code: relay.NodeID[str]


@strawberry.type
class Badge(relay.Node):
    code: relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: Badge, *, info: Any) -> str:
        return f"badge-{root.code}"


class RoundPin(Pin):
    """Not a GraphQL type of its own: a Pin whose ids read otherwise."""

    @classmethod
    def resolve_id(cls, root: Pin, *, info: Any) -> str:
        return f"round-{root.code}"


@strawberry.type
class Root:
    @strawberry.field
    def leaves(self, count: int = 4) -> list[Leaf]:
        return [
            Leaf(number=n, colour=Colour.RED if n % 2 else Colour.BLUE, label=None, tag=None if n == 3 else "tagged")  # type: ignore[arg-type]
            for n in range(1, count + 1)
        ]

    @strawberry.field
    def pins(self, round: bool = False) -> list[Pin]:
        return [(RoundPin if round and n == 2 else Pin)(code=f"p{n}") for n in range(3)]

    @strawberry.field
    def badges(self) -> list[Badge]:
        return [Badge(code=f"b{n}") for n in range(2)]

    @strawberry.field
    def mixed(self) -> list[Leaf | Other]:
        return [Leaf(number=2, colour=Colour.BLUE, label="two"), Other(name="other")]


class Notes:
    """A stand-in for the hub's Context: what the field rules read and where they note restricted reads."""

    principal = None

    def __init__(self) -> None:
        self.reads: list[tuple] = []

    def note_read(self, *read: Any) -> None:
        self.reads.append(read)


PLAIN = strawberry.Schema(query=Root)
COMPILED = strawberry.Schema(query=Root, execution_context_class=CompiledExecutionContext)
QUERIES = {
    "leaves": "{ leaves { number colour label double later } }",
    "aliases": "{ a: leaves(count: 2) { n: number x: double y: double } b: leaves(count: 1) { number } }",
    "typename and union": "{ mixed { __typename ... on Leaf { number label } ... on Other { name } } }",
    "a resolver that raises": "{ leaves { number broken } }",
    "null in a non-null field": "{ leaves { number promised } }",
    "null in a non-null attribute": "{ leaves { number label tag } }",
    "a field rule": "{ leaves { number secret } }",
    "node ids": "{ pins { id } badges { id } }",
    "a node subclass's ids": "{ pins(round: true) { id } }",
    "fragments": "{ leaves(count: 2) { ...A ...B } } fragment A on Leaf { number } "
    "fragment B on Leaf { colour number }",
}


@pytest.mark.parametrize("name", list(QUERIES))
async def test_compiled_completion_answers_as_graphql_core(name):
    notes_plain, notes_compiled = Notes(), Notes()
    plain = await PLAIN.execute(QUERIES[name], context_value=notes_plain)
    compiled = await COMPILED.execute(QUERIES[name], context_value=notes_compiled)
    assert compiled.data == plain.data
    assert json.dumps(compiled.data) == json.dumps(plain.data)  # key order too
    located = lambda result: sorted((e.message, tuple(e.path or ()), e.extensions) for e in result.errors or [])  # noqa: E731
    assert located(compiled) == located(plain)
    assert sorted(map(str, notes_compiled.reads)) == sorted(map(str, notes_plain.reads))


def test_a_plain_nodes_ids_are_written_by_the_plan():
    """Node ids are written by the plan itself only where the node resolves them as relay.Node does."""
    from graphql import parse

    from hub.api.compiled import NODE_ID, SYNC, Compiler

    schema = COMPILED._schema
    compiler = Compiler(schema)
    kinds = {}
    for name in ("Pin", "Badge"):
        (operation,) = parse(f"{{ {name.lower()}s {{ id }} }}").definitions
        plan = compiler.object_plan(schema.get_type(name), list(operation.selection_set.selections), {})
        kinds[name] = plan.fields[0].kind
    assert kinds == {"Pin": NODE_ID, "Badge": SYNC}


async def test_the_rule_refuses_and_notes_as_on_the_standard_path():
    notes = Notes()
    result = await COMPILED.execute(QUERIES["a field rule"], context_value=notes)
    assert [leaf["secret"] for leaf in result.data["leaves"]] == [None, "secret 2", None, "secret 4"]
    assert sorted(tuple(e.path) for e in result.errors) == [("leaves", 0, "secret"), ("leaves", 2, "secret")]
    assert {e.extensions["code"] for e in result.errors} == {"FORBIDDEN"}
    assert len(notes.reads) == 2  # the two allowed reads of a restricted field


def test_enum_names_are_those_strawberry_gives():
    """The plans' enum serialiser (a table) gives every member of every enum of the hub's schema the name the
    type's own serialiser gives it, and leaves anything else to the type."""
    from graphql import GraphQLEnumType

    from hub.api.compiled import _serializer
    from hub.api.schema import build_schema

    enums = [t for t in build_schema()._schema.type_map.values() if isinstance(t, GraphQLEnumType)]
    members = 0
    for enum_type in enums:
        fast = _serializer(enum_type)
        for member in getattr(enum_type, "wrapped_cls", None) or ():
            assert fast(member) == enum_type.serialize(member)
            members += 1
        for name, value in enum_type.values.items():
            assert fast(value.value) == enum_type.serialize(value.value) == name
    assert members > 50


async def test_an_info_is_built_only_for_a_resolver_that_takes_one(monkeypatch):
    """Building a resolve info for a field costs as much as completing its values: a plan builds one only where the
    resolver (or its batch form) takes it."""
    from hub.api.compiled import Run

    built: list[str] = []
    strawberry_info = Run.strawberry_info

    def counting(run: Run, plan: Any) -> Any:
        built.append(plan.name)
        return strawberry_info(run, plan)

    monkeypatch.setattr(Run, "strawberry_info", counting)
    result = await COMPILED.execute("{ leaves { number double later } }", context_value=Notes())
    assert result.errors is None
    assert [leaf["later"] for leaf in result.data["leaves"]] == ["later 1", "later 2", "later 3", "later 4"]
    assert built == ["later"]
