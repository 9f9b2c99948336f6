"""audit_append(): join entries to the audit chain in one statement

An append took three statements while it held the chain's lock (take the lock, read the last link, insert), and
the lock is held until the transaction commits: under load every wait for the hub's event loop between them
lengthened the time the chain was held, and every change and every read of restricted data queued on it. The
function takes the lock, reads the last link (a statement of its own inside the function, so it sees what the
previous holder committed) and inserts the entries, hashing each from the canonical text the hub gives in three
pieces around its previous hash and its sequence number (hub/audit/service.py), in one round trip.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 00:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND = """
CREATE FUNCTION audit_append(chain text, entries jsonb)
RETURNS TABLE (sequence bigint, prev_hash text, hash text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_variable
DECLARE
    item jsonb;
    last_sequence bigint;
    last_hash text;
BEGIN
    -- Held until the transaction ends: the same lock as hub.db.advisory_lock(session, chain).
    PERFORM pg_advisory_xact_lock(hashtextextended(chain, 0));
    -- A new statement, so a new snapshot: it sees the entries the previous holder committed.
    SELECT e.sequence, e.hash INTO last_sequence, last_hash FROM audit_entry e ORDER BY e.sequence DESC LIMIT 1;
    last_sequence := coalesce(last_sequence, 0);
    last_hash := coalesce(last_hash, repeat('0', 64));  -- the genesis hash (hub.audit.models)
    FOR item IN SELECT value FROM jsonb_array_elements(entries) LOOP
        sequence := last_sequence + 1;
        prev_hash := last_hash;
        hash := encode(sha256(convert_to(
            (item->>'head') || prev_hash || (item->>'middle') || sequence::text || (item->>'tail'), 'UTF8'
        )), 'hex');
        INSERT INTO audit_entry (
            id, sequence, at, action, operation, actor_agency_id, actor_client_id, actor_person, recipient,
            request_id, source_address, records, prev_hash, hash
        ) VALUES (
            (item->>'id')::uuid, sequence, (item->>'at')::timestamptz, item->>'action', item->>'operation',
            (item->>'actor_agency_id')::uuid, item->>'actor_client_id', item->>'actor_person', item->>'recipient',
            item->>'request_id', item->>'source_address', item->'records', prev_hash, hash
        );
        last_sequence := sequence;
        last_hash := hash;
        RETURN NEXT;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.execute(APPEND)


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_append(text, jsonb)")
