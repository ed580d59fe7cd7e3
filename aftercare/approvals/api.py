"""/api/v1/approval-requests: money actions waiting for a second manager (SPEC §11)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.idempotency import idempotent
from aftercare.api.schemas import ListQuery, UtcDateTime, list_schema
from aftercare.approvals import services
from aftercare.approvals.models import ApprovalRequest
from aftercare.core.pagination import keyset_page
from aftercare.domain.vocab import Role
from aftercare.tickets.api import ReasonSchema

blp = Blueprint(
    "approvals_api",
    __name__,
    url_prefix="/api/v1",
    description="Approval requests (four eyes): budget additions, voids and settlements "
    "(managers), privileged accounts and their password resets (admins)",
)


class ApprovalRequestSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(services.KINDS)})
    payload = fields.Dict()
    status = fields.String(metadata={"enum": list(services.STATUSES)})
    requested_by = fields.Integer(attribute="requested_by_id")
    requested_at = UtcDateTime()
    decided_by = fields.Integer(attribute="decided_by_id", allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    reason = fields.String()
    result = fields.Dict(allow_none=True)


class ApprovalRequestQuery(ListQuery):
    status = fields.String(validate=validate.OneOf(services.STATUSES))
    kind = fields.String(validate=validate.OneOf(services.KINDS))


ApprovalRequestList = list_schema(ApprovalRequestSchema, "ApprovalRequestList")


@blp.route("/approval-requests", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.ADMIN)
@blp.arguments(ApprovalRequestQuery, location="query")
@blp.response(200, ApprovalRequestList)
def list_requests(query: dict):
    """Requests, newest first; filter by `status` and `kind`. Managers and auditors see
    money requests, admins account requests."""
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.kind.in_(services.kinds_seen_by(api_user().role))
    )
    for name in ("status", "kind"):
        if query.get(name):
            stmt = stmt.where(getattr(ApprovalRequest, name) == query[name])
    page = keyset_page(stmt, ApprovalRequest.id, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/approval-requests/<int:request_id>", methods=["GET"])
@blp.response(200, ApprovalRequestSchema)
def get_request(request_id: int):
    return services.request_for(api_user(), request_id)


# A settlement commits chunk by chunk: the key's record is stored after the action.
@blp.route("/approval-requests/<int:request_id>/confirm", methods=["POST"])
@idempotent(one_transaction=False)
@blp.response(200, ApprovalRequestSchema)
def confirm(request_id: int):
    """Another manager confirms: the budget is added, the claim voided or the date settled;
    another admin confirms an account request: the account is created or the password set
    (`result`). The requester → 409 `four_eyes`; a decided request → 409."""
    return services.confirm_request(api_user(), request_id)


@blp.route("/approval-requests/<int:request_id>/refuse", methods=["POST"])
@idempotent
@blp.arguments(ReasonSchema)
@blp.response(200, ApprovalRequestSchema)
def refuse(body: dict, request_id: int):
    """Another manager refuses, with a reason. The requester → 409 `four_eyes`."""
    return services.refuse_request(api_user(), request_id, body["reason"])
