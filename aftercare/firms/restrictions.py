"""The participation restriction register (참여제한, docs/recovery.md §4).

A restricted firm's new tickets cannot be accepted at triage (409 `firm_restricted`, no
override). A restriction ends by itself: it is active from `starts_on` up to the day
before `ends_on`, so no job has to lift it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.db import utcnow
from aftercare.domain import recovery as rules
from aftercare.domain.errors import Forbidden, NotFound, ValidationFailed
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm, Restriction

MAX_YEARS = 10


def active_restriction(firm_id: int, day: date | None = None) -> Restriction | None:
    """The restriction in force on `day` (today) that ends last, if any."""
    day = day or seoul_today()
    return db.session.scalar(
        select(Restriction)
        .where(
            Restriction.firm_id == firm_id,
            Restriction.starts_on <= day,
            Restriction.ends_on > day,
        )
        .order_by(Restriction.ends_on.desc())
        .limit(1)
    )


def restrict_for_case(
    firm_id: int, case_id: int, decided_on: date, years: int, actor_id: int
) -> int:
    """The restriction a decided case on false documents imposes (the caller commits)."""
    span = rules.restriction_from(decided_on, years)
    row = Restriction(
        firm_id=firm_id,
        source="case",
        case_id=case_id,
        reason="허위 증빙에 따른 환수 결정 (recovery decided on false documents)",
        starts_on=span.starts_on,
        ends_on=span.ends_on,
        created_by_id=actor_id,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def record_external(
    actor: User,
    firm_id: int,
    starts_on: date | None,
    years: int | None,
    source_note: str,
    reason: str,
) -> Restriction:
    """A manager records a restriction imposed elsewhere (another programme, a court)."""
    if actor.role != "manager":
        raise Forbidden("Only programme managers record restrictions")
    if db.session.get(Firm, firm_id) is None:
        raise NotFound("No such firm")
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [N_("Give the first day of the restriction.")]
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= MAX_YEARS:
        errors["years"] = [N_("A restriction lasts from 1 to 10 years.")]
    source_note, reason = (source_note or "").strip(), (reason or "").strip()
    if not source_note:
        errors["source_note"] = [N_("Say who imposed the restriction, and where.")]
    if not reason:
        errors["reason"] = [N_("Give a reason.")]
    if errors:
        raise ValidationFailed(errors)
    span = rules.restriction_from(starts_on, years)
    row = Restriction(
        firm_id=firm_id,
        source="external",
        source_note=source_note[:2000],
        reason=reason[:2000],
        starts_on=span.starts_on,
        ends_on=span.ends_on,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        actor.id,
        "firm.restrict",
        "firm",
        firm_id,
        after={
            "restriction_id": row.id,
            "starts_on": row.starts_on.isoformat(),
            "ends_on": row.ends_on.isoformat(),
            "source": source_note,
        },
    )
    db.session.commit()
    return row


def restrictions_query(firm_name: str = "", state: str = "", day: date | None = None) -> Select:
    """The register, newest first; `state` active | ended narrows it on `day`."""
    day = day or seoul_today()
    stmt = select(Restriction).join(Firm, Firm.id == Restriction.firm_id)
    if firm_name.strip():
        stmt = stmt.where(Firm.name.contains(firm_name.strip(), autoescape=True))
    if state == "active":
        stmt = stmt.where(Restriction.starts_on <= day, Restriction.ends_on > day)
    elif state == "ended":
        stmt = stmt.where(Restriction.ends_on <= day)
    return stmt.order_by(Restriction.starts_on.desc(), Restriction.id.desc())
