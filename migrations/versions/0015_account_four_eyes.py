"""four eyes on accounts: a second admin confirms privileged accounts and their resets

`user.must_change_password`: set by a password reset, cleared when the user chooses
a new one at sign-in. `approval_request.password_hash`: the hash an admin chose for a
privileged account or reset, kept apart from the public payload (never audited or
shown) until a second admin confirms it.

Revision ID: 0015_account_four_eyes
Revises: 0014_four_eyes
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_account_four_eyes"
down_revision = "0014_four_eyes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.drop_column("password_hash")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
