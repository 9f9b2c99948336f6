"""hub.prepared: statements compiled once and run on the session's own asyncpg connection give what
session.execute gives: the same values (enums, arrays, floats, UUIDs, times), in the session's transaction,
with SQLAlchemy's errors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from hub.api import faults
from hub.api.ratelimit import RateBucket
from hub.db import records
from hub.prepared import Inserts, Prepared, Shapes, Together
from hub.referrals.loaders import Gathered
from hub.referrals.models import ParticipantRole, Referral, Stage
from hub.referrals.repository import CASE_PARTS
from tests.factories import create_agency, create_participant, create_referral
from tests.referrals.test_statement_count import statements_on

_IDS = sa.bindparam("ids", type_=sa.ARRAY(Referral.__table__.c.id.type))
REFERRALS = Prepared(records(sa.select(Referral).where(Referral.id == sa.any_(_IDS)).order_by(Referral.reference)))
BUCKET = Prepared(
    sa.select(RateBucket.key, RateBucket.tokens, RateBucket.granted).where(RateBucket.key == sa.bindparam("key"))
)


async def test_rows_are_what_session_execute_gives(session):
    agency = await create_agency(session)
    created = [await create_referral(session, agency) for _ in range(3)]
    created[1].sensitivity = ["HATE_CRIME", "DOMESTIC_ABUSE"]
    created[2].stage = Stage.CONTACT
    await session.flush()
    ids = [referral.id for referral in created]

    prepared = await REFERRALS.rows(session, ids=ids)
    plain = (await session.execute(REFERRALS.statement, {"ids": ids})).all()

    assert [tuple(row) for row in prepared] == [tuple(row) for row in plain]
    assert len(prepared) == 3
    by_id = {row.id: row for row in prepared}
    assert by_id[created[2].id].stage is Stage.CONTACT  # the enum's result processor ran
    assert by_id[created[1].id].sensitivity == ["HATE_CRIME", "DOMESTIC_ABUSE"]
    assert by_id[created[0].id].submitted_at.tzinfo is not None
    assert prepared[0]._fields == tuple(column.name for column in Referral.__table__.columns)


async def test_floats_and_pending_changes(session):
    session.add(RateBucket(key="prepared-test", tokens=2.5, updated_at=sa.func.now(), granted=False))
    # Not flushed yet: the statement sees it all the same, as session.execute's autoflush would.
    row = await BUCKET.first(session, key="prepared-test")
    assert row is not None and row.tokens == 2.5 and isinstance(row.tokens, float) and row.granted is False
    assert await BUCKET.first(session, key="no such bucket") is None


async def test_it_runs_in_the_sessions_transaction(database):
    async with database.sessions() as session:
        session.add(RateBucket(key="prepared-rolled-back", tokens=1.0, updated_at=sa.func.now()))
        await session.flush()
        assert await BUCKET.first(session, key="prepared-rolled-back") is not None
        await session.rollback()
        assert await BUCKET.first(session, key="prepared-rolled-back") is None


async def test_errors_are_sqlalchemys_without_the_parameters(session):
    insert = Prepared(
        sa.insert(RateBucket).values(key=sa.bindparam("key"), tokens=1.0, updated_at=sa.func.now(), granted=True)
    )
    await insert.rows(session, key="prepared-twice")
    with pytest.raises(sa_exc.IntegrityError) as raised:
        async with session.begin_nested():
            await insert.rows(session, key="prepared-twice")
    assert "prepared-twice" not in str(raised.value)  # parameters may be personal data: never in the message
    assert raised.value.orig is not None


async def test_a_statement_timeout_reads_as_unavailable(session):
    await session.execute(sa.text("SET LOCAL statement_timeout = 50"))
    sleep = Prepared(sa.select(sa.func.pg_sleep(sa.bindparam("seconds", type_=sa.Float))))
    with pytest.raises(sa_exc.DBAPIError) as raised:
        async with session.begin_nested():
            await sleep.rows(session, seconds=2.0)
    assert faults.is_unavailable(raised.value)


async def test_what_it_refuses(session):
    with pytest.raises(TypeError, match="parameters missing: key"):
        await BUCKET.rows(session, colour="red")
    expanding = Prepared(sa.select(RateBucket.key).where(RateBucket.key.in_(sa.bindparam("keys", expanding=True))))
    with pytest.raises(ValueError, match="one ARRAY parameter"):
        await expanding.rows(session, keys=["a"])


_XID = sa.select(sa.func.txid_current().label("xid"))  # the id of the transaction the statement runs in


async def test_a_statement_alone_runs_before_the_transaction_begins(engine):
    """alone=True: before the session's transaction has begun, the statement runs in a transaction of its own (no
    BEGIN, no COMMIT sent); once begun, it runs inside like any other statement. Without the flag it always begins
    the session's transaction first."""
    alone, inside = Prepared(_XID, alone=True), Prepared(_XID)
    async with AsyncSession(engine) as session:
        first, second = (await alone.first(session)).xid, (await alone.first(session)).xid
        assert first != second  # each its own transaction
        began = (await session.execute(_XID)).scalar_one()  # the session's transaction begins here
        assert began not in (first, second)
        assert (await alone.first(session)).xid == began
        await session.commit()
    async with AsyncSession(engine) as session:
        first = (await inside.first(session)).xid
        assert (await inside.first(session)).xid == first
        assert (await session.execute(_XID)).scalar_one() == first


