"""Column helpers shared by every domain's tables, so constraints are declared the same way everywhere."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def enum_type(enum: type[Enum], name: str | None = None) -> sa.Enum:
    """A VARCHAR with a CHECK constraint on the enum's values (no native PG enum: cheaper to migrate).

    `name` names the CHECK; give it where one table has two columns of the same enum.
    """
    return sa.Enum(
        enum,
        name=name or snake(enum.__name__),
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def enum_field(
    enum: type[Enum], *, nullable: bool = False, default: Any = ..., index: bool = False, name: str | None = None
) -> Any:
    return Field(default=default, sa_column=sa.Column(enum_type(enum, name), nullable=nullable, index=index))


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def fk_field(target: str, *, nullable: bool = False, ondelete: str = "RESTRICT", index: bool = True) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


def timestamp_field(*, nullable: bool = False, default_now: bool = True, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if default_now else lambda: None,
        sa_column=sa.Column(
            sa.DateTime(timezone=True),
            nullable=nullable,
            server_default=sa.func.now() if default_now else None,
            index=index,
        ),
    )


def text_list_field() -> Any:
    return Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
    )


def members_check(column: str, enum: type[Enum], name: str) -> sa.CheckConstraint:
    """A CHECK that every element of a text[] column is one of the enum's values."""
    values = ", ".join(f"'{m.value}'" for m in enum)
    return sa.CheckConstraint(f"{column} <@ ARRAY[{values}]::text[]", name=name)
