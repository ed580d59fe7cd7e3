"""/api/v1 fiscal years and the pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from marshmallow import INCLUDE, Schema, fields, validate
from sqlalchemy import select

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.idempotency import idempotent
from aftercare.api.schemas import Id, ListQuery, UtcDateTime, Won, list_schema
from aftercare.approvals import services as approvals
from aftercare.approvals.api import ApprovalRequestSchema
from aftercare.core.pagination import keyset_page
from aftercare.domain.errors import Conflict, NotFound, ValidationFailed
from aftercare.domain.time import seoul_today
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger import services, support_types
from aftercare.ledger.models import SECOND_APPROVAL_FROM, FiscalYear, LedgerTransaction
from aftercare.ledger.queries import fiscal_year_by_year, pool_of
from aftercare.payouts.reconciliation import reconcile
from aftercare.payouts.settlement import waiting as waiting_claims
from aftercare.payouts.settlement import waiting_count

blp = Blueprint("ledger_api", __name__, url_prefix="/api/v1", description="Fiscal years and ledger")


class SupportTypeSchema(Schema):
    """A support type of a fiscal year (its cap, share rule and project months)."""

    code = fields.String()
    name_ko = fields.String()
    name_en = fields.String()
    cap = fields.Integer()  # government share per firm, won
    share_rate_bp = fields.Integer()
    rounding_unit = fields.Integer()
    project_months = fields.Integer()
    extension_months = fields.Integer()
    is_open = fields.Boolean()


class FiscalYearSchema(Schema):
    id = fields.Integer(dump_only=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    budget = Won(required=True)
    # The rule of the two types the year opens with (`support_types` after that).
    share_rate_bp = fields.Integer(
        load_default=5000, load_only=True, strict=True, validate=validate.Range(min=1, max=10000)
    )
    cap_emergency = Won(load_default=5_000_000, load_only=True)
    cap_growth = Won(load_default=20_000_000, load_only=True)
    rounding_unit = fields.Integer(
        load_default=1000,
        load_only=True,
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
    )
    support_types = fields.List(fields.Nested(SupportTypeSchema), dump_only=True)
    # A government share at or above it needs a second manager's approval (SPEC §11).
    second_approval_from = Won(load_default=SECOND_APPROVAL_FROM)
    is_open = fields.Boolean(dump_only=True)
    fund_transaction_id = fields.Integer(dump_only=True)


class SupportTypeBody(Schema):
    """Fields as sent: the service checks them and answers in the reader's language."""

    class Meta:
        unknown = INCLUDE

    code = fields.Raw()


@blp.route("/fiscal-years/<int:year>/support-types", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.ADMIN)
@blp.response(200, SupportTypeSchema(many=True))
def list_support_types(year: int):
    """The year's support types, open and closed."""
    return support_types.types_of_year(year)


@blp.route("/fiscal-years/<int:year>/support-types", methods=["POST"])
@roles_required(Role.MANAGER)
@blp.arguments(SupportTypeBody)
@blp.response(201, SupportTypeSchema)
def add_support_type(body: dict, year: int):
    """Add a type to a year: `{code, name_ko, name_en, cap, share_rate_bp, rounding_unit,
    project_months, extension_months, is_open?}` (cap in won; rate in basis points; the
    rounding unit 1, 10, 100, 1000 or 10000 won; months 1–24)."""
    return _translated(lambda: support_types.add_support_type(api_user(), year, body))


@blp.route("/fiscal-years/<int:year>/support-types/<type_code>", methods=["PATCH"])
@roles_required(Role.MANAGER)
@blp.arguments(SupportTypeBody)
@blp.response(200, SupportTypeSchema)
def update_support_type(body: dict, year: int, type_code: str):
    """Change some of a type's fields; `{"is_open": false}` closes it for new tickets.
    The cap, share rate and rounding unit are refused (409 `support_type_in_use`) once
    the year has approved claims of the type."""
    return _translated(lambda: support_types.update_support_type(api_user(), year, type_code, body))


def _translated(call: Callable[[], Any]) -> Any:
    """The service's messages in the caller's language (Korean unless they chose English)."""
    try:
        return call()
    except ValidationFailed as error:
        errors = {field: [_(m) for m in messages] for field, messages in error.errors.items()}
        raise ValidationFailed(errors, _("Validation failed")) from error
    except Conflict as error:
        raise Conflict(_(error.message), reason=error.reason) from error


