"""Translatable labels of the fixed vocabularies, for pages and forms."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from aftercare.core.web.i18n import language
from aftercare.domain.ranking import Reason
from aftercare.domain.vocab import REGION_NAMES_KO

ROLE_LABELS = {
    "firm": _l("Manufacturer"),
    "meister": _l("Smart Meister"),
    "manager": _l("Programme manager"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
}

SIZE_LABELS = {"micro": _l("Micro"), "small": _l("Small"), "medium": _l("Medium")}

CATEGORY_LABELS = {
    "breakdown": _l("Breakdown"),
    "defect": _l("Defect"),
    "upgrade": _l("Solution upgrade"),
    "component_replacement": _l("Key component replacement"),
}
SEVERITY_LABELS = {
    "critical": _l("Critical"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
}
STATUS_LABELS = {
    "submitted": _l("Submitted"),
    "triaged": _l("Triaged"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "resolved": _l("Resolved"),
    "confirmed": _l("Confirmed"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
SUPPORT_TYPE_LABELS = {"emergency": _l("Emergency recovery"), "growth": _l("Growth-linked")}

ACTION_LABELS = {
    "file": _l("filed the ticket"),
    "triage_accept": _l("accepted the ticket at triage"),
    "triage_reject": _l("rejected the ticket at triage"),
    "assign": _l("assigned a Meister"),
    "accept": _l("accepted the assignment"),
    "decline": _l("declined the assignment"),
    "resolve": _l("resolved the ticket"),
    "confirm": _l("confirmed the work"),
    "reopen": _l("reopened the ticket"),
    "cancel": _l("cancelled the ticket"),
    "close": _l("closed the ticket"),
    "extend": _l("extended the project deadline"),
    "visit": _l("logged a visit"),
    "sla_breach": _l("flagged an SLA breach"),
    "project_overdue": _l("flagged the project as past its deadline"),
}

COST_KIND_LABELS = {
    "labour": _l("Labour"),
    "parts": _l("Parts"),
    "software": _l("Software"),
    "travel": _l("Travel"),
    "other": _l("Other"),
}

CLAIM_STATUS_LABELS = {
    "pending": _l("Pending approval"),
    "awaiting_second_approval": _l("Awaiting second approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "settled": _l("Settled"),
    "voided": _l("Voided"),
}

# Why approval would be refused (claims.services.REFUSAL_MESSAGES gives the API's English).
REFUSAL_LABELS = {
    "share_below_unit": _l("The computed share is below the rounding unit"),
    "firm_cap_exhausted": _l("The firm's cap for this support type is used up"),
    "pool_exhausted": _l("The programme pool is exhausted"),
}

# A fiscal year's rounding unit in words ("천 원"); other units are shown as amounts.
ROUNDING_UNIT_LABELS = {
    1: _l("1 won"),
    10: _l("10 won"),
    100: _l("100 won"),
    1_000: _l("1,000 won"),
    10_000: _l("10,000 won"),
    100_000: _l("100,000 won"),
    1_000_000: _l("1,000,000 won"),
}

# Evidence (docs/evidence.md): payment methods, what a line lacks, review decisions.
PAYMENT_METHOD_LABELS = {
    "card": _l("Card"),
    "transfer": _l("Bank transfer"),
    "cash": _l("Cash (not eligible)"),
}
MISSING_LABELS = {
    "invoice": _l("Tax invoice"),
    "payment": _l("Card or transfer payment"),
    "evidence_file": _l("Evidence file"),
}
REVIEW_LABELS = {
    "pending": _l("Not reviewed"),
    "verified": _l("Verified"),
    "disallowed": _l("Disallowed"),
}
DISALLOW_LABELS = {
    "duplicate_invoice": _l("Duplicate tax invoice"),
    "outside_period": _l("Outside the project period"),
    "unrelated": _l("Unrelated to the smart factory"),
    "cash_payment": _l("Paid in cash"),
    "vat_included": _l("VAT included in the amount"),
    "unreadable": _l("Evidence unreadable"),
    "other": _l("Other (see note)"),
}
FIRM_PAYMENT_LABELS = {
    "none": _l("Not recorded"),
    "recorded": _l("Recorded, awaiting confirmation"),
    "confirmed": _l("Confirmed"),
}
RECOVERY_STATUS_LABELS = {
    "open": _l("Open"),
    "decided": _l("Decided"),
    "dismissed": _l("Dismissed"),
    "objected": _l("Objection filed"),
    "upheld": _l("Decision upheld"),
    "revised": _l("Amount revised"),
    "partly_paid": _l("Partly paid"),
    "paid": _l("Paid back in full"),
    "written_off": _l("Written off"),
}
RECOVERY_GROUNDS_LABELS = {
    "false_invoice": _l("False tax invoice or documents"),
    "firm_share_unpaid": _l("Firm's own share never paid"),
    "obligation_breached": _l("Obligation breached"),
    "other": _l("Other (see description)"),
}
RECOVERY_ACTION_LABELS = {
    "open": _l("opened the case"),
    "decide": _l("decided the recovery"),
    "dismiss": _l("dismissed the case"),
    "object": _l("objected"),
    "uphold": _l("upheld the decision"),
    "revise": _l("revised the amount"),
    "pay_part": _l("recorded a part payment"),
    "pay_off": _l("recorded the final payment"),
    "write_off": _l("wrote off the rest"),
}
WAIT_LABELS = {
    "review_pending": _l("Evidence review pending"),
    "firm_payment_missing": _l("Firm's own share not confirmed"),
}

LIMITED_BY_LABELS = {
    "none": _l("Not limited"),
    "firm_cap": _l("Firm's cap"),
    "pool": _l("Programme pool"),
}

SPECIALTY_LABELS: dict[str, Any] = {
    "plc": "PLC",
    "mes": "MES",
    "erp": "ERP",
    "scada": "SCADA",
    "vision": _l("Machine vision"),
    "robot": _l("Robots"),
    "sensor": _l("Sensors"),
    "network": _l("Networks"),
    "database": _l("Databases"),
    "cnc": "CNC",
}


def specialty_label(code: str) -> Any:
    return SPECIALTY_LABELS.get(code, code)


def region_label(code: str) -> str:
    if language() == "ko":
        return REGION_NAMES_KO.get(code, code)
    return code.capitalize()


def ranking_reason(reason: Reason) -> str:
    """A Meister suggestion's reason in the reader's language: '전문 분야 일치: PLC (+50)'."""
    points = f"{reason.points:+}".replace("-", "−")
    if reason.term == "specialty":
        names = ", ".join(str(specialty_label(code)) for code in reason.detail)
        return gettext("Specialty match: %(names)s (%(points)s)", names=names, points=points)
    if reason.term == "region":
        region = region_label(reason.detail[0])
        return gettext("Serves %(region)s (%(points)s)", region=region, points=points)
    if reason.term == "load":
        count = reason.detail[0]
        return gettext("%(count)s open tickets (%(points)s)", count=count, points=points)
    rating = reason.detail[0]
    return gettext("Average rating %(rating)s (%(points)s)", rating=rating, points=points)


# The audit log's actions (every action string given to record_event; a test checks).
AUDIT_ACTION_LABELS: dict[str, Any] = {
    "approval_request.create": _l("Approval requested"),
    "approval_request.confirm": _l("Approval request confirmed"),
    "approval_request.refuse": _l("Approval request refused"),
    "asset.create": _l("Asset registered"),
    "asset.update": _l("Asset edited"),
    "asset.activate": _l("Asset back in service"),
    "asset.deactivate": _l("Asset taken out of service"),
    "claim.create": _l("Claim filed"),
    "claim.approve": _l("Claim approved"),
    "claim.approve_first": _l("Claim given its first approval"),
    "claim.approve_second": _l("Claim given its second approval"),
    "claim.reject": _l("Claim rejected"),
    "claim.void": _l("Claim voided"),
    "claim.firm_payment": _l("Firm's own share recorded"),
    "claim.firm_payment_confirm": _l("Firm's own share confirmed"),
    "claim.line_eligibility": _l("Cost line eligibility changed"),
    "claim.line_review": _l("Cost line evidence reviewed"),
    "cost_line.evidence": _l("Cost line evidence entered"),
    "firm.create": _l("Firm registered"),
    "firm.update": _l("Firm edited"),
    "firm.update_contacts": _l("Firm's contacts edited by the firm"),
    "firm.restrict": _l("Participation restricted"),
    "fiscal_year.open": _l("Fiscal year opened"),
    "fiscal_year.add_budget": _l("Budget added to the fiscal year"),
    "support_type.add": _l("Support type added"),
    "support_type.update": _l("Support type changed"),
    "ledger.batch_open": _l("Payout batch opened"),
    "ledger.batch_complete": _l("Payout batch completed"),
    "ledger.settle": _l("Claims settled in a payout batch"),
    "meister.create": _l("Meister registered"),
    "meister.update": _l("Meister edited"),
    "notification.preferences": _l("Notification settings changed"),
    "recovery.open": _l("Recovery case opened"),
    "recovery.attach": _l("Recovery case file attached"),
    "recovery.decide": _l("Recovery decided"),
    "recovery.dismiss": _l("Recovery case dismissed"),
    "recovery.object": _l("Objection filed"),
    "recovery.uphold": _l("Recovery decision upheld"),
    "recovery.revise": _l("Recovery amount revised"),
    "recovery.payment": _l("Recovery payment recorded"),
    "recovery.write_off": _l("Recovery written off"),
    "supplier.create": _l("Supplier registered"),
    "supplier.update": _l("Supplier edited"),
    "supplier.deactivate": _l("Supplier deactivated"),
    "supplier.reactivate": _l("Supplier reactivated"),
    "ticket.file": _l("Ticket filed"),
    "ticket.triage_accept": _l("Ticket accepted at triage"),
    "ticket.triage_reject": _l("Ticket rejected at triage"),
    "ticket.assign": _l("Meister assigned"),
    "ticket.accept": _l("Assignment accepted"),
    "ticket.decline": _l("Assignment declined"),
    "ticket.visit": _l("Visit logged"),
    "ticket.resolve": _l("Ticket resolved"),
    "ticket.confirm": _l("Work confirmed by the firm"),
    "ticket.reopen": _l("Ticket reopened"),
    "ticket.cancel": _l("Ticket cancelled"),
    "ticket.close": _l("Ticket closed"),
    "ticket.extend": _l("Project deadline extended"),
    "ticket.sla_breach": _l("SLA breach flagged"),
    "ticket.project_overdue": _l("Project past its deadline flagged"),
    "ticket.comment": _l("Comment added"),
    "ticket.attach": _l("File attached"),
    "token.issue": _l("API token issued"),
    "token.revoke": _l("API token revoked"),
    "token.revoke_all": _l("All API tokens revoked"),
    "user.create": _l("User created"),
    "user.activate": _l("User activated"),
    "user.deactivate": _l("User deactivated"),
    "user.sign_in": _l("Signed in"),
    "user.locked": _l("Account locked after failed sign-ins"),
    "user.unlock": _l("Account unlocked"),
    "user.reset_password": _l("Password reset"),
    "user.change_password": _l("Password changed"),
    "user.sign_out_everywhere": _l("Signed out everywhere"),
}

# What an audit event is about (its object_type).
AUDIT_OBJECT_LABELS: dict[str, Any] = {
    "ticket": _l("Ticket"),
    "claim": _l("Claim"),
    "cost_line": _l("Cost line"),
    "firm": _l("Firm"),
    "user": _l("User"),
    "meister": _l("Smart Meister"),
    "supplier": _l("Supplier"),
    "asset": _l("Asset"),
    "fiscal_year": _l("Fiscal year"),
    "payout_batch": _l("Payout batch"),
    "recovery_case": _l("Recovery case"),
    "approval_request": _l("Approval request"),
    "api_token": _l("API token"),
}

# The fields audit events carry most, for "상태: 대기 → 승인"; others show their key.
AUDIT_FIELD_LABELS: dict[str, Any] = {
    "status": _l("Status"),
    "reason": _l("Reason"),
    "name": _l("Name"),
    "note": _l("Note"),
    "amount": _l("Amount"),
    "total": _l("Amount"),
    "budget": _l("Budget"),
    "government_share": _l("Government share"),
    "firm_share": _l("Firm share"),
    "limited_by": _l("Limited by"),
    "fiscal_year": _l("Fiscal year"),
    "registration_number": _l("Business registration number"),
    "region": _l("Region"),
    "size": _l("Size class"),
    "industry": _l("Industry"),
    "supplier_id": _l("Solution supplier"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"),
    "contact_email": _l("Contact e-mail"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "active": _l("Active"),
    "eligible": _l("Eligible"),
    "meister_id": _l("Smart Meister"),
    "claim_id": _l("Claim"),
    "rating": _l("Rating"),
    "due_on": _l("Due"),
    "decided_amount": _l("Decided amount"),
    "owed": _l("Owed"),
    "attachment_id": _l("File number"),
    "cap_emergency": _l("Emergency recovery cap"),
    "cap": _l("Cap per firm"),
    "code": _l("Code"),
    "name_ko": _l("Korean name"),
    "name_en": _l("English name"),
    "project_months": _l("Project months"),
    "extension_months": _l("Extension months"),
    "is_open": _l("Open for new tickets"),
    "cap_growth": _l("Growth-linked cap"),
    "claim": _l("Claim"),
    "claim_ids": _l("Claims"),
    "claims": _l("Claims"),
    "claims_settled": _l("Claims settled"),
    "cost_line_id": _l("Cost line"),
    "cutoff_utc": _l("Cut-off"),
    "date": _l("Date"),
    "decided_by": _l("Decided by"),
    "eligible_total": _l("Eligible total"),
    "expires_at": _l("Expires"),
    "file_ids": _l("Files"),
    "firm_id": _l("Firm"),
    "first_approved_by": _l("First approval by"),
    "grounds": _l("Grounds"),
    "ineligible_total": _l("Ineligible total"),
    "installed_year": _l("Year installed"),
    "kind": _l("Kind of record"),
    "load": _l("Open tickets"),
    "location": _l("Location"),
    "maker": _l("Maker"),
    "max_load": _l("Most open tickets"),
    "model": _l("Model"),
    "payload": _l("Request"),
    "regions": _l("Regions"),
    "representative": _l("Representative"),
    "requested_by": _l("Requested by"),
    "result": _l("Result"),
    "rounding_unit": _l("Rounding unit"),
    "second_approval_from": _l("Second approval from"),
    "serial": _l("Serial number"),
    "share_rate_bp": _l("Share rate (basis points)"),
    "skipped_lines": _l("Lines skipped"),
    "solutions": _l("Solutions"),
    "specialties": _l("Specialties"),
    "ticket_id": _l("Ticket"),
    "type": _l("Type of record"),
    "visit_id": _l("Visit"),
    "visited_on": _l("Visit date"),
    "year": _l("Year"),
}
