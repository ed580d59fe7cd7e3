"""Forms that create something or move money take effect once per drawn form.

A double click, a reload after POST or Back-and-submit sends the same one-time
token again: nothing is filed, funded or approved twice, and the answer goes to what
the first submission made (core/web/once.py).
"""

from __future__ import annotations

import io
import re
import threading

import pytest
from sqlalchemy import func, select

from aftercare.approvals.models import ApprovalRequest
from aftercare.claims.models import Claim
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import LedgerTransaction
from aftercare.tickets.models import Attachment, Ticket
from tests.helpers import PASSWORD, pending_claim

ALREADY = "This request was already processed"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def token_on(html: str) -> str:
    match = re.search(r'name="once_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="once_token" value="([^"]+)"', html
    )
    assert match, "the form carries no one-time token"
    return match.group(1)


def count(model, *where) -> int:
    value = db.session.scalar(select(func.count()).select_from(model).where(*where))
    db.session.rollback()
    return value


@pytest.fixture
def firm_user(make):
    return make.user("firm", firm=make.firm(), language="en")


def ticket_form(token: str, title: str = "프레스 유압 누유", photo: bool = False) -> dict:
    data = {"once_token": token, "category": "breakdown", "severity": "high", "title": title}
    if photo:
        data["files"] = (io.BytesIO(PNG), "leak.png")
    return data


def test_the_ticket_form_is_drawn_with_a_new_token_each_time(client, auth, firm_user):
    auth.login(firm_user)
    first = token_on(client.get("/tickets/new").get_data(as_text=True))
    second = token_on(client.get("/tickets/new").get_data(as_text=True))
    assert first != second


def test_filing_twice_with_one_token_files_one_ticket_and_points_to_it(client, auth, firm_user):
    auth.login(firm_user)
    token = token_on(client.get("/tickets/new").get_data(as_text=True))
    first = client.post("/tickets/new", data=ticket_form(token, photo=True))
    assert first.status_code == 302
    ticket_id = db.session.scalar(select(func.max(Ticket.id)))
    db.session.rollback()
    assert first.headers["Location"] == f"/tickets/{ticket_id}"

    again = client.post("/tickets/new", data=ticket_form(token, photo=True), follow_redirects=True)

    assert again.status_code == 200
    assert again.request.path == f"/tickets/{ticket_id}"
    assert ALREADY in again.get_data(as_text=True)
    assert count(Ticket) == 1
    assert count(Attachment) == 1


def test_a_form_drawn_anew_files_a_new_ticket(client, auth, firm_user):
    auth.login(firm_user)
    for _ in range(2):
        token = token_on(client.get("/tickets/new").get_data(as_text=True))
        assert client.post("/tickets/new", data=ticket_form(token)).status_code == 302
    assert count(Ticket) == 2


def test_a_refused_submission_records_nothing_so_the_corrected_form_goes_through(
    client, auth, firm_user
):
    auth.login(firm_user)
    token = token_on(client.get("/tickets/new").get_data(as_text=True))
    bad = client.post("/tickets/new", data={**ticket_form(token), "title": ""})
    assert bad.status_code == 200
    assert count(Ticket) == 0
    assert token_on(bad.get_data(as_text=True)) == token  # the same drawn form, shown again
    assert client.post("/tickets/new", data=ticket_form(token)).status_code == 302
    assert count(Ticket) == 1


def test_a_malformed_token_is_treated_as_new_not_as_an_error(client, auth, firm_user):
    auth.login(firm_user)
    response = client.post("/tickets/new", data=ticket_form("x" * 5000))
    assert response.status_code == 302
    assert count(Ticket) == 1


def test_tokens_are_per_person(client, auth, make, firm_user):
    """Another person's token is not theirs to replay: it files their own ticket."""
    auth.login(firm_user)
    token = token_on(client.get("/tickets/new").get_data(as_text=True))
    client.post("/tickets/new", data=ticket_form(token))
    auth.logout()
    auth.login(make.user("firm", firm=make.firm(), language="en"))
    response = client.post("/tickets/new", data=ticket_form(token), follow_redirects=True)
    assert ALREADY not in response.get_data(as_text=True)
    assert count(Ticket) == 2


