"""Four eyes on money actions (SPEC §11): budget additions, voids and manual settlement
runs are requests one manager makes and another confirms or refuses.

Confirming performs the action as the confirmer, in the same transaction as the
request's decision (a settlement, which commits chunk by chunk, is the exception: the
request is decided first, then the batch runs; a rerun of the date resumes it).
The scheduled 02:00 settlement is no person's decision and stays automatic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import select

from aftercare.approvals.models import ApprovalRequest
from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.services import claim_for, void_claim
from aftercare.db import DEFER_COMMIT, utcnow
from aftercare.domain.claim_states import next_claim_status
from aftercare.domain.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger import services as ledger
from aftercare.ledger.models import FiscalYear
from aftercare.payouts.settlement import settle_for_date

KINDS = ("budget", "void", "settlement")
STATUSES = ("pending", "confirmed", "refused")


def _require_manager(actor: User) -> None:
    if actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers ask for or decide money actions")


def _reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({field: [N_("Give a reason.")]})
    return reason


# ---------------------------------------------------------------- asking


def request_budget(actor: User, year: int, amount: int, reason: str) -> ApprovalRequest:
    """Ask for `amount` won more in `year`'s pool (a `fund` once another manager confirms)."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or not 0 < amount <= ledger.MONEY_MAX:
        errors["amount"] = ["Amount must be a positive number of won."]
    if not (reason or "").strip():
        errors["reason"] = [N_("Give a reason.")]
    if errors:
        raise ValidationFailed(errors)
    if db.session.scalar(select(FiscalYear.id).where(FiscalYear.year == year)) is None:
        raise NotFound("No such fiscal year")
    return _create(actor, "budget", {"year": year, "amount": amount, "reason": reason.strip()})


def request_void(actor: User, claim_id: int, reason: str) -> ApprovalRequest:
    """Ask for an approved claim to be voided (its reservation released on confirmation)."""
    claim = claim_for(actor, claim_id)
    _require_manager(actor)
    next_claim_status("void", claim.status)
    payload = {"claim_id": claim.id, "reason": _reason(reason), "amount": claim.government_share}
    return _create(actor, "void", payload)


def request_settlement(actor: User, day: date | None = None) -> ApprovalRequest:
    """Ask for the settlement of `day` (default today, Asia/Seoul) to run now."""
    _require_manager(actor)
    day = day or seoul_today()
    if day > seoul_today():
        raise ValidationFailed({"date": ["The settlement date cannot be in the future."]})
    return _create(actor, "settlement", {"date": day.isoformat()})


def _create(actor: User, kind: str, payload: dict[str, Any]) -> ApprovalRequest:
    request = ApprovalRequest(
        kind=kind, payload=payload, status="pending", requested_by_id=actor.id, reason=""
    )
    request.requested_at = utcnow()
    db.session.add(request)
    db.session.flush()
    record_event(
        actor.id,
        "approval_request.create",
        "approval_request",
        request.id,
        after={"kind": kind, "payload": payload, "requested_by": actor.id},
    )
    db.session.commit()
    return request


# ---------------------------------------------------------------- deciding


def request_for(actor: User, request_id: int) -> ApprovalRequest:
    """A request as managers and auditors see it (others: 403)."""
    if actor.role not in (Role.MANAGER, Role.AUDITOR):
        raise Forbidden("Your role may not see approval requests")
    request = db.session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound("No such approval request")
    return request


def _decidable(actor: User, request_id: int) -> ApprovalRequest:
    """The pending request, locked; refused to its own requester (four eyes)."""
    request_for(actor, request_id)
    _require_manager(actor)
    request = db.session.get(
        ApprovalRequest,
        request_id,
        with_for_update={"of": ApprovalRequest},  # the request's row, not its joined users
        populate_existing=True,
    )
    if request.status != "pending":
        raise InvalidTransition(
            N_("This request has already been decided."), current_status=request.status
        )
    if request.requested_by_id == actor.id:
        raise Conflict(
            N_("Another manager must decide this request."),
            reason="four_eyes",
            current_status=request.status,
        )
    return request


def _decide(request: ApprovalRequest, actor: User, status: str, reason: str = "") -> None:
    request.status = status
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.reason = reason


def _audit(request: ApprovalRequest, action: str) -> None:
    record_event(
        request.decided_by_id,
        f"approval_request.{action}",
        "approval_request",
        request.id,
        before={"status": "pending", "requested_by": request.requested_by_id},
        after={
            "status": request.status,
            "kind": request.kind,
            "payload": request.payload,
            "requested_by": request.requested_by_id,
            "decided_by": request.decided_by_id,
            "reason": request.reason,
            "result": request.result,
        },
    )


def refuse_request(actor: User, request_id: int, reason: str) -> ApprovalRequest:
    """Another manager refuses the request, with a reason; nothing else changes."""
    request = _decidable(actor, request_id)
    _decide(request, actor, "refused", _reason(reason))
    _audit(request, "refuse")
    db.session.commit()
    return request


@contextmanager
def _commits_deferred() -> Iterator[None]:
    """The action's own commit only flushes: the request's decision commits with it."""
    session = db.session()
    outer = session.info.get(DEFER_COMMIT)
    session.info[DEFER_COMMIT] = True
    try:
        yield
    finally:
        if outer is None:
            session.info.pop(DEFER_COMMIT, None)
        else:
            session.info[DEFER_COMMIT] = outer


def confirm_request(actor: User, request_id: int) -> ApprovalRequest:
    """Another manager confirms: the action runs now, as the confirmer."""
    request = _decidable(actor, request_id)
    if request.kind == "settlement":
        return _confirm_settlement(actor, request)
    _decide(request, actor, "confirmed")
    with _commits_deferred():
        request.result = _perform(actor, request)
    _audit(request, "confirm")
    db.session.commit()
    return request


def _perform(actor: User, request: ApprovalRequest) -> dict[str, Any]:
    payload = request.payload
    if request.kind == "budget":
        key = f"fund:{payload['year']}:request:{request.id}"
        txn = ledger.add_budget(actor, payload["year"], payload["amount"], payload["reason"], key)
        return {"transaction_id": txn.id, "amount": txn.amount}
    claim = void_claim(actor, payload["claim_id"], payload["reason"])
    return {"claim_id": claim.id, "status": claim.status, "released": claim.government_share or 0}


def _confirm_settlement(actor: User, request: ApprovalRequest) -> ApprovalRequest:
    """Decide first (one commit), then settle the date; its batch is idempotent per date."""
    request_id = request.id
    _decide(request, actor, "confirmed")
    _audit(request, "confirm")
    db.session.commit()
    batch = settle_for_date(date.fromisoformat(request.payload["date"]), actor_id=actor.id)
    result = {
        "batch_id": batch.id,
        "date": batch.batch_date.isoformat(),
        "status": batch.status,
        "claims_settled": batch.claims_settled,
        "amount": batch.amount,
    }
    request = db.session.get(ApprovalRequest, request_id)
    request.result = result
    db.session.commit()
    return request
