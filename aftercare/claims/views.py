"""Claim pages: the approval queue, a claim's figures and lines, decisions."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from aftercare.approvals import services as approvals
from aftercare.auth.login import role_required
from aftercare.claims import evidence, firm_share, review, services
from aftercare.claims.forms import (
    ApproveForm,
    ConfirmPaymentForm,
    FirmPaymentForm,
    LineEligibilityForm,
    ReviewForm,
)
from aftercare.claims.models import Claim
from aftercare.core.errors import render_error_page
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.exports import export_response
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.core.web.templating import won
from aftercare.domain.errors import Conflict, ValidationFailed
from aftercare.ledger.queries import current_fiscal_year, firm_usage
from aftercare.meisters.models import CostLine
from aftercare.recovery import services as recovery
from aftercare.reports import settlement_report
from aftercare.reports.rows import CLAIM_COLUMNS, claim_rows
from aftercare.tickets.forms import ReasonForm
from aftercare.tickets.services import PayloadTooLarge, Upload

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


@bp.route("/review")
@role_required("manager", "auditor")
def review_queue():
    """Claims with eligible lines no one has reviewed yet, oldest first."""
    stmt = select(Claim).where(
        Claim.status.in_(review.REVIEWABLE),
        Claim.ticket_id.in_(
            select(CostLine.ticket_id).where(
                CostLine.eligible.is_(True), CostLine.review_status == "pending"
            )
        ),
    )
    try:
        page = keyset_page(
            stmt, Claim.id, parse_limit(request.args.get("limit")), request.args.get("cursor")
        )
    except ValidationFailed:
        return redirect(url_for("claims.review_queue"))
    return render_template("claims/review_queue.html", page=page)


@bp.route("/<int:claim_id>")
@role_required(*VIEWERS)
def detail(claim_id: int):
    claim = services.claim_for(current_user, claim_id)
    return _detail_page(claim)


def _detail_page(claim: Claim, payment_form: FirmPaymentForm | None = None, status: int = 200):
    payment = firm_share.payment_of(claim.id)
    if payment_form is None:
        payment_form = FirmPaymentForm(formdata=None, amount=claim.firm_share, paid_on=None)
    flags = evidence.lines_with_flags(claim)
    year = claim.fiscal_year or services.approval_year()
    return render_template(
        "claims/detail.html",
        claim=claim,
        flags=flags,
        missing_any=any(f.missing for f in flags),
        figures=services.preview_for(current_user, claim),
        year=year,
        rule=year.type_of(claim.support_type) if year else None,
        approve_form=ApproveForm(),
        line_form=LineEligibilityForm(),
        review_form=ReviewForm(),
        payment=payment,
        payment_status=firm_share.status_of(payment),
        payment_overdue=firm_share.is_overdue(claim, payment),
        payment_form=payment_form,
        confirm_form=ConfirmPaymentForm(),
        adjustments=review.adjustments_of(claim.id),
        reviewable=claim.status in review.REVIEWABLE,
        recovery_cases=recovery.cases_of_claim(claim.id),
    ), status


@bp.route("/<int:claim_id>/report.pdf")
@role_required(*VIEWERS)
def report_pdf(claim_id: int):
    """The claim's 정산보고서 (A4 PDF)."""
    from aftercare.reports import settlement_pdf  # fpdf loads with the first report

    claim = services.claim_for(current_user, claim_id)
    try:
        data = settlement_pdf.claim_report_pdf(settlement_report.claim_report(claim))
    except settlement_report.FontMissing:
        return render_error_page(503, _("The Korean font for PDF reports is not installed."))
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"settlement-report-claim-{claim.id}.pdf",
        max_age=0,
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


@bp.route("/<int:claim_id>/lines/<int:line_id>/review", methods=["POST"])
@role_required("manager", "auditor")
def review_line(claim_id: int, line_id: int):
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("Choose a decision for the line."), "danger")
        return _back(claim_id)
    try:
        claim = review.review_line(
            current_user,
            claim_id,
            line_id,
            form.status.data,
            form.reason.data or None,
            form.note.data or "",
        )
    except ValidationFailed as error:
        for messages in error.errors.values():
            for message in messages:
                flash(_(message), "danger")
    except Conflict as error:
        flash(_(error.message), "warning")
    else:
        flash(_review_message(claim, form.status.data), "success")
    return _back(claim_id)


def _review_message(claim: Claim, status: str) -> str:
    if status == "verified":
        return _("Line verified.")
    if claim.status == "pending":
        return _(
            "Line disallowed: the eligible total is now %(total)s.", total=won(claim.eligible_total)
        )
    return _(
        "Line disallowed: the government share is now %(share)s; the difference went back "
        "to the pool.",
        share=won(claim.government_share),
    )


@bp.route("/<int:claim_id>/firm-payment", methods=["POST"])
@role_required("firm", "manager")
def firm_payment(claim_id: int):
    claim = services.claim_for(current_user, claim_id)
    form = FirmPaymentForm()
    if not form.validate_on_submit():
        return _detail_page(claim, form, 422)

    def record() -> Done:
        given = form.file.data
        upload = Upload(given.filename, given.read()) if given and given.filename else None
        firm_share.record_payment(
            current_user, claim_id, form.amount.data, form.method.data, form.paid_on.data, upload
        )
        return Done(
            url_for("claims.detail", claim_id=claim_id),
            _("Payment recorded: a programme manager or auditor will confirm it."),
        )

    try:
        return submit_once(form, record)
    except (ValidationFailed, PayloadTooLarge) as error:
        if isinstance(error, ValidationFailed):
            apply_errors(form, error)
        else:
            form.file.errors = [*form.file.errors, _(error.message)]
        return _detail_page(services.claim_for(current_user, claim_id), form, 422)
    except Conflict as error:
        flash(_(error.message), "warning")
    return _back(claim_id)


@bp.route("/<int:claim_id>/firm-payment/confirm", methods=["POST"])
@role_required("manager", "auditor")
def confirm_firm_payment(claim_id: int):
    def confirm() -> Done:
        firm_share.confirm_payment(current_user, claim_id)
        return Done(
            url_for("claims.detail", claim_id=claim_id),
            _("The firm's share is confirmed: settlement may pay this claim."),
        )

    try:
        return submit_once(ConfirmPaymentForm(), confirm)
    except Conflict as error:
        flash(_(error.message), "warning")
    return _back(claim_id)
