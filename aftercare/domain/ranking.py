"""Smart Meister suggestions (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TOP_N = 5


@dataclass(frozen=True)
class Candidate:
    meister_id: int
    name: str
    specialties: frozenset[str]
    regions: frozenset[str]
    load: int
    max_load: int
    rating: Decimal | None  # average rating, None when never rated
    active: bool = True


@dataclass(frozen=True)
class Suggestion:
    meister_id: int
    name: str
    score: Decimal
    load: int
    reasons: list[str] = field(default_factory=list)


def score(candidate: Candidate, tags: set[str], region: str) -> tuple[Decimal, list[str]]:
    """+50 specialty match, +30 region, −10 per open ticket, +2 × average rating."""
    total = Decimal(0)
    reasons: list[str] = []
    matched = sorted(candidate.specialties & tags)
    if matched:
        total += 50
        reasons.append(f"specialty match: {', '.join(matched)} (+50)")
    if region in candidate.regions:
        total += 30
        reasons.append(f"serves region {region} (+30)")
    if candidate.load:
        total -= 10 * candidate.load
        reasons.append(f"{candidate.load} open ticket(s) (−{10 * candidate.load})")
    if candidate.rating is not None:
        bonus = (2 * candidate.rating).quantize(Decimal("0.01"), ROUND_HALF_UP)
        total += bonus
        reasons.append(f"average rating {candidate.rating:.2f} (+{bonus})")
    return total, reasons


def rank(
    candidates: Iterable[Candidate], tags: Iterable[str], region: str, declined: Iterable[int]
) -> list[Suggestion]:
    """Active Meisters under their maximum load, not decliners, best first (top 5).

    Ties break by lower load, then lower id.
    """
    tag_set = {t.lower() for t in tags}
    excluded = set(declined)
    scored = []
    for c in candidates:
        if not c.active or c.load >= c.max_load or c.meister_id in excluded:
            continue
        total, reasons = score(c, tag_set, region)
        scored.append(Suggestion(c.meister_id, c.name, total, c.load, reasons))
    scored.sort(key=lambda s: (-s.score, s.load, s.meister_id))
    return scored[:TOP_N]
