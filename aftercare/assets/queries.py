"""Reads for the asset pages and API: scoped lists and an asset's tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from aftercare.assets.models import Asset
from aftercare.auth.models import User
from aftercare.core.pagination import Page, keyset_page
from aftercare.domain.errors import Forbidden
from aftercare.extensions import db
from aftercare.tickets.models import Ticket

RECENT_TICKETS = 20


@dataclass(frozen=True)
class AssetFilters:
    firm_id: int | None = None  # managers and auditors may narrow to one firm
    q: str = ""
    include_inactive: bool = False

    @classmethod
    def from_args(cls, args: Any) -> AssetFilters:
        raw_firm = str(args.get("firm_id") or "")
        firm_id = int(raw_firm) if raw_firm.isdigit() and int(raw_firm) < 2**31 else None
        return cls(
            firm_id=firm_id,
            q=str(args.get("q") or "").strip()[:200],
            include_inactive=str(args.get("inactive") or "") in ("1", "true", "on"),
        )


def _scoped(actor: User, filters: AssetFilters) -> Any:
    stmt = select(Asset)
    if actor.role == "firm":
        stmt = stmt.where(Asset.firm_id == actor.firm_id)
    elif actor.role in ("manager", "auditor"):
        if filters.firm_id is not None:
            stmt = stmt.where(Asset.firm_id == filters.firm_id)
    else:
        raise Forbidden("Your role may not list assets")
    if not filters.include_inactive:
        stmt = stmt.where(Asset.active.is_(True))
    if filters.q:
        stmt = stmt.where(
            or_(
                Asset.name.icontains(filters.q, autoescape=True),
                Asset.serial.icontains(filters.q, autoescape=True),
                Asset.location.icontains(filters.q, autoescape=True),
                Asset.maker.icontains(filters.q, autoescape=True),
                Asset.model.icontains(filters.q, autoescape=True),
            )
        )
    return stmt


def asset_page(actor: User, filters: AssetFilters, limit: int, cursor: str | None) -> Page:
    """Assets the actor may list, newest first, keyset-paginated."""
    return keyset_page(_scoped(actor, filters), Asset.id, limit, cursor)


SHEET_LABELS = 120  # ten A4 pages: a PDF a request can draw well within a worker's timeout


def active_asset_count(firm_id: int) -> int:
    return db.session.scalar(
        select(func.count(Asset.id)).where(Asset.firm_id == firm_id, Asset.active.is_(True))
    )


def active_assets_for_sheet(firm_id: int, part: int = 1) -> list[Asset]:
    """One part (SHEET_LABELS labels) of a firm's assets in service, in printing order."""
    stmt = (
        select(Asset)
        .where(Asset.firm_id == firm_id, Asset.active.is_(True))
        .order_by(Asset.location, Asset.name, Asset.id)
        .offset((part - 1) * SHEET_LABELS)
        .limit(SHEET_LABELS)
    )
    return list(db.session.scalars(stmt))


def tickets_of(actor: User, asset: Asset, limit: int = RECENT_TICKETS) -> tuple[list[Ticket], int]:
    """The asset's most recent tickets the actor may see, and how many there are in all."""
    condition = [Ticket.asset_id == asset.id]
    if actor.role == "meister":
        condition.append(Ticket.meister_id == actor.id)
    elif actor.role == "firm":
        condition.append(Ticket.firm_id == actor.firm_id)
    rows = db.session.scalars(
        select(Ticket).where(*condition).order_by(Ticket.id.desc()).limit(limit)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Ticket).where(*condition)) or 0
    return list(rows), total
