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
