"""Cost-share claims (one per confirmed ticket)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import utcnow
from aftercare.extensions import db


class Claim(db.Model):
    __tablename__ = "claim"
    __table_args__ = (
        Index("ix_claim_status_id", "status", "id"),
        Index("ix_claim_firm_id_id", "firm_id", "id"),
        Index("ix_claim_status_approved_at", "status", "approved_at"),
        Index("ix_claim_fiscal_year_id_status", "fiscal_year_id", "status"),
        # The approval queue: pending claims only (see migration 0008).
        Index(
            "ix_claim_pending_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    support_type: Mapped[str] = mapped_column(String(16))
    # pending | awaiting_second_approval | approved | rejected | settled | voided
    status: Mapped[str] = mapped_column(String(32), default="pending")
    fiscal_year_id: Mapped[int | None] = mapped_column(ForeignKey("fiscal_year.id"))
    eligible_total: Mapped[int] = mapped_column(BigInteger, default=0)
    ineligible_total: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_share: Mapped[int | None] = mapped_column(BigInteger)
    government_share: Mapped[int | None] = mapped_column(BigInteger)
    firm_share: Mapped[int | None] = mapped_column(BigInteger)
    limited_by: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)  # when it became approved
    # Four eyes (SPEC §11): who approved first, and who second when the share needed two.
    first_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    first_approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    second_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batch.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    ticket = relationship("Ticket", lazy="joined", innerjoin=True)
    fiscal_year = relationship("FiscalYear", lazy="joined")
    # Loaded when read (the claim page names them); lists never touch them.
    first_approved_by = relationship("User", foreign_keys=[first_approved_by_id])
    second_approved_by = relationship("User", foreign_keys=[second_approved_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    batch = relationship("PayoutBatch")


class FirmPayment(db.Model):
    """The firm's payment of its own share (자부담) to the supplier, and its confirmation.

    No row: nothing recorded. A row without `confirmed_at`: recorded by the firm (it
    may record again, replacing it). Confirmed by a manager or auditor other than the
    recorder: settlement may pay the claim (docs/evidence.md §4).
    """

    __tablename__ = "firm_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))  # card | transfer
    paid_on: Mapped[date] = mapped_column(Date)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("ticket_attachment.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)

    attachment = relationship("Attachment", lazy="joined")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])

    @property
    def status(self) -> str:
        return "confirmed" if self.confirmed_at else "recorded"
