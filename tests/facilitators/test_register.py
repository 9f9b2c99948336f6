"""The facilitator register and volunteer hours over the API: who may change them, the rules, and who sees what."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.facilitators import repository, service
from hub.facilitators.models import Accreditation, Allocation, Facilitator, VolunteerHours
from hub.ids import global_id
from hub.problems import Refused
from tests.factories import create_agency, create_client, create_facilitator, create_referral, graphql, token_for

FACILITATOR_FIELDS = "id fullName email accreditation sensitiveTrained districts active totalVolunteerHours"
ERRORS = "userErrors { field message code }"

CREATE = f"""
mutation Create($input: CreateFacilitatorInput!) {{
  createFacilitator(input: $input) {{ facilitator {{ {FACILITATOR_FIELDS} }} {ERRORS} }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateFacilitatorInput!) {{
  updateFacilitator(input: $input) {{ facilitator {{ {FACILITATOR_FIELDS} }} {ERRORS} }}
}}
"""

LOG = f"""
mutation Log($input: LogVolunteerHoursInput!) {{
  logVolunteerHours(input: $input) {{
    entry {{ workedOn hours activity referral {{ reference }} }}
    facilitator {{ fullName totalVolunteerHours }}
    {ERRORS}
  }}
}}
"""

LIST = """
query List($filter: FacilitatorFilter, $first: Int, $after: String, $last: Int, $before: String) {
  facilitators(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { firstName } }
    pageInfo { hasNextPage hasPreviousPage }
  }
}
"""

SENSITIVE_LIST = """
query { facilitators { edges { node { firstName fullName email } } } }
"""

HOURS = """
query Hours($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Facilitator {
      totalVolunteerHours
      volunteerHours(first: $first, after: $after) {
        edges { cursor node { workedOn hours activity } }
        pageInfo { hasNextPage hasPreviousPage }
      }
    }
  }
}
"""

EVERYONES_HOURS = """
query {
  facilitators {
    edges { node { firstName totalVolunteerHours volunteerHours(first: 1) { edges { node { hours } } } } }
  }
}
"""

NEW = {
    "fullName": "Robin Hale",
    "email": "Robin.Hale@RJ-Volunteers.example.org",
    "accreditation": "ACCREDITED",
    "sensitiveTrained": True,
    "districts": [" Colchester ", "colchester", "Tendring"],
}


@pytest.fixture
async def world(http, session) -> dict[str, Any]:
    """The RJ service with its staff, a police force with a case, two facilitators on it and one on none."""
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    case = await create_referral(session, police)
    other_case = await create_referral(session, police)
    robin = await create_facilitator(session, case, full_name="Robin Hale", districts=["Colchester"])
    sam = await create_facilitator(
        session, case, full_name="Sam Okafor", districts=["Southend"], sensitive_trained=True
    )
    kit = await create_facilitator(session, other_case, full_name="Kit Marsh", districts=["Tendring"], active=False)
    return {
        "coordinator": await token_for(http, await create_client(session, rj, {Role.COORDINATOR})),
        "manager": await token_for(http, await create_client(session, rj, {Role.MANAGER})),
        "referrer": await token_for(http, await create_client(session, police, {Role.REFERRER})),
        "auditor": await token_for(http, await create_client(session, rj, {Role.AUDITOR})),
        "robin_client": await token_for(http, await create_client(session, rj, {Role.FACILITATOR}, facilitator=robin)),
        "unlinked_client": await token_for(http, await create_client(session, rj, {Role.FACILITATOR})),
        "case": case,
        "other_case": other_case,
        "robin": robin,
        "sam": sam,
        "kit": kit,
    }


async def count(session, table: type) -> int:
    return int((await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def fresh(session, row: Facilitator) -> tuple:
    """A facilitator's stored values, read again from the database."""
    columns = (Facilitator.full_name, Facilitator.email, Facilitator.accreditation, Facilitator.sensitive_trained)
    statement = sa.select(*columns, Facilitator.districts, Facilitator.active).where(Facilitator.id == row.id)
    return tuple((await session.execute(statement)).one())


def fid(row: Facilitator) -> str:
    return global_id("Facilitator", row.id)


