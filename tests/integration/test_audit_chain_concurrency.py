"""Concurrent audited writes keep one unbroken chain (SPEC §7).

Each writer appends its event and then holds its transaction open a moment, so the
others queue on the chain's lock (PostgreSQL) or its single writer (SQLite) and
must each read the link committed just before them, not the one they saw first.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from aftercare.audit.models import AuditEvent
from aftercare.audit.services import record_event, verify_chain
from aftercare.extensions import db
from tests.integration.ledger_support import race

WRITERS = 12


@pytest.fixture
def app_config(app_config):
    """A connection for every racing thread, so all of them really run at once."""
    options = {"pool_pre_ping": True, "pool_size": WRITERS + 2, "pool_timeout": 60}
    return app_config | {"SQLALCHEMY_ENGINE_OPTIONS": options}


def _writer(i: int, barrier) -> int:
    barrier.wait(timeout=60)
    event_id = record_event(None, "test.race", "thing", i, after={"writer": i})
    time.sleep(0.02)  # hold the chain while the others wait for it
    db.session.commit()
    return event_id


def test_concurrent_writers_append_one_unbroken_chain(app):
    results = race(app, WRITERS, _writer)

    assert all(r[0] == "ok" for r in results), results
    assert sorted(r[1] for r in results) == list(range(1, WRITERS + 1))
    events = db.session.execute(select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash))
    rows = sorted(events.all())
    assert [prev for _, prev, _ in rows[1:]] == [link for _, _, link in rows[:-1]]
    assert verify_chain() == (WRITERS, None)
