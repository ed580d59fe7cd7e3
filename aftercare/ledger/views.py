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
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.domain.time import seoul_midnight_utc, seoul_today
from aftercare.extensions import db
from aftercare.ledger.forms import AddBudgetForm, ConfirmForm
from aftercare.ledger.models import FiscalYear, LedgerTransaction
from aftercare.ledger.queries import (
    current_fiscal_year,
    fiscal_year_by_year,
    latest_fiscal_year,
    pool_of,
)
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
