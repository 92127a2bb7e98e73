"""matching: pair each left item with its right item; credit per right pair.

Distractors are extra right-hand items that match no left item (Moodle's
subquestions without text, GIFT's `= -> item`): they are offered among the
choices and earn nothing. A pair's left text may carry a format ("markdown"
or "html"); the right side is plain text, listed in a drop-down.

A response maps each left index to the chosen right index, as a list
(position = left index) or a dict. Right indices run over the pairs' right
sides, then the distractors.
"""

from __future__ import annotations

from typing import Any

from app.bank.types.base import (
    N_,
    Grade,
    PayloadError,
    QuestionType,
    as_index,
    require_dict,
    require_list,
    text_format_of,
    text_of,
    with_text_format,
)


def _rights(payload: dict) -> list[str]:
    return [p["right"] for p in payload["pairs"]] + payload.get("distractors", [])


class Matching(QuestionType):
    key = "matching"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        pairs = []
        for i, pair in enumerate(require_list(payload, "pairs", 2)):
            if not isinstance(pair, dict):
                raise PayloadError(f"pairs[{i}]", N_("must be a mapping with left and right"))
            pairs.append(with_text_format({"left": text_of(pair.get("left"), f"pairs[{i}].left"),
                                           "right": text_of(pair.get("right"), f"pairs[{i}].right")},
                                          text_format_of(pair.get("format"), f"pairs[{i}].format")))
        for side in ("left", "right"):
            values = [p[side] for p in pairs]
            if len(set(values)) != len(values):
                raise PayloadError("pairs", N_("two pairs have the same left text") if side == "left" else N_("two pairs have the same right text"))
        distractors = payload.get("distractors") or []
        if not isinstance(distractors, list):
            raise PayloadError("distractors", N_("must be a list of texts"))
        distractors = [text_of(item, f"distractors[{i}]") for i, item in enumerate(distractors)]
        rights = [p["right"] for p in pairs] + distractors
        if len(set(rights)) != len(rights):
            raise PayloadError("distractors", N_("a distractor repeats a right-hand text"))
        # stored only when there are some, so older payloads keep their hash
        return {"pairs": pairs, "distractors": distractors} if distractors else {"pairs": pairs}

    def render_context(self, payload: dict) -> dict:
        return {"lefts": [{"index": i, "text": p["left"], "format": p.get("format", "plain")}
                          for i, p in enumerate(payload["pairs"])],
                "rights": [{"index": i, "text": text} for i, text in enumerate(_rights(payload))],
                "shuffle": True}

    def _choices(self, payload: dict, response: Any) -> dict[int, int]:
        lefts, rights = len(payload["pairs"]), len(_rights(payload))
        if isinstance(response, dict):
            items = response.items()
        elif isinstance(response, (list, tuple)):
            items = enumerate(response)
        else:
            return {}
        chosen = {}
        for left, right in items:
            left_index, right_index = as_index(left, lefts), as_index(right, rights)
            if left_index is not None and right_index is not None:
                chosen[left_index] = right_index
        return chosen

    def grade(self, payload: dict, response: Any) -> Grade:
        size = len(payload["pairs"])
        chosen = self._choices(payload, response)
        right = sum(1 for left, choice in chosen.items() if left == choice)
        return Grade(right / size, 1.0)

    def correct_response(self, payload: dict) -> list[int]:
        return list(range(len(payload["pairs"])))
