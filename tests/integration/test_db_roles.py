"""The app under a PostgreSQL role that owns no table (`flask db-roles grant`, README).

Migrations run as the owner (here the test's superuser); the app's role may read and
write the app's tables and append audit events, but not change or remove them, nor
DROP, ALTER or CREATE anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError

from aftercare import create_app
from aftercare.audit.models import AuditEvent
from aftercare.audit.services import record_event, verify_chain
from aftercare.extensions import db
from aftercare.firms.models import Firm
from tests.helpers import Factory

REFUSED = [
    "UPDATE audit_event SET after = '{}'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "UPDATE ledger_posting SET amount = 0",
    "DELETE FROM ledger_transaction",
    "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "DROP TABLE firm",
    "DROP TABLE audit_event",
    "CREATE TABLE forged (id integer)",
]


@pytest.fixture
def database_url(pg_database: str) -> str:
    """PostgreSQL only: SQLite has no roles."""
    return pg_database


@pytest.fixture
def app_role(pg_database: str) -> Iterator[str]:
    role = f"aftercare_app_{os.getpid()}"
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    yield role
    with admin.connect() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def test_the_app_role_works_but_cannot_rewrite_the_audit_log_or_the_schema(
    app, runner, make, app_role, pg_database, tmp_path
):
    owner_firm_id = make.firm().id
    db.session.commit()
    result = runner.invoke(args=["db-roles", "grant", "--role", app_role])
    assert result.exit_code == 0, result.output
    assert f"to role {app_role}" in result.output

    url = make_url(pg_database).set(username=app_role, password=None)
    role_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        }
    )
    with role_app.app_context():
        assert db.session.scalar(text("SELECT current_user")) == app_role
        # the app's own work: services write rows and audit events
        firm = Factory().firm()
        Factory().user("firm", firm)
        record_event(None, "test.as_app_role", "firm", firm.id, after={"ok": True})
        db.session.execute(
            text("UPDATE firm SET industry = 'edited' WHERE id = :id"), {"id": owner_firm_id}
        )
        db.session.commit()
        assert db.session.get(Firm, owner_firm_id).industry == "edited"
        assert verify_chain()[1] is None
        events = db.session.scalar(select(db.func.count(AuditEvent.id)))

        for sql in REFUSED:
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                db.session.execute(text(sql))
            db.session.rollback()

        assert db.session.scalar(select(db.func.count(AuditEvent.id))) == events
        assert verify_chain() == (events, None)
        db.session.remove()
        db.engine.dispose()


def test_print_shows_the_grants_and_changes_nothing(app, runner, app_role):
    result = runner.invoke(args=["db-roles", "grant", "--role", app_role, "--print"])
    assert result.exit_code == 0, result.output
    assert f"GRANT SELECT, INSERT ON audit_event TO {app_role};" in result.output
    assert f"GRANT SELECT, INSERT, UPDATE, DELETE ON firm TO {app_role};" in result.output
    assert "alembic_version" not in result.output
    granted = db.session.scalar(
        text("SELECT has_table_privilege(:r, 'firm', 'SELECT')"), {"r": app_role}
    )
    assert granted is False


def test_a_bad_role_name_is_refused(runner):
    result = runner.invoke(args=["db-roles", "grant", "--role", 'x"; DROP TABLE firm; --'])
    assert result.exit_code == 1
    assert "역할 이름" in result.output


def test_sqlite_is_refused(tmp_path):
    """No `app` fixture: its app context would be the one the command runs in."""
    sqlite_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    result = sqlite_app.test_cli_runner().invoke(args=["db-roles", "grant", "--role", "app"])
    assert result.exit_code == 1
    assert "PostgreSQL" in result.output