async def payload(http, token: str, query: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
    result = await graphql(http, token, query, {"input": input})
    assert "errors" not in result, result
    return dict(result["data"][name])


def refusals(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(error["field"], error["code"]) for error in result["userErrors"]]


# createFacilitator


async def test_a_coordinator_adds_a_facilitator(http, session, world):
    result = await payload(http, world["coordinator"], CREATE, "createFacilitator", NEW)

    assert result["userErrors"] == []
    created = result["facilitator"]
    assert {k: v for k, v in created.items() if k != "id"} == {
        "fullName": "Robin Hale",
        "email": "Robin.Hale@rj-volunteers.example.org",
        "accreditation": "ACCREDITED",
        "sensitiveTrained": True,
        "districts": ["Colchester", "Tendring"],
        "active": True,
        "totalVolunteerHours": 0.0,
    }
    row = (await session.execute(sa.select(Facilitator).where(Facilitator.email.like("Robin.Hale@%")))).scalar_one()
    assert created["id"] == fid(row)
    assert await fresh(session, row) == (
        "Robin Hale",
        "Robin.Hale@rj-volunteers.example.org",
        Accreditation.ACCREDITED,
        True,
        ["Colchester", "Tendring"],
        True,
    )


async def test_a_manager_adds_a_trainee_without_email(http, session, world):
    given = {"fullName": "Ash Green", "accreditation": "TRAINEE", "districts": ["Harlow"]}
    result = await payload(http, world["manager"], CREATE, "createFacilitator", given)

    assert result["userErrors"] == []
    assert result["facilitator"]["email"] is None
    assert result["facilitator"]["sensitiveTrained"] is False


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"fullName": "   "}, ["input", "fullName"], "REQUIRED"),
        ({"fullName": "R" * 201}, ["input", "fullName"], "TOO_LONG"),
        ({"email": "robin at example.org"}, ["input", "email"], "INVALID"),
        ({"email": "robin@localhost"}, ["input", "email"], "INVALID"),
        ({"email": "SAM@example.org"}, ["input", "email"], "ALREADY_EXISTS"),
        ({"districts": []}, ["input", "districts"], "REQUIRED"),
        ({"districts": [f"District {n}" for n in range(21)]}, ["input", "districts"], "TOO_MANY"),
        ({"districts": ["Colchester", "  "]}, ["input", "districts", "1"], "REQUIRED"),
        ({"districts": ["D" * 101]}, ["input", "districts", "0"], "TOO_LONG"),
        ({"accreditation": "TRAINEE", "sensitiveTrained": True}, ["input", "sensitiveTrained"], "INVALID"),
    ],
)
async def test_create_refuses_each_bad_field_at_its_path(http, session, world, change, field, code):
    world["sam"].email = "sam@example.org"
    await session.flush()
    before = await count(session, Facilitator)

    result = await payload(http, world["coordinator"], CREATE, "createFacilitator", {**NEW, **change})

    assert result["facilitator"] is None
    assert refusals(result) == [(field, code)]
    assert await count(session, Facilitator) == before


async def test_create_refuses_an_email_over_320_characters(http, session, world):
    before = await count(session, Facilitator)
    result = await payload(
        http, world["coordinator"], CREATE, "createFacilitator", {**NEW, "email": "r" * 64 + "@" + "e" * 300 + ".org"}
    )

    # Over the length limit, and (a domain that long) not an address either.
    assert refusals(result) == [(["input", "email"], "TOO_LONG"), (["input", "email"], "INVALID")]
    assert await count(session, Facilitator) == before


async def test_create_lists_every_problem_at_once_and_says_why_a_trainee_cannot_be_sensitive_trained(
    http, session, world
):
    given = {"fullName": "", "email": "nope", "accreditation": "TRAINEE", "sensitiveTrained": True, "districts": []}
    result = await payload(http, world["coordinator"], CREATE, "createFacilitator", given)

    assert refusals(result) == [
        (["input", "fullName"], "REQUIRED"),
        (["input", "email"], "INVALID"),
        (["input", "districts"], "REQUIRED"),
        (["input", "sensitiveTrained"], "INVALID"),
    ]
    assert "TRAINEE cannot be trained for sensitive cases" in result["userErrors"][-1]["message"]


