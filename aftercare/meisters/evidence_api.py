"""/api/v1/cost-lines/{id}: a cost line's supplier, tax invoice, payment and evidence files."""

from __future__ import annotations

from flask import request

from aftercare.api.base import Blueprint, api_user
from aftercare.api.schemas import MULTIPART_FILE
from aftercare.domain.errors import ValidationFailed
from aftercare.meisters import evidence
from aftercare.meisters.work_api import CostLineSchema, EvidenceSchema
from aftercare.tickets.api import AttachmentSchema
from aftercare.tickets.services import Upload

blp = Blueprint("evidence_api", __name__, url_prefix="/api/v1", description="Cost-line evidence")


@blp.route("/cost-lines/<int:line_id>", methods=["GET"])
@blp.response(200, CostLineSchema)
def get_line(line_id: int):
    line, _ = evidence.line_for(api_user(), line_id)
    return line


@blp.route("/cost-lines/<int:line_id>", methods=["PATCH"])
@blp.arguments(EvidenceSchema)
@blp.response(200, CostLineSchema)
def set_evidence(body: dict, line_id: int):
    """Enter or correct the line's supplier, invoice and payment (the fields sent only).

    The approval number is the NTS e-tax invoice's 24 digits (dashes allowed), its first
    eight the issue date, which lies in the project period; the supply amount equals the
    line's amount (VAT apart); payment `card`, `transfer` or `cash` (recorded, never
    eligible). Until the claim is approved; a reviewed line goes back to `pending`."""
    return evidence.set_line_evidence(api_user(), line_id, body)


@blp.route("/cost-lines/<int:line_id>/evidence", methods=["POST"])
@blp.doc(requestBody=MULTIPART_FILE)
@blp.response(201, AttachmentSchema)
def upload_evidence(line_id: int):
    """Attach an evidence file (multipart field `file`): PDF, JPEG or PNG."""
    upload = request.files.get("file")
    if upload is None:
        evidence.line_for(api_user(), line_id)  # 404 first for another firm's line
        raise ValidationFailed({"file": ["Send the file in the multipart field 'file'."]})
    return evidence.add_evidence_file(
        api_user(), line_id, Upload(upload.filename or "", upload.read())
    )
