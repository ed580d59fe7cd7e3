"""Ledger pages: pool dashboard, transactions, payout batches and their exports.

Managers and auditors read; only managers act (add budget, settle, verify). Budget
additions and settlement runs are requests a second manager confirms (approvals/).

    GET       /ledger                          pool          pool, burn-down, reconciliation
    POST      /ledger/budget                   add_budget    asks for a `fund` (a request)
    GET, POST /ledger/settle                   settle        confirm, then ask to settle today
    POST      /ledger/verify                   verify        reconcile now
    GET       /ledger/transactions             transactions  with postings, filters
    GET       /ledger/batches                  batches
    GET       /ledger/batches/<id>             batch         lines of one batch
    GET       /ledger/batches/<id>.csv         batch_csv
    GET       /ledger/batches/<id>.xlsx        batch_xlsx
    GET, POST /ledger/years/<year>/support-types             support_types      list, add
    GET, POST /ledger/years/<year>/support-types/<code>      support_type       change
    POST      /ledger/years/<year>/support-types/<code>/open support_type_open  open/close
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, exists, false, func, select

from aftercare.approvals import services as approvals
from aftercare.auth.login import role_required
from aftercare.choices.fields import filter_id
from aftercare.claims.models import Claim
from aftercare.core import exports as shared_exports
from aftercare.core.pagination import Page, decode_cursor, encode_cursor, keyset_page, parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.core.web.templating import won
from aftercare.domain.errors import Conflict, DomainError, ValidationFailed
from aftercare.domain.time import seoul_midnight_utc, seoul_today
from aftercare.extensions import db
from aftercare.ledger import support_types as types_service
from aftercare.ledger.forms import AddBudgetForm, ConfirmForm, OpenTypeForm, SupportTypeForm
from aftercare.ledger.models import FiscalYear, LedgerTransaction, SupportType
from aftercare.ledger.queries import (
    current_fiscal_year,
    fiscal_year_by_year,
    latest_fiscal_year,
    pool_of,
)
from aftercare.ledger.support_types import support_type_name
from aftercare.payouts import exports
from aftercare.payouts.models import PayoutBatch, PayoutLine, ReconciliationRun
from aftercare.payouts.reconciliation import reconcile
from aftercare.payouts.settlement import ready_to_pay, waiting, waiting_count
from aftercare.reports import settlement_report

bp = Blueprint("ledger", __name__, url_prefix="/ledger")

TRANSACTION_TYPES = ("fund", "reserve", "release", "settle", "adjust")
TRANSACTION_TYPE_LABELS = {
    "fund": _l("Funding"),
    "reserve": _l("Reservation"),
    "release": _l("Release"),
    "settle": _l("Settlement"),
    "adjust": _l("Adjustment"),
}
ACCOUNT_LABELS = {
    "funding": _l("Funding source"),
    "pool_available": _l("Pool available"),
    "pool_reserved": _l("Pool reserved"),
    "paid_out": _l("Paid out"),
}
LINE_STATUS_LABELS = {"queued": _l("Queued"), "settled": _l("Settled"), "skipped": _l("Skipped")}
BATCH_STATUS_LABELS = {"open": _l("In progress"), "complete": _l("Complete")}
WAITING_SHOWN = 50  # the settlement page lists the oldest waiting claims
MAX_ID = 2**31 - 1  # ids are INTEGER columns; larger numbers overflow SQLite's driver


@bp.before_request
@role_required("manager", "auditor")
def _managers_and_auditors() -> None:
    if request.method not in ("GET", "HEAD") and current_user.role != "manager":
        abort(403)  # auditors read; only managers act


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "TRANSACTION_TYPE_LABELS": TRANSACTION_TYPE_LABELS,
        "ACCOUNT_LABELS": ACCOUNT_LABELS,
        "LINE_STATUS_LABELS": LINE_STATUS_LABELS,
        "BATCH_STATUS_LABELS": BATCH_STATUS_LABELS,
    }


# ---------------------------------------------------------------- pool dashboard


@dataclass
class BurndownMonth:
    month: str  # YYYY-MM, Asia/Seoul
    settled: int
    paid: int  # cumulative
    remaining: int  # budget − cumulative paid


def _seoul_month(column: Any) -> ColumnElement:
    """YYYY-MM of a naive-UTC timestamp column, in Asia/Seoul, computed by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Seoul", func.timezone("UTC", column)), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+9 hours")  # Korea keeps no daylight saving


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def burndown(fiscal_year: FiscalYear) -> list[BurndownMonth]:
    """Settled amount per month, with cumulative paid and remaining budget, month by month."""
    month = _seoul_month(LedgerTransaction.created_at).label("month")
    settled = dict(
        db.session.execute(
            select(month, func.sum(LedgerTransaction.amount))
            .where(
                LedgerTransaction.fiscal_year_id == fiscal_year.id,
                LedgerTransaction.type == "settle",
            )
            .group_by(month)
            .order_by(month)
        ).all()
    )
    today = seoul_today()
    if fiscal_year.year < today.year:
        last = (fiscal_year.year, 12)
    elif fiscal_year.year == today.year:
        last = (today.year, today.month)
    else:
        last = (fiscal_year.year, 1)
    keys = [tuple(int(part) for part in key.split("-")) for key in settled]
    first = min([(fiscal_year.year, 1), *keys])
    last = max([last, *keys])
    rows: list[BurndownMonth] = []
    paid = 0
    current = first
    while current <= last:
        key = f"{current[0]:04d}-{current[1]:02d}"
        amount = int(settled.get(key) or 0)
        paid += amount
        rows.append(BurndownMonth(key, amount, paid, fiscal_year.budget - paid))
        current = _next_month(*current)
    return rows


