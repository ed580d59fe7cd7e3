"""Recovery pages (/recovery): the case queue, a case with its timeline and the step its
reader may take, opening a case from settled claims, the restriction register."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from aftercare.auth.login import role_required
from aftercare.claims.models import Claim
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.exports import export_response
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, OnceForm, submit_once
from aftercare.domain import recovery as rules
from aftercare.domain.errors import Conflict, DomainError, ValidationFailed
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms import restrictions
from aftercare.firms.models import Firm, Restriction
from aftercare.recovery import services
from aftercare.recovery.forms import (
    CaseReasonForm,
    DecideForm,
    EvidenceFileForm,
    ObjectionDecisionForm,
    ObjectionForm,
    OpenCaseForm,
    PaymentForm,
    RestrictionForm,
)
from aftercare.recovery.models import RecoveryCase, RecoveryClaim
from aftercare.reports import recovery_rows
from aftercare.tickets.api import send_attachment
from aftercare.tickets.services import PayloadTooLarge, Upload

bp = Blueprint("recovery", __name__, url_prefix="/recovery")

READERS = ("manager", "auditor", "firm")


def _uploads(field) -> list[Upload]:
    return [Upload(f.filename, f.read()) for f in (field.data or []) if f and f.filename]


# ---------------------------------------------------------------- lists


@bp.route("")
@role_required(*READERS)
def index():
    status = request.args.get("status", "")
    stmt = select(RecoveryCase)
    if current_user.role == "firm":
        stmt = stmt.where(RecoveryCase.firm_id == current_user.firm_id)
    if status in rules.STATUSES:
        stmt = stmt.where(RecoveryCase.status == status)
    elif status == "owing":
        stmt = stmt.where(RecoveryCase.status.in_(rules.OWING))
    try:
        page = keyset_page(
            stmt,
            RecoveryCase.id,
            parse_limit(request.args.get("limit")),
            request.args.get("cursor"),
        )
    except ValidationFailed:
        return redirect(url_for("recovery.index"))
    return render_template(
        "recovery/index.html",
        page=page,
        status=status,
        statuses=rules.STATUSES,
        today=seoul_today(),
        totals=recovery_rows.totals(current_user),
    )


@bp.route("/export.<any(csv, xlsx):fmt>")
@role_required(*READERS)
def export(fmt: str):
    return export_response(
        "recovery-cases", fmt, recovery_rows.CASE_HEADER, recovery_rows.case_rows(current_user)
    )


@bp.route("/receivable.<any(csv, xlsx):fmt>")
@role_required("manager", "auditor")
def receivable(fmt: str):
    """Every clawback, revision, recovery and write-off transaction: the receivable's ledger."""
    return export_response(
        "recovery-ledger", fmt, recovery_rows.LEDGER_HEADER, recovery_rows.ledger_rows()
    )


# ---------------------------------------------------------------- opening


def _claim_choices(firm_id: int) -> list[tuple[int, str]]:
    """The firm's settled claims that are in no live case."""
    live = (
        select(RecoveryClaim.claim_id)
        .join(RecoveryCase, RecoveryCase.id == RecoveryClaim.case_id)
        .where(RecoveryCase.status != "dismissed")
    )
    claims = db.session.scalars(
        select(Claim)
        .where(Claim.firm_id == firm_id, Claim.status == "settled", Claim.id.not_in(live))
        .order_by(Claim.id.desc())
        .limit(200)
    )
    return [
        (
            c.id,
            _(
                "Claim #%(id)d · ticket #%(ticket)d · %(paid)s paid",
                id=c.id,
                ticket=c.ticket_id,
                paid=f"{c.government_share or 0:,}원",
            ),
        )
        for c in claims
    ]


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager", "auditor")
def new():
    """Open a case, starting from one settled claim (its firm's other claims may join)."""
    claim = db.get_or_404(Claim, request.args.get("claim_id", type=int) or 0)
    if claim.status != "settled":
        flash(_("Money is recovered on settled claims only."), "warning")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    form = OpenCaseForm(claim_ids=[claim.id])
    form.claim_ids.choices = _claim_choices(claim.firm_id)
    if form.validate_on_submit():

        def open_once() -> Done:
            opening = services.Opening(
                form.claim_ids.data,
                form.grounds.data,
                form.grounds_note.data or "",
                form.amount.data,
            )
            case = services.open_case(current_user, opening, _uploads(form.files))
            return Done(url_for("recovery.detail", case_id=case.id), _("Recovery case opened."))

        try:
            return submit_once(form, open_once)
        except ValidationFailed as error:
            apply_errors(form, error)
        except PayloadTooLarge as error:
            form.files.errors = [*form.files.errors, _(error.message)]
        except Conflict as error:
            flash(_(error.message), "warning")
    status = 422 if request.method == "POST" else 200
    return render_template("recovery/new.html", form=form, claim=claim), status


# ---------------------------------------------------------------- a case


def _case_page(case: RecoveryCase, forms: dict[str, OnceForm] | None = None, status: int = 200):
    given = forms or {}
    defaults = {
        "decide": DecideForm(formdata=None, amount=case.amount),
        "dismiss": CaseReasonForm(formdata=None),
        "files": EvidenceFileForm(formdata=None),
        "objection": ObjectionForm(formdata=None),
        "answer": ObjectionDecisionForm(formdata=None),
        "payment": PaymentForm(formdata=None, amount=case.owed or None, received_on=seoul_today()),
        "write_off": CaseReasonForm(formdata=None),
    }
    today = seoul_today()
    return render_template(
        "recovery/detail.html",
        case=case,
        events=services.events_of(case.id),
        files=services.files_of(case.id),
        payments=services.payments_of(case.id),
        restriction=restrictions.active_restriction(case.firm_id),
        forms=defaults | given,
        today=today,
        overdue=rules.is_overdue(case.status, case.due_on, today),
        objection_deadline=rules.objection_deadline(case.decided_on) if case.decided_on else None,
        may_object=case.decided_on is not None and rules.may_object(case.decided_on, today),
    ), status


