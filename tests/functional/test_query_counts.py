"""No N+1: list and detail pages run the same number of queries whatever the row count."""

import contextlib

import pytest
from sqlalchemy import event

from aftercare.claims.signoff import confirm_ticket
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.assignment import assign_meister
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.tickets.services import add_comment, file_ticket, triage_ticket


@contextlib.contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def people(make):
    firm = make.firm()
    return {
        "firm": firm,
        "firm_user": make.user("firm", firm=firm),
        "manager": make.user("manager"),
        "meister": make.meister(),
    }


def add_confirmed_tickets(people, count: int) -> list[int]:
    """Tickets that went the whole way, so every row has a Meister, visits and a claim."""
    ids = []
    for n in range(count):
        ticket = file_ticket(
            people["firm_user"], {"category": "breakdown", "severity": "high", "title": f"고장 {n}"}
        )
        triage_ticket(people["manager"], ticket.id, "accept")
        assign_meister(people["manager"], ticket.id, people["meister"].id)
        accept_ticket(people["meister"], ticket.id)
        line = {"kind": "labour", "description": "작업", "quantity": 1, "unit_price": 100_000}
        log_visit(people["meister"], ticket.id, seoul_today(), 2, "", [line, line])
        add_comment(people["manager"], ticket.id, "확인")
        resolve_ticket(people["meister"], ticket.id, "완료")
        confirm_ticket(people["firm_user"], ticket.id, 5)
        ids.append(ticket.id)
    return ids


def queries_for(client, path: str, headers=None) -> int:
    # Requests share the test's session; expiring it makes each request load what it
    # needs, as it would with the fresh session of a real request.
    db.session.expire_all()
    with counted() as statements:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200, path
    return len(statements)


@pytest.mark.parametrize("path", ["/tickets", "/tickets?status=confirmed&category=breakdown"])
def test_ticket_list_page_queries_do_not_grow_with_rows(client, auth, people, path):
    add_confirmed_tickets(people, 2)
    auth.login(people["manager"])
    few = queries_for(client, path)
    add_confirmed_tickets(people, 6)
    assert queries_for(client, path) == few


def test_ticket_list_api_queries_do_not_grow_with_rows(client, api, people):
    add_confirmed_tickets(people, 2)
    caller = api.as_(people["manager"])
    few = queries_for(client, "/api/v1/tickets", caller._headers(None))
    add_confirmed_tickets(people, 6)
    many = queries_for(client, "/api/v1/tickets", caller._headers(None))
    assert many == few
    body = client.get("/api/v1/tickets", headers=caller._headers(None)).get_json()
    assert all(item["claim"]["status"] == "pending" for item in body["items"])


def test_ticket_detail_queries_do_not_grow_with_history(client, auth, api, people):
    first, second = add_confirmed_tickets(people, 2)
    for n in range(5):  # more comments and history on the second ticket
        add_comment(people["manager"], second, f"추가 {n}")
    auth.login(people["manager"])
    assert queries_for(client, f"/tickets/{first}") == queries_for(client, f"/tickets/{second}")
    caller = api.as_(people["manager"])
    headers = caller._headers(None)
    assert queries_for(client, f"/api/v1/tickets/{first}", headers) == queries_for(
        client, f"/api/v1/tickets/{second}", headers
    )


def test_claims_queue_queries_do_not_grow_with_rows(client, auth, people):
    add_confirmed_tickets(people, 2)
    auth.login(people["manager"])
    few = queries_for(client, "/claims")
    add_confirmed_tickets(people, 6)
    assert queries_for(client, "/claims") == few


def test_text_search_finds_korean_words_of_any_length(client, api, people):
    add_confirmed_tickets(people, 3)
    file_ticket(
        people["firm_user"],
        {"category": "defect", "severity": "low", "title": "비전검사기 오판정", "system": "VIS-7"},
    )
    caller = api.as_(people["manager"])

    def titles(q):
        return [t["title"] for t in caller.get(f"/tickets?q={q}").get_json()["items"]]

    assert titles("비전검사") == ["비전검사기 오판정"]  # 4 characters: the trigram index
    assert titles("오판") == ["비전검사기 오판정"]  # 2 characters: LIKE on the narrowed rows
    assert titles("vis-7 오판정") == ["비전검사기 오판정"]
    assert titles("고장 2") == ["고장 2"]
    assert titles("없는말") == []
    assert titles("100%") == []  # LIKE wildcards are searched literally


# Each dashboard figure is one grouped query: the count stays put as rows grow, and
# stays under a small bound (login, fiscal year, pool, one query per figure; the manager's
# also lists the claims awaiting a second approval and counts the pending approval requests;
# both programme dashboards add two for the recovery cards: open cases and what is owed,
# what came back this year; the auditor's names the people of its latest events; the
# support types of the year and their names, once each, where a page lists caps per type).
DASHBOARD_QUERY_BOUNDS = {"/manager": 22, "/auditor": 18, "/firm": 9, "/meister": 10}


@pytest.mark.parametrize("path", sorted(DASHBOARD_QUERY_BOUNDS))
def test_dashboard_queries_do_not_grow_with_rows(client, auth, make, people, path):
    make.fiscal_year(year=seoul_today().year, budget=100_000_000)
    viewer = {
        "/manager": people["manager"],
        "/auditor": make.user("auditor"),
        "/firm": people["firm_user"],
        "/meister": people["meister"],
    }[path]
    add_confirmed_tickets(people, 2)
    auth.login(viewer)
    few = queries_for(client, path)
    add_confirmed_tickets(people, 6)
    make.meister()  # another Meister and firm widen the workload and usage figures
    make.firm(region="busan")
    assert queries_for(client, path) == few
    assert few <= DASHBOARD_QUERY_BOUNDS[path], few


@pytest.mark.parametrize("app_config", [{"DASHBOARD_CACHE_SECONDS": 60}])
def test_programme_figures_are_cached_between_dashboard_views(client, auth, make, people):
    make.fiscal_year(year=seoul_today().year, budget=100_000_000)
    add_confirmed_tickets(people, 2)
    auth.login(people["manager"])
    first = queries_for(client, "/manager")
    again = queries_for(client, "/manager")
    # Spending (3), burn-down, SLA, workload, cap usage, breaches, status counts, and the
    # firm and Meister counts.
    assert again == first - 11
