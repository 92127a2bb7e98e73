"""Banding in both directions with edge values, month aggregation,
insufficient data and the dimension score with its coverage."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kpi.scoring import (
    Aggregation,
    Band,
    Direction,
    MetricRule,
    MonthValue,
    Observation,
    aggregate_month,
    band_points,
    dimension_score,
)

CSAT = MetricRule("csat", Direction.HIGHER, (Band(90, 100), Band(80, 80), Band(70, 60)), min_contacts=30, weight=3)
RESPONSE = MetricRule("avg_response", Direction.LOWER, (Band(35, 100), Band(45, 80), Band(55, 60)),
                      aggregation=Aggregation.WEIGHTED_MEAN, weight=2)


@pytest.mark.parametrize("value, points", [
    (100, 100), (90, 100), (89.99, 80), (80, 80), (79.9, 60), (70, 60), (69.99, 0), (0, 0),
])
def test_higher_is_better_bands_include_their_threshold(value, points):
    assert band_points(CSAT, value) == points


@pytest.mark.parametrize("value, points", [
    (0, 100), (35, 100), (35.01, 80), (45, 80), (55, 60), (55.5, 0), (600, 0),
])
def test_lower_is_better_bands_include_their_threshold(value, points):
    assert band_points(RESPONSE, value) == points


def test_interpolated_bands_are_linear_between_thresholds():
    fcr = MetricRule("fcr", Direction.HIGHER, (Band(90, 100), Band(85, 0)), interpolate=True)
    assert band_points(fcr, 95) == 100
    assert band_points(fcr, 87.5) == pytest.approx(50)
    assert band_points(fcr, 85) == 0
    assert band_points(fcr, 84.9) == 0
    fast = MetricRule("frt", Direction.LOWER, (Band(15, 100), Band(45, 40)), interpolate=True)
    assert band_points(fast, 30) == pytest.approx(70)


def test_a_metric_without_bands_scores_nothing():
    assert band_points(MetricRule("x", Direction.HIGHER, ()), 50) == 0


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_points_never_leave_the_bands_range(value):
    for rule in (CSAT, RESPONSE):
        assert 0 <= band_points(rule, value) <= 100


def test_weighted_month_mean_by_contacts():
    rows = [Observation(90, 10), Observation(80, 30)]
    month = aggregate_month(MetricRule("m", Direction.HIGHER, (), Aggregation.WEIGHTED_MEAN), rows)
    assert month.value == pytest.approx(82.5) and month.contacts == 40 and month.rows == 2


def test_plain_mean_and_sum():
    rows = [Observation(10, 1), Observation(20, 100)]
    assert aggregate_month(MetricRule("m", Direction.HIGHER, (), Aggregation.MEAN), rows).value == 15
    assert aggregate_month(MetricRule("m", Direction.HIGHER, (), Aggregation.SUM), rows).value == 30


def test_rows_without_contacts_weigh_one():
    month = aggregate_month(MetricRule("m", Direction.HIGHER, ()), [Observation(10), Observation(20)])
    assert month.value == 15 and month.contacts is None


def test_too_few_contacts_is_insufficient_data_not_zero():
    month = aggregate_month(CSAT, [Observation(100, 12), Observation(95, 10)])
    assert month.value is None and not month.sufficient and month.contacts == 22
    assert aggregate_month(CSAT, [Observation(100, None)]).value is None       # no count cannot pass a minimum
    assert aggregate_month(CSAT, []).value is None


def test_dimension_is_the_weighted_mean_of_measured_metrics_with_coverage():
    result = dimension_score([CSAT, RESPONSE], {"csat": MonthValue(92, 120, 1), "avg_response": MonthValue(50, 900, 1)})
    assert result.points == {"csat": 100, "avg_response": 60}
    assert result.score == pytest.approx((3 * 100 + 2 * 60) / 5) and result.coverage == 1


def test_a_metric_without_data_is_left_out_and_reported():
    result = dimension_score([CSAT, RESPONSE], {"csat": MonthValue(None, 12, 1), "avg_response": MonthValue(40, 900, 1)})
    assert result.score == 80 and result.coverage == pytest.approx(2 / 5)
    assert result.points["csat"] is None and result.missing == ("csat",)
    empty = dimension_score([CSAT, RESPONSE], {})
    assert empty.score is None and empty.coverage == 0
