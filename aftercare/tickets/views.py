"""Ticket pages: list, filing, detail timeline, triage, cancel, extend, comments, files,
assignment, the Meister's work (accept, decline, visits, resolve) and the firm's sign-off."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from aftercare.choices.fields import filter_id
from aftercare.claims import signoff
from aftercare.core.pagination import parse_limit
from aftercare.core.web.exports import export_response
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.labels import STATUS_LABELS
from aftercare.core.web.once import Done, submit_once
from aftercare.core.web.templating import query_args
from aftercare.domain.bulk import MAX_ID, MAX_SELECTION
from aftercare.domain.eligibility import eligibility_findings
from aftercare.domain.errors import Conflict, DomainError, InvalidTransition, ValidationFailed
from aftercare.domain.money import DEFAULT_ELIGIBLE
from aftercare.domain.states import CATEGORIES, SEVERITIES, Status, allowed_actions
from aftercare.domain.time import seoul_today
from aftercare.firms.restrictions import active_restriction
from aftercare.meisters import assignment, bulk, visits
from aftercare.meisters.visits import visits_of
from aftercare.reports.rows import TICKET_COLUMNS, ticket_rows
from aftercare.tickets import queries, services
from aftercare.tickets.api import send_attachment
from aftercare.tickets.bulk_forms import BulkActionForm
from aftercare.tickets.forms import (
    AttachmentForm,
    CommentForm,
    ReasonForm,
    TicketForm,
    TriageForm,
    set_asset_choices,
    set_support_type_choices,
)
from aftercare.tickets.models import Ticket
from aftercare.tickets.work_forms import AssignForm, ConfirmWorkForm, SummaryForm, VisitForm

bp = Blueprint("tickets", __name__)
WRITERS = ("firm", "meister", "manager")  # auditors read, never write


@bp.before_request
@login_required
def _signed_in() -> None:
    if current_user.role == "admin":
        abort(403)


def _uploads(file_storages) -> list[services.Upload]:
    return [
        services.Upload(f.filename or "", f.read()) for f in file_storages or [] if f and f.filename
    ]


def _flash_domain_error(error: DomainError) -> None:
    """A service's refusal as flash messages: each field's message; a refused
    transition with the ticket's status; any other refusal in its own words."""
    if isinstance(error, ValidationFailed):
        for messages in error.errors.values():
            for message in messages:
                flash(_(message), "danger")
    elif isinstance(error, InvalidTransition):
        status = error.current_status
        label = STATUS_LABELS.get(status, status)
        flash(_("This cannot be done now: the ticket is %(status)s.", status=label), "warning")
    elif isinstance(error, Conflict):
        flash(_(error.message) or _("This cannot be done now."), "warning")
    else:
        flash(_(error.message), "danger")


@bp.route("/tickets")
def index():
    """The ticket list: filters, rows, bulk controls (managers), pager."""
    try:
        filters = queries.TicketFilters.from_args(request.args, filter_id)
        limit = parse_limit(request.args.get("limit"))
        page = queries.ticket_page(current_user, filters, limit, request.args.get("cursor"))
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("tickets.index"))
    manager = current_user.role == "manager"
    return render_template(
        "tickets/index.html",
        page=page,
        filters=filters,
        statuses=[s.value for s in Status],
        categories=CATEGORIES,
        severities=SEVERITIES,
        # no Meister select here: with hundreds of Meisters it cost more than the tickets
        bulk_form=_bulk_form([]) if manager else None,
        bulk_statuses=BULK_STATUSES,
    )