class AddBudgetSchema(Schema):
    amount = Won(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@blp.route("/fiscal-years", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.ADMIN)
@blp.response(200, FiscalYearSchema(many=True))
def list_fiscal_years():
    return db.session.scalars(select(FiscalYear).order_by(FiscalYear.year.desc())).all()


@blp.route("/fiscal-years", methods=["POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
@blp.arguments(FiscalYearSchema)
@blp.response(201, FiscalYearSchema)
def open_fiscal_year(body: dict):
    """Open a year and fund its pool (a `fund` transaction)."""
    fiscal_year = services.open_fiscal_year(api_user(), **body)
    fiscal_year.fund_transaction_id = services.fund_transaction_id(fiscal_year.year)
    return fiscal_year


@blp.route("/fiscal-years/<int:year>/budget", methods=["POST"])
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(AddBudgetSchema)
@blp.response(202, ApprovalRequestSchema)
def add_budget(body: dict, year: int):
    """Ask for more budget: a pending request; the `fund` is posted when another manager
    confirms it (POST /approval-requests/{id}/confirm)."""
    return approvals.request_budget(api_user(), year, body["amount"], body["reason"])


class PoolQuery(Schema):
    fiscal_year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class PoolSchema(Schema):
    fiscal_year = fields.Integer()
    budget = fields.Integer()
    available = fields.Integer()
    reserved = fields.Integer()
    paid = fields.Integer()


class PostingSchema(Schema):
    account = fields.Function(lambda p: p.account.name)
    amount = fields.Integer()


class TransactionSchema(Schema):
    id = fields.Integer()
    fiscal_year_id = fields.Integer()
    type = fields.String()
    idempotency_key = fields.String()
    amount = fields.Integer()
    claim_id = fields.Integer(allow_none=True)
    firm_id = fields.Integer(allow_none=True)
    support_type = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    reason = fields.String()
    created_at = UtcDateTime()
    postings = fields.List(fields.Nested(PostingSchema))


class TransactionQuery(ListQuery):
    type = fields.String(
        validate=validate.OneOf(["fund", "reserve", "release", "settle", "adjust"])
    )
    claim_id = Id(strict=False)
    firm_id = Id(strict=False)


class SettlementRequest(Schema):
    date = fields.Date(load_default=None)


class CheckSchema(Schema):
    name = fields.String()
    ok = fields.Boolean()
    detail = fields.String()


class VerifySchema(Schema):
    ok = fields.Boolean()
    checks = fields.List(fields.Nested(CheckSchema))


TransactionList = list_schema(TransactionSchema, "TransactionList")


@blp.route("/ledger/pool", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.arguments(PoolQuery, location="query")
@blp.response(200, PoolSchema)
def pool(query: dict):
    """Budget, available, reserved and paid of a fiscal year (default: this year in Seoul)."""
    year = query.get("fiscal_year") or seoul_today().year
    fiscal_year = fiscal_year_by_year(year)
    if fiscal_year is None:
        raise NotFound(f"No fiscal year {year}")
    return pool_of(fiscal_year)


@blp.route("/ledger/transactions", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.arguments(TransactionQuery, location="query")
@blp.response(200, TransactionList)
def transactions(query: dict):
    stmt = select(LedgerTransaction)
    for name in ("type", "claim_id", "firm_id"):
        if query.get(name) is not None:
            stmt = stmt.where(getattr(LedgerTransaction, name) == query[name])
    page = keyset_page(stmt, LedgerTransaction.id, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/ledger/settlements", methods=["POST"])
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(SettlementRequest)
@blp.response(202, ApprovalRequestSchema)
def settle(body: dict):
    """Ask for the settlement of `date` (default today, Asia/Seoul): a pending request.
    When another manager confirms it, approved claims are settled into that date's batch
    and the request's `result` holds `{batch_id, claims_settled, amount, waiting}`: approved
    claims wait while a line is unreviewed or the firm's share unconfirmed."""
    return approvals.request_settlement(api_user(), body.get("date"))


class WaitingSchema(Schema):
    claim_id = fields.Integer()
    ticket_id = fields.Integer()
    firm_id = fields.Integer()
    firm_name = fields.String()
    government_share = fields.Integer()
    approved_at = UtcDateTime()
    reason = fields.String()  # review_pending | firm_payment_missing


class WaitingList(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(WaitingSchema))


class WaitingQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


@blp.route("/ledger/settlements/waiting", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.arguments(WaitingQuery, location="query")
@blp.response(200, WaitingList)
def waiting(query: dict):
    """Approved claims settlement does not pay yet, oldest first, and why: `review_pending`
    (an eligible line not reviewed) or `firm_payment_missing` (the firm's share not
    confirmed)."""
    return {"total": waiting_count(), "items": waiting_claims(query["limit"])}


@blp.route("/ledger/verify", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.response(200, VerifySchema)
def verify():
    ok, checks = reconcile()
    return {"ok": ok, "checks": checks}
