"""The quizzes shipped in question_bank/quizzes/ load and can be taken."""

from sqlalchemy import select

from app.extensions import db
from app.quiz.models import Assignment, Quiz
from app.quiz.services import start_attempt


def test_shipped_quizzes_sync_and_draw(runner, make_user):
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    assert "quizzes: added 10" in result.output
    assert "quizzes: added 0, updated 0, retired 0, conflicts 0" in runner.invoke(args=["content", "sync"]).output

    onboarding = db.session.scalar(select(Quiz).where(Quiz.slug == "onboarding-certification"))
    assert onboarding.kind == "onboarding" and onboarding.pass_mark == 80
    assert db.session.scalar(select(Assignment).where(Assignment.quiz_id == onboarding.id)).tier == "onboarding"
    new_hire = make_user(tier="onboarding")
    attempt = start_attempt(new_hire, onboarding)
    assert len(attempt.slots) == 16 and attempt.pages == 8
    categories = {s.question_version.question.area for s in attempt.slots}
    assert len(categories) == 8

    agent = make_user(tier="in_service")
    for quiz in db.session.scalars(select(Quiz).where(Quiz.kind == "knowledge")):
        assert len(start_attempt(agent, quiz).slots) == 10


def test_a_file_quiz_cannot_be_edited_in_the_browser(runner, client, login_as):
    runner.invoke(args=["content", "sync"])
    login_as("trainer")
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "monthly-kpi"))
    page = client.get(f"/quizzes/{quiz.id}/edit").get_data(as_text=True)
    assert "question_bank/quizzes/monthly-kpi.yaml" in page
    posted = client.post_form(f"/quizzes/{quiz.id}/edit", {
        "slug": "monthly-kpi", "title": "浏览器改的标题", "kind": "knowledge", "questions_per_page": "2",
        "navigation": "free", "grading_method": "highest", "review_when": "immediately",
        "sections-0-count": "1", "sections-0-category": "服务指标"})
    assert posted.status_code == 409
    assert db.session.get(Quiz, quiz.id).title != "浏览器改的标题"


def test_a_browser_quiz_is_not_taken_over_by_a_file_with_its_id(runner, make_quiz):
    made = make_quiz(n_questions=2)
    made.slug, made.title = "monthly-kpi", "浏览器里建的测验"
    db.session.commit()
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    assert ("question_bank/quizzes/monthly-kpi.yaml: monthly-kpi: a quiz made in the browser has this ID"
            in result.output)
    assert "quizzes: added 9, updated 0, retired 0, conflicts 1" in result.output
    kept = db.session.get(Quiz, made.id)
    assert (kept.source, kept.title, len(kept.sections)) == ("browser", "浏览器里建的测验", 1)
    forced = runner.invoke(args=["content", "sync", "--force"])
    assert "conflicts 0" in forced.output.split("quizzes:")[1]
    assert db.session.get(Quiz, made.id).source == "file"
