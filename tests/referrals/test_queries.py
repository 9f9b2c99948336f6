"""The read API: referrals lists with filters, order and cursors; referral(reference); row filtering in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.referrals.models import IncidentKind, ParticipantRole, Stage
from tests.factories import (
    create_agency,
    create_client,
    create_facilitator,
    create_participant,
    create_referral,
    graphql,
    token_for,
)

LIST = """
query List($filter: ReferralFilter, $order: ReferralOrder, $first: Int, $after: String, $last: Int, $before: String) {
  referrals(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { reference stage district referringAgency { name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

ONE = """
query One($reference: String!) {
  referral(reference: $reference) {
    id reference agencyReference stage version summary incidentKind reportedToPolice
    referrer { name }
    participants { role fullName isChild consent dateOfBirth contact { phone } }
    stageHistory { from to at }
    facilitators { firstName }
  }
}
"""


def references(result: dict) -> list[str]:
    return [edge["node"]["reference"] for edge in result["data"]["referrals"]["edges"]]


@pytest.fixture
async def world(session):
    """Two police forces and the RJ service, with referrals from each force."""
    colchester = await create_agency(session, AgencyKind.POLICE, "Essex Police — Colchester")
    southend = await create_agency(session, AgencyKind.POLICE, "Essex Police — Southend")
    service = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    own = [
        await create_referral(session, colchester, submitted_at=start + timedelta(days=i), stage=stage)
        for i, stage in enumerate([Stage.RECEIVED, Stage.ACCEPTED, Stage.RECEIVED])
    ]
    other = [
        await create_referral(
            session,
            southend,
            submitted_at=start + timedelta(days=10),
            district="Southend",
            incident_kind=IncidentKind.NEIGHBOUR_DISPUTE,
        )
    ]
    return {"colchester": colchester, "southend": southend, "service": service, "own": own, "other": other}


async def referrer_token(http, session, agency) -> str:
    return await token_for(http, await create_client(session, agency, {Role.REFERRER}))


async def test_a_referrer_sees_only_its_own_agencys_referrals(http, session, world):
    token = await referrer_token(http, session, world["colchester"])
    result = await graphql(http, token, LIST)
    assert references(result) == [r.reference for r in reversed(world["own"])]


async def test_another_agencys_referral_is_not_found(http, session, world):
    token = await referrer_token(http, session, world["colchester"])
    result = await graphql(http, token, ONE, {"reference": world["other"][0].reference})
    assert result["data"] == {"referral": None}
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert result["errors"][0]["path"] == ["referral"]


async def test_service_staff_see_every_referral(http, session, world):
    token = await token_for(http, await create_client(session, world["service"], {Role.COORDINATOR}))
    result = await graphql(http, token, LIST, {"first": 100})
    assert set(references(result)) >= {r.reference for r in world["own"] + world["other"]}


async def test_an_auditor_sees_no_case_rows(http, session, world):
    token = await token_for(http, await create_client(session, world["service"], {Role.AUDITOR}))
    assert references(await graphql(http, token, LIST)) == []


async def test_a_facilitator_client_without_a_person_sees_no_case_rows(http, session, world):
    token = await token_for(http, await create_client(session, world["service"], {Role.FACILITATOR}))
    assert references(await graphql(http, token, LIST)) == []


async def test_row_filter_is_in_sql(session, world):
    """The statement itself holds the agency condition: nothing is filtered after loading."""
    from hub.auth.principal import Principal
    from hub.auth.scopes import scopes_for
    from hub.referrals.repository import readable

    principal = Principal(
        agency_id=world["colchester"].id,
        agency_kind=AgencyKind.POLICE,
        client_id="c",
        subject="c",
        roles=frozenset({Role.REFERRER}),
        scopes=scopes_for({Role.REFERRER}),
    )
    sql = str(readable(principal).compile(compile_kwargs={"literal_binds": True}))
    assert sql.endswith(f"WHERE referral.referring_agency_id = '{world['colchester'].id.hex}'")


async def test_filters(http, session, world):
    token = await token_for(http, await create_client(session, world["service"], {Role.MANAGER}))
    by_stage = await graphql(
        http, token, LIST, {"filter": {"stage": ["ACCEPTED"], "agencyId": _gid("Agency", world["colchester"].id)}}
    )
    assert references(by_stage) == [world["own"][1].reference]
    by_district = await graphql(http, token, LIST, {"filter": {"district": "southend"}})
    assert references(by_district) == [world["other"][0].reference]
    by_kind = await graphql(http, token, LIST, {"filter": {"incidentKind": ["NEIGHBOUR_DISPUTE"]}})
    assert references(by_kind) == [world["other"][0].reference]
    window = {"submittedFrom": "2026-03-02T00:00:00+00:00", "submittedTo": "2026-03-03T00:00:00+00:00"}
    assert references(await graphql(http, token, LIST, {"filter": window})) == [world["own"][1].reference]


async def test_bad_filter_and_page_size_are_bad_user_input(http, session, world):
    token = await referrer_token(http, session, world["colchester"])
    too_many = await graphql(http, token, LIST, {"first": 101})
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 0 and 100" in too_many["errors"][0]["message"]
    backwards = {"submittedFrom": "2026-03-03T00:00:00+00:00", "submittedTo": "2026-03-02T00:00:00+00:00"}
    assert (await graphql(http, token, LIST, {"filter": backwards}))["errors"][0]["extensions"][
        "code"
    ] == "BAD_USER_INPUT"
    wrong_id = await graphql(http, token, LIST, {"filter": {"agencyId": _gid("Referral", world["own"][0].id)}})
    assert wrong_id["errors"][0]["message"] == "`filter.agencyId` must be the id of a Agency."
    bad_cursor = await graphql(http, token, LIST, {"after": "nonsense"})
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_cursor_pagination_forwards_and_backwards(http, session, world):
    token = await referrer_token(http, session, world["colchester"])
    newest_first = [r.reference for r in reversed(world["own"])]
    page1 = await graphql(http, token, LIST, {"first": 2})
    assert references(page1) == newest_first[:2]
    info = page1["data"]["referrals"]["pageInfo"]
    assert (info["hasNextPage"], info["hasPreviousPage"]) == (True, False)
    page2 = await graphql(http, token, LIST, {"first": 2, "after": info["endCursor"]})
    assert references(page2) == newest_first[2:]
    assert page2["data"]["referrals"]["pageInfo"]["hasNextPage"] is False
    back = await graphql(
        http, token, LIST, {"last": 2, "before": page2["data"]["referrals"]["pageInfo"]["startCursor"]}
    )
    assert references(back) == newest_first[:2]
    oldest_first = await graphql(http, token, LIST, {"order": {"field": "SUBMITTED_AT", "direction": "ASC"}})
    assert references(oldest_first) == [r.reference for r in world["own"]]
    by_reference = await graphql(http, token, LIST, {"order": {"field": "REFERENCE", "direction": "ASC"}, "first": 1})
    assert references(by_reference) == [min(r.reference for r in world["own"])]


async def test_referral_with_nested_data(http, session, world):
    referral = world["own"][1]
    await create_participant(session, referral, ParticipantRole.HARMED, full_name="Alex Morgan")
    await create_participant(
        session,
        referral,
        ParticipantRole.RESPONSIBLE,
        full_name="Jamie Lee",
        date_of_birth=datetime.now(UTC).date() - timedelta(days=365 * 15),
    )
    await create_facilitator(session, referral, full_name="Priya Shah")
    token = await referrer_token(http, session, world["colchester"])
    result = await graphql(http, token, ONE, {"reference": referral.reference.lower()})
    data = result["data"]["referral"]
    assert data["reference"] == referral.reference
    assert data["stage"] == "ACCEPTED"
    assert data["referrer"] == {"name": "PC Sam Taylor"}
    assert [(p["role"], p["fullName"], p["isChild"]) for p in data["participants"]] == [
        ("HARMED", "Alex Morgan", False),
        ("RESPONSIBLE", "Jamie Lee", True),
    ]
    assert [(e["from"], e["to"]) for e in data["stageHistory"]] == [(None, "RECEIVED"), ("RECEIVED", "ACCEPTED")]
    assert data["facilitators"] == [{"firstName": "Priya"}]
    # A referrer never gets contact details back: null with FORBIDDEN at each path, the rest still returned.
    assert [p["contact"] for p in data["participants"]] == [None, None]
    forbidden = {tuple(e["path"]) for e in result["errors"] if e["extensions"]["code"] == "FORBIDDEN"}
    assert forbidden == {("referral", "participants", 0, "contact"), ("referral", "participants", 1, "contact")}


async def test_responsible_side_agency_never_sees_harmed_partys_personal_details(http, session):
    prison = await create_agency(session, AgencyKind.PRISON, "HMP Chelmsford")
    referral = await create_referral(session, prison)
    await create_participant(session, referral, ParticipantRole.HARMED)
    await create_participant(session, referral, ParticipantRole.RESPONSIBLE, date_of_birth=datetime(1990, 1, 2).date())
    token = await referrer_token(http, session, prison)
    result = await graphql(http, token, ONE, {"reference": referral.reference})
    participants = result["data"]["referral"]["participants"]
    assert [p["dateOfBirth"] for p in participants] == [None, "1990-01-02"]
    paths = {tuple(e["path"]) for e in result["errors"]}
    assert ("referral", "participants", 0, "dateOfBirth") in paths
    assert ("referral", "participants", 1, "dateOfBirth") not in paths


async def test_statement_count_does_not_grow_with_page_size(http, session, engine, world):
    for referral in world["own"]:
        await create_participant(session, referral)
        await create_facilitator(session, referral)
    token = await referrer_token(http, session, world["colchester"])
    query = (
        "query($n: Int) { referrals(first: $n) { edges { node { reference participants { role } "
        "stageHistory { to } facilitators { firstName } referringAgency { name } } } } }"
    )

    async def count(n: int) -> int:
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            result = await graphql(http, token, query, {"n": n})
        finally:
            sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
        assert len(result["data"]["referrals"]["edges"]) == n
        return len(statements)

    assert await count(1) == await count(3)


async def test_node_and_nodes(http, session, world):
    token = await referrer_token(http, session, world["colchester"])
    mine, theirs = world["own"][0], world["other"][0]
    query = (
        "query($id: ID!, $ids: [ID!]!) { node(id: $id) { id ... on Referral { reference } } nodes(ids: $ids) { id } }"
    )
    ids = [_gid("Referral", mine.id), _gid("Referral", theirs.id), _gid("Participant", mine.id)]
    result = await graphql(http, token, query, {"id": _gid("Referral", mine.id), "ids": ids})
    assert result["data"]["node"] == {"id": _gid("Referral", mine.id), "reference": mine.reference}
    assert result["data"]["nodes"] == [{"id": _gid("Referral", mine.id)}, None, None]
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in result["errors"]}
    assert codes == {("nodes", 1): "NOT_FOUND", ("nodes", 2): "NOT_FOUND"}


async def test_a_global_id_of_one_type_never_fetches_another(http, session, world):
    token = await token_for(http, await create_client(session, world["service"], {Role.MANAGER}))
    referral = world["own"][0]
    result = await graphql(http, token, "query($id: ID!) { node(id: $id) { id } }", {"id": _gid("Agency", referral.id)})
    assert result["data"] == {"node": None}
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_agencies_connection(http, session, world):
    token = await referrer_token(http, session, world["colchester"])
    result = await graphql(http, token, "{ agencies(first: 100) { edges { node { name kind districts } } } }")
    names = [e["node"]["name"] for e in result["data"]["agencies"]["edges"]]
    assert names == sorted(names)
    assert {"Essex Police — Colchester", "Essex Police — Southend", "Essex RJ Service"} <= set(names)


def _gid(type_name: str, row_id) -> str:
    from strawberry import relay

    return str(relay.GlobalID(type_name, str(row_id)))
