"""PostgreSQL reads: the data version under concurrent writers, read-only requests.

Read-only endpoints run without a transaction (no BEGIN, no COMMIT); anything but a
SELECT on their connection raises, so no write can commit statement by statement.
"""

from __future__ import annotations

import threading

import pytest
from flask import g
from sqlalchemy import create_engine, event, select, update

from aftercare import data_version, transactions
from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import file_ticket
from tests.integration.ledger_support import quick_claim


@pytest.fixture
def database_url(pg_database: str) -> str:
    return pg_database


def version() -> int:
    db.session.commit()
    return data_version.current(data_version.TICKETS)


def test_the_version_moves_once_per_transaction_and_loses_no_concurrent_bump(database_url, make):
    """SQLite bumps per row, with its single writer; PostgreSQL once, at commit."""
    firm_user = make.user("firm")
    ids = [
        file_ticket(
            firm_user, {"category": "breakdown", "severity": "high", "title": f"고장 {n}"}
        ).id
        for n in range(8)
    ]
    start = version()
    db.session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(title="일괄"))
    db.session.commit()
    assert version() == start + 1  # eight rows, one transaction

    engine = create_engine(database_url, pool_size=8)
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def write(ticket_id: int) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(title="동시"))
                barrier.wait(timeout=10)  # every writer holds its row before any commits
        except BaseException as error:  # reported below
            errors.append(error)

    before = version()
    threads = [threading.Thread(target=write, args=(ticket_id,)) for ticket_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == []
    assert version() == before + len(ids)


def _autocommit_of_statements(client, path: str, headers=None) -> set[bool]:
    """Whether the driver was in autocommit for each statement of a GET of `path`."""
    seen: set[bool] = set()

    def note(conn, *_args):
        seen.add(conn.connection.driver_connection.autocommit)

    db.session.remove()  # a fresh session and `g`, as every real request has
    g.pop("_login_user", None)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(path, headers=headers or {}).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
        db.session.remove()
    return seen


def test_listed_reads_run_without_a_transaction_and_the_rest_inside_one(client, make, api, auth):
    manager = make.user("manager")
    quick_claim(make.firm().id, manager.id, [("parts", 100_000)])
    ticket_id = db.session.scalar(select(Ticket.id))
    headers = {"Authorization": f"Bearer {api.as_(manager).token}"}
    email = manager.email
    db.session.commit()
    assert _autocommit_of_statements(client, "/api/v1/tickets", headers) == {True}
    assert _autocommit_of_statements(client, f"/api/v1/tickets/{ticket_id}", headers) == {True}
    assert _autocommit_of_statements(client, "/api/v1/claims", headers) == {False}
    auth.login(email)
    assert _autocommit_of_statements(client, "/tickets") == {True}
    assert _autocommit_of_statements(client, f"/tickets/{ticket_id}") == {False}


def test_a_write_on_a_read_only_request_raises_and_commits_nothing(app, client, make, monkeypatch):
    user_id = make.user("manager", name="Before").id
    db.session.commit()

    @app.get("/test-read-only-write")
    def read_only_write():
        db.session.execute(update(User).where(User.id == user_id).values(name="After"))
        return "ok"

    monkeypatch.setattr(
        transactions, "READ_ONLY_ENDPOINTS", transactions.READ_ONLY_ENDPOINTS | {"read_only_write"}
    )
    db.session.remove()
    assert client.get("/test-read-only-write").status_code == 500  # logged, not committed
    db.session.remove()
    assert db.session.scalar(select(User.name).where(User.id == user_id)) == "Before"
