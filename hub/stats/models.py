"""Counts kept by the database as the records change, so a period's figures add up days, not cases.

The tables are written only by the triggers of migration 0008 (and rebuilt from the records by its
`statistic_rebuild()`): a referral, stage event, contact attempt, feedback answer or volunteer-hours entry that is
inserted, changed or deleted adjusts the day it counts on, in the same transaction. No row names a case or a person.

Most figures are plain sums per day. Two are "each counted once" over the period, whatever its length: referrals
accepted and harmed parties contacted. For those, every distinct day on which a referral was accepted (or a harmed
party successfully contacted) is counted under (day, previous): `previous` is that referral's or party's latest
earlier such day, or -infinity. A period [start, end) then counts each one once by adding the days in it whose
`previous` is before `start`: its first day in the period.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.columns import enum_type
from hub.referrals.models import DeclineReason, Outcome, Respondent


def _key(column_type: sa.types.TypeEngine | type[sa.types.TypeEngine]) -> sa.Column:
    return sa.Column(column_type, primary_key=True)


def _count() -> sa.Column:
    return sa.Column(sa.BigInteger, nullable=False)


class ReceivedCount(SQLModel, table=True):
    """Referrals submitted on a day (UTC), by referring agency and district."""

    __tablename__ = "statistic_received"

    day: date = Field(sa_column=_key(sa.Date))
    agency_id: uuid.UUID = Field(sa_column=_key(sa.Uuid))
    district: str = Field(sa_column=_key(sa.Text))
    n: int = Field(sa_column=_count())


class DeclinedCount(SQLModel, table=True):
    """Referrals declined on a day, by the reason recorded."""

    __tablename__ = "statistic_declined"

    day: date = Field(sa_column=_key(sa.Date))
    reason: DeclineReason = Field(sa_column=_key(enum_type(DeclineReason)))
    n: int = Field(sa_column=_count())


class ClosedCount(SQLModel, table=True):
    """Cases closed on a day, by outcome."""

    __tablename__ = "statistic_closed"

    day: date = Field(sa_column=_key(sa.Date))
    outcome: Outcome = Field(sa_column=_key(enum_type(Outcome)))
    n: int = Field(sa_column=_count())


class FirstDayCount(SQLModel, table=True):
    """Days on which referrals were accepted (figure ACCEPTED) or harmed parties contacted (CONTACTED), each under
    the same referral's or party's previous such day (-infinity for its first)."""

    __tablename__ = "statistic_first_day"
    __table_args__ = (sa.CheckConstraint("figure IN ('ACCEPTED', 'CONTACTED')", name="figure_known"),)

    figure: str = Field(sa_column=_key(sa.String(9)))
    day: date = Field(sa_column=_key(sa.Date))
    previous: date = Field(sa_column=_key(sa.Date))
    n: int = Field(sa_column=_count())


class FeedbackCount(SQLModel, table=True):
    """Feedback answers received on a day, by respondent, and how many said yes (satisfied; would recommend)."""

    __tablename__ = "statistic_feedback"

    day: date = Field(sa_column=_key(sa.Date))
    respondent: Respondent = Field(sa_column=_key(enum_type(Respondent)))
    answers: int = Field(sa_column=_count())
    yes: int = Field(sa_column=_count())


class HoursCount(SQLModel, table=True):
    """Volunteer hours logged for a day worked."""

    __tablename__ = "statistic_hours"

    day: date = Field(sa_column=_key(sa.Date))
    hours: Decimal = Field(sa_column=sa.Column(sa.Numeric, nullable=False))
