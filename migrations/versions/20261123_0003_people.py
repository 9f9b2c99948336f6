"""people: users, authorization codes, refresh tokens, revocation, client keys and redirect URIs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written by hand: Alembic does not detect CHECK constraints on existing tables.
CLIENT_CHECKS = {
    "grant_types_known": "grant_types <@ ARRAY['client_credentials', 'authorization_code', 'refresh_token']::text[]",
    "secret_matches_auth_method": (
        "(secret_hash IS NOT NULL) = (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post'))"
    ),
    "jwks_matches_auth_method": "(jwks IS NOT NULL) = (token_endpoint_auth_method = 'private_key_jwt')",
    "public_clients_act_for_people": "token_endpoint_auth_method <> 'none' OR NOT 'client_credentials' = ANY(grant_types)",
    "code_needs_redirect_uri": "NOT 'authorization_code' = ANY(grant_types) OR cardinality(redirect_uris) >= 1",
}


def upgrade() -> None:
    op.add_column(
        "oauth_client", sa.Column("redirect_uris", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)
    )
    op.add_column("oauth_client", sa.Column("jwks", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    for name, condition in CLIENT_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_oauth_client_{name}"), "oauth_client", condition)
    _create_people()
    _create_grants()
    _create_revocation()


def _create_people() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("facilitator_id", sa.Uuid(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("email = lower(btrim(email)) AND position('@' IN email) > 1", name="email_normalised"),
        sa.CheckConstraint("facilitator_id IS NULL OR 'FACILITATOR' = ANY(roles)", name="facilitator_acts_as_one"),
        sa.CheckConstraint(
            "roles <@ ARRAY['REFERRER', 'FACILITATOR', 'COORDINATOR', 'MANAGER', 'AUDITOR']::text[]",
            name="roles_known",
        ),
        sa.CheckConstraint("cardinality(roles) >= 1", name="has_a_role"),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["facilitator_id"], ["facilitator.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_index(op.f("ix_user_account_agency_id"), "user_account", ["agency_id"], unique=False)
    op.create_index(op.f("ix_user_account_facilitator_id"), "user_account", ["facilitator_id"], unique=False)
    op.create_table(
        "sign_in_throttle",
        sa.Column("email_key", sa.String(length=64), nullable=False),
        sa.Column("failed_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("failed_count >= 0", name="count_not_negative"),
        sa.PrimaryKeyConstraint("email_key"),
    )
    op.create_index(op.f("ix_sign_in_throttle_last_failed_at"), "sign_in_throttle", ["last_failed_at"], unique=False)


def _create_grants() -> None:
    op.create_table(
        "authorization_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("code_challenge_method = 'S256'", name="s256_only"),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index(op.f("ix_authorization_code_client_id"), "authorization_code", ["client_id"], unique=False)
    op.create_index(op.f("ix_authorization_code_user_id"), "authorization_code", ["user_id"], unique=False)
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("access_token_jti", sa.String(length=64), nullable=False),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_refresh_token_client_id"), "refresh_token", ["client_id"], unique=False)
    op.create_index(op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False)
    op.create_index(op.f("ix_refresh_token_user_id"), "refresh_token", ["user_id"], unique=False)


def _create_revocation() -> None:
    op.create_table(
        "revoked_access_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_index(op.f("ix_revoked_access_token_expires_at"), "revoked_access_token", ["expires_at"], unique=False)
    op.create_table(
        "client_assertion",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "jti"),
    )


def downgrade() -> None:
    op.drop_table("client_assertion")
    op.drop_index(op.f("ix_revoked_access_token_expires_at"), table_name="revoked_access_token")
    op.drop_table("revoked_access_token")
    op.drop_index(op.f("ix_refresh_token_user_id"), table_name="refresh_token")
    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token")
    op.drop_index(op.f("ix_refresh_token_client_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index(op.f("ix_authorization_code_user_id"), table_name="authorization_code")
    op.drop_index(op.f("ix_authorization_code_client_id"), table_name="authorization_code")
    op.drop_table("authorization_code")
    op.drop_index(op.f("ix_sign_in_throttle_last_failed_at"), table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
    op.drop_index(op.f("ix_user_account_facilitator_id"), table_name="user_account")
    op.drop_index(op.f("ix_user_account_agency_id"), table_name="user_account")
    op.drop_table("user_account")
    for name in reversed(CLIENT_CHECKS):
        op.drop_constraint(op.f(f"ck_oauth_client_{name}"), "oauth_client", type_="check")
    op.drop_column("oauth_client", "jwks")
    op.drop_column("oauth_client", "redirect_uris")
