"""Facilitators (volunteer and staff practitioners), their allocation to cases and their hours."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.columns import enum_field, fk_field, id_field, text_list_field, timestamp_field


class Accreditation(StrEnum):
    TRAINEE = "TRAINEE"
    ACCREDITED = "ACCREDITED"


class Facilitator(SQLModel, table=True):
    __table_args__ = (sa.CheckConstraint("length(btrim(full_name)) >= 1", name="name_present"),)

    id: uuid.UUID = id_field()
    full_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    email: str | None = Field(default=None, sa_column=sa.Column(sa.String(320), nullable=True, unique=True))
    accreditation: Accreditation = enum_field(Accreditation)
    sensitive_trained: bool = Field(default=False)
    districts: list[str] = text_list_field()
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0]


class Allocation(SQLModel, table=True):
    """A facilitator working a referral (one or two per case)."""

    referral_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    )
    facilitator_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("facilitator.id", ondelete="RESTRICT"), primary_key=True, index=True)
    )
    allocated_at: datetime = timestamp_field()


class VolunteerHours(SQLModel, table=True):
    __tablename__ = "volunteer_hours"
    __table_args__ = (sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),)

    id: uuid.UUID = id_field()
    facilitator_id: uuid.UUID = fk_field("facilitator.id")
    referral_id: uuid.UUID | None = fk_field("referral.id", nullable=True, ondelete="SET NULL")
    worked_on: date = Field(index=True)
    hours: Decimal = Field(sa_column=sa.Column(sa.Numeric(4, 2), nullable=False))
    activity: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    recorded_at: datetime = timestamp_field()
