"""Four eyes and conflict of interest on money (SPEC §11), on SQLite and PostgreSQL.

A claim whose government share is at or above the year's `second_approval_from` needs a
second manager; the reservation is taken at the first approval and released when the
claim is rejected instead. Nobody approves a claim whose ticket they filed, accepted with
an eligibility override, or whose line eligibility they changed. Budget additions, voids
and manual settlements are requests another manager confirms or refuses.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from aftercare.approvals.models import ApprovalRequest
from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.claims.evidence import lines_of
from aftercare.claims.models import Claim
from aftercare.claims.services import approve_claim, set_line_eligibility
from aftercare.extensions import db
from aftercare.ledger.models import LedgerTransaction
from aftercare.payouts.settlement import settle_for_date
from tests.helpers import make_all_settleable
from tests.integration.ledger_support import (
    assert_books_ok,
    balances,
    journey_claim,
    quick_claim,
    race,
    this_year,
    transactions_of,
    usage,
)

BUDGET = 100_000_000


@pytest.fixture
def year(make):
    """This year's fiscal year (threshold 3,000,000 won by default) and its id."""
    return make.fiscal_year(year=this_year(), budget=BUDGET).id


@pytest.fixture
def first(make):
    return make.user("manager")


@pytest.fixture
def second(make):
    return make.user("manager")


@pytest.fixture
def boss(api, first):
    return api.as_(first)


@pytest.fixture
def colleague(api, second):
    return api.as_(second)


def _claim(caller, claim_id: int) -> dict:
    response = caller.get(f"/claims/{claim_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _status(claim_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(select(Claim.status).where(Claim.id == claim_id))


def _refused(response, reason: str, current_status: str) -> None:
    body = response.get_json()
    assert response.status_code == 409, body
    assert (body["reason"], body["current_status"]) == (reason, current_status), body


def _events(action: str) -> list[dict]:
    db.session.rollback()
    rows = db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.object_id, AuditEvent.after).where(
            AuditEvent.action == action
        )
    ).all()
    return [{"actor": a, "object": o, **json.loads(after)} for a, o, after in rows]


# ---------------------------------------------------------------- the threshold


def test_a_share_exactly_at_the_threshold_needs_two_managers(boss, colleague, make, first, year):
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 6_000_000)])  # share 3,000,000

    answer = boss.post(f"/claims/{claim_id}/approve")
    assert answer.status_code == 200, answer.get_json()
    claim = answer.get_json()
    assert (claim["status"], claim["government_share"]) == ("awaiting_second_approval", 3_000_000)
    assert (claim["first_approved_by"], claim["second_approved_by"]) == (first.id, None)
    assert claim["approved_at"] is None
    # the reservation is taken at the first step: the pool stays safe
    assert transactions_of(claim_id, "reserve") == 1
    pools = balances(year)
    assert (pools["pool_available"], pools["pool_reserved"]) == (BUDGET - 3_000_000, 3_000_000)
    assert_books_ok()  # pool_reserved counts the awaiting claim

    second = colleague.post(f"/claims/{claim_id}/approve")
    assert second.status_code == 200, second.get_json()
    done = second.get_json()
    assert done["status"] == "approved"
    assert done["second_approved_by"] != first.id
    assert done["approved_at"] is not None
    assert transactions_of(claim_id, "reserve") == 1  # no second reservation
    assert balances(year)["pool_reserved"] == 3_000_000
    assert_books_ok()
    assert [e["object"] for e in _events("claim.approve_first")] == [claim_id]
    (event,) = _events("claim.approve_second")
    assert (event["first_approved_by"], event["second_approved_by"]) == (
        first.id,
        done["second_approved_by"],
    )


