"""/api/v1/recovery-cases and /api/v1/restrictions (docs/recovery.md)."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.idempotency import idempotent
from aftercare.api.schemas import Id, ListQuery, UtcDateTime, Won, list_schema
from aftercare.core.pagination import keyset_page
from aftercare.domain import recovery as rules
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.time import seoul_today
from aftercare.domain.vocab import Role
from aftercare.firms import restrictions
from aftercare.firms.models import Restriction
from aftercare.recovery import services
from aftercare.recovery.models import RecoveryCase
from aftercare.tickets.services import Upload

blp = Blueprint(
    "recovery_api", __name__, url_prefix="/api/v1", description="Recovery cases and restrictions"
)


class CaseClaimSchema(Schema):
    claim_id = fields.Integer()
    ticket_id = fields.Function(lambda row: row.claim.ticket_id)
    paid = fields.Integer()


class CaseEventSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    amount = fields.Integer(allow_none=True)
    note = fields.String()
    actor_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class CaseFileSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = UtcDateTime()


class CasePaymentSchema(Schema):
    id = fields.Integer()
    amount = fields.Integer()
    received_on = fields.Date()
    note = fields.String()
    transaction_id = fields.Integer()
    created_at = UtcDateTime(attribute="recorded_at")


class CaseSchema(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    firm_name = fields.Function(lambda case: case.firm.name)
    fiscal_year = fields.Function(lambda case: case.fiscal_year.year)
    status = fields.String()
    grounds = fields.String()
    grounds_note = fields.String()
    amount = fields.Integer()
    decided_amount = fields.Integer(allow_none=True)
    recovered = fields.Integer()
    written_off = fields.Integer()
    owed = fields.Integer()
    due_on = fields.Date(allow_none=True)
    overdue = fields.Method("_overdue")
    objection_deadline = fields.Method("_deadline")
    opened_by = fields.Integer(attribute="opened_by_id")
    opened_at = UtcDateTime()
    decided_by = fields.Integer(attribute="decided_by_id", allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    claims = fields.List(fields.Nested(CaseClaimSchema))

    def _overdue(self, case: RecoveryCase) -> bool:
        return rules.is_overdue(case.status, case.due_on, seoul_today())

    def _deadline(self, case: RecoveryCase) -> str | None:
        return rules.objection_deadline(case.decided_on).isoformat() if case.decided_on else None


class CaseDetailSchema(CaseSchema):
    decision_note = fields.String()
    objection_text = fields.String()
    objection_note = fields.String()
    closed_reason = fields.String()
    events = fields.List(fields.Nested(CaseEventSchema))
    files = fields.List(fields.Nested(CaseFileSchema))
    payments = fields.List(fields.Nested(CasePaymentSchema))


class CaseQuery(ListQuery):
    status = fields.String(validate=validate.OneOf(rules.STATUSES))
    firm_id = Id(strict=False)


class OpenSchema(Schema):
    claim_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))
    grounds = fields.String(required=True, validate=validate.OneOf(rules.GROUNDS))
    grounds_note = fields.String(load_default="", validate=validate.Length(max=10_000))
    amount = Won(required=True)


class DecideSchema(Schema):
    amount = Won(required=True)
    due_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=10_000))


class CaseReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class ObjectionSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class ObjectionDecisionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("uphold", "revise")))
    note = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    amount = Won(load_default=None, allow_none=True)


class PaymentSchema(Schema):
    amount = Won(required=True)
    received_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=10_000))


class RestrictionSchema(Schema):
    id = fields.Integer()
    firm_id = fields.Integer()
    firm_name = fields.Function(lambda r: r.firm.name)
    source = fields.String()
    case_id = fields.Integer(allow_none=True)
    source_note = fields.String()
    reason = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    active = fields.Method("_active")

    def _active(self, row: Restriction) -> bool:
        return rules.Restriction(row.starts_on, row.ends_on).active_on(seoul_today())


class RestrictionQuery(ListQuery):
    state = fields.String(validate=validate.OneOf(("active", "ended")))
    firm_id = Id(strict=False)


class NewRestrictionSchema(Schema):
    firm_id = Id(required=True)
    starts_on = fields.Date(required=True)
    years = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10))
    source_note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


CaseList = list_schema(CaseSchema, "RecoveryCaseList")
RestrictionList = list_schema(RestrictionSchema, "RestrictionList")


def _detail(case: RecoveryCase) -> RecoveryCase:
    case.events = services.events_of(case.id)
    case.files = services.files_of(case.id)
    case.payments = services.payments_of(case.id)
    return case


def _uploads() -> list[Upload]:
    return [Upload(f.filename or "", f.read()) for f in request.files.getlist("file") if f]


@blp.route("/recovery-cases", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.FIRM)
@blp.arguments(CaseQuery, location="query")
@blp.response(200, CaseList)
def list_cases(query: dict):
    """Cases newest first; a firm sees its own."""
    user = api_user()
    stmt = select(RecoveryCase)
    if user.role == Role.FIRM:
        stmt = stmt.where(RecoveryCase.firm_id == user.firm_id)
    if query.get("status"):
        stmt = stmt.where(RecoveryCase.status == query["status"])
    if query.get("firm_id"):
        stmt = stmt.where(RecoveryCase.firm_id == query["firm_id"])
    page = keyset_page(stmt, RecoveryCase.id, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/recovery-cases", methods=["POST"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@idempotent
@blp.arguments(OpenSchema)
@blp.response(201, CaseDetailSchema)
def open_case(body: dict):
    """Open a case on settled claims of one firm (amount ≤ the government share paid on
    them); add the evidence with POST …/files before a manager decides it."""
    opening = services.Opening(
        body["claim_ids"], body["grounds"], body["grounds_note"], body["amount"]
    )
    return _detail(services.open_case(api_user(), opening))


@blp.route("/recovery-cases/<int:case_id>", methods=["GET"])
@blp.response(200, CaseDetailSchema)
def get_case(case_id: int):
    return _detail(services.case_for(api_user(), case_id))


@blp.route("/recovery-cases/<int:case_id>/files", methods=["POST"])
@blp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["evidence", "objection"]},
                        "file": {"type": "string", "format": "binary"},
                    },
                    "required": ["file"],
                }
            }
        }
    }
)
@blp.response(200, CaseDetailSchema)
def add_files(case_id: int):
    """Evidence of the grounds (managers, auditors) or of the firm's objection (`kind`
    objection): PDF, JPEG or PNG in one or more `file` fields."""
    services.case_for(api_user(), case_id)  # 404 first for another firm's case
    kind = request.form.get("kind", "evidence")
    if kind not in ("evidence", "objection"):
        raise ValidationFailed({"kind": ["Must be one of: evidence, objection."]})
    services.add_files(api_user(), case_id, _uploads(), kind)
    return _detail(services.case_for(api_user(), case_id))


@blp.route("/recovery-cases/<int:case_id>/decide", methods=["POST"])
@idempotent
@blp.arguments(DecideSchema)
@blp.response(200, CaseDetailSchema)
def decide(body: dict, case_id: int):
    """Decide (a manager other than the opener): the amount is clawed back from paid_out
    into recovery_receivable; false invoices restrict the firm. 409 `four_eyes`,
    `evidence_missing`, `invalid_transition`."""
    return _detail(
        services.decide(api_user(), case_id, body["amount"], body["due_on"], body["note"])
    )


@blp.route("/recovery-cases/<int:case_id>/dismiss", methods=["POST"])
@idempotent
@blp.arguments(CaseReasonSchema)
@blp.response(200, CaseDetailSchema)
def dismiss(body: dict, case_id: int):
    return _detail(services.dismiss(api_user(), case_id, body["reason"]))


@blp.route("/recovery-cases/<int:case_id>/objection", methods=["POST"])
@idempotent
@blp.arguments(ObjectionSchema)
@blp.response(200, CaseDetailSchema)
def object_to(body: dict, case_id: int):
    """The firm objects within 30 days of the decision (409 `objection_late` after)."""
    return _detail(services.object_to(api_user(), case_id, body["text"]))


@blp.route("/recovery-cases/<int:case_id>/objection/decision", methods=["POST"])
@idempotent
@blp.arguments(ObjectionDecisionSchema)
@blp.response(200, CaseDetailSchema)
def decide_objection(body: dict, case_id: int):
    """Uphold, or revise the amount down (a `revise` transaction gives the difference
    back); by a manager other than the decider."""
    case = services.decide_objection(
        api_user(), case_id, body["outcome"], body["note"], body["amount"]
    )
    return _detail(case)


@blp.route("/recovery-cases/<int:case_id>/payments", methods=["POST"])
@idempotent
@blp.arguments(PaymentSchema)
@blp.response(200, CaseDetailSchema)
def record_payment(body: dict, case_id: int):
    """Money received from the firm (≤ what is owed): a `recovery` transaction."""
    services.record_payment(api_user(), case_id, body["amount"], body["received_on"], body["note"])
    return _detail(services.case_for(api_user(), case_id))


@blp.route("/recovery-cases/<int:case_id>/write-off", methods=["POST"])
@idempotent
@blp.arguments(CaseReasonSchema)
@blp.response(200, CaseDetailSchema)
def write_off(body: dict, case_id: int):
    return _detail(services.write_off(api_user(), case_id, body["reason"]))


@blp.route("/restrictions", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.FIRM)
@blp.arguments(RestrictionQuery, location="query")
@blp.response(200, RestrictionList)
def list_restrictions(query: dict):
    """The participation restriction register; a firm sees its own."""
    user = api_user()
    stmt = restrictions.restrictions_query(state=query.get("state", ""))
    if user.role == Role.FIRM:
        stmt = stmt.where(Restriction.firm_id == user.firm_id)
    if query.get("firm_id"):
        stmt = stmt.where(Restriction.firm_id == query["firm_id"])
    page = keyset_page(stmt.order_by(None), Restriction.id, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/restrictions", methods=["POST"])
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(NewRestrictionSchema)
@blp.response(201, RestrictionSchema)
def record_restriction(body: dict):
    """Record a restriction imposed elsewhere (another programme, a court)."""
    return restrictions.record_external(
        api_user(),
        body["firm_id"],
        body["starts_on"],
        body["years"],
        body["source_note"],
        body["reason"],
    )
