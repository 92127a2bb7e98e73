"""fill_blank: a short free answer matched against accepted answers.

Matching ignores full-width/half-width differences, surrounding and repeated
spaces and (unless case_sensitive) letter case; the best matching answer's
fraction is the score. `*` in an accepted answer matches any run of text, as
in Moodle's short answer.
"""

from __future__ import annotations

import re
from typing import Any

from app.bank.types.base import (
    N_,
    Grade,
    PayloadError,
    QuestionType,
    clamp,
    fraction_of,
    normalise_text,
    require_dict,
    require_list,
    text_of,
)


def _pattern(answer: str, case_sensitive: bool) -> re.Pattern:
    parts = [re.escape(normalise_text(p, case_sensitive=case_sensitive)) for p in answer.split("*")]
    return re.compile("^" + ".*".join(parts) + "$", re.DOTALL)


class FillBlank(QuestionType):
    key = "fill_blank"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        answers = []
        for i, answer in enumerate(require_list(payload, "answers")):
            if not isinstance(answer, dict):
                raise PayloadError(f"answers[{i}]", N_("must be a mapping with text and fraction"))
            answers.append({
                "text": text_of(answer.get("text"), f"answers[{i}].text"),
                "fraction": fraction_of(answer.get("fraction", 1), f"answers[{i}].fraction", 0.0, 1.0),
                "feedback": text_of(answer.get("feedback"), f"answers[{i}].feedback", allow_empty=True),
            })
        if not any(a["fraction"] == 1 for a in answers):
            raise PayloadError("answers", N_("at least one answer must have fraction 1"))
        return {"answers": answers, "case_sensitive": bool(payload.get("case_sensitive", False))}

    def render_context(self, payload: dict) -> dict:
        return {}

    def grade(self, payload: dict, response: Any) -> Grade:
        case_sensitive = payload.get("case_sensitive", False)
        given = normalise_text(response, case_sensitive=case_sensitive) if isinstance(response, (str, int, float)) else ""
        if not given:
            return Grade(0.0, 1.0)
        best = None
        for answer in payload["answers"]:
            if _pattern(answer["text"], case_sensitive).match(given) and (best is None or answer["fraction"] > best["fraction"]):
                best = answer
        if best is None:
            return Grade(0.0, 1.0)
        return Grade(clamp(best["fraction"]), 1.0, [best["feedback"]] if best["feedback"] else [])

    def correct_response(self, payload: dict) -> str:
        return next(a["text"] for a in payload["answers"] if a["fraction"] == 1 and "*" not in a["text"])