def _chart_data(rows: list[BurndownMonth]) -> dict[str, Any]:
    return {
        "type": "line",
        "labels": [row.month for row in rows],
        "series": [
            {"label": _("Remaining budget"), "data": [row.remaining for row in rows]},
            {"label": _("Paid (cumulative)"), "data": [row.paid for row in rows]},
        ],
        "unit": "원",
    }


def _int_arg(name: str) -> int | None:
    """A whole-number query argument in the range of ids; anything else counts as absent."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else None


def _requested_fiscal_year() -> FiscalYear | None:
    if request.args.get("year") and _int_arg("year") is None:
        abort(404)
    year = _int_arg("year")
    if year is not None:
        fiscal_year = fiscal_year_by_year(year)
        if fiscal_year is None:
            abort(404)
        return fiscal_year
    return current_fiscal_year() or latest_fiscal_year()


def _render_pool(fiscal_year: FiscalYear | None, budget_form: AddBudgetForm | None = None):
    rows = burndown(fiscal_year) if fiscal_year else []
    if fiscal_year is not None and budget_form is None:
        budget_form = AddBudgetForm(formdata=None, year=str(fiscal_year.year))
    return render_template(
        "ledger/pool.html",
        fiscal_year=fiscal_year,
        fiscal_years=db.session.scalars(select(FiscalYear).order_by(FiscalYear.year.desc())).all(),
        pool=pool_of(fiscal_year) if fiscal_year else None,
        burndown=rows,
        chart=_chart_data(rows),
        reconciliation=db.session.scalar(
            select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(1)
        ),
        budget_form=budget_form,
        action_form=ConfirmForm(),
    )


@bp.route("")
def pool():
    return _render_pool(_requested_fiscal_year())


@bp.route("/budget", methods=["POST"])
def add_budget():
    form = AddBudgetForm()
    year_text = form.year.data or ""
    valid_year = year_text.isascii() and year_text.isdigit() and len(year_text) <= 4
    fiscal_year = fiscal_year_by_year(int(year_text)) if valid_year else None
    if fiscal_year is None:
        flash(_("No such fiscal year."), "danger")
        return redirect(url_for("ledger.pool"))
    if form.validate_on_submit():

        def ask() -> Done:
            request_ = approvals.request_budget(
                current_user, fiscal_year.year, form.amount.data, form.reason.data
            )
            message = _(
                "Request #%(id)d to add %(amount)s to the fiscal year %(year)d pool is "
                "waiting for another manager's confirmation.",
                id=request_.id,
                amount=won(form.amount.data),
                year=fiscal_year.year,
            )
            return Done(url_for("ledger.pool", year=fiscal_year.year), message)

        try:
            return submit_once(form, ask)
        except ValidationFailed as error:
            apply_errors(form, error)
        except DomainError as error:
            flash(_(error.message), "danger")
            return redirect(url_for("ledger.pool", year=fiscal_year.year))
    return _render_pool(fiscal_year, budget_form=form), 422


def _settlement_preview(day) -> dict[str, Any]:
    """What settling `day` now would do: the existing batch, or the claims it would take."""
    batch = db.session.scalar(select(PayoutBatch).where(PayoutBatch.batch_date == day))
    if batch is not None:
        return {"batch": batch, "claims": 0, "amount": 0}
    cutoff = seoul_midnight_utc(day + timedelta(days=1))
    count, amount = db.session.execute(
        select(func.count(Claim.id), func.coalesce(func.sum(Claim.government_share), 0)).where(
            Claim.status == "approved",
            Claim.approved_at < cutoff,
            ~exists().where(PayoutLine.claim_id == Claim.id),
            *ready_to_pay(),
        )
    ).one()
    return {"batch": None, "claims": int(count), "amount": int(amount)}


@bp.route("/settle", methods=["GET", "POST"])
@role_required("manager")
def settle():
    """GET asks for confirmation; POST asks another manager to confirm today's settlement."""
    day = seoul_today()
    form = ConfirmForm()
    if form.validate_on_submit():

        def ask() -> Done:
            request_ = approvals.request_settlement(current_user, day)
            message = _(
                "Request #%(id)d to settle %(date)s is waiting for another manager's confirmation.",
                id=request_.id,
                date=day.isoformat(),
            )
            return Done(url_for("approvals.index"), message)

        try:
            return submit_once(form, ask)
        except DomainError as error:
            flash(_(error.message), "danger")
            return redirect(url_for("ledger.pool"))
    return render_template(
        "ledger/settle_confirm.html",
        form=form,
        day=day,
        preview=_settlement_preview(day),
        waiting=waiting(limit=WAITING_SHOWN),
        waiting_total=waiting_count(),
    )


