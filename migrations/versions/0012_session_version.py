"""session version: a per-user counter in every session and remember cookie

Bumping it (password change or reset, deactivation, "sign out everywhere") makes every
cookie issued before refer to a stale version, which the user loader refuses.

Revision ID: 0012_session_version
Revises: 0011_drop_data_version
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_session_version"
down_revision = "0011_drop_data_version"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
