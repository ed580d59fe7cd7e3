"""Bulk triage and bulk assignment from the managers' ticket list.

A bulk action is the single-ticket action run once per ticket: every ticket gets its
history row, audit event and notifications; a refused ticket is reported with its
reason and never undoes the others; nothing changes before the confirmation.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import func, select

from aftercare.audit.models import AuditEvent
from aftercare.extensions import db
from aftercare.meisters.assignment import assign_meister
from aftercare.notifications.models import Notification
from aftercare.tickets import services
from aftercare.tickets.models import Ticket, TicketHistory
from tests.helpers import PASSWORD, Factory


@pytest.fixture
def people(make):
    firm = make.firm()
    return SimpleNamespace(
        manager=make.user("manager", language="en"),
        firm=firm,
        firm_user=make.user("firm", firm=firm),
        meister=make.meister(max_load=50),
    )


def file_tickets(people, count: int, firm_user=None) -> list[int]:
    user = firm_user or people.firm_user
    return [
        services.file_ticket(
            user, {"category": "breakdown", "severity": "normal", "title": f"설비 고장 {n}"}
        ).id
        for n in range(count)
    ]


def triaged_tickets(people, count: int, firm_user=None) -> list[int]:
    ids = file_tickets(people, count, firm_user)
    for ticket_id in ids:
        services.triage_ticket(people.manager, ticket_id, "accept")
    return ids


def statuses(ids: list[int]) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Ticket, i).status for i in ids]


def history(ticket_id: int, action: str) -> list[TicketHistory]:
    return list(
        db.session.scalars(
            select(TicketHistory).where(
                TicketHistory.ticket_id == ticket_id, TicketHistory.action == action
            )
        )
    )


def audit_count(action: str, ticket_id: int) -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == action,
            AuditEvent.object_type == "ticket",
            AuditEvent.object_id == ticket_id,
        )
    )


def notifications(user_id: int, kind: str) -> list[int]:
    return sorted(
        db.session.scalars(
            select(Notification.ticket_id).where(
                Notification.user_id == user_id, Notification.kind == kind
            )
        )
    )


def text_of(response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()))


def failures(response) -> list[str]:
    """The per-ticket failure lines of the result page, as text."""
    body = response.get_data(as_text=True)
    match = re.search(r'<ul[^>]*id="bulk-failures"[^>]*>(.*?)</ul>', body, re.S)
    if not match:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]


def review(client, **data):
    return client.post("/tickets/bulk", data=data)


def apply(client, **data):
    return client.post("/tickets/bulk/apply", data=data)


# ---------------------------------------------------------------- the list


def test_managers_see_checkboxes_on_rows_a_bulk_action_can_take(client, auth, people):
    submitted = file_tickets(people, 2)
    triaged = triaged_tickets(people, 1)
    cancelled = file_tickets(people, 1)
    services.cancel_ticket(people.manager, cancelled[0], "중복 접수")
    auth.login(people.manager)
    body = client.get("/tickets").get_data(as_text=True)
    boxes = sorted(int(v) for v in re.findall(r'name="ticket_ids" value="(\d+)"', body))
    assert boxes == sorted(submitted + triaged)
    assert 'action="/tickets/bulk"' in body
    assert 'name="action"' in body
    assert "js/select_all.js" in body  # the optional "select all"; hidden without JavaScript
    assert "data-select-all" in body
    assert " hidden>" in body


@pytest.mark.parametrize("role", ["firm", "meister", "auditor"])
def test_other_roles_see_no_checkboxes(client, auth, make, people, role):
    file_tickets(people, 2)
    user = people.firm_user if role == "firm" else make.user(role)
    if role == "meister":
        user = people.meister
        ticket_id = triaged_tickets(people, 1)[0]
        assign_meister(people.manager, ticket_id, user.id)
    auth.login(user)
    response = client.get("/tickets")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'name="ticket_ids"' not in body
    assert "/tickets/bulk" not in body


# ---------------------------------------------------------------- confirmation first


def test_the_review_step_lists_the_tickets_and_changes_nothing(client, auth, people):
    ids = file_tickets(people, 3)
    auth.login(people.manager)
    response = review(client, ticket_ids=ids, action="reject", reason="지원 대상 설비 아님")
    assert response.status_code == 200
    body = text_of(response)
    assert "Please confirm" in body or "확인해 주세요" in body
    for n in range(3):
        assert f"설비 고장 {n}" in body
    assert "지원 대상 설비 아님" in body
    raw = response.get_data(as_text=True)
    assert 'action="/tickets/bulk/apply"' in raw
    assert sorted(int(v) for v in re.findall(r'name="ticket_ids" value="(\d+)"', raw)) == ids
    assert statuses(ids) == ["submitted"] * 3
    assert all(not history(i, "triage_reject") for i in ids)


def test_the_list_leaves_the_meister_choice_to_the_review_page(client, auth, make, people):
    ids = file_tickets(people, 2)
    auth.login(people.manager)
    listed = client.get("/tickets").get_data(as_text=True)
    meister_select = r'<select[^>]*name="meister_id"'
    assert not re.search(meister_select, listed)  # hundreds of Meisters: not on the busiest page
    assert "next page" in listed
    response = review(client, ticket_ids=ids, action="assign")  # as the list page posts it
    body = invalid_page(response)
    raw = response.get_data(as_text=True)
    assert re.search(meister_select, raw)
    assert people.meister.name in body
    assert "Choose an active Smart Meister." not in body  # asked for, not an error
    assert re.search(
        r'<input[^>]*checked[^>]*value="assign"|<input[^>]*value="assign"[^>]*checked', raw
    )
    assert statuses(ids) == ["submitted", "submitted"]
    assert apply(client, ticket_ids=ids, action="assign").status_code == 200
    assert "Choose an active Smart Meister." in text_of(
        apply(client, ticket_ids=ids, action="assign")
    )
    assert statuses(ids) == ["submitted", "submitted"]


def test_the_review_keeps_the_list_filters_for_the_way_back(client, auth, people):
    ids = file_tickets(people, 1)
    auth.login(people.manager)
    response = client.post("/tickets/bulk?status=submitted", data={"ticket_ids": ids,
                                                                   "action": "accept"})  # fmt: skip
    raw = response.get_data(as_text=True)
    assert 'action="/tickets/bulk/apply?status=submitted"' in raw
    assert 'href="/tickets?status=submitted"' in raw


def test_a_get_of_the_bulk_address_leads_back_to_the_list(client, auth, people):
    auth.login(people.manager)
    response = client.get("/tickets/bulk?status=triaged")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tickets?status=triaged"


# ---------------------------------------------------------------- success on many


def test_bulk_accept_triages_every_ticket_with_its_own_history_and_audit(client, auth, people):
    ids = file_tickets(people, 12)
    auth.login(people.manager)
    response = apply(client, ticket_ids=ids, action="accept")
    assert response.status_code == 200
    assert "12 of 12 tickets done." in text_of(response)
    assert failures(response) == []
    assert statuses(ids) == ["triaged"] * 12
    for ticket_id in ids:
        rows = history(ticket_id, "triage_accept")
        assert len(rows) == 1
        assert (rows[0].actor_id, rows[0].from_status, rows[0].to_status) == (
            people.manager.id,
            "submitted",
            "triaged",
        )
        assert audit_count("ticket.triage_accept", ticket_id) == 1
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.project_deadline is not None  # the project started, as in single triage


def test_bulk_reject_records_the_one_reason_and_notifies_the_firm_per_ticket(client, auth, people):
    ids = file_tickets(people, 4)
    auth.login(people.manager)
    response = apply(client, ticket_ids=ids, action="reject", reason="  중복 접수  ")
    assert "4 of 4 tickets done." in text_of(response)
    assert statuses(ids) == ["rejected"] * 4
    for ticket_id in ids:
        (row,) = history(ticket_id, "triage_reject")
        assert row.reason == "중복 접수"
        assert audit_count("ticket.triage_reject", ticket_id) == 1
    assert notifications(people.firm_user.id, "ticket_rejected") == ids


def test_bulk_assign_assigns_each_ticket_and_notifies_the_meister_each_time(client, auth, people):
    ids = triaged_tickets(people, 5)
    auth.login(people.manager)
    response = apply(client, ticket_ids=ids, action="assign", meister_id=people.meister.id)
    assert "5 of 5 tickets done." in text_of(response)
    assert statuses(ids) == ["assigned"] * 5
    db.session.expire_all()
    assert {db.session.get(Ticket, i).meister_id for i in ids} == {people.meister.id}
    for ticket_id in ids:
        (row,) = history(ticket_id, "assign")
        assert row.details["meister_id"] == people.meister.id
        assert audit_count("ticket.assign", ticket_id) == 1
    assert notifications(people.meister.id, "assigned") == ids


# ---------------------------------------------------------------- mixed outcomes


def test_mixed_selection_reports_each_failure_and_keeps_the_successes(client, auth, make, people):
    first, already_assigned, second = triaged_tickets(people, 3)
    assign_meister(people.manager, already_assigned, people.meister.id)
    still_submitted = file_tickets(people, 1)[0]
    missing = second + 1000
    auth.login(people.manager)
    other = make.meister(max_load=50)
    selection = [first, already_assigned, missing, still_submitted, second]
    response = apply(client, ticket_ids=selection, action="assign", meister_id=other.id)
    assert response.status_code == 200
    assert "2 of 5 tickets done." in text_of(response)
    assert failures(response) == [
        f"#{already_assigned}: already assigned",
        f"#{missing}: no such ticket",
        f"#{still_submitted}: not triaged yet",
    ]
    assert statuses([first, second]) == ["assigned", "assigned"]
    db.session.expire_all()
    assert db.session.get(Ticket, already_assigned).meister_id == people.meister.id  # untouched
    assert statuses([still_submitted]) == ["submitted"]
    assert len(history(already_assigned, "assign")) == 1  # only the earlier single assignment


def test_bulk_triage_reports_tickets_already_triaged_and_ineligible_firms(
    client, auth, make, people
):
    fresh = file_tickets(people, 1)[0]
    done = triaged_tickets(people, 1)[0]
    medium = make.firm(size="medium")
    ineligible = file_tickets(people, 1, make.user("firm", firm=medium))[0]
    auth.login(people.manager)
    response = apply(client, ticket_ids=[done, fresh, ineligible], action="accept")
    assert "1 of 3 tickets done." in text_of(response)
    assert failures(response) == [
        f"#{done}: already triaged",
        f"#{ineligible}: The firm is not eligible: give an override reason.",
    ]
    assert statuses([fresh, ineligible]) == ["triaged", "submitted"]
    assert len(history(done, "triage_accept")) == 1


def test_the_meisters_maximum_load_stops_the_rest_unless_forced(client, auth, make, people):
    meister = make.meister(max_load=2)
    ids = triaged_tickets(people, 4)
    auth.login(people.manager)
    response = apply(client, ticket_ids=ids[:3], action="assign", meister_id=meister.id)
    assert "2 of 3 tickets done." in text_of(response)
    assert failures(response) == [f"#{ids[2]}: the Meister is at maximum load"]
    response = apply(
        client, ticket_ids=ids[2:], action="assign", meister_id=meister.id,
        force_reason="긴급 복구, 다른 마이스터 없음",
    )  # fmt: skip
    assert "2 of 2 tickets done." in text_of(response)
    assert statuses(ids) == ["assigned"] * 4
    (row,) = history(ids[3], "assign")
    assert row.details.get("forced") is True
    assert row.reason == "긴급 복구, 다른 마이스터 없음"


def test_a_ticket_changed_meanwhile_fails_alone(client, auth, people):
    ids = file_tickets(people, 3)
    auth.login(people.manager)
    review(client, ticket_ids=ids, action="accept")
    services.cancel_ticket(people.manager, ids[1], "업체 요청")  # someone else, meanwhile
    response = apply(client, ticket_ids=ids, action="accept")
    assert failures(response) == [f"#{ids[1]}: not possible while the ticket is Cancelled"]
    assert statuses(ids) == ["triaged", "cancelled", "triaged"]


def test_failure_reasons_are_in_korean_for_korean_readers(client, auth, make, people):
    manager = make.user("manager", language="ko")
    ids = triaged_tickets(people, 2)
    assign_meister(people.manager, ids[0], people.meister.id)
    auth.login(manager)
    response = apply(client, ticket_ids=ids, action="assign", meister_id=people.meister.id)
    assert response.status_code == 200
    assert statuses(ids) == ["assigned", "assigned"]
    assert len(failures(response)) == 1
    assert failures(response)[0].startswith(f"#{ids[0]}: ")


# ---------------------------------------------------------------- forbidden


@pytest.mark.parametrize("role", ["firm", "meister", "auditor", "admin"])
@pytest.mark.parametrize("path", ["/tickets/bulk", "/tickets/bulk/apply"])
def test_only_managers_may_post_bulk_actions(client, auth, make, people, role, path):
    ids = file_tickets(people, 2)
    user = {"firm": people.firm_user, "meister": people.meister}.get(role) or make.user(role)
    auth.login(user)
    response = client.post(path, data={"ticket_ids": ids, "action": "reject", "reason": "x"})
    assert response.status_code == 403
    assert statuses(ids) == ["submitted", "submitted"]
    assert all(not history(i, "triage_reject") for i in ids)


def test_anonymous_bulk_post_goes_to_sign_in(client, people):
    ids = file_tickets(people, 1)
    response = client.post("/tickets/bulk/apply", data={"ticket_ids": ids, "action": "accept"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert statuses(ids) == ["submitted"]


# ---------------------------------------------------------------- form errors


def invalid_page(response) -> str:
    assert response.status_code == 200
    body = text_of(response)
    assert "Bulk action done" not in body
    return body


@pytest.mark.parametrize("post", [review, apply])
def test_an_empty_selection_is_a_form_error(client, auth, people, post):
    ids = file_tickets(people, 1)
    auth.login(people.manager)
    body = invalid_page(post(client, action="accept"))
    assert "Select at least one ticket." in body
    assert statuses(ids) == ["submitted"]


@pytest.mark.parametrize("post", [review, apply])
def test_more_than_a_hundred_tickets_is_a_form_error(client, auth, people, post):
    ids = file_tickets(people, 3)
    auth.login(people.manager)
    selection = ids + list(range(ids[-1] + 1, ids[-1] + 99))  # 101 different ids
    assert len(set(selection)) == 101
    body = invalid_page(post(client, ticket_ids=selection, action="accept"))
    assert "Select at most 100 tickets at a time." in body
    assert statuses(ids) == ["submitted"] * 3


def test_a_hundred_tickets_is_allowed(client, auth, people):
    ids = file_tickets(people, 2)
    auth.login(people.manager)
    selection = ids + list(range(ids[-1] + 1, ids[-1] + 99))  # 100 ids, 98 of them missing
    response = apply(client, ticket_ids=selection, action="accept")
    assert "2 of 100 tickets done." in text_of(response)
    assert len(failures(response)) == 98
    assert statuses(ids) == ["triaged", "triaged"]


def test_the_same_ticket_twice_counts_once(client, auth, people):
    ids = file_tickets(people, 1)
    auth.login(people.manager)
    response = apply(client, ticket_ids=ids * 3, action="accept")
    assert "1 of 1 tickets done." in text_of(response)
    assert len(history(ids[0], "triage_accept")) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "reject", "reason": "   "}, "Give a reason for rejecting."),
        ({}, "Choose an action."),
        ({"action": "delete"}, "Choose an action."),
        ({"action": "assign", "meister_id": ""}, "Choose an active Smart Meister."),
        ({"action": "assign", "meister_id": "999999"}, "Choose an active Smart Meister."),
        ({"action": "accept", "ticket_ids": ["abc"]}, "Ticket numbers must be positive"),
        ({"action": "accept", "ticket_ids": ["0"]}, "Ticket numbers must be positive"),
        ({"action": "accept", "ticket_ids": [str(2**40)]}, "Ticket numbers must be positive"),
    ],
)
@pytest.mark.parametrize("post", [review, apply])
def test_incomplete_or_bad_input_is_a_form_error_and_changes_nothing(
    client, auth, people, post, data, message
):
    ids = file_tickets(people, 2)
    auth.login(people.manager)
    body = invalid_page(post(client, **({"ticket_ids": ids} | data)))
    assert message in body
    assert statuses(ids) == ["submitted", "submitted"]


def test_an_inactive_meister_is_refused_up_front(client, auth, make, people):
    profile_user = make.meister(active=False)
    ids = triaged_tickets(people, 2)
    auth.login(people.manager)
    body = invalid_page(apply(client, ticket_ids=ids, action="assign", meister_id=profile_user.id))
    assert "Choose an active Smart Meister." in body
    assert statuses(ids) == ["triaged", "triaged"]


def test_the_form_with_errors_keeps_the_selection(client, auth, people):
    ids = file_tickets(people, 2)
    auth.login(people.manager)
    response = review(client, ticket_ids=ids, action="reject")
    raw = response.get_data(as_text=True)
    assert "Give a reason for rejecting." in text_of(response)
    checked = re.findall(r'name="ticket_ids" value="(\d+)" checked', raw)
    assert sorted(int(v) for v in checked) == ids
    assert 'action="/tickets/bulk"' in raw


# ---------------------------------------------------------------- CSRF


def _csrf_token(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_bulk_posts_without_a_csrf_token_are_refused(csrf_app):
    app: Flask = csrf_app
    with app.app_context():
        make = Factory()
        email = make.user("manager").email
        firm_user = make.user("firm")
        ticket_id = services.file_ticket(
            firm_user, {"category": "breakdown", "severity": "normal", "title": "csrf"}
        ).id
        db.session.remove()
    # Requests run outside that app context, so each has its own `g` (as in production).
    client = app.test_client()
    token = _csrf_token(client.get("/login"))
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    data = {"ticket_ids": [ticket_id], "action": "accept"}
    assert client.post("/tickets/bulk", data=data).status_code == 400
    assert client.post("/tickets/bulk/apply", data=data).status_code == 400
    confirm = client.post(
        "/tickets/bulk", data=data | {"csrf_token": _csrf_token(client.get("/tickets"))}
    )
    assert confirm.status_code == 200
    done = client.post("/tickets/bulk/apply", data=data | {"csrf_token": _csrf_token(confirm)})
    assert done.status_code == 200
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "triaged"
        db.session.remove()


def test_a_database_error_on_one_ticket_is_reported_and_the_others_still_run(people, monkeypatch):
    """A deadlock victim or a busy SQLite fails only its own ticket, with a retry reason."""
    from sqlalchemy.exc import OperationalError

    from aftercare.meisters import bulk

    first, busy, last = file_tickets(people, 3)
    real_triage = bulk.triage_ticket

    def triage(actor, ticket_id, decision, reason=""):
        if ticket_id == busy:
            raise OperationalError("UPDATE ticket", {}, Exception("deadlock detected"))
        return real_triage(actor, ticket_id, decision, reason=reason)

    monkeypatch.setattr(bulk, "triage_ticket", triage)
    outcome = bulk.run_bulk(people.manager, bulk.BulkRequest("accept", [first, busy, last]))
    assert outcome.succeeded == [first, last]
    assert [(f.ticket_id, f.message) for f in outcome.failed] == [(busy, bulk.BUSY)]
    assert statuses([first, busy, last]) == ["triaged", "submitted", "triaged"]
