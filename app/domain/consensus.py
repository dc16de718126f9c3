"""The consensus rule and the bridging score: pure functions over ratings, no database.

Rule (API-CONTRACT.md, PRODUCT.md): a statement reaches consensus when it has at least one
rating, nobody blocks it, and in every stakeholder group that has rated it the share of
``full`` + ``reservations`` among all that group's ratings (stand-asides included) is at
least the workshop's threshold (equal counts).

Bridging score, in the spirit of Pol.is's group-informed consensus: the product over the
workshop's declared groups of (support + 1) / (ratings + 2). A statement that every group
carries scores high; one that a single group carries and another rejects scores low — and
groups that have not rated pull every statement equally towards the middle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, get_args

#: A rating's level, from most to least support. The API's schemas use the Literal; LEVELS is its runtime tuple.
Level = Literal["full", "reservations", "stand_aside", "concerns", "block"]
LEVELS: tuple[str, ...] = get_args(Level)
SUPPORT_LEVELS = frozenset({"full", "reservations"})
REASON_REQUIRED = frozenset({"concerns", "block"})


@dataclass(frozen=True)
class GroupTally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    @property
    def ratings(self) -> int:
        return sum(self.counts.values())

    @property
    def support(self) -> int:
        return self.counts["full"] + self.counts["reservations"]

    @property
    def support_share(self) -> float | None:
        return None if self.ratings == 0 else self.support / self.ratings

    def public(self) -> dict[str, int | float | None]:
        return {**self.counts, "support_share": self.support_share}


@dataclass(frozen=True)
class Outcome:
    by_group: dict[str, GroupTally]
    ratings_count: int
    blocked: bool
    consensus: bool
    disagreement: bool
    bridging_score: float
    threshold: float  # the workshop's consensus threshold the outcome was judged by


def tally(ratings: Iterable[tuple[str, str]], groups: Sequence[str]) -> dict[str, GroupTally]:
    """Count ``(group, level)`` pairs per declared group (ratings of unknown groups are dropped)."""
    by_group = {key: GroupTally() for key in groups}
    for group, level in ratings:
        if group in by_group and level in LEVELS:
            by_group[group].counts[level] += 1
    return by_group


def reaches_threshold(tally_: GroupTally, threshold: float) -> bool:
    """Exact comparison: 3 of 4 is 0.75 and reaches a 0.75 threshold."""
    return Fraction(tally_.support, tally_.ratings) >= Fraction(str(threshold))


def outcome(ratings: Iterable[tuple[str, str]], groups: Sequence[str], threshold: float) -> Outcome:
    by_group = tally(ratings, groups)
    rated = [t for t in by_group.values() if t.ratings]
    count = sum(t.ratings for t in by_group.values())
    blocked = any(t.counts["block"] for t in by_group.values())
    consensus = count > 0 and not blocked and all(reaches_threshold(t, threshold) for t in rated)
    carried = [reaches_threshold(t, threshold) for t in rated]
    # Open disagreement: at least one group carries it and at least one other rejects it
    # (a majority of its ratings are concerns or blocks).
    rejected = [2 * (t.counts["concerns"] + t.counts["block"]) > t.ratings for t in rated]
    disagreement = any(carried) and any(rejected)
    return Outcome(
        by_group=by_group,
        ratings_count=count,
        blocked=blocked,
        consensus=consensus,
        disagreement=disagreement,
        bridging_score=bridging_score(by_group),
        threshold=threshold,
    )


def bridging_score(by_group: Mapping[str, GroupTally]) -> float:
    score = 1.0
    for t in by_group.values():
        score *= (t.support + 1) / (t.ratings + 2)
    return score
