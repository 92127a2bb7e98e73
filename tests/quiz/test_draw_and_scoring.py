"""Draw rules and quiz arithmetic, without an app."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quiz.draw import Candidate, DrawError, DrawRule, Section, draw_attempt
from app.quiz.scoring import (
    SlotResult,
    accepts_answers,
    attempt_deadline,
    attempt_total,
    attempts_left,
    has_passed,
    quiz_grade,
)


def bank(n=12):
    out = []
    for i in range(n):
        out.append(Candidate(uid=f"q{i}", version_id=100 + i, area="售后政策" if i < 8 else "隐私安全",
                             category="售后政策/退款" if i < 4 else ("售后政策/物流" if i < 8 else "隐私安全/核验"),
                             tags=("退款",) if i % 2 == 0 else ("物流",), type_key="single_choice" if i % 3 else "true_false",
                             competency="knowledge" if i < 8 else "compliance", difficulty=1 + i % 5))
    return out


def test_fixed_then_drawn_without_repeats():
    sections = [Section(fixed=("q0", "q1")), Section(mark=2, rule=DrawRule(count=6, category="售后政策"))]
    slots = draw_attempt(sections, bank(), set(), seed=1)
    uids = [s.uid for s in slots]
    assert uids[:2] == ["q0", "q1"] and len(uids) == 8 == len(set(uids))
    assert all(u in {f"q{i}" for i in range(8)} for u in uids)
    assert [s.mark for s in slots[2:]] == [2] * 6


def test_rule_constraints_are_honoured():
    rule = DrawRule(count=2, category="隐私安全", competencies=("compliance",), difficulty_min=4, difficulty_max=5)
    slots = draw_attempt([Section(rule=rule)], bank(), set(), seed=3)
    assert {s.uid for s in slots} == {"q8", "q9"}  # difficulties 4 and 5 in that area
    tagged = draw_attempt([Section(rule=DrawRule(count=4, tags=("物流",), types=("single_choice",)))], bank(), set(), 1)
    assert all(int(s.uid[1:]) % 2 == 1 and int(s.uid[1:]) % 3 for s in tagged)


def test_unseen_questions_come_first():
    rule = DrawRule(count=4, category="售后政策/退款")
    slots = draw_attempt([Section(rule=rule)], bank(), seen={"q0", "q1"}, seed=5)
    assert {s.uid for s in slots} == {"q0", "q1", "q2", "q3"}  # only 4 exist: seen ones fill in
    slots = draw_attempt([Section(rule=DrawRule(count=2, category="售后政策/退款"))], bank(), {"q0", "q1"}, 5)
    assert {s.uid for s in slots} == {"q2", "q3"}


def test_too_few_questions_and_unknown_fixed():
    with pytest.raises(DrawError, match="needs 5 questions, only 4 match"):
        draw_attempt([Section(rule=DrawRule(count=5, category="售后政策/退款"))], bank(), set(), 1)
    with pytest.raises(DrawError, match="q99"):
        draw_attempt([Section(fixed=("q99",))], bank(), set(), 1)


def test_a_fixed_question_is_not_drawn_again():
    slots = draw_attempt([Section(rule=DrawRule(count=3, category="售后政策/退款")), Section(fixed=("q0",))],
                         bank(), set(), seed=9)
    assert [s.uid for s in slots].count("q0") == 1


def test_same_seed_same_draw_and_shuffle():
    sections = [Section(rule=DrawRule(count=6))]
    assert draw_attempt(sections, bank(), set(), 7) == draw_attempt(sections, bank(), set(), 7)
    shuffled = draw_attempt([Section(fixed=tuple(f"q{i}" for i in range(10)))], bank(), set(), 7, shuffle=True)
    assert sorted(s.uid for s in shuffled) == sorted(f"q{i}" for i in range(10))


@settings(max_examples=60, deadline=None)
@given(count=st.integers(1, 12), seen=st.sets(st.sampled_from([f"q{i}" for i in range(12)])), seed=st.integers())
def test_draw_property(count, seen, seed):
    slots = draw_attempt([Section(rule=DrawRule(count=count))], bank(), seen, seed)
    uids = [s.uid for s in slots]
    assert len(uids) == count == len(set(uids))
    unseen_available = 12 - len(seen)
    assert sum(1 for u in uids if u not in seen) == min(count, unseen_available)


def test_attempt_total_and_pending():
    total = attempt_total([SlotResult(1, 1), SlotResult(2, 0.5), SlotResult(1, 0)])
    assert (total.score, total.max_score, total.percent, total.final) == (2, 4, 50.0, True)
    pending = attempt_total([SlotResult(1, 1), SlotResult(10, None)])
    assert pending.pending == 1 and not pending.final


@pytest.mark.parametrize("method,expected", [("highest", 90), ("last", 70), ("first", 60), ("average", 73.33)])
def test_grading_methods(method, expected):
    assert quiz_grade(method, [60, 90, 70]) == expected
    assert quiz_grade(method, []) is None


def test_pass_marks_deadlines_and_attempts():
    assert has_passed(80, 80) and not has_passed(79.99, 80) and has_passed(50, None) is None
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    closes = start + timedelta(minutes=20)
    assert attempt_deadline(start, 30, None) == start + timedelta(minutes=30)
    assert attempt_deadline(start, 30, closes) == closes
    assert attempt_deadline(start, None, None) is None
    deadline = start + timedelta(minutes=30)
    assert accepts_answers(deadline + timedelta(seconds=10), deadline, 15)
    assert not accepts_answers(deadline + timedelta(seconds=16), deadline, 15)
    assert accepts_answers(start, None, 0)
    assert attempts_left(None, 5) is None and attempts_left(3, 1) == 2 and attempts_left(2, 5) == 0
