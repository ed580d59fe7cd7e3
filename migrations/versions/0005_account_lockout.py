"""account lockout: consecutive failed sign-ins and a lock admins can see and lift

Revision ID: 0005_account_lockout
Revises: 0004_search_and_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_account_lockout"
down_revision = "0004_search_and_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
