"""Supplier registry use cases: registering, editing, deactivating and reactivating.

Managers maintain the registry; auditors read it; other roles may not see it.
Registration numbers use the firms' check digit (domain.registration) and are unique.
Entries carried over from the firms' free text (migration 0016) may lack a
registration number and a region: they may be saved so until a manager adds them,
but a number or region once set cannot be removed. There is no delete: a supplier
is deactivated, and a deactivated one is offered to no firm.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.domain.errors import Forbidden, NotFound, ValidationFailed
from aftercare.domain.registration import (
    is_valid_registration_number,
    normalize_registration_number,
)
from aftercare.domain.text import N_
from aftercare.domain.vocab import MAX_ID, REGIONS, SPECIALTIES, Role
from aftercare.extensions import db
from aftercare.suppliers.models import Supplier

SUPPLIER_FIELDS = (
    "name",
    "registration_number",
    "representative",
    "contact_name",
    "contact_phone",
    "contact_email",
    "region",
    "solutions",
)
READERS = (Role.MANAGER, Role.AUDITOR)
LENGTHS = {
    "name": 200,
    "representative": 100,
    "contact_name": 100,
    "contact_phone": 40,
    "contact_email": 254,
}
NUMBER_TAKEN = N_("A supplier with this registration number is already registered.")
BAD_NUMBER = N_("Not a valid business registration number (10 digits with a correct check digit).")


# ---------------------------------------------------------------- access


def _require_manager(actor: User | None) -> None:
    if actor is not None and actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers maintain the supplier registry")


def visible_supplier(actor: User | None, supplier_id: int) -> Supplier:
    """The supplier if the actor's role reads the registry (Forbidden otherwise);
    actor None is the CLI or the demo seed."""
    if actor is not None and actor.role not in READERS:
        raise Forbidden("Your role may not see the supplier registry")
    supplier = db.session.get(Supplier, supplier_id) if 0 < supplier_id <= MAX_ID else None
    if supplier is None:
        raise NotFound("No such supplier")
    return supplier


def _manageable(actor: User | None, supplier_id: int) -> Supplier:
    _require_manager(actor)
    return visible_supplier(actor, supplier_id)


# ---------------------------------------------------------------- validation


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """The known fields of `data`, trimmed: one-line texts, a bare number or None,
    a region or None, solution codes without repeats in vocabulary order."""
    values = {k: data[k] for k in SUPPLIER_FIELDS if k in data}
    for key in LENGTHS:
        if key in values:
            values[key] = " ".join(str(values[key] or "").split())
    if "registration_number" in values:
        number = normalize_registration_number(str(values["registration_number"] or ""))
        values["registration_number"] = number or None
    if "region" in values:
        values["region"] = str(values["region"] or "") or None
    if "solutions" in values:
        codes = values["solutions"] or []
        wanted = {str(code) for code in codes} if isinstance(codes, list | tuple) else {""}
        values["solutions"] = [c for c in SPECIALTIES if c in wanted] + sorted(
            wanted - set(SPECIALTIES)  # unknown codes stay, so validation can name them
        )
    return values


def validate_supplier(values: dict[str, Any], supplier: Supplier | None = None) -> dict:
    """Field errors of cleaned values (empty when valid); `supplier`: the entry edited."""
    errors: dict[str, list[str]] = {}
    if not values.get("name"):
        errors["name"] = [N_("Enter the supplier's name.")]
    for key, limit in LENGTHS.items():
        if len(values.get(key) or "") > limit and key not in errors:
            errors[key] = [N_("Too long.")]
    email = values.get("contact_email") or ""
    if email and "contact_email" not in errors and ("@" not in email or " " in email):
        errors["contact_email"] = [N_("Not a valid e-mail address.")]
    number = values.get("registration_number")
    if number is None:
        if supplier is None or supplier.registration_number is not None:
            errors["registration_number"] = [N_("Enter the supplier's registration number.")]
    elif not is_valid_registration_number(number):
        errors["registration_number"] = [BAD_NUMBER]
    elif _number_taken(number, supplier.id if supplier else None):
        errors["registration_number"] = [NUMBER_TAKEN]
    region = values.get("region")
    if region is None:
        if supplier is None or supplier.region is not None:
            errors["region"] = [N_("Choose one of the 17 regions.")]
    elif region not in REGIONS:
        errors["region"] = [N_("Choose one of the 17 regions.")]
    if any(code not in SPECIALTIES for code in values.get("solutions") or []):
        errors["solutions"] = [N_("Choose solution tags from the list.")]
    return errors


def _number_taken(number: str, supplier_id: int | None) -> bool:
    other = db.session.scalar(select(Supplier.id).where(Supplier.registration_number == number))
    return other is not None and other != supplier_id


def _save() -> None:
    """Flush; a number a concurrent writer took first is a field error, not a 500."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ValidationFailed({"registration_number": [NUMBER_TAKEN]}) from error


