"""Evidence review (docs/evidence.md §3): an auditor or manager verifies or disallows lines.

Disallowing a line of an approved claim (or one awaiting its second approval) lowers
its eligible total and its government share by the SPEC formula, and gives the
difference back to the pool with a new `adjust` transaction. The claim's row is
locked first, so two reviewers of one claim take turns: together they never give
back more than the claim reserved.
"""

from __future__ import annotations

from sqlalchemy import select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.claims.services import claim_for, totals_of
from aftercare.db import utcnow
from aftercare.domain import evidence as rules
from aftercare.domain.claim_states import RESERVED_CLAIM_STATUSES
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.money import computed_share, reduced_share
from aftercare.domain.text import N_
from aftercare.extensions import db
from aftercare.ledger import services as ledger
from aftercare.ledger.models import LedgerTransaction
from aftercare.meisters.models import CostLine

REVIEWERS = ("manager", "auditor")
REVIEWABLE = ("pending", *RESERVED_CLAIM_STATUSES)


def review_line(
    actor: User, claim_id: int, line_id: int, status: str, reason: str | None, note: str = ""
) -> Claim:
    """Mark an eligible line `verified` or `disallowed` (with a reason) before settlement."""
    claim = claim_for(actor, claim_id, lock=True)
    if actor.role not in REVIEWERS:
        raise Forbidden("Only auditors and programme managers review evidence")
    if claim.status not in REVIEWABLE:
        raise Conflict(
            N_("Evidence is reviewed only before the claim is settled, rejected or voided."),
            reason="invalid_transition",
            current_status=claim.status,
        )
    line = db.session.get(CostLine, line_id, with_for_update=True)
    if line is None or line.ticket_id != claim.ticket_id:
        raise NotFound("No such cost line on this claim")
    note = (note or "").strip()
    if errors := rules.review_errors(status, reason, note):
        raise ValidationFailed(errors)
    if not line.eligible:
        raise Conflict(
            N_("Only eligible lines are reviewed."),
            reason="line_ineligible",
            current_status=claim.status,
        )
    if line.review_status == "disallowed" and claim.status != "pending":
        raise Conflict(
            N_("A disallowed line of an approved claim stays disallowed: its money is released."),
            reason="already_disallowed",
            current_status=claim.status,
        )
    before = {"line_id": line.id, "review_status": line.review_status}
    line.review_status = status
    line.review_reason = reason if status == "disallowed" else None
    line.review_note = note
    line.reviewed_by_id = actor.id
    line.reviewed_at = utcnow()
    db.session.flush()
    released = _recompute(claim, line, actor) if status == "disallowed" else 0
    record_event(
        actor.id,
        "claim.line_review",
        "claim",
        claim.id,
        before=before,
        after={
            "line_id": line.id,
            "review_status": status,
            "reason": line.review_reason,
            "note": note,
            "eligible_total": claim.eligible_total,
            "government_share": claim.government_share,
            "released": released,
        },
    )
    db.session.commit()
    return claim


def _recompute(claim: Claim, line: CostLine, actor: User) -> int:
    """New totals after `line` was disallowed; release what the share no longer needs."""
    claim.eligible_total, claim.ineligible_total = totals_of(claim.ticket_id)
    if claim.status == "pending":
        return 0
    rule = claim.fiscal_year.type_of(claim.support_type)  # approval found it there
    old = claim.government_share or 0
    new = reduced_share(old, claim.eligible_total, rule.share_rate_bp, rule.rounding_unit)
    claim.computed_share = computed_share(
        claim.eligible_total, rule.share_rate_bp, rule.rounding_unit
    )
    claim.government_share = new
    claim.firm_share = claim.eligible_total - new
    if new < old:
        reason = f"증빙 불인정 (Evidence disallowed): 비용 항목 #{line.id}"
        ledger.adjust(claim, old - new, f"adjust:line:{line.id}", reason, actor.id)
    return old - new


def adjustments_of(claim_id: int) -> list[LedgerTransaction]:
    """The claim's `adjust` transactions, oldest first."""
    return list(
        db.session.scalars(
            select(LedgerTransaction)
            .where(LedgerTransaction.claim_id == claim_id, LedgerTransaction.type == "adjust")
            .order_by(LedgerTransaction.id)
        )
    )
