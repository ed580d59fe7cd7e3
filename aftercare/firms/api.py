"""/api/v1/firms."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.schemas import Id, ListQuery, list_schema
from aftercare.core.pagination import keyset_page
from aftercare.domain.vocab import REGIONS, Role, SizeClass
from aftercare.firms import services
from aftercare.firms.models import Firm
from aftercare.ledger.queries import current_fiscal_year, firm_usage

blp = Blueprint("firms_api", __name__, url_prefix="/api/v1/firms", description="Firms")

_year = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1990, max=2100))


class FirmSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    registration_number = fields.String(required=True, validate=validate.Length(min=10, max=14))
    size = fields.String(required=True, validate=validate.OneOf([s.value for s in SizeClass]))
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))
    industry = fields.String(load_default="", validate=validate.Length(max=100))
    built_year = _year
    policy_fund_year = _year
    # An active entry of the supplier registry (GET /suppliers), or null for none.
    supplier_id = Id(load_default=None, allow_none=True)
    supplier = fields.String(attribute="supplier_name", dump_only=True)  # the entry's name
    contact_name = fields.String(load_default="", validate=validate.Length(max=100))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=40))
    contact_email = fields.String(load_default="", validate=validate.Length(max=254))
    usage = fields.Method("get_usage", dump_only=True, allow_none=True)

    def get_usage(self, firm: Firm) -> dict | None:
        if "usage_year" not in g:  # one lookup per request, not per firm
            g.usage_year = current_fiscal_year()
        return firm_usage(firm.id, g.usage_year)


class FirmUpdateSchema(FirmSchema):
    """The fields a PATCH changes; loaded with `partial=True` (marshmallow has no such
    Meta option: under one, a PATCH had to repeat every required field)."""


FirmList = list_schema(FirmSchema, "FirmList")


@blp.route("", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.FIRM)
@blp.arguments(ListQuery, location="query")
@blp.response(200, FirmList)
def list_firms(query: dict):
    """Firms, newest first (a firm user sees only their own)."""
    user = api_user()
    stmt = select(Firm).options(selectinload(Firm.supplier))
    if user.role == Role.FIRM:
        stmt = stmt.where(Firm.id == user.firm_id)
    page = keyset_page(stmt, Firm.id, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("", methods=["POST"])
@roles_required(Role.MANAGER)
@blp.arguments(FirmSchema)
@blp.response(201, FirmSchema)
def create_firm(body: dict):
    return services.create_firm(api_user(), body)


@blp.route("/<int:firm_id>", methods=["GET"])
@blp.response(200, FirmSchema)
def get_firm(firm_id: int):
    return services.visible_firm(api_user(), firm_id)


@blp.route("/<int:firm_id>", methods=["PATCH"])
@roles_required(Role.MANAGER)
@blp.arguments(FirmUpdateSchema(partial=True))
@blp.response(200, FirmSchema)
def update_firm(body: dict, firm_id: int):
    return services.update_firm(api_user(), firm_id, body)
