"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:47:01.895456
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Hub references RJ-<year>-<6 digits> take their number from this sequence.
    op.execute("CREATE SEQUENCE referral_reference_seq START 1")
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "POLICE",
                "YOUTH_OFFENDING",
                "COUNCIL",
                "FIRE_AND_RESCUE",
                "PRISON",
                "PROBATION",
                "VICTIM_SUPPORT",
                "HEALTH",
                "EDUCATION",
                "HOUSING",
                "RJ_SERVICE",
                "OTHER",
                name="agency_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("districts", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(name)) between 1 and 200", name="name_length"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "facilitator",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column(
            "accreditation",
            sa.Enum("TRAINEE", "ACCREDITED", name="accreditation", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("sensitive_trained", sa.Boolean(), nullable=False),
        sa.Column("districts", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(full_name)) >= 1", name="name_present"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "oauth_client",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("grant_types", postgresql.ARRAY(sa.Text()), server_default="{client_credentials}", nullable=False),
        sa.Column(
            "token_endpoint_auth_method",
            sa.String(length=40),
            server_default="client_secret_basic",
            nullable=False,
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "roles <@ ARRAY['REFERRER', 'FACILITATOR', 'COORDINATOR', 'MANAGER', 'AUDITOR']::text[]",
            name="roles_known",
        ),
        sa.CheckConstraint(
            "scopes <@ ARRAY['referrals:read', 'referrals:write', 'casework', 'facilitators:manage', 'statistics:read', 'audit:read', 'webhooks:manage', 'admin']::text[]",
            name="scopes_known",
        ),
        sa.CheckConstraint(
            "token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')",
            name="auth_method_known",
        ),
        sa.CheckConstraint("cardinality(roles) >= 1", name="has_a_role"),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_index(op.f("ix_oauth_client_agency_id"), "oauth_client", ["agency_id"], unique=False)
    op.create_table(
        "referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("referring_agency_id", sa.Uuid(), nullable=False),
        sa.Column("agency_reference", sa.String(length=100), nullable=False),
        sa.Column("referrer_name", sa.String(length=200), nullable=False),
        sa.Column("referrer_email", sa.String(length=320), nullable=True),
        sa.Column("referrer_phone", sa.String(length=40), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column(
            "incident_kind",
            sa.Enum(
                "CRIME",
                "ANTI_SOCIAL_BEHAVIOUR",
                "NEIGHBOUR_DISPUTE",
                "COMMUNITY_CONFLICT",
                "WORKPLACE_OR_SCHOOL",
                name="incident_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("offence_category", sa.String(length=200), nullable=True),
        sa.Column("sensitivity", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("reported_to_police", sa.Boolean(), nullable=False),
        sa.Column("responsibility_admitted", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "RECEIVED",
                "DECLINED",
                "ACCEPTED",
                "ALLOCATED",
                "CONTACT",
                "ASSESSMENT",
                "PREPARATION",
                "RESTORATIVE_PROCESS",
                "AGREEMENT_MONITORING",
                "ON_HOLD",
                "CLOSED",
                name="stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "stage_before_hold",
            sa.Enum(
                "RECEIVED",
                "DECLINED",
                "ACCEPTED",
                "ALLOCATED",
                "CONTACT",
                "ASSESSMENT",
                "PREPARATION",
                "RESTORATIVE_PROCESS",
                "AGREEMENT_MONITORING",
                "ON_HOLD",
                "CLOSED",
                name="stage_before_hold",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "approach",
            sa.Enum(
                "FACE_TO_FACE_CONFERENCE",
                "LETTER_EXCHANGE",
                "SHUTTLE_MEDIATION",
                "VIDEO_OR_PHONE",
                "COMMUNITY_JUSTICE_PANEL",
                "NEIGHBOUR_MEDIATION",
                name="approach",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "RESOLVED",
                "PARTIALLY_RESOLVED",
                "WITHDRAWN_BY_HARMED_PARTY",
                "WITHDRAWN_BY_RESPONSIBLE_PARTY",
                "WITHDRAWN_BY_REFERRER",
                "UNSUITABLE",
                "NO_CONTACT",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "decline_reason",
            sa.Enum(
                "NO_IDENTIFIABLE_PARTY",
                "NOT_REPORTED_TO_POLICE",
                "NO_ADMISSION_OF_RESPONSIBILITY",
                "OUT_OF_AREA",
                "DUPLICATE",
                "RISK_TOO_HIGH",
                "OTHER",
                name="decline_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("decline_note", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(stage = 'CLOSED') = (outcome IS NOT NULL)", name="closed_has_outcome"),
        sa.CheckConstraint("(stage = 'DECLINED') = (decline_reason IS NOT NULL)", name="declined_has_reason"),
        sa.CheckConstraint("(stage = 'ON_HOLD') = (stage_before_hold IS NOT NULL)", name="hold_remembers_stage"),
        sa.CheckConstraint("(stage IN ('CLOSED', 'DECLINED')) = (closed_at IS NOT NULL)", name="closed_at_set"),
        sa.CheckConstraint("reference ~ '^RJ-[0-9]{4}-[0-9]{6,}$'", name="reference_format"),
        sa.CheckConstraint(
            "sensitivity <@ ARRAY['SEXUAL_OFFENCE', 'DOMESTIC_ABUSE', 'HATE_CRIME', 'HOMICIDE', 'CHILD_INVOLVED']::text[]",
            name="sensitivity_known",
        ),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= submitted_at", name="closed_after_submitted"),
        sa.CheckConstraint("length(summary) <= 4000", name="summary_length"),
        sa.CheckConstraint("updated_at >= submitted_at", name="updated_after_submitted"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.ForeignKeyConstraint(["referring_agency_id"], ["agency.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
        sa.UniqueConstraint("referring_agency_id", "agency_reference"),
    )
    op.create_index(
        "ix_referral_agency_submitted",
        "referral",
        ["referring_agency_id", "submitted_at", "id"],
        unique=False,
    )
    op.create_index("ix_referral_stage", "referral", ["stage"], unique=False)
    op.create_index("ix_referral_submitted", "referral", ["submitted_at", "id"], unique=False)
    op.create_table(
        "allocation",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("facilitator_id", sa.Uuid(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["facilitator_id"], ["facilitator.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("referral_id", "facilitator_id"),
    )
    op.create_index(op.f("ix_allocation_facilitator_id"), "allocation", ["facilitator_id"], unique=False)
    op.create_table(
        "outcome_agreement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id"),
    )
    op.create_table(
        "participant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "HARMED",
                "RESPONSIBLE",
                "SUPPORTER",
                "PARENT_OR_GUARDIAN",
                "COMMUNITY_MEMBER",
                name="participant_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column(
            "preferred_contact",
            sa.Enum(
                "PHONE",
                "EMAIL",
                "LETTER",
                "HOME_VISIT",
                "VIA_PRISON",
                "VIA_REFERRER",
                name="contact_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("interpreter_language", sa.String(length=100), nullable=True),
        sa.Column("accessibility_needs", sa.String(length=1000), nullable=True),
        sa.Column("custody_establishment", sa.String(length=200), nullable=True),
        sa.Column("prison_number", sa.String(length=20), nullable=True),
        sa.Column(
            "consent",
            sa.Enum("PENDING", "GIVEN", "REFUSED", name="consent_state", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position", sa.SmallInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("date_of_birth IS NULL OR date_of_birth >= DATE '1900-01-01'", name="dob_plausible"),
        sa.CheckConstraint("(prison_number IS NULL) OR (custody_establishment IS NOT NULL)", name="custody_pair"),
        sa.CheckConstraint("length(btrim(full_name)) >= 1", name="name_present"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_participant_referral_id"), "participant", ["referral_id"], unique=False)
    op.create_table(
        "restorative_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column(
            "approach",
            sa.Enum(
                "FACE_TO_FACE_CONFERENCE",
                "LETTER_EXCHANGE",
                "SHUTTLE_MEDIATION",
                "VIDEO_OR_PHONE",
                "COMMUNITY_JUSTICE_PANEL",
                "NEIGHBOUR_MEDIATION",
                name="approach",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "SCHEDULED",
                "HELD",
                "CANCELLED",
                name="session_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("(status = 'HELD') = (held_at IS NOT NULL)", name="held_has_time"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_restorative_session_referral_id"), "restorative_session", ["referral_id"], unique=False)
    op.create_table(
        "stage_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_stage",
            sa.Enum(
                "RECEIVED",
                "DECLINED",
                "ACCEPTED",
                "ALLOCATED",
                "CONTACT",
                "ASSESSMENT",
                "PREPARATION",
                "RESTORATIVE_PROCESS",
                "AGREEMENT_MONITORING",
                "ON_HOLD",
                "CLOSED",
                name="from_stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_stage",
            sa.Enum(
                "RECEIVED",
                "DECLINED",
                "ACCEPTED",
                "ALLOCATED",
                "CONTACT",
                "ASSESSMENT",
                "PREPARATION",
                "RESTORATIVE_PROCESS",
                "AGREEMENT_MONITORING",
                "ON_HOLD",
                "CLOSED",
                name="to_stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_agency_id", sa.Uuid(), nullable=True),
        sa.Column("actor_client_id", sa.String(length=100), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("from_stage IS DISTINCT FROM to_stage", name="changes_stage"),
        sa.ForeignKeyConstraint(["actor_agency_id"], ["agency.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stage_event_referral_at", "stage_event", ["referral_id", "at", "id"], unique=False)
    op.create_table(
        "volunteer_hours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("facilitator_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("worked_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("activity", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        sa.ForeignKeyConstraint(["facilitator_id"], ["facilitator.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_volunteer_hours_facilitator_id"), "volunteer_hours", ["facilitator_id"], unique=False)
    op.create_index(op.f("ix_volunteer_hours_referral_id"), "volunteer_hours", ["referral_id"], unique=False)
    op.create_index(op.f("ix_volunteer_hours_worked_on"), "volunteer_hours", ["worked_on"], unique=False)
    op.create_table(
        "agreement_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "APOLOGY",
                "REPARATION",
                "REPAIR",
                "BEHAVIOUR_COMMITMENT",
                "PAYMENT",
                "COMMUNITY_WORK",
                "OTHER",
                name="action_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column(
            "owner_role",
            sa.Enum(
                "HARMED",
                "RESPONSIBLE",
                "SUPPORTER",
                "PARENT_OR_GUARDIAN",
                "COMMUNITY_MEMBER",
                name="participant_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "DONE",
                "MISSED",
                "WAIVED",
                name="action_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("position", sa.SmallInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("(status IN ('DONE', 'MISSED', 'WAIVED')) = (settled_at IS NOT NULL)", name="settled"),
        sa.CheckConstraint("length(btrim(description)) >= 1", name="description_present"),
        sa.ForeignKeyConstraint(["agreement_id"], ["outcome_agreement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_agreement_action_agreement_id"), "agreement_action", ["agreement_id"], unique=False)
    op.create_table(
        "assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("SAFE", "NOT_SAFE", name="assessment_outcome", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("assessed_by", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("review_date IS NULL OR review_date >= assessed_on", name="review_after_assessment"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_assessment_participant_id"), "assessment", ["participant_id"], unique=False)
    op.create_index(op.f("ix_assessment_referral_id"), "assessment", ["referral_id"], unique=False)
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "consent",
            sa.Enum("PENDING", "GIVEN", "REFUSED", name="consent_state", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_consent_record_participant_id"), "consent_record", ["participant_id"], unique=False)
    op.create_table(
        "contact_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "PHONE",
                "EMAIL",
                "LETTER",
                "HOME_VISIT",
                "VIA_PRISON",
                "VIA_REFERRER",
                name="contact_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("successful", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_contact_attempt_participant_id"), "contact_attempt", ["participant_id"], unique=False)
    op.create_index(op.f("ix_contact_attempt_referral_id"), "contact_attempt", ["referral_id"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column(
            "respondent",
            sa.Enum("PARTICIPANT", "REFERRER", name="respondent", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("would_recommend", sa.Boolean(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(respondent = 'PARTICIPANT' AND satisfied IS NOT NULL) OR (respondent = 'REFERRER' AND would_recommend IS NOT NULL)",
            name="answer_present",
        ),
        sa.CheckConstraint(
            "(respondent = 'PARTICIPANT') = (participant_id IS NOT NULL)",
            name="participant_answers_as_participant",
        ),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_feedback_participant_id"), "feedback", ["participant_id"], unique=False)
    op.create_index(op.f("ix_feedback_referral_id"), "feedback", ["referral_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_referral_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_participant_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_contact_attempt_referral_id"), table_name="contact_attempt")
    op.drop_index(op.f("ix_contact_attempt_participant_id"), table_name="contact_attempt")
    op.drop_table("contact_attempt")
    op.drop_index(op.f("ix_consent_record_participant_id"), table_name="consent_record")
    op.drop_table("consent_record")
    op.drop_index(op.f("ix_assessment_referral_id"), table_name="assessment")
    op.drop_index(op.f("ix_assessment_participant_id"), table_name="assessment")
    op.drop_table("assessment")
    op.drop_index(op.f("ix_agreement_action_agreement_id"), table_name="agreement_action")
    op.drop_table("agreement_action")
    op.drop_index(op.f("ix_volunteer_hours_worked_on"), table_name="volunteer_hours")
    op.drop_index(op.f("ix_volunteer_hours_referral_id"), table_name="volunteer_hours")
    op.drop_index(op.f("ix_volunteer_hours_facilitator_id"), table_name="volunteer_hours")
    op.drop_table("volunteer_hours")
    op.drop_index("ix_stage_event_referral_at", table_name="stage_event")
    op.drop_table("stage_event")
    op.drop_index(op.f("ix_restorative_session_referral_id"), table_name="restorative_session")
    op.drop_table("restorative_session")
    op.drop_index(op.f("ix_participant_referral_id"), table_name="participant")
    op.drop_table("participant")
    op.drop_table("outcome_agreement")
    op.drop_index(op.f("ix_allocation_facilitator_id"), table_name="allocation")
    op.drop_table("allocation")
    op.drop_index("ix_referral_submitted", table_name="referral")
    op.drop_index("ix_referral_stage", table_name="referral")
    op.drop_index("ix_referral_agency_submitted", table_name="referral")
    op.drop_table("referral")
    op.drop_index(op.f("ix_oauth_client_agency_id"), table_name="oauth_client")
    op.drop_table("oauth_client")
    op.drop_table("signing_key")
    op.drop_table("facilitator")
    op.drop_table("agency")
    op.execute("DROP SEQUENCE referral_reference_seq")