def _snapshot(supplier: Supplier) -> dict[str, Any]:
    return {key: getattr(supplier, key) for key in (*SUPPLIER_FIELDS, "active")}


# ---------------------------------------------------------------- writes


def create_supplier(actor: User | None, data: dict[str, Any]) -> Supplier:
    """Register a supplier (managers, or the CLI and demo seed when actor is None)."""
    _require_manager(actor)
    values = {key: "" for key in LENGTHS} | {"solutions": []} | clean(data)
    values.setdefault("registration_number", None)
    values.setdefault("region", None)
    if errors := validate_supplier(values):
        raise ValidationFailed(errors)
    supplier = Supplier(active=True, **values)
    db.session.add(supplier)
    _save()
    record_event(
        actor.id if actor else None,
        "supplier.create",
        "supplier",
        supplier.id,
        after=_snapshot(supplier),
    )
    db.session.commit()
    return supplier


def update_supplier(actor: User | None, supplier_id: int, data: dict[str, Any]) -> Supplier:
    """Change the fields given; `active` in `data` also deactivates or reactivates."""
    supplier = _manageable(actor, supplier_id)
    values = clean(data)
    merged = {k: getattr(supplier, k) for k in SUPPLIER_FIELDS} | values
    if errors := validate_supplier(merged, supplier):
        raise ValidationFailed(errors)
    before = _snapshot(supplier)
    for key, value in values.items():
        setattr(supplier, key, value)
    _save()
    after = _snapshot(supplier)
    if changed := [key for key in SUPPLIER_FIELDS if after[key] != before[key]]:
        record_event(
            actor.id if actor else None,
            "supplier.update",
            "supplier",
            supplier.id,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    if "active" in data:
        _set_active(actor, supplier, bool(data["active"]))
    db.session.commit()
    return supplier


def _set_active(actor: User | None, supplier: Supplier, active: bool) -> None:
    if supplier.active == active:
        return  # a resubmitted form changes nothing twice
    supplier.active = active
    record_event(
        actor.id if actor else None,
        "supplier.reactivate" if active else "supplier.deactivate",
        "supplier",
        supplier.id,
        before={"active": not active},
        after={"active": active},
    )


def set_supplier_active(actor: User, supplier_id: int, active: bool) -> Supplier:
    """Deactivate (offered to no firm; firms that have it keep it) or reactivate."""
    supplier = _manageable(actor, supplier_id)
    _set_active(actor, supplier, active)
    db.session.commit()
    return supplier


# ---------------------------------------------------------------- for firms


def supplier_choice_error(supplier_id: Any, current_id: int | None = None) -> str | None:
    """Why a firm may not be given this supplier (None: it may).

    Only active entries are offered; a firm keeps a supplier it already has even
    after that supplier was deactivated.
    """
    if supplier_id is None or supplier_id == current_id:
        return None
    if not isinstance(supplier_id, int) or isinstance(supplier_id, bool):
        return N_("No such supplier in the registry.")
    supplier = db.session.get(Supplier, supplier_id) if 0 < supplier_id <= MAX_ID else None
    if supplier is None:
        return N_("No such supplier in the registry.")
    if not supplier.active:
        return N_("This supplier is deactivated; choose an active one.")
    return None
