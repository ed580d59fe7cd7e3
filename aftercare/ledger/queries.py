"""Reads of fiscal years, pools and firm usage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount


def fiscal_year_by_year(year: int) -> FiscalYear | None:
    return db.session.scalar(select(FiscalYear).where(FiscalYear.year == year))


def current_fiscal_year() -> FiscalYear | None:
    """The open fiscal year of today's date in Seoul, if any."""
    fiscal_year = fiscal_year_by_year(seoul_today().year)
    return fiscal_year if fiscal_year is not None and fiscal_year.is_open else None


def latest_fiscal_year() -> FiscalYear | None:
    return db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()).limit(1))


@dataclass
class Pool:
    fiscal_year: int
    budget: int
    available: int
    reserved: int
    paid: int


def pool_of(fiscal_year: FiscalYear) -> Pool:
    balances = dict(
        db.session.execute(
            select(LedgerAccount.name, LedgerAccount.balance).where(
                LedgerAccount.fiscal_year_id == fiscal_year.id
            )
        ).all()
    )
    return Pool(
        fiscal_year=fiscal_year.year,
        budget=fiscal_year.budget,
        available=balances.get("pool_available", 0),
        reserved=balances.get("pool_reserved", 0),
        paid=balances.get("paid_out", 0),
    )


def firm_usage(firm_id: int, fiscal_year: FiscalYear | None) -> dict | None:
    """Cap, reserved, paid and remaining per support type of the year (None: no year).

    One entry per code (`usage["growth"]`), and `types`, the same entries in the year's
    order with their codes, for pages that list every type.
    """
    if fiscal_year is None:
        return None
    rows = {
        row.support_type: row
        for row in db.session.scalars(
            select(FirmUsage).where(
                FirmUsage.firm_id == firm_id, FirmUsage.fiscal_year_id == fiscal_year.id
            )
        )
    }
    usage: dict = {"fiscal_year": fiscal_year.year, "types": []}
    for support_type in fiscal_year.support_types:
        row = rows.get(support_type.code)
        reserved = row.reserved if row else 0
        paid = row.paid if row else 0
        entry = {
            "cap": support_type.cap,
            "reserved": reserved,
            "paid": paid,
            "remaining": max(support_type.cap - reserved - paid, 0),
        }
        usage[support_type.code] = entry
        usage["types"].append({"code": support_type.code, **entry})
    return usage
