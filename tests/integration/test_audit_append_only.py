"""audit_event is append-only at the database (migration 0013), and legacy links still verify."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from aftercare.audit.models import AuditEvent
from aftercare.audit.services import _payload, record_event, verify_chain
from aftercare.db import utcnow
from aftercare.domain.audit_chain import GENESIS, HASH_MISMATCH, link_hash
from aftercare.extensions import db


def _events(n: int) -> None:
    for i in range(n):
        record_event(None, "test.event", "thing", i, after={"n": i})
    db.session.commit()


def _snapshot() -> list:
    return db.session.execute(text("SELECT * FROM audit_event ORDER BY id")).all()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET after = '{}'",
        "UPDATE audit_event SET hash_scheme = 'sha256' WHERE id = 2",
        "DELETE FROM audit_event WHERE id = 3",
        "DELETE FROM audit_event",
    ],
)
def test_update_and_delete_of_audit_events_fail_at_the_database(app, sql):
    _events(3)
    before = _snapshot()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(sql))
    db.session.rollback()
    assert _snapshot() == before
    assert verify_chain() == (3, None)


def test_truncate_of_audit_events_fails_on_postgresql(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no TRUNCATE")
    _events(2)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_event"))
    db.session.rollback()
    assert len(_snapshot()) == 2


def test_new_events_are_hmac_links_under_the_configured_key(app):
    _events(2)
    assert db.session.scalars(select(AuditEvent.hash_scheme)).all() == ["hmac-sha256"] * 2
    app.config["AUDIT_KEY"] = "another-key-that-is-long-enough-to-pass"
    assert verify_chain()[1] == (1, HASH_MISMATCH)


def _legacy_events(n: int) -> None:
    """Rows as written before migration 0013: plain SHA-256, scheme 'sha256'."""
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
            "after": "{}",
            "request_id": "",
            "prev_hash": prev,
            "hash_scheme": "sha256",
        }
        row["hash"] = link_hash(prev, _payload(row))
        db.session.execute(insert(AuditEvent.__table__), [row])
        prev = row["hash"]
    db.session.commit()


def test_legacy_sha256_events_verify_and_the_first_hmac_link_seals_them(app):
    _legacy_events(3)
    _events(2)
    assert db.session.scalars(select(AuditEvent.hash_scheme).order_by(AuditEvent.id)).all() == [
        "sha256",
        "sha256",
        "sha256",
        "hmac-sha256",
        "hmac-sha256",
    ]
    assert verify_chain() == (5, None)
