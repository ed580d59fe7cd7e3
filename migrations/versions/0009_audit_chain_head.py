"""audit chain head: PostgreSQL locks the chain and reads its last link in one call

Every audited write appended its event after two round trips: take the chain's
advisory lock, then read the last link. One statement cannot do both (its snapshot
is taken before the lock is granted, so it could miss the link a concurrent writer
committed meanwhile); a PL/pgSQL function can, because each statement inside it
reads a fresh snapshot. SQLite, with its single writer, needs neither.

Revision ID: 0009_audit_chain_head
Revises: 0008_pending_claims_index
"""

from alembic import op

revision = "0009_audit_chain_head"
down_revision = "0008_pending_claims_index"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION audit_chain_head(lock_key bigint)
        RETURNS TABLE (id integer, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            RETURN QUERY SELECT e.id, e.hash::varchar FROM audit_event e ORDER BY e.id DESC LIMIT 1;
        END
        $$
        """
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION audit_chain_head(bigint)")
