"""Quiz files: every number is a finite number inside its documented range,
and a refusal names the file and the line of the field at fault."""

import pytest

from app.quiz.content import load_quiz_files

QUIZ = """\
id: numbers
title: 数字检查
kind: knowledge
questions_per_page: 2
time_limit_minutes: 30
attempts_allowed: 2
pass_mark: 60
sections:
  - mark: 1
    fixed: [q-1]
  - mark: 2
    draw:
      count: 1
      difficulty_min: 1
      difficulty_max: 5
"""
LINES = {"questions_per_page": 4, "time_limit_minutes": 5, "attempts_allowed": 6, "pass_mark": 7,
         "mark": 9, "count": 13, "difficulty_min": 14, "difficulty_max": 15}


def load(tmp_path, text):
    root = tmp_path / "question_bank"
    (root / "quizzes").mkdir(parents=True)
    (root / "quizzes" / "numbers.yaml").write_text(text, encoding="utf-8")
    return load_quiz_files(root, {"q-1"})


def with_value(key: str, value: str) -> str:
    lines = QUIZ.splitlines()
    number = LINES[key]
    indent, _ = lines[number - 1].split(f"{key}:")
    lines[number - 1] = f"{indent}{key}: {value}"
    return "\n".join(lines) + "\n"


def test_the_sample_file_loads(tmp_path):
    quizzes, errors = load(tmp_path, QUIZ)
    assert errors == [] and quizzes[0][0].pass_mark == 60


@pytest.mark.parametrize("value", ["1e999", ".nan", ".inf", "-.inf", "-1", "99999999999999999999", "true", "'5'"])
@pytest.mark.parametrize("key", list(LINES))
def test_numbers_must_be_finite_and_in_range(tmp_path, key, value):
    quizzes, errors = load(tmp_path, with_value(key, value))
    assert quizzes == []
    assert errors, f"{key}: {value} was accepted"
    assert str(errors[0]).startswith(f"question_bank/quizzes/numbers.yaml:{LINES[key]}: numbers: ")
    assert key in errors[0].field


def test_an_upside_down_difficulty_range_is_refused_at_its_line(tmp_path):
    text = with_value("difficulty_min", "4").replace("difficulty_max: 5", "difficulty_max: 2")
    quizzes, errors = load(tmp_path, text)
    assert quizzes == [] and [e.line for e in errors] == [15]
    assert errors[0].field == "sections.1.draw.difficulty_max"