@bp.route("/verify", methods=["POST"])
def verify():
    form = ConfirmForm()
    if form.validate_on_submit():
        ok, checks = reconcile()
        if ok:
            flash(
                _("The books reconcile: all %(count)d checks passed.", count=len(checks)), "success"
            )
        else:
            failed = [c.name for c in checks if not c.ok]
            flash(
                _(
                    "Reconciliation found %(count)d breach(es): %(names)s. Managers were alerted.",
                    count=len(failed),
                    names=", ".join(failed),
                ),
                "danger",
            )
    return redirect(url_for("ledger.pool", year=_int_arg("year")))


# ---------------------------------------------------------------- transactions


def _limit_and_cursor() -> tuple[int, str | None]:
    limit = parse_limit(request.args.get("limit"))
    cursor = request.args.get("cursor") or None
    after = decode_cursor(cursor)  # a bad cursor fails here, before any query
    if after is not None and after > MAX_ID:
        raise ValidationFailed({"cursor": ["Not a valid cursor."]})
    return limit, cursor


def _bad_address(endpoint: str, **values: Any):
    flash(_("The page address was not valid; showing the first page."), "warning")
    return redirect(url_for(endpoint, **values))


@bp.route("/transactions")
def transactions():
    filters = {
        "type": request.args.get("type") if request.args.get("type") in TRANSACTION_TYPES else None,
        "year": _int_arg("year"),
        "claim_id": _int_arg("claim_id"),
        "firm_id": filter_id("firms", request.args.get("firm_id")),
    }
    stmt = select(LedgerTransaction)
    if filters["type"]:
        stmt = stmt.where(LedgerTransaction.type == filters["type"])
    if filters["year"] is not None:
        fiscal_year = fiscal_year_by_year(filters["year"])
        stmt = stmt.where(
            LedgerTransaction.fiscal_year_id == fiscal_year.id if fiscal_year else false()
        )
    if filters["claim_id"] is not None:
        stmt = stmt.where(LedgerTransaction.claim_id == filters["claim_id"])
    if filters["firm_id"] is not None:
        stmt = stmt.where(LedgerTransaction.firm_id == filters["firm_id"])
    try:
        limit, cursor = _limit_and_cursor()
    except ValidationFailed:
        return _bad_address("ledger.transactions")
    page = keyset_page(stmt, LedgerTransaction.id, limit, cursor)
    years = dict(db.session.execute(select(FiscalYear.id, FiscalYear.year)).all())
    return render_template(
        "ledger/transactions.html",
        page=page,
        filters=filters,
        years=years,
        fiscal_years=sorted(years.values(), reverse=True),
        types=TRANSACTION_TYPES,
    )


