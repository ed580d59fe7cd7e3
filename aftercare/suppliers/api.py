"""/api/v1/suppliers (SPEC §11): managers maintain the registry, auditors read it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.schemas import ListQuery, UtcDateTime, list_schema
from aftercare.domain.vocab import REGIONS, SPECIALTIES, Role
from aftercare.suppliers import queries, services

blp = Blueprint("suppliers_api", __name__, url_prefix="/api/v1/suppliers", description="Suppliers")


class SupplierSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    # 10 digits (dashes allowed) with a correct check digit; null only on entries carried
    # over from the firms' free text, which keep it null until one is given.
    registration_number = fields.String(
        required=True, allow_none=True, validate=validate.Length(max=14)
    )
    representative = fields.String(load_default="", validate=validate.Length(max=100))
    contact_name = fields.String(load_default="", validate=validate.Length(max=100))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=40))
    contact_email = fields.String(load_default="", validate=validate.Length(max=254))
    region = fields.String(required=True, allow_none=True, validate=validate.OneOf(REGIONS))
    solutions = fields.List(fields.String(validate=validate.OneOf(SPECIALTIES)), load_default=[])
    active = fields.Boolean(dump_only=True)
    created_at = UtcDateTime(dump_only=True)


class SupplierUpdateSchema(SupplierSchema):
    """The fields a PATCH changes (loaded with `partial=True`); `active: false`
    deactivates the supplier and `true` reactivates it."""

    active = fields.Boolean()


class SupplierQuery(ListQuery):
    q = fields.String(validate=validate.Length(max=200))
    region = fields.String(validate=validate.OneOf(REGIONS))
    solution = fields.String(validate=validate.OneOf(SPECIALTIES))
    active = fields.Boolean()


SupplierList = list_schema(SupplierSchema, "SupplierList")


@blp.route("", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.arguments(SupplierQuery, location="query")
@blp.response(200, SupplierList)
def list_suppliers(query: dict):
    """Suppliers newest first; `q` searches name, registration number, region and tag."""
    active = query.get("active")
    filters = queries.SupplierFilters(
        q=(query.get("q") or "").strip(),
        region=query.get("region") or "",
        solution=query.get("solution") or "",
        active="" if active is None else ("active" if active else "inactive"),
    )
    page = queries.supplier_page(filters, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("", methods=["POST"])
@roles_required(Role.MANAGER)
@blp.arguments(SupplierSchema)
@blp.response(201, SupplierSchema)
def create_supplier(body: dict):
    return services.create_supplier(api_user(), body)


@blp.route("/<int:supplier_id>", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.response(200, SupplierSchema)
def get_supplier(supplier_id: int):
    return services.visible_supplier(api_user(), supplier_id)


@blp.route("/<int:supplier_id>", methods=["PATCH"])
@roles_required(Role.MANAGER)
@blp.arguments(SupplierUpdateSchema(partial=True))
@blp.response(200, SupplierSchema)
def update_supplier(body: dict, supplier_id: int):
    """Change the fields given; `active` deactivates or reactivates (never a delete)."""
    return services.update_supplier(api_user(), supplier_id, body)
