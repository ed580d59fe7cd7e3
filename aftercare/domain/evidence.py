"""Evidence rules of a subsidy claim (issue 29, SPEC §11): invoices, payments, review, firm share.

Pure functions: the services that store invoices, evidence files, reviews and the
firm's payment call these and turn the messages into form errors or 422 answers.
Messages are English msgids marked with N_ (pages and the API translate them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from aftercare.domain.text import N_

# An NTS e-tax invoice approval number (전자세금계산서 승인번호): 24 digits, usually
# written 8-8-8; the first eight are the issue date (YYYYMMDD).
APPROVAL_NUMBER_DIGITS = 24

PAYMENT_METHODS = ("card", "transfer", "cash")
ELIGIBLE_PAYMENT_METHODS = ("card", "transfer")  # cash is never eligible

REVIEW_STATUSES = ("pending", "verified", "disallowed")
DISALLOW_REASONS = (
    "duplicate_invoice",
    "outside_period",
    "unrelated",
    "cash_payment",
    "vat_included",
    "unreadable",
    "other",  # needs a note
)

FIRM_PAYMENT_STATUSES = ("none", "recorded", "confirmed")
FIRM_PAYMENT_DUE_DAYS = 60  # after approval; later the claim shows as overdue to managers

# Why an approved claim waits at settlement (SPEC §11 `waiting`).
REVIEW_PENDING = "review_pending"
FIRM_PAYMENT_MISSING = "firm_payment_missing"

Errors = dict[str, list[str]]


def normalize_approval_number(raw: str) -> str:
    """Strip the dashes and spaces people type: stored as 24 bare digits."""
    return raw.replace("-", "").replace(" ", "").strip()


def approval_number_date(number: str) -> date | None:
    """The issue date the first eight digits carry, or None when they are not a date."""
    try:
        return date(int(number[:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        return None


def approval_number_errors(raw: str) -> list[str]:
    """What is wrong with an approval number as typed (empty when it is well formed)."""
    number = normalize_approval_number(raw)
    if len(number) != APPROVAL_NUMBER_DIGITS or not (number.isascii() and number.isdigit()):
        return [N_("An approval number is 24 digits (e.g. 20210315-41000012-00000001).")]
    if approval_number_date(number) is None:
        return [N_("The first eight digits of an approval number are its issue date.")]
    return []


@dataclass(frozen=True)
class Invoice:
    """A tax invoice as a cost line names it; amounts in won, VAT apart."""

    approval_number: str
    issued_on: date
    supply_amount: int  # 공급가액, VAT excluded
    vat: int


@dataclass(frozen=True)
class Period:
    """The project period: the ticket's filing to its end (at most 6 + 2 months)."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def invoice_errors(invoice: Invoice, line_amount: int, period: Period) -> Errors:
    """Field → messages for an invoice on a cost line of `line_amount` won."""
    errors: Errors = {}
    if problems := approval_number_errors(invoice.approval_number):
        errors["approval_number"] = problems
    elif approval_number_date(normalize_approval_number(invoice.approval_number)) != (
        invoice.issued_on
    ):
        errors["issued_on"] = [N_("The issue date must be the date in the approval number.")]
    if invoice.issued_on not in period:
        errors.setdefault("issued_on", []).append(
            N_("The invoice must be issued within the project period.")
        )
    if invoice.supply_amount != line_amount:
        errors["supply_amount"] = [
            N_("The supply amount (VAT excluded) must equal the line's amount.")
        ]
    if invoice.vat < 0:
        errors["vat"] = [N_("VAT cannot be negative.")]
    return errors


def payment_errors(method: str, paid_on: date | None, today: date) -> Errors:
    """Field → messages for how a cost line was paid (cash is recorded, never eligible)."""
    errors: Errors = {}
    if method not in PAYMENT_METHODS:
        errors["method"] = [N_("Choose card, bank transfer or cash.")]
    if paid_on is None:
        errors["paid_on"] = [N_("Give the payment date.")]
    elif paid_on > today:
        errors["paid_on"] = [N_("The payment date cannot be in the future.")]
    return errors


def missing_evidence(has_invoice: bool, payment_method: str | None, files: int) -> list[str]:
    """What an eligible line still lacks before approval: invoice, payment, file."""
    missing = []
    if not has_invoice:
        missing.append("invoice")
    if payment_method not in ELIGIBLE_PAYMENT_METHODS:
        missing.append("payment")
    if files < 1:
        missing.append("evidence_file")
    return missing


def review_errors(status: str, reason: str | None, note: str) -> Errors:
    """Field → messages for a reviewer's decision on a line."""
    if status == "verified":
        return {}
    if status != "disallowed":
        return {"status": [N_("Choose verified or disallowed.")]}
    if reason not in DISALLOW_REASONS:
        return {"reason": [N_("Choose why the line is disallowed.")]}
    if reason == "other" and not note.strip():
        return {"note": [N_("Say why, when the reason is 'other'.")]}
    return {}


def firm_payment_errors(
    amount: int, firm_share: int, method: str, paid_on: date | None, today: date
) -> Errors:
    """Field → messages for the firm's payment of its own share (자부담) to the supplier."""
    errors = payment_errors(method, paid_on, today)
    if method == "cash":
        errors["method"] = [N_("The firm's share must be paid by card or bank transfer.")]
    if amount < firm_share:
        errors["amount"] = [N_("The payment must cover the firm's whole share.")]
    return errors


def firm_payment_overdue(approved_on: date, status: str, today: date) -> bool:
    """Not confirmed within 60 days of approval: managers see it (no money moves)."""
    return status != "confirmed" and today > approved_on + timedelta(days=FIRM_PAYMENT_DUE_DAYS)


def settlement_wait_reason(lines_reviewed: bool, firm_payment_status: str) -> str | None:
    """Why an approved claim is not paid yet, or None when settlement may pay it."""
    if not lines_reviewed:
        return REVIEW_PENDING
    if firm_payment_status != "confirmed":
        return FIRM_PAYMENT_MISSING
    return None
