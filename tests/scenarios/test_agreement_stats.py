"""Rater agreement against published worked examples."""

import math
from itertools import combinations

import pytest

from app.scenarios.stats import (
    AgreementError,
    alpha_level,
    icc,
    icc_level,
    krippendorff_alpha_interval,
    mean_squares,
)

# Shrout & Fleiss (1979), Table 2: six targets scored by four judges.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def test_mean_squares_match_the_anova_done_by_hand():
    # Grand mean 127/24; row totals 24, 12, 26, 16, 30, 19; column totals 46, 15, 26, 40.
    grand = 127 / 24
    ss_rows = sum((t / 4 - grand) ** 2 for t in (24, 12, 26, 16, 30, 19)) * 4
    ss_cols = sum((t / 6 - grand) ** 2 for t in (46, 15, 26, 40)) * 6
    ss_total = sum((x - grand) ** 2 for row in SHROUT_FLEISS for x in row)
    terms = mean_squares(SHROUT_FLEISS)
    assert terms.bms == pytest.approx(ss_rows / 5)
    assert terms.jms == pytest.approx(ss_cols / 3)
    assert terms.ems == pytest.approx((ss_total - ss_rows - ss_cols) / 15)
    assert terms.wms == pytest.approx((ss_total - ss_rows) / 18)
    # The values Shrout & Fleiss print: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02.
    assert (round(terms.bms, 2), round(terms.wms, 2), round(terms.jms, 2), round(terms.ems, 2)) == \
        (11.24, 6.26, 32.49, 1.02)


def test_icc_matches_shrout_and_fleiss():
    result = icc(SHROUT_FLEISS)
    # Published: ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71.
    assert round(result.icc1, 2) == 0.17
    assert round(result.icc2, 2) == 0.29
    assert round(result.icc3, 2) == 0.71
    # And from the mean squares by hand: (BMS − EMS) / (BMS + (k−1)EMS + k(JMS − EMS)/n).
    t = result.terms
    assert result.icc2 == pytest.approx((t.bms - t.ems) / (t.bms + 3 * t.ems + 4 * (t.jms - t.ems) / 6))


def test_raters_in_perfect_agreement_give_one_and_an_offset_rater_only_hurts_absolute_agreement():
    same = [[70, 70], [80, 80], [90, 90]]
    assert icc(same).icc2 == pytest.approx(1.0) and icc(same).icc3 == pytest.approx(1.0)
    offset = [[70, 80], [80, 90], [90, 100]]  # the second rater is always 10 points kinder
    result = icc(offset)
    assert result.icc3 == pytest.approx(1.0)
    assert result.icc2 < 1.0


def test_icc_refuses_data_it_cannot_use():
    with pytest.raises(AgreementError):
        icc([[1, 2]])  # one target
    with pytest.raises(AgreementError):
        icc([[1], [2]])  # one rater
    with pytest.raises(AgreementError):
        icc([[1, 2], [3]])  # a missing score
    assert icc([[5, 5], [5, 5]]).icc2 is None  # no variation at all: undefined, not a number


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked
# example: four observers, twelve units, some values missing.
KRIPPENDORFF_UNITS = [
    # A, B, C, D
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, 3, None, None],
]


def test_alpha_interval_matches_krippendorffs_worked_example():
    # Published: α (interval) = 0.849.
    assert round(krippendorff_alpha_interval(KRIPPENDORFF_UNITS), 3) == 0.849


def test_alpha_by_hand_on_a_small_table():
    units = [[1, 2], [3, 3], [None, 4], [5, 4]]
    # Pairable values (the unit with one value is left out): 1, 2, 3, 3, 5, 4 — n = 6.
    values = [1, 2, 3, 3, 5, 4]
    observed = 2 * ((1 - 2) ** 2 + 0 + (5 - 4) ** 2) / 1 / 6
    expected = 2 * sum((a - b) ** 2 for a, b in combinations(values, 2)) / (6 * 5)
    assert krippendorff_alpha_interval(units) == pytest.approx(1 - observed / expected)


def test_alpha_edge_cases():
    assert krippendorff_alpha_interval([[3, 3], [4, 4]]) == pytest.approx(1.0)
    assert krippendorff_alpha_interval([[3, 3], [3, 3]]) is None  # no variation
    with pytest.raises(AgreementError):
        krippendorff_alpha_interval([[1, None], [None, 2]])  # nothing pairable
    assert not math.isnan(krippendorff_alpha_interval([[1, 5], [5, 1]]))
    assert krippendorff_alpha_interval([[1, 5], [5, 1]]) < 0  # systematic disagreement


def test_warning_levels():
    assert [icc_level(v) for v in (None, 0.3, 0.6, 0.9)] == ["poor", "poor", "moderate", "good"]
    assert [alpha_level(v) for v in (None, 0.5, 0.7, 0.85)] == ["unreliable", "unreliable", "tentative", "reliable"]
