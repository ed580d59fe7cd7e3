"""Idempotency-Key on approval, the settlement API and what void/reject do (SPEC §5, §6, §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from aftercare.api.idempotency_model import IdempotencyRecord
from aftercare.approvals import services as approval_services
from aftercare.audit.models import AuditEvent
from aftercare.audit.services import verify_chain
from aftercare.claims.models import Claim
from aftercare.db import Session
from aftercare.domain.time import seoul_midnight_utc, seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import LedgerTransaction
from aftercare.ledger.services import add_budget
from aftercare.payouts import settlement
from aftercare.payouts.models import PayoutBatch, PayoutLine
from aftercare.tickets.models import Ticket, TicketHistory
from tests.helpers import make_all_settleable
from tests.integration.ledger_support import (
    ONE_APPROVER,
    assert_books_ok,
    balances,
    confirmed,
    quick_claim,
    this_year,
    transactions_of,
    usage,
)


@pytest.fixture
def manager(make):
    return make.user("manager")


@pytest.fixture
def boss(api, manager):
    return api.as_(manager)


@pytest.fixture
def second(api, make):
    """Another manager: confirms the budget, void and settlement requests `boss` makes."""
    return api.as_(make.user("manager"))


def _settle(boss, second, body: dict) -> dict:
    """Ask for a settlement as `boss`, confirm it as `second`: the batch's figures."""
    make_all_settleable()  # settlement pays reviewed claims whose firm share is confirmed
    return confirmed(second, boss.post("/ledger/settlements", json=body))["result"]


def _ticket_status(claim_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(
        select(Ticket.status).join(Claim, Claim.ticket_id == Ticket.id).where(Claim.id == claim_id)
    )


def _claim_status(claim_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(select(Claim.status).where(Claim.id == claim_id))


# ---------------------------------------------------------------- Idempotency-Key


def test_same_key_and_body_replays_the_first_answer(boss, make, manager):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_345_678)])
    key = {"Idempotency-Key": "approve-once-2021"}

    first = boss.post(f"/claims/{claim_id}/approve", headers=key)
    assert first.status_code == 200, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    for _ in range(2):
        again = boss.post(f"/claims/{claim_id}/approve", headers=key)
        assert again.status_code == 200, again.get_json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.get_json() == first.get_json()
    assert transactions_of(claim_id, "reserve") == 1
    # without the key the claim is simply no longer pending
    plain = boss.post(f"/claims/{claim_id}/approve")
    assert plain.status_code == 409
    assert plain.get_json()["current_status"] == "approved"

    other = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    reused = boss.post(f"/claims/{other}/approve", headers=key)
    assert reused.status_code == 422, reused.get_json()
    assert "Idempotency-Key" in reused.get_json()["errors"]
    assert _claim_status(other) == "pending"
    assert transactions_of(other, "reserve") == 0
    assert_books_ok()


def test_an_answer_lost_after_the_approval_committed_is_replayed_not_refused(
    app, boss, make, manager
):
    """The key's record commits with the approval: a retry after a crash past the commit
    (here: the answer fails on its way out) gets the first answer, never a 409."""
    fiscal_year = make.fiscal_year(year=this_year(), budget=100_000_000)
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    key = {"Idempotency-Key": "lost-answer"}
    lose_answers = True

    @app.after_request
    def _lose(response):
        if lose_answers:
            raise ConnectionError("the answer never reached the client")
        return response

    with pytest.raises(ConnectionError):
        boss.post(f"/claims/{claim_id}/approve", headers=key)
    assert _claim_status(claim_id) == "approved"
    lose_answers = False
    again = boss.post(f"/claims/{claim_id}/approve", headers=key)
    assert again.status_code == 200, again.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["government_share"] == 1_000_000
    assert transactions_of(claim_id, "reserve") == 1
    assert balances(fiscal_year.id)["pool_reserved"] == 1_000_000
    assert_books_ok()


