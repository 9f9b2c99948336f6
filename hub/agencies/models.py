"""Partner agencies: who refers, and the RJ service itself."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.columns import enum_field, id_field, text_list_field, timestamp_field


class AgencyKind(StrEnum):
    POLICE = "POLICE"
    YOUTH_OFFENDING = "YOUTH_OFFENDING"
    COUNCIL = "COUNCIL"
    FIRE_AND_RESCUE = "FIRE_AND_RESCUE"
    PRISON = "PRISON"
    PROBATION = "PROBATION"
    VICTIM_SUPPORT = "VICTIM_SUPPORT"
    HEALTH = "HEALTH"
    EDUCATION = "EDUCATION"
    HOUSING = "HOUSING"
    RJ_SERVICE = "RJ_SERVICE"
    OTHER = "OTHER"


# Agencies that work with the person responsible: they never see a harmed party's personal details.
RESPONSIBLE_SIDE_KINDS = frozenset({AgencyKind.PRISON, AgencyKind.PROBATION, AgencyKind.YOUTH_OFFENDING})


class Agency(SQLModel, table=True):
    __table_args__ = (sa.CheckConstraint("length(btrim(name)) between 1 and 200", name="name_length"),)

    id: uuid.UUID = id_field()
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    kind: AgencyKind = enum_field(AgencyKind)
    districts: list[str] = text_list_field()
    created_at: datetime = timestamp_field()
