"""text search that does not scan the table; indexes for the queues and dashboards

SQLite: an FTS5 table with the trigram tokenizer over ticket.search_text, kept in
step by triggers (substring search for words of 3+ characters, Korean included).
PostgreSQL: pg_trgm and a GIN trigram index, which serves LIKE '%word%'.

Revision ID: 0004_search_and_indexes
Revises: 0003_visits_claims_ledger
"""

from alembic import op

revision = "0004_search_and_indexes"
down_revision = "0003_visits_claims_ledger"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_ticket_status_triage_due_at", "ticket", ["status", "triage_due_at"])
    op.create_index("ix_ticket_meister_id_status", "ticket", ["meister_id", "status"])
    op.create_index("ix_ledger_transaction_type_id", "ledger_transaction", ["type", "id"])
    op.create_index("ix_claim_fiscal_year_id_status", "claim", ["fiscal_year_id", "status"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE ticket_fts USING fts5("
            "search_text, content='ticket', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER ticket_fts_insert AFTER INSERT ON ticket BEGIN "
            "INSERT INTO ticket_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER ticket_fts_delete AFTER DELETE ON ticket BEGIN "
            "INSERT INTO ticket_fts(ticket_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER ticket_fts_update AFTER UPDATE OF search_text ON ticket BEGIN "
            "INSERT INTO ticket_fts(ticket_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO ticket_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute("INSERT INTO ticket_fts(ticket_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_ticket_search_text_trgm ON ticket "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("ticket_fts_insert", "ticket_fts_delete", "ticket_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS ticket_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_ticket_search_text_trgm")
    op.drop_index("ix_claim_fiscal_year_id_status", "claim")
    op.drop_index("ix_ledger_transaction_type_id", "ledger_transaction")
    op.drop_index("ix_ticket_meister_id_status", "ticket")
    op.drop_index("ix_ticket_status_triage_due_at", "ticket")
