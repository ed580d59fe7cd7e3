"""/api/v1/meisters (a Meister is identified by its user id)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.schemas import Id, ListQuery, list_schema
from aftercare.core.pagination import keyset_page
from aftercare.domain.errors import NotFound
from aftercare.domain.vocab import REGIONS, SPECIALTIES, Role
from aftercare.meisters import services
from aftercare.meisters.models import MeisterProfile
from aftercare.meisters.queries import loads_and_ratings, profile_by_user

blp = Blueprint("meisters_api", __name__, url_prefix="/api/v1/meisters", description="Meisters")


class MeisterSchema(Schema):
    user_id = Id(required=True)
    name = fields.Function(lambda p: p.user.name, dump_only=True)
    specialties = fields.List(fields.String(validate=validate.OneOf(SPECIALTIES)), load_default=[])
    regions = fields.List(fields.String(validate=validate.OneOf(REGIONS)), load_default=[])
    max_load = fields.Integer(load_default=5, strict=True, validate=validate.Range(min=1, max=50))
    active = fields.Boolean(load_default=True)
    load = fields.Integer(dump_only=True)
    rating = fields.Float(dump_only=True, allow_none=True)  # an average of 1–5 stars


class MeisterUpdateSchema(MeisterSchema):
    """The fields a PATCH changes; loaded with `partial=True` (marshmallow has no such
    Meta option), so a field left out keeps its value instead of taking its default."""

    class Meta:
        exclude = ("user_id",)


MeisterList = list_schema(MeisterSchema, "MeisterList")


def _with_stats(profiles: list[MeisterProfile]) -> list[MeisterProfile]:
    stats = loads_and_ratings([p.user_id for p in profiles])
    for profile in profiles:
        profile.load, profile.rating = stats.get(profile.user_id, (0, None))
    return profiles


@blp.route("", methods=["GET"])
@roles_required(Role.MANAGER)
@blp.arguments(ListQuery, location="query")
@blp.response(200, MeisterList)
def list_meisters(query: dict):
    page = keyset_page(select(MeisterProfile), MeisterProfile.id, query["limit"], query["cursor"])
    return {"items": _with_stats(page.items), "next_cursor": page.next_cursor}


@blp.route("", methods=["POST"])
@roles_required(Role.MANAGER)
@blp.arguments(MeisterSchema)
@blp.response(201, MeisterSchema)
def create_meister(body: dict):
    user_id = body.pop("user_id")
    return _with_stats([services.create_profile(api_user(), user_id, body)])[0]


@blp.route("/<int:user_id>", methods=["GET"])
@roles_required(Role.MANAGER)
@blp.response(200, MeisterSchema)
def get_meister(user_id: int):
    profile = profile_by_user(user_id)
    if profile is None:
        raise NotFound("No such Meister")
    return _with_stats([profile])[0]


@blp.route("/<int:user_id>", methods=["PATCH"])
@roles_required(Role.MANAGER)
@blp.arguments(MeisterUpdateSchema(partial=True))
@blp.response(200, MeisterSchema)
def update_meister(body: dict, user_id: int):
    return _with_stats([services.update_profile(api_user(), user_id, body)])[0]
