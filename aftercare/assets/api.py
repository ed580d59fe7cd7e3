"""/api/v1/assets: the asset register, read-only, scoped like the pages."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftercare.api.base import Blueprint, api_user
from aftercare.api.schemas import Id, ListQuery, UtcDateTime, list_schema
from aftercare.assets import queries, services

blp = Blueprint("assets_api", __name__, url_prefix="/api/v1/assets", description="Assets")


class AssetSchema(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    maker = fields.String()
    model = fields.String()
    serial = fields.String(allow_none=True)
    location = fields.String()
    installed_year = fields.Integer(allow_none=True)
    note = fields.String()
    active = fields.Boolean()
    created_at = UtcDateTime()


class AssetQuery(ListQuery):
    firm_id = Id(strict=False)
    q = fields.String(validate=validate.Length(max=200))
    include_inactive = fields.Boolean(load_default=False)


AssetList = list_schema(AssetSchema, "AssetList")


@blp.route("", methods=["GET"])
@blp.arguments(AssetQuery, location="query")
@blp.response(200, AssetList)
def list_assets(query: dict):
    """Assets newest first: a firm user's own firm's; managers and auditors any (`firm_id`)."""
    filters = queries.AssetFilters(
        firm_id=query.get("firm_id"),
        q=(query.get("q") or "").strip(),
        include_inactive=query["include_inactive"],
    )
    page = queries.asset_page(api_user(), filters, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<int:asset_id>", methods=["GET"])
@blp.response(200, AssetSchema)
def get_asset(asset_id: int):
    """One asset (a Meister: only one named by a ticket assigned to them)."""
    return services.visible_asset(api_user(), asset_id)
