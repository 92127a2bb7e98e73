"""Odd and hostile input answers with a clear status, never a 500."""

import io

from sqlalchemy import func, select

from app.bank.interchange import parse
from app.bank.models import Question
from app.extensions import db

HUGE = "99999999999999999999"


def test_odd_query_strings_on_listings(client, login_as):
    login_as("admin")
    for url in ("/bank/?format=x", "/bank/?_method=x", f"/bank/?difficulty={HUGE}", f"/bank/?page={HUGE}",
                "/bank/?q=a%00bcd", f"/admin/users?team={HUGE}", f"/admin/users?page={HUGE}",
                f"/admin/audit?page={HUGE}", "/admin/users?_anchor=x"):
        response = client.get(url)
        assert response.status_code == 200, url


def test_huge_numbers_in_attempt_posts(client, login_as, make_quiz):
    from app.quiz.models import Attempt

    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent)
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 0, "seq": HUGE, "r0": "0"}).status_code == 400
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": HUGE, "seq": 1}).status_code == 400
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/flag", {"position": HUGE}).status_code == 400
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/page", {"page": HUGE, "seq": HUGE}).status_code == 400
    assert client.get(f"/quizzes/attempts/{attempt.id}?page={HUGE}").status_code == 200
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/save",
                            {"position": 0, "seq": "1700000000000", "r0": "0"}).status_code == 200  # milliseconds fit


def test_yaml_aliases_are_refused():
    bomb = b'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' \
           b'- {type: true_false, stem: *b, correct: true}\n'
    result = parse("yaml", bomb)
    assert result.errors and result.questions == []
    alias = parse("yaml", b"- &q {type: true_false, stem: s, correct: true}\n- *q\n")
    assert alias.errors and "anchors" in alias.errors[0]["message"]


def test_too_long_titles_are_reported_in_the_preview():
    from app.bank.services import check_parsed

    result = parse("gift", ("::" + "长" * 250 + "::题干 {T}").encode())
    assert check_parsed(result.questions)[0]["message"].startswith("title: longer than 200")


def test_grade_form_with_missing_points(client, login_as, make_user, make_quiz):
    from app.quiz.services import finalise, save_response, start_attempt

    agent = make_user()
    quiz = make_quiz(n_questions=1, assign_to=agent, case=True)
    attempt = start_attempt(agent, quiz)
    case = next(s for s in attempt.slots if s.question_version.type_key == "case_analysis")
    save_response(attempt, case.position, "答案", seq=1)
    finalise(attempt, "agent")
    login_as("trainer")
    response = client.post_form(f"/quizzes/grading/{case.id}", {"points-0": "2"})
    assert response.status_code == 422 and "方案" in response.get_data(as_text=True)   # the criterion left empty
    db.session.refresh(case)
    assert case.needs_grading


def test_question_import_commit_twice_imports_once(client, login_as):
    login_as("trainer")
    preview = client.post_form("/bank/import", {"format": "gift", "file": (io.BytesIO("题 {T}".encode()), "q.gift")},
                               content_type="multipart/form-data").get_data(as_text=True)
    key = preview.split('name="upload_key" type="hidden" value="')[1].split('"')[0]
    assert client.post_form("/bank/import/commit", {"upload_key": key, "format": "gift"}).status_code == 302
    assert client.post_form("/bank/import/commit", {"upload_key": key, "format": "gift"}).status_code == 302
    assert client.post_form("/bank/import/commit", {"upload_key": key, "format": "nope"}).status_code == 400
    assert db.session.scalar(select(func.count(Question.id))) == 1


def test_ids_beyond_32_bits_answer_404_not_500(client, login_as):
    login_as("trainer")
    for url in ("/scenarios/99999999999999999999", "/scenarios/runs/2147483648", "/scenarios/roleplays/9" * 3,
                "/quizzes/99999999999999999999", "/scenarios/rubrics/1?version=99999999999999999999"):
        assert client.get(url).status_code == 404, url


def test_nul_characters_in_posted_forms_are_refused(client, login_as):
    login_as("manager")
    assert client.get("/scenarios/?situation=a\x00b").status_code == 200
    response = client.post_form("/scenarios/roleplays/new", {"agent": "KF\x00", "observers": "x", "held_on": "2026-12-01"})
    assert response.status_code == 400
