"""/api/v1/claims."""

from __future__ import annotations

import io

from flask import abort, request, send_file
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from aftercare.api.base import Blueprint, api_user, roles_required
from aftercare.api.idempotency import idempotent
from aftercare.api.schemas import Id, ListQuery, UtcDateTime, list_schema
from aftercare.approvals import services as approvals
from aftercare.approvals.api import ApprovalRequestSchema
from aftercare.claims import evidence, firm_share, review, services
from aftercare.claims.models import Claim
from aftercare.core.pagination import keyset_page
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.evidence import DISALLOW_REASONS, PAYMENT_METHODS
from aftercare.domain.vocab import Role
from aftercare.meisters.work_api import CostLineSchema
from aftercare.reports import settlement_report
from aftercare.tickets.api import ReasonSchema
from aftercare.tickets.services import Upload

blp = Blueprint("claims_api", __name__, url_prefix="/api/v1", description="Claims")

CLAIM_STATUSES = (
    "pending",
    "awaiting_second_approval",
    "approved",
    "rejected",
    "settled",
    "voided",
)


class ClaimSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    firm_id = fields.Integer()
    support_type = fields.String()
    status = fields.String()
    fiscal_year = fields.Function(lambda c: c.fiscal_year.year if c.fiscal_year else None)
    eligible_total = fields.Integer()
    ineligible_total = fields.Integer()
    computed_share = fields.Integer(allow_none=True)
    government_share = fields.Integer(allow_none=True)
    firm_share = fields.Integer(allow_none=True)
    limited_by = fields.String(allow_none=True)
    reason = fields.String()
    created_at = UtcDateTime()
    approved_at = UtcDateTime(allow_none=True)
    first_approved_by = fields.Integer(attribute="first_approved_by_id", allow_none=True)
    first_approved_at = UtcDateTime(allow_none=True)
    second_approved_by = fields.Integer(attribute="second_approved_by_id", allow_none=True)
    settled_at = UtcDateTime(allow_none=True)
    batch_id = fields.Integer(allow_none=True)


class FiguresSchema(Schema):
    fiscal_year = fields.Integer(allow_none=True)
    eligible_total = fields.Integer()
    ineligible_total = fields.Integer()
    computed_share = fields.Integer()
    firm_cap = fields.Integer()
    firm_used = fields.Integer()
    firm_remaining = fields.Integer()
    pool_available = fields.Integer(allow_none=True)  # null for a firm
    government_share = fields.Integer()
    firm_share = fields.Integer()
    limited_by = fields.String()
    refusal = fields.String(allow_none=True)


class ClaimLineSchema(CostLineSchema):
    """A claim's line with its evidence files and what it lacks or repeats."""

    supplier_name = fields.Function(lambda line: line.supplier.name if line.supplier else None)
    evidence_files = fields.List(fields.Integer(), dump_only=True)  # attachment ids
    missing = fields.List(fields.String(), dump_only=True)  # invoice | payment | evidence_file
    duplicate_of = fields.List(fields.Integer(), dump_only=True)  # other lines, same invoice


class FirmPaymentSchema(Schema):
    status = fields.String()  # recorded | confirmed
    amount = fields.Integer()
    method = fields.String()
    paid_on = fields.Date()
    attachment_id = fields.Integer()
    recorded_by = fields.Integer(attribute="recorded_by_id")
    recorded_at = UtcDateTime()
    confirmed_by = fields.Integer(attribute="confirmed_by_id", allow_none=True)
    confirmed_at = UtcDateTime(allow_none=True)


class AdjustmentSchema(Schema):
    transaction_id = fields.Integer(attribute="id")
    amount = fields.Integer()
    reason = fields.String()
    created_at = UtcDateTime()


class ClaimDetailSchema(ClaimSchema):
    lines = fields.List(fields.Nested(ClaimLineSchema))
    preview = fields.Nested(FiguresSchema, allow_none=True)
    firm_payment = fields.Nested(FirmPaymentSchema, allow_none=True)
    firm_payment_overdue = fields.Boolean()
    adjustments = fields.List(fields.Nested(AdjustmentSchema))


class ReviewSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["verified", "disallowed"]))
    reason = fields.String(load_default=None, validate=validate.OneOf(DISALLOW_REASONS))
    note = fields.String(load_default="", validate=validate.Length(max=10_000))


class FirmPaymentFields(Schema):
    """The multipart form of a firm's payment (with the proof in the field `file`)."""

    amount = fields.Integer(required=True, validate=validate.Range(min=0, max=10**13))
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    paid_on = fields.Date(required=True)


class ClaimQuery(ListQuery):
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    firm_id = Id(strict=False)


class LineEligibilitySchema(Schema):
    eligible = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


ClaimList = list_schema(ClaimSchema, "ClaimList")
FIRM_PAYMENT_FORM = FirmPaymentFields(unknown=EXCLUDE)


def _detail(claim: Claim) -> Claim:
    lines = []
    for flags in evidence.lines_with_flags(claim):
        line = flags.line
        line.evidence_files = [f.id for f in flags.files]
        line.missing, line.duplicate_of = flags.missing, flags.duplicate_of
        lines.append(line)
    claim.lines = lines
    claim.preview = services.preview_for(api_user(), claim)
    claim.firm_payment = firm_share.payment_of(claim.id)
    claim.firm_payment_overdue = firm_share.is_overdue(claim, claim.firm_payment)
    claim.adjustments = review.adjustments_of(claim.id)
    return claim


