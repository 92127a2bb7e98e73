"""case_analysis: a written answer to a case, graded by a person.

The payload holds a reference answer, key points and a rubric of criteria
with points. Automatic grading only marks the answer as pending; a trainer
awards points per criterion with `grade_by_rubric`. An essay imported from
Moodle has no rubric: it gets one overall criterion worth DEFAULT_POINTS.
A criterion is worth more than 0 and at most MAX_POINTS points.
"""

from __future__ import annotations

import math
from typing import Any

from app.bank.types.base import (
    N_,
    Grade,
    PayloadError,
    QuestionType,
    require_dict,
    text_of,
)

DEFAULT_POINTS = 10.0
DEFAULT_CRITERION = "总体评价 Overall"
MAX_POINTS = 1000.0


class CaseAnalysis(QuestionType):
    key = "case_analysis"
    auto_graded = False

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        rubric = []
        rows = payload.get("rubric") or [{"criterion": DEFAULT_CRITERION, "points": DEFAULT_POINTS}]
        if not isinstance(rows, list):
            raise PayloadError("rubric", N_("needs a list of criteria with points"))
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise PayloadError(f"rubric[{i}]", N_("must be a mapping with criterion and points"))
            points = row.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points < math.inf:
                raise PayloadError(f"rubric[{i}].points", N_("must be a positive number"))
            if points > MAX_POINTS:
                raise PayloadError(f"rubric[{i}].points", N_("must be between %(low)s and %(high)s"),
                                   low="0", high=f"{MAX_POINTS:g}")
            rubric.append({"criterion": text_of(row.get("criterion"), f"rubric[{i}].criterion"),
                           "points": float(points)})
        key_points = [text_of(p, f"key_points[{i}]") for i, p in enumerate(payload.get("key_points") or [])]
        return {"reference_answer": text_of(payload.get("reference_answer"), "reference_answer", allow_empty=True),
                "key_points": key_points, "rubric": rubric}

    def render_context(self, payload: dict) -> dict:
        return {"max_score": self.max_score(payload)}

    def max_score(self, payload: dict) -> float:
        return sum(row["points"] for row in payload["rubric"])

    def grade(self, payload: dict, response: Any) -> Grade:
        answered = isinstance(response, str) and response.strip()
        return Grade(0.0, self.max_score(payload), state="pending" if answered else None)

    def grade_by_rubric(self, payload: dict, awarded: list[float]) -> Grade:
        rubric = payload["rubric"]
        if len(awarded) != len(rubric):
            raise PayloadError("awarded", N_("needs %(n)d scores, one per criterion"), n=len(rubric))
        total = 0.0
        for i, (row, points) in enumerate(zip(rubric, awarded, strict=True)):
            if not 0 <= points <= row["points"]:
                raise PayloadError(f"awarded[{i}]", N_("must be between %(low)s and %(high)s"), low="0", high=f"{row['points']:g}")
            total += points
        return Grade(total, self.max_score(payload))

    def correct_response(self, payload: dict) -> str:
        return payload["reference_answer"]
