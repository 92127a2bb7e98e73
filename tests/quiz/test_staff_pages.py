"""Staff pages: results and exports, grading queue, assignments, item analysis."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.quiz.models import Assignment, Attempt
from app.quiz.services import finalise, save_response, start_attempt


def finished_attempt(agent, quiz, right=True):
    attempt = start_attempt(agent, quiz)
    for slot in attempt.slots:
        options = slot.question_version.payload.get("options")
        if options:
            index = next(i for i, o in enumerate(options) if (o["fraction"] == 1) == right)
            save_response(attempt, slot.position, index, seq=1)
    finalise(attempt, "agent")
    return attempt


def test_results_are_scoped_and_exported_safely(client, login_as, make_user, make_team, make_quiz):
    team, other = make_team(), make_team()
    mine = make_user(team=team, name="=HYPERLINK(\"x\")")
    theirs = make_user(team=other, name="别组的人")
    quiz = make_quiz(assign_to=mine, pass_mark=60)
    db.session.add(Assignment(quiz_id=quiz.id, user_id=theirs.id))
    db.session.commit()
    finished_attempt(mine, quiz)
    finished_attempt(theirs, quiz, right=False)
    login_as("manager", team=team)
    page = client.get(f"/quizzes/{quiz.id}/results").get_data(as_text=True)
    assert mine.employee_no in page and theirs.employee_no not in page
    csv_text = client.get(f"/quizzes/{quiz.id}/results?export=csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and theirs.employee_no not in csv_text
    workbook = load_workbook(io.BytesIO(client.get(f"/quizzes/{quiz.id}/results?export=xlsx").data))
    cells = [c.value for row in workbook.active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"x\")" in cells and 100.0 in cells


def test_grading_queue_and_grade_form(client, login_as, make_user, make_quiz):
    case = graded_case_slot(make_user, make_quiz)
    attempt = case.attempt
    login_as("trainer")
    queue = client.get("/quizzes/grading").get_data(as_text=True)
    assert f"/quizzes/grading/{case.id}" in queue
    form = client.get(f"/quizzes/grading/{case.id}").get_data(as_text=True)
    assert "先道歉，再说明处理时限。" in form and "参考答案甲" in form
    too_many = client.post_form(f"/quizzes/grading/{case.id}", {"points-0": "9", "points-1": "1"})
    assert too_many.status_code == 422  # 9 > 4 points
    done = client.post_form(f"/quizzes/grading/{case.id}", {"points-0": "4", "points-1": "5", "comment": "好"})
    assert done.status_code == 302
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.status == "graded" and f"/quizzes/grading/{case.id}" not in client.get("/quizzes/grading").get_data(as_text=True)


def test_assign_and_overdue_for_the_manager(client, login_as, make_user, make_team, make_quiz):
    team = make_team()
    login_as("manager", team=team)
    member = make_user(team=team)
    outsider = make_user()
    quiz = make_quiz()
    refused = client.post_form(f"/quizzes/{quiz.id}/assign", {"employee_nos": outsider.employee_no})
    assert refused.status_code == 200 and outsider.employee_no in refused.get_data(as_text=True)
    past = (date.today() - timedelta(days=2)).isoformat()
    done = client.post_form(f"/quizzes/{quiz.id}/assign", {"employee_nos": member.employee_no, "due_on": past})
    assert done.status_code == 302
    assert db.session.scalar(select(Assignment).where(Assignment.user_id == member.id)).due_on.isoformat() == past
    overview = client.get("/quizzes/manage").get_data(as_text=True)
    assert 'data-testid="overdue"' in overview and member.name in overview


def test_item_analysis_page(client, login_as, make_user, make_quiz):
    quiz = make_quiz(n_questions=3)
    for n in range(4):
        agent = make_user()
        db.session.add(Assignment(quiz_id=quiz.id, user_id=agent.id))
        db.session.commit()
        finished_attempt(agent, quiz, right=n % 2 == 0)
    login_as("trainer")
    page = client.get(f"/quizzes/{quiz.id}/analysis").get_data(as_text=True)
    assert 'data-testid="item-stats"' in page and "第0题" in page
    assert client.get(f"/quizzes/{quiz.id}/analysis?attempts=all").status_code == 200


def test_staff_can_inspect_finished_attempts_in_scope(client, login_as, make_user, make_team, make_quiz):
    team = make_team()
    member = make_user(team=team)
    quiz = make_quiz(assign_to=member)
    running = start_attempt(member, quiz)
    login_as("manager", team=team)
    assert client.get(f"/quizzes/attempts/{running.id}/inspect").status_code == 404
    results = client.get(f"/quizzes/{quiz.id}/results").get_data(as_text=True)
    assert f'data-testid="inspect-{running.id}"' not in results  # no link to a running attempt
    finalise(running, "agent")
    results = client.get(f"/quizzes/{quiz.id}/results").get_data(as_text=True)
    assert f'href="/quizzes/attempts/{running.id}/inspect"' in results  # the results table drills down
    assert client.get(f"/quizzes/attempts/{running.id}/inspect").status_code == 200


def test_trainer_builds_a_quiz_in_the_browser(client, login_as, make_quiz):
    from app.quiz.models import Quiz

    login_as("trainer")
    make_quiz(n_questions=4)  # puts four questions in 售后政策/退款
    base = {"slug": "refund-check", "title": "退款小测", "kind": "knowledge", "questions_per_page": "2",
            "navigation": "free", "grading_method": "highest", "pass_mark": "60", "review_when": "immediately",
            "shuffle_options": "y", "review_marks": "y", "open_at": "2026-12-01T09:00", "close_at": "2026-12-31T18:00"}
    added = client.post_form("/quizzes/manage/new", {**base, "sections-0-count": "2", "add_section": "1"})
    assert 'data-testid="section-1"' in added.get_data(as_text=True)
    too_many = client.post_form("/quizzes/manage/new", {**base, "sections-0-count": "9", "sections-0-category": "售后政策"})
    assert "9" in too_many.get_data(as_text=True) and db.session.scalar(select(Quiz).where(Quiz.slug == "refund-check")) is None
    backwards = client.post_form("/quizzes/manage/new", {**base, "close_at": "2026-11-01T09:00", "sections-0-count": "2"})
    assert backwards.status_code == 422
    done = client.post_form("/quizzes/manage/new", {**base, "sections-0-count": "3", "sections-0-category": "售后政策",
                                                     "sections-0-types": "single_choice", "sections-0-mark": "2"})
    assert done.status_code == 302
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "refund-check"))
    assert quiz.sections[0].rule["count"] == 3 and quiz.sections[0].mark == 2 and quiz.source == "browser"
    assert quiz.open_at.hour == 1  # 09:00 in Asia/Shanghai is 01:00 UTC
    edit = client.get(f"/quizzes/{quiz.id}/edit").get_data(as_text=True)
    assert 'value="refund-check"' in edit and "2026-12-01T09:00" in edit


def test_xlsx_export_survives_titles_excel_refuses(client, login_as, make_user, make_quiz):
    agent = make_user()
    quiz = make_quiz(assign_to=agent)
    quiz.title = "售后/退款: Q1 [测试]*? 这是一个很长很长很长很长很长很长很长的测验标题"
    db.session.commit()
    finished_attempt(agent, quiz)
    login_as("trainer")
    export = client.get(f"/quizzes/{quiz.id}/results?export=xlsx")
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(export.data))
    title = workbook.active.title
    assert title.startswith("售后-退款- Q1 (测试)") and len(title) <= 31
    assert agent.employee_no in [c.value for row in workbook.active.iter_rows() for c in row]


BUILDER = {"slug": "number-check", "title": "数字检查", "kind": "knowledge", "questions_per_page": "2",
           "navigation": "free", "grading_method": "highest", "review_when": "immediately",
           "sections-0-count": "2", "sections-0-category": "售后政策", "sections-0-mark": "1"}
NOT_NUMBERS = ["1e999", "nan", "inf", "-inf", "-1", "99999999999999999999", "abc"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("name, label", [
    ("questions_per_page", "Questions per page"), ("time_limit_minutes", "Time limit (minutes)"),
    ("attempts_allowed", "Attempts allowed"), ("pass_mark", "Pass mark (%)"),
    ("sections-0-mark", "Section 1 · Marks per question"), ("sections-0-count", "Section 1 · Draw how many"),
    ("sections-0-difficulty_min", "Section 1 · Difficulty from"),
    ("sections-0-difficulty_max", "Section 1 · Difficulty to"),
])
def test_quiz_builder_refuses_settings_that_are_not_numbers_in_range(client, login_as, make_quiz, name, label, value):
    from app.quiz.models import Quiz

    login_as("trainer", locale="en")
    make_quiz(n_questions=4)
    response = client.post_form("/quizzes/manage/new", {**BUILDER, name: value})
    assert response.status_code == 422
    assert f"{label}: " in response.get_data(as_text=True)       # the summary names the field
    assert db.session.scalar(select(Quiz).where(Quiz.slug == "number-check")) is None


def test_quiz_builder_takes_blank_optional_numbers_as_a_browser_sends_them(client, login_as, make_quiz):
    from app.quiz.models import Quiz

    login_as("trainer", locale="en")
    fixed = make_quiz(n_questions=4).sections[0].fixed_uids
    blank = {**BUILDER, "time_limit_minutes": "", "attempts_allowed": "", "pass_mark": "",
             "sections-0-count": "", "sections-0-category": "", "sections-0-fixed": "\r\n".join(fixed[:2]),
             "sections-0-difficulty_min": "", "sections-0-difficulty_max": ""}
    response = client.post_form("/quizzes/manage/new", blank)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "number-check"))
    assert quiz.time_limit_minutes is None and quiz.attempts_allowed is None
    assert quiz.sections[0].rule is None and quiz.sections[0].fixed_uids == fixed[:2]


def test_quiz_builder_refuses_an_upside_down_difficulty_range(client, login_as, make_quiz):
    login_as("trainer", locale="en")
    make_quiz(n_questions=4)
    response = client.post_form("/quizzes/manage/new", {**BUILDER, "sections-0-difficulty_min": "4",
                                                        "sections-0-difficulty_max": "2"})
    assert response.status_code == 422 and "Section 1 · Difficulty to: " in response.get_data(as_text=True)
    assert client.post_form("/quizzes/manage/new", BUILDER).status_code == 302


def graded_case_slot(make_user, make_quiz):
    agent = make_user()
    quiz = make_quiz(n_questions=1, assign_to=agent, case=True)
    attempt = start_attempt(agent, quiz)
    case = next(s for s in attempt.slots if s.question_version.type_key == "case_analysis")
    save_response(attempt, case.position, "先道歉，再说明处理时限。", seq=1)
    finalise(attempt, "agent")
    return case


def test_grading_starts_unrated_and_refuses_a_forgotten_criterion(client, login_as, make_user, make_quiz):
    case = graded_case_slot(make_user, make_quiz)
    login_as("trainer", locale="en")
    form = client.get(f"/quizzes/grading/{case.id}").get_data(as_text=True)
    inputs = re.findall(r'<input[^>]*name="points-\d"[^>]*>', form)
    assert len(inputs) == 2 and not any("value=" in i and 'value=""' not in i for i in inputs)  # none pre-filled

    forgotten = client.post_form(f"/quizzes/grading/{case.id}", {"points-0": "3"})
    assert forgotten.status_code == 422
    assert "方案" in forgotten.get_data(as_text=True).split("flash-error", 1)[1].split("</p>", 1)[0]
    db.session.refresh(case)
    assert case.needs_grading and case.rubric_scores is None

    zero = client.post_form(f"/quizzes/grading/{case.id}", {"points-0": "0", "points-1": "0"})
    assert zero.status_code == 302            # a zero that was given is a grade
    db.session.refresh(case)
    assert case.rubric_scores == [0, 0] and not case.needs_grading


@pytest.mark.parametrize("value", NOT_NUMBERS + ["4.5"])
def test_grading_refuses_points_that_are_not_points(client, login_as, make_user, make_quiz, value):
    case = graded_case_slot(make_user, make_quiz)
    login_as("trainer", locale="en")
    response = client.post_form(f"/quizzes/grading/{case.id}", {"points-0": value, "points-1": "5"})
    assert response.status_code == 422
    assert "共情: " in response.get_data(as_text=True)          # criterion 共情 is worth 4 points
    db.session.refresh(case)
    assert case.needs_grading and case.rubric_scores is None


def test_messages_of_section_rows_follow_the_readers_language(client, login_as, make_quiz):
    login_as("trainer")                                   # Chinese
    make_quiz(n_questions=4)
    page = client.post_form("/quizzes/manage/new", {**BUILDER, "sections-0-mark": "500"}).get_data(as_text=True)
    assert "Number must be between" not in page and "0.1" in page and "100" in page
