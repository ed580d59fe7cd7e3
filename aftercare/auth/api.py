"""/api/v1 tokens, me and users."""

from __future__ import annotations

from flask import g, jsonify, make_response, request
from marshmallow import Schema, fields, validate

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.schemas import Id, UtcDateTime
from aftercare.approvals import services as approvals
from aftercare.approvals.api import ApprovalRequestSchema
from aftercare.approvals.models import ApprovalRequest
from aftercare.auth import services
from aftercare.auth.login import account_key, address_key, login_failed, login_limit
from aftercare.domain.errors import DomainError, Forbidden
from aftercare.domain.text import N_
from aftercare.domain.vocab import LANGUAGES, Role
from aftercare.extensions import limiter

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Tokens and users")


class TokenRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class TokenResponse(Schema):
    token = fields.String()
    expires_at = UtcDateTime()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    firm_id = Id(allow_none=True, load_default=None)
    language = fields.String(load_default="ko", validate=validate.OneOf(LANGUAGES))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=1000)
    )
    active = fields.Boolean(dump_only=True)


class Unauthorized(DomainError):
    http_status = 401


@blp.route("/tokens", methods=["POST"])
@limiter.limit(login_limit, key_func=account_key, deduct_when=login_failed)
@limiter.limit(login_limit, key_func=address_key, deduct_when=login_failed)
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
@blp.doc(security=[])
def issue_token(body: dict):
    """Exchange e-mail and password for a bearer token."""
    user = services.authenticate(body["email"], body["password"])
    if user is None:
        g.login_failed = True
        raise Unauthorized("Wrong e-mail or password")
    if user.must_change_password:
        raise Forbidden(
            N_("Your password was reset: sign in on the web page and choose a new one first."),
            reason="password_change_required",
        )
    token, expires_at = services.issue_token(user)
    return {"token": token, "expires_at": expires_at}


@blp.route("/tokens/current", methods=["DELETE"])
@blp.response(204)
def revoke_current_token():
    """Revoke the token this request carries."""
    token = request.headers["Authorization"].partition(" ")[2].strip()
    services.revoke_token(api_user(), token)


@blp.route("/me", methods=["GET"])
@blp.response(200, UserSchema)
def me():
    return api_user()


@blp.route("/users", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(UserSchema)
@blp.response(201, UserSchema)
@blp.alt_response(202, schema=ApprovalRequestSchema, description="Waits for a second admin")
def create_user(body: dict):
    """Create a firm or Meister user (201). A manager, auditor or admin account is a
    request (202) that another admin confirms: POST /approval-requests/{id}/confirm."""
    made = approvals.add_user(api_user(), **body)
    if isinstance(made, ApprovalRequest):
        return make_response(jsonify(ApprovalRequestSchema().dump(made)), 202)
    return made