@bp.route("/tickets/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The filtered list as CSV (UTF-8 with BOM) or XLSX, streamed."""
    filters = queries.TicketFilters.from_args(request.args, filter_id)
    return export_response("tickets", fmt, TICKET_COLUMNS, ticket_rows(current_user, filters))


@bp.route("/tickets/new", methods=["GET", "POST"])
def new():
    if current_user.role not in ("firm", "manager"):
        abort(403)
    form = TicketForm()
    set_asset_choices(
        form, current_user.firm_id if current_user.role == "firm" else form.firm_id.data
    )
    if form.validate_on_submit():
        data = {
            "firm_id": form.firm_id.data,
            "asset_id": form.asset_id.data,
            "category": form.category.data,
            "severity": form.severity.data,
            "title": form.title.data,
            "system": form.system.data,
            "description": form.description.data,
            "tags": form.tags.data,
        }

        def file() -> Done:
            ticket = services.file_ticket(current_user, data, _uploads(form.files.data))
            return Done(
                url_for("tickets.detail", ticket_id=ticket.id),
                _("Ticket #%(id)d filed. The programme office will triage it.", id=ticket.id),
            )

        try:
            return submit_once(form, file)
        except ValidationFailed as error:
            apply_errors(form, error)
            if "file" in error.errors:
                form.files.errors = [*form.files.errors, *(_(m) for m in error.errors["file"])]
        except services.PayloadTooLarge:
            form.files.errors = [*form.files.errors, _("The file is too large.")]
    return render_template("tickets/new.html", form=form)


# What the detail page shows beside the ticket, loaded with it.
DETAIL_OPTIONS = (joinedload(Ticket.meister), joinedload(Ticket.asset))


@bp.route("/tickets/<int:ticket_id>")
def detail(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id, options=DETAIL_OPTIONS)
    findings = None
    triage_form = None
    if current_user.role == "manager" and ticket.status == "submitted":
        firm = ticket.firm
        findings = eligibility_findings(
            firm.size,
            firm.built_year,
            firm.policy_fund_year,
            ticket.support_type,
            seoul_today().year,
        )
        triage_form = TriageForm(support_type=ticket.support_type)
        set_support_type_choices(triage_form, ticket.support_type)
    restriction = None
    if current_user.role in ("manager", "auditor", "firm") and ticket.status == "submitted":
        restriction = active_restriction(ticket.firm_id)
    return render_template(
        "tickets/detail.html",
        ticket=ticket,
        timeline=queries.timeline(ticket.id),
        actions=allowed_actions(ticket.status, current_user.role),
        findings=findings,
        restriction=restriction,
        triage_form=triage_form,
        comment_form=CommentForm(),
        attachment_form=AttachmentForm(),
        reason_form=ReasonForm(),
        visit_list=visits_of(ticket.id),
        claim=queries.claim_summary(ticket.id),
    )


def _back(ticket_id: int):
    return redirect(url_for("tickets.detail", ticket_id=ticket_id))


@bp.route("/tickets/<int:ticket_id>/triage", methods=["POST"])
def triage(ticket_id: int):
    form = TriageForm()
    try:
        services.triage_ticket(
            current_user,
            ticket_id,
            form.decision.data,
            reason=form.reason.data or "",
            override_reason=form.override_reason.data or "",
            support_type=form.support_type.data or None,
        )
    except (ValidationFailed, Conflict) as error:
        _flash_domain_error(error)
    else:
        flash(_("Triage saved."), "success")
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/cancel", methods=["GET", "POST"])
def cancel(ticket_id: int):
    """GET shows the confirmation; POST cancels."""
    ticket = services.ticket_for(current_user, ticket_id)
    if current_user.role not in ("firm", "manager"):
        abort(403)
    return _reason_page(
        ticket,
        "cancel",
        services.cancel_ticket,
        _("Ticket cancelled."),
        "tickets/confirm.html",
    )


@bp.route("/tickets/<int:ticket_id>/extend", methods=["GET", "POST"])
def extend(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    if current_user.role != "manager":
        abort(403)
    return _reason_page(
        ticket,
        "extend",
        services.extend_project,
        _("Project deadline extended by 2 months."),
        "tickets/confirm.html",
    )


@bp.route("/tickets/<int:ticket_id>/comments", methods=["POST"])
def comment(ticket_id: int):
    services.ticket_for(current_user, ticket_id)
    if current_user.role not in WRITERS:
        abort(403)
    form = CommentForm()

    def add() -> Done:
        services.add_comment(current_user, ticket_id, form.body.data or "")
        return Done(url_for("tickets.detail", ticket_id=ticket_id), _("Comment added."))

    try:
        return submit_once(form, add)
    except ValidationFailed as error:
        _flash_domain_error(error)
    return _back(ticket_id)


@bp.route("/tickets/<int:ticket_id>/attachments", methods=["POST"])
def attach(ticket_id: int):
    services.ticket_for(current_user, ticket_id)
    if current_user.role not in WRITERS:
        abort(403)
    form = AttachmentForm()
    uploads = _uploads(form.files.data)
    if not uploads:
        flash(_("Choose a file first."), "warning")
    for upload in uploads:
        try:
            services.add_attachment(current_user, ticket_id, upload)
        except (ValidationFailed, services.PayloadTooLarge) as error:
            _flash_domain_error(error)
    return _back(ticket_id)


@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    return send_attachment(services.attachment_for(current_user, attachment_id))


# ---------------------------------------------------------------- bulk actions (managers)

BULK_STATUSES = ("submitted", "triaged")  # rows a bulk action can apply to get a checkbox


def _require_manager() -> None:
    if current_user.role != "manager":
        abort(403)


def _meister_choices() -> list[tuple[int, str]]:
    return [
        (m.meister_id, _("%(name)s (%(load)d of %(max)d tickets)", name=m.name, load=m.load,
                         max=m.max_load))
        for m in bulk.active_meisters()
    ]  # fmt: skip


def _bulk_form(choices: list[tuple[int, str]] | None = None) -> BulkActionForm:
    form = BulkActionForm()
    meisters = choices if choices is not None else _meister_choices()
    form.meister_id.choices = [("", _("Choose a Meister")), *meisters]
    return form


def _checked_bulk_request(form: BulkActionForm) -> bulk.BulkRequest | None:
    """The checked request, or None with the errors shown on the form."""
    if not form.validate():
        return None
    try:
        return bulk.check_request(current_user, form.to_request())
    except ValidationFailed as error:
        apply_errors(form, error)
        return None


def _bulk_page(form: BulkActionForm, checked: bulk.BulkRequest | None):
    """The confirmation page, or the form again with its errors (nothing changed)."""
    if checked:
        ids = checked.ticket_ids
    else:
        ids = [i for i in dict.fromkeys(form.ticket_ids.data or []) if 1 <= i <= MAX_ID]
        ids = ids if len(ids) <= MAX_SELECTION else []  # over the cap: only the error
    return render_template(
        "tickets/bulk.html",
        form=form,
        checked=checked,
        ids=ids,
        tickets=bulk.selected_tickets(ids),
        meister_label=dict(form.meister_id.choices).get(checked.meister_id) if checked else None,
    )


@bp.route("/tickets/bulk", methods=["GET", "POST"])
def bulk_review():
    """Show the selected tickets and the action for confirmation; nothing changes yet."""
    if request.method == "GET":  # e.g. after switching language: back to the list
        return redirect(url_for("tickets.index", **query_args()))
    _require_manager()
    form = _bulk_form()
    checked = _checked_bulk_request(form)
    if checked is None and _meister_still_to_choose(form):
        form.meister_id.errors = []  # asked for on this page, not a mistake
    return _bulk_page(form, checked)


def _meister_still_to_choose(form: BulkActionForm) -> bool:
    """An assignment posted from the list page, whose form has no Meister select."""
    return form.action.data == "assign" and "meister_id" not in request.form


@bp.route("/tickets/bulk/apply", methods=["GET", "POST"])
def bulk_apply():
    """Apply the confirmed action to each ticket on its own and report the outcome."""
    if request.method == "GET":
        return redirect(url_for("tickets.index", **query_args()))
    _require_manager()
    form = _bulk_form()
    checked = _checked_bulk_request(form)
    if checked is None:
        return _bulk_page(form, None)
    outcome = bulk.run_bulk(current_user, checked)
    return render_template(
        "tickets/bulk_result.html",
        outcome=outcome,
        action=checked.action,
        failures=[(f.ticket_id, _bulk_reason(f)) for f in outcome.failed],
    )


def _bulk_reason(failure: bulk.Failure) -> str:
    params = dict(failure.params)
    if "status" in params:
        params["status"] = str(STATUS_LABELS.get(params["status"], params["status"]))
    return _(failure.message, **params)


# ---------------------------------------------------------------- the Meister's work and sign-off


# ---------------------------------------------------------------- assignment


@bp.route("/tickets/<int:ticket_id>/assign", methods=["GET", "POST"])
def assign(ticket_id: int):
    ticket = services.ticket_for(current_user, ticket_id)
    if current_user.role != "manager":
        abort(403)
    form = AssignForm()
    if form.validate_on_submit():
        try:
            assignment.assign_meister(
                current_user, ticket_id, form.meister_id.data, form.force_reason.data or ""
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            if error.reason in ("meister_at_max_load", "meister_declined"):
                form.force_reason.errors = [*form.force_reason.errors, _(error.message)]
            else:
                _flash_domain_error(error)
                return _back(ticket_id)
        else:
            flash(_("Meister assigned."), "success")
            return _back(ticket_id)
    suggestions = assignment.suggest_meisters(current_user, ticket_id)
    return render_template("work/assign.html", ticket=ticket, form=form, suggestions=suggestions)


# ---------------------------------------------------------------- the Meister's work


@bp.route("/tickets/<int:ticket_id>/accept", methods=["POST"])
def accept(ticket_id: int):
    try:
        visits.accept_ticket(current_user, ticket_id)
    except (Conflict, ValidationFailed) as error:
        _flash_domain_error(error)
    else:
        flash(_("You accepted the ticket."), "success")
    return _back(ticket_id)


ACTION_ROLES = {"decline": "meister", "reopen": "firm", "resolve": "meister", "confirm": "firm"}


def _ticket_for_action(ticket_id: int, action: str):
    """The visible ticket, or 403 when the user's role can never take `action`."""
    ticket = services.ticket_for(current_user, ticket_id)
    if current_user.role != ACTION_ROLES[action]:
        abort(403)
    return ticket


def _reason_page(
    ticket: Ticket,
    action: str,
    run: Callable[..., object],
    done_message: str,
    template: str = "work/reason.html",
):
    """GET: a confirmation page asking for a reason; POST: run the action."""
    form = ReasonForm()
    if request.method == "POST":
        try:
            run(current_user, ticket.id, form.reason.data or "")
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            _flash_domain_error(error)
            return _back(ticket.id)
        else:
            flash(done_message, "success")
            return _back(ticket.id)
    return render_template(template, ticket=ticket, form=form, action=action)


@bp.route("/tickets/<int:ticket_id>/decline", methods=["GET", "POST"])
def decline(ticket_id: int):
    return _reason_page(
        _ticket_for_action(ticket_id, "decline"),
        "decline",
        visits.decline_ticket,
        _("You declined the ticket."),
    )


@bp.route("/tickets/<int:ticket_id>/reopen", methods=["GET", "POST"])
def reopen(ticket_id: int):
    return _reason_page(
        _ticket_for_action(ticket_id, "reopen"),
        "reopen",
        signoff.reopen_ticket,
        _("The ticket was reopened."),
    )


def _lines_from(form: VisitForm) -> list[dict]:
    return [
        {
            "kind": entry.form.kind.data,
            "description": entry.form.description.data or "",
            "quantity": entry.form.quantity.data,
            "unit_price": entry.form.unit_price.data,
        }
        for entry in form.lines.entries
        if not entry.form.is_blank()
    ]


def _totals(lines: list[dict]) -> dict[str, int]:
    eligible = ineligible = 0
    for line in lines:
        if isinstance(line["quantity"], int) and isinstance(line["unit_price"], int):
            amount = line["quantity"] * line["unit_price"]
            if DEFAULT_ELIGIBLE.get(line["kind"], False):
                eligible += amount
            else:
                ineligible += amount
    return {"eligible": eligible, "ineligible": ineligible, "total": eligible + ineligible}


@bp.route("/tickets/<int:ticket_id>/visits/new", methods=["GET", "POST"])
def new_visit(ticket_id: int):
    """The visit form; 'add a line' and 'remove' are submit buttons, so no JavaScript is needed."""
    ticket = services.ticket_for(current_user, ticket_id)
    if current_user.role != "meister":
        abort(403)
    form = VisitForm()
    if request.method == "GET":
        form.visited_on.data = seoul_today()
    elif "add_line" in request.form:
        form.lines.append_entry()
    elif "remove_line" in request.form:
        index = request.form.get("remove_line", type=int)
        entries = form.lines.entries
        if index is not None and 0 <= index < len(entries):
            entries.pop(index)
    elif form.validate_on_submit():

        def log() -> Done:
            visits.log_visit(
                current_user, ticket_id, form.visited_on.data, form.hours.data,
                form.notes.data or "", _lines_from(form),
            )  # fmt: skip
            return Done(
                url_for("tickets.detail", ticket_id=ticket_id),
                _("Visit logged. Enter each cost line's tax invoice and evidence below."),
            )

        try:
            return submit_once(form, log)
        except ValidationFailed as error:
            apply_errors(form, error)
            for key, messages in error.errors.items():
                if key.startswith("cost_lines."):
                    form.form_errors.extend(_(m) for m in messages)
        except Conflict as error:
            _flash_domain_error(error)
            return _back(ticket_id)
    return render_template(
        "work/visit.html",
        ticket=ticket,
        form=form,
        totals=_totals(_lines_from(form)),
        eligible_kinds=[kind for kind, eligible in DEFAULT_ELIGIBLE.items() if eligible],
    )


@bp.route("/tickets/<int:ticket_id>/resolve", methods=["GET", "POST"])
def resolve(ticket_id: int):
    ticket = _ticket_for_action(ticket_id, "resolve")
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            visits.resolve_ticket(current_user, ticket_id, form.summary.data)
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            _flash_domain_error(error)
            return _back(ticket_id)
        else:
            flash(_("Ticket resolved; the firm will be asked to confirm."), "success")
            return _back(ticket_id)
    return render_template("work/resolve.html", ticket=ticket, form=form)


# ---------------------------------------------------------------- sign-off


@bp.route("/tickets/<int:ticket_id>/confirm", methods=["GET", "POST"])
def confirm(ticket_id: int):
    ticket = _ticket_for_action(ticket_id, "confirm")
    form = ConfirmWorkForm()
    if form.validate_on_submit():
        try:
            signoff.confirm_ticket(
                current_user, ticket_id, int(form.rating.data), form.comment.data or ""
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            _flash_domain_error(error)
            return _back(ticket_id)
        else:
            flash(
                _("Thank you. The work is confirmed and the cost-share claim was filed."), "success"
            )
            return _back(ticket_id)
    return render_template(
        "work/confirm.html", ticket=ticket, form=form, visit_list=visits.visits_of(ticket.id)
    )
