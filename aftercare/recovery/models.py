"""Recovery cases (환수) on settled claims, their files, payments and history.
Rules: docs/recovery.md; the restriction register is aftercare.firms.models.Restriction."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db


class RecoveryCase(db.Model):
    """A case of money to recover from one firm, on one or more of its settled claims.

    `amount` is what the opener asked for; `decided_amount` what is owed after the
    decision (lowered when an objection is revised). `recovered` and `written_off` add
    up the payments and the write-off; the ledger's transactions are the books, these
    columns what the pages show (reconciliation checks they agree).
    """

    __tablename__ = "recovery_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_year.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    grounds: Mapped[str] = mapped_column(String(32))
    grounds_note: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    decided_amount: Mapped[int | None] = mapped_column(BigInteger)
    recovered: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off: Mapped[int] = mapped_column(BigInteger, default=0)
    due_on: Mapped[date | None] = mapped_column(Date)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_on: Mapped[date | None] = mapped_column(Date)  # Asia/Seoul: the 30 days count from it
    decision_note: Mapped[str] = mapped_column(Text, default="")
    objection_text: Mapped[str] = mapped_column(Text, default="")
    objected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    objected_at: Mapped[datetime | None] = mapped_column(DateTime)
    objection_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    objection_decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    objection_note: Mapped[str] = mapped_column(Text, default="")
    closed_reason: Mapped[str] = mapped_column(Text, default="")  # dismissal or write-off
    # The scheduled job tells people once: 7 days before the due date, and when overdue.
    due_soon_notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime)

    firm = relationship("Firm", lazy="joined", innerjoin=True)
    fiscal_year = relationship("FiscalYear")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    objection_decided_by = relationship("User", foreign_keys=[objection_decided_by_id])
    claims = relationship("RecoveryClaim", order_by="RecoveryClaim.claim_id", lazy="selectin")

    @property
    def owed(self) -> int:
        """What the firm still owes (0 before a decision)."""
        if self.decided_amount is None:
            return 0
        return self.decided_amount - self.recovered - self.written_off


class RecoveryClaim(db.Model):
    """A settled claim in a case, with the government share that was paid on it."""

    __tablename__ = "recovery_claim"

    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_case.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), primary_key=True, index=True)
    paid: Mapped[int] = mapped_column(BigInteger)

    claim = relationship("Claim", lazy="joined", innerjoin=True)


class RecoveryPayment(db.Model):
    """Money received back from the firm: one `recovery` transaction each."""

    __tablename__ = "recovery_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_case.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by = relationship("User")


class RecoveryFile(db.Model):
    """Evidence of the grounds (`evidence`) or of the firm's objection (`objection`)."""

    __tablename__ = "recovery_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # evidence | objection
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RecoveryEvent(db.Model):
    """The case's timeline: every step, who took it, from which status to which."""

    __tablename__ = "recovery_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_case.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("User")
