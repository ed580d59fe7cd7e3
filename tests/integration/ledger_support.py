"""Builders and checks shared by the cost-share ledger tests (not a test module itself).

`quick_claim` writes a confirmed ticket with one visit and its cost lines straight
into the database and then creates the pending claim with the real service
(`create_claim`), so money tests do not pay for the whole ticket journey each time.
Its ticket is filed by a user of the firm: a manager who filed it could not approve
it (conflict of interest, SPEC §11).
`journey_claim` walks the real services from filing to the firm's confirmation.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.claims.services import approve_claim, create_claim
from aftercare.claims.signoff import confirm_ticket
from aftercare.db import utcnow
from aftercare.domain.errors import DomainError
from aftercare.domain.money import DEFAULT_ELIGIBLE
from aftercare.domain.states import support_type_for
from aftercare.domain.time import seoul_midnight_utc, seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import (
    FirmUsage,
    FiscalYear,
    LedgerAccount,
    LedgerTransaction,
)
from aftercare.meisters.models import CostLine, Visit
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.payouts.reconciliation import reconcile
from aftercare.payouts.settlement import settle_for_date
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import file_ticket, triage_ticket
from tests.helpers import give_evidence, make_settleable

Lines = Sequence[tuple[str, int]]  # (kind, amount in won), quantity 1


def this_year() -> int:
    return seoul_today().year


def firm_filer(firm_id: int) -> int:
    """A user of the firm who files its tickets (created once per firm, inactive: it
    neither signs in nor is notified, so firms "without users" stay so)."""
    existing = db.session.scalar(
        select(User.id)
        .where(User.firm_id == firm_id, User.role == "firm")
        .order_by(User.id)
        .limit(1)
    )
    if existing is not None:
        return existing
    filer = User(
        email=f"filer-{firm_id}@example.kr",
        name=f"filer {firm_id}",
        password_hash="!",  # signs in never
        role="firm",
        firm_id=firm_id,
        active=False,
    )
    db.session.add(filer)
    db.session.flush()
    return filer.id


def quick_claim(firm_id: int, author_id: int, lines: Lines, category: str = "breakdown") -> int:
    """A pending claim on a confirmed ticket of `firm_id` whose visit carries `lines`.

    `author_id` logs the visit; the firm's own user files the ticket.
    """
    now = utcnow()
    ticket = Ticket(
        firm_id=firm_id,
        created_by_id=firm_filer(firm_id),
        category=category,
        severity="normal",
        title="테스트 설비 고장",
        description="ledger test",
        system="PLC-1",
        tags=["plc"],
        status="confirmed",
        support_type=support_type_for(category),
        created_at=now,
        updated_at=now,
        triaged_at=now,
        triage_due_at=now + timedelta(days=1),
        resolved_at=now,
        confirmed_at=now,
        project_started_on=seoul_today(),
        search_text="ledger test",
    )
    db.session.add(ticket)
    db.session.flush()
    visit = Visit(
        ticket_id=ticket.id,
        meister_id=author_id,
        visited_on=seoul_today(),
        hours=Decimal("1.0"),
        notes="",
        created_at=now,
    )
    db.session.add(visit)
    db.session.flush()
    for kind, amount in lines:
        db.session.add(
            CostLine(
                visit_id=visit.id,
                ticket_id=ticket.id,
                kind=kind,
                description=kind,
                quantity=1,
                unit_price=amount,
                amount=amount,
                eligible=DEFAULT_ELIGIBLE[kind],
            )
        )
    db.session.flush()
    give_evidence(ticket.id, commit=False)
    claim = create_claim(ticket, None)
    db.session.commit()
    return claim.id


def journey_claim(
    make: Any,
    manager: User,
    firm_user: User,
    lines: Lines,
    category: str = "breakdown",
    filer: User | None = None,
) -> int:
    """A pending claim reached through the real services: file → … → confirm.

    The firm files the ticket (or `filer`, a manager, for the firm); `manager` triages
    and assigns it, with an override only if the firm is not eligible. A manager who
    filed it or overrode its triage may not approve its claim (SPEC §11).
    """
    meister = make.meister()
    ticket = file_ticket(
        filer or firm_user,
        {
            "firm_id": firm_user.firm_id,
            "category": category,
            "severity": "high",
            "title": "라인 정지",
            "description": "원인 조사 필요",
            "system": "PLC-2",
            "tags": ["plc"],
        },
    )
    tid = ticket.id
    triage_ticket(manager, tid, "accept", override_reason="test override")
    from aftercare.meisters.assignment import assign_meister

    assign_meister(manager, tid, meister.id, force_reason="test")
    accept_ticket(meister, tid)
    log_visit(
        meister,
        tid,
        seoul_today(),
        "2.0",
        "",
        [
            {"kind": kind, "description": kind, "quantity": 1, "unit_price": amount}
            for kind, amount in lines
        ],
    )
    give_evidence(tid)
    resolve_ticket(meister, tid, "done")
    confirm_ticket(firm_user, tid, 5, "")
    return db.session.scalar(select(Claim.id).where(Claim.ticket_id == tid))


def balances(fiscal_year_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(LedgerAccount.name, LedgerAccount.balance).where(
                LedgerAccount.fiscal_year_id == fiscal_year_id
            )
        ).all()
    )


def usage(fiscal_year_id: int, firm_id: int, support_type: str) -> tuple[int, int]:
    row = db.session.execute(
        select(FirmUsage.reserved, FirmUsage.paid).where(
            FirmUsage.fiscal_year_id == fiscal_year_id,
            FirmUsage.firm_id == firm_id,
            FirmUsage.support_type == support_type,
        )
    ).first()
    return (row.reserved, row.paid) if row else (0, 0)


def transactions_of(claim_id: int, kind: str) -> int:
    return db.session.scalar(
        select(func.count(LedgerTransaction.id)).where(
            LedgerTransaction.claim_id == claim_id, LedgerTransaction.type == kind
        )
    )


def assert_books_ok() -> None:
    """Every §5 invariant holds (reconciliation without recording a run)."""
    ok, checks = reconcile(record=False)
    assert ok, [c for c in checks if not c.ok]


def assert_caps_and_pool_hold() -> None:
    """pool_available ≥ 0, pool_reserved ≥ 0 and reserved + paid ≤ cap for every firm."""
    for fiscal_year in db.session.scalars(select(FiscalYear)):
        pools = balances(fiscal_year.id)
        assert pools["pool_available"] >= 0, pools
        assert pools["pool_reserved"] >= 0, pools
        for row in db.session.scalars(
            select(FirmUsage).where(FirmUsage.fiscal_year_id == fiscal_year.id)
        ):
            assert row.reserved >= 0
            assert row.reserved + row.paid <= fiscal_year.cap_for(row.support_type), (
                row.firm_id,
                row.support_type,
                row.reserved,
                row.paid,
            )
    db.session.rollback()


def race(app: Flask, count: int, action: Callable[[int, threading.Barrier], Any]) -> list[tuple]:
    """Run `action(i, barrier)` for i in range(count) in threads; each waits on the barrier.

    Each thread has its own app context (so its own session and connection). The
    result per thread is ("ok", value), ("refused", http status, reason) for a
    DomainError, or ("error", repr) for anything else (say "database is locked").
    """
    barrier = threading.Barrier(count)
    results: list[tuple] = [("missing",)] * count

    def run(i: int) -> None:
        with app.app_context():
            try:
                results[i] = ("ok", action(i, barrier))
            except DomainError as error:
                db.session.rollback()
                results[i] = ("refused", error.http_status, getattr(error, "reason", None))
            except Exception as error:  # reported, not raised: the test asserts on it
                db.session.rollback()
                results[i] = ("error", repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return results


# A `second_approval_from` past any share: for tests about caps and pools, not four eyes.
ONE_APPROVER = 10_000_000_000_000


def confirmed(second: Any, requested: Any) -> dict:
    """Confirm, as `second` (another manager's API client), the request a 202 answer made."""
    body = requested.get_json()
    assert requested.status_code == 202, body
    assert body["status"] == "pending", body
    answer = second.post(f"/approval-requests/{body['id']}/confirm")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "confirmed"
    return answer.get_json()


_DAYS_BACK = itertools.count(1)  # one payout batch per day: each claim settles on its own


def settled_claim(manager: User, firm_id: int, amount: int = 2_000_000) -> int:
    """A claim of `amount` won of eligible cost of `firm_id`, approved by `manager`, made
    payable and settled in a batch of its own (a past day's, one per call)."""
    claim_id = quick_claim(firm_id, manager.id, [("labour", amount)])
    approve_claim(manager, claim_id)
    make_settleable(claim_id)
    day = seoul_today() - timedelta(days=next(_DAYS_BACK))
    approved_at = seoul_midnight_utc(day) + timedelta(hours=1)
    db.session.execute(
        Claim.__table__.update().where(Claim.id == claim_id).values(approved_at=approved_at)
    )
    db.session.commit()
    settle_for_date(day)
    return claim_id