@pytest.mark.parametrize("caller", ["referrer", "auditor", "robin_client"])
async def test_only_service_staff_may_add_facilitators(http, session, world, caller):
    before = await count(session, Facilitator)

    result = await graphql(http, world[caller], CREATE, {"input": NEW})

    assert result["data"] == {"createFacilitator": None}
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [(["createFacilitator"], "FORBIDDEN")]
    assert await count(session, Facilitator) == before


# updateFacilitator


async def test_update_changes_only_the_fields_given(http, session, world):
    world["robin"].email = "robin@example.org"
    await session.flush()

    result = await payload(
        http,
        world["coordinator"],
        UPDATE,
        "updateFacilitator",
        {"facilitatorId": fid(world["robin"]), "districts": ["Colchester", "Maldon"], "active": False},
    )

    assert result["userErrors"] == []
    assert result["facilitator"]["districts"] == ["Colchester", "Maldon"]
    assert await fresh(session, world["robin"]) == (
        "Robin Hale",
        "robin@example.org",
        Accreditation.ACCREDITED,
        False,
        ["Colchester", "Maldon"],
        False,
    )


async def test_update_removes_an_email_given_as_null_and_keeps_ones_own_email(http, session, world):
    world["sam"].email = "sam@example.org"
    await session.flush()
    token = world["coordinator"]
    sam = fid(world["sam"])

    kept = await payload(http, token, UPDATE, "updateFacilitator", {"facilitatorId": sam, "email": "SAM@example.org"})
    assert kept["userErrors"] == []
    assert kept["facilitator"]["email"] == "SAM@example.org"

    removed = await payload(http, token, UPDATE, "updateFacilitator", {"facilitatorId": sam, "email": None})
    assert removed["userErrors"] == []
    assert (await fresh(session, world["sam"]))[1] is None


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"facilitatorId": global_id("Facilitator", uuid.uuid4())}, ["input", "facilitatorId"], "NOT_FOUND"),
        ({"facilitatorId": global_id("Referral", uuid.uuid4())}, ["input", "facilitatorId"], "INVALID"),
        ({"fullName": None}, ["input", "fullName"], "REQUIRED"),
        ({"accreditation": None}, ["input", "accreditation"], "REQUIRED"),
        ({"active": None}, ["input", "active"], "REQUIRED"),
        ({"districts": None}, ["input", "districts"], "REQUIRED"),
        ({"email": "robin@example.org"}, ["input", "email"], "ALREADY_EXISTS"),
        ({"accreditation": "TRAINEE"}, ["input", "accreditation"], "INVALID"),
        ({"accreditation": "TRAINEE", "sensitiveTrained": True}, ["input", "sensitiveTrained"], "INVALID"),
        ({"districts": ["X" * 101]}, ["input", "districts", "0"], "TOO_LONG"),
    ],
)
async def test_update_refuses_each_bad_field_and_changes_nothing(http, session, world, change, field, code):
    world["robin"].email = "robin@example.org"
    await session.flush()
    before = await fresh(session, world["sam"])

    given = {"facilitatorId": fid(world["sam"]), "fullName": "Sam Okafor-Reid", **change}
    result = await payload(http, world["coordinator"], UPDATE, "updateFacilitator", given)

    assert result["facilitator"] is None
    assert refusals(result) == [(field, code)]
    assert await fresh(session, world["sam"]) == before


async def test_only_service_staff_may_change_facilitators(http, session, world):
    before = await fresh(session, world["robin"])

    result = await graphql(
        http, world["robin_client"], UPDATE, {"input": {"facilitatorId": fid(world["robin"]), "active": False}}
    )

    assert result["data"] == {"updateFacilitator": None}
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [(["updateFacilitator"], "FORBIDDEN")]
    assert await fresh(session, world["robin"]) == before


# logVolunteerHours


def hours(worked_on: date, amount: float = 2.5, **more: Any) -> dict[str, Any]:
    return {"workedOn": worked_on.isoformat(), "hours": amount, "activity": "Preparation meeting", **more}


