"""true_false: the statement is true or false; feedback per answer given."""

from __future__ import annotations

from typing import Any

from app.bank.types.base import N_, Grade, PayloadError, QuestionType, require_dict, text_of

TRUE_WORDS = {"true", "t", "1", "yes", "对", "正确", "是"}
FALSE_WORDS = {"false", "f", "0", "no", "错", "错误", "否"}


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value if value is not None else "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


class TrueFalse(QuestionType):
    key = "true_false"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        if not isinstance(payload.get("correct"), bool):
            raise PayloadError("correct", N_("must be true or false"))
        return {
            "correct": payload["correct"],
            "feedback_true": text_of(payload.get("feedback_true"), "feedback_true", allow_empty=True),
            "feedback_false": text_of(payload.get("feedback_false"), "feedback_false", allow_empty=True),
        }

    def render_context(self, payload: dict) -> dict:
        return {}

    def grade(self, payload: dict, response: Any) -> Grade:
        answer = as_bool(response)
        if answer is None:
            return Grade(0.0, 1.0)
        feedback = payload["feedback_true"] if answer else payload["feedback_false"]
        return Grade(1.0 if answer == payload["correct"] else 0.0, 1.0, [feedback] if feedback else [])

    def correct_response(self, payload: dict) -> bool:
        return payload["correct"]