# ---------------------------------------------------------------- payout batches


def _batch_or_404(batch_id: int) -> PayoutBatch:
    batch = db.session.get(PayoutBatch, batch_id) if batch_id <= MAX_ID else None
    if batch is None:
        abort(404)
    return batch


@bp.route("/batches")
def batches():
    try:
        limit, cursor = _limit_and_cursor()
    except ValidationFailed:
        return _bad_address("ledger.batches")
    page = keyset_page(select(PayoutBatch), PayoutBatch.id, limit, cursor)
    return render_template("ledger/batches.html", page=page)


def _row_page(stmt: Any, id_column: Any, limit: int, cursor: str | None) -> Page:
    """keyset_page for rows of several columns (the row's `id` is the key)."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column < after)
    rows = db.session.execute(stmt.order_by(id_column.desc()).limit(limit + 1)).all()
    items = list(rows[:limit])
    has_more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].id) if has_more and items else None)


@bp.route("/batches/<int:batch_id>")
def batch(batch_id: int):
    payout = _batch_or_404(batch_id)
    try:
        limit, cursor = _limit_and_cursor()
    except ValidationFailed:
        return _bad_address("ledger.batch", batch_id=batch_id)
    lines = _row_page(
        exports.batch_lines_stmt(payout.id, settled_only=False), PayoutLine.id, limit, cursor
    )
    status_counts = dict(
        db.session.execute(
            select(PayoutLine.status, func.count(PayoutLine.id))
            .where(PayoutLine.batch_id == payout.id)
            .group_by(PayoutLine.status)
        ).all()
    )
    return render_template(
        "ledger/batch.html", batch=payout, page=lines, status_counts=status_counts
    )


def _export_name(batch: PayoutBatch, extension: str) -> str:
    return f"payout-batch-{batch.id}-{batch.batch_date.isoformat()}.{extension}"


@bp.route("/batches/<int:batch_id>.csv")
def batch_csv(batch_id: int):
    payout = _batch_or_404(batch_id)
    body = shared_exports.stream_csv(exports.BATCH_COLUMNS, exports.batch_csv_rows(payout))
    return Response(
        stream_with_context(body),
        mimetype=shared_exports.CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{_export_name(payout, "csv")}"'},
    )


@bp.route("/batches/<int:batch_id>/settlement.xlsx")
def batch_settlement_xlsx(batch_id: int):
    """The batch's claims and their lines with invoices and reviews (two sheets)."""
    payout = _batch_or_404(batch_id)
    return send_file(
        settlement_report.batch_workbook(payout),
        mimetype=shared_exports.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"settlement-batch-{payout.id}-{payout.batch_date.isoformat()}.xlsx",
    )