def test_a_failure_storing_the_key_rolls_the_approval_back(boss, make, manager):
    fiscal_year = make.fiscal_year(year=this_year(), budget=100_000_000)
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])

    def refuse_the_record(session, _context, _instances):
        if any(isinstance(obj, IdempotencyRecord) for obj in session.new):
            raise RuntimeError("the key could not be stored")

    event.listen(Session, "before_flush", refuse_the_record)
    try:
        response = boss.post(f"/claims/{claim_id}/approve", headers={"Idempotency-Key": "k-1"})
        assert response.status_code == 500
    finally:
        event.remove(Session, "before_flush", refuse_the_record)
    assert _claim_status(claim_id) == "pending"
    assert transactions_of(claim_id, "reserve") == 0
    assert balances(fiscal_year.id)["pool_reserved"] == 0
    assert usage(fiscal_year.id, make_firm_id(claim_id), "emergency") == (0, 0)
    assert_books_ok()


def make_firm_id(claim_id: int) -> int:
    return db.session.scalar(select(Claim.firm_id).where(Claim.id == claim_id))


def test_same_key_with_another_body_on_void_is_refused(boss, second, make, manager):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    key = {"Idempotency-Key": "void-k"}
    first = boss.post(f"/claims/{claim_id}/void", json={"reason": "중복"}, headers=key)
    assert first.status_code == 202, first.get_json()
    replay = boss.post(f"/claims/{claim_id}/void", json={"reason": "중복"}, headers=key)
    assert (replay.status_code, replay.get_json()) == (202, first.get_json())
    assert replay.headers.get("Idempotent-Replayed") == "true"
    changed = boss.post(f"/claims/{claim_id}/void", json={"reason": "다른 사유"}, headers=key)
    assert changed.status_code == 422, changed.get_json()
    assert len(second.get("/approval-requests?kind=void").get_json()["items"]) == 1
    assert transactions_of(claim_id, "release") == 0  # nothing moves before a confirmation
    confirm_key = {"Idempotency-Key": "void-confirm-k"}
    path = f"/approval-requests/{first.get_json()['id']}/confirm"
    done = second.post(path, headers=confirm_key)
    assert done.status_code == 200, done.get_json()
    assert second.post(path, headers=confirm_key).get_json() == done.get_json()
    assert transactions_of(claim_id, "release") == 1


