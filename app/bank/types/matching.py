"""matching: pair each left item with its right item; credit per right pair.

A response maps each left index to the chosen right index, as a list
(position = left index) or a dict.
"""

from __future__ import annotations

from typing import Any

from app.bank.types.base import N_, Grade, PayloadError, QuestionType, as_index, require_dict, require_list, text_of


class Matching(QuestionType):
    key = "matching"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        pairs = []
        for i, pair in enumerate(require_list(payload, "pairs", 2)):
            if not isinstance(pair, dict):
                raise PayloadError(f"pairs[{i}]", N_("must be a mapping with left and right"))
            pairs.append({"left": text_of(pair.get("left"), f"pairs[{i}].left"),
                          "right": text_of(pair.get("right"), f"pairs[{i}].right")})
        for side in ("left", "right"):
            values = [p[side] for p in pairs]
            if len(set(values)) != len(values):
                raise PayloadError("pairs", N_("two pairs have the same left text") if side == "left" else N_("two pairs have the same right text"))
        return {"pairs": pairs}

    def render_context(self, payload: dict) -> dict:
        pairs = payload["pairs"]
        return {"lefts": [{"index": i, "text": p["left"]} for i, p in enumerate(pairs)],
                "rights": [{"index": i, "text": p["right"]} for i, p in enumerate(pairs)],
                "shuffle": True}

    def _choices(self, payload: dict, response: Any) -> dict[int, int]:
        size = len(payload["pairs"])
        if isinstance(response, dict):
            items = response.items()
        elif isinstance(response, (list, tuple)):
            items = enumerate(response)
        else:
            return {}
        chosen = {}
        for left, right in items:
            left_index, right_index = as_index(left, size), as_index(right, size)
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
