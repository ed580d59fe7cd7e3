"""The idle ping (PostgreSQL): a pooled connection idle too long is checked before use."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from aftercare import create_app
from aftercare.extensions import db

BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
def app_pinging_after(pg_database: str) -> Iterator:
    apps: list[Flask] = []

    def make(seconds: float) -> Flask:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": pg_database, "DB_PING_AFTER_IDLE_SECONDS": seconds}
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _pooled_backend(app: Flask) -> int:
    """Use one connection, give it back to the pool; its server process id."""
    with app.app_context():
        pid = db.session.scalar(BACKEND)
        db.session.remove()
    return pid


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_dead_connection_idle_past_the_limit_is_replaced_before_use(
    app_pinging_after, pg_database
):
    app = app_pinging_after(0.05)
    dead = _pooled_backend(app)
    _terminate(pg_database, dead)
    time.sleep(0.1)
    with app.app_context():
        assert db.session.scalar(BACKEND) != dead  # a fresh connection, no error


def test_a_connection_used_a_moment_ago_is_not_pinged(app_pinging_after, pg_database, monkeypatch):
    """Without the ping the dead connection's first statement fails (then the pool
    replaces it): the ping, not luck, saved the request above."""
    app = app_pinging_after(3600)
    with app.app_context():
        pings: list[object] = []
        monkeypatch.setattr(db.engine.dialect, "do_ping", pings.append)
    dead = _pooled_backend(app)
    _terminate(pg_database, dead)
    with app.app_context():
        with pytest.raises(OperationalError):
            db.session.scalar(BACKEND)
        db.session.remove()
        assert db.session.scalar(BACKEND) != dead  # the pool dropped the dead one
    assert pings == []
