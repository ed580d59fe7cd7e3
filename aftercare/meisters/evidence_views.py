"""The evidence page of a cost line: the Meister, the firm or a manager enters the
supplier's tax invoice, the payment and the files (phone-sized first)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from aftercare.claims.models import Claim
from aftercare.core.web.forms import apply_errors
from aftercare.domain.errors import Conflict, ValidationFailed
from aftercare.extensions import db
from aftercare.meisters import evidence
from aftercare.meisters.evidence_forms import EvidenceForm
from aftercare.suppliers.queries import supplier_choices
from aftercare.tickets.services import PayloadTooLarge, Upload, check_upload

bp = Blueprint("evidence", __name__, url_prefix="/cost-lines")


@bp.route("/<int:line_id>/evidence", methods=["GET", "POST"])
@login_required
def line(line_id: int):
    cost_line, ticket = evidence.line_for(current_user, line_id)
    claim = db.session.scalar(select(Claim).where(Claim.ticket_id == ticket.id))
    editable = current_user.role in evidence.EDITORS and (
        claim is None or claim.status == "pending"
    )
    form = EvidenceForm(obj=None if request.method == "POST" else cost_line)
    form.supplier_id.choices = [(0, "—")] + [
        (sid, name if active else _("%(name)s (inactive)", name=name))
        for sid, name, active in supplier_choices(cost_line.supplier_id)
    ]
    if form.is_submitted():
        if not editable:
            abort(403)
        if form.validate():
            try:
                _save(line_id, form)
            except (ValidationFailed, PayloadTooLarge) as error:
                _show(form, error)
            except Conflict as error:
                flash(_(error.message), "warning")
            else:
                flash(_("Evidence saved."), "success")
                return redirect(url_for("evidence.line", line_id=line_id))
        db.session.rollback()
    return render_template(
        "evidence/line.html",
        line=cost_line,
        ticket=ticket,
        claim=claim,
        form=form,
        editable=editable,
        files=evidence.evidence_files([line_id]).get(line_id, []),
    ), (422 if form.errors else 200)


def _save(line_id: int, form: EvidenceForm) -> None:
    """The file is checked before anything is stored: a wrong file changes nothing."""
    given = form.file.data
    upload = Upload(given.filename, given.read()) if given and given.filename else None
    if upload is not None:
        check_upload(upload, evidence=True)
    evidence.set_line_evidence(current_user, line_id, form.evidence())
    if upload is not None:
        evidence.add_evidence_file(current_user, line_id, upload)


def _show(form: EvidenceForm, error: Exception) -> None:
    if isinstance(error, ValidationFailed):
        apply_errors(form, error)
    else:
        form.file.errors = [*form.file.errors, _(str(getattr(error, "message", error)))]
