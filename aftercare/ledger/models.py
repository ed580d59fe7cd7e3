"""Fiscal years and the double-entry ledger (SPEC §5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db

ACCOUNT_NAMES = ("funding", "pool_available", "pool_reserved", "paid_out")
SECOND_APPROVAL_FROM = 3_000_000  # won: the default four-eyes threshold


class FiscalYear(db.Model):
    __tablename__ = "fiscal_year"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    budget: Mapped[int] = mapped_column(BigInteger)
    # A government share at or above this needs a second manager's approval (SPEC §11).
    second_approval_from: Mapped[int] = mapped_column(
        BigInteger, default=SECOND_APPROVAL_FROM, server_default=str(SECOND_APPROVAL_FROM)
    )
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Years a decided recovery case on false documents excludes the firm (docs/recovery.md).
    restriction_years: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # The year's support types with their caps and rates (migration 0019).
    support_types: Mapped[list[SupportType]] = relationship(
        "SupportType", order_by="SupportType.id", back_populates="fiscal_year"
    )

    def type_of(self, code: str) -> SupportType | None:
        """The year's row of support type `code`, if the year offers it."""
        return next((t for t in self.support_types if t.code == code), None)

    def cap_for(self, code: str) -> int:
        """The per-firm cap of `code` this year (0 when the year does not offer it)."""
        row = self.type_of(code)
        return row.cap if row is not None else 0


class SupportType(db.Model):
    """A support type of one fiscal year: its cap, share rule and project months.

    New types are rows, not code (issue 30). The cap, rate and rounding unit are fixed
    once the year has approved claims of the type (ledger.services.update_support_type).
    """

    __tablename__ = "support_type"
    __table_args__ = (UniqueConstraint("fiscal_year_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_year.id"))
    code: Mapped[str] = mapped_column(String(16))
    name_ko: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
    cap: Mapped[int] = mapped_column(BigInteger)  # government share per firm, won
    share_rate_bp: Mapped[int] = mapped_column(Integer)
    rounding_unit: Mapped[int] = mapped_column(Integer)
    project_months: Mapped[int] = mapped_column(Integer)
    extension_months: Mapped[int] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    fiscal_year: Mapped[FiscalYear] = relationship(FiscalYear, back_populates="support_types")

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_ko


class LedgerAccount(db.Model):
    """One of the accounts of a fiscal year (aftercare.domain.ledger.ACCOUNTS).

    `balance` is a cache kept in step with postings inside the same transaction,
    so that a conditional UPDATE can refuse to overdraw it; reconciliation
    recomputes it from postings.
    """

    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("fiscal_year_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_year.id"))
    name: Mapped[str] = mapped_column(String(32))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerTransaction(db.Model):
    """Append-only; the database refuses UPDATE and DELETE (see migrations)."""

    __tablename__ = "ledger_transaction"
    __table_args__ = (Index("ix_ledger_transaction_type_id", "type", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_year.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    claim_id: Mapped[int | None] = mapped_column(Integer, index=True)
    firm_id: Mapped[int | None] = mapped_column(Integer, index=True)
    support_type: Mapped[str | None] = mapped_column(String(16))
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    recovery_case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    postings = relationship("Posting", lazy="selectin", order_by="Posting.id")


class Posting(db.Model):
    __tablename__ = "ledger_posting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    account = relationship(LedgerAccount, lazy="joined")


class FirmUsage(db.Model):
    """A firm's reserved and paid government share per fiscal year and support type.

    Kept beside the postings so that a conditional UPDATE can refuse to pass the cap
    under concurrent approvals; reconciliation recomputes it from transactions.
    """

    __tablename__ = "firm_usage"
    __table_args__ = (UniqueConstraint("fiscal_year_id", "firm_id", "support_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_year.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    support_type: Mapped[str] = mapped_column(String(16))
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
