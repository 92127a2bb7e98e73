"""Item analysis, checked against values worked out by hand."""

from math import sqrt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quiz import stats
from app.quiz.stats import ItemResponse, analyse


def matrix(rows: dict[int, dict[str, float]], max_marks: dict[str, float] | None = None) -> list[ItemResponse]:
    max_marks = max_marks or {}
    return [ItemResponse(attempt_id, item_id, fraction, max_marks.get(item_id, 1.0))
            for attempt_id, items in rows.items() for item_id, fraction in items.items()]


def by_id(analysis) -> dict[str, stats.ItemStats]:
    return {item.item_id: item for item in analysis.items}


# 5 attempts × 4 dichotomous items; totals 4, 3, 2, 2, 1 out of 4.
DICHOTOMOUS = {
    1: {"q1": 1, "q2": 1, "q3": 1, "q4": 1},
    2: {"q1": 1, "q2": 1, "q3": 1, "q4": 0},
    3: {"q1": 1, "q2": 1, "q3": 0, "q4": 0},
    4: {"q1": 1, "q2": 0, "q3": 1, "q4": 0},
    5: {"q1": 0, "q2": 0, "q3": 0, "q4": 1},
}


def test_test_statistics_of_a_dichotomous_quiz():
    result = analyse(matrix(DICHOTOMOUS))
    assert result.attempts == 5
    assert result.mean == pytest.approx((4 + 3 + 2 + 2 + 1) / 5)        # 2.4
    assert result.median == 2
    # Σ(x − 2.4)² = 1.6² + 0.6² + 0.4² + 0.4² + 1.4² = 2.56 + 0.36 + 0.16 + 0.16 + 1.96 = 5.2
    assert result.sd == pytest.approx(sqrt(5.2 / 4))
    assert result.mean_pct == pytest.approx(100 * 2.4 / 4)              # 60
    assert result.median_pct == pytest.approx(50)
    assert result.sd_pct == pytest.approx(100 * sqrt(5.2 / 4) / 4)
    # KR-20: item variances p(1 − p) = 0.8·0.2 + 3 × 0.6·0.4 (q2, q3, and q4 at p = 0.4) = 0.16 + 0.72 = 0.88;
    # population variance of the totals = 5.2 / 5 = 1.04.
    kr20 = 4 / 3 * (1 - 0.88 / 1.04)                                       # = 8/39 ≈ 0.2051
    assert result.reliability == pytest.approx(kr20)
    assert result.reliability == pytest.approx(8 / 39)
    assert result.sem == pytest.approx(sqrt(5.2 / 4) * sqrt(1 - 8 / 39))  # ≈ 1.0165


def test_item_statistics_of_a_dichotomous_quiz():
    items = by_id(analyse(matrix(DICHOTOMOUS)))
    assert [i.item_id for i in analyse(matrix(DICHOTOMOUS)).items] == ["q1", "q2", "q3", "q4"]
    assert {k: v.facility for k, v in items.items()} == pytest.approx({"q1": 0.8, "q2": 0.6, "q3": 0.6, "q4": 0.4})
    assert all(v.count == 5 for v in items.values())
    # q1: deviations from 0.8 are 0.2 (×4) and −0.8: (4 × 0.04 + 0.64) / 4 = 0.2
    assert items["q1"].sd == pytest.approx(sqrt(0.2))
    # q2: deviations from 0.6 are 0.4 (×3) and −0.6 (×2): (3 × 0.16 + 2 × 0.36) / 4 = 0.3
    assert items["q2"].sd == pytest.approx(sqrt(0.3))
    # Groups of round(5 × 0.27) = 1: top is attempt 1 (total 4), bottom attempt 5 (total 1).
    assert items["q1"].discrimination_index == pytest.approx(1 - 0)
    assert items["q3"].discrimination_index == pytest.approx(1 - 0)
    assert items["q4"].discrimination_index == pytest.approx(1 - 1)
    assert items["q4"].flags == ("weak_discrimination",)
    assert items["q1"].flags == ()
    # q1 = [1,1,1,1,0], rest = totals − q1 = [3,2,1,1,1] (mean 1.6).
    # Σ dq·dr = .2·1.4 + .2·.4 + .2·(−.6) + .2·(−.6) + (−.8)(−.6) = .28 + .08 − .12 − .12 + .48 = 0.6
    # Σ dq² = 0.8, Σ dr² = 1.96 + .16 + .36 + .36 + .36 = 3.2, r = 0.6 / sqrt(0.8 × 3.2) = 0.375
    assert items["q1"].item_total_correlation == pytest.approx(0.6 / sqrt(0.8 * 3.2))
    assert items["q1"].item_total_correlation == pytest.approx(0.375)
    # q4 = [1,0,0,0,1] (mean .4), rest = [3,3,2,2,0] (mean 2).
    # Σ dq·dr = .6·1 − .4·1 + 0 + 0 + .6·(−2) = −1.0; Σ dq² = 2·.36 + 3·.16 = 1.2; Σ dr² = 1 + 1 + 0 + 0 + 4 = 6
    assert items["q4"].item_total_correlation == pytest.approx(-1.0 / sqrt(1.2 * 6))
    assert all(v.distractors == () for v in items.values())


