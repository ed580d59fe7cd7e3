"""What each chooser lists: who may pick from it, how it searches, how a choice is labelled."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from aftercare.auth.models import User
from aftercare.core.web.labels import region_label, specialty_label
from aftercare.domain.registration import format_registration_number
from aftercare.domain.vocab import MAX_ID
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.meisters.models import MeisterProfile
from aftercare.meisters.queries import loads
from aftercare.suppliers.models import Supplier

RESULTS = 20  # a chooser shows at most this many matches
MAX_QUERY = 100  # characters of a search; longer is refused with a message


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "detail": self.detail}


@dataclass(frozen=True)
class Kind:
    """One list to choose from: firms, Meisters or suppliers."""

    name: str
    roles: frozenset[str]  # who may list and pick
    base: Callable[[bool], Select]  # rows (active only unless asked), ordered by label
    key: Any  # the column a chosen value is compared with
    label: Any  # the column a person reads and searches
    search_columns: Callable[[str], list[Any]]
    describe: Callable[[Sequence[Any]], list[Choice]]

    def search(self, q: str, include_inactive: bool = False, limit: int = RESULTS) -> list[Choice]:
        stmt = self.base(include_inactive)
        if q := q.strip():
            stmt = stmt.where(or_(*self.search_columns(q)))
        return self.describe(db.session.execute(stmt.limit(limit)).all())

    def get(self, value: int, include_inactive: bool = False) -> Choice | None:
        if not 0 < value <= MAX_ID:
            return None
        rows = db.session.execute(self.base(include_inactive).where(self.key == value)).all()
        return self.describe(rows)[0] if rows else None

    def named(self, text: str, include_inactive: bool = False) -> list[Choice]:
        """Choices whose label is exactly `text` (a name typed without the script)."""
        stmt = self.base(include_inactive).where(self.label == text.strip()).limit(2)
        return self.describe(db.session.execute(stmt).all())

    def count(self, include_inactive: bool = False) -> int:
        stmt = self.base(include_inactive).order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(stmt)) or 0


# ---------------------------------------------------------------- firms


def _firms(_include_inactive: bool) -> Select:
    return select(Firm.id, Firm.name, Firm.registration_number, Firm.region).order_by(
        Firm.name, Firm.id
    )


def _firm_columns(q: str) -> list[Any]:
    columns = [Firm.name.icontains(q, autoescape=True)]
    if digits := "".join(c for c in q if c.isdigit()):
        columns.append(Firm.registration_number.contains(digits, autoescape=True))
    return columns


def _describe_firms(rows: Sequence[Any]) -> list[Choice]:
    return [
        Choice(r.id, r.name, f"{format_registration_number(r.registration_number)} · "
               f"{region_label(r.region)}")
        for r in rows
    ]  # fmt: skip


# ---------------------------------------------------------------- Meisters


def _meisters(include_inactive: bool) -> Select:
    stmt = (
        select(User.id, User.name, MeisterProfile.regions, MeisterProfile.specialties,
               MeisterProfile.max_load, MeisterProfile.active, User.active.label("user_active"))
        .join(MeisterProfile, MeisterProfile.user_id == User.id)
        .order_by(User.name, User.id)
    )  # fmt: skip
    if not include_inactive:
        stmt = stmt.where(MeisterProfile.active.is_(True), User.active.is_(True))
    return stmt


def _meister_columns(q: str) -> list[Any]:
    return [User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True)]


def _describe_meisters(rows: Sequence[Any]) -> list[Choice]:
    load_by = loads([r.id for r in rows]) if rows else {}
    choices = []
    for r in rows:
        parts = [
            ", ".join(region_label(code) for code in r.regions or []),
            ", ".join(str(specialty_label(code)) for code in r.specialties or []),
            _("%(load)d of %(max)d tickets", load=load_by.get(r.id, 0), max=r.max_load),
        ]
        if not (r.active and r.user_active):
            parts.append(_("Inactive"))
        choices.append(Choice(r.id, r.name, " · ".join(p for p in parts if p)))
    return choices


# ---------------------------------------------------------------- suppliers


def _suppliers(include_inactive: bool) -> Select:
    stmt = select(
        Supplier.id, Supplier.name, Supplier.registration_number, Supplier.region, Supplier.active
    ).order_by(Supplier.name, Supplier.id)
    if not include_inactive:
        stmt = stmt.where(Supplier.active.is_(True))
    return stmt


def _supplier_columns(q: str) -> list[Any]:
    columns = [Supplier.name.icontains(q, autoescape=True)]
    if digits := "".join(c for c in q if c.isdigit()):
        columns.append(Supplier.registration_number.contains(digits, autoescape=True))
    return columns


def _describe_suppliers(rows: Sequence[Any]) -> list[Choice]:
    choices = []
    for r in rows:
        parts = [
            format_registration_number(r.registration_number) if r.registration_number else "",
            region_label(r.region) if r.region else "",
            "" if r.active else _("Inactive"),
        ]
        choices.append(Choice(r.id, r.name, " · ".join(p for p in parts if p)))
    return choices


KINDS: dict[str, Kind] = {
    # A firm user files for their own firm only and never sees another firm's name.
    "firms": Kind(
        "firms", frozenset({"manager", "auditor", "admin"}), _firms, Firm.id, Firm.name,
        _firm_columns, _describe_firms,
    ),
    "meisters": Kind(
        "meisters", frozenset({"manager", "auditor"}), _meisters, User.id, User.name,
        _meister_columns, _describe_meisters,
    ),
    # Firms and Meisters name the supplier who issued an invoice on their cost lines.
    "suppliers": Kind(
        "suppliers", frozenset({"firm", "meister", "manager", "auditor"}), _suppliers,
        Supplier.id, Supplier.name, _supplier_columns, _describe_suppliers,
    ),
}  # fmt: skip
