"""Settlement (SPEC §6): one payout batch per date, each approved claim settled exactly once.

The batch and its lines are chosen in one transaction; lines are then settled in
chunks, each chunk one database transaction. Killed mid-way, a rerun finds the
open batch and settles what is still queued: nothing is paid twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    Select,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from aftercare.audit.services import record_event
from aftercare.claims.models import Claim, FirmPayment
from aftercare.core.transactions import LEDGER_TABLES, refresh_statistics
from aftercare.db import utcnow
from aftercare.domain.claim_states import next_claim_status
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.evidence import settlement_wait_reason
from aftercare.domain.time import seoul_midnight_utc, seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.ledger import services as ledger
from aftercare.meisters.models import CostLine
from aftercare.payouts.models import PayoutBatch, PayoutLine
from aftercare.tickets.services import close_tickets_of_claims

CHUNK = 5000


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
            ).where(
                Claim.status == "approved",
                Claim.approved_at < cutoff,
                ~already_queued,
                *ready_to_pay(),
            ),
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
    after = 0  # every line up to here is settled or skipped: later chunks start past it
    while True:
        queued = (
            select(PayoutLine.id)
            .where(
                PayoutLine.batch_id == batch_id,
                PayoutLine.status == "queued",
                PayoutLine.id > after,
            )
            .order_by(PayoutLine.id)
            .limit(CHUNK)
            .subquery()
        )
        last, count = db.session.execute(select(func.max(queued.c.id), func.count())).one()
        if last is None:
            db.session.rollback()
            return
        _settle_chunk(Chunk(batch_id, after, last), actor_id)
        db.session.commit()
        after = last
        done += count
        if progress:
            progress(done, total)


@dataclass(frozen=True)
class Chunk:
    """The queued lines of a batch with `after` < id ≤ `last`, settled in one transaction."""

    batch_id: int
    after: int
    last: int

    def claim_ids(self) -> Select:
        """The chunk's claim ids, as a subquery: each statement works on the whole set."""
        return select(PayoutLine.claim_id).where(*self.lines())

    def lines(self) -> tuple:
        return (
            PayoutLine.batch_id == self.batch_id,
            PayoutLine.status == "queued",
            PayoutLine.id > self.after,
            PayoutLine.id <= self.last,
        )

    def approved(self) -> tuple:
        """Approved claims of the chunk (valid until the claims are marked settled)."""
        return (Claim.id.in_(self.claim_ids()), Claim.status == "approved")


def _settle_chunk(chunk: Chunk, actor_id: int | None) -> None:
    """Settle one chunk with a fixed number of set-based statements.

    No statement carries a row per claim: rows are copied inside the database
    (INSERT .. SELECT, UPDATE .. WHERE id IN (subquery)), so the cost per claim is
    the database's own, not the driver's or the ORM's.
    """
    now = utcnow()
    # Lock the claims (in id order) and the lines: a concurrent void waits, and a
    # concurrent run of the same batch finds these lines no longer queued.
    claims = db.session.execute(
        select(
            Claim.id,
            Claim.status,
            Claim.fiscal_year_id,
            Claim.firm_id,
            Claim.support_type,
            Claim.government_share,
            PayoutLine.id.label("line_id"),
        )
        .join(PayoutLine, PayoutLine.claim_id == Claim.id)
        .where(*chunk.lines())
        .order_by(Claim.id)
        .with_for_update(of=[Claim, PayoutLine])
    ).all()
    approved = [c for c in claims if c.status == "approved"]
    skipped_lines = sorted(c.line_id for c in claims if c.status != "approved")
    if approved:
        ledger.settle(chunk.approved(), chunk.batch_id, actor_id, now)
        settled = next_claim_status("settle", "approved")
        ticket_ids = select(Claim.ticket_id).where(*chunk.approved())
        close_tickets_of_claims(ticket_ids, settled, actor_id, now)
        db.session.execute(
            update(Claim)
            .where(*chunk.approved())
            .values(status=settled, settled_at=now, batch_id=chunk.batch_id)
            .execution_options(synchronize_session=False)
        )
    if skipped_lines:
        _mark_lines(skipped_lines, "skipped")
    db.session.execute(
        update(PayoutLine)
        .where(*chunk.lines())
        .values(status="settled")
        .execution_options(synchronize_session=False)
    )
    amount = sum(c.government_share for c in approved)
    db.session.execute(
        update(PayoutBatch)
        .where(PayoutBatch.id == chunk.batch_id)
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
        chunk.batch_id,
        after={
            "claims": [c.id for c in approved],
            "amount": amount,
            "skipped_lines": skipped_lines,
        },
    )


def _mark_lines(line_ids: list[int], status: str) -> None:
    db.session.execute(
        update(PayoutLine)
        .where(PayoutLine.id.in_(line_ids), PayoutLine.status == "queued")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def _unreviewed_claims() -> Select:
    """Tickets with an eligible line no reviewer has decided on yet."""
    return select(CostLine.ticket_id).where(
        CostLine.eligible.is_(True), CostLine.review_status == "pending"
    )


def _confirmed_payments() -> Select:
    return select(FirmPayment.claim_id).where(FirmPayment.confirmed_at.is_not(None))


def ready_to_pay() -> tuple:
    """WHERE conditions of an approved claim settlement may pay (docs/evidence.md §5):
    every eligible line reviewed and the firm's own share confirmed."""
    return (Claim.ticket_id.not_in(_unreviewed_claims()), Claim.id.in_(_confirmed_payments()))


@dataclass(frozen=True)
class Waiting:
    """An approved claim settlement does not pay yet, and why."""

    claim_id: int
    ticket_id: int
    firm_id: int
    firm_name: str
    government_share: int
    approved_at: object
    reason: str  # review_pending | firm_payment_missing


def waiting(limit: int | None = None) -> list[Waiting]:
    """Approved claims that wait for their review or their firm's share, oldest first."""
    unreviewed = Claim.ticket_id.in_(_unreviewed_claims())
    stmt = (
        select(
            Claim.id,
            Claim.ticket_id,
            Claim.firm_id,
            Firm.name,
            Claim.government_share,
            Claim.approved_at,
            unreviewed.label("unreviewed"),
            Claim.id.in_(_confirmed_payments()).label("confirmed"),
        )
        .join(Firm, Firm.id == Claim.firm_id)
        .where(Claim.status == "approved", or_(unreviewed, Claim.id.not_in(_confirmed_payments())))
        .order_by(Claim.approved_at, Claim.id)
        .limit(limit)
    )
    return [
        Waiting(
            row.id,
            row.ticket_id,
            row.firm_id,
            row.name,
            row.government_share,
            row.approved_at,
            settlement_wait_reason(
                not row.unreviewed, "confirmed" if row.confirmed else "recorded"
            ),
        )
        for row in db.session.execute(stmt)
    ]


def waiting_count() -> int:
    return db.session.scalar(
        select(func.count(Claim.id)).where(
            Claim.status == "approved",
            or_(Claim.ticket_id.in_(_unreviewed_claims()), Claim.id.not_in(_confirmed_payments())),
        )
    )


def batch_lines(batch_id: int):
    """Rows for the bank-transfer export: line, claim, firm, amount."""

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
    """The 02:00 job settles for the previous day (Asia/Seoul); some claims may wait."""
    batch = settle_for_date(seoul_today() - timedelta(days=1))
    return {
        "batch_id": batch.id,
        "claims_settled": batch.claims_settled,
        "amount": batch.amount,
        "waiting": waiting_count(),
    }