def test_flags_an_easy_item_and_one_only_low_scorers_get_right():
    rows = {
        1: {"easy": 1, "a": 1, "b": 1, "c": 1, "hard": 0, "odd": 0},   # total 4
        2: {"easy": 1, "a": 1, "b": 1, "c": 0, "hard": 0, "odd": 0},   # total 3
        3: {"easy": 1, "a": 1, "b": 1, "c": 0, "hard": 0, "odd": 0},   # total 3
        4: {"easy": 1, "a": 0, "b": 0, "c": 0, "hard": 0, "odd": 1},   # total 2, the lowest
    }
    items = by_id(analyse(matrix(rows)))
    # Groups of round(4 × 0.27) = 1: top is attempt 1, bottom attempt 4.
    assert items["easy"].facility == 1
    assert items["easy"].flags == ("too_easy", "weak_discrimination")  # D = 1 − 1 = 0
    assert items["easy"].item_total_correlation is None                # the item is constant
    assert items["odd"].discrimination_index == pytest.approx(0 - 1)
    assert items["odd"].flags == ("negative_discrimination",)          # facility 0.25 is not too hard
    assert items["hard"].flags == ("too_hard", "weak_discrimination")
    assert items["a"].flags == ()                                      # facility 0.75, D = 1


def test_distractor_table():
    rows = [
        # attempt, item, fraction, max, choice; "other" has no choices. Percents: 100, 50, 0, 0, 25.
        ItemResponse(1, "mc", 1, choice="A"), ItemResponse(1, "other", 1),
        ItemResponse(2, "mc", 0, choice="B"), ItemResponse(2, "other", 1),
        ItemResponse(3, "mc", 0, choice="B"), ItemResponse(3, "other", 0),
        ItemResponse(4, "mc", 0, choice=None), ItemResponse(4, "other", 0),
        ItemResponse(5, "mc", 0.5, choice="A,C"), ItemResponse(5, "other", 0),
    ]
    items = by_id(analyse(rows))
    assert items["mc"].distractors == (
        stats.DistractorRow("A", 1, 1 / 5, 100.0),
        stats.DistractorRow("A,C", 1, 1 / 5, 100 * 0.5 / 2),
        stats.DistractorRow("B", 2, 2 / 5, (50 + 0) / 2),
        stats.DistractorRow("—", 1, 1 / 5, 0.0),
    )
    assert items["other"].distractors == ()


def test_an_all_answered_choice_item_has_no_unanswered_row():
    rows = [ItemResponse(1, "mc", 1, choice="A"), ItemResponse(2, "mc", 0, choice="B")]
    assert [r.choice for r in analyse(rows).items[0].distractors] == ["A", "B"]


def test_partial_credit_totals_are_weighted_by_max_mark():
    marks = {"essay": 4, "mc": 1, "short": 2}                         # maximum 7
    rows = {
        1: {"essay": 0.5, "mc": 1, "short": 1},      # 2 + 1 + 2 = 5
        2: {"essay": 0.25, "mc": 0, "short": 0.5},   # 1 + 0 + 1 = 2
        3: {"essay": 1, "mc": 1, "short": 0},        # 4 + 1 + 0 = 5
    }
    result = analyse(matrix(rows, marks))
    assert result.mean == pytest.approx(4)
    assert result.median == pytest.approx(5)
    assert result.sd == pytest.approx(sqrt((1 + 4 + 1) / 2))          # sqrt 3
    assert result.mean_pct == pytest.approx(100 * 4 / 7)
    assert result.sd_pct == pytest.approx(100 * sqrt(3) / 7)
    # Item-score population variances: essay [2,1,4] → 14/9, mc [1,0,1] → 2/9, short [2,1,0] → 6/9;
    # totals [5,2,5] → 2. α = 3/2 × (1 − (22/9) / 2) = −1/3; SEM = sqrt 3 × sqrt(4/3) = 2.
    assert result.reliability == pytest.approx(3 / 2 * (1 - (22 / 9) / 2))
    assert result.sem == pytest.approx(2)
    items = by_id(result)
    assert items["essay"].facility == pytest.approx((0.5 + 0.25 + 1) / 3)
    # Ranked by percent, ties by attempt id: 2 (2/7), 1 (5/7), 3 (5/7); top 3, bottom 2.
    assert items["essay"].discrimination_index == pytest.approx(1 - 0.25)
    assert items["short"].discrimination_index == pytest.approx(0 - 0.5)