def test_errors_are_not_stored_so_the_same_key_succeeds_after_the_fix(boss, make, manager):
    make.fiscal_year(year=this_year(), budget=1_500_000)  # shares below 3,000,000: one approver
    first = quick_claim(make.firm().id, manager.id, [("parts", 3_000_000)])
    second = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    assert boss.post(f"/claims/{first}/approve").get_json()["government_share"] == 1_500_000
    key = {"Idempotency-Key": "K-after-fix"}

    refused = boss.post(f"/claims/{second}/approve", headers=key)
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["reason"] == "pool_exhausted"
    refused_again = boss.post(f"/claims/{second}/approve", headers=key)
    assert refused_again.status_code == 409
    assert "Idempotent-Replayed" not in refused_again.headers

    add_budget(manager, this_year(), 10_000_000, "추경 예산")
    fixed = boss.post(f"/claims/{second}/approve", headers=key)
    assert fixed.status_code == 200, fixed.get_json()
    assert "Idempotent-Replayed" not in fixed.headers
    assert fixed.get_json()["government_share"] == 1_000_000
    replay = boss.post(f"/claims/{second}/approve", headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json() == fixed.get_json()
    assert_books_ok()


def test_idempotency_keys_are_per_user(api, boss, make, manager):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    colleague = api.as_(make.user("manager"))
    mine = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    theirs = quick_claim(make.firm().id, manager.id, [("parts", 4_000_000)])
    key = {"Idempotency-Key": "shared-key"}

    assert boss.post(f"/claims/{mine}/approve", headers=key).status_code == 200
    # the colleague's identical request is not answered from my stored result
    same_request = colleague.post(f"/claims/{mine}/approve", headers=key)
    assert same_request.status_code == 409, same_request.get_json()
    assert same_request.get_json()["reason"] == "invalid_transition"
    assert "Idempotent-Replayed" not in same_request.headers
    # and my key on another path does not block the colleague (no 422)
    own = colleague.post(f"/claims/{theirs}/approve", headers=key)
    assert own.status_code == 200, own.get_json()
    assert own.get_json()["government_share"] == 2_000_000
    assert colleague.post(f"/claims/{theirs}/approve", headers=key).get_json() == own.get_json()
    assert transactions_of(mine, "reserve") == transactions_of(theirs, "reserve") == 1


# ---------------------------------------------------------------- settlement API


def test_a_future_settlement_date_is_422(boss, make):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    tomorrow = (seoul_today() + timedelta(days=1)).isoformat()
    response = boss.post("/ledger/settlements", json={"date": tomorrow})
    assert response.status_code == 422, response.get_json()
    assert "date" in response.get_json()["errors"]
    assert db.session.scalar(select(func.count(PayoutBatch.id))) == 0


def test_settlement_cutoff_is_the_end_of_the_date_in_seoul(boss, second, make, manager):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    late_yesterday = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    early_today = quick_claim(make.firm().id, manager.id, [("parts", 4_000_000)])
    for claim_id in (late_yesterday, early_today):
        assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    midnight = seoul_midnight_utc(seoul_today())  # 00:00 today in Seoul, as naive UTC
    for claim_id, when in (
        (late_yesterday, midnight - timedelta(seconds=1)),
        (early_today, midnight),
    ):
        db.session.execute(update(Claim).where(Claim.id == claim_id).values(approved_at=when))
    db.session.commit()

    yesterday = (seoul_today() - timedelta(days=1)).isoformat()
    batch = _settle(boss, second, {"date": yesterday})
    assert (batch["claims_settled"], batch["amount"]) == (1, 1_000_000)
    assert _claim_status(late_yesterday) == "settled"
    assert _claim_status(early_today) == "approved"

    today = _settle(boss, second, {})
    assert (today["claims_settled"], today["amount"]) == (1, 2_000_000)
    assert today["batch_id"] != batch["batch_id"]
    assert _claim_status(early_today) == "settled"
    assert_books_ok()


def test_a_later_call_returns_the_same_batch_and_new_claims_go_to_the_next_date(
    boss, second, make, manager, monkeypatch
):
    fiscal_year = make.fiscal_year(
        year=this_year(), budget=100_000_000, second_approval_from=ONE_APPROVER
    )
    fy_id = fiscal_year.id
    early = [quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)]) for _ in range(2)]
    late = quick_claim(make.firm().id, manager.id, [("parts", 6_000_000)])
    for claim_id in early:
        assert boss.post(f"/claims/{claim_id}/approve").status_code == 200

    body = _settle(boss, second, {})
    assert (body["claims_settled"], body["amount"]) == (2, 2_000_000)
    assert body["date"] == seoul_today().isoformat()
    assert all(_ticket_status(c) == "closed" for c in early)  # settled claims close tickets

    assert boss.post(f"/claims/{late}/approve").status_code == 200
    again = _settle(boss, second, {"date": seoul_today().isoformat()})
    assert again == body
    assert _claim_status(late) == "approved"
    assert _ticket_status(late) == "confirmed"
    assert db.session.scalar(select(func.count()).where(PayoutLine.claim_id == late)) == 0

    tomorrow = seoul_today() + timedelta(days=1)
    monkeypatch.setattr(settlement, "seoul_today", lambda: tomorrow)
    monkeypatch.setattr(approval_services, "seoul_today", lambda: tomorrow)
    next_day = _settle(boss, second, {})
    assert next_day["date"] == tomorrow.isoformat()
    assert (next_day["claims_settled"], next_day["amount"]) == (1, 3_000_000)
    assert _claim_status(late) == "settled"
    assert _ticket_status(late) == "closed"
    assert transactions_of(late, "settle") == 1
    assert balances(fy_id)["paid_out"] == 5_000_000
    assert balances(fy_id)["pool_reserved"] == 0
    assert_books_ok()


