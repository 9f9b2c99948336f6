"""The counts the database keeps per day: every way the records change leaves them equal to a recount from the
records (statistic_rebuild), and committed changes are counted for other transactions."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import AgencyKind
from hub.facilitators.models import VolunteerHours
from hub.referrals.models import (
    ContactAttempt,
    ContactMethod,
    DeclineReason,
    Feedback,
    Outcome,
    ParticipantRole,
    Referral,
    Respondent,
    Stage,
    StageEvent,
)
from hub.stats.repository import recount
from tests.factories import create_agency, create_facilitator, create_participant, create_referral

TABLES = {
    "statistic_received": "SELECT day, agency_id, district, n FROM statistic_received WHERE n <> 0",
    "statistic_declined": "SELECT day, reason, n FROM statistic_declined WHERE n <> 0",
    "statistic_closed": "SELECT day, outcome, n FROM statistic_closed WHERE n <> 0",
    "statistic_first_day": "SELECT figure, day, previous, n FROM statistic_first_day WHERE n <> 0",
    "statistic_feedback": "SELECT day, respondent, answers, yes FROM statistic_feedback WHERE answers <> 0",
    "statistic_hours": "SELECT day, hours FROM statistic_hours WHERE hours <> 0",
}
START = datetime(2026, 3, 1, tzinfo=UTC)


async def kept(session) -> dict[str, set[tuple]]:
    """Every non-zero count, as the triggers left it."""
    return {table: {tuple(row) for row in await session.execute(sa.text(query))} for table, query in TABLES.items()}


async def recounted(session) -> dict[str, set[tuple]]:
    await session.execute(sa.text("SELECT statistic_rebuild()"))
    return await kept(session)


def when(rng: random.Random) -> datetime:
    """Any instant of 40 days, near midnight as often as not, so the UTC day is what counts."""
    day = START + timedelta(days=rng.randrange(40))
    return day + (
        timedelta(hours=rng.choice([0, 23]), minutes=rng.randrange(60))
        if rng.random() < 0.5
        else timedelta(seconds=rng.randrange(86_400))
    )


class Churn:
    """Random changes of every kind the counts follow, in any order: backdated and repeated days, several rows
    in one statement, updates that move a row to another day, and deletes (a referral's delete cascades)."""

    def __init__(self, session, agencies, facilitator, seed: int) -> None:
        self.session, self.agencies, self.facilitator = session, agencies, facilitator
        self.rng = random.Random(seed)
        self.referrals: list[Referral] = []
        self.parties: list = []

    def pick(self, rows: list):
        return self.rng.choice(rows)

    async def submit(self) -> None:
        submitted = when(self.rng) - timedelta(days=5)
        referral = await create_referral(
            self.session, self.pick(self.agencies), submitted_at=submitted, district=self.pick(["A", "B", "C"])
        )
        self.referrals.append(referral)
        for role in self.rng.sample([ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE], 2):
            self.parties.append(await create_participant(self.session, referral, role))

    async def accept(self) -> None:
        # One to three acceptances of a referral in one statement, on any days (re-accepted after a hold).
        referral = self.pick(self.referrals)
        for _ in range(self.rng.randint(1, 3)):
            at = max(when(self.rng), referral.submitted_at)
            self.session.add(StageEvent(referral_id=referral.id, to_stage=Stage.ACCEPTED, at=at))
        await self.session.flush()

    async def contact(self) -> None:
        party = self.pick(self.parties)
        for _ in range(self.rng.randint(1, 3)):
            self.session.add(
                ContactAttempt(
                    referral_id=party.referral_id,
                    participant_id=party.id,
                    method=ContactMethod.PHONE,
                    successful=self.rng.random() < 0.7,
                    attempted_at=when(self.rng),
                )
            )
        await self.session.flush()

    async def move_attempt(self) -> None:
        ids = (await self.session.execute(sa.select(ContactAttempt.id))).scalars().all()
        if ids:
            change = (
                {"attempted_at": when(self.rng)}
                if self.rng.random() < 0.5
                else {"successful": sa.not_(ContactAttempt.successful)}
            )
            await self.session.execute(
                sa.update(ContactAttempt).where(ContactAttempt.id == self.pick(ids)).values(**change)
            )

    async def move_acceptance(self) -> None:
        ids = (
            (await self.session.execute(sa.select(StageEvent.id).where(StageEvent.to_stage == Stage.ACCEPTED)))
            .scalars()
            .all()
        )
        if ids:
            event = sa.update(StageEvent).where(StageEvent.id == self.pick(ids))
            await self.session.execute(event.values(at=StageEvent.at + timedelta(days=self.rng.randint(-3, 3))))

    async def forget(self) -> None:
        table = self.pick([ContactAttempt, StageEvent, Feedback, VolunteerHours])
        ids = (await self.session.execute(sa.select(table.id))).scalars().all()
        if ids:
            await self.session.execute(sa.delete(table).where(table.id.in_(self.rng.sample(ids, min(3, len(ids))))))

    async def end(self) -> None:
        referral = self.pick(self.referrals)
        ended = referral.submitted_at + timedelta(days=self.rng.randint(0, 30), hours=self.rng.randint(0, 23))
        values = (
            {"stage": Stage.CLOSED, "outcome": self.pick(list(Outcome))}
            if self.rng.random() < 0.6
            else {"stage": Stage.DECLINED, "decline_reason": self.pick(list(DeclineReason))}
        )
        reopened = {"stage": Stage.RECEIVED, "outcome": None, "decline_reason": None, "closed_at": None}
        await self.session.execute(sa.update(Referral).where(Referral.id == referral.id).values(**reopened))
        await self.session.execute(
            sa.update(Referral).where(Referral.id == referral.id).values(closed_at=ended, updated_at=ended, **values)
        )

    async def redistrict(self) -> None:
        referral = self.pick(self.referrals)
        await self.session.execute(sa.update(Referral).where(Referral.id == referral.id).values(district="D"))

    async def answer(self) -> None:
        party = self.pick(self.parties)
        self.session.add(
            Feedback(
                referral_id=party.referral_id,
                respondent=Respondent.PARTICIPANT,
                participant_id=party.id,
                satisfied=self.rng.random() < 0.5,
                received_at=when(self.rng),
            )
        )
        self.session.add(
            Feedback(
                referral_id=party.referral_id,
                respondent=Respondent.REFERRER,
                would_recommend=self.rng.random() < 0.5,
                received_at=when(self.rng),
            )
        )
        await self.session.flush()

    async def log_hours(self) -> None:
        day = when(self.rng).date()
        hours = Decimal(self.rng.randint(1, 30)) / 4
        self.session.add(VolunteerHours(facilitator_id=self.facilitator.id, worked_on=day, hours=hours, activity="x"))
        await self.session.flush()
        if self.rng.random() < 0.3:
            await self.session.execute(sa.update(VolunteerHours).values(worked_on=VolunteerHours.worked_on + 1))

    async def withdraw(self) -> None:
        # A referral deleted with everything of it (a harmed party's attempts and its acceptances cascade).
        referral = self.referrals.pop(self.rng.randrange(len(self.referrals)))
        self.parties = [party for party in self.parties if party.referral_id != referral.id]
        await self.session.execute(sa.delete(Referral).where(Referral.id == referral.id))

    async def step(self) -> None:
        if len(self.referrals) < 5:
            await self.submit()
            return
        actions = [
            self.submit,
            self.accept,
            self.contact,
            self.contact,
            self.move_attempt,
            self.move_acceptance,
            self.forget,
            self.end,
            self.redistrict,
            self.answer,
            self.log_hours,
            self.withdraw,
        ]
        await self.pick(actions)()


async def test_counts_kept_through_random_changes_equal_a_recount_from_the_records(session):
    agencies = [await create_agency(session, AgencyKind.POLICE), await create_agency(session, AgencyKind.COUNCIL)]
    churn = Churn(session, agencies, await create_facilitator(session), seed=2026)
    for _ in range(160):
        await churn.step()
    maintained = await kept(session)
    assert all(maintained.values()), "the churn should leave counts in every table"
    assert await recounted(session) == maintained


async def test_a_harmed_party_deleted_takes_its_days_and_a_new_role_brings_them(session):
    agency = await create_agency(session)
    referral = await create_referral(session, agency, submitted_at=START)
    harmed = await create_participant(session, referral, ParticipantRole.HARMED)
    responsible = await create_participant(session, referral, ParticipantRole.RESPONSIBLE)
    for party, day in [(harmed, 2), (harmed, 5), (responsible, 3)]:
        session.add(
            ContactAttempt(
                referral_id=referral.id,
                participant_id=party.id,
                method=ContactMethod.PHONE,
                successful=True,
                attempted_at=START + timedelta(days=day),
            )
        )
    await session.flush()
    contacted = {("CONTACTED", date(2026, 3, 3), date.min, 1), ("CONTACTED", date(2026, 3, 6), date(2026, 3, 3), 1)}
    assert (await kept(session))["statistic_first_day"] == contacted
    participant = sa.text("UPDATE participant SET role = :role WHERE id = :id")
    await session.execute(participant, {"role": "RESPONSIBLE", "id": harmed.id})
    await session.execute(participant, {"role": "HARMED", "id": responsible.id})
    assert (await kept(session))["statistic_first_day"] == {("CONTACTED", date(2026, 3, 4), date.min, 1)}
    await session.execute(sa.text("DELETE FROM participant WHERE id = :id"), {"id": responsible.id})
    assert (await kept(session))["statistic_first_day"] == set()
    assert await recounted(session) == await kept(session)


async def test_committed_changes_are_counted_for_other_transactions(engine):
    """Two transactions at once each add a harmed party's contact on another day and commit: the counts others
    read are the recount's, and deleting the case takes them all away again."""
    day = date(1999, 1, 4)  # a day no other test writes on
    async with engine.connect() as conn:
        agency_id, referral_id, party_id = await _committed_case(conn, day)
    try:

        async def contact(offset: int) -> None:
            async with engine.begin() as conn:
                attempted = datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=offset)
                await conn.execute(
                    sa.insert(ContactAttempt).values(
                        id=uuid.uuid4(),
                        referral_id=referral_id,
                        participant_id=party_id,
                        method="PHONE",
                        successful=True,
                        attempted_at=attempted,
                    )
                )
                await asyncio.sleep(0.2)  # both transactions are open before either commits

        await asyncio.gather(contact(2), contact(1))
        async with engine.connect() as reader:
            rows = await reader.execute(
                sa.text(
                    "SELECT figure, day, previous, n FROM statistic_first_day WHERE day >= :day AND n <> 0"
                    " AND day < :day + 10 ORDER BY figure, day"
                ),
                {"day": day},
            )
            assert [tuple(row) for row in rows] == [
                ("CONTACTED", date(1999, 1, 5), date.min, 1),
                ("CONTACTED", date(1999, 1, 6), date(1999, 1, 5), 1),
            ]
            received = await reader.scalar(
                sa.text("SELECT n FROM statistic_received WHERE day = :day AND agency_id = :agency"),
                {"day": day, "agency": agency_id},
            )
            assert received == 1
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.delete(Referral).where(Referral.id == referral_id))
            await conn.execute(sa.text("DELETE FROM agency WHERE id = :id"), {"id": agency_id})
    async with engine.connect() as reader:
        left = await reader.scalar(
            sa.text("SELECT coalesce(sum(abs(n)), 0) FROM statistic_first_day WHERE day >= :day AND day < :day + 10"),
            {"day": day},
        )
        received = await reader.scalar(
            sa.text("SELECT coalesce(sum(n), 0) FROM statistic_received WHERE agency_id = :agency"),
            {"agency": agency_id},
        )
        assert (left, received) == (0, 0)


async def _committed_case(conn, day: date) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """An agency, a referral submitted on `day` and its harmed party, committed."""
    async with AsyncSession(bind=conn, expire_on_commit=False) as session:
        agency = await create_agency(session, AgencyKind.POLICE, f"Counted agency {uuid.uuid4()}")
        referral = await create_referral(
            session, agency, submitted_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
        )
        party = await create_participant(session, referral, ParticipantRole.HARMED)
        await session.commit()
        return agency.id, referral.id, party.id


async def test_a_recount_is_not_cut_off_by_the_statement_timeout(session):
    """At a million referrals a recount takes seconds (12 s measured): longer than a request may."""
    await session.execute(sa.text("SET LOCAL statement_timeout = 100"))
    assert await recount(session) == (0, 0)
    assert (await session.execute(sa.text("SHOW statement_timeout"))).scalar() == "0"
