"""Settlement (SPEC §6): one payout batch per date, each approved claim settled exactly once.

The batch and its lines are chosen in one transaction; lines are then settled in
chunks, each chunk one database transaction. Killed mid-way, a rerun finds the
open batch and settles what is still queued: nothing is paid twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from aftercare.audit.services import record_event
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain.errors import Conflict, ValidationFailed
from aftercare.extensions import db
from aftercare.ledger.models import (
    FirmUsage,
    LedgerAccount,
    LedgerTransaction,
    PayoutBatch,
    PayoutLine,
    Posting,
)
from aftercare.tickets.models import Ticket, TicketHistory
from aftercare.timeutil import seoul_midnight_utc, seoul_today
from aftercare.transactions import LEDGER_TABLES, begin_write, refresh_statistics

CHUNK = 2000


def settle_for_date(
    day: date | None = None,
    actor_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PayoutBatch:
    """Settle every claim approved before the end of `day` (Asia/Seoul) and not yet settled."""
    day = day or seoul_today()
    if day > seoul_today():
        raise ValidationFailed({"date": ["The settlement date cannot be in the future."]})
    refresh_statistics(*LEDGER_TABLES)
    batch_id = _open_batch(day, actor_id)
    batch = db.session.get(PayoutBatch, batch_id)
    if batch.status == "complete":
        return batch
    _settle_queued(batch_id, actor_id, progress)
    begin_write()
    batch = db.session.get(PayoutBatch, batch_id)
    batch.status = "complete"
    batch.completed_at = utcnow()
    record_event(
        actor_id,
        "ledger.batch_complete",
        "payout_batch",
        batch.id,
        after={
            "date": day.isoformat(),
            "claims_settled": batch.claims_settled,
            "amount": batch.amount,
        },
    )
    db.session.commit()
    return batch


def _open_batch(day: date, actor_id: int | None) -> int:
    """The batch of `day`; created with its lines on the first call."""
    begin_write()
    batch_id = db.session.scalar(select(PayoutBatch.id).where(PayoutBatch.batch_date == day))
    if batch_id is not None:
        db.session.rollback()
        return batch_id
    cutoff = seoul_midnight_utc(day + timedelta(days=1))
    batch = PayoutBatch(batch_date=day, cutoff_at=cutoff, status="open", claims_settled=0, amount=0)
    db.session.add(batch)
    try:
        db.session.flush()
    except IntegrityError:  # another settlement created it first
        db.session.rollback()
        return db.session.scalar(select(PayoutBatch.id).where(PayoutBatch.batch_date == day))
    # NOT IN, not NOT EXISTS: PostgreSQL hashes the queued ids once. A correlated NOT EXISTS
    # was planned as a nested loop over the (empty) payout_line, which this very INSERT
    # fills: quadratic, 44 s of 82 s when queuing 97,000 claims.
    already_queued = Claim.id.in_(select(PayoutLine.claim_id))
    db.session.execute(
        insert(PayoutLine).from_select(
            ["batch_id", "claim_id", "firm_id", "amount", "status"],
            select(
                literal(batch.id),
                Claim.id,
                Claim.firm_id,
                Claim.government_share,
                literal("queued"),
            ).where(Claim.status == "approved", Claim.approved_at < cutoff, ~already_queued),
        )
    )
    record_event(
        actor_id,
        "ledger.batch_open",
        "payout_batch",
        batch.id,
        after={"date": day.isoformat(), "cutoff_utc": cutoff.isoformat()},
    )
    db.session.commit()
    return batch.id


def _settle_queued(
    batch_id: int, actor_id: int | None, progress: Callable[[int, int], None] | None
) -> None:
    total = db.session.scalar(
        select(func.count(PayoutLine.id)).where(
            PayoutLine.batch_id == batch_id, PayoutLine.status == "queued"
        )
    )
    done = 0
    while True:
        begin_write()
        lines = db.session.execute(
            select(PayoutLine.id, PayoutLine.claim_id)
            .where(PayoutLine.batch_id == batch_id, PayoutLine.status == "queued")
            .order_by(PayoutLine.id)
            .limit(CHUNK)
        ).all()
        if not lines:
            db.session.rollback()
            return
        _settle_chunk(batch_id, lines, actor_id)
        db.session.commit()
        done += len(lines)
        if progress:
            progress(done, total)


def _settle_chunk(batch_id: int, lines: list, actor_id: int | None) -> None:
    now = utcnow()
    claim_ids = [line.claim_id for line in lines]
    claims = db.session.execute(
        select(
            Claim.id,
            Claim.status,
            Claim.fiscal_year_id,
            Claim.firm_id,
            Claim.support_type,
            Claim.government_share,
            Claim.ticket_id,
        )
        .where(Claim.id.in_(claim_ids))
        .with_for_update()
    ).all()
    approved = {c.id: c for c in claims if c.status == "approved"}
    settled_lines = [line.id for line in lines if line.claim_id in approved]
    skipped_lines = [line.id for line in lines if line.claim_id not in approved]

    usage_moves: dict[tuple[int, int, str], int] = defaultdict(int)
    for claim in approved.values():
        usage_moves[(claim.fiscal_year_id, claim.firm_id, claim.support_type)] += (
            claim.government_share
        )
    # Lock order as in approval: firm usage rows (sorted), then the ledger accounts.
    _move_usage(sorted(usage_moves.items()))
    by_year: dict[int, list] = defaultdict(list)
    for claim in approved.values():
        by_year[claim.fiscal_year_id].append(claim)
    for fiscal_year_id, year_claims in by_year.items():
        _post_settlements(fiscal_year_id, year_claims, batch_id, actor_id, now)

    if approved:
        db.session.execute(
            update(Claim)
            .where(Claim.id.in_(list(approved)), Claim.status == "approved")
            .values(status="settled", settled_at=now, batch_id=batch_id)
            .execution_options(synchronize_session=False)
        )
        _close_tickets([c.ticket_id for c in approved.values()], actor_id, now)
    _mark_lines(settled_lines, "settled")
    _mark_lines(skipped_lines, "skipped")
    amount = sum(c.government_share for c in approved.values())
    db.session.execute(
        update(PayoutBatch)
        .where(PayoutBatch.id == batch_id)
        .values(
            claims_settled=PayoutBatch.claims_settled + len(approved),
            amount=PayoutBatch.amount + amount,
        )
        .execution_options(synchronize_session=False)
    )
    record_event(
        actor_id,
        "ledger.settle",
        "payout_batch",
        batch_id,
        after={"claims": sorted(approved), "amount": amount, "skipped_lines": skipped_lines},
    )


def _move_usage(moves: list[tuple[tuple[int, int, str], int]]) -> None:
    """Reserved → paid for each firm and support type, in one executemany (in order)."""
    if not moves:
        return
    usage = FirmUsage.__table__
    stmt = (
        usage.update()
        .where(
            usage.c.fiscal_year_id == bindparam("fy"),
            usage.c.firm_id == bindparam("firm"),
            usage.c.support_type == bindparam("kind"),
        )
        .values(
            reserved=usage.c.reserved - bindparam("amount"), paid=usage.c.paid + bindparam("amount")
        )
    )
    db.session.connection().execute(
        stmt,
        [
            {"fy": fy, "firm": firm, "kind": kind, "amount": amount}
            for (fy, firm, kind), amount in moves
        ],
    )


def _post_settlements(
    fiscal_year_id: int, claims: list, batch_id: int, actor_id: int | None, now
) -> None:
    """One `settle` transaction per claim, posted in bulk; balances moved once per chunk."""
    accounts = dict(
        db.session.execute(
            select(LedgerAccount.name, LedgerAccount.id).where(
                LedgerAccount.fiscal_year_id == fiscal_year_id
            )
        ).all()
    )
    total = sum(c.government_share for c in claims)
    moved = db.session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == accounts["pool_reserved"], LedgerAccount.balance >= total)
        .values(balance=LedgerAccount.balance - total)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Conflict("pool_reserved would go below zero", reason="ledger_breach")
    db.session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == accounts["paid_out"])
        .values(balance=LedgerAccount.balance + total)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(
        insert(LedgerTransaction).returning(LedgerTransaction.id, LedgerTransaction.claim_id),
        [
            {
                "fiscal_year_id": fiscal_year_id,
                "type": "settle",
                "idempotency_key": f"settle:claim:{c.id}",
                "amount": c.government_share,
                "claim_id": c.id,
                "firm_id": c.firm_id,
                "support_type": c.support_type,
                "batch_id": batch_id,
                "reason": "",
                "actor_id": actor_id,
                "created_at": now,
            }
            for c in claims
        ],
    ).all()
    share = {c.id: c.government_share for c in claims}
    postings = []
    for txn_id, claim_id in rows:
        postings.append(
            {
                "transaction_id": txn_id,
                "account_id": accounts["pool_reserved"],
                "amount": -share[claim_id],
            }
        )
        postings.append(
            {
                "transaction_id": txn_id,
                "account_id": accounts["paid_out"],
                "amount": share[claim_id],
            }
        )
    db.session.execute(insert(Posting), postings)


def _close_tickets(ticket_ids: list[int], actor_id: int | None, now) -> None:
    confirmed = list(
        db.session.scalars(
            select(Ticket.id).where(Ticket.id.in_(ticket_ids), Ticket.status == "confirmed")
        )
    )
    if not confirmed:
        return
    db.session.execute(
        update(Ticket)
        .where(Ticket.id.in_(confirmed))
        .values(status="closed", closed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        insert(TicketHistory),
        [
            {
                "ticket_id": tid,
                "actor_id": actor_id,
                "action": "close",
                "from_status": "confirmed",
                "to_status": "closed",
                "reason": "",
                "details": {"claim": "settled"},
                "created_at": now,
            }
            for tid in confirmed
        ],
    )


def _mark_lines(line_ids: list[int], status: str) -> None:
    if line_ids:
        db.session.execute(
            update(PayoutLine)
            .where(PayoutLine.id.in_(line_ids))
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


def batch_lines(batch_id: int):
    """Rows for the bank-transfer export: line, claim, firm, amount."""
    from aftercare.firms.models import Firm

    return db.session.execute(
        select(
            PayoutLine.id,
            PayoutLine.claim_id,
            PayoutLine.amount,
            PayoutLine.status,
            Firm.id.label("firm_id"),
            Firm.name,
            Firm.registration_number,
            Claim.ticket_id,
        )
        .join(Claim, Claim.id == PayoutLine.claim_id)
        .join(Firm, Firm.id == PayoutLine.firm_id)
        .where(and_(PayoutLine.batch_id == batch_id, PayoutLine.status == "settled"))
        .order_by(PayoutLine.id)
    )


def run_settlement_job() -> dict[str, int]:
    """The 02:00 job settles for the previous day (Asia/Seoul)."""
    batch = settle_for_date(seoul_today() - timedelta(days=1))
    return {"batch_id": batch.id, "claims_settled": batch.claims_settled, "amount": batch.amount}