def test_one_won_below_the_threshold_needs_one_manager(boss, make, first):
    make.fiscal_year(year=this_year(), budget=BUDGET, rounding_unit=1)
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 5_999_998)])  # share 2,999,999
    claim = boss.post(f"/claims/{claim_id}/approve").get_json()
    assert (claim["status"], claim["government_share"]) == ("approved", 2_999_999)
    assert claim["first_approved_by"] == first.id
    assert claim["second_approved_by"] is None
    assert _events("claim.approve")[0]["object"] == claim_id


def test_the_threshold_is_the_years_and_shown_by_the_api(api, make, first):
    make.fiscal_year(year=this_year(), budget=BUDGET, second_approval_from=1_000_000)
    caller = api.as_(first)
    years = caller.get("/fiscal-years").get_json()
    assert years[0]["second_approval_from"] == 1_000_000
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 2_000_000)])  # share 1,000,000
    assert caller.post(f"/claims/{claim_id}/approve").get_json()["status"] == (
        "awaiting_second_approval"
    )
    opened = api.as_(make.user("admin")).post(
        "/fiscal-years", json={"year": this_year() + 1, "budget": 1_000}
    )
    assert opened.status_code == 201, opened.get_json()
    assert opened.get_json()["second_approval_from"] == 3_000_000  # the default


def test_the_same_manager_twice_is_refused_four_eyes(boss, make, first, year):
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 8_000_000)])
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    _refused(boss.post(f"/claims/{claim_id}/approve"), "four_eyes", "awaiting_second_approval")
    assert _status(claim_id) == "awaiting_second_approval"
    assert transactions_of(claim_id, "reserve") == 1
    assert_books_ok()


def test_reject_from_awaiting_releases_the_reservation(boss, colleague, make, first, year):
    firm_id = make.firm().id
    claim_id = quick_claim(firm_id, first.id, [("parts", 7_000_000)])  # share 3,500,000
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    assert usage(year, firm_id, "emergency") == (3_500_000, 0)

    assert colleague.post(f"/claims/{claim_id}/reject", json={"reason": " "}).status_code == 422
    rejected = colleague.post(f"/claims/{claim_id}/reject", json={"reason": "증빙 불충분"})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "rejected"
    assert transactions_of(claim_id, "release") == 1
    pools = balances(year)
    assert (pools["pool_available"], pools["pool_reserved"]) == (BUDGET, 0)
    assert usage(year, firm_id, "emergency") == (0, 0)
    assert _claim(boss, claim_id)["status"] == "rejected"
    (event,) = _events("claim.reject")
    assert (event["status"], event["released"]) == ("rejected", 3_500_000)
    assert_books_ok()
    _refused(colleague.post(f"/claims/{claim_id}/approve"), "invalid_transition", "rejected")


def test_settlement_pays_approved_claims_and_skips_awaiting_ones(
    boss, colleague, make, first, year
):
    small = quick_claim(make.firm().id, first.id, [("parts", 2_000_000)])  # one approver
    big = quick_claim(make.firm().id, first.id, [("parts", 6_000_000)])  # awaits a second
    assert boss.post(f"/claims/{small}/approve").get_json()["status"] == "approved"
    assert boss.post(f"/claims/{big}/approve").get_json()["status"] == "awaiting_second_approval"

    make_all_settleable()
    batch = settle_for_date()
    assert (batch.claims_settled, batch.amount) == (1, 1_000_000)
    assert (_status(small), _status(big)) == ("settled", "awaiting_second_approval")
    assert transactions_of(big, "settle") == 0
    pools = balances(year)
    assert (pools["pool_reserved"], pools["paid_out"]) == (3_000_000, 1_000_000)
    assert_books_ok()
    ok = boss.get("/ledger/verify").get_json()
    assert ok["ok"], ok

    assert colleague.post(f"/claims/{big}/approve").get_json()["status"] == "approved"
    assert colleague.get("/claims?status=awaiting_second_approval").get_json()["items"] == []
    assert_books_ok()


# ---------------------------------------------------------------- conflict of interest


