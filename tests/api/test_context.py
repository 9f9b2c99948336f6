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
