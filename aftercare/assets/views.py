"""Asset register pages: list, register, detail with tickets, edit, (de)activate,
QR labels (PNG, PDF, a PDF sheet per firm) and the "report a problem" page a label opens.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from aftercare.assets import queries, services
from aftercare.assets.forms import KIND_LABELS, AssetForm, ConfirmForm
from aftercare.assets.models import Asset
from aftercare.core.pagination import parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.domain.errors import ValidationFailed
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.forms import TicketForm, set_asset_choices

bp = Blueprint("assets", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page needs a signed-in user; Flask-Login sends others to sign in and back."""


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"KIND_LABELS": KIND_LABELS}


def _require(*roles: str) -> None:
    if current_user.role not in roles:
        abort(403)


@bp.route("/assets")
def index():
    _require("firm", "manager", "auditor")
    filters = queries.AssetFilters.from_args(request.args)
    try:
        page = queries.asset_page(
            current_user,
            filters,
            parse_limit(request.args.get("limit")),
            request.args.get("cursor"),
        )
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("assets.index"))
    firm = None
    if current_user.role == "firm":
        firm = db.session.get(Firm, current_user.firm_id)
    elif filters.firm_id is not None:
        firm = db.session.get(Firm, filters.firm_id)
    sheet_parts = 0
    if firm is not None:
        sheet_parts = -(-queries.active_asset_count(firm.id) // queries.SHEET_LABELS)
    return render_template(
        "assets/index.html", page=page, filters=filters, firm=firm, sheet_parts=sheet_parts
    )


@bp.route("/assets/new", methods=["GET", "POST"])
def new():
    _require(*services.WRITERS)
    form = AssetForm()
    if request.method == "GET" and current_user.role == "manager":
        form.firm_id.data = request.args.get("firm_id", type=int)

    def create(data: dict[str, Any]) -> Done:
        asset = services.create_asset(current_user, data)
        message = _("Asset %(name)s registered.", name=asset.name)
        return Done(url_for("assets.detail", asset_id=asset.id), message)

    answer = _save(form, lambda data: submit_once(form, lambda: create(data)))
    if answer is not None:
        return answer
    status = 422 if form.is_submitted() else 200
    return render_template("assets/form.html", form=form, asset=None), status


def _save(form: AssetForm, save: Any) -> Any:
    """Validate the form and call `save(data)`; on failure put the errors on the form."""
    if not form.validate_on_submit():
        return None
    try:
        return save(form.to_data())
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
    return None


@bp.route("/assets/<int:asset_id>")
def detail(asset_id: int):
    asset = services.visible_asset(current_user, asset_id)
    tickets, ticket_count = queries.tickets_of(current_user, asset)
    return render_template(
        "assets/detail.html",
        asset=asset,
        tickets=tickets,
        ticket_count=ticket_count,
        report_url=_labels().report_url(asset.id),
        can_manage=current_user.role in services.WRITERS,
    )


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
def edit(asset_id: int):
    asset = services.manageable_asset(current_user, asset_id)
    form = AssetForm(obj=asset) if request.method == "GET" else AssetForm()
    saved = _save(form, lambda data: services.update_asset(current_user, asset_id, data))
    if saved is not None:
        flash(_("Asset %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("assets.detail", asset_id=saved.id))
    status = 422 if form.is_submitted() else 200
    return render_template("assets/form.html", form=form, asset=asset), status


@bp.route("/assets/<int:asset_id>/active", methods=["GET", "POST"])
def toggle_active(asset_id: int):
    """GET asks for confirmation; POST takes the asset out of service (or back in)."""
    asset = services.manageable_asset(current_user, asset_id)
    form = ConfirmForm()
    if request.method == "POST":
        wanted = request.form.get("active")
        if wanted not in ("0", "1") or not form.validate():
            abort(400)
        if (wanted == "1") != asset.active:  # a resubmitted form changes nothing twice
            services.set_asset_active(current_user, asset_id, wanted == "1")
        if wanted == "1":
            flash(_("Asset %(name)s is in service again.", name=asset.name), "success")
        else:
            flash(_("Asset %(name)s was taken out of service.", name=asset.name), "success")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    return render_template("assets/confirm.html", asset=asset, form=form)


# ---------------------------------------------------------------- labels


def _labels() -> ModuleType:
    """The label renderer, loaded on first use: its PDF and image libraries (fpdf,
    Pillow, fontTools) would otherwise add to the start of every process."""
    from aftercare.assets import labels

    return labels


def _label_reader(asset_id: int) -> Asset:
    """Labels are for the firm and the programme office, not for Meisters."""
    asset = services.visible_asset(current_user, asset_id)
    _require("firm", "manager", "auditor")
    return asset


def _file(data: bytes, mimetype: str, filename: str, attachment: bool) -> Response:
    response = Response(data, mimetype=mimetype)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/assets/<int:asset_id>/label.png")
def label_png(asset_id: int):
    """Inline, so the asset page can show it; `?download=1` saves it as a file."""
    asset = _label_reader(asset_id)
    download = request.args.get("download") == "1"
    return _file(_labels().label_png(asset), "image/png", f"asset-{asset.id}.png", download)


@bp.route("/assets/<int:asset_id>/label.pdf")
def label_pdf(asset_id: int):
    asset = _label_reader(asset_id)
    return _file(_labels().label_pdf(asset), "application/pdf", f"asset-{asset.id}.pdf", True)


@bp.route("/firms/<int:firm_id>/assets/labels.pdf")
def label_sheet(firm_id: int):
    """Every active asset of a firm on A4 label sheets."""
    firm = services.firm_in_scope(current_user, firm_id)
    part = request.args.get("part", 1, type=int)
    assets = queries.active_assets_for_sheet(firm.id, part) if 1 <= part <= 10_000 else []
    if not assets:
        flash(_("This firm has no assets in service to print labels for."), "warning")
        return redirect(url_for("assets.index", firm_id=firm.id))
    title = _("QR labels of %(firm)s", firm=firm.name)
    pdf = _labels().sheet_pdf(assets, title)
    return _file(pdf, "application/pdf", f"asset-labels-firm-{firm.id}-{part}.pdf", True)


# ---------------------------------------------------------------- report a problem


@bp.route("/assets/<int:asset_id>/report")
def report(asset_id: int):
    """Where a label's QR code leads: the ticket form, filled in for this asset.

    The firm's users and managers file; other roles see the asset (if they may) but not
    this form. The form posts to the ordinary filing route, which checks everything again.
    """
    asset = services.manageable_asset(current_user, asset_id)
    if not asset.active:
        flash(_("This asset is out of service; a problem cannot be reported for it."), "warning")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    form = TicketForm(formdata=None, asset_id=asset.id, firm_id=asset.firm_id, system=asset.name)
    set_asset_choices(form, asset.firm_id)
    return render_template("tickets/new.html", form=form, asset=asset)
