"""Writing bank entries back into files (no app): faithful entries, and edits that leave the rest of a file alone."""

from pathlib import Path

import pytest

from app.bank.bankfile import UnsplicableFile, dump_entry, entry, minimal_payload, rewrite
from app.bank.schema import load_question_bank, parse_question_file
from app.bank.sources import EntryState, Verdict, judge

BANK = Path(__file__).resolve().parents[2] / "question_bank"

FILE = """\
# 售后 — 两道题
- id: a-001
  type: true_false
  category: 售后政策/退款
  competency: knowledge
  difficulty: 1
  stem: 退款原路返回。
  explanation: |
    原路返回。
    # 这一行是解析的内容，不是注释
  correct: true

# 下一题的注释
- id: a-002
  type: true_false
  category: 售后政策/退款
  competency: knowledge
  difficulty: 2
  stem: 运费一律不退。
  explanation: 视责任方而定。
  correct: false
"""


def new_fields(uid="a-001", stem="退款按原支付渠道返回。"):
    return entry(uid, type_key="true_false", category="售后政策/退款", competency="knowledge", difficulty=1,
                 tags=["退款"], title="", stem=stem, stem_format="plain", explanation="原路返回。",
                 payload={"correct": True, "feedback_true": "", "feedback_false": ""})


def test_replacing_an_entry_keeps_comments_and_the_other_entry():
    text = rewrite(FILE, {"a-001": new_fields()}, [])
    assert text.startswith("# 售后 — 两道题\n- id: a-001\n")
    assert text.endswith(FILE[FILE.index("\n# 下一题的注释"):])
    questions, errors = parse_question_file("x.yaml", text)
    assert errors == [] and [q.stem for q in questions] == ["退款按原支付渠道返回。", "运费一律不退。"]
    assert questions[0].tags == ("退款",) and "feedback_true" not in text


def test_removing_and_appending():
    removed = rewrite(FILE, {"a-002": None}, [])
    assert "a-002" not in removed and "# 下一题的注释" in removed and not removed.endswith("\n\n\n")
    appended = rewrite(FILE, {}, [new_fields("a-003")])
    assert appended.startswith(FILE) and appended[len(FILE):] == "\n" + dump_entry(new_fields("a-003"))
    fresh = rewrite("", {}, [new_fields("a-003"), new_fields("a-004")], header="# 新文件\n")
    assert fresh.startswith("# 新文件\n\n- id: a-003\n")
    assert [q.uid for q in parse_question_file("x.yaml", fresh)[0]] == ["a-003", "a-004"]


def test_indented_lists_keep_their_column():
    indented = "".join("  " + line if line.strip() else line for line in FILE.splitlines(keepends=True))
    text = rewrite(indented, {"a-002": new_fields("a-002", "新题干")}, [])
    assert "\n  - id: a-002\n    type: true_false\n" in text
    assert [q.stem for q in parse_question_file("x.yaml", text)[0]] == ["退款原路返回。", "新题干"]


def test_files_that_cannot_be_edited_in_place_are_refused():
    with pytest.raises(UnsplicableFile, match="block list"):
        rewrite("[{id: a-001, type: true_false}]\n", {"a-001": None}, [])
    with pytest.raises(UnsplicableFile, match="a-009"):
        rewrite(FILE, {"a-009": None}, [])


def test_minimal_payload_reads_back_the_same():
    payload = {"options": [{"text": "甲", "fraction": 1.0, "feedback": ""}, {"text": "乙", "fraction": 0.0,
                                                                            "feedback": "不对"}], "shuffle": True}
    smaller = minimal_payload("single_choice", payload)
    assert smaller == {"options": [{"text": "甲", "fraction": 1}, {"text": "乙", "fraction": 0, "feedback": "不对"}]}
    kept = {**payload, "shuffle": False}
    assert minimal_payload("single_choice", kept)["shuffle"] is False


def test_every_shipped_question_can_be_written_back_unchanged():
    questions, errors = load_question_bank(BANK)
    assert questions and errors == []
    for question in questions:
        fields = entry(question.uid, type_key=question.type_key, category=question.category,
                       competency=question.competency, difficulty=question.difficulty, tags=list(question.tags),
                       title=question.title, stem=question.stem, stem_format=question.stem_format,
                       explanation=question.explanation, payload=question.payload)
        (reread,), problems = parse_question_file("x.yaml", dump_entry(fields))
        assert problems == [], question.uid
        assert reread.content_hash == question.content_hash, question.uid
        assert (reread.category, reread.tags, reread.difficulty) == (question.category, question.tags,
                                                                      question.difficulty)


def state(stem_hash="h1", tags=("a",), status="active"):
    return EntryState(stem_hash, "c", "knowledge", 2, tags, status)


@pytest.mark.parametrize("database,file,synced,force,verdict", [
    (state(), state(), None, False, Verdict.IN_STEP),
    (state(), state("h2"), state().digest, False, Verdict.FROM_FILE),
    (state(tags=("b",)), state(), state().digest, False, Verdict.BROWSER_EDIT),
    (state(tags=("b",)), state("h2"), state().digest, False, Verdict.BOTH_CHANGED),
    (state(tags=("b",)), state("h2"), state().digest, True, Verdict.FORCED),
    (state(tags=("b",)), state(), None, False, Verdict.NO_RECORD),
    (state(status="retired"), state(), state().digest, False, Verdict.BROWSER_EDIT),
])
def test_judge(database, file, synced, force, verdict):
    assert judge(database, file, synced, force=force) == verdict


def test_files_are_written_all_or_nothing(tmp_path):
    from app.bank.bankfile import write_all_or_nothing

    kept = tmp_path / "greetings.yaml"
    kept.write_text("- id: kpi-001\n", encoding="utf-8")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        write_all_or_nothing({kept: "- id: kpi-001\n- id: kpi-002\n", blocked / "new.yaml": "- id: x\n"})
    assert kept.read_text(encoding="utf-8") == "- id: kpi-001\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "greetings.yaml"]   # no scratch files left

    write_all_or_nothing({kept: "- id: kpi-001\n- id: kpi-002\n", tmp_path / "sub" / "new.yaml": "- id: x\n"})
    assert kept.read_text(encoding="utf-8").endswith("kpi-002\n")
    assert (tmp_path / "sub" / "new.yaml").read_text(encoding="utf-8") == "- id: x\n"
