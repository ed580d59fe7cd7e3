"""asset register per firm (equipment and systems, QR labels); tickets may name an asset

SQLite: the ticket column is added with a plain ALTER TABLE (a named inline
reference), because a batch copy-and-move of `ticket` would drop the FTS triggers.

Revision ID: 0006_assets
Revises: 0005_account_lockout
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_assets"
down_revision = "0005_account_lockout"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("maker", sa.String(length=120), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("serial", sa.String(length=120), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("installed_year", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_asset_firm_id_firm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("firm_id", "serial", name="uq_asset_firm_id_serial"),
    )
    op.create_index("ix_asset_firm_id_active_name", "asset", ["firm_id", "active", "name"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE ticket ADD COLUMN asset_id INTEGER "
            "CONSTRAINT fk_ticket_asset_id_asset REFERENCES asset (id)"
        )
    else:
        op.add_column("ticket", sa.Column("asset_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_ticket_asset_id_asset", "ticket", "asset", ["asset_id"], ["id"])
    op.create_index("ix_ticket_asset_id", "ticket", ["asset_id"])


def downgrade():
    op.drop_index("ix_ticket_asset_id", "ticket")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE ticket DROP COLUMN asset_id")
    else:
        op.drop_constraint("fk_ticket_asset_id_asset", "ticket", type_="foreignkey")
        op.drop_column("ticket", "asset_id")
    op.drop_index("ix_asset_firm_id_active_name", "asset")
    op.drop_table("asset")
