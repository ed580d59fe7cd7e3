"""evidence behind every won: invoices and review on cost lines, evidence files, firm share

Cost lines name their supplier and tax invoice (approval number, issue date, supply
amount, VAT), how they were paid, and the reviewer's decision. Attachments gain a
kind (`ticket`, `evidence`, `firm_payment`) and, for evidence, the cost line they
back. `firm_payment` holds the firm's payment of its own share of a claim (자부담)
and who confirmed it. Existing lines start without evidence and `pending` review;
existing attachments are `ticket` files.

SQLite: foreign-key columns are added with a plain ALTER TABLE and a named inline
reference, as 0016 did (a batch copy of `cost_line` or `ticket_attachment` would
drop tables other rows reference).

Revision ID: 0017_evidence
Revises: 0016_supplier_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_evidence"
down_revision = "0016_supplier_registry"
branch_labels = None
depends_on = None

# (table, column, referenced table) of the foreign keys this revision adds to old tables
FOREIGN_KEYS = (
    ("cost_line", "supplier_id", "supplier"),
    ("cost_line", "reviewed_by_id", "user"),
    ("ticket_attachment", "cost_line_id", "cost_line"),
)


def cost_line_columns() -> tuple[sa.Column, ...]:
    """New columns each time: a Column belongs to the one table it is added to."""
    return (
        sa.Column("invoice_number", sa.String(length=24), nullable=True),
        sa.Column("invoice_issued_on", sa.Date(), nullable=True),
        sa.Column("invoice_supply_amount", sa.BigInteger(), nullable=True),
        sa.Column("invoice_vat", sa.BigInteger(), nullable=True),
        sa.Column("payment_method", sa.String(length=16), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("review_status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("review_reason", sa.String(length=32), nullable=True),
        sa.Column("review_note", sa.Text(), server_default="", nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
    )


def _add_reference(table: str, column: str, target: str) -> None:
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f'CONSTRAINT {name} REFERENCES "{target}" (id)'
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def _drop_reference(table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
        op.drop_column(table, column)


def upgrade():
    for table, column, target in FOREIGN_KEYS:
        _add_reference(table, column, target)
    for column in cost_line_columns():
        op.add_column("cost_line", column)
    op.create_index("ix_cost_line_supplier_invoice", "cost_line", ["supplier_id", "invoice_number"])
    op.add_column(
        "ticket_attachment",
        sa.Column("kind", sa.String(length=16), server_default="ticket", nullable=False),
    )
    op.create_index(
        op.f("ix_ticket_attachment_cost_line_id"), "ticket_attachment", ["cost_line_id"]
    )
    op.create_table(
        "firm_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_firm_payment_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["ticket_attachment.id"],
            name=op.f("fk_firm_payment_attachment_id_ticket_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_firm_payment_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["user.id"], name=op.f("fk_firm_payment_confirmed_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_payment")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_firm_payment_claim_id")),
    )


def downgrade():
    op.drop_table("firm_payment")
    op.drop_index(op.f("ix_ticket_attachment_cost_line_id"), "ticket_attachment")
    op.drop_column("ticket_attachment", "kind")
    op.drop_index("ix_cost_line_supplier_invoice", "cost_line")
    for column in reversed(cost_line_columns()):
        op.drop_column("cost_line", column.name)
    for table, column, target in reversed(FOREIGN_KEYS):
        _drop_reference(table, column, target)
