"""Smart Meister profiles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.vocab import REGIONS, SPECIALTIES, Role
from aftercare.extensions import db
from aftercare.meisters.models import MeisterProfile


def validate_profile(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    bad = [s for s in data.get("specialties", []) if s not in SPECIALTIES]
    if bad:
        errors["specialties"] = [f"Unknown specialties: {', '.join(bad)}."]
    bad = [r for r in data.get("regions", []) if r not in REGIONS]
    if bad:
        errors["regions"] = [f"Unknown regions: {', '.join(bad)}."]
    max_load = data.get("max_load", 5)
    if not isinstance(max_load, int) or not 1 <= max_load <= 50:
        errors["max_load"] = ["Maximum load must be 1 to 50 tickets."]
    return errors


def create_profile(actor: User | None, user_id: int, data: dict[str, Any]) -> MeisterProfile:
    """Give a `meister` user their profile (managers, or the CLI)."""
    if actor is not None and actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers manage Meisters")
    user = db.session.get(User, user_id)
    if user is None:
        raise ValidationFailed({"user_id": ["No user with this id."]})
    if user.role != Role.MEISTER:
        raise ValidationFailed({"user_id": ["The user must have the meister role."]})
    if db.session.scalar(select(MeisterProfile.id).where(MeisterProfile.user_id == user_id)):
        raise Conflict("This Meister already has a profile", reason="profile_exists")
    if errors := validate_profile(data):
        raise ValidationFailed(errors)
    profile = MeisterProfile(
        user_id=user_id,
        specialties=sorted(set(data.get("specialties", []))),
        regions=sorted(set(data.get("regions", []))),
        max_load=data.get("max_load", 5),
        active=data.get("active", True),
    )
    db.session.add(profile)
    db.session.flush()
    record_event(
        actor.id if actor else None,
        "meister.create",
        "meister",
        user_id,
        after={
            "specialties": profile.specialties,
            "regions": profile.regions,
            "max_load": profile.max_load,
        },
    )
    db.session.commit()
    return profile


def update_profile(actor: User, user_id: int, data: dict[str, Any]) -> MeisterProfile:
    if actor.role != Role.MANAGER:
        raise Forbidden("Only programme managers manage Meisters")
    profile = db.session.scalar(select(MeisterProfile).where(MeisterProfile.user_id == user_id))
    if profile is None:
        raise NotFound("No such Meister")
    if errors := validate_profile({"max_load": profile.max_load} | data):
        raise ValidationFailed(errors)
    before = {
        "specialties": profile.specialties,
        "regions": profile.regions,
        "max_load": profile.max_load,
        "active": profile.active,
    }
    for key in ("specialties", "regions"):
        if key in data:
            setattr(profile, key, sorted(set(data[key])))
    for key in ("max_load", "active"):
        if key in data:
            setattr(profile, key, data[key])
    record_event(actor.id, "meister.update", "meister", user_id, before=before, after=data)
    db.session.commit()
    return profile
