"""Migration 0013 on a database that already has a plain SHA-256 chain (both databases).

The rows written before it take hash_scheme 'sha256' and still verify; new events
are HMAC links after them; downgrading and upgrading again keeps the rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, make_url, select, text

from aftercare import create_app
from aftercare.audit.models import AuditEvent
from aftercare.audit.services import _payload, record_event, verify_chain
from aftercare.db import utcnow
from aftercare.domain.audit_chain import GENESIS, link_hash
from aftercare.extensions import db
from tests.conftest import PG_URL, _pg_reachable

BEFORE = "0012_session_version"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An unmigrated database of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite'}"
        return
    if _pg_reachable():
        pytest.skip("PostgreSQL not reachable")
    name = f"{make_url(PG_URL).database}_m0013_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _legacy_chain(n: int) -> None:
    """Rows as 0011's code wrote them: no hash_scheme column, plain SHA-256 links."""
    prev = GENESIS
    for i in range(1, n + 1):
        row = {
            "id": i,
            "created_at": utcnow(),
            "actor_id": None,
            "action": "legacy.event",
            "object_type": "thing",
            "object_id": i,
            "before": "{}",
            "after": f'{{"n": {i}}}',
            "request_id": "",
        }
        row["prev_hash"], row["hash"] = prev, link_hash(prev, _payload(row))
        db.session.execute(
            text(
                "INSERT INTO audit_event (id, created_at, actor_id, action, object_type,"
                " object_id, before, after, request_id, prev_hash, hash) VALUES (:id,"
                " :created_at, :actor_id, :action, :object_type, :object_id, :before, :after,"
                " :request_id, :prev_hash, :hash)"
            ),
            row,
        )
        prev = row["hash"]
    db.session.commit()


def test_existing_sha256_rows_keep_verifying_and_new_events_are_hmac(empty_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url})
    with app.app_context():
        upgrade(revision=BEFORE)
        _legacy_chain(4)
        upgrade()
        assert verify_chain() == (4, None)
        record_event(None, "after.migration", "thing", 5)
        db.session.commit()
        schemes = db.session.scalars(select(AuditEvent.hash_scheme).order_by(AuditEvent.id))
        assert schemes.all() == ["sha256"] * 4 + ["hmac-sha256"]
        assert verify_chain() == (5, None)
        db.session.remove()  # SQLite: the read above holds the write lock the migration needs

        downgrade(revision=BEFORE)
        assert db.session.scalar(text("SELECT count(*) FROM audit_event")) == 5
        db.session.execute(text("DELETE FROM audit_event WHERE id = 5"))  # no trigger now
        db.session.commit()
        upgrade()
        assert verify_chain() == (4, None)
        db.session.remove()
        db.engine.dispose()