def test_void_releases_the_reservation_and_closes_the_ticket(boss, second, make, manager):
    fiscal_year = make.fiscal_year(year=this_year(), budget=100_000_000)
    fy_id = fiscal_year.id
    firm_id = make.firm().id
    kept = quick_claim(firm_id, manager.id, [("parts", 2_000_000)])
    doomed = quick_claim(firm_id, manager.id, [("parts", 5_000_000)])
    for claim_id in (kept, doomed):
        assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    assert balances(fy_id)["pool_available"] == 100_000_000 - 3_500_000
    assert usage(fy_id, firm_id, "emergency") == (3_500_000, 0)

    no_reason = boss.post(f"/claims/{doomed}/void", json={"reason": " "})
    assert no_reason.status_code == 422
    voided = confirmed(
        second, boss.post(f"/claims/{doomed}/void", json={"reason": "허위 청구 확인"})
    )
    assert voided["result"] == {"claim_id": doomed, "status": "voided", "released": 2_500_000}
    assert _claim_status(doomed) == "voided"
    assert balances(fy_id)["pool_available"] == 100_000_000 - 1_000_000
    assert balances(fy_id)["pool_reserved"] == 1_000_000
    assert usage(fy_id, firm_id, "emergency") == (1_000_000, 0)
    assert transactions_of(doomed, "release") == 1
    assert _ticket_status(doomed) == "closed"
    assert _ticket_status(kept) == "confirmed"
    pool = boss.get("/ledger/pool").get_json()
    assert (pool["available"], pool["reserved"]) == (99_000_000, 1_000_000)
    assert boss.get(f"/firms/{firm_id}").get_json()["usage"]["emergency"]["remaining"] == 4_000_000

    twice = boss.post(f"/claims/{doomed}/void", json={"reason": "again"})
    assert twice.status_code == 409
    assert twice.get_json()["current_status"] == "voided"
    assert transactions_of(doomed, "release") == 1

    settled = _settle(boss, second, {})
    assert (settled["claims_settled"], settled["amount"]) == (1, 1_000_000)
    assert _claim_status(doomed) == "voided"
    assert transactions_of(doomed, "settle") == 0
    after_settle = boss.post(f"/claims/{kept}/void", json={"reason": "too late"})
    assert after_settle.status_code == 409
    assert after_settle.get_json()["current_status"] == "settled"
    assert_books_ok()


def test_reject_closes_the_ticket_and_moves_no_money(boss, make, manager):
    fiscal_year = make.fiscal_year(year=this_year(), budget=100_000_000)
    fy_id = fiscal_year.id
    claim_id = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])
    missing = boss.post(f"/claims/{claim_id}/reject", json={"reason": ""})
    assert missing.status_code == 422
    assert _ticket_status(claim_id) == "confirmed"

    rejected = boss.post(f"/claims/{claim_id}/reject", json={"reason": "증빙 부족"})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["fiscal_year"] is None
    assert _ticket_status(claim_id) == "closed"
    assert balances(fy_id)["pool_available"] == 100_000_000
    assert (
        db.session.scalar(
            select(func.count(LedgerTransaction.id)).where(LedgerTransaction.claim_id == claim_id)
        )
        == 0
    )
    assert boss.post(f"/claims/{claim_id}/approve").status_code == 409
    assert_books_ok()


def test_settlement_closes_each_ticket_with_its_history_row_and_audit_event(
    boss, second, make, manager
):
    make.fiscal_year(year=this_year(), budget=100_000_000)
    settled = [quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)]) for _ in range(3)]
    waiting = quick_claim(make.firm().id, manager.id, [("parts", 2_000_000)])  # not approved
    for claim_id in settled:
        assert boss.post(f"/claims/{claim_id}/approve").status_code == 200
    assert _settle(boss, second, {})["claims_settled"] == 3

    db.session.rollback()
    tickets = dict(db.session.execute(select(Claim.id, Claim.ticket_id)).all())
    closed = [tickets[c] for c in settled]
    history = db.session.execute(
        select(TicketHistory.ticket_id, TicketHistory.from_status, TicketHistory.to_status).where(
            TicketHistory.action == "close"
        )
    ).all()
    assert sorted(history) == [(t, "confirmed", "closed") for t in sorted(closed)]
    events = db.session.scalars(
        select(AuditEvent.object_id).where(
            AuditEvent.action == "ticket.close", AuditEvent.object_type == "ticket"
        )
    ).all()
    assert sorted(events) == sorted(closed)
    assert _ticket_status(waiting) == "confirmed"
    checked, broken = verify_chain()
    assert broken is None
    assert checked > 0
