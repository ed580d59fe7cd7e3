"""Claim pages: the approval queue, a claim's figures and lines, decisions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from aftercare.approvals import services as approvals
from aftercare.auth.login import role_required
from aftercare.claims import services
from aftercare.claims.forms import ApproveForm, LineEligibilityForm
from aftercare.claims.models import Claim
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.exports import export_response
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.domain.errors import Conflict, ValidationFailed
from aftercare.ledger.queries import current_fiscal_year, firm_usage
from aftercare.reports.rows import CLAIM_COLUMNS, claim_rows
from aftercare.tickets.forms import ReasonForm

bp = Blueprint("claims", __name__, url_prefix="/claims")

STATUSES = ("pending", "awaiting_second_approval", "approved", "rejected", "settled", "voided")
VIEWERS = ("manager", "auditor", "firm")


@bp.route("")
@role_required(*VIEWERS)
def index():
    status = request.args.get("status")
    if status is None and current_user.role == "manager":
        status = "pending"  # the approval queue
    stmt = select(Claim)
    if current_user.role == "firm":
        stmt = stmt.where(Claim.firm_id == current_user.firm_id)
    if status in STATUSES:
        stmt = stmt.where(Claim.status == status)
    try:
        page = keyset_page(
            stmt, Claim.id, parse_limit(request.args.get("limit")), request.args.get("cursor")
        )
    except ValidationFailed:
        return redirect(url_for("claims.index"))
    usage = None
    if current_user.role == "firm":
        usage = firm_usage(current_user.firm_id, current_fiscal_year())
    return render_template(
        "claims/index.html", page=page, status=status or "", statuses=STATUSES, usage=usage
    )


@bp.route("/export.<any(csv, xlsx):fmt>")
@role_required(*VIEWERS)
def export(fmt: str):
    status = request.args.get("status")
    rows = claim_rows(current_user, status if status in STATUSES else None)
    return export_response("claims", fmt, CLAIM_COLUMNS, rows)


@bp.route("/<int:claim_id>")
@role_required(*VIEWERS)
def detail(claim_id: int):
    claim = services.claim_for(current_user, claim_id)
    return render_template(
        "claims/detail.html",
        claim=claim,
        lines=services.lines_of(claim),
        figures=services.preview_for(current_user, claim),
        year=claim.fiscal_year or services.approval_year(),
        approve_form=ApproveForm(),
        line_form=LineEligibilityForm(),
    )


def _back(claim_id: int):
    return redirect(url_for("claims.detail", claim_id=claim_id))


@bp.route("/<int:claim_id>/approve", methods=["POST"])
@role_required("manager")
def approve(claim_id: int):
    def approve_once() -> Done:
        claim = services.approve_claim(current_user, claim_id)
        return Done(url_for("claims.detail", claim_id=claim_id), _approval_message(claim))

    try:
        return submit_once(ApproveForm(), approve_once)
    except Conflict as error:
        flash(_("Approval refused: %(why)s", why=_(error.message)), "warning")
    return _back(claim_id)


def _approval_message(claim: Claim) -> str:
    share = f"{claim.government_share:,}원"
    if claim.status == "awaiting_second_approval":
        return _(
            "First approval recorded: %(share)s reserved from the pool. Another manager "
            "must approve it too.",
            share=share,
        )
    if claim.second_approved_by_id is not None:
        return _("Second approval recorded: the claim is approved (%(share)s).", share=share)
    return _("Approved: %(share)s reserved from the pool.", share=share)


def _decision_page(claim_id: int, action: str, run, done: str | None):
    claim = services.claim_for(current_user, claim_id)
    form = ReasonForm()
    if request.method == "POST":

        def decide() -> Done:
            result = run(current_user, claim_id, form.reason.data or "")
            url = url_for("claims.detail", claim_id=claim_id)
            return Done(url, done or _void_requested(result.id))

        try:
            return submit_once(form, decide)
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            flash(_(error.message), "warning")
            return _back(claim_id)
    return render_template("claims/decide.html", claim=claim, form=form, action=action)


@bp.route("/<int:claim_id>/reject", methods=["GET", "POST"])
@role_required("manager")
def reject(claim_id: int):
    return _decision_page(claim_id, "reject", services.reject_claim, _("Claim rejected."))


@bp.route("/<int:claim_id>/void", methods=["GET", "POST"])
@role_required("manager")
def void(claim_id: int):
    """Asks for the void: another manager confirms it on the approval requests page."""
    return _decision_page(claim_id, "void", approvals.request_void, None)


def _void_requested(request_id: int) -> str:
    return _(
        "Request #%(id)d to void this claim is waiting for another manager's confirmation.",
        id=request_id,
    )


@bp.route("/<int:claim_id>/lines/<int:line_id>", methods=["POST"])
@role_required("manager")
def line(claim_id: int, line_id: int):
    form = LineEligibilityForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for changing the line."), "danger")
        return _back(claim_id)
    try:
        services.set_line_eligibility(
            current_user, claim_id, line_id, form.eligible.data, form.reason.data
        )
    except (Conflict, ValidationFailed) as error:
        flash(_(error.message), "warning")
    else:
        flash(_("Line updated; the figures were recalculated."), "success")
    return _back(claim_id)
