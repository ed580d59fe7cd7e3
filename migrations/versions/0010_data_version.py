"""data version: a counter the database bumps whenever what a ticket list shows changes

Rendered list fragments are kept per version (aftercare/fragments.py), so the version
must move with every insert, update or delete of a ticket, of a claim (its summary is
part of a listed ticket) and with every change of a firm's name. Triggers do it, in
the writing transaction, whatever code wrote: the ORM, Core, a job, a shell.

PostgreSQL bumps once per transaction, at commit (a deferred constraint trigger and a
transaction-local flag): writers hold the counter's row lock only while they commit,
and take it after every other lock, so it adds no lock-order cycle. SQLite has a
single writer anyway; its row triggers bump once per changed row.

Revision ID: 0010_data_version
Revises: 0009_audit_chain_head
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_data_version"
down_revision = "0009_audit_chain_head"
branch_labels = None
depends_on = None

# (table, events): the rows a ticket list shows
WATCHED = (
    ("ticket", ("INSERT", "UPDATE", "DELETE")),
    ("claim", ("INSERT", "UPDATE", "DELETE")),
    ("firm", ("UPDATE OF name", "DELETE")),
)
NAME = "tickets"


def _trigger_name(table: str, event: str) -> str:
    return f"{table}_{event.split()[0].lower()}_bumps_data_version"


def upgrade():
    op.create_table(
        "data_version",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.execute(f"INSERT INTO data_version (name, version) VALUES ('{NAME}', 0)")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers():
    op.execute(
        """
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            flag text := 'aftercare.bumped_' || TG_ARGV[0];
        BEGIN
            IF current_setting(flag, true) IS DISTINCT FROM 'on' THEN
                PERFORM set_config(flag, 'on', true);  -- until this transaction ends
                UPDATE data_version SET version = version + 1 WHERE name = TG_ARGV[0];
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table, events in WATCHED:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_bumps_data_version"
            f" AFTER {' OR '.join(events)} ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            f" EXECUTE FUNCTION bump_data_version('{NAME}')"
        )


def _sqlite_triggers():
    for table, events in WATCHED:
        for event in events:
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table}"
                f" BEGIN UPDATE data_version SET version = version + 1 WHERE name = '{NAME}'; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, _events in WATCHED:
            op.execute(f"DROP TRIGGER {table}_bumps_data_version ON {table}")
        op.execute("DROP FUNCTION bump_data_version()")
    else:
        for table, events in WATCHED:
            for event in events:
                op.execute(f"DROP TRIGGER {_trigger_name(table, event)}")
    op.drop_table("data_version")
