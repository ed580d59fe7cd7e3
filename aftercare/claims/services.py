"""Claims: creation on confirmation, line eligibility, approval, rejection, void (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import and_, func, select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims import evidence
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain.claim_states import (
    AWAITING_SECOND_APPROVAL,
    first_approval_action,
    next_claim_status,
)
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.money import Share, cost_share, refusal_reason
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger import services as ledger
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount
from aftercare.ledger.queries import fiscal_year_by_year
from aftercare.meisters.models import CostLine
from aftercare.notifications.services import firm_user_ids, notify
from aftercare.tickets.models import Ticket, TicketHistory
from aftercare.tickets.services import transition

REFUSAL_MESSAGES = {
    "share_below_unit": "The computed share is below the rounding unit",
    "firm_cap_exhausted": "The firm's cap for this support type is used up",
    "pool_exhausted": "The programme pool is exhausted",
}
NO_SUCH_TYPE = N_("The fiscal year of approval does not offer this claim's support type")


# ---------------------------------------------------------------- access


def claim_for(actor: User, claim_id: int, lock: bool = False) -> Claim:
    """The claim if `actor` may see it: managers and auditors all, a firm its own (else 404).

    `lock`: a decision's first step, the claim row locked to the commit.
    """
    if actor.role not in ("manager", "auditor", "firm"):
        raise Forbidden("Your role may not see claims")
    lock_claim = {"of": Claim} if lock else None  # the claim's row, not its joined ticket
    claim = db.session.get(Claim, claim_id, with_for_update=lock_claim, populate_existing=lock)
    if claim is None or (actor.role == "firm" and claim.firm_id != actor.firm_id):
        raise NotFound("No such claim")
    return claim


def _manager_claim(actor: User, claim_id: int) -> Claim:
    """The claim a manager decides, locked (the first lock of every money path)."""
    claim = claim_for(actor, claim_id, lock=True)
    if actor.role != "manager":
        raise Forbidden("Only programme managers decide claims")
    return claim


# ---------------------------------------------------------------- totals


def totals_of(ticket_id: int) -> tuple[int, int]:
    """(eligible total, ineligible total) of all cost lines of a ticket's visits.

    A line a reviewer disallowed counts as ineligible (docs/evidence.md §3).
    """
    counts = and_(CostLine.eligible.is_(True), CostLine.review_status != "disallowed")
    rows = db.session.execute(
        select(counts, func.coalesce(func.sum(CostLine.amount), 0))
        .where(CostLine.ticket_id == ticket_id)
        .group_by(counts)
    ).all()
    by_flag = {bool(flag): int(total) for flag, total in rows}
    return by_flag.get(True, 0), by_flag.get(False, 0)


def create_claim(ticket: Ticket, actor: User | None) -> Claim:
    """The pending claim of a confirmed ticket (in the caller's transaction)."""
    eligible, ineligible = totals_of(ticket.id)
    claim = Claim(
        ticket_id=ticket.id,
        firm_id=ticket.firm_id,
        support_type=ticket.support_type,
        status="pending",
        eligible_total=eligible,
        ineligible_total=ineligible,
        created_at=utcnow(),
    )
    db.session.add(claim)
    db.session.flush()
    record_event(
        actor.id if actor else None,
        "claim.create",
        "claim",
        claim.id,
        after={"ticket_id": ticket.id, "eligible_total": eligible, "ineligible_total": ineligible},
    )
    return claim


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    """What a manager sees before approving (SPEC §5)."""

    fiscal_year: int | None
    eligible_total: int
    ineligible_total: int
    computed_share: int
    firm_cap: int
    firm_used: int
    firm_remaining: int
    pool_available: int | None  # None: hidden from firms (the programme's money, not theirs)
    government_share: int
    firm_share: int
    limited_by: str
    refusal: str | None


def _usage(fiscal_year_id: int, firm_id: int, support_type: str) -> tuple[int, int]:
    row = db.session.execute(
        select(FirmUsage.reserved, FirmUsage.paid).where(
            FirmUsage.fiscal_year_id == fiscal_year_id,
            FirmUsage.firm_id == firm_id,
            FirmUsage.support_type == support_type,
        )
    ).first()
    return (row.reserved, row.paid) if row else (0, 0)


def _pool_available(fiscal_year_id: int) -> LedgerAccount:
    return db.session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.fiscal_year_id == fiscal_year_id, LedgerAccount.name == "pool_available"
        )
    )


