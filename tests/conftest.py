"""Fixtures: every database test runs on SQLite and on PostgreSQL.

SQLite: the migrated schema is built once into a template file, copied per test.
PostgreSQL (TEST_DATABASE_URL names the server and the base database): each test
session creates a database of its own, migrates it once and truncates its tables
after each test. An unreachable PostgreSQL is skipped locally and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from aftercare import create_app
from aftercare.extensions import db, limiter
from tests.helpers import ApiClient, AuthActions, Factory

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.sqlite"
    _migrate(f"sqlite:///{path}")
    return path


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure means "not reachable"
        return str(error).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this test session's own, so concurrent runs never share tables."""
    problem = _pg_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL must run under CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    base = make_url(PG_URL)
    name = f"{base.database}_aftercare_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            # audit_event refuses TRUNCATE by trigger (migration 0013); the replica role,
            # a superuser's switch for this transaction only, keeps ordinary triggers quiet.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Overrides for the test app; tests may change it before `app` is built."""
    return {
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "audit-checkpoints"),
    }


def _clean_up(app: Flask, database_url: str) -> None:
    """Empty PostgreSQL's shared database; drop every pooled connection."""
    if database_url.startswith("postgresql"):
        _truncate_all(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **app_config})
    limiter.reset()
    with app.app_context():
        yield app
        db.session.remove()
    _clean_up(app, database_url)


def _own_app(database_url: str, **config: Any) -> Iterator[Flask]:
    checkpoints = config.pop("checkpoints")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "AUDIT_CHECKPOINT_DIR": checkpoints, **config}
    )
    limiter.reset()
    yield app
    _clean_up(app, database_url)


@pytest.fixture
def own_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app whose requests run outside the test's app context: each has its own `g`."""
    yield from _own_app(database_url, checkpoints=str(tmp_path / "audit-checkpoints"))


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """As `own_app`, with CSRF protection on, as in production."""
    yield from _own_app(
        database_url, checkpoints=str(tmp_path / "audit-checkpoints"), WTF_CSRF_ENABLED=True
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)
