"""pending claims index: the approval queue stays fast however many claims were decided

Pending claims are the newest, so a queue read oldest first by the primary key
(what the PostgreSQL planner chose) stepped over every decided claim first. A
partial index holds only the pending claims, in id order.

Revision ID: 0008_pending_claims_index
Revises: 0007_notification_preferences
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_pending_claims_index"
down_revision = "0007_notification_preferences"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_index(
        "ix_claim_pending_id",
        "claim",
        ["id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade():
    op.drop_index("ix_claim_pending_id", table_name="claim")
