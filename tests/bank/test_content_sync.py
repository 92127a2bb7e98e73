"""question_bank/ files: validation with file:line errors, idempotent sync, versions, retiring."""

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from app.bank.models import Question, QuestionVersion
from app.bank.schema import load_question_bank, parse_question_file
from app.extensions import db

ONE = """\
- id: etq-001
  type: single_choice
  category: 服务礼仪/标准用语
  competency: communication
  difficulty: 2
  tags: [开场白]
  stem: 以下哪句开场白最规范？
  explanation: 规范开场白包含问候与工号。
  options:
    - {text: 您好，工号1024为您服务, fraction: 1}
    - {text: 喂？, fraction: 0}
- id: kpi-001
  type: numeric
  category: 服务指标/满意度
  competency: knowledge
  difficulty: 3
  stem: 40 条评价中 34 条为满意或非常满意，CSAT 是多少（%）？
  explanation: 34 ÷ 40 = 85%。
  answers: [{value: 85, tolerance: 0.1, fraction: 1}]
  unit: "%"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def bank(tmp_path, app):
    root = tmp_path / "question_bank"
    app.config["QUESTION_BANK_DIR"] = str(root)
    write(root, "etiquette/greetings.yaml", ONE)
    return root


def test_parse_errors_name_file_line_question_and_field():
    text = ONE + """\
- id: bad-1
  type: single_choice
  category: x
  competency: charm
  difficulty: 9
  stem: s
  explanation: e
  options: [{text: a, fraction: 1}, {text: b, fraction: 1}]
- id: bad-2
  type: essay
  category: x
  competency: knowledge
  difficulty: 1
  stem: s
  explanation: e
- id: bad-3
  type: numeric
  category: x
  competency: knowledge
  difficulty: 1
  stem: s
  explanation: e
  answers: [{value: abc}]
"""
    questions, errors = parse_question_file("qb/x.yaml", text)
    assert [q.uid for q in questions] == ["etq-001", "kpi-001"]
    lines = {str(e) for e in errors}
    assert any(line.startswith("qb/x.yaml:21: bad-1: competency:") for line in lines)
    assert any(line.startswith("qb/x.yaml:21: bad-1: difficulty:") for line in lines)
    assert any(line.startswith("qb/x.yaml:29: bad-2: type: unknown question type") for line in lines)
    assert "qb/x.yaml:36: bad-3: answers[0].value: “abc” is not a number" in lines


def test_yaml_syntax_error_has_a_line():
    _, errors = parse_question_file("qb/y.yaml", "- id: a\n  stem: [unclosed\n")
    assert len(errors) == 1 and errors[0].line >= 2 and "YAML" in errors[0].message


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, "a/one.yaml", ONE)
    write(tmp_path, "b/two.yaml", ONE)
    questions, errors = load_question_bank(tmp_path)
    assert len(questions) == 2
    assert {e.item for e in errors} == {"etq-001", "kpi-001"}
    assert all("also used at" in e.message for e in errors)


def test_sync_is_idempotent_and_versions_changes(runner, bank):
    first = runner.invoke(args=["content", "sync"])
    assert first.exit_code == 0, first.output
    assert "added 2" in first.output
    question = db.session.scalar(select(Question).where(Question.uid == "etq-001"))
    assert question.current_version.version == 1 and question.source == "file"
    assert "开场白" in question.search_text and "工号1024" in question.search_text

    again = runner.invoke(args=["content", "sync"])
    assert "added 0" in again.output and "unchanged 2" in again.output
    assert db.session.scalar(select(db.func.count(QuestionVersion.id))) == 2

    write(bank, "etiquette/greetings.yaml", ONE.replace("以下哪句开场白最规范？", "下列哪句开场白最规范？")
          .replace("difficulty: 3", "difficulty: 4"))
    changed = runner.invoke(args=["content", "sync"])
    assert "new version 1" in changed.output
    question = db.session.scalar(select(Question).where(Question.uid == "etq-001"))
    assert [v.version for v in question.versions] == [1, 2]
    assert question.versions[0].stem == "以下哪句开场白最规范？"  # the old version is untouched
    assert question.current_version.stem == "下列哪句开场白最规范？"
    kpi = db.session.scalar(select(Question).where(Question.uid == "kpi-001"))
    assert kpi.difficulty == 4 and len(kpi.versions) == 1  # metadata changes make no version


def test_removed_questions_are_retired_then_come_back(runner, bank):
    runner.invoke(args=["content", "sync"])
    write(bank, "etiquette/greetings.yaml", ONE.split("- id: kpi-001")[0])
    result = runner.invoke(args=["content", "sync"])
    assert "retired 1" in result.output
    kpi = db.session.scalar(select(Question).where(Question.uid == "kpi-001"))
    assert kpi.status == "retired" and kpi.versions  # retired, never deleted
    write(bank, "etiquette/greetings.yaml", ONE)
    assert "reactivated 1" in runner.invoke(args=["content", "sync"]).output
    assert db.session.get(Question, kpi.id).status == "active"


def test_check_only_validates(runner, bank):
    result = runner.invoke(args=["content", "sync", "--check"])
    assert result.exit_code == 0 and "2 questions, 0 quizzes," in result.output
    assert db.session.scalar(select(db.func.count(Question.id))) == 0

    write(bank, "broken/bad.yaml", "- id: x\n  type: true_false\n")
    failed = runner.invoke(args=["content", "sync", "--check"])
    assert failed.exit_code == 1
    assert "question_bank/broken/bad.yaml:1: x:" in failed.output
    assert runner.invoke(args=["content", "sync"]).exit_code == 1
    assert db.session.scalar(select(db.func.count(Question.id))) == 0  # all or nothing


def test_search_finds_chinese_phrases(runner, bank):
    from app.bank.search import apply_search

    runner.invoke(args=["content", "sync"])

    def found(term):
        return {q.uid for q in db.session.scalars(apply_search(select(Question), term))}

    assert found("开场白最规范") == {"etq-001"}
    assert found("工号1024") == {"etq-001"}
    assert found("满意") == {"kpi-001"}            # two characters: substring fallback
    assert found("评") == {"kpi-001"}
    assert found("开场白 满意") == set()           # every word must match
    assert found("100%_") == set()                 # LIKE wildcards are literal
