"""/api/v1/tickets/{id}/… for assignment, the Meister's work and the firm's sign-off."""

from __future__ import annotations

from dataclasses import replace

from marshmallow import Schema, fields, validate

from aftercare.api.base import Blueprint, api_user
from aftercare.api.schemas import Id, UtcDateTime, Won
from aftercare.claims import signoff
from aftercare.core.web.labels import ranking_reason
from aftercare.domain.evidence import PAYMENT_METHODS
from aftercare.domain.money import COST_KINDS
from aftercare.meisters import assignment, visits
from aftercare.tickets.api import ReasonSchema
from aftercare.tickets.schemas import TicketSchema

blp = Blueprint("meister_work_api", __name__, url_prefix="/api/v1", description="Meister work")


class SuggestionSchema(Schema):
    meister_id = fields.Integer()
    name = fields.String()
    score = fields.Float()  # not money: a ranking score with two decimals
    load = fields.Integer()
    reasons = fields.List(fields.String())  # in the reader's language


class AssignSchema(Schema):
    meister_id = Id(required=True)
    force_reason = fields.String(load_default="", validate=validate.Length(max=10_000))


class EvidenceSchema(Schema):
    """A cost line's supplier, tax invoice (VAT apart) and payment; each field optional."""

    supplier_id = Id(allow_none=True)
    invoice_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    invoice_issued_on = fields.Date(allow_none=True)
    invoice_supply_amount = Won(allow_none=True, validate=validate.Range(min=0, max=10**13))
    invoice_vat = Won(allow_none=True, validate=validate.Range(min=0, max=10**13))
    payment_method = fields.String(allow_none=True, validate=validate.OneOf(PAYMENT_METHODS))
    paid_on = fields.Date(allow_none=True)


class CostLineSchema(EvidenceSchema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(COST_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=1_000_000)
    )
    unit_price = Won(required=True, validate=validate.Range(min=0, max=10_000_000_000))
    amount = fields.Integer(dump_only=True)
    eligible = fields.Boolean(dump_only=True)
    review_status = fields.String(dump_only=True)
    review_reason = fields.String(dump_only=True, allow_none=True)
    review_note = fields.String(dump_only=True)
    reviewed_by = fields.Integer(attribute="reviewed_by_id", dump_only=True, allow_none=True)
    reviewed_at = UtcDateTime(dump_only=True, allow_none=True)


class VisitSchema(Schema):
    id = fields.Integer(dump_only=True)
    ticket_id = fields.Integer(dump_only=True)
    meister_id = fields.Integer(dump_only=True)
    visited_on = fields.Date(required=True)
    # hours on site are not money: a float in JSON, checked to one decimal by the service
    hours = fields.Float(required=True, validate=validate.Range(min=0, max=24, min_inclusive=False))
    notes = fields.String(load_default="", validate=validate.Length(max=10_000))
    cost_lines = fields.List(
        fields.Nested(CostLineSchema), load_default=[], validate=validate.Length(max=50)
    )
    lines = fields.List(fields.Nested(CostLineSchema), dump_only=True, data_key="cost_lines_saved")


class ResolveSchema(Schema):
    summary = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class ConfirmSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=10_000))


class DeclineSchema(ReasonSchema):
    pass


@blp.route("/tickets/<int:ticket_id>/suggested-meisters", methods=["GET"])
@blp.response(200, SuggestionSchema(many=True))
def suggested_meisters(ticket_id: int):
    """Top 5 active Meisters under their maximum load, with score and reasons."""
    return [
        replace(s, reasons=[ranking_reason(r) for r in s.reasons])
        for s in assignment.suggest_meisters(api_user(), ticket_id)
    ]


@blp.route("/tickets/<int:ticket_id>/assign", methods=["POST"])
@blp.arguments(AssignSchema)
@blp.response(200, TicketSchema)
def assign(body: dict, ticket_id: int):
    return assignment.assign_meister(
        api_user(), ticket_id, body["meister_id"], body["force_reason"]
    )


@blp.route("/tickets/<int:ticket_id>/accept", methods=["POST"])
@blp.response(200, TicketSchema)
def accept(ticket_id: int):
    return visits.accept_ticket(api_user(), ticket_id)


@blp.route("/tickets/<int:ticket_id>/decline", methods=["POST"])
@blp.arguments(DeclineSchema)
@blp.response(200, TicketSchema)
def decline(body: dict, ticket_id: int):
    return visits.decline_ticket(api_user(), ticket_id, body["reason"])


@blp.route("/tickets/<int:ticket_id>/visits", methods=["POST"])
@blp.arguments(VisitSchema)
@blp.response(201, VisitSchema)
def log_visit(body: dict, ticket_id: int):
    return visits.log_visit(
        api_user(), ticket_id, body["visited_on"], body["hours"], body["notes"], body["cost_lines"]
    )


@blp.route("/tickets/<int:ticket_id>/resolve", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, TicketSchema)
def resolve(body: dict, ticket_id: int):
    return visits.resolve_ticket(api_user(), ticket_id, body["summary"])


@blp.route("/tickets/<int:ticket_id>/confirm", methods=["POST"])
@blp.arguments(ConfirmSchema)
@blp.response(200, TicketSchema)
def confirm(body: dict, ticket_id: int):
    """Confirm resolved work; the answer is the ticket with its claim now pending."""
    return signoff.confirm_ticket(api_user(), ticket_id, body["rating"], body["comment"])


@blp.route("/tickets/<int:ticket_id>/reopen", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, TicketSchema)
def reopen(body: dict, ticket_id: int):
    return signoff.reopen_ticket(api_user(), ticket_id, body["reason"])
