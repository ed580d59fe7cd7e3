"""How a request's transaction ends, and how list pages send their row count.

Both are performance measures of the core (aftercare/core/transactions.py and
aftercare/core/pagination.py) that features never see; these tests pin what they
promise: a safe request ends with COMMIT unless it failed or left changes behind,
PostgreSQL keeps its prepared statements from one request to the next, and a page's
LIMIT is written into the SQL.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from aftercare.auth.models import User
from aftercare.auth.services import issue_token
from aftercare.extensions import db
from aftercare.tickets import services
from tests.helpers import ApiClient, Factory


@pytest.fixture
def world(own_app: Flask) -> tuple[Flask, ApiClient, int]:
    """An app with test-only routes, a manager's API client and a ticket id."""

    @own_app.get("/_test/rename-and-fail")
    def rename_and_fail():
        db.session.get(User, manager_id).name = "바뀐 이름"
        db.session.flush()
        raise RuntimeError("failed after a write")

    @own_app.get("/_test/rename-and-leave")
    def rename_and_leave():
        db.session.get(User, manager_id).name = "남긴 이름"  # a GET that writes: a bug
        return "ok"

    @own_app.get("/_test/prepared")
    def prepared():
        return str(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    with own_app.app_context():
        make = Factory()
        manager = make.user("manager", name="매니저")
        manager_id = manager.id
        firm_user = make.user("firm")
        fields = {"category": "breakdown", "severity": "high", "title": "고장"}
        ticket_id = services.file_ticket(firm_user, fields).id
        token = issue_token(manager)[0]
        db.session.commit()
        db.session.remove()
    return own_app, ApiClient(own_app.test_client(), token), ticket_id


def _endings(app: Flask) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    event.listen(engine, "commit", lambda _conn: seen.append("commit"))
    event.listen(engine, "rollback", lambda _conn: seen.append("rollback"))
    return seen


def _name_of_manager(app: Flask) -> str:
    with app.app_context():
        name = db.session.scalar(select(User.name).where(User.role == "manager"))
        db.session.remove()
    return name


def test_a_read_request_ends_with_commit(world):
    app, api, ticket_id = world
    endings = _endings(app)
    assert api.get(f"/tickets/{ticket_id}").status_code == 200
    assert api.get("/tickets").status_code == 200
    assert endings == ["commit", "commit"]


def test_a_read_request_that_fails_is_rolled_back(world):
    app, _api, _ = world
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered 500, as in production
    endings = _endings(app)
    assert app.test_client().get("/_test/rename-and-fail").status_code == 500
    assert endings == ["rollback"]
    assert _name_of_manager(app) == "매니저"


def test_a_read_request_that_leaves_changes_is_rolled_back(world):
    app, _api, _ = world
    endings = _endings(app)
    assert app.test_client().get("/_test/rename-and-leave").status_code == 200
    assert endings == ["rollback"]
    assert _name_of_manager(app) == "매니저"


def test_postgresql_keeps_prepared_statements_between_requests(world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's")
    app, api, ticket_id = world
    for _ in range(6):  # psycopg prepares a statement on its fifth use
        assert api.get(f"/tickets/{ticket_id}").status_code == 200
    # The pool hands the same connection back: one request at a time.
    assert int(app.test_client().get("/_test/prepared").get_data(as_text=True)) > 0


def test_a_list_page_writes_its_row_count_into_the_sql(world):
    app, api, _ = world
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert api.get("/tickets?limit=7").status_code == 200
    ticket_lists = [s for s in statements if "FROM ticket" in s and "ORDER BY" in s]
    assert len(ticket_lists) == 1
    assert "LIMIT 8" in ticket_lists[0]  # seven rows and one that tells more exist
