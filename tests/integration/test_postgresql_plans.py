"""PostgreSQL keeps one plan for the ticket list across requests (prepared, generic).

psycopg prepares a statement after a few executions on a connection, and forgets
them all on a ROLLBACK: reads end with COMMIT. A `LIMIT $1` would make PostgreSQL
plan the statement afresh on every execution: limits are written into the SQL.
"""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import text

from aftercare.extensions import db
from tests.integration.ledger_support import quick_claim


@pytest.fixture
def database_url(pg_database: str) -> str:
    return pg_database


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "FRAGMENT_CACHE_SIZE": 0}  # every request runs the list statement


def _list_twelve_times(caller, path: str) -> list[list[dict]]:
    """GET `path` 12 times, each request ending as in production (its own teardown)."""
    db.session.remove()
    pages = []
    for _ in range(12):
        answer = caller.get(path)
        assert answer.status_code == 200
        pages.append(answer.json["items"])
        db.session.remove()  # the request's teardown (tests share one app context)
    return pages


def _list_plans(written_in: str = "%") -> list:
    """(statement, generic_plans, custom_plans) of the prepared ticket-list statements."""
    return db.session.execute(
        text(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'SELECT ticket.id, %' AND statement LIKE :written_in"
        ),
        {"written_in": written_in},
    ).all()


def test_the_ticket_list_keeps_a_prepared_generic_plan_across_requests(make, api):
    manager = make.user("manager")
    for _ in range(3):
        quick_claim(make.firm().id, manager.id, [("parts", 100_000)])

    pages = _list_twelve_times(api.as_(manager), "/tickets?limit=2")

    assert all(len(items) == 2 for items in pages)
    plans = _list_plans()
    assert len(plans) == 1, plans
    statement, generic, custom = plans[0]
    assert "LIMIT 3" in statement  # written in, not a parameter
    assert generic >= 5, (generic, custom)  # prepared after a few runs, then reused
    assert custom == 0  # never planned afresh per execution


def test_a_filtered_list_writes_its_vocabulary_values_in_and_keeps_its_plan(make, api):
    manager = make.user("manager")
    quick_claim(make.firm().id, manager.id, [("parts", 100_000)])

    pages = _list_twelve_times(api.as_(manager), "/tickets?status=confirmed&category=breakdown")

    assert all([t["status"] for t in items] == ["confirmed"] for items in pages)
    plans = _list_plans("%ticket.status = 'confirmed' AND ticket.category = 'breakdown'%")
    assert len(plans) == 1, plans
    assert plans[0].generic_plans >= 5
    assert plans[0].custom_plans == 0


def _prepared(like: str) -> list:
    return db.session.execute(
        text(
            "SELECT statement, parameter_types::text AS types, generic_plans "
            "FROM pg_prepared_statements WHERE statement LIKE :like"
        ),
        {"like": like},
    ).all()


def test_the_approval_queues_write_pending_in_and_keep_a_plan_for_it(make, auth, api):
    """A generic plan of `claim.status = $1` cannot use the index of pending claims."""
    manager = make.user("manager")
    quick_claim(make.firm().id, manager.id, [("parts", 100_000)])
    caller = api.as_(manager)
    email = manager.email
    db.session.commit()
    auth.login(email)
    for path in ("/manager", "/claims", "api:/claims?status=pending") * 10:
        db.session.remove()  # each request's own session and user, as in production
        g.pop("_login_user", None)
        api_path = path.removeprefix("api:")
        answer = caller.get(api_path) if api_path != path else auth.client.get(path)
        assert answer.status_code == 200, path

    db.session.remove()
    queues = _prepared("SELECT %FROM claim%claim.status = 'pending'%")
    assert len(queues) == 2, queues  # the dashboard's; the page's and the API's (one text)
    assert all(q.types == "{}" for q in queues)  # no parameter left to plan for
    assert all(q.generic_plans >= 5 for q in queues)
    assert _prepared("SELECT %FROM claim%claim.status = $%") == []
