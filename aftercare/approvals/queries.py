"""Reads of approval requests for pages."""

from __future__ import annotations

from sqlalchemy import func, select

from aftercare.approvals.models import ApprovalRequest
from aftercare.extensions import db


def pending_count() -> int:
    """Requests waiting for a second manager (the managers' dashboard shows it)."""
    return db.session.scalar(
        select(func.count(ApprovalRequest.id)).where(ApprovalRequest.status == "pending")
    )
