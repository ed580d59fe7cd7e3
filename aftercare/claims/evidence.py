"""What evidence a claim's lines lack, and invoices used twice (docs/evidence.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from aftercare.claims.models import Claim
from aftercare.domain.claim_states import RESERVED_CLAIM_STATUSES
from aftercare.domain.evidence import missing_evidence
from aftercare.extensions import db
from aftercare.meisters.evidence import evidence_files
from aftercare.meisters.models import CostLine
from aftercare.tickets.models import Attachment

# Claims whose lines no longer count: their invoices may be used again.
DEAD_CLAIM_STATUSES = ("rejected", "voided")
# Claims whose lines' money is already reserved or paid.
COUNTED_CLAIM_STATUSES = (*RESERVED_CLAIM_STATUSES, "settled")


def lines_of(claim: Claim) -> list[CostLine]:
    """The claim's cost lines in order, with their suppliers."""
    return list(
        db.session.scalars(
            select(CostLine)
            .where(CostLine.ticket_id == claim.ticket_id)
            .options(selectinload(CostLine.supplier))
            .order_by(CostLine.id)
        )
    )


def missing_by_line(lines: list[CostLine]) -> dict[int, list[str]]:
    """Eligible line id → what it lacks (invoice, payment, evidence_file); complete lines absent."""
    counts = dict(
        db.session.execute(
            select(Attachment.cost_line_id, func.count())
            .where(
                Attachment.cost_line_id.in_([line.id for line in lines]),
                Attachment.kind == "evidence",
            )
            .group_by(Attachment.cost_line_id)
        ).all()
    )
    missing = {}
    for line in lines:
        if not line.counts:
            continue
        has_invoice = bool(line.invoice_number and line.supplier_id)
        if lacks := missing_evidence(has_invoice, line.payment_method, counts.get(line.id, 0)):
            missing[line.id] = lacks
    return missing


def duplicates_of(lines: list[CostLine], counted_only: bool = False) -> dict[int, list[int]]:
    """Line id → other claims' or lines' ids that use the same supplier and invoice number.

    Every eligible, not disallowed line with an invoice is compared with the same
    invoice on any other such line whose claim is alive (not rejected or voided; a
    ticket not yet confirmed has no claim and counts). `counted_only`: only lines of
    claims whose share is reserved or paid, or of the same ticket (approval refuses those).
    """
    other = aliased(CostLine)
    ours = [line for line in lines if line.counts and line.invoice_number and line.supplier_id]
    if not ours:
        return {}
    other_claim = aliased(Claim)
    same_ticket = other.ticket_id == ours[0].ticket_id
    alive = (
        or_(same_ticket, other_claim.status.in_(COUNTED_CLAIM_STATUSES))
        if counted_only
        else or_(other_claim.id.is_(None), other_claim.status.not_in(DEAD_CLAIM_STATUSES))
    )
    rows = db.session.execute(
        select(other.id, other.supplier_id, other.invoice_number)
        .outerjoin(other_claim, other_claim.ticket_id == other.ticket_id)
        .where(
            or_(
                *(
                    and_(
                        other.supplier_id == line.supplier_id,
                        other.invoice_number == line.invoice_number,
                    )
                    for line in ours
                )
            ),
            other.eligible.is_(True),
            other.review_status != "disallowed",
            alive,
        )
    ).all()
    found: dict[int, list[int]] = {}
    for line in ours:
        same = [
            row.id
            for row in rows
            if row.id != line.id
            and (row.supplier_id, row.invoice_number) == (line.supplier_id, line.invoice_number)
        ]
        if same:
            found[line.id] = same
    return found


@dataclass
class LineFlags:
    """A line as the claim page and API show it: its files and what is wrong."""

    line: CostLine
    files: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    duplicate_of: list[int] = field(default_factory=list)


def lines_with_flags(claim: Claim) -> list[LineFlags]:
    lines = lines_of(claim)
    files = evidence_files([line.id for line in lines])
    missing = missing_by_line(lines)
    duplicates = duplicates_of(lines)
    return [
        LineFlags(
            line, files.get(line.id, []), missing.get(line.id, []), duplicates.get(line.id, [])
        )
        for line in lines
    ]
