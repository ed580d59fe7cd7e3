"""Grants for the application's database role (PostgreSQL).

The app runs as a login role that owns no table: migrations run as the owner, so
the app cannot ALTER, DROP or TRUNCATE, and the append-only tables (audit events,
ledger transactions and postings) take INSERT and SELECT only. The triggers of
migrations 0003 and 0013 refuse changes even to the owner; the grants mean the
app's own credentials could not disable them either. Rerun after each migration
that adds a table (`flask db-roles grant --role R`).
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect, text

APPEND_ONLY_TABLES = ("audit_event", "ledger_transaction", "ledger_posting")
NOT_FOR_THE_APP = ("alembic_version",)  # migrations only
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(engine: Engine, role: str) -> list[str]:
    """The GRANT/REVOKE statements that give `role` the app's rights and no more."""
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(
            f"역할 이름은 소문자·숫자·밑줄만 씁니다: {role!r} / "
            f"A role name uses lower-case letters, digits and underscores: {role!r}"
        )
    quote = engine.dialect.identifier_preparer.quote
    who = quote(role)
    with engine.connect() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
    tables = sorted(set(inspect(engine).get_table_names()) - set(NOT_FOR_THE_APP))
    statements = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {quote(database)} TO {who}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {who}",
    ]
    for table in tables:
        if table in APPEND_ONLY_TABLES:
            statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {who}")
            statements.append(f"GRANT SELECT, INSERT ON {quote(table)} TO {who}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {quote(table)} TO {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}")
    statements.append(f"GRANT EXECUTE ON FUNCTION audit_chain_head(bigint) TO {who}")
    return statements