async def test_inserts_write_every_column_given(session):
    buckets = Inserts(RateBucket.__table__)
    await buckets.add(session, {"key": "inserted", "tokens": 4.0, "updated_at": datetime.now(UTC), "granted": False})
    row = await BUCKET.first(session, key="inserted")
    assert (row.tokens, row.granted) == (4.0, False)
    await buckets.add(session, {"key": "defaults", "tokens": 1.0, "updated_at": datetime.now(UTC)})
    assert (await BUCKET.first(session, key="defaults")).granted is True  # the column's default
    with pytest.raises(ValueError, match="not columns of rate_bucket: colour"):
        await buckets.add(session, {"key": "x", "colour": "red"})


async def test_together_reads_each_part_as_its_own_statement_would(session, engine):
    police = await create_agency(session)
    referrals = [await create_referral(session, police) for _ in range(3)]
    for referral in referrals[:2]:
        await create_participant(session, referral, ParticipantRole.HARMED)
        await create_participant(session, referral, ParticipantRole.RESPONSIBLE)
    await session.flush()
    ids = [referral.id for referral in referrals]
    parts = {name: CASE_PARTS[name] for name in ("participants", "stage_events", "feedback")}
    together = Together(parts)
    with statements_on(engine) as sent:
        found = await together.rows(session, {"participants": ids[:2], "stage_events": ids, "feedback": ids})
    assert len([s for s in sent if "array_agg" in s]) == 1
    for name, keys in (("participants", ids[:2]), ("stage_events", ids), ("feedback", ids)):
        alone = (await session.execute(parts[name]("keys"), {"keys": keys})).all()
        assert [tuple(row) for row in found[name]] == [tuple(row) for row in alone], name
        assert [row._fields for row in found[name][:1]] == [tuple(row._fields) for row in alone[:1]]
    assert len(found["participants"]) == 4 and found["feedback"] == []
    assert all(row.role in (ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE) for row in found["participants"])
    # Only the parts asked for, each for its own keys.
    only = await together.rows(session, {"participants": [ids[1]]})
    assert list(only) == ["participants"] and {row.referral_id for row in only["participants"]} == {ids[1]}


async def test_loads_of_one_turn_go_together_and_share_a_failure(session, engine):
    police = await create_agency(session)
    referral = await create_referral(session, police)
    await create_participant(session, referral, ParticipantRole.HARMED)
    await session.flush()

    async def run(query, *args):
        return await query(session, *args)

    gathered = Gathered(run, Together(CASE_PARTS))
    with statements_on(engine) as sent:
        participants, events = await asyncio.gather(
            gathered.load("participants", [referral.id]), gathered.load("stage_events", [referral.id])
        )
        later = await gathered.load("feedback", [referral.id])  # a later turn: a statement of its own
    assert len(sent) == 2
    assert [p.role for p in participants] == [ParticipantRole.HARMED] and len(events) == 1 and later == []

    async def failing(query, *args):
        raise sa_exc.OperationalError("SELECT", {}, Exception("down"))

    broken = Gathered(failing, Together(CASE_PARTS))
    outcomes = await asyncio.gather(
        broken.load("participants", [referral.id]), broken.load("feedback", [referral.id]), return_exceptions=True
    )
    assert all(isinstance(outcome, sa_exc.OperationalError) for outcome in outcomes)


