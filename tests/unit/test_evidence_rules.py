"""Evidence rules at their edges: approval numbers, invoices, payments, review, firm share."""

from __future__ import annotations

from datetime import date

import pytest

from aftercare.domain.evidence import (
    FIRM_PAYMENT_MISSING,
    REVIEW_PENDING,
    Invoice,
    Period,
    approval_number_date,
    approval_number_errors,
    firm_payment_errors,
    firm_payment_overdue,
    invoice_errors,
    missing_evidence,
    normalize_approval_number,
    payment_errors,
    review_errors,
    settlement_wait_reason,
)

NUMBER = "20210315-41000012-00000001"
PERIOD = Period(date(2021, 3, 1), date(2021, 8, 31))
TODAY = date(2021, 9, 1)


def invoice(**changes) -> Invoice:
    values = {
        "approval_number": NUMBER,
        "issued_on": date(2021, 3, 15),
        "supply_amount": 1_000_000,
        "vat": 100_000,
    } | changes
    return Invoice(**values)


@pytest.mark.parametrize("raw", [NUMBER, NUMBER.replace("-", ""), " 20210315 41000012 00000001 "])
def test_a_well_formed_approval_number_is_accepted_as_people_type_it(raw):
    assert approval_number_errors(raw) == []
    assert normalize_approval_number(raw) == "202103154100001200000001"
    assert approval_number_date(normalize_approval_number(raw)) == date(2021, 3, 15)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "20210315-41000012-0000001",  # 23 digits
        "20210315-41000012-000000011",  # 25 digits
        "20210315-4100001A-00000001",
        "２０２１０３１５４１００００１２００００００01",  # full-width digits
    ],
)
def test_a_malformed_approval_number_is_refused(raw):
    assert approval_number_errors(raw) == [
        "An approval number is 24 digits (e.g. 20210315-41000012-00000001)."
    ]


@pytest.mark.parametrize("first_eight", ["20210230", "20211301", "20210000"])
def test_the_first_eight_digits_must_be_a_date(first_eight):
    problems = approval_number_errors(first_eight + "4100001200000001")
    assert problems == ["The first eight digits of an approval number are its issue date."]


def test_a_good_invoice_has_no_errors():
    assert invoice_errors(invoice(), 1_000_000, PERIOD) == {}


def test_the_issue_date_must_match_the_number():
    errors = invoice_errors(invoice(issued_on=date(2021, 3, 16)), 1_000_000, PERIOD)
    assert errors == {"issued_on": ["The issue date must be the date in the approval number."]}


@pytest.mark.parametrize(
    ("issued", "inside"),
    [
        (date(2021, 3, 1), True),  # first day
        (date(2021, 8, 31), True),  # last day
        (date(2021, 2, 28), False),
        (date(2021, 9, 1), False),
    ],
)
def test_the_invoice_must_fall_within_the_project_period(issued, inside):
    number = issued.strftime("%Y%m%d") + "4100001200000001"
    errors = invoice_errors(invoice(approval_number=number, issued_on=issued), 1_000_000, PERIOD)
    assert ("issued_on" not in errors) is inside


@pytest.mark.parametrize("supply", [999_999, 1_000_001, 1_100_000])
def test_the_supply_amount_must_equal_the_line(supply):
    # 1,100,000 is the line with VAT in: VAT stays apart, never part of the shared cost
    errors = invoice_errors(invoice(supply_amount=supply), 1_000_000, PERIOD)
    assert list(errors) == ["supply_amount"]


def test_vat_is_never_negative_and_zero_is_allowed():
    assert list(invoice_errors(invoice(vat=-1), 1_000_000, PERIOD)) == ["vat"]
    assert invoice_errors(invoice(vat=0), 1_000_000, PERIOD) == {}  # 영세율 invoices exist


def test_payments_need_a_known_method_and_a_past_date():
    assert payment_errors("card", date(2021, 9, 1), TODAY) == {}
    assert payment_errors("cash", date(2021, 9, 1), TODAY) == {}  # recorded, not eligible
    assert list(payment_errors("cheque", TODAY, TODAY)) == ["method"]
    assert list(payment_errors("card", None, TODAY)) == ["paid_on"]
    assert list(payment_errors("card", date(2021, 9, 2), TODAY)) == ["paid_on"]


@pytest.mark.parametrize(
    ("has_invoice", "method", "files", "missing"),
    [
        (True, "card", 1, []),
        (True, "transfer", 2, []),
        (True, "cash", 1, ["payment"]),
        (True, None, 1, ["payment"]),
        (False, "card", 1, ["invoice"]),
        (True, "card", 0, ["evidence_file"]),
        (False, None, 0, ["invoice", "payment", "evidence_file"]),
    ],
)
def test_missing_evidence_names_what_an_eligible_line_lacks(has_invoice, method, files, missing):
    assert missing_evidence(has_invoice, method, files) == missing


def test_review_decisions():
    assert review_errors("verified", None, "") == {}
    assert review_errors("disallowed", "vat_included", "") == {}
    assert list(review_errors("disallowed", None, "")) == ["reason"]
    assert list(review_errors("disallowed", "because", "")) == ["reason"]
    assert list(review_errors("disallowed", "other", "  ")) == ["note"]
    assert review_errors("disallowed", "other", "견적서와 다름") == {}
    assert list(review_errors("pending", None, "")) == ["status"]


def test_the_firm_pays_its_whole_share_by_card_or_transfer():
    assert firm_payment_errors(500_000, 500_000, "transfer", TODAY, TODAY) == {}
    assert firm_payment_errors(600_000, 500_000, "card", TODAY, TODAY) == {}
    assert list(firm_payment_errors(499_999, 500_000, "card", TODAY, TODAY)) == ["amount"]
    assert firm_payment_errors(500_000, 500_000, "cash", TODAY, TODAY) == {
        "method": ["The firm's share must be paid by card or bank transfer."]
    }


@pytest.mark.parametrize(
    ("today", "status", "overdue"),
    [
        (date(2021, 5, 30), "none", False),  # day 60
        (date(2021, 5, 31), "none", True),  # day 61
        (date(2021, 5, 31), "recorded", True),  # recorded is not confirmed
        (date(2021, 12, 31), "confirmed", False),
    ],
)
def test_the_firm_share_is_overdue_after_sixty_days(today, status, overdue):
    assert firm_payment_overdue(date(2021, 3, 31), status, today) is overdue


def test_settlement_waits_for_review_then_for_the_firm_share():
    assert settlement_wait_reason(False, "confirmed") == REVIEW_PENDING
    assert settlement_wait_reason(False, "none") == REVIEW_PENDING
    assert settlement_wait_reason(True, "recorded") == FIRM_PAYMENT_MISSING
    assert settlement_wait_reason(True, "none") == FIRM_PAYMENT_MISSING
    assert settlement_wait_reason(True, "confirmed") is None