async def test_a_facilitator_logs_their_own_hours_on_their_case(http, session, world):
    today = date.today()
    case = world["case"]

    first = await payload(
        http, world["robin_client"], LOG, "logVolunteerHours", hours(today, referralId=global_id("Referral", case.id))
    )
    second = await payload(
        http, world["robin_client"], LOG, "logVolunteerHours", hours(today, 1.25, facilitatorId=fid(world["robin"]))
    )

    assert first == {
        "entry": {
            "workedOn": today.isoformat(),
            "hours": 2.5,
            "activity": "Preparation meeting",
            "referral": {"reference": case.reference},
        },
        "facilitator": {"fullName": "Robin Hale", "totalVolunteerHours": 2.5},
        "userErrors": [],
    }
    assert second["facilitator"] == {"fullName": "Robin Hale", "totalVolunteerHours": 3.75}
    stored = (await session.execute(sa.select(VolunteerHours).order_by(VolunteerHours.hours))).scalars().all()
    assert [(e.facilitator_id, e.referral_id, e.worked_on, e.hours, e.activity) for e in stored] == [
        (world["robin"].id, None, today, Decimal("1.25"), "Preparation meeting"),
        (world["robin"].id, case.id, today, Decimal("2.50"), "Preparation meeting"),
    ]


async def test_a_facilitator_cannot_log_anothers_hours_nor_on_a_case_not_theirs(http, session, world):
    token = world["robin_client"]
    today = date.today()

    for_sam = await payload(http, token, LOG, "logVolunteerHours", hours(today, facilitatorId=fid(world["sam"])))
    on_other_case = await payload(
        http, token, LOG, "logVolunteerHours", hours(today, referralId=global_id("Referral", world["other_case"].id))
    )

    assert for_sam["entry"] is None
    assert refusals(for_sam) == [(["input", "facilitatorId"], "NOT_FOUND")]
    assert refusals(on_other_case) == [(["input", "referralId"], "NOT_FOUND")]
    assert await count(session, VolunteerHours) == 0


async def test_a_facilitator_client_acting_for_no_facilitator_is_told_so(http, session, world):
    result = await payload(http, world["unlinked_client"], LOG, "logVolunteerHours", hours(date.today()))

    assert refusals(result) == [(None, "NOT_A_FACILITATOR")]
    assert "acts for no facilitator" in result["userErrors"][0]["message"]
    assert await count(session, VolunteerHours) == 0


async def test_service_staff_log_hours_for_any_facilitator_and_must_name_one(http, session, world):
    token = world["coordinator"]
    yesterday = date.today() - timedelta(days=1)

    unnamed = await payload(http, token, LOG, "logVolunteerHours", hours(yesterday))
    named = await payload(
        http,
        token,
        LOG,
        "logVolunteerHours",
        hours(yesterday, 24, facilitatorId=fid(world["kit"]), referralId=global_id("Referral", world["case"].id)),
    )

    assert refusals(unnamed) == [(["input", "facilitatorId"], "REQUIRED")]
    assert named["userErrors"] == []
    assert named["facilitator"] == {"fullName": "Kit Marsh", "totalVolunteerHours": 24.0}
    assert await count(session, VolunteerHours) == 1


def _a_year_ago() -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"hours": 0}, ["input", "hours"], "INVALID"),
        ({"hours": -1}, ["input", "hours"], "INVALID"),
        ({"hours": 24.25}, ["input", "hours"], "INVALID"),
        ({"hours": 1.1}, ["input", "hours"], "INVALID"),
        ({"workedOn": (date.today() + timedelta(days=1)).isoformat()}, ["input", "workedOn"], "IN_FUTURE"),
        ({"workedOn": (_a_year_ago() - timedelta(days=1)).isoformat()}, ["input", "workedOn"], "INVALID"),
        ({"activity": "  "}, ["input", "activity"], "REQUIRED"),
        ({"activity": "A" * 201}, ["input", "activity"], "TOO_LONG"),
        ({"referralId": global_id("Referral", uuid.uuid4())}, ["input", "referralId"], "NOT_FOUND"),
        ({"referralId": "not-an-id"}, ["input", "referralId"], "INVALID"),
        ({"facilitatorId": global_id("Facilitator", uuid.uuid4())}, ["input", "facilitatorId"], "NOT_FOUND"),
    ],
)
async def test_logging_refuses_each_bad_field_and_writes_nothing(http, session, world, change, field, code):
    given = {**hours(date.today()), "facilitatorId": fid(world["sam"]), **change}

    result = await payload(http, world["manager"], LOG, "logVolunteerHours", given)

    assert result["entry"] is None
    assert refusals(result) == [(field, code)]
    assert await count(session, VolunteerHours) == 0


