"""The consensus rule and the bridging score (``app/domain/consensus.py``) as pure functions.

Property tests compare ``outcome()`` with an independent reference written from the contract
(API-CONTRACT.md "Voting and consensus", PRODUCT.md "What consensus means here",
docs/api.md "Moderating toward consensus"), in exact integer arithmetic: thresholds are whole
percentages, so "3 of 4 reaches 0.75" is a comparison of integers, not of floats. The example
tests at the end use hand-computed numbers.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from math import prod

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.consensus import LEVELS, outcome

GROUP_POOL = ("science", "business", "civil_society", "administration", "youth")
SUPPORT = ("full", "reservations")
REJECT = ("concerns", "block")

Rating = tuple[str, str]


# --- strategies -----------------------------------------------------------------------------

groups_st = st.lists(st.sampled_from(GROUP_POOL), min_size=1, max_size=len(GROUP_POOL), unique=True)
# A workshop's threshold lies between 0.5 and 1 (the API refuses anything else); whole percent.
percent_st = st.integers(min_value=50, max_value=100)


@st.composite
def cases(draw: st.DrawFn, max_ratings: int = 24) -> tuple[list[str], list[Rating], int]:
    groups = draw(groups_st)
    rating = st.tuples(st.sampled_from(groups), st.sampled_from(LEVELS))
    ratings = draw(st.lists(rating, max_size=max_ratings))
    return groups, ratings, draw(percent_st)


def threshold(percent: int) -> float:
    return percent / 100


# --- the reference, written from the contract ----------------------------------------------


def counts_of(ratings: list[Rating], groups: list[str]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {g: Counter() for g in groups}
    for group, level in ratings:
        counts[group][level] += 1
    return counts


def carries(c: Counter[str], percent: int) -> bool:
    """(full + reservations) / all ratings of the group ≥ percent / 100, exactly."""
    return 100 * (c["full"] + c["reservations"]) >= percent * c.total()


def rejects(c: Counter[str]) -> bool:
    """A strict majority of the group's ratings are serious concerns or blocks."""
    return 2 * (c["concerns"] + c["block"]) > c.total()


def expected_consensus(ratings: list[Rating], groups: list[str], percent: int) -> bool:
    counts = counts_of(ratings, groups)
    rated = [c for c in counts.values() if c.total()]
    blocked = any(c["block"] for c in counts.values())
    return bool(rated) and not blocked and all(carries(c, percent) for c in rated)


def expected_disagreement(ratings: list[Rating], groups: list[str], percent: int) -> bool:
    counts = counts_of(ratings, groups)
    rated = [g for g in groups if counts[g].total()]
    return any(carries(counts[a], percent) and rejects(counts[b]) for a in rated for b in rated if a != b)


def expected_bridging(ratings: list[Rating], groups: list[str]) -> Fraction:
    counts = counts_of(ratings, groups)
    return prod(
        (Fraction(c["full"] + c["reservations"] + 1, c.total() + 2) for c in counts.values()), start=Fraction(1)
    )


# --- properties -----------------------------------------------------------------------------


@given(cases())
def test_consensus_iff_rated_unblocked_and_every_rated_group_reaches_the_threshold(
    case: tuple[list[str], list[Rating], int],
) -> None:
    groups, ratings, percent = case
    result = outcome(ratings, groups, threshold(percent))
    assert result.consensus is expected_consensus(ratings, groups, percent)
    assert result.blocked is any(level == "block" for _g, level in ratings)
    assert result.ratings_count == len(ratings)
    assert set(result.by_group) == set(groups)
    counts = counts_of(ratings, groups)
    for group in groups:
        tally = result.by_group[group]
        assert tally.counts == {level: counts[group][level] for level in LEVELS}
        public = tally.public()
        assert set(public) == {*LEVELS, "support_share"}
        if counts[group].total():
            share = Fraction(counts[group]["full"] + counts[group]["reservations"], counts[group].total())
            assert public["support_share"] == pytest.approx(float(share))
        else:
            assert public["support_share"] is None


@given(cases(), st.data())
def test_adding_a_block_never_yields_consensus(case: tuple[list[str], list[Rating], int], data: st.DataObject) -> None:
    groups, ratings, percent = case
    where = data.draw(st.sampled_from(groups))
    position = data.draw(st.integers(0, len(ratings)))
    with_block = [*ratings[:position], (where, "block"), *ratings[position:]]
    result = outcome(with_block, groups, threshold(percent))
    assert result.blocked
    assert not result.consensus


