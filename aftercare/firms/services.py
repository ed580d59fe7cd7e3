"""Creating and editing firms."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.domain.errors import Forbidden, NotFound, ValidationFailed
from aftercare.domain.registration import (
    is_valid_registration_number,
    normalize_registration_number,
)
from aftercare.domain.text import N_
from aftercare.domain.vocab import REGIONS, Role, SizeClass
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.suppliers.services import supplier_choice_error

FIRM_FIELDS = (
    "name",
    "registration_number",
    "size",
    "region",
    "industry",
    "built_year",
    "policy_fund_year",
    "supplier_id",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def validate_firm(
    data: dict[str, Any], firm_id: int | None = None, current_supplier_id: int | None = None
) -> dict[str, list[str]]:
    """Field errors of a firm's data (empty when valid).

    `supplier_id` must name an active registry entry, unless it is the one the firm
    already has (`current_supplier_id`: a firm keeps a supplier deactivated since).
    """
    errors: dict[str, list[str]] = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = ["Enter the firm's name."]
    number = normalize_registration_number(str(data.get("registration_number") or ""))
    if not is_valid_registration_number(number):
        errors["registration_number"] = [
            "Not a valid business registration number (10 digits with a correct check digit)."
        ]
    else:
        other = db.session.scalar(select(Firm.id).where(Firm.registration_number == number))
        if other is not None and other != firm_id:
            errors["registration_number"] = ["A firm with this registration number exists."]
    if data.get("size") not in {s.value for s in SizeClass}:
        errors["size"] = ["Size must be micro, small or medium."]
    if data.get("region") not in REGIONS:
        errors["region"] = ["Choose one of the 17 regions."]
    if message := supplier_choice_error(data.get("supplier_id"), current_supplier_id):
        errors["supplier_id"] = [message]
    this_year = date.today().year
    for field in ("built_year", "policy_fund_year"):
        value = data.get(field)
        if value is not None and not (1990 <= int(value) <= this_year):
            errors[field] = [f"Year must be between 1990 and {this_year}."]
    return errors


def _require_manager(actor: User) -> None:
    if actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers manage firms")


def create_firm(actor: User | None, data: dict[str, Any]) -> Firm:
    """Register a firm (managers, or the CLI when actor is None)."""
    if actor is not None:
        _require_manager(actor)
    if errors := validate_firm(data):
        raise ValidationFailed(errors)
    values = {k: data[k] for k in FIRM_FIELDS if data.get(k) is not None}
    values["registration_number"] = normalize_registration_number(data["registration_number"])
    values["name"] = values["name"].strip()
    firm = Firm(**values)
    db.session.add(firm)
    db.session.flush()
    record_event(
        actor.id if actor else None,
        "firm.create",
        "firm",
        firm.id,
        after={
            "name": firm.name,
            "registration_number": firm.registration_number,
            "supplier_id": firm.supplier_id,
        },
    )
    db.session.commit()
    return firm


def update_firm(actor: User, firm_id: int, data: dict[str, Any]) -> Firm:
    _require_manager(actor)
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("No such firm")
    merged = {k: getattr(firm, k) for k in FIRM_FIELDS} | data
    if errors := validate_firm(merged, firm_id=firm.id, current_supplier_id=firm.supplier_id):
        raise ValidationFailed(errors)
    before = {k: getattr(firm, k) for k in data if k in FIRM_FIELDS}
    for key in FIRM_FIELDS:
        if key in data:
            setattr(firm, key, data[key])
    firm.registration_number = normalize_registration_number(firm.registration_number)
    record_event(actor.id, "firm.update", "firm", firm.id, before=before, after=data)
    db.session.commit()
    return firm


def visible_firm(actor: User, firm_id: int) -> Firm:
    """The firm if the actor may see it (404 otherwise, never revealing existence)."""
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("No such firm")
    if actor.role == Role.FIRM and actor.firm_id != firm.id:
        raise NotFound("No such firm")
    if actor.role not in (Role.MANAGER, Role.AUDITOR, Role.FIRM):
        raise Forbidden("Your role may not see firms")
    return firm


CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
# A phone number as people write it: digits, spaces, hyphens, brackets, a leading +.
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()\-]{5,38}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def validate_contacts(data: dict[str, str]) -> dict[str, list[str]]:
    """Field errors of a firm's own contact details (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if not data.get("contact_name"):
        errors["contact_name"] = [N_("Enter the contact person's name.")]
    elif len(data["contact_name"]) > 100:
        errors["contact_name"] = [N_("The text is too long.")]
    phone = data.get("contact_phone", "")
    if not phone:
        errors["contact_phone"] = [N_("Enter a phone number.")]
    elif not PHONE_PATTERN.fullmatch(phone) or sum(c.isdigit() for c in phone) < 7:
        errors["contact_phone"] = [N_("Enter a phone number such as 010-1234-5678.")]
    email = data.get("contact_email", "")
    if email and (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email)):
        errors["contact_email"] = [N_("Enter an e-mail address such as name@example.com.")]
    return errors


def update_own_contacts(actor: User, data: dict[str, Any]) -> Firm:
    """A firm user changes their own firm's contact details, and nothing else."""
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise Forbidden("Only a firm's own users edit its contacts")
    firm = db.session.get(Firm, actor.firm_id)
    if firm is None:
        raise NotFound("No such firm")
    values = {k: str(data.get(k) or "").strip() for k in CONTACT_FIELDS}
    if errors := validate_contacts(values):
        raise ValidationFailed(errors)
    before = {k: getattr(firm, k) for k in CONTACT_FIELDS if getattr(firm, k) != values[k]}
    after = {k: values[k] for k in before}
    for key, value in after.items():
        setattr(firm, key, value)
    if after:
        record_event(actor.id, "firm.update_contacts", "firm", firm.id, before=before, after=after)
    db.session.commit()
    return firm
