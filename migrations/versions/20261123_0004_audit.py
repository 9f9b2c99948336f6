"""audit trail: the append-only, hash-chained audit_entry table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Refuses UPDATE, DELETE and TRUNCATE of audit entries for every role, the table's owner included. Only a
# superuser can get round it (session_replication_role = replica, or disabling the trigger), and the hash chain
# shows what they did.
APPEND_ONLY = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "COLLECTION",
                "ALTERATION",
                "CONSULTATION",
                "DISCLOSURE",
                "COMBINATION",
                "ERASURE",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("actor_agency_id", sa.Uuid(), nullable=True),
        sa.Column("actor_client_id", sa.String(length=100), nullable=True),
        sa.Column("actor_person", sa.String(length=320), nullable=True),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("source_address", sa.String(length=64), nullable=True),
        sa.Column("records", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("sequence >= 1", name="sequence_positive"),
        sa.CheckConstraint("jsonb_typeof(records) = 'array'", name="records_is_a_list"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sequence"),
    )
    op.create_index("ix_audit_entry_sequence_id", "audit_entry", ["sequence", "id"])
    op.create_index("ix_audit_entry_actor_agency", "audit_entry", ["actor_agency_id", "sequence"])
    op.create_index("ix_audit_entry_action", "audit_entry", ["action", "sequence"])
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index(
        "ix_audit_entry_records",
        "audit_entry",
        ["records"],
        postgresql_using="gin",
        postgresql_ops={"records": "jsonb_path_ops"},
    )
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER audit_entry_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
    )


def downgrade() -> None:
    op.drop_table("audit_entry")  # its triggers go with it
    op.execute("DROP FUNCTION audit_entry_append_only()")
