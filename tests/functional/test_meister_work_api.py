"""The Meister's part of the API (SPEC §3, §4, §8): suggestions, assignment, visits, sign-off.

Object rule of §1: a ticket a caller may not see is 404; a forbidden action on a ticket
the caller sees is 403. Validation is 422 with field errors and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from aftercare.db import utcnow
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.models import CostLine, Visit
from aftercare.notifications.models import Notification
from aftercare.tickets.models import Ticket, TicketHistory
from tests.helpers import forget_language

LABOUR = {"kind": "labour", "description": "진단", "quantity": 1, "unit_price": 100_000}


@pytest.fixture
def people(make):
    firm = make.firm(region="busan")
    return SimpleNamespace(
        firm=firm,
        firm_user=make.user("firm", firm=firm),
        firm_user2=make.user("firm", firm=firm),
        other_firm_user=make.user("firm"),
        manager=make.user("manager"),
        manager2=make.user("manager"),
        auditor=make.user("auditor"),
    )


# ---------------------------------------------------------------- helpers


def triaged_ticket(api, people, tags=("plc", "vision")) -> int:
    response = api.as_(people.firm_user).post(
        "/tickets",
        json={
            "category": "breakdown",
            "severity": "high",
            "title": "비전 검사기 오류",
            "description": "불량 판정이 멈춤",
            "tags": list(tags),
        },
    )
    assert response.status_code == 201, response.get_json()
    tid = response.get_json()["id"]
    triage = api.as_(people.manager).post(f"/tickets/{tid}/triage", json={"decision": "accept"})
    assert triage.status_code == 200, triage.get_json()
    return tid


def assigned_ticket(api, people, meister) -> int:
    tid = triaged_ticket(api, people)
    response = api.as_(people.manager).post(
        f"/tickets/{tid}/assign", json={"meister_id": meister.id}
    )
    assert response.status_code == 200, response.get_json()
    return tid


def working_ticket(api, people, meister) -> int:
    tid = assigned_ticket(api, people, meister)
    assert api.as_(meister).post(f"/tickets/{tid}/accept").status_code == 200
    return tid


def visit_body(**changes) -> dict:
    return {
        "visited_on": seoul_today().isoformat(),
        "hours": 2.5,
        "notes": "점검",
        "cost_lines": [dict(LABOUR)],
    } | changes


def log_visit(api, meister, tid, **changes):
    return api.as_(meister).post(f"/tickets/{tid}/visits", json=visit_body(**changes))


def resolved_ticket(api, people, meister, lines=None) -> int:
    tid = working_ticket(api, people, meister)
    response = log_visit(api, meister, tid, cost_lines=lines or [dict(LABOUR)])
    assert response.status_code == 201, response.get_json()
    resolve = api.as_(meister).post(f"/tickets/{tid}/resolve", json={"summary": "조치 완료"})
    assert resolve.status_code == 200, resolve.get_json()
    return tid


def bare_ticket(people, meister_id: int | None, status: str, rating: int | None = None) -> int:
    """A ticket row written directly: it only gives a Meister load or a rating."""
    now = utcnow()
    ticket = Ticket(
        firm_id=people.firm.id,
        created_by_id=people.firm_user.id,
        category="breakdown",
        severity="normal",
        title="부하 계산용",
        status=status,
        support_type="emergency",
        meister_id=meister_id,
        created_at=now,
        updated_at=now,
        triage_due_at=now + timedelta(days=3),
        rating=rating,
        tags=[],
        search_text="",
    )
    db.session.add(ticket)
    db.session.commit()
    return ticket.id


def ticket(tid: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, tid)


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def notified(tid: int, kind: str) -> list[int]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.ticket_id == tid, Notification.kind == kind
            )
        )
    )


def assert_error(response, code: int, reason: str | None = None) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    if reason is not None:
        assert body["reason"] == reason
    return body


# ---------------------------------------------------------------- suggestions


def test_suggestions_are_ranked_by_score_then_load_then_id(api, make, people):
    tid = triaged_ticket(api, people, tags=("plc", "vision"))
    # created first, so the lowest id: 80 + 2 × 5.00 − 2 × 10 = 70 with load 2
    k = make.meister(specialties=["plc"], regions=["busan"])
    a = make.meister(specialties=["plc", "vision"], regions=["busan", "seoul"])  # 80, not 130
    i = make.meister(specialties=["plc"], regions=["busan"])  # 80 − 10 = 70, load 1
    j = make.meister(specialties=["vision"], regions=["busan"])  # 80 − 10 = 70, load 1
    b = make.meister(specialties=["vision"], regions=["seoul"])  # 50
    e = make.meister(specialties=["erp"], regions=["busan"])  # 30: sixth, cut
    make.meister(specialties=["erp"], regions=["seoul"])  # 0
    g = make.meister(specialties=["plc"], regions=["busan"], max_load=1)  # at max load
    make.meister(specialties=["plc", "vision"], regions=["busan"], active=False)
    bare_ticket(people, k.id, "closed", rating=5)
    for meister, load in ((k, 2), (i, 1), (j, 1), (g, 1)):
        for _ in range(load):
            bare_ticket(people, meister.id, "in_progress")

    response = api.as_(people.manager).get(f"/tickets/{tid}/suggested-meisters")
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, list)  # a bare array, not the list shape
    assert [(s["meister_id"], s["score"]) for s in body] == [
        (a.id, 80),
        (i.id, 70),
        (j.id, 70),
        (k.id, 70),
        (b.id, 50),
    ]
    assert [s["load"] for s in body] == [0, 1, 1, 2, 0]
    assert e.id not in {s["meister_id"] for s in body}
    assert g.id not in {s["meister_id"] for s in body}
    top = body[0]
    assert len(top["reasons"]) == 2
    # in the reader's words (the manager reads Korean), not codes
    assert top["reasons"] == ["전문 분야 일치: PLC, 머신 비전 (+50)", "부산 담당 (+30)"]
    assert len(body[3]["reasons"]) == 4  # specialty, region, load, rating
    assert "진행 중 티켓 2건 (−20)" in body[3]["reasons"]
    english = api.as_(make.user("manager", language="en"))
    forget_language()
    top = english.get(f"/tickets/{tid}/suggested-meisters").get_json()[0]
    assert top["reasons"] == ["Specialty match: PLC, Machine vision (+50)", "Serves Busan (+30)"]


def test_rating_adds_twice_the_average_of_rated_tickets(api, make, people):
    tid = triaged_ticket(api, people, tags=("erp",))
    e = make.meister(specialties=["erp"], regions=["busan"])
    h = make.meister(specialties=["erp"], regions=["seoul"])
    f = make.meister(specialties=["cnc"], regions=["seoul"])
    for rating in (4, 5):
        bare_ticket(people, e.id, "closed", rating=rating)
    bare_ticket(people, e.id, "closed")  # unrated: not a zero
    for rating in (1, 2):
        bare_ticket(people, h.id, "confirmed", rating=rating)

    body = api.as_(people.manager).get(f"/tickets/{tid}/suggested-meisters").get_json()
    assert [(s["meister_id"], s["score"]) for s in body] == [(e.id, 89), (h.id, 53), (f.id, 0)]
    assert "평균 평점 4.50 (+9.00)" in body[0]["reasons"]
    assert body[2]["reasons"] == []


def test_at_most_five_suggestions(api, make, people):
    tid = triaged_ticket(api, people)
    ids = [make.meister(specialties=["plc"], regions=["busan"]).id for _ in range(7)]
    body = api.as_(people.manager).get(f"/tickets/{tid}/suggested-meisters").get_json()
    assert len(body) == 5
    assert [s["meister_id"] for s in body] == ids[:5]  # equal scores and loads: lower id first


def test_suggestions_are_for_managers_only(api, make, people):
    tid = triaged_ticket(api, people)
    meister = make.meister()
    path = f"/tickets/{tid}/suggested-meisters"
    assert_error(api.as_(people.firm_user).get(path), 403)
    assert_error(api.as_(people.auditor).get(path), 403)
    assert_error(api.as_(people.other_firm_user).get(path), 404)
    assert_error(api.as_(meister).get(path), 404)
    assert_error(api.as_(people.manager).get("/tickets/999999/suggested-meisters"), 404)


# ---------------------------------------------------------------- assign, decline


def test_a_decliner_is_no_longer_suggested(api, make, people):
    tid = triaged_ticket(api, people)
    first = make.meister(specialties=["plc"], regions=["busan"])
    second = make.meister(specialties=["vision"], regions=["busan"])
    manager = api.as_(people.manager)
    assert manager.get(f"/tickets/{tid}/suggested-meisters").get_json()[0]["meister_id"] == first.id

    assigned = manager.post(f"/tickets/{tid}/assign", json={"meister_id": first.id})
    assert assigned.status_code == 200
    assert (assigned.get_json()["status"], assigned.get_json()["meister_id"]) == (
        "assigned",
        first.id,
    )
    assert notified(tid, "assigned") == [first.id]

    assert_error(api.as_(first).post(f"/tickets/{tid}/decline", json={}), 422)
    no_reason = api.as_(first).post(f"/tickets/{tid}/decline", json={"reason": "   "})
    assert "reason" in assert_error(no_reason, 422)["errors"]
    assert ticket(tid).status == "assigned"

    declined = api.as_(first).post(f"/tickets/{tid}/decline", json={"reason": "일정 불가"})
    assert declined.status_code == 200
    assert (declined.get_json()["status"], declined.get_json()["meister_id"]) == ("triaged", None)
    assert notified(tid, "declined") == sorted([people.manager.id, people.manager2.id])

    suggestions = manager.get(f"/tickets/{tid}/suggested-meisters").get_json()
    assert [s["meister_id"] for s in suggestions] == [second.id]
    # the decliner no longer sees the ticket
    assert_error(api.as_(first).get(f"/tickets/{tid}"), 404)
    again = manager.post(f"/tickets/{tid}/assign", json={"meister_id": first.id})
    assert_error(again, 409, "meister_declined")


def test_assigning_a_meister_at_max_load_needs_a_force_reason(api, make, people):
    tid = triaged_ticket(api, people)
    busy = make.meister(specialties=["plc"], regions=["busan"], max_load=1)
    bare_ticket(people, busy.id, "assigned")
    manager = api.as_(people.manager)
    assert manager.get(f"/tickets/{tid}/suggested-meisters").get_json() == []

    for body in ({"meister_id": busy.id}, {"meister_id": busy.id, "force_reason": "  "}):
        refused = assert_error(manager.post(f"/tickets/{tid}/assign", json=body), 409)
        assert refused["reason"] == "meister_at_max_load"
        assert refused["current_status"] == "triaged"
    assert (ticket(tid).status, ticket(tid).meister_id) == ("triaged", None)
    assert notified(tid, "assigned") == []

    forced = manager.post(
        f"/tickets/{tid}/assign", json={"meister_id": busy.id, "force_reason": "긴급 복구"}
    )
    assert forced.status_code == 200, forced.get_json()
    assert (forced.get_json()["status"], forced.get_json()["meister_id"]) == ("assigned", busy.id)
    row = db.session.scalar(
        select(TicketHistory).where(
            TicketHistory.ticket_id == tid, TicketHistory.action == "assign"
        )
    )
    assert row.reason == "긴급 복구"
    assert row.details.get("forced") is True
    assert notified(tid, "assigned") == [busy.id]


@pytest.mark.parametrize(
    "body",
    [{}, {"meister_id": 0}, {"meister_id": "1"}, {"meister_id": 999_999}, {"meister_id": None}],
)
def test_assigning_nobody_valid_is_422(api, make, people, body):
    tid = triaged_ticket(api, people)
    assert (
        "meister_id"
        in assert_error(api.as_(people.manager).post(f"/tickets/{tid}/assign", json=body), 422)[
            "errors"
        ]
    )
    assert ticket(tid).status == "triaged"


def test_assigning_a_user_who_is_not_a_meister_is_422(api, make, people):
    tid = triaged_ticket(api, people)
    body = {"meister_id": people.firm_user.id}
    response = api.as_(people.manager).post(f"/tickets/{tid}/assign", json=body)
    assert "meister_id" in assert_error(response, 422)["errors"]


def test_only_managers_assign(api, make, people):
    tid = triaged_ticket(api, people)
    meister = make.meister()
    body = {"meister_id": meister.id}
    assert_error(api.as_(people.firm_user).post(f"/tickets/{tid}/assign", json=body), 403)
    assert_error(api.as_(people.auditor).post(f"/tickets/{tid}/assign", json=body), 403)
    assert_error(api.as_(people.other_firm_user).post(f"/tickets/{tid}/assign", json=body), 404)
    assert_error(api.as_(meister).post(f"/tickets/{tid}/assign", json=body), 404)
    assert ticket(tid).status == "triaged"


# ---------------------------------------------------------------- the assigned Meister only


def test_only_the_assigned_meister_accepts_logs_and_resolves(api, make, people):
    meister = make.meister()
    stranger = make.meister()
    tid = assigned_ticket(api, people, meister)

    def attempts(tid):
        return [
            ("accept", None),
            ("decline", {"reason": "불가"}),
            ("visits", visit_body()),
            ("resolve", {"summary": "완료"}),
        ]

    for action, body in attempts(tid):
        path = f"/tickets/{tid}/{action}"
        assert_error(api.as_(stranger).post(path, json=body), 404)
        assert_error(api.as_(people.other_firm_user).post(path, json=body), 404)
        assert_error(api.as_(people.manager).post(path, json=body), 403)
        assert_error(api.as_(people.auditor).post(path, json=body), 403)
        assert_error(api.as_(people.firm_user).post(path, json=body), 403)
    assert (ticket(tid).status, ticket(tid).meister_id) == ("assigned", meister.id)
    assert count(Visit, ticket_id=tid) == 0

    accepted = api.as_(meister).post(f"/tickets/{tid}/accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "in_progress"
    assert notified(tid, "accepted") == sorted([people.firm_user.id, people.firm_user2.id])
    assert_error(api.as_(meister).post(f"/tickets/{tid}/accept"), 409)

    for action, body in attempts(tid)[2:]:
        path = f"/tickets/{tid}/{action}"
        assert_error(api.as_(stranger).post(path, json=body), 404)
        assert_error(api.as_(people.manager).post(path, json=body), 403)
        assert_error(api.as_(people.firm_user).post(path, json=body), 403)
    assert count(Visit, ticket_id=tid) == 0
    assert ticket(tid).status == "in_progress"


def test_resolving_needs_a_visit_and_a_summary(api, make, people):
    meister = make.meister()
    tid = working_ticket(api, people, meister)
    body = assert_error(
        api.as_(meister).post(f"/tickets/{tid}/resolve", json={"summary": "완료"}), 409
    )
    assert (body["reason"], body["current_status"]) == ("no_visit", "in_progress")
    assert log_visit(api, meister, tid).status_code == 201
    for summary in ("", "   "):
        response = api.as_(meister).post(f"/tickets/{tid}/resolve", json={"summary": summary})
        assert "summary" in assert_error(response, 422)["errors"]
    assert ticket(tid).status == "in_progress"

    resolved = api.as_(meister).post(f"/tickets/{tid}/resolve", json={"summary": "완료"})
    assert resolved.status_code == 200
    assert resolved.get_json()["status"] == "resolved"
    assert resolved.get_json()["resolved_at"] is not None
    assert notified(tid, "resolved") == sorted([people.firm_user.id, people.firm_user2.id])
    assert_error(log_visit(api, meister, tid), 409)  # no visits after resolving


# ---------------------------------------------------------------- visit validation


TOO_MANY_LINES = [dict(LABOUR)] * 51


def _line(**changes):
    return [dict(LABOUR) | changes]


INVALID_VISITS = {
    "quantity 0": ({"cost_lines": _line(quantity=0)}, "cost_lines"),
    "quantity as text": ({"cost_lines": _line(quantity="2")}, "cost_lines"),
    "quantity 1.5": ({"cost_lines": _line(quantity=1.5)}, "cost_lines"),
    "quantity true": ({"cost_lines": _line(quantity=True)}, "cost_lines"),
    "quantity missing": ({"cost_lines": [{"kind": "labour", "description": "x"}]}, "cost_lines"),
    "unit price -1": ({"cost_lines": _line(unit_price=-1)}, "cost_lines"),
    "unit price 10,000,000,001": ({"cost_lines": _line(unit_price=10_000_000_001)}, "cost_lines"),
    "unit price 1.5": ({"cost_lines": _line(unit_price=1.5)}, "cost_lines"),
    "unit price as text": ({"cost_lines": _line(unit_price="1000")}, "cost_lines"),
    "unknown kind": ({"cost_lines": _line(kind="food")}, "cost_lines"),
    "empty description": ({"cost_lines": _line(description="")}, "cost_lines"),
    "long description": ({"cost_lines": _line(description="가" * 201)}, "cost_lines"),
    "51 lines": ({"cost_lines": TOO_MANY_LINES}, "cost_lines"),
    "hours 0": ({"hours": 0}, "hours"),
    "hours negative": ({"hours": -1}, "hours"),
    "hours 24.5": ({"hours": 24.5}, "hours"),
    "hours 25": ({"hours": 25}, "hours"),
    "hours 2.25": ({"hours": 2.25}, "hours"),
    "hours null": ({"hours": None}, "hours"),
    "visit date tomorrow": ({"visited_on": "TOMORROW"}, "visited_on"),
    "visit date before filing": ({"visited_on": "YESTERDAY"}, "visited_on"),
    "visit date invalid": ({"visited_on": "2021-02-30"}, "visited_on"),
    "visit date missing": ({"visited_on": None}, "visited_on"),
}


def test_invalid_visits_are_422_and_change_nothing(api, make, people, subtests):
    meister = make.meister()
    tid = working_ticket(api, people, meister)
    history_before = count(TicketHistory, ticket_id=tid)
    dates = {
        "TOMORROW": (seoul_today() + timedelta(days=1)).isoformat(),  # Asia/Seoul
        "YESTERDAY": (seoul_today() - timedelta(days=1)).isoformat(),  # filed today
    }
    for name, (changes, field) in INVALID_VISITS.items():
        with subtests.test(msg=name):
            if changes.get("visited_on") in dates:
                changes = changes | {"visited_on": dates[changes["visited_on"]]}
            body = visit_body(**changes)
            if body["visited_on"] is None:
                del body["visited_on"]
            response = api.as_(meister).post(f"/tickets/{tid}/visits", json=body)
            errors = assert_error(response, 422)["errors"]
            assert any(key == field or key.startswith(f"{field}.") for key in errors), errors
            assert count(Visit, ticket_id=tid) == 0
            assert count(CostLine, ticket_id=tid) == 0
            assert count(TicketHistory, ticket_id=tid) == history_before
            assert ticket(tid).status == "in_progress"


VALID_EDGES = {
    "hours 24": ({"hours": 24}, [100_000]),
    "hours 0.1": ({"hours": 0.1}, [100_000]),
    "unit price 0": ({"cost_lines": _line(unit_price=0)}, [0]),
    "unit price 10bn": ({"cost_lines": _line(unit_price=10_000_000_000)}, [10_000_000_000]),
    "quantity 1": ({"cost_lines": _line(quantity=1, unit_price=7)}, [7]),
    "quantity 3": ({"cost_lines": _line(quantity=3, unit_price=333_333)}, [999_999]),
    "50 lines": ({"cost_lines": [dict(LABOUR)] * 50}, [100_000] * 50),
}


def test_edge_values_of_a_visit_are_accepted(api, make, people, subtests):
    meister = make.meister()
    tid = working_ticket(api, people, meister)
    for visits, (name, (changes, amounts)) in enumerate(VALID_EDGES.items(), start=1):
        with subtests.test(msg=name):
            response = log_visit(api, meister, tid, **changes)
            assert response.status_code == 201, response.get_json()
            body = response.get_json()
            assert body["ticket_id"] == tid
            assert body["meister_id"] == meister.id
            assert body["visited_on"] == seoul_today().isoformat()  # the filing date is allowed
            assert [line["amount"] for line in body["cost_lines_saved"]] == amounts
            saved = db.session.scalars(
                select(CostLine.amount).where(CostLine.visit_id == body["id"])
            ).all()
            assert sorted(saved) == sorted(amounts)
            assert count(Visit, ticket_id=tid) == visits


def test_lines_are_eligible_by_kind(api, make, people):
    meister = make.meister()
    tid = working_ticket(api, people, meister)
    kinds = ["labour", "parts", "software", "travel", "other"]
    lines = [{"kind": k, "description": k, "quantity": 1, "unit_price": 1_000} for k in kinds]
    saved = log_visit(api, meister, tid, cost_lines=lines).get_json()["cost_lines_saved"]
    assert {line["kind"]: line["eligible"] for line in saved} == {
        "labour": True,
        "parts": True,
        "software": True,
        "travel": False,
        "other": False,
    }


# ---------------------------------------------------------------- sign-off


MIXED_LINES = [
    {"kind": "labour", "description": "진단", "quantity": 3, "unit_price": 120_000},
    {"kind": "parts", "description": "센서", "quantity": 2, "unit_price": 455_500},
    {"kind": "software", "description": "라이선스", "quantity": 1, "unit_price": 1_000_001},
    {"kind": "travel", "description": "출장", "quantity": 2, "unit_price": 45_000},
    {"kind": "other", "description": "숙박", "quantity": 1, "unit_price": 70_000},
]
MIXED_ELIGIBLE = 360_000 + 911_000 + 1_000_001
MIXED_INELIGIBLE = 90_000 + 70_000


def test_only_the_tickets_firm_confirms_or_reopens(api, make, people):
    meister = make.meister()
    tid = resolved_ticket(api, people, meister)
    for action, body in (("confirm", {"rating": 5}), ("reopen", {"reason": "재발"})):
        path = f"/tickets/{tid}/{action}"
        assert_error(api.as_(people.other_firm_user).post(path, json=body), 404)
        assert_error(api.as_(meister).post(path, json=body), 403)
        assert_error(api.as_(people.manager).post(path, json=body), 403)
        assert_error(api.as_(people.auditor).post(path, json=body), 403)
    assert ticket(tid).status == "resolved"
    assert ticket(tid).claim is None


def test_a_rating_outside_1_to_5_is_422(api, make, people, subtests):
    meister = make.meister()
    tid = resolved_ticket(api, people, meister)
    for rating in (0, 6, -1, "5", 4.5, 5.0, None, True):
        with subtests.test(msg=f"rating {rating!r}"):
            response = api.as_(people.firm_user).post(
                f"/tickets/{tid}/confirm", json={"rating": rating}
            )
            assert "rating" in assert_error(response, 422)["errors"]
            assert ticket(tid).status == "resolved"
            assert ticket(tid).claim is None


def test_a_missing_rating_is_422(api, make, people):
    meister = make.meister()
    tid = resolved_ticket(api, people, meister)
    response = api.as_(people.firm_user).post(f"/tickets/{tid}/confirm", json={"comment": "좋음"})
    assert "rating" in assert_error(response, 422)["errors"]


def test_confirmation_creates_the_pending_claim_with_the_right_totals(api, make, people):
    meister = make.meister()
    tid = working_ticket(api, people, meister)
    assert log_visit(api, meister, tid, cost_lines=MIXED_LINES[:3]).status_code == 201
    assert log_visit(api, meister, tid, cost_lines=MIXED_LINES[3:], hours=1).status_code == 201
    assert (
        api.as_(meister).post(f"/tickets/{tid}/resolve", json={"summary": "끝"}).status_code == 200
    )

    confirmed = api.as_(people.firm_user2).post(
        f"/tickets/{tid}/confirm", json={"rating": 4, "comment": "빠른 조치"}
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    body = confirmed.get_json()
    assert body["status"] == "confirmed"
    assert body["rating"] == 4
    assert body["claim"]["status"] == "pending"
    assert body["claim"]["eligible_total"] == MIXED_ELIGIBLE
    assert body["claim"]["government_share"] is None

    claim = api.as_(people.manager).get(f"/claims/{body['claim']['id']}").get_json()
    assert claim["ticket_id"] == tid
    assert claim["firm_id"] == people.firm.id
    assert claim["support_type"] == "emergency"
    assert claim["status"] == "pending"
    assert claim["fiscal_year"] is None
    assert claim["eligible_total"] == MIXED_ELIGIBLE
    assert claim["ineligible_total"] == MIXED_INELIGIBLE
    assert sorted((line["kind"], line["amount"], line["eligible"]) for line in claim["lines"]) == [
        ("labour", 360_000, True),
        ("other", 70_000, False),
        ("parts", 911_000, True),
        ("software", 1_000_001, True),
        ("travel", 90_000, False),
    ]
    assert notified(tid, "confirmed") == sorted([people.manager.id, people.manager2.id, meister.id])

    again = api.as_(people.firm_user).post(f"/tickets/{tid}/confirm", json={"rating": 5})
    assert assert_error(again, 409)["current_status"] == "confirmed"
    assert_error(
        api.as_(people.firm_user).post(f"/tickets/{tid}/reopen", json={"reason": "x"}), 409
    )
    assert api.as_(people.firm_user).get(f"/tickets/{tid}").get_json()["rating"] == 4


def test_reopening_sends_the_work_back_with_a_reason(api, make, people):
    meister = make.meister()
    tid = resolved_ticket(api, people, meister, lines=[dict(LABOUR)])
    firm = api.as_(people.firm_user)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = firm.post(f"/tickets/{tid}/reopen", json=body)
        assert "reason" in assert_error(response, 422)["errors"]
    assert ticket(tid).status == "resolved"
    assert notified(tid, "reopened") == []

    reopened = firm.post(f"/tickets/{tid}/reopen", json={"reason": "같은 오류 재발"})
    assert reopened.status_code == 200
    assert reopened.get_json()["status"] == "in_progress"
    assert reopened.get_json()["resolved_at"] is None
    assert reopened.get_json()["claim"] is None
    assert notified(tid, "reopened") == [meister.id]
    row = db.session.scalar(
        select(TicketHistory).where(
            TicketHistory.ticket_id == tid, TicketHistory.action == "reopen"
        )
    )
    assert (row.from_status, row.to_status, row.reason) == (
        "resolved",
        "in_progress",
        "같은 오류 재발",
    )
    assert row.actor_id == people.firm_user.id

    # the Meister goes back, logs more work and resolves again; the claim counts both visits
    more = [{"kind": "parts", "description": "교체", "quantity": 1, "unit_price": 250_000}]
    assert log_visit(api, meister, tid, cost_lines=more).status_code == 201
    assert (
        api.as_(meister).post(f"/tickets/{tid}/resolve", json={"summary": "재조치"}).status_code
        == 200
    )
    assert len(notified(tid, "resolved")) == 4  # two resolutions × two firm users
    claim = firm.post(f"/tickets/{tid}/confirm", json={"rating": 3}).get_json()["claim"]
    assert claim["eligible_total"] == 100_000 + 250_000


def test_notifications_follow_the_ticket_to_the_right_people(api, make, people):
    """assigned → Meister; accepted/resolved → the firm; declined → managers;
    reopened → Meister; confirmed → managers and the Meister."""
    first, second = make.meister(), make.meister()
    managers = sorted([people.manager.id, people.manager2.id])
    firm_users = sorted([people.firm_user.id, people.firm_user2.id])
    tid = triaged_ticket(api, people)
    assert notified(tid, "ticket_filed") == managers
    manager = api.as_(people.manager)
    manager.post(f"/tickets/{tid}/assign", json={"meister_id": first.id})
    api.as_(first).post(f"/tickets/{tid}/decline", json={"reason": "출장 중"})
    manager.post(f"/tickets/{tid}/assign", json={"meister_id": second.id})
    api.as_(second).post(f"/tickets/{tid}/accept")
    log_visit(api, second, tid)
    api.as_(second).post(f"/tickets/{tid}/resolve", json={"summary": "완료"})
    api.as_(people.firm_user).post(f"/tickets/{tid}/reopen", json={"reason": "재발"})
    api.as_(second).post(f"/tickets/{tid}/resolve", json={"summary": "재완료"})
    api.as_(people.firm_user).post(f"/tickets/{tid}/confirm", json={"rating": 5})
    assert ticket(tid).status == "confirmed"

    assert notified(tid, "assigned") == sorted([first.id, second.id])
    assert notified(tid, "declined") == managers
    assert notified(tid, "accepted") == firm_users
    assert notified(tid, "resolved") == sorted(firm_users * 2)
    assert notified(tid, "reopened") == [second.id]
    assert notified(tid, "confirmed") == sorted([*managers, second.id])
    everyone = {
        n for kind in ("assigned", "declined", "accepted", "resolved") for n in notified(tid, kind)
    }
    assert people.other_firm_user.id not in everyone
    assert people.auditor.id not in everyone
