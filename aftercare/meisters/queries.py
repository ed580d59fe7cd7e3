"""Meister reads: profiles with their derived load and rating."""

from __future__ import annotations

from sqlalchemy import select

from aftercare.extensions import db
from aftercare.meisters.models import MeisterProfile


def profile_by_user(user_id: int) -> MeisterProfile | None:
    return db.session.scalar(select(MeisterProfile).where(MeisterProfile.user_id == user_id))


def loads_and_ratings(user_ids: list[int]) -> dict[int, tuple[int, float | None]]:
    """Open ticket count and average rating per Meister (tickets arrive with the tickets issue)."""
    return {uid: (0, None) for uid in user_ids}
