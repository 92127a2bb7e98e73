"""The quizzes shipped in question_bank/quizzes/ load and can be taken."""

from sqlalchemy import select

from app.extensions import db
from app.quiz.models import Assignment, Quiz
from app.quiz.services import start_attempt


def test_shipped_quizzes_sync_and_draw(runner, make_user):
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    assert "quizzes: added 10" in result.output
    assert "quizzes: added 0, updated 0, retired 0" in runner.invoke(args=["content", "sync"]).output

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
