"""Pages of the firms feature: list, register, detail with cap usage, edit.

Managers manage firms; auditors read them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from aftercare.auth.login import role_required
from aftercare.auth.models import User
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.domain.registration import format_registration_number
from aftercare.domain.vocab import REGIONS, SizeClass
from aftercare.extensions import db
from aftercare.firms import services
from aftercare.firms.forms import ContactsForm, FirmForm
from aftercare.firms.models import Firm
from aftercare.ledger.models import FirmUsage, FiscalYear
from aftercare.ledger.queries import current_fiscal_year, firm_usage

bp = Blueprint("firms", __name__, url_prefix="/firms")

# Ids are 32-bit integer columns: a larger one matches no route (404) instead of
# overflowing the database driver (500).
MAX_ID = 2**31 - 1

SIZES = tuple(s.value for s in SizeClass)


def remaining_caps(firm_ids: list[int], fiscal_year: FiscalYear | None) -> dict[int, dict]:
    """Remaining cap per support type for each firm, in one query (empty without a year)."""
    if fiscal_year is None or not firm_ids:
        return {}
    used: dict[tuple[int, str], int] = {}
    rows = db.session.scalars(
        select(FirmUsage).where(
            FirmUsage.fiscal_year_id == fiscal_year.id, FirmUsage.firm_id.in_(firm_ids)
        )
    )
    for row in rows:
        used[(row.firm_id, row.support_type)] = row.reserved + row.paid
    return {
        firm_id: {
            kind.code: max(kind.cap - used.get((firm_id, kind.code), 0), 0)
            for kind in fiscal_year.support_types
        }
        for firm_id in firm_ids
    }


def _search(stmt: Any, q: str) -> Any:
    """Match the name, or the registration number typed with or without dashes."""
    conditions = [Firm.name.icontains(q, autoescape=True)]
    digits = q.replace("-", "").replace(" ", "")
    if digits.isascii() and digits.isdigit():
        conditions.append(Firm.registration_number.contains(digits, autoescape=True))
    return stmt.where(or_(*conditions))


@bp.route("")
@role_required("manager", "auditor")
def index():
    q = request.args.get("q", "").strip()
    region = request.args.get("region", "")
    size = request.args.get("size", "")
    stmt = select(Firm)
    if q:
        stmt = _search(stmt, q)
    if region in REGIONS:
        stmt = stmt.where(Firm.region == region)
    if size in SIZES:
        stmt = stmt.where(Firm.size == size)
    try:
        page = keyset_page(
            stmt, Firm.id, parse_limit(request.args.get("limit")), request.args.get("cursor")
        )
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("firms.index"))
    fiscal_year = current_fiscal_year()
    return render_template(
        "firms/index.html",
        page=page,
        q=q,
        region=region,
        size=size,
        regions=REGIONS,
        sizes=SIZES,
        fiscal_year=fiscal_year,
        remaining=remaining_caps([firm.id for firm in page.items], fiscal_year),
    )


def _submit(form: FirmForm, save: Any, firm_id: int | None = None) -> Any:
    """Validate the form and call `save(data)`; on failure put the errors on the form."""
    if not form.validate_on_submit():
        if form.is_submitted():
            _add_service_errors(form, firm_id)
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


def _add_service_errors(form: FirmForm, firm_id: int | None) -> None:
    """Also show the service's findings (say, a bad check digit) on fields the form passed."""
    data = form.to_data()
    for key in ("built_year", "policy_fund_year"):
        if getattr(form, key).errors:
            data[key] = None
    current = db.session.get(Firm, firm_id).supplier_id if firm_id is not None else None
    findings = services.validate_firm(data, firm_id=firm_id, current_supplier_id=current)
    for name, messages in findings.items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [_(m) for m in messages]


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    form = FirmForm()

    def create(data: dict[str, Any]) -> Done:
        firm = services.create_firm(current_user, data)
        message = _("Firm %(name)s registered.", name=firm.name)
        return Done(url_for("firms.detail", firm_id=firm.id), message)

    answer = _submit(form, lambda data: submit_once(form, lambda: create(data)))
    if answer is not None:
        return answer
    status = 422 if form.is_submitted() else 200
    return render_template("firms/form.html", form=form, firm=None), status


@bp.route("/mine", methods=["GET", "POST"])
@role_required("firm")
def mine():
    """The firm's own company page: profile, this year's caps, and its contacts to edit."""
    firm = db.session.get(Firm, current_user.firm_id) if current_user.firm_id else None
    if firm is None:
        abort(404)
    form = ContactsForm(obj=firm)
    if form.validate_on_submit():
        data = form.to_data()

        def save() -> Done:
            services.update_own_contacts(current_user, data)
            return Done(url_for("firms.mine"), _("Contacts saved."))

        try:
            return submit_once(form, save)
        except ValidationFailed as error:
            apply_errors(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "firms/mine.html",
        firm=firm,
        form=form,
        usage=firm_usage(firm.id, current_fiscal_year()),
    ), status


@bp.route(f"/<int(max={MAX_ID}):firm_id>")
@role_required("manager", "auditor")
def detail(firm_id: int):
    firm = db.get_or_404(Firm, firm_id)
    users = db.session.scalars(
        select(User).where(User.firm_id == firm.id).order_by(User.name, User.id)
    ).all()
    return render_template(
        "firms/detail.html",
        firm=firm,
        users=users,
        usage=firm_usage(firm.id, current_fiscal_year()),
    )


@bp.route(f"/<int(max={MAX_ID}):firm_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(firm_id: int):
    firm = db.get_or_404(Firm, firm_id)
    if request.method == "GET":
        form = FirmForm(obj=firm, current_supplier_id=firm.supplier_id)
        form.registration_number.data = format_registration_number(firm.registration_number)
    else:
        form = FirmForm(current_supplier_id=firm.supplier_id)
    saved = _submit(
        form, lambda data: services.update_firm(current_user, firm_id, data), firm_id=firm.id
    )
    if saved is not None:
        flash(_("Firm %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("firms.detail", firm_id=saved.id))
    status = 422 if form.is_submitted() else 200
    return render_template("firms/form.html", form=form, firm=firm), status
