"""referralStageChanged over a real WebSocket (graphql-transport-ws): authentication in connection_init, the row
filter and field rules on every event, the connection's limits, token expiry, and nothing from a rolled-back change."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from hub.agencies.models import AgencyKind
from hub.auth.keys import ALGORITHM
from hub.auth.principal import Principal
from hub.auth.scopes import Role
from hub.db import Database
from hub.live.listener import APPLICATION_NAME
from hub.referrals.models import Referral, Stage, StageEvent
from hub.referrals.transitions import apply_transition
from tests.factories import unverified_claims
from tests.live.conftest import INIT_TIMEOUT, Live
from tests.live.wsclient import PROTOCOL, STAGE_CHANGED, acknowledged, opened
from tests.referrals.casework import done, payload

WITH_PARTICIPANTS = """
subscription Changes($referralId: ID) {
  referralStageChanged(referralId: $referralId) { to referral { participants { role contact { phone } } } }
}
"""


async def accept(live: Live, row: Referral, version: int = 1) -> dict[str, Any]:
    return await done(live.http, live.staff, "acceptReferral", referralId=live.id_of(row), version=version)


def change_in(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return dict(message["payload"]["data"]["referralStageChanged"])


def codes_in(errors: list[dict[str, Any]]) -> list[str]:
    return [error["extensions"]["code"] for error in errors]


async def moved_at(database: Database, referral_id: uuid.UUID, to: Stage) -> str:
    async with database.transaction() as session:
        statement = sa.select(StageEvent.at).where(StageEvent.referral_id == referral_id, StageEvent.to_stage == to)
        return (await session.execute(statement)).scalar_one().isoformat()


async def test_subscribers_hear_of_a_change_made_over_http(live):
    async with acknowledged(live.base, live.referrer) as socket:
        await socket.subscribe("case", referralId=live.id_of(live.referral))
        await socket.subscribe("every")
        await live.subscribers(2)
        await accept(live, live.referral)
        messages = {message["id"]: message for message in [await socket.receive(), await socket.receive()]}
    at = await moved_at(live.database, live.referral.id, Stage.ACCEPTED)
    expected = {
        "from": "RECEIVED",
        "to": "ACCEPTED",
        "at": at,
        "referral": {"reference": live.referral.reference, "stage": "ACCEPTED", "version": 2},
    }
    assert {key: change_in(message) for key, message in messages.items()} == {"case": expected, "every": expected}


async def test_events_go_through_the_same_field_rules_as_queries(live):
    async with opened(live.base) as socket:
        assert await socket.init(live.referrer, key="authorization") == {"type": "connection_ack"}
        await socket.subscribe("case", WITH_PARTICIPANTS, referralId=live.id_of(live.referral))
        await live.subscribers(1)
        await accept(live, live.referral)
        message = await socket.receive()
    assert message["payload"]["data"] == {
        "referralStageChanged": {"to": "ACCEPTED", "referral": {"participants": [{"role": "HARMED", "contact": None}]}}
    }
    (error,) = message["payload"]["errors"]
    assert (error["path"], error["extensions"]["code"]) == (
        ["referralStageChanged", "referral", "participants", 0, "contact"],
        "FORBIDDEN",
    )


async def test_a_referrer_hears_nothing_of_another_agencys_referral(live):
    async with acknowledged(live.base, live.stranger) as socket:
        await socket.subscribe("theirs", referralId=live.id_of(live.referral))
        refusal = await socket.receive()
        await socket.subscribe("every")
        await live.subscribers(1)
        await accept(live, live.referral)  # Essex Police's referral: Kent Police may not see it
        await accept(live, live.other)  # Kent Police's own
        message = await socket.receive()
    assert (refusal["id"], refusal["type"], codes_in(refusal["payload"])) == ("theirs", "error", ["NOT_FOUND"])
    assert refusal["payload"][0]["message"] == "No referral with that id exists."
    assert message["id"] == "every"
    assert change_in(message)["referral"]["reference"] == live.other.reference


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer not-a-token", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", 42],
    ids=["none", "empty", "garbage", "basic", "not-text"],
)
async def test_a_connection_without_a_valid_token_is_closed_with_4403(live, authorization):
    async with opened(live.base) as socket:
        init = {} if authorization is None else {"Authorization": authorization}
        await socket.send({"type": "connection_init", "payload": init})
        code, reason = await socket.closed()
    assert code == 4403
    assert reason.startswith("Forbidden: ")


async def test_a_page_on_an_origin_not_allowed_cannot_open_the_websocket(live):
    url = live.base.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(url, subprotocols=[PROTOCOL], origin="https://elsewhere.example.org"):  # type: ignore[list-item]
            pass
    assert refusal.value.response.status_code == 403


async def test_only_graphql_transport_ws_is_spoken(live):
    async with opened(live.base, subprotocol="graphql-ws") as socket:
        assert await socket.closed() == (4406, "Subprotocol not acceptable")


async def test_a_subscribe_before_connection_init_is_closed_with_4401(live):
    async with opened(live.base) as socket:
        await socket.subscribe("early")
        assert await socket.closed() == (4401, "Unauthorized")
    assert len(live.app.state.hub.listener.subscribers) == 0


async def test_a_connection_that_never_sends_connection_init_is_closed_after_the_timeout(live):
    started = time.monotonic()
    async with opened(live.base) as socket:
        assert await socket.closed() == (4408, "Connection initialisation timeout")
    assert INIT_TIMEOUT <= time.monotonic() - started < INIT_TIMEOUT + 3


async def test_the_101st_subscription_is_refused_and_the_first_100_keep_running(live):
    async with acknowledged(live.base, live.staff) as socket:
        for number in range(100):
            await socket.subscribe(f"s{number}")
        await live.subscribers(100)
        await socket.subscribe("s100")
        refusal = await socket.receive()
        await accept(live, live.referral)
        received = [await socket.receive() for _ in range(100)]
        await socket.send({"id": "s0", "type": "complete"})
        await live.subscribers(99)
        await socket.subscribe("s100")  # a freed place can be taken again
        await live.subscribers(100)
    assert (refusal["id"], refusal["type"], codes_in(refusal["payload"])) == ("s100", "error", ["RATE_LIMITED"])
    assert sorted(message["id"] for message in received) == sorted(f"s{number}" for number in range(100))
    assert {change_in(message)["to"] for message in received} == {"ACCEPTED"}


def short_lived(live: Live, token: str, seconds: int) -> str:
    """The same principal's token, signed by the hub's key, expiring in `seconds`."""
    claims = unverified_claims(token) | {"exp": int(time.time()) + seconds, "jti": str(uuid.uuid4())}
    key = live.app.state.hub.keyring.signing
    return jwt.encode({"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}, claims, KeySet([key]))


async def test_a_token_that_expires_ends_the_connection_and_its_subscriptions(live):
    token = short_lived(live, live.referrer, seconds=2)
    started = time.monotonic()
    async with acknowledged(live.base, token) as socket:
        await socket.subscribe("every")
        await live.subscribers(1)
        code, reason = await socket.closed()
    assert 1 <= time.monotonic() - started < 6
    assert (code, reason) == (4403, "Forbidden: the access token expired; connect again with a fresh one.")
    await live.subscribers(0)


async def test_only_subscriptions_run_over_the_websocket(live):
    async with acknowledged(live.base, live.staff) as socket:
        await socket.subscribe("query", "{ viewer { clientId } }")
        answer, end = await socket.receive(), await socket.receive()
    assert (answer["type"], answer["payload"]["data"], codes_in(answer["payload"]["errors"])) == (
        "next",
        None,
        ["BAD_USER_INPUT"],
    )
    assert end == {"id": "query", "type": "complete"}


async def test_the_query_limits_apply_to_subscriptions(live):
    aliases = " ".join(f"a{n}: to" for n in range(16))
    async with acknowledged(live.base, live.staff) as socket:
        await socket.subscribe("greedy", f"subscription {{ referralStageChanged {{ {aliases} }} }}")
        refusal = await socket.receive()
    assert (refusal["type"], codes_in(refusal["payload"])) == ("error", ["QUERY_TOO_COMPLEX"])
    assert len(live.app.state.hub.listener.subscribers) == 0


async def test_a_subscription_over_http_is_refused(live):
    response = await live.http.post(
        "/graphql", json={"query": STAGE_CHANGED}, headers={"Authorization": f"Bearer {live.staff}"}
    )
    body = response.json()
    assert codes_in(body["errors"]) == ["BAD_USER_INPUT"], body


def acting(referral: Referral) -> Principal:
    return Principal(
        agency_id=referral.referring_agency_id,
        agency_kind=AgencyKind.POLICE,
        client_id="rollback-test",
        subject="rollback-test",
        roles=frozenset({Role.COORDINATOR}),
        scopes=frozenset(),
    )


class RolledBack(Exception):
    pass


async def move_in_a_transaction_rolled_back(database: Database, referral_id: uuid.UUID, to: Stage) -> None:
    with pytest.raises(RolledBack):
        async with database.transaction() as session:
            referral = await session.get(Referral, referral_id)
            assert referral is not None
            await apply_transition(session, acting(referral), referral, to)
            raise RolledBack


async def move_in_a_savepoint_rolled_back(database: Database, referral_id: uuid.UUID, to: Stage) -> None:
    """As a refused change does inside a request: its savepoint is rolled back, the transaction commits."""
    async with database.transaction() as session:
        referral = await session.get(Referral, referral_id)
        assert referral is not None
        with pytest.raises(RolledBack):
            async with session.begin_nested():
                await apply_transition(session, acting(referral), referral, to)
                raise RolledBack


async def test_a_change_that_is_rolled_back_notifies_nobody(live):
    async with acknowledged(live.base, live.staff) as socket:
        await socket.subscribe("every")
        await live.subscribers(1)
        refused = await payload(
            live.http, live.staff, "acceptReferral", referralId=live.id_of(live.referral), version=7
        )
        await move_in_a_transaction_rolled_back(live.database, live.referral.id, Stage.ON_HOLD)
        await move_in_a_savepoint_rolled_back(live.database, live.referral.id, Stage.ON_HOLD)
        await accept(live, live.referral)
        first = change_in(await socket.receive())
    assert [error["code"] for error in refused["userErrors"]] == ["STALE_VERSION"]
    assert (first["from"], first["to"], first["referral"]["version"]) == ("RECEIVED", "ACCEPTED", 2)


async def cut_the_listening_connection(database: Database) -> None:
    """What a database restart or a network fault does to the hub's LISTEN connection."""
    statement = sa.text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :name AND datname = current_database()"
    )
    async with database.transaction() as session:
        assert (await session.execute(statement, {"name": APPLICATION_NAME})).scalar_one() == 1


async def test_a_lost_listening_connection_ends_subscriptions_and_is_replaced(live):
    async with acknowledged(live.base, live.staff) as socket:
        await socket.subscribe("before")
        await live.subscribers(1)
        await cut_the_listening_connection(live.database)
        ended, complete = await socket.receive(), await socket.receive()
        await socket.subscribe("after")
        await live.subscribers(1)
        await accept(live, live.referral)
        heard = await socket.receive()
    assert (ended["id"], ended["type"], ended["payload"]["data"]) == ("before", "next", None)
    (error,) = ended["payload"]["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["message"].startswith("The subscription ended (the hub lost its connection to the database)")
    assert complete == {"id": "before", "type": "complete"}
    assert (heard["id"], change_in(heard)["to"]) == ("after", "ACCEPTED")
