"""Payout batches (one settlement run per date), their lines, and reconciliation runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.db import utcnow
from aftercare.extensions import db


class PayoutBatch(db.Model):
    """One settlement run per date (Asia/Seoul): the claims it settles and their total."""

    __tablename__ = "payout_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_date: Mapped[date] = mapped_column(Date, unique=True)
    cutoff_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | complete
    claims_settled: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class PayoutLine(db.Model):
    """A claim chosen for a batch; `settled` once its settle transaction is posted."""

    __tablename__ = "payout_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batch.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|settled|skipped


class ReconciliationRun(db.Model):
    """The result of checking every ledger invariant once."""

    __tablename__ = "reconciliation_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    checks: Mapped[list] = mapped_column(JSON, default=list)
