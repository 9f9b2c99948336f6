"""OAuth clients (partner systems) and the keys that sign access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from hub.auth.scopes import Role, Scope
from hub.columns import fk_field, id_field, members_check, text_list_field, timestamp_field


class OAuthClient(SQLModel, table=True):
    """A registered partner system (or portal). The secret is stored only as an argon2 hash."""

    __tablename__ = "oauth_client"
    __table_args__ = (
        members_check("roles", Role, "roles_known"),
        members_check("scopes", Scope, "scopes_known"),
        sa.CheckConstraint("cardinality(roles) >= 1", name="has_a_role"),
        sa.CheckConstraint("facilitator_id IS NULL OR 'FACILITATOR' = ANY(roles)", name="facilitator_acts_as_one"),
        sa.CheckConstraint(
            "token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')",
            name="auth_method_known",
        ),
    )

    id: uuid.UUID = id_field()
    client_id: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    agency_id: uuid.UUID = fk_field("agency.id")
    secret_hash: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    roles: list[str] = text_list_field()
    scopes: list[str] = text_list_field()
    grant_types: list[str] = Field(
        default_factory=lambda: ["client_credentials"],
        sa_column=sa.Column(postgresql.ARRAY(sa.Text), nullable=False, server_default="{client_credentials}"),
    )
    token_endpoint_auth_method: str = Field(
        default="client_secret_basic",
        sa_column=sa.Column(sa.String(40), nullable=False, server_default="client_secret_basic"),
    )
    # A FACILITATOR client may act for one facilitator (e.g. their case-work app): it then sees their cases.
    facilitator_id: uuid.UUID | None = fk_field("facilitator.id", nullable=True, index=False)
    disabled_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    created_at: datetime = timestamp_field()


class SigningKey(SQLModel, table=True):
    """An asymmetric key that signs access tokens. Retired keys still verify until their tokens expire."""

    __tablename__ = "signing_key"

    kid: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    alg: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    private_jwk: dict = Field(sa_column=sa.Column(postgresql.JSONB, nullable=False))
    public_jwk: dict = Field(sa_column=sa.Column(postgresql.JSONB, nullable=False))
    created_at: datetime = timestamp_field()
    retired_at: datetime | None = timestamp_field(nullable=True, default_now=False)
