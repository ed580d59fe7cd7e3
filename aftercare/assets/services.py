"""Asset use cases: who sees which asset, registering, editing, (de)activating.

Firm users manage their own firm's assets, managers any firm's; auditors read all;
a Meister sees an asset only through a ticket assigned to them. An asset the actor
may not see is NotFound (never revealing it exists); a visible one they may not
change is Forbidden.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from aftercare.assets.models import Asset
from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.domain.assets import normalize_serial, validate_asset
from aftercare.domain.errors import Forbidden, NotFound, ValidationFailed
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket

ASSET_FIELDS = ("name", "kind", "maker", "model", "serial", "location", "installed_year", "note")
READERS = ("firm", "meister", "manager", "auditor")
WRITERS = ("firm", "manager")
SERIAL_TAKEN = N_("This firm already has an asset with this serial number.")


# ---------------------------------------------------------------- access


def can_see(actor: User, asset: Asset) -> bool:
    if actor.role == "firm":
        return asset.firm_id == actor.firm_id
    if actor.role == "meister":
        return bool(
            db.session.scalar(
                select(exists().where(Ticket.asset_id == asset.id, Ticket.meister_id == actor.id))
            )
        )
    return actor.role in ("manager", "auditor")


def visible_asset(actor: User, asset_id: int) -> Asset:
    """The asset if `actor` may see it; NotFound otherwise."""
    if actor.role not in READERS:
        raise Forbidden("Your role may not see assets")
    asset = db.session.get(Asset, asset_id)
    if asset is None or not can_see(actor, asset):
        raise NotFound("No such asset")
    return asset


def manageable_asset(actor: User, asset_id: int) -> Asset:
    """The asset if `actor` may change it (or file a ticket about it)."""
    asset = visible_asset(actor, asset_id)
    if actor.role not in WRITERS:
        raise Forbidden("Your role may not change assets")
    return asset


def firm_in_scope(actor: User, firm_id: int) -> Firm:
    """A firm whose asset register the actor may read: own firm, or any for managers/auditors."""
    if actor.role not in ("firm", "manager", "auditor"):
        raise Forbidden("Your role may not see asset registers")
    firm = db.session.get(Firm, firm_id)
    if firm is None or (actor.role == "firm" and actor.firm_id != firm.id):
        raise NotFound("No such firm")
    return firm


def ticket_asset_errors(firm_id: int | None, asset_id: Any) -> dict[str, list[str]]:
    """Errors of the asset named when filing a ticket: it must be an active asset of the firm."""
    if asset_id is None:
        return {}
    asset = db.session.get(Asset, asset_id) if _is_id(asset_id) else None
    if asset is None or asset.firm_id != firm_id or not asset.active:
        return {"asset_id": [N_("Choose an active asset of this firm.")]}
    return {}


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def active_assets(firm_id: int) -> list[Asset]:
    """A firm's assets in service, by name (for the filing form's choice)."""
    return list(
        db.session.scalars(
            select(Asset)
            .where(Asset.firm_id == firm_id, Asset.active.is_(True))
            .order_by(Asset.name, Asset.id)
        )
    )


# ---------------------------------------------------------------- writes


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: data[k] for k in ASSET_FIELDS if k in data}
    for key in ("name", "maker", "model", "location", "note"):
        if key in values:
            values[key] = str(values[key] or "").strip()
    for key in ("name", "maker", "model", "location"):  # one line each: they go on labels
        if key in values:
            values[key] = " ".join(values[key].split())
    if "serial" in values:
        values["serial"] = normalize_serial(str(values["serial"] or ""))
    return values


def _serial_taken(firm_id: int, serial: str | None, asset_id: int | None) -> bool:
    if serial is None:
        return False
    other = db.session.scalar(
        select(Asset.id).where(Asset.firm_id == firm_id, Asset.serial == serial)
    )
    return other is not None and other != asset_id


def _check(values: dict[str, Any], firm_id: int, asset_id: int | None) -> None:
    errors = validate_asset(values, seoul_today().year)
    if "serial" not in errors and _serial_taken(firm_id, values.get("serial"), asset_id):
        errors["serial"] = [SERIAL_TAKEN]
    if errors:
        raise ValidationFailed(errors)


def _commit() -> None:
    """Commit; a serial number taken by a concurrent writer is a field error, not a 500."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ValidationFailed({"serial": [SERIAL_TAKEN]}) from error


def _target_firm(actor: User, data: dict[str, Any]) -> int:
    if actor.role == "firm":
        return actor.firm_id
    firm_id = data.get("firm_id")
    if not _is_id(firm_id) or db.session.get(Firm, firm_id) is None:
        raise ValidationFailed({"firm_id": [N_("Choose the firm this asset belongs to.")]})
    return firm_id


def create_asset(actor: User, data: dict[str, Any]) -> Asset:
    """Register an asset of the actor's firm (firm users) or of `firm_id` (managers)."""
    if actor.role not in WRITERS:
        raise Forbidden("Your role may not register assets")
    firm_id = _target_firm(actor, data)
    values = _clean(data)
    _check(values, firm_id, None)
    asset = Asset(firm_id=firm_id, active=True, **values)
    db.session.add(asset)
    db.session.flush()
    record_event(actor.id, "asset.create", "asset", asset.id, after=_snapshot(asset))
    _commit()
    return asset


def update_asset(actor: User, asset_id: int, data: dict[str, Any]) -> Asset:
    """Change an asset's details (its firm never changes)."""
    asset = manageable_asset(actor, asset_id)
    values = _clean(data)
    merged = {k: getattr(asset, k) for k in ASSET_FIELDS} | values
    _check(merged, asset.firm_id, asset.id)
    before = _snapshot(asset)
    for key, value in values.items():
        setattr(asset, key, value)
    record_event(actor.id, "asset.update", "asset", asset.id, before=before, after=_snapshot(asset))
    _commit()
    return asset


def set_asset_active(actor: User, asset_id: int, active: bool) -> Asset:
    """Take an asset out of service (no new tickets name it) or back into service."""
    asset = manageable_asset(actor, asset_id)
    if asset.active != active:
        asset.active = active
        record_event(
            actor.id,
            "asset.activate" if active else "asset.deactivate",
            "asset",
            asset.id,
            before={"active": not active},
            after={"active": active},
        )
    db.session.commit()
    return asset


def _snapshot(asset: Asset) -> dict[str, Any]:
    return {"firm_id": asset.firm_id, "active": asset.active} | {
        k: getattr(asset, k) for k in ASSET_FIELDS
    }
