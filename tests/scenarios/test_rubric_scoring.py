"""The rubric engine: weights, N/A, critical failures, competency sub-scores."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.scenarios.rubric import Criterion, Level, RatingError, score

LEVELS = (Level(0, "未做到"), Level(1, "部分做到"), Level(2, "做到"))


def sheet():
    return [
        Criterion("greeting", "communication", 1, LEVELS),
        Criterion("empathy", "empathy", 2, LEVELS),
        Criterion("accuracy", "knowledge", 3, LEVELS),
        Criterion("policy", "compliance", 1, (Level(0), Level(2)), critical=True),
        Criterion("upsell", "communication", 1, LEVELS, allow_na=True),
    ]


def test_weighted_percentage_by_hand():
    result = score(sheet(), {"greeting": 2, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": 0})
    # (1×1 + 2×0.5 + 3×1 + 1×1 + 1×0) / (1+2+3+1+1) = 6/8
    assert result.percent == pytest.approx(75.0)
    assert not result.failed_critical


def test_not_applicable_leaves_both_sides():
    result = score(sheet(), {"greeting": 2, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": None})
    assert result.percent == pytest.approx(100 * 6 / 7)
    assert result.not_applicable == ("upsell",)
    assert result.competencies["communication"] == pytest.approx(100.0)  # only greeting counted


def test_a_failed_critical_criterion_sets_zero_and_says_which():
    result = score(sheet(), {"greeting": 2, "empathy": 2, "accuracy": 2, "policy": 0, "upsell": 2})
    assert result.percent == 0.0
    assert result.critical_failures == ("policy",)
    assert result.measured == pytest.approx(100 * 7 / 8)  # what it would have been
    assert result.competencies["knowledge"] == pytest.approx(100.0)  # sub-scores stay as measured
    assert result.competencies["compliance"] == pytest.approx(0.0)


def test_competency_sub_scores():
    result = score(sheet(), {"greeting": 0, "empathy": 2, "accuracy": 1, "policy": 1, "upsell": 2})
    assert result.competencies == {"communication": pytest.approx(50.0), "empathy": pytest.approx(100.0),
                                   "knowledge": pytest.approx(50.0), "compliance": pytest.approx(100.0)}


def test_everything_not_applicable_gives_no_score():
    only_na = [Criterion("a", "x", 1, LEVELS, allow_na=True)]
    result = score(only_na, {"a": None})
    assert result.percent is None and result.competencies == {"x": None}


@pytest.mark.parametrize(("ratings", "criterion"), [
    ({"greeting": 2, "empathy": 1, "accuracy": 2, "policy": 1}, "upsell"),                      # missing
    ({"greeting": None, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": 1}, "greeting"),     # N/A not allowed
    ({"greeting": 3, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": 1}, "greeting"),        # no such level
    ({"greeting": -1, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": 1}, "greeting"),
    ({"greeting": True, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": 1}, "greeting"),
    ({"greeting": 1, "empathy": 1, "accuracy": 2, "policy": 1, "upsell": 1, "smile": 1}, "smile"),  # unknown
])
def test_bad_ratings_name_the_criterion(ratings, criterion):
    with pytest.raises(RatingError) as error:
        score(sheet(), ratings)
    assert error.value.criterion == criterion


criteria_strategy = st.lists(
    st.builds(
        lambda i, weight, points, critical, na: Criterion(
            f"c{i}", f"k{i % 3}", weight, tuple(Level(p) for p in sorted(points)), critical=critical, allow_na=na),
        st.integers(0, 10_000), st.floats(0.1, 10), st.lists(st.floats(0, 10), min_size=1, max_size=5),
        st.booleans(), st.booleans()),
    min_size=1, max_size=8, unique_by=lambda c: c.code)


@given(criteria_strategy, st.data())
def test_any_result_lies_within_0_and_100(criteria, data):
    ratings = {}
    for c in criteria:
        options = list(range(len(c.levels))) + ([None] if c.allow_na else [])
        ratings[c.code] = data.draw(st.sampled_from(options))
    result = score(criteria, ratings)
    for value in (result.percent, result.measured, *result.competencies.values()):
        assert value is None or 0 <= value <= 100 + 1e-9
    if result.critical_failures:
        assert result.percent == 0
