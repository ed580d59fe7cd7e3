"""Aggregates for the role dashboards.

Each figure is one SQL query that groups in the database (GROUP BY, SUM(CASE …)), so a
dashboard costs the same number of queries at ten tickets or a hundred thousand.
Programme-wide figures are cached for a few seconds (DASHBOARD_CACHE_SECONDS) and
return plain tuples and dataclasses, never ORM objects, so a cached value is safe to
share between requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.core.caching import cached_for
from aftercare.db import utcnow
from aftercare.domain.figures import bp_percent, month_key
from aftercare.domain.states import Status
from aftercare.domain.time import seoul_midnight_utc, seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.ledger.models import FirmUsage, SupportType
from aftercare.meisters.models import MeisterProfile, Visit
from aftercare.tickets.models import Ticket

QUEUE_SIZE = 10
# Claims whose government share is spent (decided). A claim awaiting its second approval is
# reserved but not yet decided: the dashboard lists it apart (second_approval_queue).
SPENT_STATUSES = ("approved", "settled")


# What a queue row shows (home/_ticket_rows.html): plain rows, not ORM objects.
QUEUE_COLUMNS = (
    Ticket.id,
    Ticket.title,
    Ticket.severity,
    Ticket.status,
    Ticket.sla_breached,
    Ticket.triage_due_at,
    Ticket.resolution_due_at,
)


def triage_queue() -> list[Any]:
    """Submitted tickets, the most urgent deadline first."""
    return db.session.execute(
        select(*QUEUE_COLUMNS)
        .where(Ticket.status == "submitted")
        .order_by(Ticket.triage_due_at, Ticket.id)
        .limit(QUEUE_SIZE)
    ).all()


def approval_queue() -> list[Any]:
    """Pending claims, oldest first: id, eligible total and the firm's name."""
    return db.session.execute(
        select(Claim.id, Claim.eligible_total, Firm.name.label("firm_name"))
        .join(Firm, Firm.id == Claim.firm_id)
        .where(Claim.status == "pending")
        .order_by(Claim.id)
        .limit(QUEUE_SIZE)
    ).all()


def second_approval_queue() -> list[Any]:
    """Claims awaiting a second manager, oldest first: id, share, first approver, firm."""
    return db.session.execute(
        select(
            Claim.id,
            Claim.government_share,
            Claim.first_approved_by_id,
            Firm.name.label("firm_name"),
        )
        .join(Firm, Firm.id == Claim.firm_id)
        .where(Claim.status == "awaiting_second_approval")
        .order_by(Claim.id)
        .limit(QUEUE_SIZE)
    ).all()


@cached_for()
def directory_counts() -> tuple[int, int]:
    """(firms, Meister profiles) in the programme."""
    firms = db.session.scalar(select(func.count(Firm.id)))
    return firms, db.session.scalar(select(func.count(MeisterProfile.id)))


@cached_for()
def open_breaches() -> int:
    """Open tickets flagged past their SLA."""
    return db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.sla_breached.is_(True), Ticket.status.not_in(("closed", "rejected", "cancelled"))
        )
    )


@cached_for()
def status_counts() -> dict[str, int]:
    return dict(
        db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    )


def spending_by(column, fiscal_year_id: int | None) -> list[tuple[str, int]]:
    """Government share of approved and settled claims, grouped by a firm or ticket column."""
    stmt = (
        select(column, func.sum(Claim.government_share))
        .select_from(Claim)
        .where(Claim.status.in_(SPENT_STATUSES))
        .group_by(column)
        .order_by(func.sum(Claim.government_share).desc(), column)
    )
    # Join only the table the column comes from: at 100,000 claims every join costs.
    if column.table is Ticket.__table__:
        stmt = stmt.join(Ticket, Ticket.id == Claim.ticket_id)
    else:
        stmt = stmt.join(Firm, Firm.id == Claim.firm_id)
    if fiscal_year_id is not None:
        stmt = stmt.where(Claim.fiscal_year_id == fiscal_year_id)
    return [(key, int(total or 0)) for key, total in db.session.execute(stmt).all()]


@cached_for()
def spending_by_region(fiscal_year_id: int | None) -> list[tuple[str, int]]:
    return spending_by(Firm.region, fiscal_year_id)


@cached_for()
def spending_by_category(fiscal_year_id: int | None) -> list[tuple[str, int]]:
    return spending_by(Ticket.category, fiscal_year_id)


def firm_open_tickets(firm_id: int) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.firm_id == firm_id, Ticket.status.not_in(("closed", "rejected", "cancelled"))
            )
            .order_by(Ticket.id.desc())
            .limit(QUEUE_SIZE)
        )
    )


