"""The monthly composite, coverage, cap and grade — no app."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.assessment.scoring import (
    Grade,
    Policy,
    PolicyError,
    compose,
    grade_for,
    next_band,
    round_score,
    weighted_score,
)

POLICY = Policy()
DIMENSIONS = ("knowledge", "skill", "attitude", "kpi")
scores = st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False))
months = st.fixed_dictionaries({d: scores for d in DIMENSIONS})


def test_a_hand_computed_month():
    # 0.2·85 + 0.3·78 + 0.2·92 + 0.3·88 = 17 + 23.4 + 18.4 + 26.4 = 85.2
    month = compose({"knowledge": 85, "skill": 78, "attitude": 92, "kpi": 88}, POLICY)
    assert month.score == 85.2 and month.coverage == 1 and month.grade is Grade.GOOD and not month.provisional
    assert month.next_band.grade is Grade.EXCELLENT and month.next_band.points_needed == 4.8


def test_a_missing_dimension_is_renormalised_until_coverage_is_too_low():
    # attitude missing: (0.2·70 + 0.3·80 + 0.3·90) / 0.8 = (14 + 24 + 27) / 0.8 = 81.25 → 81.3
    month = compose({"knowledge": 70, "skill": 80, "attitude": None, "kpi": 90}, POLICY)
    assert month.score == 81.3 and month.coverage == pytest.approx(0.8) and month.grade is Grade.GOOD
    # knowledge and attitude missing: 60 % of the weight, below the 70 % minimum
    thin = compose({"knowledge": None, "skill": 80, "attitude": None, "kpi": 90}, POLICY)
    assert thin.provisional and thin.grade is None and thin.score == 85.0
    nothing = compose(dict.fromkeys(DIMENSIONS), POLICY)
    assert nothing.provisional and nothing.score is None and nothing.next_band is None


@pytest.mark.parametrize("score, grade", [
    (90, Grade.EXCELLENT), (89.9, Grade.GOOD), (80, Grade.GOOD), (79.9, Grade.QUALIFIED),
    (60, Grade.QUALIFIED), (59.9, Grade.NEEDS_IMPROVEMENT), (0, Grade.NEEDS_IMPROVEMENT), (100, Grade.EXCELLENT)])
def test_band_edges_are_reached_exactly(score, grade):
    assert grade_for(score, POLICY) is grade
    assert compose(dict.fromkeys(DIMENSIONS, score), POLICY).grade is grade


def test_rounding_is_half_up_before_banding():
    assert round_score(89.95) == 90.0 and round_score(89.94999) == 89.9 and round_score(59.95) == 60.0
    # 0.2·89.9 + 0.3·90 + 0.2·90 + 0.3·90 = 89.98 → 90.0 → excellent
    assert compose({"knowledge": 89.9, "skill": 90, "attitude": 90, "kpi": 90}, POLICY).grade is Grade.EXCELLENT


def test_a_red_line_caps_the_grade_not_the_score():
    month = compose(dict.fromkeys(DIMENSIONS, 95), POLICY, redline=True)
    assert month.score == 95 and month.grade is Grade.QUALIFIED and month.capped
    assert month.uncapped_grade is Grade.EXCELLENT
    low = compose(dict.fromkeys(DIMENSIONS, 50), POLICY, redline=True)
    assert low.grade is Grade.NEEDS_IMPROVEMENT and not low.capped
    uncapped = compose(dict.fromkeys(DIMENSIONS, 95), Policy(redline_cap=None), redline=True)
    assert uncapped.grade is Grade.EXCELLENT and not uncapped.capped


def test_parts_of_a_dimension_renormalise_and_weight_zero_counts_for_nothing():
    # role-play 80 (50) and QA 90 (30), no drills: (40 + 27) / 0.8 = 83.75
    skill = weighted_score({"roleplay": 80, "drills": None, "qa": 90}, POLICY.skill_parts)
    assert skill.score == pytest.approx(83.75) and skill.coverage == pytest.approx(0.8)
    attitude = weighted_score({"supervisor": 90, "peers": 70, "customer": 80, "self": 10}, POLICY.attitude_parts)
    assert attitude.score == pytest.approx(0.4 * 90 + 0.3 * 70 + 0.3 * 80)        # self weighs 0
    assert weighted_score({"self": 100}, POLICY.attitude_parts).score is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1, 100.5])
def test_scores_outside_0_to_100_are_refused(bad):
    with pytest.raises(ValueError, match="kpi"):
        compose({"knowledge": 80, "skill": 80, "attitude": 80, "kpi": bad}, POLICY)


@pytest.mark.parametrize("changes, part", [
    ({"weights": {"knowledge": 20, "skill": 30, "attitude": 20}}, "weights"),
    ({"weights": {"knowledge": -1, "skill": 30, "attitude": 20, "kpi": 30}}, "weights"),
    ({"skill_parts": {"roleplay": 0, "drills": 0, "qa": 0}}, "skill_parts"),
    ({"attitude_parts": {"supervisor": float("nan")}}, "attitude_parts"),
    ({"bands": ((80, "excellent"), (90, "good"), (60, "qualified"))}, "bands"),
    ({"bands": ((90, "good"), (80, "excellent"), (60, "qualified"))}, "bands"),
    ({"bands": ((190, "excellent"), (80, "good"), (60, "qualified"))}, "bands"),
    ({"min_coverage": 1.5}, "min_coverage"),
    ({"redline_cap": "gold"}, "redline_cap"),
])
def test_a_policy_that_cannot_be_used_says_which_part(changes, part):
    with pytest.raises(PolicyError, match=part):
        Policy(**changes)


@given(months, st.booleans())
def test_the_composite_stays_within_0_to_100(month, redline):
    result = compose(month, POLICY, redline=redline)
    assert result.score is None or 0 <= result.score <= 100
    assert 0 <= result.coverage <= 1
    assert (result.grade is None) == result.provisional


@given(months, st.sampled_from(DIMENSIONS), st.floats(min_value=0, max_value=100, allow_nan=False))
def test_the_composite_never_falls_when_one_input_rises(month, dimension, raise_by):
    before = compose(month, POLICY)
    if month[dimension] is None:
        return
    higher = {**month, dimension: min(100.0, month[dimension] + raise_by)}
    after = compose(higher, POLICY)
    assert after.score >= before.score
    if not before.provisional:
        order = list(Grade)
        assert order.index(after.grade) <= order.index(before.grade)


@given(months)
def test_a_month_without_a_dimension_is_provisional_exactly_below_the_minimum(month):
    result = compose(month, POLICY)
    measured = sum(POLICY.weights[d] for d in DIMENSIONS if month[d] is not None) / 100
    assert result.provisional == (measured < POLICY.min_coverage - 1e-9)


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_the_next_band_is_reached_by_the_points_it_names(score):
    score = round_score(score)
    ahead = next_band(score, POLICY)
    if ahead is None:
        assert grade_for(score, POLICY) is Grade.EXCELLENT
    else:
        assert grade_for(round_score(score + ahead.points_needed), POLICY) is ahead.grade
        assert grade_for(score, POLICY) is not ahead.grade
