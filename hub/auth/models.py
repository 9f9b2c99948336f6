"""OAuth clients, the people who sign in to portals, and what the OAuth server keeps: keys, codes, refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from hub.auth.scopes import Role, Scope
from hub.columns import fk_field, id_field, members_check, text_list_field, timestamp_field

SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")


class OAuthClient(SQLModel, table=True):
    """A registered partner system (or portal). The secret is stored only as an argon2 hash."""

    __tablename__ = "oauth_client"
    __table_args__ = (
        members_check("roles", Role, "roles_known"),
        members_check("scopes", Scope, "scopes_known"),
        sa.CheckConstraint("cardinality(roles) >= 1", name="has_a_role"),
        sa.CheckConstraint("rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0", name="rate_limit_positive"),
        sa.CheckConstraint("facilitator_id IS NULL OR 'FACILITATOR' = ANY(roles)", name="facilitator_acts_as_one"),
        sa.CheckConstraint(
            "token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')",
            name="auth_method_known",
        ),
        sa.CheckConstraint(
            "grant_types <@ ARRAY['client_credentials', 'authorization_code', 'refresh_token']::text[]",
            name="grant_types_known",
        ),
        sa.CheckConstraint(
            "(secret_hash IS NOT NULL) = (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post'))",
            name="secret_matches_auth_method",
        ),
        sa.CheckConstraint(
            "(jwks IS NOT NULL) = (token_endpoint_auth_method = 'private_key_jwt')", name="jwks_matches_auth_method"
        ),
        sa.CheckConstraint(
            "token_endpoint_auth_method <> 'none' OR NOT 'client_credentials' = ANY(grant_types)",
            name="public_clients_act_for_people",
        ),
        sa.CheckConstraint(
            "NOT 'authorization_code' = ANY(grant_types) OR cardinality(redirect_uris) >= 1",
            name="code_needs_redirect_uri",
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
    # Where the authorization endpoint may send people back to: compared exactly, never by prefix.
    redirect_uris: list[str] = text_list_field()
    # The public keys of a private_key_jwt client (a JWK set).
    jwks: dict | None = Field(default=None, sa_column=sa.Column(postgresql.JSONB(none_as_null=True), nullable=True))
    # The GraphQL points a minute this client may spend; null: HUB_RATE_LIMIT_PER_MINUTE.
    rate_limit_per_minute: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
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


class User(SQLModel, table=True):
    """A person who signs in to an agency portal. The password is stored only as an argon2 hash."""

    __tablename__ = "user_account"
    __table_args__ = (
        members_check("roles", Role, "roles_known"),
        sa.CheckConstraint("cardinality(roles) >= 1", name="has_a_role"),
        sa.CheckConstraint("email = lower(btrim(email)) AND position('@' IN email) > 1", name="email_normalised"),
        sa.CheckConstraint("facilitator_id IS NULL OR 'FACILITATOR' = ANY(roles)", name="facilitator_acts_as_one"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = fk_field("agency.id")
    # Kept lower-case, so it is unique whatever the case it is typed in.
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, unique=True))
    full_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    roles: list[str] = text_list_field()
    password_hash: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # A person who is a facilitator sees the cases allocated to them.
    facilitator_id: uuid.UUID | None = fk_field("facilitator.id", nullable=True)
    disabled_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    created_at: datetime = timestamp_field()


class AuthorizationCode(SQLModel, table=True):
    """A code the authorization endpoint gave a portal: single-use, short-lived, stored only as a hash."""

    __tablename__ = "authorization_code"
    __table_args__ = (sa.CheckConstraint("code_challenge_method = 'S256'", name="s256_only"),)

    id: uuid.UUID = id_field()
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    client_id: uuid.UUID = fk_field("oauth_client.id", ondelete="CASCADE")
    user_id: uuid.UUID = fk_field("user_account.id", ondelete="CASCADE")
    redirect_uri: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    scope: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    code_challenge: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    code_challenge_method: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field(default_now=False)
    used_at: datetime | None = timestamp_field(nullable=True, default_now=False)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class RefreshToken(SQLModel, table=True):
    """A refresh token, stored only as a hash. Each use rotates it; every token from one sign-in is a family."""

    __tablename__ = "refresh_token"

    id: uuid.UUID = id_field()
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    # The authorization code the family started from.
    family_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False, index=True))
    client_id: uuid.UUID = fk_field("oauth_client.id", ondelete="CASCADE")
    user_id: uuid.UUID = fk_field("user_account.id", ondelete="CASCADE")
    scope: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # The access token issued with it, revoked with the family.
    access_token_jti: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    access_token_expires_at: datetime = timestamp_field(default_now=False)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field(default_now=False)
    rotated_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    revoked_at: datetime | None = timestamp_field(nullable=True, default_now=False)


class RevokedAccessToken(SQLModel, table=True):
    """An access token revoked before its expiry; kept until then, and refused by every request."""

    __tablename__ = "revoked_access_token"

    jti: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    expires_at: datetime = timestamp_field(default_now=False, index=True)


class ClientAssertion(SQLModel, table=True):
    """The jti of a private_key_jwt assertion already used, kept until it expires so it cannot be replayed."""

    __tablename__ = "client_assertion"

    client_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("oauth_client.id", ondelete="CASCADE"), primary_key=True)
    )
    jti: str = Field(sa_column=sa.Column(sa.String(255), primary_key=True))
    expires_at: datetime = timestamp_field(default_now=False)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins for one email address, known or not (keyed by a hash of the address)."""

    __tablename__ = "sign_in_throttle"
    __table_args__ = (sa.CheckConstraint("failed_count >= 0", name="count_not_negative"),)

    email_key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    failed_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    last_failed_at: datetime = timestamp_field(index=True)
    locked_until: datetime | None = timestamp_field(nullable=True, default_now=False)
