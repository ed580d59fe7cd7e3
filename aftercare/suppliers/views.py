"""Pages of the supplier registry: list with search, register, detail, edit, (de)activate.

Managers maintain the registry; auditors read it (as with firms).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from aftercare.auth.login import role_required
from aftercare.core.pagination import parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.domain.registration import format_registration_number
from aftercare.domain.vocab import MAX_ID, REGIONS, SPECIALTIES
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.meisters.forms import specialty_label
from aftercare.suppliers import queries, services
from aftercare.suppliers.forms import ConfirmForm, SupplierForm
from aftercare.suppliers.models import Supplier

bp = Blueprint("suppliers", __name__, url_prefix="/suppliers")

FIRMS_SHOWN = 50  # on a supplier's page; the count says how many there are


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"specialty_label": specialty_label}


@bp.route("")
@role_required("manager", "auditor")
def index():
    filters = queries.SupplierFilters.from_args(request.args)
    try:
        page = queries.supplier_page(
            filters, parse_limit(request.args.get("limit")), request.args.get("cursor")
        )
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("suppliers.index"))
    return render_template(
        "suppliers/index.html",
        page=page,
        filters=filters,
        regions=REGIONS,
        solutions=SPECIALTIES,
    )


def _submit(form: SupplierForm, save: Any, supplier: Supplier | None = None) -> Any:
    """Validate the form and call `save(data)`; on failure put the errors on the form."""
    if not form.validate_on_submit():
        if form.is_submitted():
            _add_service_errors(form, supplier)
        return None
    try:
        return save(form.to_data())
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
    except DomainError as error:
        db.session.rollback()
        flash(_(error.message), "danger")
    return None


def _add_service_errors(form: SupplierForm, supplier: Supplier | None) -> None:
    """Also show the service's findings (a bad check digit, say) on fields the form passed."""
    values = services.clean(form.to_data())
    if supplier is not None:
        values = {k: getattr(supplier, k) for k in services.SUPPLIER_FIELDS} | values
    for name, messages in services.validate_supplier(values, supplier).items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [_(m) for m in messages]


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    form = SupplierForm()

    def create(data: dict[str, Any]) -> Done:
        supplier = services.create_supplier(current_user, data)
        message = _("Supplier %(name)s registered.", name=supplier.name)
        return Done(url_for("suppliers.detail", supplier_id=supplier.id), message)

    answer = _submit(form, lambda data: submit_once(form, lambda: create(data)))
    if answer is not None:
        return answer
    status = 422 if form.is_submitted() else 200
    return render_template("suppliers/form.html", form=form, supplier=None), status


@bp.route(f"/<int(max={MAX_ID}):supplier_id>")
@role_required("manager", "auditor")
def detail(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    firms = db.session.scalars(
        select(Firm)
        .where(Firm.supplier_id == supplier.id)
        .order_by(Firm.name, Firm.id)
        .limit(FIRMS_SHOWN)
    ).all()
    firm_count = db.session.scalar(
        select(func.count(Firm.id)).where(Firm.supplier_id == supplier.id)
    )
    return render_template(
        "suppliers/detail.html", supplier=supplier, firms=firms, firm_count=firm_count
    )


@bp.route(f"/<int(max={MAX_ID}):supplier_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    if request.method == "GET":
        form = SupplierForm(obj=supplier)
        form.registration_number.data = format_registration_number(
            supplier.registration_number or ""
        )
    else:
        form = SupplierForm()
    saved = _submit(
        form,
        lambda data: services.update_supplier(current_user, supplier_id, data),
        supplier=supplier,
    )
    if saved is not None:
        flash(_("Supplier %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("suppliers.detail", supplier_id=saved.id))
    status = 422 if form.is_submitted() else 200
    return render_template("suppliers/form.html", form=form, supplier=supplier), status


@bp.route(f"/<int(max={MAX_ID}):supplier_id>/active", methods=["GET", "POST"])
@role_required("manager")
def toggle_active(supplier_id: int):
    """GET asks for confirmation; POST deactivates the supplier (or reactivates it)."""
    supplier = db.get_or_404(Supplier, supplier_id)
    form = ConfirmForm()
    if request.method == "POST":
        wanted = request.form.get("active")
        if wanted not in ("0", "1") or not form.validate():
            abort(400)
        services.set_supplier_active(current_user, supplier_id, wanted == "1")
        if wanted == "1":
            flash(_("Supplier %(name)s is active again.", name=supplier.name), "success")
        else:
            flash(_("Supplier %(name)s was deactivated.", name=supplier.name), "success")
        return redirect(url_for("suppliers.detail", supplier_id=supplier.id))
    return render_template("suppliers/confirm.html", supplier=supplier, form=form)
