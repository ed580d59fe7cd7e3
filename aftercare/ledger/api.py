"""/api/v1 fiscal years and the pool."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from aftercare.api.base import api_user, roles_required
from aftercare.api.schemas import Won
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger import services
from aftercare.ledger.models import FiscalYear

blp = Blueprint("ledger_api", __name__, url_prefix="/api/v1", description="Fiscal years and ledger")


class FiscalYearSchema(Schema):
    id = fields.Integer(dump_only=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    budget = Won(required=True)
    share_rate_bp = fields.Integer(
        load_default=5000, strict=True, validate=validate.Range(min=1, max=10000)
    )
    cap_emergency = Won(load_default=5_000_000)
    cap_growth = Won(load_default=20_000_000)
    rounding_unit = fields.Integer(
        load_default=1000, strict=True, validate=validate.Range(min=1, max=1_000_000)
    )
    is_open = fields.Boolean(dump_only=True)
    fund_transaction_id = fields.Integer(dump_only=True)


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
@blp.arguments(AddBudgetSchema)
@blp.response(201, FiscalYearSchema)
def add_budget(body: dict, year: int):
    txn = services.add_budget(api_user(), year, body["amount"], body["reason"])
    fiscal_year = db.session.get(FiscalYear, txn.fiscal_year_id)
    fiscal_year.fund_transaction_id = txn.id
    return fiscal_year
