"""four eyes: a second approval from a threshold, approvers recorded, approval requests

- fiscal_year.second_approval_from (won, default 3,000,000);
- claim.status widened to 32 characters (`awaiting_second_approval`), and who approved
  first and second;
- cost_line.eligibility_changed_by_id: the manager who last changed a line's eligibility
  (the conflict-of-interest rule reads it; the audit chain has no index for that);
- approval_request: budget additions, voids and manual settlements one manager asks
  for and another confirms or refuses.

SQLite: columns that reference `user` are added with a plain ALTER TABLE (a named inline
reference, as in 0006); a batch copy-and-move of `claim` would need foreign keys off
(payout_line refers to it). SQLite ignores a VARCHAR's length, so widening `claim.status`
there only rewrites the declared type in the stored schema (same storage, TEXT affinity),
so that the schema reads as the models do.

Revision ID: 0014_four_eyes
Revises: 0013_audit_append_only
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_four_eyes"
down_revision = "0013_audit_append_only"
branch_labels = None
depends_on = None

USER_REFERENCES = [
    ("claim", "first_approved_by_id"),
    ("claim", "second_approved_by_id"),
    ("cost_line", "eligibility_changed_by_id"),
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _add_user_reference(table: str, column: str) -> None:
    name = f"fk_{table}_{column}_user"
    if _sqlite():
        op.execute(
            f'ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES "user" (id)'
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, "user", [column], ["id"])


def _drop_user_reference(table: str, column: str) -> None:
    if _sqlite():
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_constraint(f"fk_{table}_{column}_user", table, type_="foreignkey")
        op.drop_column(table, column)


def _sqlite_declared_type(table: str, old: str, new: str) -> None:
    """Rewrite a column's declared type in SQLite's stored schema (no data changes)."""
    version = op.get_bind().exec_driver_sql("PRAGMA schema_version").scalar()
    op.execute("PRAGMA writable_schema = ON")
    op.execute(
        f"UPDATE sqlite_master SET sql = replace(sql, '{old}', '{new}') "
        f"WHERE type = 'table' AND name = '{table}'"
    )
    op.execute(f"PRAGMA schema_version = {version + 1}")
    op.execute("PRAGMA writable_schema = OFF")


def _status_length(old: int, new: int) -> None:
    if _sqlite():
        _sqlite_declared_type("claim", f"status VARCHAR({old})", f"status VARCHAR({new})")
    else:
        op.alter_column(
            "claim", "status", type_=sa.String(length=new), existing_type=sa.String(length=old)
        )


def upgrade():
    with op.batch_alter_table("fiscal_year", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "second_approval_from", sa.BigInteger(), server_default="3000000", nullable=False
            )
        )
    _status_length(16, 32)
    for table, column in USER_REFERENCES:
        _add_user_reference(table, column)
    op.add_column("claim", sa.Column("first_approved_at", sa.DateTime(), nullable=True))
    op.create_table(
        "approval_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user.id"], name=op.f("fk_approval_request_requested_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_approval_request_decided_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_request")),
    )
    op.create_index("ix_approval_request_status_id", "approval_request", ["status", "id"])


def downgrade():
    op.drop_index("ix_approval_request_status_id", "approval_request")
    op.drop_table("approval_request")
    op.drop_column("claim", "first_approved_at")  # a plain ALTER TABLE on both
    for table, column in reversed(USER_REFERENCES):
        _drop_user_reference(table, column)
    _status_length(32, 16)
    with op.batch_alter_table("fiscal_year", schema=None) as batch_op:
        batch_op.drop_column("second_approval_from")