@bp.route("/batches/<int:batch_id>/evidence.zip")
def batch_evidence_zip(batch_id: int):
    """Every evidence and firm-payment file of the batch, with an index, streamed."""
    payout = _batch_or_404(batch_id)
    name = f"evidence-batch-{payout.id}-{payout.batch_date.isoformat()}.zip"
    return Response(
        stream_with_context(settlement_report.evidence_zip(payout)),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/batches/<int:batch_id>.xlsx")
def batch_xlsx(batch_id: int):
    payout = _batch_or_404(batch_id)
    return send_file(
        exports.batch_xlsx(payout),
        mimetype=shared_exports.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=_export_name(payout, "xlsx"),
    )


# ---------------------------------------------------------------- support types


@bp.app_context_processor
def _support_type_names() -> dict[str, Any]:
    """`support_type_name(code, fiscal_year=None)` in every template: the type's name from
    its fiscal year's row, in the reader's language."""
    return {"support_type_name": support_type_name}


def _year_or_404(year: int) -> FiscalYear:
    fiscal_year = fiscal_year_by_year(year) if 2000 <= year <= 2100 else None
    if fiscal_year is None:
        abort(404)
    return fiscal_year


def _type_or_404(fiscal_year: FiscalYear, code: str) -> SupportType:
    row = fiscal_year.type_of(code)
    if row is None:
        abort(404)
    return row


@bp.route("/years/<int:year>/support-types", methods=["GET", "POST"])
def support_types(year: int):
    """The year's support types; a manager adds one (no code change for a new type)."""
    fiscal_year = _year_or_404(year)
    form = SupportTypeForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                row = types_service.add_support_type(current_user, year, form.to_data())
            except ValidationFailed as error:
                apply_errors(form, error)
            else:
                flash(_("Support type %(name)s added.", name=row.name_ko), "success")
                return redirect(url_for("ledger.support_types", year=year))
        status = 422
    return _render_types(fiscal_year, form), status


def _render_types(fiscal_year: FiscalYear, form: SupportTypeForm) -> str:
    return render_template(
        "ledger/support_types.html",
        fiscal_year=fiscal_year,
        fiscal_years=db.session.scalars(select(FiscalYear).order_by(FiscalYear.year.desc())).all(),
        types=fiscal_year.support_types,
        in_use={
            t.code
            for t in fiscal_year.support_types
            if types_service.has_decided_claims(fiscal_year.id, t.code)
        },
        form=form,
        open_form=OpenTypeForm(),
    )


@bp.route("/years/<int:year>/support-types/<type_code>", methods=["GET", "POST"])
@role_required("manager")
def support_type(year: int, type_code: str):
    """Change a type's names, months or rule (the rule is fixed once claims were approved)."""
    fiscal_year = _year_or_404(year)
    row = _type_or_404(fiscal_year, type_code)
    form = SupportTypeForm(obj=None if request.method == "POST" else row)
    if request.method == "GET":
        form.rounding_unit.data = str(row.rounding_unit)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                types_service.update_support_type(
                    current_user, year, type_code, form.to_data(with_code=False)
                )
            except ValidationFailed as error:
                apply_errors(form, error)
            except Conflict as error:
                form.form_errors.append(_(error.message))
                status = 409
            else:
                flash(_("Support type saved."), "success")
                return redirect(url_for("ledger.support_types", year=year))
        status = status if status != 200 else 422
    return render_template(
        "ledger/support_type.html",
        fiscal_year=fiscal_year,
        row=row,
        form=form,
        in_use=types_service.has_decided_claims(fiscal_year.id, row.code),
    ), status


@bp.route("/years/<int:year>/support-types/<type_code>/open", methods=["POST"])
def support_type_open(year: int, type_code: str):
    """Open (is_open=1) or close (is_open=0) a type for new tickets."""
    fiscal_year = _year_or_404(year)
    row = _type_or_404(fiscal_year, type_code)
    form = OpenTypeForm()
    if not form.validate_on_submit() or form.is_open.data not in ("0", "1"):
        flash(_("Choose open or closed."), "danger")
        return redirect(url_for("ledger.support_types", year=year))
    is_open = form.is_open.data == "1"
    types_service.update_support_type(current_user, year, row.code, {"is_open": is_open})
    message = (
        _("%(name)s is open for new tickets.", name=row.name_ko)
        if is_open
        else _("%(name)s is closed for new tickets.", name=row.name_ko)
    )
    flash(message, "success")
    return redirect(url_for("ledger.support_types", year=year))
