"""The request's context: what it holds goes when the request's unit of work ends."""

from __future__ import annotations

import gc
import weakref

from hub.agencies.models import AgencyKind
from hub.api.context import Context
from hub.referrals.models import ParticipantRole
from tests.audit.test_reads import a_manager
from tests.factories import create_agency, create_participant, create_referral


async def test_what_a_request_loaded_goes_when_its_unit_of_work_ends(database, settings, session):
    """The dataloaders hold every row the request read, and refer back to the context (they run on its session).
    The context lets them go when its unit of work ends, so the rows are freed there and then by reference
    counting rather than left to the cycle collector, and the next unit of work (a WebSocket connection's next
    operation) loads afresh."""
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    referral = await create_referral(session, police)
    await create_participant(session, referral, ParticipantRole.HARMED)
    context = Context(principal=a_manager(), database=database, settings=settings)
    (participant,) = await context.loaders.participants_by_referral.load(referral.id)
    loaded = weakref.ref(context.loaders)
    enabled = gc.isenabled()
    gc.disable()  # only reference counting may free them
    try:
        await context.finish(commit=False)
        assert loaded() is None
    finally:
        if enabled:
            gc.enable()
    assert await context.loaders.participants_by_referral.load(referral.id) == [participant]  # fresh loaders


async def test_a_change_undoes_all_it_wrote_when_it_fails_with_or_without_a_savepoint(committed_database, settings):
    """On committed data (as in production, where a query's reads run outside any transaction): a request's first
    change runs without a savepoint (nothing of the request is in its transaction yet, so a rollback undoes
    exactly the change); a later one in a savepoint. Either way a failed change leaves nothing it wrote, the
    changes before it stay, and the request commits the rest."""
    import pytest
    import sqlalchemy as sa

    from hub.api.ratelimit import RateBucket
    from tests.referrals.test_statement_count import statements_on

    def writes(key: str, then_fail: bool = False):
        async def action(session, principal):
            session.add(RateBucket(key=key, tokens=1.0, updated_at=sa.func.now()))
            await session.flush()
            if then_fail:
                raise ValueError("refused after writing")
            return key

        action.__name__ = f"write_{key}"
        return action

    async def keys() -> list[str]:
        async with committed_database.sessions() as session:
            return sorted((await session.execute(sa.select(RateBucket.key))).scalars())

    context = Context(principal=a_manager(), database=committed_database, settings=settings)
    with statements_on(committed_database.engine) as sent:
        with pytest.raises(ValueError):
            await context.change(writes("first-refused", then_fail=True))
        assert await context.change(writes("kept")) == "kept"
        with pytest.raises(ValueError):
            await context.change(writes("later-refused", then_fail=True))
        await context.finish(commit=True)
    savepoints = [s for s in sent if s.startswith(("SAVEPOINT", "ROLLBACK TO SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert [s.split(" ")[0] for s in savepoints] == ["SAVEPOINT", "ROLLBACK"]  # the third change's only
    assert await keys() == ["kept"]


async def test_a_request_makes_only_the_loaders_it_asks_for(database, settings):
    """Seventeen loaders, a request typically using a few: each is made on first use."""
    context = Context(principal=a_manager(), database=database, settings=settings)
    loaders = context.loaders
    assert loaders.referral_by_id is loaders.referral_by_id  # one per request
    assert loaders.participants_by_referral is not None
    made = {name for name in vars(loaders) if not name.startswith("_") or name == "_case"}
    assert made == {"referral_by_id", "participants_by_referral", "_case"}


async def test_a_change_makes_the_dataloaders_read_afresh(database, settings, session):
    """What the dataloaders hold was read before a change: the change's payload, and the request's later
    mutations, read the case as the change left it (a case's parts read for a page are kept for later loads)."""
    import sqlalchemy as sa

    from hub.referrals.models import Participant

    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    referral = await create_referral(session, police)
    await create_participant(session, referral, ParticipantRole.HARMED, full_name="Before")
    context = Context(principal=a_manager(), database=database, settings=settings)
    context._session = session  # the test's transaction

    ((before,),) = await context.loaders.participants_by_referral.groups([referral.id])
    assert before.full_name == "Before"
    (kept,) = await context.loaders.participants_by_referral.load(referral.id)
    assert kept is before  # kept from the read for the page, not read again

    async def rename(session, principal):
        await session.execute(sa.update(Participant).values(full_name="After"))

    await context.change(rename)
    (after,) = await context.loaders.participants_by_referral.load(referral.id)
    assert after.full_name == "After"


async def test_a_cases_agreement_comes_with_its_actions_and_both_are_kept(database, settings, session):
    """The agreement and its actions are one statement; the level below takes the actions from what was kept, and
    asking again for the same cases' agreements sends nothing."""
    from datetime import date

    from hub.referrals.models import ActionKind, AgreementAction, OutcomeAgreement
    from tests.referrals.test_statement_count import statements_on

    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    with_actions, without = await create_referral(session, police), await create_referral(session, police)
    agreements = [OutcomeAgreement(referral_id=r.id, agreed_on=date(2026, 5, 1)) for r in (with_actions, without)]
    session.add_all(agreements)
    await session.flush()
    session.add_all(
        AgreementAction(
            agreement_id=agreements[0].id,
            kind=ActionKind.APOLOGY,
            description=f"Action {n}",
            owner_role=ParticipantRole.RESPONSIBLE,
            position=n,
        )
        for n in range(2)
    )
    await session.flush()
    context = Context(principal=a_manager(), database=database, settings=settings)
    context._session = session  # the test's transaction
    loaders = context.loaders
    keys = [with_actions.id, without.id]

    with statements_on(database.engine) as sent:
        found = await loaders.agreements_with_actions.groups(keys)
    assert [[row.id for row in rows] for rows in found] == [[agreements[0].id], [agreements[1].id]]
    assert len(sent) == 1 and "FROM agreement_action" in sent[0]

    with statements_on(database.engine) as sent:
        actions = await loaders.actions_by_agreement.groups([a.id for a in agreements])
        again = await loaders.agreements_with_actions.groups(keys)
    assert [[row.description for row in rows] for rows in actions] == [["Action 0", "Action 1"], []]
    assert [[row.id for row in rows] for rows in again] == [[row.id for row in rows] for rows in found]
    assert sent == []
