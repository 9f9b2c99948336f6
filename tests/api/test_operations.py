"""The partner's everyday operations in schema/operations/ run against the hub as a partner would run them."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from hub.agencies.models import AgencyKind
from hub.api.schema import build_schema
from hub.auth.scopes import Role
from tests.factories import create_agency, create_client, graphql, token_for
from tests.referrals.test_process import SUBMISSION

OPERATIONS = Path(__file__).parents[2] / "schema" / "operations"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


@pytest.mark.parametrize("path", sorted(OPERATIONS.glob("*.graphql")), ids=lambda p: p.name)
def test_each_operation_is_valid_against_the_schema(path):
    schema = build_schema()._schema
    assert validate(schema, parse(path.read_text())) == []


def test_the_everyday_operations_are_there():
    assert {p.stem for p in OPERATIONS.glob("*.graphql")} >= {
        "SubmitReferral",
        "ReferralStatus",
        "MyReferrals",
        "WithdrawReferral",
    }


async def run(http, token, name, variables) -> dict:
    result = await graphql(http, token, operation(name), variables)
    assert "errors" not in result, result
    return dict(result["data"])


async def test_a_partner_submits_checks_lists_and_withdraws(http, session):
    agency = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    token = await token_for(http, await create_client(session, agency, {Role.REFERRER}))

    submitted = (await run(http, token, "SubmitReferral", {"input": SUBMISSION}))["submitReferral"]
    assert submitted["userErrors"] == [] and submitted["created"] is True
    referral = submitted["referral"]

    status = (await run(http, token, "ReferralStatus", {"reference": referral["reference"]}))["referral"]
    assert (status["stage"], status["version"], status["outcome"]) == ("RECEIVED", 1, None)
    assert [(e["from"], e["to"]) for e in status["stageHistory"]] == [(None, "RECEIVED")]

    listed = (await run(http, token, "MyReferrals", {}))["referrals"]
    assert [edge["node"]["reference"] for edge in listed["edges"]] == [referral["reference"]]
    assert listed["pageInfo"]["hasNextPage"] is False

    withdrawal = {"referralId": referral["id"], "version": 1, "note": "The harmed party moved away."}
    withdrawn = (await run(http, token, "WithdrawReferral", {"input": withdrawal}))["withdrawReferral"]
    assert withdrawn["userErrors"] == []
    assert (withdrawn["referral"]["stage"], withdrawn["referral"]["outcome"]) == ("CLOSED", "WITHDRAWN_BY_REFERRER")