@given(cases(), st.data())
def test_adding_full_support_never_turns_consensus_into_no_consensus(
    case: tuple[list[str], list[Rating], int], data: st.DataObject
) -> None:
    groups, ratings, percent = case
    before = outcome(ratings, groups, threshold(percent))
    where = data.draw(st.sampled_from(groups))
    after = outcome([*ratings, (where, "full")], groups, threshold(percent))
    if before.consensus:
        assert after.consensus
    assert after.ratings_count == before.ratings_count + 1


@given(cases(), st.lists(st.sampled_from([g.upper() for g in GROUP_POOL]), min_size=1, max_size=3, unique=True))
def test_groups_without_ratings_have_no_share_and_do_not_affect_consensus(
    case: tuple[list[str], list[Rating], int], silent: list[str]
) -> None:
    """Declared groups nobody in which has rated: ``support_share`` None, consensus,
    blocked and disagreement unchanged; only the bridging score is pulled toward the middle
    by exactly 1/2 per silent group."""
    groups, ratings, percent = case
    base = outcome(ratings, groups, threshold(percent))
    wider = outcome(ratings, [*groups, *silent], threshold(percent))
    for key in silent:
        assert wider.by_group[key].support_share is None
        assert wider.by_group[key].public() == {**dict.fromkeys(LEVELS, 0), "support_share": None}
    assert (wider.consensus, wider.blocked, wider.disagreement, wider.ratings_count) == (
        base.consensus,
        base.blocked,
        base.disagreement,
        base.ratings_count,
    )
    assert wider.bridging_score == pytest.approx(base.bridging_score / 2 ** len(silent))


@given(cases(), st.lists(st.tuples(st.just("ghost"), st.sampled_from(LEVELS)), min_size=1, max_size=5))
def test_ratings_of_undeclared_groups_are_ignored(
    case: tuple[list[str], list[Rating], int], ghosts: list[Rating]
) -> None:
    groups, ratings, percent = case
    assert outcome([*ratings, *ghosts], groups, threshold(percent)) == outcome(ratings, groups, threshold(percent))


@given(cases())
def test_bridging_score_is_the_product_of_support_plus_one_over_ratings_plus_two(
    case: tuple[list[str], list[Rating], int],
) -> None:
    groups, ratings, percent = case
    score = outcome(ratings, groups, threshold(percent)).bridging_score
    assert score == pytest.approx(float(expected_bridging(ratings, groups)), rel=1e-12)
    assert 0 < score <= 1


@given(cases(), st.data())
def test_bridging_score_is_monotone_in_support(case: tuple[list[str], list[Rating], int], data: st.DataObject) -> None:
    """One more supporting rating in a group never lowers the score (it raises it)."""
    groups, ratings, percent = case
    where = data.draw(st.sampled_from(groups))
    level = data.draw(st.sampled_from(SUPPORT))
    before = outcome(ratings, groups, threshold(percent)).bridging_score
    after = outcome([*ratings, (where, level)], groups, threshold(percent)).bridging_score
    assert after >= before
    assert expected_bridging([*ratings, (where, level)], groups) > expected_bridging(ratings, groups)


@given(cases(), st.data())
def test_a_rating_against_lowers_the_bridging_score(
    case: tuple[list[str], list[Rating], int], data: st.DataObject
) -> None:
    groups, ratings, percent = case
    where = data.draw(st.sampled_from(groups))
    level = data.draw(st.sampled_from(("stand_aside", *REJECT)))
    before = outcome(ratings, groups, threshold(percent)).bridging_score
    after = outcome([*ratings, (where, level)], groups, threshold(percent)).bridging_score
    assert after < before


@given(cases())
def test_disagreement_iff_one_group_carries_and_another_rejects(case: tuple[list[str], list[Rating], int]) -> None:
    groups, ratings, percent = case
    result = outcome(ratings, groups, threshold(percent))
    assert result.disagreement is expected_disagreement(ratings, groups, percent)