@blp.route("/claims", methods=["GET"])
@roles_required(Role.MANAGER, Role.AUDITOR, Role.FIRM)
@blp.arguments(ClaimQuery, location="query")
@blp.response(200, ClaimList)
def list_claims(query: dict):
    user = api_user()
    stmt = select(Claim)
    if user.role == Role.FIRM:
        stmt = stmt.where(Claim.firm_id == user.firm_id)
    if query.get("status"):
        stmt = stmt.where(Claim.status == query["status"])  # one of CLAIM_STATUSES
    if query.get("firm_id"):
        stmt = stmt.where(Claim.firm_id == query["firm_id"])
    page = keyset_page(stmt, Claim.id, query["limit"], query["cursor"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/claims/<int:claim_id>", methods=["GET"])
@blp.response(200, ClaimDetailSchema)
def get_claim(claim_id: int):
    return _detail(services.claim_for(api_user(), claim_id))


@blp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@idempotent
@blp.response(200, ClaimSchema)
def approve(claim_id: int):
    """Approve: reserve the government share (honours Idempotency-Key).

    A share at or above the year's `second_approval_from` answers `awaiting_second_approval`;
    the same call by another manager then makes it `approved` (the same manager → 409
    `four_eyes`). The ticket's filer, a triage override's author or a manager who changed
    a line's eligibility → 409 `conflict_of_interest`."""
    return services.approve_claim(api_user(), claim_id)


@blp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@idempotent
@blp.arguments(ReasonSchema)
@blp.response(200, ClaimSchema)
def reject(body: dict, claim_id: int):
    """Reject a pending claim, or one awaiting its second approval (releases its share)."""
    return services.reject_claim(api_user(), claim_id, body["reason"])


@blp.route("/claims/<int:claim_id>/void", methods=["POST"])
@idempotent
@blp.arguments(ReasonSchema)
@blp.response(202, ApprovalRequestSchema)
def void(body: dict, claim_id: int):
    """Ask for an approved claim to be voided: a pending request; another manager's
    confirmation releases the reservation (honours Idempotency-Key)."""
    return approvals.request_void(api_user(), claim_id, body["reason"])


@blp.route("/claims/<int:claim_id>/lines/<int:line_id>", methods=["PATCH"])
@blp.arguments(LineEligibilitySchema)
@blp.response(200, ClaimDetailSchema)
def set_line(body: dict, claim_id: int, line_id: int):
    claim = services.set_line_eligibility(
        api_user(), claim_id, line_id, body["eligible"], body["reason"]
    )
    return _detail(claim)


@blp.route("/claims/<int:claim_id>/lines/<int:line_id>/review", methods=["POST"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.arguments(ReviewSchema)
@blp.response(200, ClaimDetailSchema)
def review_line(body: dict, claim_id: int, line_id: int):
    """Verify or disallow an eligible line's evidence (reason from the fixed list; `other`
    needs a note). Disallowing a line of an approved claim lowers its share and releases
    the difference with an `adjust` transaction."""
    claim = review.review_line(
        api_user(), claim_id, line_id, body["status"], body["reason"], body["note"]
    )
    return _detail(claim)


@blp.route("/claims/<int:claim_id>/firm-payment", methods=["POST"])
@roles_required(Role.FIRM, Role.MANAGER)
@blp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "amount": {"type": "integer"},
                        "method": {"type": "string", "enum": ["card", "transfer"]},
                        "paid_on": {"type": "string", "format": "date"},
                        "file": {"type": "string", "format": "binary"},
                    },
                    "required": ["amount", "method", "paid_on", "file"],
                }
            }
        }
    }
)
@blp.response(200, ClaimDetailSchema)
def record_firm_payment(claim_id: int):
    """Record the firm's payment of its own share to the supplier (multipart: `amount`,
    `method`, `paid_on` and the proof in `file`)."""
    services.claim_for(api_user(), claim_id)  # 404 first for another firm's claim
    try:
        body = FIRM_PAYMENT_FORM.load(request.form)
    except ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from error
    upload = request.files.get("file")
    firm_share.record_payment(
        api_user(),
        claim_id,
        body["amount"],
        body["method"],
        body["paid_on"],
        Upload(upload.filename or "", upload.read()) if upload else None,
    )
    return _detail(services.claim_for(api_user(), claim_id))


@blp.route("/claims/<int:claim_id>/firm-payment/confirm", methods=["POST"])
@roles_required(Role.MANAGER, Role.AUDITOR)
@blp.response(200, ClaimDetailSchema)
def confirm_firm_payment(claim_id: int):
    """Confirm the firm's recorded payment (not by the person who recorded it)."""
    firm_share.confirm_payment(api_user(), claim_id)
    return _detail(services.claim_for(api_user(), claim_id))


@blp.route("/claims/<int:claim_id>/report.pdf", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def report_pdf(claim_id: int):
    """The claim's settlement report (정산보고서), an A4 PDF: firm, suppliers, lines with
    invoice numbers, evidence, totals, the firm's payment, who decided and when, and the
    audit event ids. 503 when the Korean font is not installed."""
    from aftercare.reports import settlement_pdf  # fpdf loads with the first report

    claim = services.claim_for(api_user(), claim_id)
    try:
        data = settlement_pdf.claim_report_pdf(settlement_report.claim_report(claim))
    except settlement_report.FontMissing as error:
        abort(503, description=str(error))
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"settlement-report-claim-{claim.id}.pdf",
        max_age=0,
    )
