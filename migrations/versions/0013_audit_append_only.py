"""audit append-only: HMAC scheme column, triggers refusing UPDATE, DELETE and TRUNCATE

Events are now linked by HMAC-SHA-256 with AUDIT_KEY, a key kept outside the
database. The rows already written keep their plain SHA-256 links and say so in
`hash_scheme` ('sha256', the server default, so every existing row takes it); new
rows say 'hmac-sha256'. Nothing is re-hashed: re-linking history would need the key
here and would replace the evidence that the old chain was whole. Verification
accepts plain SHA-256 only as the chain's first run; the first HMAC link covers the
last legacy hash, so rewriting the legacy run breaks it (docs/architecture.md §8).

The table refuses UPDATE and DELETE (PostgreSQL and SQLite) and TRUNCATE
(PostgreSQL; SQLite has none) by trigger, like the ledger since 0003. The test
harness empties it with `SET LOCAL session_replication_role = replica` (superuser
only), under which ordinary triggers do not fire.

Revision ID: 0013_audit_append_only
Revises: 0012_session_version
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_audit_append_only"
down_revision = "0012_session_version"
branch_labels = None
depends_on = None

REFUSED = "감사 이벤트는 추가만 할 수 있습니다 / audit events are append-only"


def upgrade():
    op.add_column(
        "audit_event",
        sa.Column("hash_scheme", sa.String(16), nullable=False, server_default="sha256"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSED}: % refused', TG_OP;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()"
        )
    elif dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {event} refused'); END"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_refuse_change()")
    elif dialect == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_event_no_{event}")
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_column("hash_scheme")