@bp.route("/<int:case_id>")
@role_required(*READERS)
def detail(case_id: int):
    return _case_page(services.case_for(current_user, case_id))


def _step(case_id: int, name: str, form: OnceForm, run, message: str):
    """Validate `form`, run the step once, or show the case again with the errors."""
    case = services.case_for(current_user, case_id)
    if form.validate_on_submit():

        def once() -> Done:
            run()
            return Done(url_for("recovery.detail", case_id=case_id), message)

        try:
            return submit_once(form, once)
        except ValidationFailed as error:
            apply_errors(form, error)
        except PayloadTooLarge as error:
            flash(_(error.message), "warning")
        except Conflict as error:
            flash(_(error.message), "warning")
            return redirect(url_for("recovery.detail", case_id=case_id))
    return _case_page(services.case_for(current_user, case.id), {name: form}, 422)


@bp.route("/<int:case_id>/decide", methods=["POST"])
@role_required("manager")
def decide(case_id: int):
    form = DecideForm()
    return _step(
        case_id,
        "decide",
        form,
        lambda: services.decide(
            current_user, case_id, form.amount.data, form.due_on.data, form.note.data or ""
        ),
        _("Decided: the amount is now owed by the firm."),
    )


@bp.route("/<int:case_id>/dismiss", methods=["POST"])
@role_required("manager")
def dismiss(case_id: int):
    form = CaseReasonForm()
    return _step(
        case_id,
        "dismiss",
        form,
        lambda: services.dismiss(current_user, case_id, form.reason.data or ""),
        _("The case is dismissed: nothing is owed."),
    )


@bp.route("/<int:case_id>/files", methods=["POST"])
@role_required("manager", "auditor", "firm")
def add_files(case_id: int):
    form = EvidenceFileForm()
    kind = "objection" if current_user.role == "firm" else "evidence"
    return _step(
        case_id,
        "files",
        form,
        lambda: services.add_files(current_user, case_id, _uploads(form.files), kind),
        _("Files added."),
    )


@bp.route("/<int:case_id>/objection", methods=["POST"])
@role_required("firm")
def object_to(case_id: int):
    form = ObjectionForm()
    return _step(
        case_id,
        "objection",
        form,
        lambda: services.object_to(
            current_user, case_id, form.text.data or "", _uploads(form.files)
        ),
        _("Your objection is filed: a programme manager will answer it."),
    )


@bp.route("/<int:case_id>/objection/decision", methods=["POST"])
@role_required("manager")
def answer_objection(case_id: int):
    form = ObjectionDecisionForm()
    return _step(
        case_id,
        "answer",
        form,
        lambda: services.decide_objection(
            current_user, case_id, form.outcome.data, form.note.data or "", form.amount.data
        ),
        _("The objection is answered."),
    )


@bp.route("/<int:case_id>/payments", methods=["POST"])
@role_required("manager")
def payment(case_id: int):
    form = PaymentForm()
    return _step(
        case_id,
        "payment",
        form,
        lambda: services.record_payment(
            current_user, case_id, form.amount.data, form.received_on.data, form.note.data or ""
        ),
        _("Payment recorded."),
    )


@bp.route("/<int:case_id>/write-off", methods=["POST"])
@role_required("manager")
def write_off(case_id: int):
    form = CaseReasonForm()
    return _step(
        case_id,
        "write_off",
        form,
        lambda: services.write_off(current_user, case_id, form.reason.data or ""),
        _("The rest is written off."),
    )


@bp.route("/files/<int:file_id>")
@role_required(*READERS)
def download(file_id: int):
    try:
        found = services.file_for(current_user, file_id)
    except DomainError:
        abort(404)
    return send_attachment(found)


# ---------------------------------------------------------------- restrictions


@bp.route("/restrictions")
@role_required("manager", "auditor")
def restriction_list():
    firm_name = request.args.get("firm", "")[:200]
    state = request.args.get("state", "")
    stmt = restrictions.restrictions_query(firm_name, state)
    if request.args.get("format") in ("csv", "xlsx"):
        rows = recovery_rows.restriction_rows(stmt)
        return export_response(
            "restrictions", request.args["format"], recovery_rows.RESTRICTION_HEADER, rows
        )
    try:
        page = keyset_page(
            stmt.order_by(None),
            Restriction.id,
            parse_limit(request.args.get("limit")),
            request.args.get("cursor"),
        )
    except ValidationFailed:
        return redirect(url_for("recovery.restriction_list"))
    return render_template(
        "recovery/restrictions.html", page=page, firm=firm_name, state=state, today=seoul_today()
    )


@bp.route("/restrictions/new", methods=["GET", "POST"])
@role_required("manager")
def new_restriction():
    form = RestrictionForm()
    form.firm_id.choices = [
        (f.id, f.name) for f in db.session.scalars(select(Firm).order_by(Firm.name).limit(2000))
    ]
    if form.validate_on_submit():

        def record() -> Done:
            restrictions.record_external(
                current_user,
                form.firm_id.data,
                form.starts_on.data,
                form.years.data,
                form.source_note.data or "",
                form.reason.data or "",
            )
            return Done(url_for("recovery.restriction_list"), _("Restriction recorded."))

        try:
            return submit_once(form, record)
        except ValidationFailed as error:
            apply_errors(form, error)
        except DomainError as error:
            flash(_(error.message), "warning")
    status = 422 if request.method == "POST" else 200
    return render_template("recovery/restriction_new.html", form=form), status
