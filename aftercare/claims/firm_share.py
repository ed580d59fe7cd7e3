"""The firm's own share (자부담, docs/evidence.md §4): recorded by the firm, confirmed by
a manager or auditor, before settlement may pay the claim."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim, FirmPayment
from aftercare.claims.services import claim_for
from aftercare.db import utcnow
from aftercare.domain import evidence as rules
from aftercare.domain.errors import Conflict, Forbidden, ValidationFailed
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today, to_seoul
from aftercare.extensions import db
from aftercare.notifications.services import manager_ids, notify
from aftercare.tickets.services import Upload, check_upload, store_attachment

RECORDERS = ("firm", "manager")  # a manager may record it for the firm, from its papers
CONFIRMERS = ("manager", "auditor")


def payment_of(claim_id: int) -> FirmPayment | None:
    return db.session.scalar(select(FirmPayment).where(FirmPayment.claim_id == claim_id))


def status_of(payment: FirmPayment | None) -> str:
    """none | recorded | confirmed."""
    return payment.status if payment else "none"


def is_overdue(claim: Claim, payment: FirmPayment | None, today: date | None = None) -> bool:
    """Approved, and the share not confirmed within 60 days (managers see it)."""
    if claim.status != "approved" or claim.approved_at is None:
        return False
    approved_on = to_seoul(claim.approved_at).date()
    return rules.firm_payment_overdue(approved_on, status_of(payment), today or seoul_today())


def _approved_claim(actor: User, claim_id: int) -> Claim:
    claim = claim_for(actor, claim_id, lock=True)
    if claim.status != "approved":
        raise Conflict(
            N_("The firm's share is recorded after the claim is approved."),
            reason="invalid_transition",
            current_status=claim.status,
        )
    return claim


def record_payment(
    actor: User,
    claim_id: int,
    amount: int,
    method: str,
    paid_on: date | None,
    upload: Upload | None,
) -> FirmPayment:
    """The firm says it paid its share to the supplier, with a proof file."""
    claim = _approved_claim(actor, claim_id)
    if actor.role not in RECORDERS:
        raise Forbidden("Only the firm or a programme manager records the firm's share")
    payment = payment_of(claim.id)
    if payment is not None and payment.confirmed_at is not None:
        raise Conflict(
            N_("The firm's share is already confirmed."),
            reason="already_confirmed",
            current_status=claim.status,
        )
    errors = rules.firm_payment_errors(
        amount, claim.firm_share or 0, method, paid_on, seoul_today()
    )
    if upload is None:
        errors["file"] = [N_("Attach the proof of payment (PDF, JPEG or PNG).")]
    if errors:
        raise ValidationFailed(errors)
    checked, content_type = check_upload(upload, evidence=True)
    attachment = store_attachment(claim.ticket, actor, checked, content_type, kind="firm_payment")
    before = {"status": status_of(payment)}
    if payment is None:
        payment = FirmPayment(claim_id=claim.id)
        db.session.add(payment)
    payment.amount, payment.method, payment.paid_on = amount, method, paid_on
    payment.attachment_id = attachment.id
    payment.recorded_by_id, payment.recorded_at = actor.id, utcnow()
    db.session.flush()
    record_event(
        actor.id,
        "claim.firm_payment",
        "claim",
        claim.id,
        before=before,
        after={
            "status": "recorded",
            "amount": amount,
            "method": method,
            "paid_on": paid_on.isoformat(),
            "attachment_id": attachment.id,
        },
    )
    db.session.commit()
    return payment


def confirm_payment(actor: User, claim_id: int) -> FirmPayment:
    """A manager or auditor, not the one who recorded it, confirms the firm's payment."""
    claim = _approved_claim(actor, claim_id)
    if actor.role not in CONFIRMERS:
        raise Forbidden("Only auditors and programme managers confirm the firm's share")
    payment = payment_of(claim.id)
    if payment is None or payment.confirmed_at is not None:
        raise Conflict(
            N_("There is no recorded payment of the firm's share to confirm."),
            reason="firm_payment_missing" if payment is None else "already_confirmed",
            current_status=claim.status,
        )
    if payment.recorded_by_id == actor.id:
        raise Conflict(
            N_("You recorded this payment: another person must confirm it."),
            reason="four_eyes",
            current_status=claim.status,
        )
    payment.confirmed_by_id, payment.confirmed_at = actor.id, utcnow()
    record_event(
        actor.id,
        "claim.firm_payment_confirm",
        "claim",
        claim.id,
        before={"status": "recorded"},
        after={"status": "confirmed", "amount": payment.amount},
    )
    db.session.commit()
    return payment


def overdue_claims(now: datetime) -> list[Claim]:
    """Approved claims past the 60 days whose firm share is not confirmed."""
    cutoff = now - timedelta(days=rules.FIRM_PAYMENT_DUE_DAYS)
    confirmed = select(FirmPayment.claim_id).where(FirmPayment.confirmed_at.is_not(None))
    return list(
        db.session.scalars(
            select(Claim)
            .where(
                Claim.status == "approved", Claim.approved_at < cutoff, Claim.id.not_in(confirmed)
            )
            .order_by(Claim.id)
        )
    )


def flag_overdue(now: datetime) -> int:
    """Tell the managers, once per claim, of each firm share overdue (no money moves)."""
    managers = manager_ids()
    claims = overdue_claims(now)
    for claim in claims:
        notify(
            managers,
            "firm_payment_overdue",
            claim.ticket_id,
            claim.ticket.title,
            f"firm_payment_overdue:c{claim.id}",
        )
    db.session.commit()
    return len(claims)
