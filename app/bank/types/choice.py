"""single_choice and multiple_choice: options with fractions (Moodle's model).

Fractions run from −1 to 1. A single choice has exactly one option worth 1.
A multiple choice's positive fractions add up to 1; wrong options may carry
negative fractions. Partial credit adds the fractions of the chosen options
(floor 0, ceiling 1); all-or-nothing gives 1 only for exactly the right set.
An option may carry the format of its text ("markdown" or "html"; plain
when absent). Responses are option indices in payload order; the page may show the options
shuffled, but it sends back these indices.
"""

from __future__ import annotations

from typing import Any

from app.bank.types.base import (
    N_,
    Grade,
    PayloadError,
    QuestionType,
    as_index,
    clamp,
    fraction_of,
    require_dict,
    require_list,
    text_format_of,
    text_of,
    with_text_format,
)


def _options(payload: dict) -> list[dict]:
    options = []
    for i, option in enumerate(require_list(payload, "options", 2)):
        if not isinstance(option, dict):
            raise PayloadError(f"options[{i}]", N_("must be a mapping with text and fraction"))
        options.append(with_text_format({
            "text": text_of(option.get("text"), f"options[{i}].text"),
            "fraction": fraction_of(option.get("fraction", 0), f"options[{i}].fraction"),
            "feedback": text_of(option.get("feedback"), f"options[{i}].feedback", allow_empty=True),
        }, text_format_of(option.get("format"), f"options[{i}].format")))
    texts = [o["text"] for o in options]
    if len(set(texts)) != len(texts):
        raise PayloadError("options", N_("two options have the same text"))
    return options


def _public(options: list[dict]) -> list[dict]:
    return [{"index": i, "text": o["text"], "format": o.get("format", "plain")} for i, o in enumerate(options)]


class SingleChoice(QuestionType):
    key = "single_choice"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        options = _options(payload)
        best = [o for o in options if o["fraction"] == 1]
        if len(best) != 1:
            raise PayloadError("options", N_("exactly one option must have fraction 1"))
        return {"options": options, "shuffle": bool(payload.get("shuffle", True))}

    def render_context(self, payload: dict) -> dict:
        return {"options": _public(payload["options"]), "shuffle": payload.get("shuffle", True)}

    def grade(self, payload: dict, response: Any) -> Grade:
        options = payload["options"]
        index = as_index(response, len(options))
        if index is None:
            return Grade(0.0, 1.0)
        chosen = options[index]
        return Grade(clamp(chosen["fraction"]), 1.0, [chosen["feedback"]] if chosen["feedback"] else [])

    def correct_response(self, payload: dict) -> int:
        return next(i for i, o in enumerate(payload["options"]) if o["fraction"] == 1)


class MultipleChoice(QuestionType):
    key = "multiple_choice"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        options = _options(payload)
        positive = sum(o["fraction"] for o in options if o["fraction"] > 0)
        if abs(positive - 1) > 0.001:
            raise PayloadError("options", N_("the positive fractions must add up to 1 (they add up to %(sum)s)"), sum=f"{positive:g}")
        grading = payload.get("grading", "partial")
        if grading not in ("partial", "all_or_nothing"):
            raise PayloadError("grading", N_("must be partial or all_or_nothing"))
        return {"options": options, "grading": grading, "shuffle": bool(payload.get("shuffle", True))}

    def render_context(self, payload: dict) -> dict:
        return {"options": _public(payload["options"]), "shuffle": payload.get("shuffle", True)}

    def _chosen(self, payload: dict, response: Any) -> set[int]:
        if not isinstance(response, (list, tuple, set)):
            return set()
        size = len(payload["options"])
        return {i for i in (as_index(v, size) for v in response) if i is not None}

    def grade(self, payload: dict, response: Any) -> Grade:
        options = payload["options"]
        chosen = self._chosen(payload, response)
        feedback = [options[i]["feedback"] for i in sorted(chosen) if options[i]["feedback"]]
        if payload.get("grading") == "all_or_nothing":
            right = {i for i, o in enumerate(options) if o["fraction"] > 0}
            return Grade(1.0 if chosen == right else 0.0, 1.0, feedback)
        return Grade(clamp(sum(options[i]["fraction"] for i in chosen)), 1.0, feedback)

    def correct_response(self, payload: dict) -> list[int]:
        return [i for i, o in enumerate(payload["options"]) if o["fraction"] > 0]
