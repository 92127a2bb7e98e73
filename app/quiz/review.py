"""What the review page may show, by the quiz's review policy."""

from __future__ import annotations

from app.db_types import utcnow
from app.quiz.models import DEFAULT_REVIEW, Attempt
from app.quiz.view import ordered_context


def review_view(attempt: Attempt) -> dict:
    quiz = attempt.quiz
    policy = {**DEFAULT_REVIEW, **(quiz.review or {})}
    waiting = policy["when"] == "after_close" and (quiz.close_at is None or utcnow() < quiz.close_at)
    show = {k: bool(policy[k]) and not waiting for k in ("own_answers", "marks", "right_answers", "feedback")}
    slots = []
    if any(show.values()):
        for slot in attempt.slots:
            slots.append({"slot": slot, "version": slot.question_version, "render": ordered_context(slot),
                          "response": slot.response if show["own_answers"] else None})
    return {"waiting": waiting, "show": show, "slots": slots,
            "pending": sum(1 for s in attempt.slots if s.needs_grading)}