def approval_year() -> FiscalYear | None:
    """The open fiscal year of today's date in Seoul (a claim belongs to its approval year)."""
    fiscal_year = fiscal_year_by_year(seoul_today().year)
    return fiscal_year if fiscal_year is not None and fiscal_year.is_open else None


def preview(claim: Claim) -> Figures | None:
    """The figures approval would use now (None when no fiscal year is open)."""
    fiscal_year = approval_year()
    if fiscal_year is None:
        return None
    rule = fiscal_year.type_of(claim.support_type)
    if rule is None:
        return None
    reserved, paid = _usage(fiscal_year.id, claim.firm_id, claim.support_type)
    cap = rule.cap
    pool = _pool_available(fiscal_year.id).balance
    share = cost_share(
        claim.eligible_total, rule.share_rate_bp, rule.rounding_unit, cap - reserved - paid, pool
    )
    return _figures(fiscal_year, claim, share, cap, reserved + paid, pool)


def preview_for(actor: User, claim: Claim) -> Figures | None:
    """The preview of a pending claim as `actor` may see it: a firm never sees the pool."""
    figures = preview(claim) if claim.status == "pending" else None
    if figures is not None and actor.role == Role.FIRM:
        figures = replace(figures, pool_available=None)
    return figures


def _figures(
    fiscal_year: FiscalYear, claim: Claim, share: Share, cap: int, used: int, pool: int
) -> Figures:
    return Figures(
        fiscal_year=fiscal_year.year,
        eligible_total=claim.eligible_total,
        ineligible_total=claim.ineligible_total,
        computed_share=share.computed_share,
        firm_cap=cap,
        firm_used=used,
        firm_remaining=max(cap - used, 0),
        pool_available=pool,
        government_share=share.government_share,
        firm_share=share.firm_share,
        limited_by=share.limited_by,
        refusal=refusal_reason(share),
    )


# ---------------------------------------------------------------- decisions


def approve_claim(actor: User, claim_id: int) -> Claim:
    """Approve a pending claim, or give an awaiting one its second approval (SPEC §11).

    The first approval reserves the share (never past the pool or the firm's cap); at or
    above the year's `second_approval_from` the claim then awaits another manager.
    """
    claim = _manager_claim(actor, claim_id)
    if claim.status == AWAITING_SECOND_APPROVAL:
        return _approve_second(actor, claim)
    next_claim_status("approve", claim.status)
    _refuse_conflict_of_interest(actor, claim)
    _refuse_without_evidence(claim)
    fiscal_year = approval_year()
    if fiscal_year is None:
        raise Conflict(
            "No fiscal year is open for today", reason="no_fiscal_year", current_status=claim.status
        )
    rule = fiscal_year.type_of(claim.support_type)
    if rule is None:
        raise Conflict(NO_SUCH_TYPE, reason="support_type_missing", current_status=claim.status)
    room = ledger.headroom(fiscal_year.id, claim.firm_id, claim.support_type)
    share = cost_share(
        claim.eligible_total,
        rule.share_rate_bp,
        rule.rounding_unit,
        rule.cap - room.firm_used,
        room.pool_available,
    )
    if reason := refusal_reason(share):
        raise Conflict(REFUSAL_MESSAGES[reason], reason=reason, current_status=claim.status)
    action = first_approval_action(share.government_share, fiscal_year.second_approval_from)
    status = next_claim_status(action, claim.status)
    now = utcnow()
    claim.status = status
    claim.fiscal_year = fiscal_year
    claim.computed_share = share.computed_share
    claim.government_share = share.government_share
    claim.firm_share = share.firm_share
    claim.limited_by = share.limited_by
    claim.first_approved_by_id = claim.decided_by_id = actor.id
    claim.first_approved_at = claim.decided_at = now
    if status == "approved":
        claim.approved_at = now
        _notify_firm(claim, "claim_approved")
    # The pool moves last before the audit event: its row is held from there to the commit.
    ledger.reserve(fiscal_year, claim, share.government_share, actor.id)
    record_event(
        actor.id,
        "claim.approve" if status == "approved" else "claim.approve_first",
        "claim",
        claim.id,
        before={"status": "pending"},
        after={
            "status": status,
            "fiscal_year": fiscal_year.year,
            "government_share": share.government_share,
            "firm_share": share.firm_share,
            "limited_by": share.limited_by,
            "first_approved_by": actor.id,
            "second_approval_from": fiscal_year.second_approval_from,
        },
    )
    db.session.commit()
    return claim