async def test_a_day_exactly_a_year_ago_may_still_be_logged(http, session, world):
    given = {**hours(_a_year_ago(), 0.25), "facilitatorId": fid(world["sam"])}

    result = await payload(http, world["manager"], LOG, "logVolunteerHours", given)

    assert result["userErrors"] == []
    assert result["entry"]["hours"] == 0.25


@pytest.mark.parametrize("caller", ["referrer", "auditor"])
async def test_only_case_workers_may_log_hours(http, session, world, caller):
    given = {**hours(date.today()), "facilitatorId": fid(world["robin"])}

    result = await graphql(http, world[caller], LOG, {"input": given})

    assert result["data"] == {"logVolunteerHours": None}
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [(["logVolunteerHours"], "FORBIDDEN")]
    assert await count(session, VolunteerHours) == 0


async def test_an_email_taken_by_a_concurrent_request_is_refused_not_crashed(session, world, monkeypatch):
    world["sam"].email = "sam@example.org"
    await session.flush()

    async def never_taken(*args: Any) -> bool:
        return False

    monkeypatch.setattr(repository, "email_taken", never_taken)
    from hub.facilitators.types import CreateFacilitatorInput

    given = CreateFacilitatorInput(
        full_name="Sam Two", email="sam@example.org", accreditation=Accreditation.ACCREDITED, districts=["Harlow"]
    )
    with pytest.raises(Refused) as refused:
        async with session.begin_nested():
            await service.create_facilitator(session, None, given)  # type: ignore[arg-type]
    assert [(p.field, p.code.value) for p in refused.value.problems] == [(("input", "email"), "ALREADY_EXISTS")]


# The facilitators list, and who sees what


def names(result: dict[str, Any]) -> list[str]:
    assert "errors" not in result, result
    return [edge["node"]["firstName"] for edge in result["data"]["facilitators"]["edges"]]


async def test_staff_see_every_facilitator_by_name_and_filter_them(http, session, world):
    token = world["coordinator"]

    assert names(await graphql(http, token, LIST)) == ["Kit", "Robin", "Sam"]
    assert names(await graphql(http, token, LIST, {"filter": {"active": True}})) == ["Robin", "Sam"]
    assert names(await graphql(http, token, LIST, {"filter": {"active": False}})) == ["Kit"]
    assert names(await graphql(http, token, LIST, {"filter": {"district": "SOUTHEND"}})) == ["Sam"]
    assert names(await graphql(http, token, LIST, {"filter": {"sensitiveTrained": False}})) == ["Kit", "Robin"]
    both = {"active": True, "sensitiveTrained": False, "district": "colchester"}
    assert names(await graphql(http, token, LIST, {"filter": both})) == ["Robin"]


