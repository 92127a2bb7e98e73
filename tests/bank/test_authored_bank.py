"""The questions shipped in question_bank/ are valid and cover what they must."""

from collections import Counter
from pathlib import Path

from app.bank.schema import load_question_bank
from app.bank.types import QUESTION_TYPES

ROOT = Path(__file__).resolve().parents[2] / "question_bank"


def test_the_shipped_bank_is_valid_and_complete():
    questions, errors = load_question_bank(ROOT)
    assert [str(e) for e in errors] == []
    assert len(questions) >= 150
    assert set(Counter(q.type_key for q in questions)) == set(QUESTION_TYPES)
    areas = {Path(q.path).parts[1] for q in questions}
    assert len(areas) >= 8
    assert all(q.explanation and q.competency and 1 <= q.difficulty <= 5 for q in questions)
    assert len({q.competency for q in questions}) == 5
    assert len({q.difficulty for q in questions}) >= 4


def test_the_shipped_bank_loads(runner):
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["content", "sync"])
    assert "added 0" in again.output and "new version 0" in again.output