def _both_steps_refused_to(conflicted, first, second, claim_id: int) -> None:
    """`conflicted` may give neither approval; `first` then `second` may."""
    _refused(conflicted.post(f"/claims/{claim_id}/approve"), "conflict_of_interest", "pending")
    assert first.post(f"/claims/{claim_id}/approve").status_code == 200
    _refused(
        conflicted.post(f"/claims/{claim_id}/approve"),
        "conflict_of_interest",
        "awaiting_second_approval",
    )
    assert second.post(f"/claims/{claim_id}/approve").get_json()["status"] == "approved"
    assert_books_ok()


def test_the_manager_who_filed_the_ticket_approves_neither_step(
    api, boss, colleague, make, first, year
):
    filer = make.user("manager")
    firm_user = make.user("firm", firm=make.firm())
    claim_id = journey_claim(make, first, firm_user, [("parts", 8_000_000)], filer=filer)
    _both_steps_refused_to(api.as_(filer), boss, colleague, claim_id)


def test_the_manager_who_overrode_eligibility_at_triage_approves_neither_step(
    api, boss, colleague, make, year
):
    triager = make.user("manager")
    medium = make.firm(size="medium")  # not a small enterprise: accepted only by override
    claim_id = journey_claim(make, triager, make.user("firm", firm=medium), [("parts", 8_000_000)])
    _both_steps_refused_to(api.as_(triager), boss, colleague, claim_id)


def test_a_manager_who_triaged_without_an_override_may_approve(boss, make, first, year):
    claim_id = journey_claim(make, first, make.user("firm", firm=make.firm()), [("parts", 2_000)])
    assert boss.post(f"/claims/{claim_id}/approve").get_json()["status"] == "approved"


def test_the_manager_who_changed_a_lines_eligibility_approves_neither_step(
    api, boss, colleague, make, first, year
):
    clerk = make.user("manager")
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 8_000_000), ("travel", 50_000)])
    travel = lines_of(db.session.get(Claim, claim_id))[1]
    set_line_eligibility(clerk, claim_id, travel.id, True, "출장비 포함 승인")
    _both_steps_refused_to(api.as_(clerk), boss, colleague, claim_id)


# ---------------------------------------------------------------- concurrency


def test_two_second_approvals_racing_approve_once(app, make, first, year):
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 6_000_000)])
    approve_claim(first, claim_id)
    seconds = [make.user("manager").id for _ in range(2)]
    db.session.remove()

    def approve(i: int, barrier) -> str:
        manager = db.session.get(User, seconds[i])
        db.session.close()
        barrier.wait(timeout=60)
        return approve_claim(manager, claim_id).status

    results = race(app, 2, approve)
    assert sorted(results) == [("ok", "approved"), ("refused", 409, "invalid_transition")], results
    assert _status(claim_id) == "approved"
    assert transactions_of(claim_id, "reserve") == 1
    assert len(_events("claim.approve_second")) == 1
    assert_books_ok()


# ---------------------------------------------------------------- requests


def _request(caller, path: str, body: dict) -> int:
    answer = caller.post(path, json=body)
    assert answer.status_code == 202, answer.get_json()
    assert answer.get_json()["status"] == "pending"
    return answer.get_json()["id"]


def test_a_budget_request_is_confirmed_by_another_manager(boss, colleague, first, second, year):
    request_id = _request(
        boss, f"/fiscal-years/{this_year()}/budget", {"amount": 5_000_000, "reason": "추경"}
    )
    assert balances(year)["pool_available"] == BUDGET  # nothing moves yet
    _refused(boss.post(f"/approval-requests/{request_id}/confirm"), "four_eyes", "pending")

    done = colleague.post(f"/approval-requests/{request_id}/confirm")
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert (body["status"], body["requested_by"], body["decided_by"]) == (
        "confirmed",
        first.id,
        second.id,
    )
    assert balances(year)["pool_available"] == BUDGET + 5_000_000
    fund = db.session.get(LedgerTransaction, body["result"]["transaction_id"])
    assert (fund.type, fund.amount, fund.actor_id) == ("fund", 5_000_000, second.id)
    (created,) = _events("approval_request.create")
    (confirmed,) = _events("approval_request.confirm")
    assert created["actor"] == first.id
    assert (confirmed["actor"], confirmed["requested_by"], confirmed["decided_by"]) == (
        second.id,
        first.id,
        second.id,
    )
    _refused(
        colleague.post(f"/approval-requests/{request_id}/confirm"),
        "invalid_transition",
        "confirmed",
    )
    assert_books_ok()