async def test_the_list_pages_by_cursor_and_a_cursor_carries_no_name(http, session, world):
    token = world["coordinator"]

    first = await graphql(http, token, LIST, {"first": 2})
    cursor = first["data"]["facilitators"]["edges"][-1]["cursor"]
    rest = await graphql(http, token, LIST, {"first": 2, "after": cursor})
    back = await graphql(http, token, LIST, {"last": 1, "before": cursor})

    assert names(first) == ["Kit", "Robin"]
    assert first["data"]["facilitators"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    assert names(rest) == ["Sam"]
    assert rest["data"]["facilitators"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    assert names(back) == ["Kit"]
    assert "Robin" not in base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


async def test_a_referrer_sees_the_facilitators_of_its_cases_by_first_name_only(http, session, world):
    result = await graphql(http, world["referrer"], SENSITIVE_LIST)

    nodes = [edge["node"] for edge in result["data"]["facilitators"]["edges"]]
    assert nodes == [
        {"firstName": "Kit", "fullName": None, "email": None},
        {"firstName": "Robin", "fullName": None, "email": None},
        {"firstName": "Sam", "fullName": None, "email": None},
    ]
    assert {(e["path"][-1], e["extensions"]["code"]) for e in result["errors"]} == {
        ("fullName", "FORBIDDEN"),
        ("email", "FORBIDDEN"),
    }


async def test_a_referrer_does_not_see_facilitators_of_other_agencies_cases(http, session, world):
    fire = await create_agency(session, AgencyKind.FIRE_AND_RESCUE, "Essex Fire")
    token = await token_for(http, await create_client(session, fire, {Role.REFERRER}))
    await create_facilitator(session, await create_referral(session, fire), full_name="Jo Fireside")

    assert names(await graphql(http, token, LIST)) == ["Jo"]


async def test_a_facilitator_sees_themself_and_those_on_their_cases_and_an_auditor_none(http, session, world):
    loner = await create_facilitator(session, full_name="Lee Alone")
    session.add(Allocation(referral_id=world["other_case"].id, facilitator_id=world["sam"].id))
    await session.flush()
    loner_token = await token_for(
        http,
        await create_client(
            session, await create_agency(session, AgencyKind.RJ_SERVICE), {Role.FACILITATOR}, facilitator=loner
        ),
    )

    assert names(await graphql(http, world["robin_client"], LIST)) == ["Robin", "Sam"]
    assert names(await graphql(http, loner_token, LIST)) == ["Lee"]
    assert names(await graphql(http, world["auditor"], LIST)) == []


async def _log(session, facilitator: Facilitator, days_ago: int, amount: str) -> None:
    worked_on = date.today() - timedelta(days=days_ago)
    session.add(
        VolunteerHours(facilitator_id=facilitator.id, worked_on=worked_on, hours=Decimal(amount), activity="Visit")
    )
    await session.flush()


async def test_hours_are_read_newest_first_in_pages_by_staff_and_the_facilitator_themself(http, session, world):
    for days_ago, amount in ((3, "1.5"), (1, "2"), (2, "0.75")):
        await _log(session, world["robin"], days_ago, amount)
    robin = fid(world["robin"])

    for token in (world["coordinator"], world["robin_client"]):
        first = (await graphql(http, token, HOURS, {"id": robin, "first": 2}))["data"]["node"]
        after = first["volunteerHours"]["edges"][-1]["cursor"]
        rest = (await graphql(http, token, HOURS, {"id": robin, "first": 2, "after": after}))["data"]["node"]

        assert first["totalVolunteerHours"] == 4.25
        assert [edge["node"]["hours"] for edge in first["volunteerHours"]["edges"]] == [2.0, 0.75]
        assert first["volunteerHours"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
        assert [edge["node"]["hours"] for edge in rest["volunteerHours"]["edges"]] == [1.5]
        assert rest["volunteerHours"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


async def test_a_facilitator_may_not_read_a_co_facilitators_hours(http, session, world):
    await _log(session, world["sam"], 1, "3")

    result = await graphql(http, world["robin_client"], HOURS, {"id": fid(world["sam"])})

    assert result["data"]["node"] == {"totalVolunteerHours": None, "volunteerHours": None}
    assert sorted((e["path"][-1], e["extensions"]["code"]) for e in result["errors"]) == [
        ("totalVolunteerHours", "FORBIDDEN"),
        ("volunteerHours", "FORBIDDEN"),
    ]


async def test_hours_of_a_whole_list_are_read_in_one_query_each(http, session, world, connection):
    for facilitator, amount in ((world["robin"], "2"), (world["sam"], "1"), (world["kit"], "0.5")):
        await _log(session, facilitator, 1, amount)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if "volunteer_hours" in statement:
            statements.append(statement)

    sa.event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        result = await graphql(http, world["coordinator"], EVERYONES_HOURS)
    finally:
        sa.event.remove(connection.sync_connection, "before_cursor_execute", record)

    nodes = [edge["node"] for edge in result["data"]["facilitators"]["edges"]]
    assert [(n["firstName"], n["totalVolunteerHours"]) for n in nodes] == [("Kit", 0.5), ("Robin", 2.0), ("Sam", 1.0)]
    assert [[e["node"]["hours"] for e in n["volunteerHours"]["edges"]] for n in nodes] == [[0.5], [2.0], [1.0]]
    assert len(statements) == 2
