"""Concurrent appends, on committed data: the chain lock makes them one gapless chain, whoever commits first."""

from __future__ import annotations

import asyncio

import pytest

from hub.audit.service import append
from hub.audit.verify import Verdict, verify_chain
from hub.auth.scopes import Role
from tests.audit.trail import entries, sample
from tests.factories import graphql, serving_partner_and_service
from tests.referrals.test_process import SUBMISSION

SUBMIT = """
mutation Submit($input: SubmitReferralInput!) {
  submitReferral(input: $input) { referral { participants { contact { phone } } } userErrors { code } }
}
"""


@pytest.fixture
def database(committed_database):
    return committed_database


async def test_concurrent_appends_make_one_gapless_chain(database):
    async def one(number: int) -> None:
        async with database.transaction() as session:
            await append(session, sample(number))

    await asyncio.gather(*(one(number) for number in range(1, 9)))
    async with database.transaction() as session:
        chain = await entries(session)
        assert [e.sequence for e in chain] == list(range(1, 9))
        assert await verify_chain(session) == Verdict(8)


async def test_concurrent_requests_that_change_and_read_keep_the_chain(database, settings):
    async with serving_partner_and_service(database, settings, Role.MANAGER) as (http, referrer, manager):
        tokens = [referrer, manager]
        inputs = [{**SUBMISSION, "agencyReference": f"42/{n:06d}/26"} for n in range(6)]
        # A referrer's submissions are changes; a manager's (reading contact details back) are reads too.
        results = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": SUBMIT, "variables": {"input": given}},
                    headers={"Authorization": f"Bearer {tokens[n % 2]}"},
                )
                for n, given in enumerate(inputs)
            )
        )
    # Every submission made; the referrer's contact details come back null + FORBIDDEN, the manager's are read.
    assert [r.json()["data"]["submitReferral"]["userErrors"] for r in results] == [[]] * 6
    async with database.transaction() as session:
        chain = await entries(session)
        assert sorted(e.action.value for e in chain) == ["COLLECTION"] * 6 + ["CONSULTATION"] * 3
        assert await verify_chain(session) == Verdict(9)


READ_CONTACTS = "query($n: Int) { referrals(first: $n) { edges { node { participants { contact { phone } } } } } }"


async def test_a_query_notes_its_reads_in_a_transaction_of_the_append_s_own(database, settings, monkeypatch):
    """A query's reads run alone (no BEGIN); noting them in the chain then sends no BEGIN or COMMIT either: the
    append is its own transaction, lock and all. Queries noting reads while changes append keep one gapless
    chain."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

    async with serving_partner_and_service(database, settings, Role.MANAGER) as (http, referrer, manager):
        submitted = await graphql(http, referrer, SUBMIT, {"input": SUBMISSION})
        assert submitted["data"]["submitReferral"]["userErrors"] == []
        begun = []
        start = AsyncAdapt_asyncpg_connection._start_transaction

        async def counted(self):
            begun.append(1)
            return await start(self)

        monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "_start_transaction", counted)
        read = await graphql(http, manager, READ_CONTACTS, {"n": 5})
        assert read["data"]["referrals"]["edges"][0]["node"]["participants"][0]["contact"]["phone"]
        assert begun == []
        monkeypatch.undo()
        inputs = [{**SUBMISSION, "agencyReference": f"43/{n:06d}/26"} for n in range(4)]
        await asyncio.gather(
            *(graphql(http, manager, READ_CONTACTS, {"n": 5}) for _ in range(6)),
            *(graphql(http, referrer, SUBMIT, {"input": given}) for given in inputs),
        )
    async with database.transaction() as session:
        chain = await entries(session)
        assert sorted(e.action.value for e in chain) == ["COLLECTION"] * 5 + ["CONSULTATION"] * 7
        assert await verify_chain(session) == Verdict(12)
