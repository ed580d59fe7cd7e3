"""Concurrent approvals never overspend the pool or a firm's cap, nor reserve a claim twice.

Threads, each with its own app context (session, connection) and its own copy of the
manager, are released together by a barrier; runs on SQLite (one writer, BEGIN
IMMEDIATE + busy_timeout) and on PostgreSQL (row locks, conditional updates).
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.claims.services import approve_claim
from aftercare.extensions import db
from aftercare.ledger.models import LedgerTransaction
from tests.helpers import make_all_settleable
from tests.integration.ledger_support import (
    ONE_APPROVER,
    assert_books_ok,
    assert_caps_and_pool_hold,
    balances,
    quick_claim,
    race,
    this_year,
    usage,
)


@pytest.fixture
def app_config(app_config):
    """A connection for every racing thread, so all 32 really run at once."""
    options = {"pool_pre_ping": True, "pool_size": 34, "max_overflow": 2, "pool_timeout": 60}
    return app_config | {"SQLALCHEMY_ENGINE_OPTIONS": options}


def _approver(manager_id: int, claim_ids: list[int]):
    def approve(i: int, barrier) -> tuple[int, str]:
        manager = db.session.get(User, manager_id)  # this thread's own copy
        db.session.close()  # keep the loaded manager, give the connection back
        barrier.wait(timeout=60)
        claim = approve_claim(manager, claim_ids[i])
        return claim.government_share, claim.limited_by

    return approve


def _no_errors(results: list[tuple]) -> None:
    errors = [r for r in results if r[0] != "ok" and r[0] != "refused"]
    assert not errors, errors  # e.g. "database is locked", a deadlock, a 500


def _reserves() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count(LedgerTransaction.id)).where(LedgerTransaction.type == "reserve")
    )


def test_32_concurrent_approvals_against_room_for_exactly_10(app, make):
    fy_id = make.fiscal_year(year=this_year(), budget=10_000_000).id
    manager_id = make.user("manager").id
    claim_ids = [quick_claim(make.firm().id, manager_id, [("parts", 2_000_000)]) for _ in range(32)]
    db.session.remove()

    results = race(app, 32, _approver(manager_id, claim_ids))

    _no_errors(results)
    approved = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(approved) == 10, Counter(map(str, results))
    assert all(r[1] == (1_000_000, "none") for r in approved), approved
    assert len(refused) == 22
    assert {r[1:] for r in refused} == {(409, "pool_exhausted")}
    assert _reserves() == 10
    pools = balances(fy_id)
    assert pools["pool_available"] == 0
    assert pools["pool_reserved"] == 10_000_000
    statuses = Counter(db.session.scalars(select(Claim.status)))
    assert statuses == {"approved": 10, "pending": 22}
    assert (
        db.session.scalar(
            select(func.count(Claim.id)).where(
                Claim.status == "pending", Claim.fiscal_year_id.is_not(None)
            )
        )
        == 0
    )
    assert_caps_and_pool_hold()
    assert_books_ok()


def test_the_same_claim_approved_by_16_requests_is_reserved_once(app, make):
    fy_id = make.fiscal_year(year=this_year(), budget=100_000_000).id
    manager_id = make.user("manager").id
    claim_id = quick_claim(make.firm().id, manager_id, [("parts", 4_000_000)])
    db.session.remove()

    results = race(app, 16, _approver(manager_id, [claim_id] * 16))

    _no_errors(results)
    approved = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] == "refused"]
    assert approved == [("ok", (2_000_000, "none"))], results
    assert len(refused) == 15
    assert {r[1] for r in refused} == {409}
    assert _reserves() == 1
    assert balances(fy_id)["pool_reserved"] == 2_000_000
    assert_books_ok()


def test_two_claims_of_one_firm_racing_past_its_cap(app, make):
    """Six firms at once, each with two claims of 3,000,000 against a 5,000,000 cap."""
    fy_id = make.fiscal_year(
        year=this_year(), budget=1_000_000_000, second_approval_from=ONE_APPROVER
    ).id
    manager_id = make.user("manager").id
    firms = [make.firm().id for _ in range(6)]
    claim_ids, owner = [], {}
    for firm_id in firms:
        for _ in range(2):
            claim_id = quick_claim(firm_id, manager_id, [("parts", 6_000_000)])
            claim_ids.append(claim_id)
            owner[claim_id] = firm_id
    db.session.remove()

    results = race(app, len(claim_ids), _approver(manager_id, claim_ids))

    _no_errors(results)
    by_firm: dict[int, list] = {f: [] for f in firms}
    for claim_id, result in zip(claim_ids, results, strict=True):
        by_firm[owner[claim_id]].append(result)
    for firm_id, outcomes in by_firm.items():
        shares = sorted(r[1] for r in outcomes if r[0] == "ok")
        refused = [r for r in outcomes if r[0] == "refused"]
        # one in full; the other limited by the cap (2,000,000 left) or refused
        assert shares in ([(2_000_000, "firm_cap"), (3_000_000, "none")], [(3_000_000, "none")])
        assert all(r[1:] == (409, "firm_cap_exhausted") for r in refused)
        reserved, paid = usage(fy_id, firm_id, "emergency")
        assert reserved + paid <= 5_000_000
        assert reserved == sum(s for s, _ in shares)
    assert_caps_and_pool_hold()
    assert_books_ok()


def test_an_approval_racing_the_settlement_of_the_same_firm_both_succeed(app, make, monkeypatch):
    """Approval locks firm usage, then the pool; settlement must not take them the other way.

    The approval is slowed down between locking the firm's usage row and posting its
    reserve, so that the settlement of the firm's earlier claim runs in that window.
    """
    import threading
    import time

    from aftercare.claims import services as claim_services
    from aftercare.payouts.settlement import settle_for_date

    fy_id = make.fiscal_year(year=this_year(), budget=100_000_000).id
    manager = make.user("manager")
    manager_id = manager.id
    firm_id = make.firm().id
    earlier = quick_claim(firm_id, manager_id, [("parts", 2_000_000)])
    approve_claim(manager, earlier)
    later = quick_claim(firm_id, manager_id, [("parts", 4_000_000)])
    db.session.remove()

    inside = threading.Event()
    real_post = claim_services.ledger.reserve  # posts the reserve, then the claim decides

    def slow_post(*args, **kwargs):
        inside.set()
        time.sleep(0.8)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(claim_services.ledger, "reserve", slow_post)

    def act(i: int, barrier):
        if i == 0:
            manager = db.session.get(User, manager_id)
            db.session.close()
            barrier.wait(timeout=60)
            claim = approve_claim(manager, later)
            return claim.status, claim.government_share
        barrier.wait(timeout=60)
        assert inside.wait(timeout=30)
        make_all_settleable()
        batch = settle_for_date()
        return batch.status, batch.claims_settled

    results = race(app, 2, act)

    # no deadlock victim: both finish (SQLite's single writer may settle `later` too)
    assert results[0] == ("ok", ("approved", 2_000_000)), results
    assert results[1] in (("ok", ("complete", 1)), ("ok", ("complete", 2))), results
    reserved, paid = usage(fy_id, firm_id, "emergency")
    assert reserved + paid == 3_000_000
    assert paid in (1_000_000, 3_000_000)
    assert_books_ok()