def meister_queue(meister_id: int) -> list[Ticket]:
    """Assigned and in-progress tickets, by resolution due time."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.meister_id == meister_id, Ticket.status.in_(("assigned", "in_progress")))
            .order_by(Ticket.resolution_due_at, Ticket.id)
            .limit(50)
        )
    )


def meister_recent_visits(meister_id: int) -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.meister_id == meister_id)
            .order_by(Visit.id.desc())
            .limit(QUEUE_SIZE)
        )
    )


def meister_ratings(meister_id: int) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.meister_id == meister_id, Ticket.rating.is_not(None))
            .order_by(Ticket.confirmed_at.desc())
            .limit(QUEUE_SIZE)
        )
    )


# ---------------------------------------------------------------- programme charts

RESOLUTION_STATUSES = (Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS)
WORK_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)
CHART_ROWS = 15  # Meisters and firms shown in a chart: the top of the list, not all


def month_number(column: Any, year: int) -> ColumnElement:
    """Month 1–12 in Asia/Seoul of a naive-UTC timestamp known to lie within `year`.

    Plain comparisons with the twelve month starts, the same SQL on both databases and
    cheaper than time-zone functions; PostgreSQL also hash-aggregates on it instead of
    sorting every row by a formatted string.
    """
    whens = [(column < seoul_midnight_utc(date(year, m + 1, 1)), m) for m in range(1, 12)]
    return case(*whens, else_=12)


def within_year(column: Any, year: int) -> ColumnElement:
    """The timestamp falls in `year`, Asia/Seoul."""
    return and_(
        column >= seoul_midnight_utc(date(year, 1, 1)),
        column < seoul_midnight_utc(date(year + 1, 1, 1)),
    )


def _count_if(condition: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@cached_for()
def spending_by_month(fiscal_year_id: int, year: int) -> dict[str, int]:
    """Government share of approved and settled claims by month of approval (Seoul).

    A claim belongs to the fiscal year of its approval date, so its approval falls in
    that year; the range condition only makes the month buckets safe.
    """
    month = month_number(Claim.approved_at, year).label("month")
    rows = db.session.execute(
        select(month, func.sum(Claim.government_share))
        .where(
            Claim.fiscal_year_id == fiscal_year_id,
            Claim.status.in_(SPENT_STATUSES),
            within_year(Claim.approved_at, year),
        )
        .group_by(month)
    ).all()
    return {month_key(year, number): int(total or 0) for number, total in rows}


@dataclass(frozen=True)
class SlaMonth:
    """Tickets filed in one month and how their SLA clocks ended (or stand)."""

    month: str
    filed: int
    triage_measured: int  # triaged, or still waiting past the due time
    triage_met: int  # triaged by the due time
    resolution_measured: int  # resolved, or still open past the due time
    resolution_met: int  # resolved by the due time
    breached: int  # flagged by the SLA job


@cached_for()
def sla_by_month(year: int) -> list[SlaMonth]:
    """SLA outcomes of the tickets filed in `year` (Seoul), by filing month.

    A triage clock counts once it ended (the ticket was accepted) or ran out while the
    ticket still waits; a resolution clock likewise. Tickets cancelled or rejected before
    their clock ran out are not measured. Reopened work counts by its latest resolution.
    """
    now = utcnow()
    month = month_number(Ticket.created_at, year).label("month")
    triaged = Ticket.triaged_at.is_not(None)
    resolved = Ticket.resolved_at.is_not(None)
    stmt = (
        select(
            month,
            func.count(Ticket.id),
            _count_if(
                or_(triaged, and_(Ticket.status == Status.SUBMITTED, Ticket.triage_due_at < now))
            ),
            _count_if(and_(triaged, Ticket.triaged_at <= Ticket.triage_due_at)),
            _count_if(
                or_(
                    resolved,
                    and_(Ticket.status.in_(RESOLUTION_STATUSES), Ticket.resolution_due_at < now),
                )
            ),
            _count_if(and_(resolved, Ticket.resolved_at <= Ticket.resolution_due_at)),
            _count_if(Ticket.sla_breached.is_(True)),
        )
        .where(within_year(Ticket.created_at, year))
        .group_by(month)
        .order_by(month)
    )
    return [
        SlaMonth(month_key(year, row[0]), *(int(v) for v in row[1:]))
        for row in db.session.execute(stmt)
    ]


@dataclass(frozen=True)
class MeisterLoad:
    user_id: int
    name: str
    open: int  # assigned or in progress
    max_load: int
    rating_total: int
    rating_count: int


@cached_for()
def meister_workload(limit: int = CHART_ROWS) -> list[MeisterLoad]:
    """Active Meisters with their open tickets and ratings, the busiest first.

    The busiest are picked from the (meister_id, status) index first; only their rated
    tickets are then read, so the query does not walk every ticket for ratings.
    """
    load = (
        select(Ticket.meister_id.label("meister_id"), func.count(Ticket.id).label("open"))
        .where(Ticket.status.in_(WORK_STATUSES), Ticket.meister_id.is_not(None))
        .group_by(Ticket.meister_id)
        .subquery()
    )
    open_count = func.coalesce(load.c.open, 0)
    busiest = (
        select(
            User.id.label("user_id"),
            User.name.label("name"),
            MeisterProfile.max_load.label("max_load"),
            open_count.label("open"),
        )
        .join(MeisterProfile, MeisterProfile.user_id == User.id)
        .outerjoin(load, load.c.meister_id == User.id)
        .where(MeisterProfile.active.is_(True))
        .order_by(open_count.desc(), User.id)
        .limit(limit)
        .subquery()
    )
    stmt = (
        select(
            busiest.c.user_id,
            busiest.c.name,
            busiest.c.open,
            busiest.c.max_load,
            func.coalesce(func.sum(Ticket.rating), 0),
            func.count(Ticket.rating),
        )
        .outerjoin(Ticket, and_(Ticket.meister_id == busiest.c.user_id, Ticket.rating.is_not(None)))
        .group_by(busiest.c.user_id, busiest.c.name, busiest.c.open, busiest.c.max_load)
        .order_by(busiest.c.open.desc(), busiest.c.user_id)
    )
    return [
        MeisterLoad(uid, name, int(load), max_load, int(total), int(count))
        for uid, name, load, max_load, total, count in db.session.execute(stmt)
    ]


@dataclass(frozen=True)
class CapUse:
    firm_id: int
    firm_name: str
    support_type: str
    used: int  # reserved + paid, won
    cap: int  # won
    share_bp: int  # basis points of the cap used, rounded down

    @property
    def percent(self) -> float:
        return bp_percent(self.share_bp)


@cached_for()
def top_cap_usage(fiscal_year_id: int, limit: int = CHART_ROWS) -> list[CapUse]:
    """Firms and support types with the largest share of their cap used in one year."""
    used = FirmUsage.reserved + FirmUsage.paid
    cap = SupportType.cap
    share = func.coalesce(used * 10000 // func.nullif(cap, 0), 0)
    stmt = (
        select(Firm.id, Firm.name, FirmUsage.support_type, used, cap, share)
        .join(Firm, Firm.id == FirmUsage.firm_id)
        .join(
            SupportType,
            and_(
                SupportType.fiscal_year_id == FirmUsage.fiscal_year_id,
                SupportType.code == FirmUsage.support_type,
            ),
        )
        .where(FirmUsage.fiscal_year_id == fiscal_year_id, used > 0)
        .order_by(share.desc(), used.desc(), Firm.id, FirmUsage.support_type)
        .limit(limit)
    )
    return [
        CapUse(firm_id, name, kind, int(u), int(c), int(bp))
        for firm_id, name, kind, u, c, bp in db.session.execute(stmt)
    ]


# ---------------------------------------------------------------- firm and Meister figures


def firm_ticket_counts(firm_id: int) -> dict[str, int]:
    """Tickets of one firm per status."""
    return dict(
        db.session.execute(
            select(Ticket.status, func.count(Ticket.id))
            .where(Ticket.firm_id == firm_id)
            .group_by(Ticket.status)
        ).all()
    )


@dataclass(frozen=True)
class MeisterDue:
    waiting_acceptance: int
    in_progress: int
    overdue: int  # resolution due time passed
    due_soon: int  # due by the end of tomorrow (Seoul), not yet overdue


def meister_due(meister_id: int, now: datetime | None = None) -> MeisterDue:
    """What a Meister's open work needs next, counted in one query."""
    now = now or utcnow()
    soon = seoul_midnight_utc(seoul_today(now) + timedelta(days=2))
    due = Ticket.resolution_due_at
    row = db.session.execute(
        select(
            _count_if(Ticket.status == Status.ASSIGNED),
            _count_if(Ticket.status == Status.IN_PROGRESS),
            _count_if(due < now),
            _count_if(and_(due >= now, due < soon)),
        ).where(Ticket.meister_id == meister_id, Ticket.status.in_(WORK_STATUSES))
    ).one()
    return MeisterDue(*(int(value) for value in row))
