"""numeric: a number within a tolerance of an accepted value.

The response may use full-width digits, thousands separators, a trailing
unit or a percent sign: `１,２００`, `92.5%`, `48 小时` all read as numbers.

Accepted values lie within ±MAX_MAGNITUDE and tolerances between 0 and
MAX_MAGNITUDE (10^15: beyond it a float no longer holds every whole number,
and no answer a trainer means is that large). `other_feedback`, when set,
is shown for a number that matches no accepted value (Moodle's `*` answer).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from app.bank.types.base import (
    N_,
    Grade,
    PayloadError,
    QuestionType,
    clamp,
    fraction_of,
    require_dict,
    require_list,
    text_of,
)

MAX_MAGNITUDE = 1e15

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            return None
        return number if math.isfinite(number) else None
    text = unicodedata.normalize("NFKC", str(value or "")).strip().replace(",", "").replace(" ", "")
    match = _NUMBER.match(text)
    if not match:
        return None
    number = float(match.group(0))
    return number if math.isfinite(number) else None


def _number(value: Any, where: str, low: float = -MAX_MAGNITUDE) -> float:
    number = parse_number(value) if not isinstance(value, str) or value.strip() else None
    if number is None:
        raise PayloadError(where, N_("“%(value)s” is not a number"), value=value)
    if not low <= number <= MAX_MAGNITUDE:
        raise PayloadError(where, N_("must be between %(low)s and %(high)s"), low=f"{low:g}", high=f"{MAX_MAGNITUDE:g}")
    return number


class Numeric(QuestionType):
    key = "numeric"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        answers = []
        for i, answer in enumerate(require_list(payload, "answers")):
            if not isinstance(answer, dict):
                raise PayloadError(f"answers[{i}]", N_("must be a mapping with value and tolerance"))
            value = _number(answer.get("value"), f"answers[{i}].value")
            answers.append({
                "value": value,
                "tolerance": _number(answer.get("tolerance", 0), f"answers[{i}].tolerance", low=0.0),
                "fraction": fraction_of(answer.get("fraction", 1), f"answers[{i}].fraction", 0.0, 1.0),
                "feedback": text_of(answer.get("feedback"), f"answers[{i}].feedback", allow_empty=True),
            })
        if not any(a["fraction"] == 1 for a in answers):
            raise PayloadError("answers", N_("at least one answer must have fraction 1"))
        validated = {"answers": answers, "unit": text_of(payload.get("unit"), "unit", allow_empty=True)}
        other_feedback = text_of(payload.get("other_feedback"), "other_feedback", allow_empty=True)
        if other_feedback:  # stored only when set, so older payloads keep their hash
            validated["other_feedback"] = other_feedback
        return validated

    def render_context(self, payload: dict) -> dict:
        return {"unit": payload.get("unit", "")}

    def grade(self, payload: dict, response: Any) -> Grade:
        number = parse_number(response)
        if number is None:
            return Grade(0.0, 1.0)
        matching = [a for a in payload["answers"] if abs(number - a["value"]) <= a["tolerance"] + 1e-9]
        if not matching:
            other = payload.get("other_feedback", "")
            return Grade(0.0, 1.0, [other] if other else [])
        best = max(matching, key=lambda a: a["fraction"])
        return Grade(clamp(best["fraction"]), 1.0, [best["feedback"]] if best["feedback"] else [])

    def correct_response(self, payload: dict) -> float:
        return next(a["value"] for a in payload["answers"] if a["fraction"] == 1)
