"""Smart Meister suggestions (SPEC.md §4): pure ranking, scores worked out by hand.

Score: +50 if any specialty matches a ticket tag, +30 if the Meister serves the firm's
region, −10 per open ticket, +2 × average rating (0 if none). Active Meisters under
their maximum load only, decliners excluded; ties by lower load, then lower id; top 5.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercare.domain.ranking import Candidate, Reason, rank


def meister(
    meister_id: int,
    *,
    specialties: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    load: int = 0,
    max_load: int = 5,
    rating: str | None = None,
    active: bool = True,
) -> Candidate:
    return Candidate(
        meister_id=meister_id,
        name=f"Meister {meister_id}",
        specialties=frozenset(specialties),
        regions=frozenset(regions),
        load=load,
        max_load=max_load,
        rating=None if rating is None else Decimal(rating),
        active=active,
    )


def ids(suggestions) -> list[int]:
    return [s.meister_id for s in suggestions]


def only(candidate: Candidate, tags=("plc",), region="seoul", declined=()):
    """The single suggestion for one candidate who is not excluded."""
    suggestions = rank([candidate], tags, region, declined)
    assert len(suggestions) == 1
    return suggestions[0]


# --- each score term on its own --------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "tags", "expected"),
    [
        # specialty: +50 when any specialty matches a tag
        (meister(1, specialties=("plc",)), ["plc"], 50),
        (meister(1, specialties=("plc",)), ["PLC"], 50),  # tags compared case-insensitively
        (meister(1, specialties=("plc",)), ["Plc"], 50),
        (meister(1, specialties=("plc",)), ["sensor", "plc"], 50),
        (meister(1, specialties=("plc", "mes")), ["plc", "mes"], 50),  # counted once
        (meister(1, specialties=("plc", "mes")), ["PLC", "Mes", "erp"], 50),
        (meister(1, specialties=("plc",)), ["plc", "PLC"], 50),  # a repeated tag, once
        (meister(1, specialties=("plc",)), ["mes"], 0),
        (meister(1, specialties=("plc",)), [], 0),
        (meister(1), ["plc"], 0),
    ],
)
def test_a_specialty_matching_any_ticket_tag_adds_fifty_once(candidate, tags, expected):
    assert only(candidate, tags=tags, region="jeju").score == expected


@pytest.mark.parametrize(
    ("regions", "region", "expected"),
    [
        (("seoul",), "seoul", 30),
        (("busan", "seoul", "gyeonggi"), "seoul", 30),
        (("busan",), "seoul", 0),
        ((), "seoul", 0),
    ],
)
def test_serving_the_firms_region_adds_thirty(regions, region, expected):
    assert only(meister(1, regions=regions), tags=[], region=region).score == expected


@pytest.mark.parametrize(
    ("load", "expected"),
    [(0, 0), (1, -10), (2, -20), (4, -40)],
)
def test_each_open_ticket_takes_off_ten(load, expected):
    assert only(meister(1, load=load, max_load=5), tags=[]).score == expected


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        (None, Decimal(0)),  # never rated
        ("4.5", Decimal(9)),
        ("5", Decimal(10)),
        ("1", Decimal(2)),
        ("3.25", Decimal("6.5")),
        ("4.75", Decimal("9.5")),
        ("0", Decimal(0)),
    ],
)
def test_the_average_rating_adds_twice_its_value(rating, expected):
    assert only(meister(1, rating=rating), tags=[]).score == expected


def test_all_four_terms_add_up():
    candidate = meister(1, specialties=("plc",), regions=("seoul",), load=2, rating="4")
    # +50 specialty, +30 region, −20 for two open tickets, +8 for rating 4
    assert only(candidate, tags=["plc"], region="seoul").score == 68


def test_a_meister_with_no_applicable_term_scores_zero_with_no_reasons():
    suggestion = only(meister(1, specialties=("mes",), regions=("busan",)))
    assert suggestion.score == 0
    assert suggestion.reasons == []


# --- reasons ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (meister(1, specialties=("plc",)), Reason("specialty", Decimal(50), ("plc",))),
        (meister(1, regions=("seoul",)), Reason("region", Decimal(30), ("seoul",))),
        (meister(1, load=2), Reason("load", Decimal(-20), ("2",))),
        (meister(1, rating="4.5"), Reason("rating", Decimal("9.00"), ("4.50",))),
    ],
)
def test_each_applied_term_gives_one_reason_naming_it(candidate, expected):
    reasons = only(candidate, tags=["plc"], region="seoul").reasons
    assert reasons == [expected]


def test_a_reason_reads_in_english_in_logs():
    assert str(Reason("load", Decimal(-20), ("2",))) == "load 2 (-20)"


def test_a_meister_scoring_on_every_term_gets_one_reason_per_term():
    candidate = meister(1, specialties=("plc",), regions=("seoul",), load=2, rating="4")
    reasons = only(candidate, tags=["PLC"], region="seoul").reasons
    assert len(reasons) == 4
    assert [r.term for r in reasons] == ["specialty", "region", "load", "rating"]
    assert sum(r.points for r in reasons) == 68


# --- who is excluded --------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "declined", "kept"),
    [
        (meister(1), [], True),
        (meister(1, active=False), [], False),
        (meister(1, load=5, max_load=5), [], False),  # at the maximum load
        (meister(1, load=6, max_load=5), [], False),  # above it (forced assignments)
        (meister(1, load=4, max_load=5), [], True),  # one below it
        (meister(1, load=0, max_load=1), [], True),
        (meister(1, load=1, max_load=1), [], False),
        (meister(1, load=0, max_load=0), [], False),
        (meister(1), [1], False),  # declined this ticket
        (meister(1), [2, 3], True),  # others declined
        (meister(1, specialties=("plc",), regions=("seoul",), rating="5"), [1], False),
        (meister(1, specialties=("plc",), regions=("seoul",), active=False), [], False),
    ],
)
def test_only_active_meisters_under_their_maximum_load_who_did_not_decline_are_ranked(
    candidate, declined, kept
):
    assert ids(rank([candidate], ["plc"], "seoul", declined)) == ([1] if kept else [])


def test_no_candidates_give_no_suggestions():
    assert rank([], ["plc"], "seoul", []) == []


# --- order and top 5 ---------------------------------------------------------------


def test_a_higher_score_comes_first_even_with_a_higher_load():
    busy_local = meister(1, regions=("seoul",), load=2)  # 30 − 20 = 10
    idle_remote = meister(2)  # 0
    assert ids(rank([idle_remote, busy_local], [], "seoul", [])) == [1, 2]


def test_only_the_top_five_are_returned_best_first():
    # ratings 1..7 score 2, 4, …, 14
    candidates = [meister(i, rating=str(i)) for i in range(1, 8)]
    suggestions = rank(candidates, [], "seoul", [])
    assert ids(suggestions) == [7, 6, 5, 4, 3]
    assert [s.score for s in suggestions] == [14, 12, 10, 8, 6]


def test_fewer_than_five_candidates_are_all_returned():
    assert ids(rank([meister(2), meister(1, rating="1")], [], "seoul", [])) == [1, 2]


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        # equal score 0: 30 − 30 with load 3 against nothing with load 0
        ([meister(1, regions=("seoul",), load=3), meister(2)], [2, 1]),
        # equal score 0: rating 5 (+10) − one ticket against nothing at all
        ([meister(1, rating="5", load=1), meister(2)], [2, 1]),
        # equal score and load: lower id first, whatever the input order
        ([meister(7), meister(3), meister(5)], [3, 5, 7]),
        ([meister(12, load=1), meister(11, load=1), meister(10, load=2, rating="5")], [11, 12, 10]),
    ],
)
def test_ties_break_by_lower_load_then_lower_id(candidates, expected):
    assert ids(rank(candidates, [], "seoul", [])) == expected


# A ticket tagged plc in seoul, with Meister 9 having declined it.
POOL = [
    meister(1, specialties=("plc",), regions=("seoul",)),  # 50 + 30 = 80
    meister(2, specialties=("mes",), regions=("busan",), rating="5"),  # 10
    meister(3, specialties=("plc",), regions=("busan",), load=3, rating="4.5"),  # 50 − 30 + 9 = 29
    meister(4, regions=("seoul",)),  # 30, load 0
    meister(5, specialties=("plc",), regions=("seoul",), load=5, max_load=5),  # full
    meister(6, rating="5"),  # 10, ties with 2 at load 0
    meister(7, specialties=("mes",), regions=("seoul",), load=2, rating="5"),  # 30 − 20 + 10 = 20
    meister(8, specialties=("plc",), regions=("seoul",), active=False),  # inactive
    meister(9, specialties=("plc",), regions=("seoul",), rating="5"),  # declined
    meister(10, regions=("seoul",), load=1, rating="5"),  # 30 − 10 + 10 = 30, load 1
    meister(11, specialties=("plc",), load=2),  # 50 − 20 = 30, load 2
]


def test_a_mixed_pool_ranks_as_worked_out_by_hand():
    suggestions = rank(POOL, ["plc"], "seoul", [9])
    assert [(s.meister_id, s.score, s.load) for s in suggestions] == [
        (1, 80, 0),
        (4, 30, 0),
        (10, 30, 1),
        (11, 30, 2),
        (3, 29, 3),
    ]
    assert suggestions[0].name == "Meister 1"


@settings(deadline=None, database=None)
@given(
    candidates=st.permutations(POOL),
    tags=st.permutations(["plc", "PLC", "erp"]),
    declined=st.permutations([9, 404]),
)
def test_the_same_input_in_any_order_gives_the_same_suggestions(candidates, tags, declined):
    expected = rank(POOL, ["plc", "PLC", "erp"], "seoul", [9, 404])
    assert rank(candidates, tags, "seoul", declined) == expected
    assert ids(expected) == [1, 4, 10, 11, 3]