def test_reliability_is_none_with_one_item_no_spread_or_one_attempt():
    one_item = analyse(matrix({1: {"q": 1}, 2: {"q": 0}, 3: {"q": 1}}))
    assert one_item.reliability is None and one_item.sem is None
    flat = analyse(matrix({1: {"a": 1, "b": 0}, 2: {"a": 0, "b": 1}, 3: {"a": 1, "b": 0}}))
    assert flat.sd == 0 and flat.reliability is None and flat.sem is None
    single = analyse(matrix({1: {"a": 1, "b": 0}}))
    assert single.attempts == 1 and single.sd is None and single.reliability is None
    assert single.items[0].sd is None and single.items[0].discrimination_index is None


def test_no_responses():
    result = analyse([])
    assert result.attempts == 0 and result.items == []
    assert result.mean is None and result.sd is None and result.reliability is None


def test_items_missing_from_some_attempts():
    rows = {
        1: {"c1": 1, "c2": 1, "p": 1},   # 3 of 3, 100 %
        2: {"c1": 1, "c2": 0, "p": 0},   # 1 of 3
        3: {"c1": 0, "c2": 0, "p": 1},   # 1 of 3
        4: {"c1": 1, "c2": 1, "q": 0},   # 2 of 3
    }
    result = analyse(matrix(rows))
    assert result.mean == pytest.approx((3 + 1 + 1 + 2) / 4)
    assert result.mean_pct == pytest.approx(100 * (3 + 1 + 1 + 2) / 12)
    items = by_id(result)
    assert (items["p"].count, items["q"].count, items["c1"].count) == (3, 1, 4)
    assert items["p"].facility == pytest.approx(2 / 3)
    # Over attempts 1–3 ranked 2, 3, 1: g = round(3 × 0.27) = 1, top attempt 1 (p = 1), bottom attempt 2 (p = 0).
    assert items["p"].discrimination_index == pytest.approx(1 - 0)
    assert items["q"].sd is None and items["q"].discrimination_index is None
    assert items["q"].item_total_correlation is None
    # α over the items in every attempt, c1 and c2: population variances c1 [1,1,0,1] → 0.1875,
    # c2 [1,0,0,1] → 0.25; their totals [2,1,0,2] (mean 1.25) → (.5625 + .0625 + 1.5625 + .5625) / 4 = 0.6875.
    assert result.reliability == pytest.approx(2 * (1 - (0.1875 + 0.25) / 0.6875))   # 8/11
    only_one_common = analyse(matrix({1: {"c": 1, "x": 1}, 2: {"c": 0, "y": 1}, 3: {"c": 1, "x": 0}}))
    assert only_one_common.reliability is None


@pytest.mark.parametrize("bad", [
    [ItemResponse(1, "q", 1.5)],
    [ItemResponse(1, "q", 1, max_mark=0)],
    [ItemResponse(1, "q", 1), ItemResponse(1, "q", 0)],
])
def test_invalid_input_is_refused(bad):
    with pytest.raises(ValueError):
        analyse(bad)


def test_group_fraction_must_leave_two_groups():
    with pytest.raises(ValueError):
        analyse(matrix(DICHOTOMOUS), group_fraction=0.6)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6).flatmap(
    lambda k: st.lists(st.lists(st.integers(0, 1), min_size=k, max_size=k), min_size=1, max_size=15)))
def test_bounds_hold_for_any_dichotomous_matrix(scores):
    rows = {attempt: {f"q{i}": s for i, s in enumerate(row)} for attempt, row in enumerate(scores)}
    result = analyse(matrix(rows))
    assert result.attempts == len(scores)
    for item in result.items:
        assert 0 <= item.facility <= 1
        assert item.discrimination_index is None or -1 <= item.discrimination_index <= 1
        assert item.item_total_correlation is None or -1 - 1e-9 <= item.item_total_correlation <= 1 + 1e-9
    assert result.reliability is None or result.reliability <= 1 + 1e-9
