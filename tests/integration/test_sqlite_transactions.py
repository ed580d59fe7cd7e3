"""SQLite: writing transactions hold the write lock from their first statement; reads don't.

One engine event (aftercare/core/transactions.py) decides, so no service calls
anything before it reads what it will write.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, text

from aftercare.auth.models import User
from aftercare.extensions import db


@pytest.fixture
def sqlite_path(database_url: str) -> str:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite's locking; PostgreSQL uses row locks")
    return database_url.removeprefix("sqlite:///")


def _another_writer_can_begin(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_service_transaction_holds_the_write_lock_from_its_first_read(app, sqlite_path):
    db.session.scalars(select(User.id)).all()  # a read, as a service's first step
    assert not _another_writer_can_begin(sqlite_path)
    db.session.rollback()
    assert _another_writer_can_begin(sqlite_path)


def test_a_safe_requests_read_leaves_the_write_lock_free(app, sqlite_path):
    with app.test_request_context("/tickets", method="GET"):
        db.session.scalars(select(User.id)).all()
        assert _another_writer_can_begin(sqlite_path)
        db.session.rollback()


def test_a_posted_requests_transaction_is_a_writer(app, sqlite_path):
    with app.test_request_context("/tickets/new", method="POST"):
        db.session.scalars(select(User.id)).all()
        assert not _another_writer_can_begin(sqlite_path)
        db.session.rollback()


def test_an_autocommit_connection_runs_statements_outside_a_transaction(app, sqlite_path):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()[0] == 0
