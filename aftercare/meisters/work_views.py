"""Pages for assignment, the Meister's work (accept, decline, visits, resolve) and sign-off."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from aftercare.domain.errors import Conflict, DomainError, ValidationFailed
from aftercare.domain.money import DEFAULT_ELIGIBLE
from aftercare.forms_util import apply_errors
from aftercare.meisters import assignment, signoff, visits
from aftercare.meisters.work_forms import (
    AssignForm,
    ConfirmWorkForm,
    SummaryForm,
    VisitForm,
)
from aftercare.tickets.forms import ReasonForm
from aftercare.tickets.services import ticket_for
from aftercare.timeutil import seoul_today

bp = Blueprint("work", __name__, url_prefix="/tickets")


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


def _back(ticket_id: int):
    return redirect(url_for("tickets.detail", ticket_id=ticket_id))


def _flash(error: DomainError) -> None:
    if isinstance(error, ValidationFailed):
        for messages in error.errors.values():
            for message in messages:
                flash(_(message), "danger")
    elif isinstance(error, Conflict):
        flash(_(error.message) or _("This cannot be done now."), "warning")
    else:
        flash(_(error.message), "danger")


# ---------------------------------------------------------------- assignment


@bp.route("/<int:ticket_id>/assign", methods=["GET", "POST"])
def assign(ticket_id: int):
    ticket = ticket_for(current_user, ticket_id)
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
                _flash(error)
                return _back(ticket_id)
        else:
            flash(_("Meister assigned."), "success")
            return _back(ticket_id)
    suggestions = assignment.suggest_meisters(current_user, ticket_id)
    return render_template("work/assign.html", ticket=ticket, form=form, suggestions=suggestions)


# ---------------------------------------------------------------- the Meister's work


@bp.route("/<int:ticket_id>/accept", methods=["POST"])
def accept(ticket_id: int):
    try:
        visits.accept_ticket(current_user, ticket_id)
    except (Conflict, ValidationFailed) as error:
        _flash(error)
    else:
        flash(_("You accepted the ticket."), "success")
    return _back(ticket_id)


ACTION_ROLES = {"decline": "meister", "reopen": "firm", "resolve": "meister", "confirm": "firm"}


def _ticket_for_action(ticket_id: int, action: str):
    """The visible ticket, or 403 when the user's role can never take `action`."""
    ticket = ticket_for(current_user, ticket_id)
    if current_user.role != ACTION_ROLES[action]:
        abort(403)
    return ticket


def _reason_page(ticket_id: int, action: str, run, done_message: str):
    """GET: a confirmation page asking for a reason; POST: run the action."""
    ticket = _ticket_for_action(ticket_id, action)
    form = ReasonForm()
    if request.method == "POST":
        try:
            run(current_user, ticket_id, form.reason.data or "")
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            _flash(error)
            return _back(ticket_id)
        else:
            flash(done_message, "success")
            return _back(ticket_id)
    return render_template("work/reason.html", ticket=ticket, form=form, action=action)


@bp.route("/<int:ticket_id>/decline", methods=["GET", "POST"])
def decline(ticket_id: int):
    return _reason_page(ticket_id, "decline", visits.decline_ticket, _("You declined the ticket."))


@bp.route("/<int:ticket_id>/reopen", methods=["GET", "POST"])
def reopen(ticket_id: int):
    return _reason_page(ticket_id, "reopen", signoff.reopen_ticket, _("The ticket was reopened."))


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


@bp.route("/<int:ticket_id>/visits/new", methods=["GET", "POST"])
def new_visit(ticket_id: int):
    """The visit form; 'add a line' and 'remove' are submit buttons, so no JavaScript is needed."""
    ticket = ticket_for(current_user, ticket_id)
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
        try:
            visits.log_visit(
                current_user, ticket_id, form.visited_on.data, form.hours.data,
                form.notes.data or "", _lines_from(form),
            )  # fmt: skip
        except ValidationFailed as error:
            apply_errors(form, error)
            for key, messages in error.errors.items():
                if key.startswith("cost_lines."):
                    form.form_errors.extend(_(m) for m in messages)
        except Conflict as error:
            _flash(error)
            return _back(ticket_id)
        else:
            flash(_("Visit logged."), "success")
            return _back(ticket_id)
    return render_template(
        "work/visit.html", ticket=ticket, form=form, totals=_totals(_lines_from(form))
    )


@bp.route("/<int:ticket_id>/resolve", methods=["GET", "POST"])
def resolve(ticket_id: int):
    ticket = _ticket_for_action(ticket_id, "resolve")
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            visits.resolve_ticket(current_user, ticket_id, form.summary.data)
        except ValidationFailed as error:
            apply_errors(form, error)
        except Conflict as error:
            _flash(error)
            return _back(ticket_id)
        else:
            flash(_("Ticket resolved; the firm will be asked to confirm."), "success")
            return _back(ticket_id)
    return render_template("work/resolve.html", ticket=ticket, form=form)


# ---------------------------------------------------------------- sign-off


@bp.route("/<int:ticket_id>/confirm", methods=["GET", "POST"])
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
            _flash(error)
            return _back(ticket_id)
        else:
            flash(
                _("Thank you. The work is confirmed and the cost-share claim was filed."), "success"
            )
            return _back(ticket_id)
    return render_template(
        "work/confirm.html", ticket=ticket, form=form, visit_list=visits.visits_of(ticket.id)
    )
