"""New rows written without the ORM (hub.records): made as the model's constructor makes them, inserted in one
statement, and noted by the change's audit capture as a flush notes the model's instances."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.audit.capture import ChangeCapture
from hub.records import NewRows
from hub.referrals.models import ConsentState, Participant, ParticipantRole
from tests.factories import create_agency, create_referral
from tests.referrals.test_statement_count import statements_on

PARTICIPANTS = NewRows(Participant)
GIVEN = {"role": ParticipantRole.HARMED, "full_name": "Morgan Ellis", "date_of_birth": date(1990, 5, 1)}


def test_a_row_has_the_values_the_model_s_constructor_gives():
    referral_id = uuid.uuid4()
    row = PARTICIPANTS.make(referral_id=referral_id, **GIVEN)
    instance = Participant(referral_id=referral_id, **GIVEN)
    made = row._asdict()
    assert set(made) == {column.key for column in Participant.__table__.columns}
    assert {name: value for name, value in made.items() if name != "id"} == {
        name: getattr(instance, name) for name in made if name != "id"
    }
    assert (row.consent, row.position, row.withdrawn_at) == (ConsentState.PENDING, 0, None)  # the model's defaults
    assert isinstance(row.id, uuid.UUID) and row.id != PARTICIPANTS.make(referral_id=referral_id, **GIVEN).id


def test_a_row_names_what_it_lacks_or_does_not_have():
    with pytest.raises(TypeError, match="Participant needs referral_id"):
        PARTICIPANTS.make(**GIVEN)
    with pytest.raises(TypeError, match="Participant has no column nickname"):
        PARTICIPANTS.make(referral_id=uuid.uuid4(), nickname="Mo", **GIVEN)


async def test_rows_go_in_one_statement_and_the_capture_notes_them_as_a_flush_would(database, session):
    police = await create_agency(session, AgencyKind.POLICE)
    referral = await create_referral(session, police)
    rows = [
        PARTICIPANTS.make(referral_id=referral.id, position=n, **GIVEN | {"full_name": f"Person {n}"}) for n in range(3)
    ]
    by_rows, by_flush = ChangeCapture(), ChangeCapture()
    with statements_on(database.engine) as sent, by_rows.watching(session.sync_session):
        await PARTICIPANTS.add(session, rows)
    assert [s.split(" (")[0] for s in sent] == ["INSERT INTO participant"]
    stored = (await session.execute(sa.select(Participant.full_name).order_by(Participant.position))).scalars()
    assert list(stored) == ["Person 0", "Person 1", "Person 2"]
    # The same rows through the ORM's unit of work (new ids): the capture notes the same columns.
    with by_flush.watching(session.sync_session):
        session.add_all(Participant(**row._asdict() | {"id": uuid.uuid4()}) for row in rows)
        await session.flush()
    assert [(r["type"], r["change"], r["fields"]) for r in by_rows.records()] == [
        (r["type"], r["change"], r["fields"]) for r in by_flush.records()
    ]
    assert sorted(r["id"] for r in by_rows.records()) == sorted(str(row.id) for row in rows)
