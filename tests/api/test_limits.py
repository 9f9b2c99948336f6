"""Each GraphQL limit refuses with QUERY_TOO_COMPLEX before any resolver runs, and reports the cost."""

from __future__ import annotations

import pytest

from hub.agencies.models import AgencyKind
from hub.api.limits import MAX_COST
from hub.auth.scopes import Role
from tests.factories import create_agency, create_client, graphql, token_for
from tests.referrals.casework import snapshot
from tests.referrals.test_process import SUBMISSION


@pytest.fixture
async def token(http, session):
    rj = await create_agency(session, AgencyKind.RJ_SERVICE)
    return await token_for(http, await create_client(session, rj, {Role.MANAGER}))


def refused(result: dict, fragment: str) -> None:
    assert result.get("data") is None, result
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert fragment in error["message"]


async def test_depth_counts_fragments(http, token):
    query = 'query { ...A } fragment A on Query { node(id: "x") { ...B } } ' + (
        "fragment B on Node { ... on Referral { participants { needs { accessibility } } stageHistory { from } "
        "facilitators { volunteerHours { edges { node { referral { facilitators { volunteerHours { edges { node { id "
        "} } } } } } } } } } }"
    )
    refused(await graphql(http, token, query), "levels deep; at most 10 are allowed")


async def test_depth_counts_introspection(http, token):
    deep = "name " + "ofType { " * 12 + "name" + " }" * 12
    alone = f"{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}"
    refused(await graphql(http, token, alone), "levels deep; at most 15 are allowed")
    chain = "ofType { " * 7 + "name" + " }" * 7
    mixed = f"{{ viewer {{ clientId }} __schema {{ types {{ fields {{ type {{ {chain} }} }} }} }} }}"
    refused(await graphql(http, token, mixed), "levels deep; at most 10 are allowed")


async def test_graphiqls_introspection_query_passes_in_development(http, token):
    from graphql import get_introspection_query

    result = await graphql(http, token, get_introspection_query(descriptions=True))
    assert "errors" not in result and result["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_aliases(http, token):
    query = "{ " + " ".join(f"a{i}: viewer {{ clientId }}" for i in range(16)) + " }"
    refused(await graphql(http, token, query), "16 aliases; at most 15")


async def test_directives(http, token):
    query = "{ viewer { " + " ".join("clientId @include(if: true)" for _ in range(51)) + " } }"
    refused(await graphql(http, token, query), "51 directives; at most 50")


async def test_tokens(http, token):
    query = "{ viewer { " + " ".join("a" for _ in range(2100)) + " } }"  # short enough: the tokens refuse it
    assert len(query) < 15_000
    for _ in range(2):  # the refusal is not cached without its code
        refused(await graphql(http, token, query), "more than 2000 tokens")


async def test_query_text_length(http, token):
    query = "# " + "x" * 15_000 + "\n{ viewer { clientId } }"
    refused(await graphql(http, token, query), "characters long; at most 15000")


async def test_cost_counts_nested_pages(http, token):
    query = (
        "{ referrals(first: 100) { edges { node { facilitators { volunteerHours(first: 100) { edges { node { id } } }"
        " } } } } }"
    )
    refused(await graphql(http, token, query), f"at most {MAX_COST} are allowed")


async def test_cost_follows_variables(http, token):
    query = "query($n: Int) { referrals(first: $n) { edges { node { participants { fullName } } } } }"
    small = await graphql(http, token, query, {"n": 2})
    large = await graphql(http, token, query, {"n": 100})
    assert small["extensions"]["cost"]["requestedQueryCost"] < large["extensions"]["cost"]["requestedQueryCost"]
    assert large["extensions"]["cost"]["maximumAvailable"] == MAX_COST


async def test_every_response_reports_its_cost(http, token):
    result = await graphql(http, token, "{ viewer { clientId agency { name } } }")
    assert result["extensions"]["cost"] == {"requestedQueryCost": 2, "maximumAvailable": MAX_COST}


async def test_a_refused_mutation_writes_nothing(http, session, token):
    aliases = " ".join(f"s{i}: submitReferral(input: $input) {{ referral {{ id }} }}" for i in range(16))
    before = await snapshot(session)
    result = await graphql(
        http, token, f"mutation($input: SubmitReferralInput!) {{ {aliases} }}", {"input": SUBMISSION}
    )
    refused(result, "aliases")
    assert await snapshot(session) == before


async def test_an_operation_is_walked_once_for_each_value_of_its_page_size(http, token, monkeypatch):
    from hub.api import limits

    walks = []
    real = limits.measure
    monkeypatch.setattr(limits, "MEASURED", limits.Measured())
    monkeypatch.setattr(limits, "measure", lambda *given: walks.append(given[3]) or real(*given))
    query = (
        "query($n: Int, $other: Boolean!) { referrals(first: $n) { edges { node { participants "
        "{ fullName @include(if: $other) } } } } }"
    )
    costs = []
    for n, other in [(2, True), (100, True), (2, False), (100, False), (2.0, True)]:
        result = await graphql(http, token, query, {"n": n, "other": other})
        costs.append(result.get("extensions", {}).get("cost", {}).get("requestedQueryCost"))
    small, large = costs[0], costs[1]
    assert small < large
    # The cached figures follow the page size, and only it: a variable the cost does not read is not in the key.
    assert costs[:4] == [small, large, small, large]
    assert [w["n"] for w in walks] == [2, 100, 2.0]  # 2.0 is not 2: walked again (and refused by validation)


def test_figures_of_an_unhashable_variable_are_walked_each_time():
    from graphql import parse

    from hub.api import limits
    from hub.api.schema import build_schema

    schema = build_schema()._schema
    document = parse("query($n: Int) { referrals(first: $n) { edges { node { id } } } }")
    measured = limits.Measured()
    weird = {"n": [5]}  # not an Int (validation refuses it), and not hashable: no key, so no entry
    assert measured.figures(schema, document, None, weird) == measured.figures(schema, document, None, {})
    assert measured.figures(schema, document, None, weird) == measured.figures(schema, document, None, {})
    ((consulted, known),) = measured.cache.values()
    assert consulted == ("n",)
    assert list(known) == [((type(None), None),)]  # the default page size's figures only


async def test_a_document_is_parsed_and_validated_once(http, token, monkeypatch):
    from hub.api import limits

    validated = []
    real = limits.validate_document
    monkeypatch.setattr(limits, "VALIDATED", limits.Validated())
    monkeypatch.setattr(limits, "validate_document", lambda *given: validated.append(1) or real(*given))
    limits.parsed.cache_clear()
    good = "{ viewer { clientId } } # validated once"
    bad = "{ viewer { clientIdd } } # refused once"
    for _ in range(3):
        assert "errors" not in await graphql(http, token, good)
        refused = await graphql(http, token, bad)
        assert refused["errors"][0]["message"].startswith("Cannot query field 'clientIdd'")
    assert len(validated) == 2
    assert limits.parsed.cache_info().misses == 2
