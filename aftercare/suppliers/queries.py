"""Reads of the supplier registry: the searched, keyset-paged list and the firms' choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, or_, select

from aftercare.core.pagination import Page, keyset_page
from aftercare.domain.vocab import REGION_NAMES_KO, REGIONS, SPECIALTIES
from aftercare.extensions import db
from aftercare.suppliers.models import Supplier

ACTIVE_STATES = ("active", "inactive")  # "" lists both


@dataclass(frozen=True)
class SupplierFilters:
    q: str = ""
    region: str = ""
    solution: str = ""
    active: str = ""  # "active", "inactive" or "" (both)

    @classmethod
    def from_args(cls, args: Any) -> SupplierFilters:
        """Filters from a query string; unknown values are ignored, not errors."""
        region = str(args.get("region") or "")
        solution = str(args.get("solution") or "")
        active = str(args.get("active") or "")
        return cls(
            q=str(args.get("q") or "").strip()[:200],
            region=region if region in REGIONS else "",
            solution=solution if solution in SPECIALTIES else "",
            active=active if active in ACTIVE_STATES else "",
        )


def _has_solution(code: str) -> Any:
    """The JSON list holds `code` (a vocabulary code, so its quoted form matches exactly)."""
    return cast(Supplier.solutions, Text).contains(f'"{code}"')


def _search(q: str) -> Any:
    """Name; registration number typed with or without dashes; a region's code or
    Korean name; a solution tag's code."""
    conditions = [Supplier.name.icontains(q, autoescape=True)]
    digits = q.replace("-", "").replace(" ", "")
    if digits.isascii() and digits.isdigit():
        conditions.append(Supplier.registration_number.contains(digits, autoescape=True))
    word = q.casefold()
    regions = [code for code in REGIONS if word in (code, REGION_NAMES_KO[code])]
    if regions:
        conditions.append(Supplier.region.in_(regions))
    if word in SPECIALTIES:
        conditions.append(_has_solution(word))
    return or_(*conditions)


def filtered(filters: SupplierFilters) -> Any:
    stmt = select(Supplier)
    if filters.q:
        stmt = stmt.where(_search(filters.q))
    if filters.region:
        stmt = stmt.where(Supplier.region == filters.region)
    if filters.solution:
        stmt = stmt.where(_has_solution(filters.solution))
    if filters.active:
        stmt = stmt.where(Supplier.active.is_(filters.active == "active"))
    return stmt


def supplier_page(filters: SupplierFilters, limit: int, cursor: str | None) -> Page:
    """Suppliers matching `filters`, newest first, keyset-paginated."""
    return keyset_page(filtered(filters), Supplier.id, limit, cursor)


def supplier_choices(current_id: int | None = None) -> list[tuple[int, str, bool]]:
    """(id, name, active) of the active suppliers by name, and the firm's current one."""
    condition = Supplier.active.is_(True)
    if current_id is not None:
        condition = or_(condition, Supplier.id == current_id)
    rows = db.session.execute(
        select(Supplier.id, Supplier.name, Supplier.active)
        .where(condition)
        .order_by(func.lower(Supplier.name), Supplier.id)
    )
    return [(row.id, row.name, row.active) for row in rows]
