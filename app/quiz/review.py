"""What the review page may show, by the quiz's review policy."""

from __future__ import annotations

from app.db_types import utcnow
from app.quiz.models import DEFAULT_REVIEW, Attempt
from app.quiz.view import ordered_context


def _waiting(quiz, policy: dict) -> bool:
    return policy["when"] == "after_close" and (quiz.close_at is None or utcnow() < quiz.close_at)


def marks_visible(quiz) -> bool:
    """May the agent see scores and pass/fail of this quiz now (review policy)?"""
    policy = {**DEFAULT_REVIEW, **(quiz.review or {})}
    return bool(policy["marks"]) and not _waiting(quiz, policy)


def review_view(attempt: Attempt) -> dict:
    quiz = attempt.quiz
    policy = {**DEFAULT_REVIEW, **(quiz.review or {})}
    waiting = _waiting(quiz, policy)
    show = {k: bool(policy[k]) and not waiting for k in ("own_answers", "marks", "right_answers", "feedback")}
    slots = []
    if any(show.values()):
        for slot in attempt.slots:
            slots.append({"slot": slot, "version": slot.question_version, "render": ordered_context(slot),
                          "response": slot.response if show["own_answers"] else None})
    return {"waiting": waiting, "show": show, "slots": slots,
            "pending": sum(1 for s in attempt.slots if s.needs_grading)}