async def test_a_savepoint_holds_what_runs_in_it(database):
    async with database.sessions() as session:
        assert await BUCKET.first(session, key="prepared-outside") is None  # the transaction holds its connection
        calls = []
        real = session.connection

        async def connection(*given, **named):
            calls.append(1)
            return await real(*given, **named)

        session.connection = connection  # type: ignore[method-assign]
        assert await BUCKET.first(session, key="prepared-outside") is None
        assert calls == []  # taken from the transaction, not acquired again
        insert = Prepared(sa.insert(RateBucket).values(key=sa.bindparam("key"), tokens=1.0, updated_at=sa.func.now()))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await insert.rows(session, key="prepared-in-savepoint")
                assert await BUCKET.first(session, key="prepared-in-savepoint") is not None
                raise RuntimeError("roll the savepoint back")
        assert calls  # the savepoint began on the session's connection before the insert ran in it
        assert await BUCKET.first(session, key="prepared-in-savepoint") is None
        await session.rollback()


async def test_one_key_is_written_into_the_statement_so_postgresql_keeps_one_plan(session, database):
    """Given one key, `= ANY(:ids)` runs as `= ANY(ARRAY[$1])`, with the same rows: PostgreSQL then keeps one plan
    after its first five runs, where with the ARRAY parameter it plans every run afresh (its plan without the
    values assumes several keys). Several keys still go as the ARRAY."""
    agency = await create_agency(session)
    created = [await create_referral(session, agency) for _ in range(3)]
    ids = [referral.id for referral in created]
    with statements_on(database.engine) as sent:
        for _ in range(8):
            (one,) = await REFERRALS.rows(session, ids=ids[1:2])
        several = await REFERRALS.rows(session, ids=ids)
    assert one.id == ids[1]
    assert {row.id for row in several} == set(ids)
    assert sent[0].count("ANY (ARRAY[$1::UUID])") == 1 and sent[0] != sent[-1]
    assert "ANY ($1::UUID[])" in sent[-1]
    plans = sa.text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = :sql")
    (generic, custom) = (await session.execute(plans, {"sql": sent[0]})).one()
    assert (generic, custom) == (3, 5)


async def test_keys_used_elsewhere_too_stay_an_array(session):
    """An ARRAY parameter the statement also uses outside `= ANY(...)` keeps its ARRAY: written once as ARRAY[$1]
    and once as the parameter, the two uses would disagree on its type."""
    agency = await create_agency(session)
    referral = await create_referral(session, agency)
    ids = sa.bindparam("ids", type_=sa.ARRAY(Referral.__table__.c.id.type))
    counted = Prepared(
        sa.select(Referral.id, sa.func.cardinality(ids).label("given")).where(Referral.id == sa.any_(ids))
    )
    (row,) = await counted.rows(session, ids=[referral.id])
    assert (row.id, row.given) == (referral.id, 1)


async def test_shapes_build_a_statement_only_for_a_shape_not_seen(session):
    """Given `binds`, Shapes learns the values from it and builds the statement only the first time a shape comes:
    later runs take their values from `binds`, not from the statement first built."""
    agency = await create_agency(session)
    created = [await create_referral(session, agency) for _ in range(3)]
    created[2].stage = Stage.CONTACT
    await session.flush()
    shapes, built = Shapes(), []

    def build(bind, ids, stage):
        built.append(stage)
        statement = sa.select(Referral).where(*conditions(bind, ids, stage))
        return records(statement.order_by(Referral.reference))

    def conditions(bind, ids, stage):
        found = [Referral.id == sa.any_(bind("ids", ids, sa.ARRAY(sa.Uuid)))]
        if stage is not None:
            found.append(Referral.stage == bind("stage", stage, Referral.__table__.c.stage.type))
        return found

    async def read(ids, stage=None):
        rows = await shapes.rows(
            session, "test", lambda bind: build(bind, ids, stage), lambda bind: conditions(bind, ids, stage)
        )
        return [row.id for row in rows]

    ids = [referral.id for referral in created]
    assert await read(ids) == ids
    assert await read(ids[:2]) == ids[:2]
    assert await read(ids, Stage.CONTACT) == [ids[2]]  # another shape: a stage is bound
    assert await read(ids, Stage.RECEIVED) == ids[:2]
    assert built == [None, Stage.CONTACT]


def test_shapes_refuse_binds_that_differ_from_the_statements():
    shapes = Shapes()

    def build(bind):
        return sa.select(Referral.id).where(Referral.stage == bind("stage", Stage.CONTACT))

    with pytest.raises(ValueError, match=r"binds\(\) bound nothing where build\(\) bound stage"):
        shapes.prepare("left out", build, lambda bind: None)
    with pytest.raises(ValueError, match=r"binds\(\) and build\(\) bound different values to stage"):
        shapes.prepare("another value", build, lambda bind: bind("stage", Stage.RECEIVED))
    shapes.prepare("the same", build, lambda bind: bind("stage", Stage.CONTACT))
