"""A fiscal year's support types: reads, adding a type, changing or closing one.

Managers add a type to a year (구독형 `subscription`, 7,000,000원 …) with no code
change, and open or close a type for new tickets. The money rule of a type (cap,
share rate, rounding unit) is fixed once the year has approved claims of it: new
rules apply by adding a type or in a new year (409 `support_type_in_use`).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.support_types import FIELDS, money_changes, support_type_errors
from aftercare.domain.text import N_
from aftercare.domain.vocab import Role
from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear, SupportType
from aftercare.ledger.queries import current_fiscal_year, fiscal_year_by_year

CODE_TAKEN = N_("This fiscal year already has a support type with this code.")
IN_USE = N_(
    "This fiscal year has approved claims of this support type: its cap, share rate and "
    "rounding unit cannot change. Add a new type, or set the rule in a new fiscal year."
)
NOT_OPEN = N_("This support type is not open for new tickets this fiscal year.")
NAMES_KEY = "aftercare.support_type_names"
# Claims whose share a type's rule set: approved once, whatever happened after.
DECIDED_CLAIM_STATUSES = ("awaiting_second_approval", "approved", "settled", "voided")


def _require_manager(actor: User | None) -> None:
    if actor is not None and actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers change support types")


def _year(year: int) -> FiscalYear:
    fiscal_year = fiscal_year_by_year(year)
    if fiscal_year is None:
        raise NotFound("No such fiscal year")
    return fiscal_year


def _row(fiscal_year: FiscalYear, code: str) -> SupportType:
    row = fiscal_year.type_of(code)
    if row is None:
        raise NotFound("No such support type in this fiscal year")
    return row


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Names without surrounding spaces; everything else as given."""
    names = ("name_ko", "name_en")
    return {k: v.strip() if k in names and isinstance(v, str) else v for k, v in data.items()}


def _as_dict(row: SupportType) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


# ---------------------------------------------------------------- reads


def types_of_year(year: int) -> list[SupportType]:
    return list(_year(year).support_types)


def support_type_name(code: str, fiscal_year: FiscalYear | None = None) -> str:
    """The name of `code` in the reader's language: from `fiscal_year`'s row, else the
    latest year offering it, else the code itself (names read once per request)."""
    locale = str(get_locale() or "ko")
    row = fiscal_year.type_of(code) if fiscal_year is not None else None
    if row is not None:
        return row.name(locale)
    names = _latest_names()
    if code not in names:
        return code
    name_ko, name_en = names[code]
    return name_en if locale == "en" else name_ko


def _latest_names() -> dict[str, tuple[str, str]]:
    """code → (Korean, English) of the latest year offering it, cached on the request."""
    cache = request.environ if has_request_context() else {}  # one request's, not g's
    if NAMES_KEY in cache:
        return cache[NAMES_KEY]
    rows = db.session.execute(
        select(SupportType.code, SupportType.name_ko, SupportType.name_en)
        .join(FiscalYear)
        .order_by(FiscalYear.year)
    ).all()
    names = {row.code: (row.name_ko, row.name_en) for row in rows}
    cache[NAMES_KEY] = names
    return names


def open_type_codes() -> list[str] | None:
    """Codes open for new tickets in today's fiscal year (None: no year is open)."""
    fiscal_year = current_fiscal_year()
    if fiscal_year is None:
        return None
    return [t.code for t in fiscal_year.support_types if t.is_open]


def check_open_for_tickets(code: str) -> dict[str, list[str]]:
    """A field error when `code` is not open for new tickets in today's fiscal year.

    With no open fiscal year there is nothing to check against: a ticket may be filed
    before the year opens, and its claim waits for the year (claims.services).
    """
    codes = open_type_codes()
    return {} if codes is None or code in codes else {"support_type": [NOT_OPEN]}


def has_decided_claims(fiscal_year_id: int, code: str) -> bool:
    return (
        db.session.scalar(
            select(Claim.id)
            .where(
                Claim.fiscal_year_id == fiscal_year_id,
                Claim.support_type == code,
                Claim.status.in_(DECIDED_CLAIM_STATUSES),
            )
            .limit(1)
        )
        is not None
    )


# ---------------------------------------------------------------- writes


def add_support_type(actor: User | None, year: int, data: dict[str, Any]) -> SupportType:
    """Add a type to a year (open for new tickets unless `is_open` is false)."""
    _require_manager(actor)
    fiscal_year = _year(year)
    data = _clean(data)
    if errors := support_type_errors(data):
        raise ValidationFailed(errors)
    if fiscal_year.type_of(data["code"]) is not None:
        raise ValidationFailed({"code": [CODE_TAKEN]})
    row = SupportType(fiscal_year_id=fiscal_year.id, **{"is_open": True, **data})
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same code added at the same moment
        db.session.rollback()
        raise ValidationFailed({"code": [CODE_TAKEN]}) from error
    record_event(
        actor.id if actor else None,
        "support_type.add",
        "fiscal_year",
        fiscal_year.id,
        after={"year": year, **_as_dict(row)},
    )
    db.session.commit()
    return row


def update_support_type(
    actor: User | None, year: int, code: str, data: dict[str, Any]
) -> SupportType:
    """Change a type's names, months, rule or open state (the code stays).

    The rule (cap, rate, rounding) is refused once the year approved claims of the type.
    """
    _require_manager(actor)
    fiscal_year = _year(year)
    row = _row(fiscal_year, code)
    data = _clean(data)
    if "code" in data and data["code"] != code:
        raise ValidationFailed({"code": [N_("The code of a support type cannot change.")]})
    data.pop("code", None)
    if errors := support_type_errors(data, partial=True):
        raise ValidationFailed(errors)
    before = _as_dict(row)
    if money_changes(before, data) and has_decided_claims(fiscal_year.id, code):
        raise Conflict(IN_USE, reason="support_type_in_use")
    changed = {k: v for k, v in data.items() if before[k] != v}
    for name, value in changed.items():
        setattr(row, name, value)
    if changed:
        record_event(
            actor.id if actor else None,
            "support_type.update",
            "fiscal_year",
            fiscal_year.id,
            before={"code": code, **{k: before[k] for k in changed}},
            after={"code": code, **changed},
        )
    db.session.commit()
    return row
