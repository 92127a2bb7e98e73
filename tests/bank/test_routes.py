"""Trainer pages of the question bank, through the HTTP layer."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.bank.models import Question
from app.bank.services import QuestionData, save_question
from app.extensions import db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def make_question(make_user):
    author = None

    def make(type_key="single_choice", stem="客户问退款多久到账，应如何回答？", payload=None, **meta):
        nonlocal author
        author = author or make_user("trainer")
        payload = payload or {"options": [{"text": "如实告知3个工作日", "fraction": 1, "feedback": "秘密反馈甲"},
                                          {"text": "保证马上到账", "fraction": 0, "feedback": "秘密反馈乙"}]}
        data = QuestionData(type_key=type_key, category=meta.get("category", "售后政策/退款"),
                            tags=meta.get("tags", ["退款"]), competency=meta.get("competency", "knowledge"),
                            difficulty=meta.get("difficulty", 2), title=meta.get("title", ""), stem=stem,
                            stem_format="plain", explanation="退款时效需如实告知。", payload=payload)
        return save_question(author, None, data)[0]

    return make


def test_browse_filter_search_and_htmx(client, login_as, make_question):
    login_as("trainer")
    refund = make_question()
    privacy = make_question("true_false", "可以把客户的完整手机号告诉来电者。", {"correct": False},
                            category="隐私安全/身份核验", competency="compliance", difficulty=4, tags=["隐私"])
    page = client.get("/bank/").get_data(as_text=True)
    assert "客户问退款多久到账" in page and "完整手机号" in page

    def listed(**args):
        body = client.get("/bank/", query_string=args, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "<html" not in body
        return {q.id for q in (refund, privacy) if f"/bank/questions/{q.id}\"" in body}

    assert listed(q="完整手机号") == {privacy.id}
    assert listed(q="退款") == {refund.id}
    assert listed(area="隐私安全") == {privacy.id}
    assert listed(type="true_false") == {privacy.id}
    assert listed(competency="knowledge") == {refund.id}
    assert listed(difficulty="4") == {privacy.id}
    assert listed(tag="隐私") == {privacy.id}
    assert listed(status="retired") == set()


def test_question_page_history_and_diff(client, login_as, make_question):
    trainer = login_as("trainer")
    question = make_question()
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert "秘密反馈甲" in page  # trainers see the key and feedback
    data = QuestionData(type_key="single_choice", category=question.category, tags=["退款"], competency="knowledge",
                        difficulty=2, title="", stem="客户问退款多久能到账？", stem_format="plain",
                        explanation="退款时效需如实告知。", payload=question.current_version.payload)
    save_question(trainer, question, data)
    diff = client.get(f"/bank/questions/{question.id}/diff?from=1&to=2").get_data(as_text=True)
    assert "diff-del" in diff and "diff-add" in diff and "客户问退款多久能到账" in diff
    assert client.get(f"/bank/questions/{question.id}/diff?from=1&to=9").status_code == 404


def test_preview_hides_the_key_and_try_grades(client, login_as, make_question):
    login_as("trainer")
    question = make_question()
    preview = client.get(f"/bank/questions/{question.id}/preview").get_data(as_text=True)
    assert "如实告知3个工作日" in preview
    for secret in ("秘密反馈", "fraction", "退款时效需如实告知"):
        assert secret not in preview
    tried = client.post_form(f"/bank/questions/{question.id}/preview", {"response": "0"},
                             headers={"HX-Request": "true"})
    body = tried.get_data(as_text=True)
    assert 'data-testid="try-result"' in body and "<html" not in body
    assert "1.0" in body and "秘密反馈甲" in body
    wrong = client.post_form(f"/bank/questions/{question.id}/preview", {"response": "1"}).get_data(as_text=True)
    assert "0.0" in wrong


BASE = {"category": "服务指标/满意度", "tags": "CSAT, 指标", "competency": "knowledge", "difficulty": "3",
        "title": "", "stem_format": "plain", "explanation": "满意度按满意与非常满意计算。"}


@pytest.mark.parametrize("type_key,fields", [
    ("single_choice", {"options-0-text": "85%", "options-0-fraction": "1", "options-1-text": "90%",
                       "options-1-fraction": "0"}),
    ("multiple_choice", {"options-0-text": "甲", "options-0-fraction": "0.5", "options-1-text": "乙",
                         "options-1-fraction": "0.5", "options-2-text": "丙", "options-2-fraction": "-1",
                         "grading": "partial"}),
    ("true_false", {"correct": "false", "feedback_true": "不对"}),
    ("fill_blank", {"answers-0-text": "CSAT", "answers-0-fraction": "1"}),
    ("numeric", {"numeric_answers-0-value": "85", "numeric_answers-0-tolerance": "0.5", "unit": "%"}),
    ("ordering", {"items-0-text": "问候", "items-1-text": "确认需求", "items-2-text": "解决"}),
    ("matching", {"pairs-0-left": "CSAT", "pairs-0-right": "满意度", "pairs-1-left": "FCR",
                  "pairs-1-right": "首次解决率"}),
    ("case_analysis", {"reference_answer": "先共情", "key_points": "共情\n方案",
                       "rubric-0-criterion": "共情", "rubric-0-points": "5"}),
])
def test_create_every_type_in_the_browser(client, login_as, type_key, fields):
    login_as("trainer")
    form = client.get(f"/bank/questions/new?type={type_key}")
    assert form.status_code == 200
    response = client.post_form("/bank/questions/new", {**BASE, "type_key": type_key,
                                                         "stem": f"{type_key} 的题干", **fields})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    question = db.session.scalar(select(Question).where(Question.search_text.contains(f"{type_key} 的题干")))
    assert question.current_version.type_key == type_key and question.tags == ["CSAT", "指标"]
    assert question.source == "browser"


def test_invalid_payload_is_explained_and_nothing_saved(client, login_as):
    login_as("trainer")
    response = client.post_form("/bank/questions/new", {**BASE, "type_key": "single_choice", "stem": "题干",
                                                         "options-0-text": "甲", "options-0-fraction": "0",
                                                         "options-1-text": "乙", "options-1-fraction": "0"})
    assert response.status_code == 200
    assert "options：必须恰好有一个选项的得分比例为 1" in response.get_data(as_text=True)  # translated
    assert db.session.scalar(select(func.count(Question.id))) == 0


@pytest.mark.parametrize("type_key,fields", [
    ("numeric", {"numeric_answers-0-value": "1e999"}),
    ("numeric", {"numeric_answers-0-value": "85", "numeric_answers-0-tolerance": "inf"}),
    ("numeric", {"numeric_answers-0-value": "nan"}),
    ("single_choice", {"options-0-text": "甲", "options-0-fraction": "nan", "options-1-text": "乙"}),
    ("case_analysis", {"reference_answer": "先共情", "rubric-0-criterion": "共情", "rubric-0-points": "1e999"}),
])
def test_numbers_typed_in_the_editor_must_be_finite(client, login_as, type_key, fields):
    login_as("trainer", locale="en")
    response = client.post_form("/bank/questions/new", {**BASE, "type_key": type_key, "stem": "题干", **fields})
    assert response.status_code == 200
    assert "Enter an ordinary number" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_edit_versions_only_when_content_changes(client, login_as, make_question):
    login_as("trainer")
    question = make_question()
    fields = {**BASE, "type_key": "single_choice", "stem": question.current_version.stem,
              "explanation": question.current_version.explanation,
              "options-0-text": "如实告知3个工作日", "options-0-fraction": "1", "options-0-feedback": "秘密反馈甲",
              "options-1-text": "保证马上到账", "options-1-fraction": "0", "options-1-feedback": "秘密反馈乙"}
    client.post_form(f"/bank/questions/{question.id}/edit", {**fields, "difficulty": "5"})
    question = db.session.get(Question, question.id)
    assert question.difficulty == 5 and len(question.versions) == 1
    client.post_form(f"/bank/questions/{question.id}/edit", {**fields, "options-1-text": "承诺今天到账"})
    question = db.session.get(Question, question.id)
    assert len(question.versions) == 2 and question.versions[0].payload["options"][1]["text"] == "保证马上到账"
    # the type of an existing question cannot be switched
    assert client.post_form(f"/bank/questions/{question.id}/edit", {**fields, "type_key": "true_false"}).status_code == 400


def test_add_row_with_htmx_keeps_typed_values(client, login_as):
    login_as("trainer")
    response = client.post_form("/bank/questions/new", {**BASE, "type_key": "ordering", "stem": "排序",
                                                         "items-0-text": "第一步", "add_row": "items"},
                                headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<!doctype" not in body and 'value="第一步"' in body
    assert 'name="items-1-text"' in body and 'name="items-2-text"' not in body
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_near_duplicate_warning(client, login_as, make_question):
    login_as("trainer")
    make_question(stem="客户询问退款多久能够到账，应当怎样回答？")
    response = client.post_form("/bank/questions/new", {**BASE, "type_key": "true_false", "correct": "true",
                                                         "stem": "客户询问退款多久能到账，应当怎样回答？",
                                                         "difficulty": "9"})
    assert 'data-testid="near-duplicates"' in response.get_data(as_text=True)


def test_near_duplicate_check_while_typing(client, login_as, make_question):
    login_as("trainer")
    existing = make_question(stem="客户询问退款多久能够到账，应当怎样回答？")
    warned = client.post_form("/bank/similar", {"stem": "客户询问退款多久能到账，应当怎样回答？"},
                              headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="near-duplicates"' in warned and f"/bank/questions/{existing.id}" in warned
    itself = client.post_form("/bank/similar", {"stem": existing.current_version.stem, "question_id": existing.id})
    assert "near-duplicates" not in itself.get_data(as_text=True)
    unrelated = client.post_form("/bank/similar", {"stem": "首次响应时长如何计算？"})
    assert "near-duplicates" not in unrelated.get_data(as_text=True)


def test_retire_and_restore(client, login_as, make_question):
    login_as("trainer")
    question = make_question()
    client.post_form(f"/bank/questions/{question.id}/retire")
    assert db.session.get(Question, question.id).status == "retired"
    client.post_form(f"/bank/questions/{question.id}/restore")
    assert db.session.get(Question, question.id).status == "active"


def upload(client, name, format_name):
    return client.post_form("/bank/import", {"format": format_name,
                                             "file": (io.BytesIO((FIXTURES / name).read_bytes()), name)},
                            content_type="multipart/form-data")


def test_import_preview_and_commit(client, login_as):
    login_as("trainer")
    preview = upload(client, "features.gift", "gift").get_data(as_text=True)
    table = preview.split('data-testid="import-questions"')[1].split("</table>")[0]
    assert table.count("<tr") == 14  # header + 13 questions
    assert 'data-testid="import-errors"' not in preview
    assert db.session.scalar(select(func.count(Question.id))) == 0
    key = preview.split('name="upload_key" type="hidden" value="')[1].split('"')[0]
    done = client.post_form("/bank/import/commit", {"upload_key": key, "format": "gift"})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count(Question.id))) == 13


def test_import_with_errors_needs_the_explicit_choice(client, login_as):
    login_as("trainer")
    preview = upload(client, "broken.gift", "gift").get_data(as_text=True)
    assert 'data-testid="import-errors"' in preview
    key = preview.split('name="upload_key" type="hidden" value="')[1].split('"')[0]
    client.post_form("/bank/import/commit", {"upload_key": key, "format": "gift"})
    assert db.session.scalar(select(func.count(Question.id))) == 0
    client.post_form("/bank/import/commit", {"upload_key": key, "format": "gift", "only_valid": "y"})
    assert db.session.scalar(select(func.count(Question.id))) == 1


def test_export_downloads(client, login_as, make_question):
    login_as("trainer")
    make_question()
    gift = client.get("/bank/export?format=gift")
    assert gift.headers["Content-Disposition"].endswith("questions.gift")
    assert "如实告知3个工作日" in gift.get_data(as_text=True)
    assert "<quiz>" in client.get("/bank/export?format=moodlexml").get_data(as_text=True)
    assert client.get("/bank/export?format=pdf").status_code == 404


def test_agents_and_managers_cannot_reach_the_bank(client, login_as):
    login_as("agent")
    assert client.get("/bank/").status_code == 403


# --- search input is literal --------------------------------------------------
# `%`, `_` and `\\` are characters, not LIKE wildcards, on the FTS5 / pg_trgm path
# (three or more characters) and on the short-word substring fallback alike.

def _listed(client, questions, **args):
    body = client.get("/bank/", query_string=args, headers={"HX-Request": "true"}).get_data(as_text=True)
    return {q.id for q in questions if f"/bank/questions/{q.id}\"" in body}


@pytest.mark.parametrize("term, expected", [
    ("%", {"percent"}), ("_", {"underscore"}), ("\\", {"backslash"}),
    ("%%", set()), ("__", set()), ("50%", {"percent"}), ("a_b", {"underscore"}),
    ("%%%", set()), ("___", set()), ("a%b", set()), ("c\\d", {"backslash"}),
    ("%折扣", set()), ("_折扣", set()),
])
def test_wildcards_in_search_are_literal(client, login_as, make_question, term, expected):
    login_as("trainer")
    questions = {
        "percent": make_question(stem="满减后再打50%的折扣怎么算？"),
        "underscore": make_question(stem="工单字段 a_b 为空时如何处理？"),
        "backslash": make_question(stem="路径 c\\d 打不开怎么办？"),
        "plain": make_question(stem="普通的退款问题没有符号"),
    }
    found = _listed(client, questions.values(), q=term)
    assert found == {questions[name].id for name in expected}


def test_tag_and_area_filters_treat_wildcards_literally(client, login_as, make_question):
    login_as("trainer")
    tagged = make_question(tags=["vip_客户"], category="售后_政策/退款")
    other = make_question(tags=["vipx客户"], category="售后x政策/退款")
    assert _listed(client, (tagged, other), tag="vip_客户") == {tagged.id}
    assert _listed(client, (tagged, other), tag="%") == set()
    assert _listed(client, (tagged, other), area="售后_政策") == {tagged.id}
    assert _listed(client, (tagged, other), area="%") == set()


def test_browser_line_ends_are_stored_as_the_files_hold_them(client, login_as):
    login_as("trainer")
    response = client.post_form("/bank/questions/new", {
        **BASE, "type_key": "case_analysis", "stem": "第一行\r\n第二行", "explanation": "解析甲\r\n解析乙",
        "reference_answer": "先共情\r\n再给方案", "rubric-0-criterion": "共情", "rubric-0-points": "5"})
    assert response.status_code == 302
    version = db.session.scalar(select(Question)).current_version
    assert version.stem == "第一行\n第二行" and version.explanation == "解析甲\n解析乙"
    assert version.payload["reference_answer"] == "先共情\n再给方案"
