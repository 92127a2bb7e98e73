"""Importers and exporters on fixtures written for these tests."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.bank.interchange import parse
from app.bank.interchange.writers import write
from app.bank.models import Question
from app.bank.services import check_parsed
from app.extensions import db

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str, encoding: str | None = None) -> bytes:
    data = (FIXTURES / name).read_bytes()
    return data.decode("utf-8").encode(encoding) if encoding else data


def by_title(result):
    return {q.title: q for q in result.questions}


def test_gift_every_feature():
    result = parse("gift", load("features.gift"))
    assert result.errors == []
    q = by_title(result)

    refund = q["退款时效"]
    assert refund.type == "single_choice" and refund.category == "售后政策/退款"
    assert [o["fraction"] for o in refund.payload["options"]] == [1.0, 0.0, -0.5]
    assert refund.payload["options"][0]["feedback"] == "正确，原路退回3个工作日内到账。"
    assert refund.general_feedback == "退款时效需如实告知，不可夸大。"

    multi = q["多选带权重"]
    assert multi.type == "multiple_choice"
    assert [o["fraction"] for o in multi.payload["options"]] == [0.5, 0.5, -1.0, 0.0]

    tf = q["判断"]
    assert tf.type == "true_false" and tf.payload["correct"] is False
    # GIFT: first feedback for a wrong answer (true), second for a right one (false)
    assert tf.payload["feedback_true"] == "读出完整号码会泄露隐私。"
    assert tf.payload["feedback_false"] == "正确：应只核对后四位。"
    untitled = next(x for x in result.questions if x.stem == "简单判断题")
    assert untitled.payload["correct"] is True and untitled.title == ""

    short = q["简答"]
    assert short.type == "fill_blank" and short.stem == "本店无理由退货期限是 _____ 。"
    assert [(a["text"], a["fraction"]) for a in short.payload["answers"]] == [("7天", 1.0), ("七天", 1.0), ("一周", 0.5)]
    assert short.payload["answers"][2]["feedback"] == "一周也算对一半"

    assert q["数值"].payload["answers"] == [{"value": 85.0, "tolerance": 0.5, "fraction": 1.0, "feedback": ""}]
    assert q["区间"].payload["answers"][0]["value"] == 30 and q["区间"].payload["answers"][0]["tolerance"] == 15
    several = q["多个数值"].payload["answers"]
    assert [(a["value"], a["fraction"]) for a in several] == [(3.14159, 1.0), (3.1, 0.5)]

    assert q["匹配"].type == "matching"
    assert q["匹配"].payload["pairs"][1] == {"left": "FCR", "right": "首次解决率"}
    assert q["案例"].type == "case_analysis"

    escaped = q["转义"]
    assert escaped.stem == "符号 { } = ~ # : 都要能写进题干，正确答案是哪个？"
    assert [o["text"] for o in escaped.payload["options"]] == ["a=b", "a~b"]

    formats = {x.stem_format for x in result.questions}
    assert {"markdown", "html", "plain"} <= formats
    assert len(result.skipped) == 1 and "description" in result.skipped[0]["reason"]
    assert check_parsed(result.questions) == []
    assert {x.type for x in result.questions} == {
        "single_choice", "multiple_choice", "true_false", "fill_blank", "numeric", "matching", "case_analysis"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_gift_encodings(encoding):
    result = parse("gift", load("features.gift", encoding))
    assert result.errors == [] and len(result.questions) == 13


def test_gift_broken_files_give_line_numbers():
    result = parse("gift", load("broken.gift"))
    errors = {e["line"]: e["message"] for e in result.errors}
    assert "not closed" in errors[1]
    assert "bad weight" in errors[3] and "abc" in errors[3]
    assert "between -100 and 100" in errors[5]
    assert "some answers are matching pairs" in errors[9]
    assert [q.title for q in result.questions] == ["好题"]


def test_wrong_encoding_is_an_error():
    result = parse("gift", b"\xff\xfe\xfa\x80\x81")
    assert len(result.errors) == 1 and result.errors[0]["line"] == 1
    assert "UTF-8" in result.errors[0]["message"] and "GBK" in result.errors[0]["message"]
    assert result.questions == []


def test_aiken():
    result = parse("aiken", load("sample.aiken"))
    assert result.errors == []
    first = result.questions[0]
    assert first.type == "single_choice" and [o["fraction"] for o in first.payload["options"]] == [0, 1, 0]
    broken = parse("aiken", load("broken.aiken"))
    assert {e["line"] for e in broken.errors} == {1, 8}


def test_moodle_xml():
    result = parse("moodlexml", load("sample.xml"))
    assert result.errors == []
    types = [q.type for q in result.questions]
    assert types == ["single_choice", "true_false", "fill_blank", "numeric", "matching", "case_analysis"]
    first = result.questions[0]
    assert first.category == "服务系统/工单" and first.stem_format == "html" and first.tags == ["工单"]
    assert result.questions[1].payload["feedback_false"] == "不对"
    assert len(result.questions[4].payload["pairs"]) == 2
    assert [s["reason"] for s in result.skipped][0].startswith("description")
    assert "calculated" in result.skipped[1]["reason"]


def test_moodle_xml_refuses_entities_and_bad_xml():
    assert parse("moodlexml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><quiz/>').errors
    assert parse("moodlexml", b"<quiz><question>").errors


def test_csv_all_types_and_errors():
    result = parse("csv", load("sample.csv", "gbk"))
    assert [q.type for q in result.questions] == [
        "single_choice", "multiple_choice", "true_false", "fill_blank", "numeric", "ordering", "matching",
        "case_analysis"]
    assert [e["line"] for e in result.errors] == [10]
    assert result.questions[1].payload["options"][3]["fraction"] == pytest.approx(1 / 3)
    assert result.questions[0].tags == ["退货", "时效"]
    assert check_parsed(result.questions) == []


def test_unknown_format():
    from app.bank.interchange import UnreadableFile

    with pytest.raises(UnreadableFile):
        parse("docx", b"")


@pytest.mark.parametrize("format_name", ["gift", "moodlexml", "yaml"])
def test_round_trip(format_name):
    original = parse("gift", load("features.gift")).questions + parse("csv", load("sample.csv")).questions
    dicts = [q.as_json() for q in original]
    text, skipped = write(format_name, dicts)
    back = parse(format_name, text.encode())
    assert back.errors == []
    kept = [d for d in dicts if d not in skipped]
    if format_name == "yaml":
        assert [q.as_json() for q in back.questions] == kept
        return
    assert [s["type"] for s in skipped] == ["ordering"]
    assert len(back.questions) == len(kept)
    for before, after in zip(kept, back.questions, strict=True):
        assert (after.type, after.stem, after.category, after.general_feedback) == \
            (before["type"], before["stem"], before["category"], before["general_feedback"])
        if format_name == "gift" and before["type"] == "case_analysis":
            continue  # GIFT essays carry no reference answer or rubric
        assert after.payload == _comparable(before["payload"], after.payload)


def _comparable(before: dict, after: dict) -> dict:
    """Formats may add defaults (case_sensitive, empty feedback); compare what both hold."""
    return {key: before.get(key, after[key]) for key in after}


def test_cli_dry_run_json_writes_nothing(runner, tmp_path):
    path = tmp_path / "q.gift"
    path.write_bytes(load("features.gift"))
    result = runner.invoke(args=["questions", "import", str(path), "--format", "gift", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"questions", "errors", "skipped", "warnings"}
    assert set(data["questions"][0]) == {"type", "category", "title", "stem", "stem_format", "general_feedback",
                                         "tags", "payload"}
    assert data["skipped"][0]["line"] > 1
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_cli_import_is_all_or_nothing(runner, tmp_path):
    path = tmp_path / "b.gift"
    path.write_bytes(load("broken.gift"))
    refused = runner.invoke(args=["questions", "import", str(path), "--format", "gift"])
    assert refused.exit_code == 1 and f"{path}:1:" in refused.output
    assert db.session.scalar(select(func.count(Question.id))) == 0
    partial = runner.invoke(args=["questions", "import", str(path), "--format", "gift", "--only-valid"])
    assert partial.exit_code == 0 and "1 questions imported" in partial.output
    assert db.session.scalar(select(func.count(Question.id))) == 1


def test_cli_unknown_format_is_refused(runner, tmp_path):
    path = tmp_path / "q.docx"
    path.write_bytes(b"PK")
    result = runner.invoke(args=["questions", "import", str(path), "--format", "docx"])
    assert result.exit_code == 2 and "docx" in result.output
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_cli_export_then_import(runner, tmp_path):
    source = tmp_path / "f.gift"
    source.write_bytes(load("features.gift"))
    assert runner.invoke(args=["questions", "import", str(source), "--format", "gift"]).exit_code == 0
    out = tmp_path / "out.xml"
    exported = runner.invoke(args=["questions", "export", "--format", "moodlexml", "-o", str(out)])
    assert exported.exit_code == 0
    again = runner.invoke(args=["questions", "import", str(out), "--format", "moodlexml", "--dry-run"])
    assert again.exit_code == 0 and "13 questions parsed, 0 errors" in again.output
