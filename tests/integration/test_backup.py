"""`flask backup` and a restore: the restored books verify."""

import shutil
import subprocess

import pytest

from aftercare import create_app
from aftercare.audit.services import verify_chain
from aftercare.extensions import db
from aftercare.payouts.reconciliation import reconcile
from tests.functional.test_journey_api import (
    test_the_whole_journey_moves_money_exactly_once as run_journey,
)


@pytest.fixture
def books(client, api, make, runner):
    """A database with a settled claim in it (the API journey)."""
    run_journey(client, api, make, runner)


def test_sqlite_backup_restores_to_books_that_verify(database_url, books, runner, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL is covered by the pg_dump test")
    target = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    restored = tmp_path / "restored.sqlite"
    shutil.copyfile(target, restored)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{restored}"})
    with app.app_context():
        ok, checks = reconcile(record=False)
        assert ok, [c for c in checks if not c.ok]
        count, broken = verify_chain()
        assert count > 0
        assert broken is None
        db.session.remove()
        db.engine.dispose()


def test_postgresql_backup_restores_to_books_that_verify(database_url, books, runner, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is covered by the online backup test")
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    from sqlalchemy import create_engine, make_url, text

    target = tmp_path / "backup.dump"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    url = make_url(database_url)
    restored_name = f"{url.database}_restored"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{restored_name}"'))
    admin.dispose()
    restored_url = url.set(database=restored_name)
    plain = restored_url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={plain}", str(target)], check=True)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": restored_url.render_as_string(hide_password=False)}
    )
    with app.app_context():
        ok, checks = reconcile(record=False)
        assert ok, [c for c in checks if not c.ok]
        assert verify_chain()[1] is None
        db.session.remove()
        db.engine.dispose()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))
    admin.dispose()