def test_two_submissions_racing_file_one_ticket(app, firm_user):
    """A double click: both requests in flight at once, one ticket, both answers point to it."""
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        client.post("/login", data={"email": firm_user.email, "password": PASSWORD})
    answers: list = [None, None]
    start = threading.Barrier(2)

    def submit(index: int) -> None:
        start.wait()
        answers[index] = clients[index].post("/tickets/new", data=ticket_form("double-click"))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ticket_id = db.session.scalar(select(func.max(Ticket.id)))
    assert count(Ticket) == 1
    assert [a.status_code for a in answers] == [302, 302]
    assert {a.headers["Location"] for a in answers} == {f"/tickets/{ticket_id}"}


# ---------------------------------------------------------------- money


@pytest.fixture
def manager(make):
    make.fiscal_year(year=seoul_today().year, budget=100_000_000)
    return make.user("manager", language="en")


def test_approving_twice_from_one_page_reserves_once(client, auth, api, make, manager):
    claim_id = pending_claim(api, make)["claim_id"]
    auth.login(manager)
    token = token_on(client.get(f"/claims/{claim_id}").get_data(as_text=True))

    first = client.post(f"/claims/{claim_id}/approve", data={"once_token": token})
    again = client.post(
        f"/claims/{claim_id}/approve", data={"once_token": token}, follow_redirects=True
    )

    assert first.status_code == 302
    page = again.get_data(as_text=True)
    assert again.request.path == f"/claims/{claim_id}"
    assert ALREADY in page
    assert "Approval refused" not in page
    assert count(LedgerTransaction, LedgerTransaction.type == "reserve") == 1
    assert db.session.get(Claim, claim_id).status == "approved"


def test_a_second_tab_is_a_new_request_and_the_claim_refuses_it(client, auth, api, make, manager):
    """The claim page open in two tabs: approving in both is not a resubmission."""
    claim_id = pending_claim(api, make)["claim_id"]
    auth.login(manager)
    tabs = [token_on(client.get(f"/claims/{claim_id}").get_data(as_text=True)) for _ in range(2)]
    for token in tabs:
        answer = client.post(
            f"/claims/{claim_id}/approve", data={"once_token": token}, follow_redirects=True
        )
    assert "Approval refused" in answer.get_data(as_text=True)
    assert count(LedgerTransaction, LedgerTransaction.type == "reserve") == 1


def test_the_budget_form_asks_once(client, auth, manager):
    year = seoul_today().year
    auth.login(manager)
    token = token_on(client.get(f"/ledger?year={year}").get_data(as_text=True))
    form = {"once_token": token, "year": str(year), "amount": "1,000,000", "reason": "추경"}

    first = client.post("/ledger/budget", data=form)
    again = client.post("/ledger/budget", data=form, follow_redirects=True)

    assert first.status_code == 302
    assert ALREADY in again.get_data(as_text=True)
    assert count(ApprovalRequest, ApprovalRequest.kind == "budget") == 1


def test_confirming_a_request_twice_funds_once(client, auth, make, manager):
    year = seoul_today().year
    auth.login(manager)
    client.post(
        "/ledger/budget",
        data={"once_token": "ask", "year": str(year), "amount": "2000000", "reason": "추경"},
    )
    request_id = db.session.scalar(select(func.max(ApprovalRequest.id)))
    db.session.rollback()
    auth.logout()
    auth.login(make.user("manager", language="en"))
    funds_before = count(LedgerTransaction, LedgerTransaction.type == "fund")

    first = client.post(f"/approvals/{request_id}/confirm", data={"once_token": "confirm"})
    again = client.post(
        f"/approvals/{request_id}/confirm", data={"once_token": "confirm"}, follow_redirects=True
    )

    assert first.status_code == 302
    assert ALREADY in again.get_data(as_text=True)
    assert count(LedgerTransaction, LedgerTransaction.type == "fund") == funds_before + 1
