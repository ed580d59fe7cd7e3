"""/api/v1/tickets and /api/v1/attachments."""

from __future__ import annotations

from flask import current_app, request, send_file
from marshmallow import Schema, fields, validate

from aftercare.api.base import Blueprint, api_user
from aftercare.api.schemas import MULTIPART_FILE, Id, ListQuery, UtcDateTime, list_schema
from aftercare.domain.errors import NotFound, ValidationFailed
from aftercare.domain.filetypes import with_extension
from aftercare.domain.states import CATEGORIES, SEVERITIES, Status
from aftercare.tickets import queries, serialize, services, storage
from aftercare.tickets.schemas import TicketSchema

blp = Blueprint("tickets_api", __name__, url_prefix="/api/v1", description="Tickets")


class TicketCreateSchema(Schema):
    firm_id = Id(load_default=None)
    asset_id = Id(load_default=None, allow_none=True)  # an active asset of the ticket's firm
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    system = fields.String(load_default="", validate=validate.Length(max=200))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=[])


class TicketQuery(ListQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    firm_id = Id(strict=False)
    meister_id = Id(strict=False)
    q = fields.String(validate=validate.Length(max=200))
    sla_breached = fields.Boolean()


class HistorySchema(Schema):
    id = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    reason = fields.String()
    details = fields.Dict()
    created_at = UtcDateTime()


class CommentSchema(Schema):
    id = fields.Integer(dump_only=True)
    author_id = fields.Integer(dump_only=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    created_at = UtcDateTime(dump_only=True)


class AttachmentSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = UtcDateTime()
    kind = fields.String()  # ticket | evidence | firm_payment
    cost_line_id = fields.Integer(allow_none=True)


class TriageSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "reject"]))
    reason = fields.String(load_default="", validate=validate.Length(max=10_000))
    override_reason = fields.String(load_default="", validate=validate.Length(max=10_000))
    # One of the open fiscal year's support types (the service checks it against the year).
    support_type = fields.String(load_default=None, validate=validate.Length(min=1, max=16))


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


TicketList = list_schema(TicketSchema, "TicketList")
HistoryList = list_schema(HistorySchema, "HistoryList")
CommentList = list_schema(CommentSchema, "CommentList")


def _page(page) -> dict:
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/tickets", methods=["POST"])
@blp.arguments(TicketCreateSchema)
@blp.response(201, TicketSchema)
def create_ticket(body: dict):
    """File a ticket (firm: own firm; manager: `firm_id`)."""
    return services.file_ticket(api_user(), body)


@blp.route("/tickets", methods=["GET"])
@blp.arguments(TicketQuery, location="query")
@blp.response(200, TicketList)
def list_tickets(query: dict):
    filters = queries.TicketFilters.from_args(query)
    page = queries.ticket_page(api_user(), filters, query["limit"], query["cursor"])
    return current_app.json.body_response(serialize.ticket_page_body(page))


@blp.route("/tickets/<int:ticket_id>", methods=["GET"])
@blp.response(200, TicketSchema)
def get_ticket(ticket_id: int):
    row = queries.ticket_row(api_user(), ticket_id)
    if row is None:
        raise NotFound("No such ticket")
    return current_app.json.body_response(serialize.ticket_body(row))


@blp.route("/tickets/<int:ticket_id>/history", methods=["GET"])
@blp.arguments(ListQuery, location="query")
@blp.response(200, HistoryList)
def ticket_history(query: dict, ticket_id: int):
    ticket = services.ticket_for(api_user(), ticket_id)
    return _page(queries.history_page(ticket.id, query["limit"], query["cursor"]))


@blp.route("/tickets/<int:ticket_id>/comments", methods=["GET"])
@blp.arguments(ListQuery, location="query")
@blp.response(200, CommentList)
def list_comments(query: dict, ticket_id: int):
    ticket = services.ticket_for(api_user(), ticket_id)
    return _page(queries.comment_page(ticket.id, query["limit"], query["cursor"]))


@blp.route("/tickets/<int:ticket_id>/comments", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(201, CommentSchema)
def add_comment(body: dict, ticket_id: int):
    return services.add_comment(api_user(), ticket_id, body["body"])


@blp.route("/tickets/<int:ticket_id>/attachments", methods=["POST"])
@blp.response(201, AttachmentSchema)
@blp.doc(requestBody=MULTIPART_FILE)
def upload_attachment(ticket_id: int):
    """Attach a file (multipart field `file`): JPEG, PNG, PDF, XLSX or plain text."""
    upload = request.files.get("file")
    if upload is None:
        services.ticket_for(api_user(), ticket_id)  # 404 first for another firm's ticket
        raise ValidationFailed({"file": ["Send the file in the multipart field 'file'."]})
    return services.add_attachment(
        api_user(), ticket_id, services.Upload(upload.filename or "", upload.read())
    )


@blp.route("/attachments/<int:attachment_id>", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
def download_attachment(attachment_id: int):
    attachment = services.attachment_for(api_user(), attachment_id)
    return send_attachment(attachment)


def send_attachment(attachment):
    """Stream an attachment as a download (also used by the HTML route)."""
    response = send_file(
        storage.path_for(attachment.stored_name),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=with_extension(attachment.original_name, attachment.content_type),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/tickets/<int:ticket_id>/triage", methods=["POST"])
@blp.arguments(TriageSchema)
@blp.response(200, TicketSchema)
def triage(body: dict, ticket_id: int):
    return services.triage_ticket(api_user(), ticket_id, **body)


@blp.route("/tickets/<int:ticket_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, TicketSchema)
def cancel(body: dict, ticket_id: int):
    return services.cancel_ticket(api_user(), ticket_id, body["reason"])


@blp.route("/tickets/<int:ticket_id>/extend", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, TicketSchema)
def extend(body: dict, ticket_id: int):
    return services.extend_project(api_user(), ticket_id, body["reason"])
