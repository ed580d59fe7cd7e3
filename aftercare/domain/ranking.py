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
class Reason:
    """One term that counted in a score: which, its points and what it matched.

    Data, not a sentence: pages and the API say it in the reader's language
    (aftercare.core.web.labels.ranking_reason); str() is the English for logs.
    """

    term: str  # specialty | region | load | rating
    points: Decimal
    detail: tuple[str, ...]  # the matched specialties, the region, the load, the rating

    def __str__(self) -> str:
        return f"{self.term} {', '.join(self.detail)} ({self.points:+})"


@dataclass(frozen=True)
class Suggestion:
    meister_id: int
    name: str
    score: Decimal
    load: int
    reasons: list[Reason] = field(default_factory=list)


def score(candidate: Candidate, tags: set[str], region: str) -> tuple[Decimal, list[Reason]]:
    """+50 specialty match, +30 region, −10 per open ticket, +2 × average rating."""
    reasons: list[Reason] = []
    matched = tuple(sorted(candidate.specialties & tags))
    if matched:
        reasons.append(Reason("specialty", Decimal(50), matched))
    if region in candidate.regions:
        reasons.append(Reason("region", Decimal(30), (region,)))
    if candidate.load:
        reasons.append(Reason("load", Decimal(-10 * candidate.load), (str(candidate.load),)))
    if candidate.rating is not None:
        bonus = (2 * candidate.rating).quantize(Decimal("0.01"), ROUND_HALF_UP)
        reasons.append(Reason("rating", bonus, (f"{candidate.rating:.2f}",)))
    return sum((r.points for r in reasons), Decimal(0)), reasons


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
