"""Grading of every question type, without an app."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.bank.types import QUESTION_TYPES, PayloadError, UnknownQuestionType, get_type

SAMPLES = {
    "single_choice": {"options": [
        {"text": "您好，很高兴为您服务", "fraction": 1, "feedback": "规范"},
        {"text": "喂？", "fraction": 0},
        {"text": "有事吗", "fraction": -0.5},
    ]},
    "multiple_choice": {"options": [
        {"text": "核实身份", "fraction": 0.5},
        {"text": "记录诉求", "fraction": 0.5},
        {"text": "报出完整手机号", "fraction": -1},
        {"text": "挂断", "fraction": 0},
    ]},
    "true_false": {"correct": False, "feedback_true": "不对", "feedback_false": "正确"},
    "fill_blank": {"answers": [{"text": "7天", "fraction": 1}, {"text": "七天", "fraction": 1},
                               {"text": "一周", "fraction": 0.5}]},
    "numeric": {"answers": [{"value": 85, "tolerance": 0.5, "fraction": 1},
                            {"value": 0.85, "tolerance": 0.005, "fraction": 0.5}], "unit": "%"},
    "ordering": {"items": ["问候", "确认需求", "解决", "致谢结束"]},
    "matching": {"pairs": [{"left": "CSAT", "right": "满意度"}, {"left": "FCR", "right": "首次解决率"},
                           {"left": "AHT", "right": "平均处理时长"}]},
    "case_analysis": {"reference_answer": "先共情再给方案", "key_points": ["共情", "方案"],
                      "rubric": [{"criterion": "共情", "points": 4}, {"criterion": "方案", "points": 6}]},
}


def validated(key):
    return get_type(key).validate(SAMPLES[key])


def test_registry_holds_the_eight_types():
    assert set(QUESTION_TYPES) == set(SAMPLES)
    with pytest.raises(UnknownQuestionType):
        get_type("essay")


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_the_key_earns_full_marks_and_empty_earns_zero(key):
    qtype, payload = get_type(key), validated(key)
    empty = qtype.grade(payload, None)
    assert empty.score == 0
    if qtype.auto_graded:
        key_grade = qtype.grade(payload, qtype.correct_response(payload))
        assert key_grade.score == key_grade.max_score == 1.0


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_render_context_never_contains_the_key(key):
    context = repr(get_type(key).render_context(validated(key)))
    for secret in ("fraction", "correct", "reference_answer", "key_points", "feedback", "answers"):
        assert secret not in context


def test_single_choice_floors_negative_fractions():
    qtype, payload = get_type("single_choice"), validated("single_choice")
    assert qtype.grade(payload, 0).feedback == ["规范"]
    assert qtype.grade(payload, 2).score == 0
    assert qtype.grade(payload, "9").score == 0
    assert qtype.grade(payload, True).score == 0
    assert qtype.grade(payload, float("inf")).score == 0
    assert qtype.grade(payload, 0.5).score == 0


def test_multiple_choice_partial_and_all_or_nothing():
    qtype, payload = get_type("multiple_choice"), validated("multiple_choice")
    assert qtype.grade(payload, [0]).score == 0.5
    assert qtype.grade(payload, [0, 1]).score == 1
    assert qtype.grade(payload, [0, 2]).score == 0  # -1 floors at 0
    assert qtype.grade(payload, [0, 1, 3]).score == 1
    strict = qtype.validate({**SAMPLES["multiple_choice"], "grading": "all_or_nothing"})
    assert qtype.grade(strict, [0]).score == 0
    assert qtype.grade(strict, [1, 0]).score == 1
    assert qtype.grade(strict, [0, 1, 3]).score == 0


def test_true_false_feedback_and_words():
    qtype, payload = get_type("true_false"), validated("true_false")
    assert qtype.grade(payload, "错").score == 1
    assert qtype.grade(payload, True).feedback == ["不对"]
    assert qtype.grade(payload, "maybe").score == 0


@pytest.mark.parametrize("answer,score", [
    ("7天", 1), (" ７天 ", 1), ("七天", 1), ("一周", 0.5), ("7 天", 0), ("", 0), ("八天", 0),
])
def test_fill_blank_normalises(answer, score):
    qtype, payload = get_type("fill_blank"), validated("fill_blank")
    assert qtype.grade(payload, answer).score == score


def test_fill_blank_case_and_wildcard():
    qtype = get_type("fill_blank")
    payload = qtype.validate({"answers": [{"text": "CRM*系统", "fraction": 1}]})
    assert qtype.grade(payload, "crm 工单系统").score == 1
    sensitive = qtype.validate({"answers": [{"text": "CRM", "fraction": 1}], "case_sensitive": True})
    assert qtype.grade(sensitive, "crm").score == 0
    assert qtype.grade(sensitive, "ＣＲＭ").score == 1


@pytest.mark.parametrize("answer,score", [
    ("85", 1), ("85.4", 1), ("８５%", 1), ("84", 0), ("0.85", 0.5), ("1,000", 0), ("abc", 0), (85, 1),
])
def test_numeric_tolerance_and_parsing(answer, score):
    qtype, payload = get_type("numeric"), validated("numeric")
    assert qtype.grade(payload, answer).score == score


@pytest.mark.parametrize("order,score", [
    ([0, 1, 2, 3], 1), ([3, 2, 1, 0], 0), ([1, 0, 2, 3], 2 / 3), ([0, 2, 1, 3], 2 / 3), ([0, 0, 0], 0), ([], 0),
])
def test_ordering_longest_ordered_subsequence(order, score):
    qtype, payload = get_type("ordering"), validated("ordering")
    assert qtype.grade(payload, order).score == pytest.approx(score)


def test_matching_credit_per_pair():
    qtype, payload = get_type("matching"), validated("matching")
    assert qtype.grade(payload, [0, 2, 1]).score == pytest.approx(1 / 3)
    assert qtype.grade(payload, {"0": 0, "1": 1}).score == pytest.approx(2 / 3)
    assert qtype.grade(payload, "nonsense").score == 0


def test_case_analysis_without_rubric_gets_one_overall_criterion():
    qtype = get_type("case_analysis")
    payload = qtype.validate({})
    assert payload["reference_answer"] == "" and qtype.max_score(payload) == 10
    assert qtype.grade_by_rubric(payload, [7]).score == 7


def test_case_analysis_is_pending_and_graded_by_rubric():
    qtype, payload = get_type("case_analysis"), validated("case_analysis")
    pending = qtype.grade(payload, "我会先安抚客户……")
    assert pending.state == "pending" and pending.max_score == 10
    assert qtype.grade_by_rubric(payload, [3, 6]).score == 9
    with pytest.raises(PayloadError):
        qtype.grade_by_rubric(payload, [5, 6])
    with pytest.raises(PayloadError):
        qtype.grade_by_rubric(payload, [1])


@pytest.mark.parametrize("key,payload,field", [
    ("single_choice", {"options": [{"text": "a", "fraction": 1}, {"text": "b", "fraction": 1}]}, "options"),
    ("single_choice", {"options": [{"text": "a", "fraction": 1}]}, "options"),
    ("single_choice", {"options": [{"text": "a", "fraction": 1}, {"text": "", "fraction": 0}]}, "options[1].text"),
    ("single_choice", {"options": [{"text": "a", "fraction": 2}, {"text": "b", "fraction": 0}]}, "options[0].fraction"),
    ("multiple_choice", {"options": [{"text": "a", "fraction": 0.5}, {"text": "b", "fraction": 0.2}]}, "options"),
    ("multiple_choice", {"options": [{"text": "a", "fraction": 1}, {"text": "b"}], "grading": "x"}, "grading"),
    ("true_false", {"correct": "yes"}, "correct"),
    ("fill_blank", {"answers": [{"text": "a", "fraction": 0.5}]}, "answers"),
    ("numeric", {"answers": [{"value": "x"}]}, "answers[0].value"),
    ("numeric", {"answers": [{"value": 1, "tolerance": -1}]}, "answers[0].tolerance"),
    ("ordering", {"items": ["a", "a"]}, "items"),
    ("matching", {"pairs": [{"left": "a", "right": "x"}, {"left": "a", "right": "y"}]}, "pairs"),
    ("case_analysis", {"reference_answer": "r", "rubric": [{"criterion": "c", "points": 0}]}, "rubric[0].points"),
    ("case_analysis", {"rubric": "lots"}, "rubric"),
    ("ordering", "not a mapping", "payload"),
])
def test_validation_names_the_field(key, payload, field):
    with pytest.raises(PayloadError) as caught:
        get_type(key).validate(payload)
    assert caught.value.field == field


responses = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10), st.floats(allow_nan=True), st.text(max_size=12),
    st.lists(st.integers(-2, 8), max_size=8), st.dictionaries(st.text(max_size=2), st.integers(-2, 8), max_size=4),
)


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(sorted(SAMPLES)), response=responses)
def test_any_response_scores_within_bounds(key, response):
    qtype, payload = get_type(key), validated(key)
    grade = qtype.grade(payload, response)
    assert 0 <= grade.score <= grade.max_score


@settings(max_examples=100, deadline=None)
@given(fractions=st.lists(st.sampled_from([0, -0.5, -1, 0.25, 0.5]), min_size=1, max_size=6),
       chosen=st.lists(st.integers(0, 7), max_size=8))
def test_multiple_choice_property(fractions, chosen):
    options = [{"text": f"o{i}", "fraction": f} for i, f in enumerate(fractions)]
    options.append({"text": "rest", "fraction": 1 - sum(f for f in fractions if f > 0)})
    qtype = get_type("multiple_choice")
    try:
        payload = qtype.validate({"options": options})
    except PayloadError:
        return
    assert 0 <= qtype.grade(payload, chosen).score <= 1
    assert qtype.grade(payload, qtype.correct_response(payload)).score == pytest.approx(1)


@settings(max_examples=100, deadline=None)
@given(st.permutations(list(range(6))))
def test_ordering_property(order):
    qtype = get_type("ordering")
    payload = qtype.validate({"items": list("abcdef")})
    score = qtype.grade(payload, order).score
    assert 0 <= score <= 1
    assert (score == 1) == (order == list(range(6)))
