"""recovery: cases, their claims, files, payments and timeline; the restriction register

Recovery cases (환수) on settled claims, the firm's objection, the money coming back;
the participation restriction register (참여제한). Each fiscal year gains the accounts
`recovery_receivable`, `recovered` and `written_off` (balance 0) and the number of
years a decided case on false documents restricts the firm (default 3); ledger
transactions may name their recovery case.

Revision ID: 0018_recovery
Revises: 0017_evidence
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_recovery"
down_revision = "0017_evidence"
branch_labels = None
depends_on = None

NEW_ACCOUNTS = ("recovery_receivable", "recovered", "written_off")


def _user_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"))


def _case_tables() -> None:
    op.create_table(
        "recovery_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("grounds", sa.String(length=32), nullable=False),
        sa.Column("grounds_note", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("decided_amount", sa.BigInteger(), nullable=True),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.Column("written_off", sa.BigInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("objection_text", sa.Text(), nullable=False),
        sa.Column("objected_by_id", sa.Integer(), nullable=True),
        sa.Column("objected_at", sa.DateTime(), nullable=True),
        sa.Column("objection_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("objection_decided_at", sa.DateTime(), nullable=True),
        sa.Column("objection_note", sa.Text(), nullable=False),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        sa.Column("due_soon_notified_at", sa.DateTime(), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            ["fiscal_year.id"],
            name=op.f("fk_recovery_case_fiscal_year_id_fiscal_year"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_recovery_case_firm_id_firm")
        ),
        _user_fk("opened_by_id", "recovery_case"),
        _user_fk("decided_by_id", "recovery_case"),
        _user_fk("objected_by_id", "recovery_case"),
        _user_fk("objection_decided_by_id", "recovery_case"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_case")),
    )
    for column in ("fiscal_year_id", "firm_id", "status"):
        op.create_index(op.f(f"ix_recovery_case_{column}"), "recovery_case", [column])
    op.create_table(
        "recovery_claim",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["recovery_case.id"], name=op.f("fk_recovery_claim_case_id_recovery_case")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_recovery_claim_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("case_id", "claim_id", name=op.f("pk_recovery_claim")),
    )
    op.create_index(op.f("ix_recovery_claim_claim_id"), "recovery_claim", ["claim_id"])


def _case_records() -> None:
    op.create_table(
        "recovery_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_case.id"],
            name=op.f("fk_recovery_payment_case_id_recovery_case"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name=op.f("fk_recovery_payment_transaction_id_ledger_transaction"),
        ),
        _user_fk("recorded_by_id", "recovery_payment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_payment")),
    )
    op.create_index(op.f("ix_recovery_payment_case_id"), "recovery_payment", ["case_id"])
    op.create_table(
        "recovery_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["recovery_case.id"], name=op.f("fk_recovery_file_case_id_recovery_case")
        ),
        _user_fk("uploaded_by_id", "recovery_file"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_file")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_recovery_file_stored_name")),
    )
    op.create_index(op.f("ix_recovery_file_case_id"), "recovery_file", ["case_id"])
    op.create_table(
        "recovery_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["recovery_case.id"], name=op.f("fk_recovery_event_case_id_recovery_case")
        ),
        _user_fk("actor_id", "recovery_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_event")),
    )
    op.create_index(op.f("ix_recovery_event_case_id"), "recovery_event", ["case_id"])


def _restrictions() -> None:
    op.create_table(
        "participation_restriction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firm.id"], name=op.f("fk_participation_restriction_firm_id_firm")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_case.id"],
            name=op.f("fk_participation_restriction_case_id_recovery_case"),
        ),
        _user_fk("created_by_id", "participation_restriction"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_restriction")),
        sa.UniqueConstraint("case_id", name=op.f("uq_participation_restriction_case_id")),
    )
    for column in ("firm_id", "ends_on"):
        op.create_index(
            op.f(f"ix_participation_restriction_{column}"), "participation_restriction", [column]
        )


def upgrade():
    _case_tables()
    _case_records()
    _restrictions()
    op.add_column(
        "fiscal_year",
        sa.Column("restriction_years", sa.Integer(), server_default="3", nullable=False),
    )
    op.add_column("ledger_transaction", sa.Column("recovery_case_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_ledger_transaction_recovery_case_id"), "ledger_transaction", ["recovery_case_id"]
    )
    for name in NEW_ACCOUNTS:
        op.execute(
            "INSERT INTO ledger_account (fiscal_year_id, name, balance) "
            f"SELECT id, '{name}', 0 FROM fiscal_year"
        )


def downgrade():
    """Only before any recovery money moved: postings would still name the accounts."""
    names = ", ".join(f"'{n}'" for n in NEW_ACCOUNTS)
    op.execute(f"DELETE FROM ledger_account WHERE name IN ({names})")
    op.drop_index(op.f("ix_ledger_transaction_recovery_case_id"), table_name="ledger_transaction")
    # A plain ALTER on SQLite too: a batch copy would drop the ledger's append-only triggers.
    op.execute("ALTER TABLE ledger_transaction DROP COLUMN recovery_case_id")
    op.execute("ALTER TABLE fiscal_year DROP COLUMN restriction_years")
    for table in (
        "participation_restriction",
        "recovery_event",
        "recovery_file",
        "recovery_payment",
        "recovery_claim",
        "recovery_case",
    ):
        op.drop_table(table)