def _approve_second(actor: User, claim: Claim) -> Claim:
    """Another manager's approval of a claim awaiting it; the share is already reserved."""
    if claim.first_approved_by_id == actor.id:
        raise Conflict(
            N_("The second approval must come from another manager."),
            reason="four_eyes",
            current_status=claim.status,
        )
    _refuse_conflict_of_interest(actor, claim)
    status = next_claim_status("approve_second", claim.status)
    now = utcnow()
    claim.status = status
    claim.second_approved_by_id = claim.decided_by_id = actor.id
    claim.approved_at = claim.decided_at = now  # settlement counts from here
    _notify_firm(claim, "claim_approved")
    record_event(
        actor.id,
        "claim.approve_second",
        "claim",
        claim.id,
        before={"status": AWAITING_SECOND_APPROVAL},
        after={
            "status": status,
            "government_share": claim.government_share,
            "first_approved_by": claim.first_approved_by_id,
            "second_approved_by": actor.id,
        },
    )
    db.session.commit()
    return claim


def conflict_of_interest(actor: User, claim: Claim) -> str | None:
    """Why `actor` may not approve `claim` (SPEC §11), or None.

    The manager who filed the ticket for the firm, accepted it at triage with an
    eligibility override, or (last) changed one of its lines' eligibility.
    """
    ticket = claim.ticket
    if ticket.created_by_id == actor.id:
        return "filed_ticket"
    if ticket.override_reason and _overrode_triage(actor.id, ticket.id):
        return "triage_override"
    changed_line = db.session.scalar(
        select(CostLine.id)
        .where(
            CostLine.ticket_id == claim.ticket_id, CostLine.eligibility_changed_by_id == actor.id
        )
        .limit(1)
    )
    return "line_eligibility" if changed_line is not None else None


def _overrode_triage(actor_id: int, ticket_id: int) -> bool:
    details = db.session.scalars(
        select(TicketHistory.details).where(
            TicketHistory.ticket_id == ticket_id,
            TicketHistory.action == "triage_accept",
            TicketHistory.actor_id == actor_id,
        )
    ).all()
    return any((d or {}).get("override") for d in details)


CONFLICT_MESSAGES = {
    "filed_ticket": N_("You filed this ticket for the firm: another manager must approve it."),
    "triage_override": N_(
        "You accepted this ticket with an eligibility override: another manager must approve it."
    ),
    "line_eligibility": N_(
        "You changed a cost line's eligibility on this claim: another manager must approve it."
    ),
}


def _refuse_conflict_of_interest(actor: User, claim: Claim) -> None:
    if why := conflict_of_interest(actor, claim):
        raise Conflict(
            CONFLICT_MESSAGES[why], reason="conflict_of_interest", current_status=claim.status
        )


def _refuse_without_evidence(claim: Claim) -> None:
    """Every eligible line needs its invoice, payment and a file; no invoice counts twice."""
    lines = evidence.lines_of(claim)
    if missing := evidence.missing_by_line(lines):
        raise Conflict(
            N_("Some eligible cost lines lack their evidence: add it or mark them ineligible."),
            reason="evidence_missing",
            current_status=claim.status,
            lines=[{"line_id": line_id, "missing": lacks} for line_id, lacks in missing.items()],
        )
    if twice := evidence.duplicates_of(lines, counted_only=True):
        raise Conflict(
            N_("A tax invoice on this claim is already counted: it cannot be eligible twice."),
            reason="duplicate_invoice",
            current_status=claim.status,
            lines=[{"line_id": line_id, "duplicate_of": ids} for line_id, ids in twice.items()],
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [N_("Give a reason.")]})
    return reason


