"""The SLA job: flag overdue tickets, flag projects past their deadline, auto-confirm."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from aftercare.claims.firm_share import flag_overdue
from aftercare.claims.signoff import confirm_by_system
from aftercare.db import utcnow
from aftercare.domain import sla
from aftercare.domain.states import FINAL_STATUSES, Status
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.notifications.services import manager_ids, notify
from aftercare.recovery.services import flag_due as recovery_due
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import write_history

BATCH = 500
RESOLUTION_STATUSES = (Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS)


def overdue_ticket_ids(now: datetime) -> list[int]:
    """Tickets not yet flagged whose triage or resolution is past due."""
    triage = select(Ticket.id).where(
        Ticket.sla_breached.is_(False),
        Ticket.status == Status.SUBMITTED,
        Ticket.triage_due_at < now,
    )
    resolution = select(Ticket.id).where(
        Ticket.sla_breached.is_(False),
        Ticket.status.in_(RESOLUTION_STATUSES),
        Ticket.resolution_due_at < now,
    )
    return sorted(set(db.session.scalars(triage)) | set(db.session.scalars(resolution)))


def overdue_project_ids() -> list[int]:
    done = [*FINAL_STATUSES, Status.CONFIRMED]
    return list(
        db.session.scalars(
            select(Ticket.id).where(
                Ticket.project_overdue.is_(False),
                Ticket.project_deadline < seoul_today(),
                Ticket.status.not_in(done),
            )
        )
    )


def _flag(ticket_ids: list[int], attribute: str, action: str) -> int:
    """Set `attribute` on each ticket once, with a history row and a manager notification."""
    flagged = 0
    managers = manager_ids()
    for start in range(0, len(ticket_ids), BATCH):
        for ticket in db.session.scalars(
            select(Ticket).where(Ticket.id.in_(ticket_ids[start : start + BATCH]))
        ):
            if getattr(ticket, attribute):
                continue  # flagged meanwhile: once is enough
            setattr(ticket, attribute, True)
            write_history(ticket, None, action, ticket.status, ticket.status)
            notify(managers, action, ticket.id, ticket.title, f"{action}:t{ticket.id}")
            flagged += 1
        db.session.commit()
    return flagged


def run_sla_job(now: datetime | None = None) -> dict[str, int]:
    """Flag SLA breaches and overdue projects; auto-confirm resolved tickets left unanswered."""
    now = now or utcnow()
    counts = {
        "sla_breached": _flag(overdue_ticket_ids(now), "sla_breached", "sla_breach"),
        "project_overdue": _flag(overdue_project_ids(), "project_overdue", "project_overdue"),
        "auto_confirmed": auto_confirm(now),
        "firm_payment_overdue": flag_overdue(now),
        **recovery_due(now),
    }
    return counts


def auto_confirm(now: datetime) -> int:
    """Confirm (as the system, no rating) resolved tickets past 10 business days."""

    resolved = db.session.execute(
        select(Ticket.id, Ticket.resolved_at).where(Ticket.status == Status.RESOLVED)
    ).all()
    due = [tid for tid, at in resolved if at is not None and sla.auto_confirm_due(at, now)]
    return sum(1 for ticket_id in due if confirm_by_system(ticket_id))
