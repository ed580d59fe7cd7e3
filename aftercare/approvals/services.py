"""Four eyes (SPEC §11): budget additions, voids and manual settlement runs are requests
one manager makes and another confirms or refuses; a manager, auditor or admin account,
and the reset of such a password, are requests one admin makes and another confirms.
An admin never decides a money request, nor a manager an account request.

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
from aftercare.auth import services as auth
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
from aftercare.domain.vocab import PRIVILEGED_ROLES, Role
from aftercare.extensions import db
from aftercare.ledger import services as ledger
from aftercare.ledger.models import FiscalYear
from aftercare.payouts.settlement import settle_for_date, waiting_count

MONEY_KINDS = ("budget", "void", "settlement")
ACCOUNT_KINDS = ("account", "password")
KINDS = MONEY_KINDS + ACCOUNT_KINDS
STATUSES = ("pending", "confirmed", "refused")


def deciding_role(kind: str) -> Role:
    """Who asks for and decides a request of this kind (never someone of another role)."""
    return Role.ADMIN if kind in ACCOUNT_KINDS else Role.MANAGER


def kinds_seen_by(role: str) -> tuple[str, ...]:
    """Managers and auditors see money requests; admins see account requests."""
    if role == Role.ADMIN:
        return ACCOUNT_KINDS
    return MONEY_KINDS if role in (Role.MANAGER, Role.AUDITOR) else ()


def _require_manager(actor: User) -> None:
    if actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers ask for or decide money actions")


def _require_role_for(actor: User, kind: str) -> None:
    if deciding_role(kind) == Role.ADMIN:
        if actor.role != Role.ADMIN:
            raise Forbidden("Only administrators decide account requests")
    else:
        _require_manager(actor)


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


def add_user(actor: User, **details: Any) -> User | ApprovalRequest:
    """An admin adds a user: firm and Meister accounts at once; a manager, auditor or
    admin account as a request another admin confirms (the account exists only then)."""
    if actor.role != Role.ADMIN or details.get("role") not in PRIVILEGED_ROLES:
        return auth.create_user(actor, **details)
    email = auth.normalize_email(details.get("email") or "")
    name, role = (details.get("name") or "").strip(), details["role"]
    language = details.get("language") or "ko"
    password = details.get("password") or ""
    auth.check_new_user(email, name, password, role, details.get("firm_id"), language)
    payload = {"email": email, "name": name, "role": role, "language": language}
    return _create(actor, "account", payload, password_hash=auth.hash_password(password))


def reset_user_password(actor: User, user_id: int, password: str) -> User | ApprovalRequest:
    """An admin resets a password: a firm's or Meister's at once; a manager's, auditor's
    or admin's as a request another admin confirms."""
    user, password_hash = auth.new_password_hash(actor, user_id, password)
    if user.role not in PRIVILEGED_ROLES:
        return auth.reset_password(actor, user_id, password)
    payload = {"user_id": user.id, "email": user.email, "role": user.role}
    return _create(actor, "password", payload, password_hash=password_hash)


def _create(
    actor: User, kind: str, payload: dict[str, Any], password_hash: str | None = None
) -> ApprovalRequest:
    request = ApprovalRequest(
        kind=kind,
        payload=payload,
        status="pending",
        requested_by_id=actor.id,
        reason="",
        password_hash=password_hash,
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
    """A request as its deciders see it: money ones managers and auditors, account ones
    admins (others: 403)."""
    if not kinds_seen_by(actor.role):
        raise Forbidden("Your role may not see approval requests")
    request = db.session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound("No such approval request")
    if request.kind not in kinds_seen_by(actor.role):
        raise Forbidden("Your role may not see this approval request")
    return request


def _decidable(actor: User, request_id: int) -> ApprovalRequest:
    """The pending request, locked; refused to its own requester (four eyes)."""
    _require_role_for(actor, request_for(actor, request_id).kind)
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
            N_("Another administrator must decide this request.")
            if request.kind in ACCOUNT_KINDS
            else N_("Another manager must decide this request."),
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
    if request.kind == "account":
        user = auth.create_confirmed_user(
            actor, request.requested_by_id, payload, request.password_hash
        )
        return {"user_id": user.id}
    if request.kind == "password":
        user = auth.apply_confirmed_reset(
            actor, request.requested_by_id, payload["user_id"], request.password_hash
        )
        return {"user_id": user.id}
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
        "waiting": waiting_count(),  # approved claims not paid yet: evidence or firm share
    }
    request = db.session.get(ApprovalRequest, request_id)
    request.result = result
    db.session.commit()
    return request