@given(
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    percent_st,
    st.sampled_from(SUPPORT),
    st.sampled_from(("stand_aside", "concerns")),
)
def test_threshold_is_compared_exactly(
    sizes: tuple[int, int], percent: int, support_level: str, other_level: str
) -> None:
    """One group, ``support`` of ``n`` ratings in favour (no block): consensus iff
    support / n ≥ percent / 100 in exact rational arithmetic."""
    n, support = sizes
    ratings = [("science", support_level)] * support + [("science", other_level)] * (n - support)
    result = outcome(ratings, ["science", "business"], threshold(percent))
    assert result.consensus is (Fraction(support, n) >= Fraction(percent, 100))


# --- examples with hand-computed numbers ----------------------------------------------------


def test_three_of_four_reaches_three_quarters_exactly() -> None:
    ratings = [("science", "full"), ("science", "full"), ("science", "reservations"), ("science", "stand_aside")]
    result = outcome(ratings, ["science", "business"], 0.75)
    assert result.consensus
    assert result.by_group["science"].support_share == 0.75
    assert result.by_group["business"].support_share is None
    # (3 + 1) / (4 + 2) for science, (0 + 1) / (0 + 2) for the silent business group.
    assert result.bridging_score == pytest.approx(4 / 6 * 1 / 2)


@pytest.mark.parametrize(
    ("support", "total", "threshold_", "expected"),
    [
        (3, 4, 0.75, True),
        (2, 3, 0.75, False),  # 0.666…
        (7, 10, 0.7, True),  # equal counts reach the threshold
        (69, 100, 0.7, False),
        (4, 5, 0.8, True),
        (1, 2, 0.5, True),
        (9, 10, 1.0, False),
        (5, 5, 1.0, True),
    ],
)
def test_threshold_examples(support: int, total: int, threshold_: float, expected: bool) -> None:
    ratings = [("science", "full")] * support + [("science", "stand_aside")] * (total - support)
    assert outcome(ratings, ["science"], threshold_).consensus is expected


def test_stand_asides_count_in_the_denominator() -> None:
    ratings = [("science", "full")] * 3 + [("science", "stand_aside")] * 2
    result = outcome(ratings, ["science"], 0.75)
    assert result.by_group["science"].support_share == pytest.approx(0.6)
    assert not result.consensus
    assert not result.disagreement  # stand-asides are not a rejection


def test_every_group_must_carry_it() -> None:
    ratings = [("science", "full")] * 4 + [("business", "full"), ("business", "stand_aside")]
    result = outcome(ratings, ["science", "business", "civil_society"], 0.75)
    assert not result.consensus  # business 1/2
    assert not result.disagreement  # nobody rejects
    # science 5/6, business 2/4, civil society 1/2
    assert result.bridging_score == pytest.approx(5 / 6 * 2 / 4 * 1 / 2)


def test_one_group_carries_another_rejects_is_an_open_disagreement() -> None:
    ratings = [("science", "full")] * 4 + [("business", "block"), ("business", "concerns"), ("business", "full")]
    result = outcome(ratings, ["science", "business"], 0.75)
    assert result.blocked
    assert not result.consensus
    assert result.disagreement
    assert result.ratings_count == 7
    assert result.by_group["business"].counts == {
        "full": 1,
        "reservations": 0,
        "stand_aside": 0,
        "concerns": 1,
        "block": 1,
    }
    assert result.by_group["business"].support_share == pytest.approx(1 / 3)
    # science (4 + 1) / (4 + 2), business (1 + 1) / (3 + 2)
    assert result.bridging_score == pytest.approx(5 / 6 * 2 / 5)


def test_an_even_split_is_no_rejection() -> None:
    ratings = [("science", "full")] * 3 + [("business", "concerns"), ("business", "full")]
    result = outcome(ratings, ["science", "business"], 0.75)
    assert not result.disagreement  # 1 of 2 is no strict majority
    assert not result.consensus


def test_a_single_block_vetoes_overwhelming_support() -> None:
    ratings = [("science", "full")] * 20 + [("business", "full")] * 20 + [("business", "block")]
    result = outcome(ratings, ["science", "business"], 0.75)
    assert result.by_group["business"].support_share == pytest.approx(20 / 21)
    assert result.blocked
    assert not result.consensus
    assert not result.disagreement  # one block among 21 is no majority


def test_no_ratings_no_consensus() -> None:
    result = outcome([], ["science", "business", "civil_society", "administration"], 0.75)
    assert not result.consensus
    assert not result.blocked
    assert not result.disagreement
    assert result.ratings_count == 0
    assert result.bridging_score == pytest.approx(1 / 16)
    assert all(t.support_share is None for t in result.by_group.values())