def reject_claim(actor: User, claim_id: int, reason: str) -> Claim:
    """Refuse a pending claim, or one awaiting its second approval (its reservation goes
    back to the pool); the ticket closes."""
    claim = _manager_claim(actor, claim_id)
    before = claim.status
    status = next_claim_status("reject", before)
    reason = _require_reason(reason)
    released = 0
    if before == AWAITING_SECOND_APPROVAL:
        released = claim.government_share or 0
        ledger.release(claim, reason, actor.id)
    _decide(claim, status, reason, actor)
    record_event(
        actor.id,
        "claim.reject",
        "claim",
        claim.id,
        before={"status": before, "first_approved_by": claim.first_approved_by_id},
        after={"status": status, "reason": reason, "released": released},
    )
    _close_ticket(claim, actor, reason)
    _notify_firm(claim, "claim_rejected")
    db.session.commit()
    return claim


def void_claim(actor: User, claim_id: int, reason: str) -> Claim:
    """Void an approved claim: release its reservation back to the pool."""
    claim = _manager_claim(actor, claim_id)
    status = next_claim_status("void", claim.status)
    reason = _require_reason(reason)
    ledger.release(claim, reason, actor.id)
    _decide(claim, status, reason, actor)
    record_event(
        actor.id,
        "claim.void",
        "claim",
        claim.id,
        before={"status": "approved"},
        after={"status": status, "released": claim.government_share or 0, "reason": reason},
    )
    _close_ticket(claim, actor, reason)
    db.session.commit()
    return claim


def _decide(claim: Claim, status: str, reason: str, actor: User) -> None:
    claim.status = status
    claim.reason = reason
    claim.decided_at = utcnow()
    claim.decided_by_id = actor.id


def _notify_firm(claim: Claim, kind: str) -> None:
    """Tell the firm's users of a decision (a claim is decided once: its id keys it)."""
    users = firm_user_ids(claim.firm_id)
    if users:
        notify(users, kind, claim.ticket_id, claim.ticket.title, f"{kind}:c{claim.id}")


def _close_ticket(claim: Claim, actor: User | None, reason: str) -> None:
    ticket = db.session.get(Ticket, claim.ticket_id, with_for_update={"of": Ticket})
    if ticket.status == "confirmed":
        transition(ticket, actor, "close", reason, {"claim_id": claim.id, "claim": claim.status})
        ticket.closed_at = utcnow()


def set_line_eligibility(
    actor: User, claim_id: int, line_id: int, eligible: bool, reason: str
) -> Claim:
    """Change a cost line's eligibility (pending claims only, with a reason)."""
    claim = _manager_claim(actor, claim_id)
    if claim.status != "pending":
        raise Conflict(
            "Line eligibility changes only while the claim is pending",
            reason="invalid_transition",
            current_status=claim.status,
        )
    line = db.session.get(CostLine, line_id)
    if line is None or line.ticket_id != claim.ticket_id:
        raise NotFound("No such cost line on this claim")
    reason = _require_reason(reason)
    before = line.eligible
    line.eligible = bool(eligible)
    line.eligibility_changed_by_id = actor.id  # may then approve neither step (SPEC §11)
    db.session.flush()
    claim.eligible_total, claim.ineligible_total = totals_of(claim.ticket_id)
    record_event(
        actor.id,
        "claim.line_eligibility",
        "claim",
        claim.id,
        before={"line_id": line.id, "eligible": before},
        after={
            "line_id": line.id,
            "eligible": line.eligible,
            "reason": reason,
            "eligible_total": claim.eligible_total,
        },
    )
    db.session.commit()
    return claim
