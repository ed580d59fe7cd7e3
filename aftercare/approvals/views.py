"""Approval request pages: the requests waiting for a second manager, confirm or refuse.

GET       /approvals                    index     pending (or by status), newest first
GET, POST /approvals/<id>/confirm       confirm   a confirmation page, then the action
GET, POST /approvals/<id>/refuse        refuse    with a reason
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from aftercare.approvals import services
from aftercare.approvals.models import ApprovalRequest
from aftercare.auth.login import role_required
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.core.web.templating import won
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.extensions import db
from aftercare.ledger.forms import ConfirmForm
from aftercare.payouts.models import PayoutBatch
from aftercare.tickets.forms import ReasonForm

bp = Blueprint("approvals", __name__, url_prefix="/approvals")

KIND_LABELS = {
    "budget": _l("Budget addition"),
    "void": _l("Claim void"),
    "settlement": _l("Settlement run"),
    "account": _l("New account"),
    "password": _l("Password reset"),
}
REQUEST_STATUS_LABELS = {
    "pending": _l("Waiting for a second person"),
    "confirmed": _l("Confirmed"),
    "refused": _l("Refused"),
}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"KIND_LABELS": KIND_LABELS, "REQUEST_STATUS_LABELS": REQUEST_STATUS_LABELS}


@bp.route("")
@role_required("manager", "auditor", "admin")
def index():
    status = request.args.get("status", "pending")
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.kind.in_(services.kinds_seen_by(current_user.role))
    )
    if status in services.STATUSES:
        stmt = stmt.where(ApprovalRequest.status == status)
    try:
        page = keyset_page(
            stmt,
            ApprovalRequest.id,
            parse_limit(request.args.get("limit")),
            request.args.get("cursor"),
        )
    except ValidationFailed:
        return redirect(url_for("approvals.index"))
    return render_template(
        "approvals/index.html", page=page, status=status, statuses=services.STATUSES
    )


def _refused(error: DomainError):
    db.session.rollback()
    flash(_(error.message), "warning")
    return redirect(url_for("approvals.index"))


@bp.route("/<int:request_id>/confirm", methods=["GET", "POST"])
@role_required("manager", "admin")
def confirm(request_id: int):
    """GET asks (the request, who asked); POST performs the action as the confirmer."""
    approval = services.request_for(current_user, request_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        settlement = approval.kind == "settlement"
        batch_existed = settlement and _batch_exists(approval.payload["date"])

        def confirm_once() -> Done:
            confirmed = services.confirm_request(current_user, request_id)
            url = (
                url_for("ledger.batch", batch_id=confirmed.result["batch_id"])
                if settlement
                else url_for("approvals.index")
            )
            return Done(url, _done_message(confirmed, batch_existed))

        try:
            # a settlement commits chunk by chunk (its batch is idempotent per date)
            return submit_once(form, confirm_once, one_transaction=not settlement)
        except DomainError as error:
            return _refused(error)
    return render_template("approvals/decide.html", approval=approval, form=form, action="confirm")


def _batch_exists(day: str) -> bool:
    batch_date = date.fromisoformat(day)
    return (
        db.session.scalar(select(PayoutBatch.id).where(PayoutBatch.batch_date == batch_date))
        is not None
    )


def _done_message(approval: ApprovalRequest, batch_existed: bool) -> str:
    """What the confirmation did, in the words the direct actions used."""
    result, payload = approval.result or {}, approval.payload
    if approval.kind == "budget":
        return _(
            "%(amount)s added to the fiscal year %(year)d pool.",
            amount=won(payload["amount"]),
            year=payload["year"],
        )
    if approval.kind == "void":
        return _("Claim voided; its reservation was released.")
    if approval.kind == "account":
        return _("Account %(email)s created.", email=payload["email"])
    if approval.kind == "password":
        return _(
            "Password of %(email)s reset; they must choose a new one at their next sign-in.",
            email=payload["email"],
        )
    figures = {
        "id": result["batch_id"],
        "date": result["date"],
        "count": result["claims_settled"],
        "amount": won(result["amount"]),
    }
    if batch_existed:
        return _(
            "Batch #%(id)d for %(date)s had already run; it is unchanged "
            "(%(count)d claims, %(amount)s).",
            **figures,
        )
    return _("Batch #%(id)d for %(date)s: %(count)d claims settled, %(amount)s.", **figures)


@bp.route("/<int:request_id>/refuse", methods=["GET", "POST"])
@role_required("manager", "admin")
def refuse(request_id: int):
    approval = services.request_for(current_user, request_id)
    form = ReasonForm()
    if request.method == "POST":

        def refuse_once() -> Done:
            services.refuse_request(current_user, request_id, form.reason.data or "")
            message = _("Request #%(id)d refused.", id=request_id)
            return Done(url_for("approvals.index"), message)

        try:
            return submit_once(form, refuse_once)
        except ValidationFailed as error:
            apply_errors(form, error)
        except DomainError as error:
            return _refused(error)
    return render_template("approvals/decide.html", approval=approval, form=form, action="refuse")
