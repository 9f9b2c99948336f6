"""maintained statistics: counts per day kept by triggers, so a year's figures add up days, not cases

The triggers keep the statistic_* tables (hub/stats/models.py) in step with the records in the same transaction:
- referral (received; declined and closed), feedback and volunteer_hours: plain sums per day, by deferred
  constraint triggers, so the counter rows are written at commit, after the audit chain's lock, and concurrent
  changes do not queue on them for longer than that;
- stage_event (ACCEPTED) and contact_attempt (successful, harmed party): a referral's or party's distinct days,
  each under its previous one, by BEFORE triggers that see the rows written before theirs in the same statement.
`statistic_rebuild()` recounts every table from the records; the upgrade runs it, and so does a bulk load that
skipped the triggers. The indexes that only the old per-case aggregates read are dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = [
    # The UTC day of an instant: the statistics' periods are whole days in UTC.
    """
    CREATE FUNCTION statistic_day(instant timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (instant AT TIME ZONE 'UTC')::date
    $$
    """,
    # --- plain sums -------------------------------------------------------------------------------------------------
    """
    CREATE FUNCTION statistic_add_received(submitted timestamptz, agency uuid, place text, delta int) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO statistic_received AS t (day, agency_id, district, n)
        VALUES (statistic_day(submitted), agency, place, delta)
        ON CONFLICT (day, agency_id, district) DO UPDATE SET n = t.n + EXCLUDED.n
    $$
    """,
    """
    CREATE FUNCTION statistic_add_ended(ended_stage text, ended timestamptz, why text, how text, delta int)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF ended_stage = 'DECLINED' THEN
            INSERT INTO statistic_declined AS t (day, reason, n) VALUES (statistic_day(ended), why, delta)
            ON CONFLICT (day, reason) DO UPDATE SET n = t.n + EXCLUDED.n;
        ELSIF ended_stage = 'CLOSED' THEN
            INSERT INTO statistic_closed AS t (day, outcome, n) VALUES (statistic_day(ended), how, delta)
            ON CONFLICT (day, outcome) DO UPDATE SET n = t.n + EXCLUDED.n;
        END IF;
    END $$
    """,
    """
    CREATE FUNCTION statistic_referral() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR (OLD.submitted_at, OLD.referring_agency_id, OLD.district)
                IS DISTINCT FROM (NEW.submitted_at, NEW.referring_agency_id, NEW.district) THEN
            IF TG_OP <> 'INSERT' THEN
                PERFORM statistic_add_received(OLD.submitted_at, OLD.referring_agency_id, OLD.district, -1);
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM statistic_add_received(NEW.submitted_at, NEW.referring_agency_id, NEW.district, 1);
            END IF;
        END IF;
        IF TG_OP = 'INSERT' OR (OLD.stage, OLD.closed_at, OLD.decline_reason, OLD.outcome)
                IS DISTINCT FROM (NEW.stage, NEW.closed_at, NEW.decline_reason, NEW.outcome) THEN
            IF TG_OP <> 'INSERT' AND OLD.stage IN ('DECLINED', 'CLOSED') THEN
                PERFORM statistic_add_ended(OLD.stage, OLD.closed_at, OLD.decline_reason, OLD.outcome, -1);
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.stage IN ('DECLINED', 'CLOSED') THEN
                PERFORM statistic_add_ended(NEW.stage, NEW.closed_at, NEW.decline_reason, NEW.outcome, 1);
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION statistic_add_feedback(received timestamptz, answered text, answer boolean, delta int)
    RETURNS void LANGUAGE sql AS $$
        INSERT INTO statistic_feedback AS t (day, respondent, answers, yes)
        VALUES (statistic_day(received), answered, delta, CASE WHEN answer THEN delta ELSE 0 END)
        ON CONFLICT (day, respondent) DO UPDATE SET answers = t.answers + EXCLUDED.answers, yes = t.yes + EXCLUDED.yes
    $$
    """,
    """
    CREATE FUNCTION statistic_feedback() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM statistic_add_feedback(OLD.received_at, OLD.respondent,
                CASE OLD.respondent WHEN 'PARTICIPANT' THEN OLD.satisfied ELSE OLD.would_recommend END, -1);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM statistic_add_feedback(NEW.received_at, NEW.respondent,
                CASE NEW.respondent WHEN 'PARTICIPANT' THEN NEW.satisfied ELSE NEW.would_recommend END, 1);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION statistic_add_hours(worked date, logged numeric) RETURNS void LANGUAGE sql AS $$
        INSERT INTO statistic_hours AS t (day, hours) VALUES (worked, logged)
        ON CONFLICT (day) DO UPDATE SET hours = t.hours + EXCLUDED.hours
    $$
    """,
    """
    CREATE FUNCTION statistic_hours() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM statistic_add_hours(OLD.worked_on, -OLD.hours);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM statistic_add_hours(NEW.worked_on, NEW.hours);
        END IF;
        RETURN NULL;
    END $$
    """,
    # --- each counted once: distinct days, each under the previous one ----------------------------------------------
    """
    CREATE FUNCTION statistic_add_first_day(kind text, on_day date, after_day date, delta int) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO statistic_first_day AS t (figure, day, previous, n)
        VALUES (kind, on_day, coalesce(after_day, '-infinity'), delta)
        ON CONFLICT (figure, day, previous) DO UPDATE SET n = t.n + EXCLUDED.n
    $$
    """,
    # Adds (delta 1) or removes (delta -1) one day of a referral's or party's days, given its other days: the day
    # counts under the latest day before it; the first day after it moves from under that one to under this one.
    """
    CREATE FUNCTION statistic_change_day(kind text, on_day date, others date[], delta int) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        earlier date := (SELECT max(d) FROM unnest(others) AS d WHERE d < on_day);
        later date := (SELECT min(d) FROM unnest(others) AS d WHERE d > on_day);
    BEGIN
        IF on_day = ANY(others) THEN
            RETURN;  -- another row already counts this day
        END IF;
        PERFORM statistic_add_first_day(kind, on_day, earlier, delta);
        IF later IS NOT NULL THEN
            PERFORM statistic_add_first_day(kind, later, earlier, -delta);
            PERFORM statistic_add_first_day(kind, later, on_day, delta);
        END IF;
    END $$
    """,
    """
    CREATE FUNCTION statistic_accepted(case_id uuid, row_id uuid, moved timestamptz, delta int) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('statistic:accepted:' || case_id::text, 0));
        PERFORM statistic_change_day('ACCEPTED', statistic_day(moved), ARRAY(
            SELECT statistic_day(e.at) FROM stage_event AS e
            WHERE e.referral_id = case_id AND e.to_stage = 'ACCEPTED' AND e.id <> row_id
        ), delta);
    END $$
    """,
    """
    CREATE FUNCTION statistic_stage_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.to_stage = 'ACCEPTED' THEN
            PERFORM statistic_accepted(OLD.referral_id, OLD.id, OLD.at, -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.to_stage = 'ACCEPTED' THEN
            PERFORM statistic_accepted(NEW.referral_id, NEW.id, NEW.at, 1);
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END $$
    """,
    """
    CREATE FUNCTION statistic_contacted(party uuid, row_id uuid, attempted timestamptz, delta int) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (SELECT FROM participant AS p WHERE p.id = party AND p.role = 'HARMED') THEN
            RETURN;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('statistic:contacted:' || party::text, 0));
        PERFORM statistic_change_day('CONTACTED', statistic_day(attempted), ARRAY(
            SELECT statistic_day(a.attempted_at) FROM contact_attempt AS a
            WHERE a.participant_id = party AND a.successful AND a.id <> row_id
        ), delta);
    END $$
    """,
    """
    CREATE FUNCTION statistic_contact_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.successful THEN
            PERFORM statistic_contacted(OLD.participant_id, OLD.id, OLD.attempted_at, -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.successful THEN
            PERFORM statistic_contacted(NEW.participant_id, NEW.id, NEW.attempted_at, 1);
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END $$
    """,
    # A harmed party deleted (or no longer harmed) takes all its days with it, before its attempts go; an attempt
    # deleted after its party is then not counted again.
    """
    CREATE FUNCTION statistic_party_days(party uuid, delta int) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('statistic:contacted:' || party::text, 0));
        INSERT INTO statistic_first_day AS t (figure, day, previous, n)
        SELECT 'CONTACTED', day, coalesce(lag(day) OVER (ORDER BY day), '-infinity'), delta
        FROM (
            SELECT DISTINCT statistic_day(a.attempted_at) AS day FROM contact_attempt AS a
            WHERE a.participant_id = party AND a.successful
        ) AS days
        ON CONFLICT (figure, day, previous) DO UPDATE SET n = t.n + EXCLUDED.n;
    END $$
    """,
    """
    CREATE FUNCTION statistic_participant() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.role = 'HARMED' THEN
            PERFORM statistic_party_days(OLD.id, -1);
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.role = 'HARMED' THEN
            PERFORM statistic_party_days(NEW.id, 1);
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END $$
    """,
    # --- recount from the records -----------------------------------------------------------------------------------
    """
    CREATE FUNCTION statistic_rebuild() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- Writers wait meanwhile; changes this transaction made before are counted now, then recounted below.
        LOCK TABLE referral, stage_event, participant, contact_attempt, feedback, volunteer_hours IN SHARE MODE;
        SET CONSTRAINTS statistic_referral_inserted, statistic_referral_updated, statistic_referral_deleted,
            statistic_feedback_changed, statistic_hours_changed IMMEDIATE;
        TRUNCATE statistic_received, statistic_declined, statistic_closed, statistic_first_day, statistic_feedback,
            statistic_hours;
        INSERT INTO statistic_received (day, agency_id, district, n)
        SELECT statistic_day(submitted_at), referring_agency_id, district, count(*)
        FROM referral GROUP BY 1, 2, 3;
        INSERT INTO statistic_declined (day, reason, n)
        SELECT statistic_day(closed_at), decline_reason, count(*)
        FROM referral WHERE stage = 'DECLINED' GROUP BY 1, 2;
        INSERT INTO statistic_closed (day, outcome, n)
        SELECT statistic_day(closed_at), outcome, count(*)
        FROM referral WHERE stage = 'CLOSED' GROUP BY 1, 2;
        INSERT INTO statistic_first_day (figure, day, previous, n)
        SELECT figure, day, previous, count(*) FROM (
        SELECT figure, day, coalesce(lag(day) OVER (PARTITION BY figure, who ORDER BY day), '-infinity') AS previous
        FROM (
            SELECT DISTINCT 'ACCEPTED' AS figure, referral_id AS who, statistic_day(at) AS day
            FROM stage_event WHERE to_stage = 'ACCEPTED'
            UNION ALL
            SELECT DISTINCT 'CONTACTED', a.participant_id, statistic_day(a.attempted_at)
            FROM contact_attempt AS a JOIN participant AS p ON p.id = a.participant_id
            WHERE a.successful AND p.role = 'HARMED'
        ) AS days
        ) AS firsts GROUP BY 1, 2, 3;
        INSERT INTO statistic_feedback (day, respondent, answers, yes)
        SELECT statistic_day(received_at), respondent, count(*),
            count(*) FILTER (WHERE CASE respondent WHEN 'PARTICIPANT' THEN satisfied ELSE would_recommend END)
        FROM feedback GROUP BY 1, 2;
        INSERT INTO statistic_hours (day, hours)
        SELECT worked_on, sum(hours) FROM volunteer_hours GROUP BY 1;
        SET CONSTRAINTS statistic_referral_inserted, statistic_referral_updated, statistic_referral_deleted,
            statistic_feedback_changed, statistic_hours_changed DEFERRED;
    END $$
    """,
]

# Plain sums at commit; a referral's update counts only where a counted column changed (a move between open
# stages changes none: it queues nothing).
TRIGGERS = [
    """
    CREATE CONSTRAINT TRIGGER statistic_referral_inserted AFTER INSERT ON referral
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION statistic_referral()
    """,
    """
    CREATE CONSTRAINT TRIGGER statistic_referral_updated AFTER UPDATE ON referral
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.submitted_at, OLD.referring_agency_id, OLD.district)
            IS DISTINCT FROM (NEW.submitted_at, NEW.referring_agency_id, NEW.district)
          OR (OLD.stage IN ('DECLINED', 'CLOSED') OR NEW.stage IN ('DECLINED', 'CLOSED'))
            AND (OLD.stage, OLD.closed_at, OLD.decline_reason, OLD.outcome)
            IS DISTINCT FROM (NEW.stage, NEW.closed_at, NEW.decline_reason, NEW.outcome))
    EXECUTE FUNCTION statistic_referral()
    """,
    """
    CREATE CONSTRAINT TRIGGER statistic_referral_deleted AFTER DELETE ON referral
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION statistic_referral()
    """,
    """
    CREATE CONSTRAINT TRIGGER statistic_feedback_changed AFTER INSERT OR UPDATE OR DELETE ON feedback
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION statistic_feedback()
    """,
    """
    CREATE CONSTRAINT TRIGGER statistic_hours_changed AFTER INSERT OR UPDATE OR DELETE ON volunteer_hours
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION statistic_hours()
    """,
    """
    CREATE TRIGGER statistic_stage_event_changed BEFORE INSERT OR UPDATE OR DELETE ON stage_event
    FOR EACH ROW EXECUTE FUNCTION statistic_stage_event()
    """,
    """
    CREATE TRIGGER statistic_participant_changed BEFORE UPDATE OF role OR DELETE ON participant
    FOR EACH ROW EXECUTE FUNCTION statistic_participant()
    """,
    """
    CREATE TRIGGER statistic_contact_attempt_changed BEFORE INSERT OR UPDATE OR DELETE ON contact_attempt
    FOR EACH ROW EXECUTE FUNCTION statistic_contact_attempt()
    """,
]

DROPPED = [
    "DROP TRIGGER statistic_contact_attempt_changed ON contact_attempt",
    "DROP TRIGGER statistic_participant_changed ON participant",
    "DROP TRIGGER statistic_stage_event_changed ON stage_event",
    "DROP TRIGGER statistic_hours_changed ON volunteer_hours",
    "DROP TRIGGER statistic_feedback_changed ON feedback",
    "DROP TRIGGER statistic_referral_deleted ON referral",
    "DROP TRIGGER statistic_referral_updated ON referral",
    "DROP TRIGGER statistic_referral_inserted ON referral",
    "DROP FUNCTION statistic_rebuild()",
    "DROP FUNCTION statistic_participant()",
    "DROP FUNCTION statistic_party_days(uuid, int)",
    "DROP FUNCTION statistic_contact_attempt()",
    "DROP FUNCTION statistic_contacted(uuid, uuid, timestamptz, int)",
    "DROP FUNCTION statistic_stage_event()",
    "DROP FUNCTION statistic_accepted(uuid, uuid, timestamptz, int)",
    "DROP FUNCTION statistic_change_day(text, date, date[], int)",
    "DROP FUNCTION statistic_add_first_day(text, date, date, int)",
    "DROP FUNCTION statistic_hours()",
    "DROP FUNCTION statistic_add_hours(date, numeric)",
    "DROP FUNCTION statistic_feedback()",
    "DROP FUNCTION statistic_add_feedback(timestamptz, text, boolean, int)",
    "DROP FUNCTION statistic_referral()",
    "DROP FUNCTION statistic_add_ended(text, timestamptz, text, text, int)",
    "DROP FUNCTION statistic_add_received(timestamptz, uuid, text, int)",
    "DROP FUNCTION statistic_day(timestamptz)",
]


def upgrade() -> None:
    op.create_table(
        "statistic_closed",
        sa.Column("day", sa.Date(), nullable=False),
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
            nullable=False,
        ),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "outcome", name=op.f("pk_statistic_closed")),
    )
    op.create_table(
        "statistic_declined",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "reason",
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
            nullable=False,
        ),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "reason", name=op.f("pk_statistic_declined")),
    )
    op.create_table(
        "statistic_feedback",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "respondent",
            sa.Enum("PARTICIPANT", "REFERRER", name="respondent", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("answers", sa.BigInteger(), nullable=False),
        sa.Column("yes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "respondent", name=op.f("pk_statistic_feedback")),
    )
    op.create_table(
        "statistic_first_day",
        sa.Column("figure", sa.String(length=9), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("figure IN ('ACCEPTED', 'CONTACTED')", name=op.f("ck_statistic_first_day_figure_known")),
        sa.PrimaryKeyConstraint("figure", "day", "previous", name=op.f("pk_statistic_first_day")),
    )
    op.create_table(
        "statistic_hours",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_statistic_hours")),
    )
    op.create_table(
        "statistic_received",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("district", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agency_id", "district", name=op.f("pk_statistic_received")),
    )
    op.drop_index(
        op.f("ix_contact_attempt_attempted_at"),
        table_name="contact_attempt",
        postgresql_where="successful",
        postgresql_include=["participant_id"],
    )
    op.drop_index(
        op.f("ix_feedback_received_at"),
        table_name="feedback",
        postgresql_include=["respondent", "satisfied", "would_recommend"],
    )
    op.drop_index(op.f("ix_participant_role_id"), table_name="participant")
    op.drop_index(op.f("ix_stage_event_to_stage_at"), table_name="stage_event", postgresql_include=["referral_id"])
    for statement in FUNCTIONS + TRIGGERS:
        op.execute(statement)
    op.execute("SELECT statistic_rebuild()")


def downgrade() -> None:
    for statement in DROPPED:
        op.execute(statement)
    op.create_index(
        op.f("ix_stage_event_to_stage_at"),
        "stage_event",
        ["to_stage", "at"],
        unique=False,
        postgresql_include=["referral_id"],
    )
    op.create_index(op.f("ix_participant_role_id"), "participant", ["role", "id"], unique=False)
    op.create_index(
        op.f("ix_feedback_received_at"),
        "feedback",
        ["received_at"],
        unique=False,
        postgresql_include=["respondent", "satisfied", "would_recommend"],
    )
    op.create_index(
        op.f("ix_contact_attempt_attempted_at"),
        "contact_attempt",
        ["attempted_at"],
        unique=False,
        postgresql_where="successful",
        postgresql_include=["participant_id"],
    )
    op.drop_table("statistic_received")
    op.drop_table("statistic_hours")
    op.drop_table("statistic_first_day")
    op.drop_table("statistic_feedback")
    op.drop_table("statistic_declined")
    op.drop_table("statistic_closed")