def test_a_refused_request_changes_nothing_and_needs_a_reason(boss, colleague, make, first, year):
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 2_000_000)])
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    request_id = _request(boss, f"/claims/{claim_id}/void", {"reason": "중복 청구"})
    _refused(
        boss.post(f"/approval-requests/{request_id}/refuse", json={"reason": "no"}),
        "four_eyes",
        "pending",
    )
    blank = colleague.post(f"/approval-requests/{request_id}/refuse", json={"reason": " "})
    assert blank.status_code == 422, blank.get_json()
    refused = colleague.post(
        f"/approval-requests/{request_id}/refuse", json={"reason": "정상 청구"}
    )
    assert refused.status_code == 200, refused.get_json()
    assert (refused.get_json()["status"], refused.get_json()["reason"]) == ("refused", "정상 청구")
    assert _status(claim_id) == "approved"
    assert transactions_of(claim_id, "release") == 0
    (event,) = _events("approval_request.refuse")
    assert (event["requested_by"], event["decided_by"]) == (first.id, event["actor"])
    listed = colleague.get("/approval-requests?status=refused").get_json()["items"]
    assert [r["id"] for r in listed] == [request_id]
    assert_books_ok()


def test_a_void_request_releases_when_confirmed(boss, colleague, make, first, year):
    firm_id = make.firm().id
    claim_id = quick_claim(firm_id, first.id, [("parts", 2_000_000)])
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    assert boss.post(f"/claims/{claim_id}/void", json={"reason": ""}).status_code == 422
    pending = quick_claim(firm_id, first.id, [("parts", 2_000_000)])
    _refused(
        boss.post(f"/claims/{pending}/void", json={"reason": "x"}), "invalid_transition", "pending"
    )
    request_id = _request(boss, f"/claims/{claim_id}/void", {"reason": "허위 증빙"})
    done = colleague.post(f"/approval-requests/{request_id}/confirm").get_json()
    assert done["result"] == {"claim_id": claim_id, "status": "voided", "released": 1_000_000}
    assert _status(claim_id) == "voided"
    assert balances(year)["pool_reserved"] == 0
    assert usage(year, firm_id, "emergency") == (0, 0)
    assert_books_ok()


def test_a_settlement_request_runs_as_the_confirmer(boss, colleague, make, first, second, year):
    claim_id = quick_claim(make.firm().id, first.id, [("parts", 2_000_000)])
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    key = {"Idempotency-Key": "settle-request-1"}
    make_all_settleable()
    asked = boss.post("/ledger/settlements", json={}, headers=key)
    assert asked.status_code == 202, asked.get_json()
    replay = boss.post("/ledger/settlements", json={}, headers=key)
    assert replay.get_json() == asked.get_json()
    assert db.session.scalar(select(func.count(ApprovalRequest.id))) == 1
    assert _status(claim_id) == "approved"

    done = colleague.post(f"/approval-requests/{asked.get_json()['id']}/confirm").get_json()
    assert (done["result"]["claims_settled"], done["result"]["amount"]) == (1, 1_000_000)
    assert _status(claim_id) == "settled"
    settle = db.session.scalar(
        select(LedgerTransaction).where(
            LedgerTransaction.claim_id == claim_id, LedgerTransaction.type == "settle"
        )
    )
    assert settle.actor_id == second.id
    assert_books_ok()
