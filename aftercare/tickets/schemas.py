"""The documented JSON of a ticket: the API's list, detail and write answers all show it.

The list and detail build it from plain rows (`serialize`) whose columns are this
schema's fields; writes dump their ORM object through it. A test checks both agree.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from aftercare.api.schemas import UtcDateTime


class ClaimSummarySchema(Schema):
    id = fields.Integer()
    status = fields.String()
    eligible_total = fields.Integer()
    government_share = fields.Integer(allow_none=True)


CLAIM_SUMMARY = ClaimSummarySchema()  # one instance: building a schema per row is slow


class TicketSchema(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    firm_name = fields.Function(lambda t: t.firm.name)
    category = fields.String()
    support_type = fields.String()
    severity = fields.String()
    title = fields.String()
    description = fields.String()
    system = fields.String()
    tags = fields.List(fields.String())
    status = fields.String()
    meister_id = fields.Integer(allow_none=True)
    asset_id = fields.Integer(allow_none=True)
    sla_breached = fields.Boolean()
    project_overdue = fields.Boolean()
    project_deadline = fields.Date(allow_none=True)
    deadline_extended = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    triage_due_at = UtcDateTime()
    resolution_due_at = UtcDateTime(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    rating = fields.Integer(allow_none=True)
    claim = fields.Method("get_claim", allow_none=True)

    def get_claim(self, ticket):
        return CLAIM_SUMMARY.dump(ticket.claim) if ticket.claim is not None else None
