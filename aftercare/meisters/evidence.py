"""A cost line's evidence: the supplier, its tax invoice, the payment and the files.

The assigned Meister, the firm's users and managers enter it until the claim is
approved (then it is what was approved on). The rules are `domain.evidence`'s;
this module turns their messages into ValidationFailed and stores the result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.domain import evidence as rules
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.sla import add_months
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today, to_seoul
from aftercare.extensions import db
from aftercare.meisters.models import CostLine
from aftercare.suppliers.services import supplier_choice_error
from aftercare.tickets.models import Attachment, Ticket
from aftercare.tickets.services import Upload, check_upload, store_attachment, ticket_for

# The fields of a line's evidence, as the API and the forms name them.
EVIDENCE_FIELDS = (
    "supplier_id",
    "invoice_number",
    "invoice_issued_on",
    "invoice_supply_amount",
    "invoice_vat",
    "payment_method",
    "paid_on",
)
EDITORS = ("meister", "firm", "manager")
MAX_PROJECT_MONTHS = 8  # 6 + a 2-month extension: the period when no deadline is set yet


def project_period(ticket: Ticket) -> rules.Period:
    """From the day the ticket was filed to its project deadline (Asia/Seoul)."""
    start = to_seoul(ticket.created_at).date()
    return rules.Period(start, ticket.project_deadline or add_months(start, MAX_PROJECT_MONTHS))


def line_for(actor: User, line_id: int, lock: bool = False) -> tuple[CostLine, Ticket]:
    """The cost line and its ticket if `actor` may see the ticket (404 otherwise)."""
    line = db.session.get(CostLine, line_id, with_for_update=lock or None)
    if line is None:
        raise NotFound("No such cost line")
    try:
        ticket = ticket_for(actor, line.ticket_id)
    except (NotFound, Forbidden) as error:
        raise NotFound("No such cost line") from error
    return line, ticket


def _editable_line(actor: User, line_id: int) -> tuple[CostLine, Ticket]:
    """The line, locked, if `actor` may still change its evidence."""
    line, ticket = line_for(actor, line_id, lock=True)
    if actor.role not in EDITORS:
        raise Forbidden("Your role may not enter evidence")
    claim_status = db.session.scalar(
        db.select(Claim.status).where(Claim.ticket_id == ticket.id).with_for_update()
    )
    if claim_status not in (None, "pending"):
        raise Conflict(
            N_("Evidence can change only until the claim is approved."),
            reason="invalid_transition",
            current_status=claim_status,
        )
    return line, ticket


def evidence_errors(
    ticket: Ticket,
    amount: int,
    data: dict[str, Any],
    today: date,
    current_supplier_id: int | None = None,
) -> dict[str, list[str]]:
    """Field → messages for a line's evidence of `amount` won (empty: it may be stored).

    A supplier deactivated since it was named stays acceptable on that line.
    """
    errors: dict[str, list[str]] = {}
    if problem := supplier_choice_error(data.get("supplier_id"), current_supplier_id):
        errors["supplier_id"] = [problem]
    if data.get("invoice_number"):
        errors |= _invoice_errors(ticket, amount, data)
    if data.get("payment_method"):
        found = rules.payment_errors(data["payment_method"], data.get("paid_on"), today)
        errors |= {"payment_method" if k == "method" else k: v for k, v in found.items()}
    return errors


INVOICE_FIELDS = {  # domain.evidence's names → ours
    "approval_number": "invoice_number",
    "issued_on": "invoice_issued_on",
    "supply_amount": "invoice_supply_amount",
    "vat": "invoice_vat",
}


def _invoice_errors(ticket: Ticket, amount: int, data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.get("supplier_id"):
        errors["supplier_id"] = [N_("Choose the supplier that issued the invoice.")]
    if data.get("invoice_issued_on") is None:
        errors["invoice_issued_on"] = [N_("Give the invoice's issue date.")]
    if data.get("invoice_supply_amount") is None:
        errors["invoice_supply_amount"] = [N_("Give the invoice's supply amount (VAT excluded).")]
    if errors:
        return errors
    invoice = rules.Invoice(
        approval_number=data["invoice_number"],
        issued_on=data["invoice_issued_on"],
        supply_amount=data["invoice_supply_amount"],
        vat=data.get("invoice_vat") or 0,
    )
    found = rules.invoice_errors(invoice, amount, project_period(ticket))
    return {INVOICE_FIELDS[name]: messages for name, messages in found.items()}


def apply_evidence(line: CostLine, data: dict[str, Any]) -> dict[str, Any]:
    """Store validated evidence on `line`; return the fields as they were before."""
    before = {name: _plain(getattr(line, name)) for name in EVIDENCE_FIELDS}
    for name in EVIDENCE_FIELDS:
        if name in data:
            value = data[name]
            if name == "invoice_number" and value:
                value = rules.normalize_approval_number(value)
            setattr(line, name, value if value != "" else None)
    if line.review_status != "pending":  # new evidence is reviewed afresh
        line.review_status, line.review_reason, line.review_note = "pending", None, ""
        line.reviewed_by_id = line.reviewed_at = None
    return before


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def set_line_evidence(actor: User, line_id: int, data: dict[str, Any]) -> CostLine:
    """Enter or correct a line's supplier, invoice and payment (only the fields given)."""
    line, ticket = _editable_line(actor, line_id)
    merged = {name: getattr(line, name) for name in EVIDENCE_FIELDS} | data
    today = seoul_today()
    if errors := evidence_errors(ticket, line.amount, merged, today, line.supplier_id):
        raise ValidationFailed(errors)
    before = apply_evidence(line, data)
    record_event(
        actor.id,
        "cost_line.evidence",
        "cost_line",
        line.id,
        before=before,
        after={name: _plain(getattr(line, name)) for name in EVIDENCE_FIELDS},
    )
    db.session.commit()
    return line


def add_evidence_file(actor: User, line_id: int, upload: Upload) -> Attachment:
    """Attach a tax invoice, receipt or payment proof (PDF, JPEG, PNG) to a line."""
    line, ticket = _editable_line(actor, line_id)
    checked, content_type = check_upload(upload, evidence=True)
    attachment = store_attachment(
        ticket, actor, checked, content_type, kind="evidence", cost_line_id=line.id
    )
    db.session.commit()
    return attachment


def evidence_files(line_ids: list[int]) -> dict[int, list[Attachment]]:
    """Evidence files by cost line (lines without files are absent)."""
    files: dict[int, list[Attachment]] = {}
    if not line_ids:
        return files
    for attachment in db.session.scalars(
        db.select(Attachment)
        .where(Attachment.cost_line_id.in_(line_ids), Attachment.kind == "evidence")
        .order_by(Attachment.id)
    ):
        files.setdefault(attachment.cost_line_id, []).append(attachment)
    return files
