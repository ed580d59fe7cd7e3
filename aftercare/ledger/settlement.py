"""Settlement (SPEC §6): one payout batch per date, each approved claim settled exactly once.

The batch and its lines are chosen in one transaction; lines are then settled in
chunks, each chunk one database transaction. Killed mid-way, a rerun finds the
open batch and settles what is still queued: nothing is paid twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    DateTime,
    FromClause,
    Insert,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from aftercare.audit.services import record_event
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain import ledger as rules
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
from aftercare.ledger.services import InsufficientBalance, account_ids, move_balances
from aftercare.tickets.services import close_tickets_of_claims
from aftercare.timeutil import seoul_midnight_utc, seoul_today
from aftercare.transactions import LEDGER_TABLES, refresh_statistics

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
        # Lock order as in approval: firm usage rows (sorted), then the ledger accounts.
        _move_usage(chunk, len({(c.fiscal_year_id, c.firm_id, c.support_type) for c in approved}))
        by_year: dict[int, int] = defaultdict(int)
        for claim in approved:
            by_year[claim.fiscal_year_id] += claim.government_share
        for fiscal_year_id, total in sorted(by_year.items()):
            _move_balances(fiscal_year_id, total)
        _post_settlements(chunk, actor_id, now)
        ticket_ids = select(Claim.ticket_id).where(*chunk.approved())
        close_tickets_of_claims(ticket_ids, "settled", actor_id, now)
        db.session.execute(
            update(Claim)
            .where(*chunk.approved())
            .values(status="settled", settled_at=now, batch_id=chunk.batch_id)
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


def _move_usage(chunk: Chunk, rows: int) -> None:
    """Reserved → paid for each firm and support type of the chunk, in one UPDATE.

    PostgreSQL locks the usage rows first, sorted, as approval and earlier
    settlements do; UPDATE .. FROM alone would lock them in the order of its plan.
    """
    moves = (
        select(
            Claim.fiscal_year_id,
            Claim.firm_id,
            Claim.support_type,
            func.sum(Claim.government_share).label("amount"),
        )
        .where(*chunk.approved())
        .group_by(Claim.fiscal_year_id, Claim.firm_id, Claim.support_type)
        .subquery()
    )
    keys = tuple_(FirmUsage.fiscal_year_id, FirmUsage.firm_id, FirmUsage.support_type)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(FirmUsage.id)
            .where(keys.in_(select(moves.c.fiscal_year_id, moves.c.firm_id, moves.c.support_type)))
            .order_by(FirmUsage.fiscal_year_id, FirmUsage.firm_id, FirmUsage.support_type)
            .with_for_update()
        ).all()
    moved = db.session.execute(
        update(FirmUsage)
        .where(
            FirmUsage.fiscal_year_id == moves.c.fiscal_year_id,
            FirmUsage.firm_id == moves.c.firm_id,
            FirmUsage.support_type == moves.c.support_type,
        )
        .values(reserved=FirmUsage.reserved - moves.c.amount, paid=FirmUsage.paid + moves.c.amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != rows:
        raise Conflict("a firm's usage row is missing", reason="ledger_breach")


def _move_balances(fiscal_year_id: int, total: int) -> None:
    """pool_reserved → paid_out for the chunk's claims of one fiscal year."""
    try:
        move_balances(account_ids(fiscal_year_id), rules.legs("settle", total))
    except InsufficientBalance as error:
        raise Conflict("pool_reserved would go below zero", reason="ledger_breach") from error


def _post_settlements(chunk: Chunk, actor_id: int | None, now: datetime) -> None:
    """One `settle` transaction per approved claim of the chunk, with its two postings.

    The postings are built from the transactions just inserted, never by searching
    the ledger: PostgreSQL takes them from the INSERT's RETURNING inside the same
    statement; SQLite, the only writer while it holds the lock, from the ids above
    the largest one before the insert.
    """
    txn = LedgerTransaction.__table__
    add_transactions = insert(txn).from_select(
        [
            "fiscal_year_id",
            "type",
            "idempotency_key",
            "amount",
            "claim_id",
            "firm_id",
            "support_type",
            "batch_id",
            "reason",
            "actor_id",
            "created_at",
        ],
        select(
            Claim.fiscal_year_id,
            literal("settle"),
            literal("settle:claim:") + cast(Claim.id, String),
            Claim.government_share,
            Claim.id,
            Claim.firm_id,
            Claim.support_type,
            literal(chunk.batch_id),
            literal(""),
            literal(actor_id, Integer),
            literal(now, DateTime),
        )
        .where(*chunk.approved())
        .order_by(Claim.id),
    )
    if db.session.get_bind().dialect.name == "postgresql":
        added = add_transactions.returning(txn.c.id, txn.c.fiscal_year_id, txn.c.amount).cte()
        db.session.execute(_postings_of(added))
        return
    before = db.session.scalar(select(func.coalesce(func.max(txn.c.id), 0)))
    db.session.execute(add_transactions)
    added = (
        select(txn.c.id, txn.c.fiscal_year_id, txn.c.amount)
        .where(txn.c.id > before, txn.c.type == "settle")
        .subquery()
    )
    db.session.execute(_postings_of(added))


def _postings_of(added: FromClause) -> Insert:
    """pool_reserved −X, paid_out +X for each transaction of `added` (id, year, amount)."""
    account = LedgerAccount.__table__
    paid = account.c.name == "paid_out"
    return insert(Posting.__table__).from_select(
        ["transaction_id", "account_id", "amount"],
        select(
            added.c.id,
            account.c.id,
            case((paid, added.c.amount), else_=-added.c.amount),
        )
        .join(
            account,
            and_(
                account.c.fiscal_year_id == added.c.fiscal_year_id,
                account.c.name.in_(("pool_reserved", "paid_out")),
            ),
        )
        .order_by(added.c.id, paid),
    )


def _mark_lines(line_ids: list[int], status: str) -> None:
    db.session.execute(
        update(PayoutLine)
        .where(PayoutLine.id.in_(line_ids), PayoutLine.status == "queued")
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
