"""ordering: put the items in order.

Items are stored in the right order. A response lists item indices in the
order the agent chose. Partial credit comes from the longest run of items
that stand in the right relative order (not necessarily adjacent): with n
items and a longest ordered subsequence of length L, the score is
(L − 1) / (n − 1), so a fully reversed order earns 0 and the key earns 1.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from app.bank.types.base import N_, Grade, PayloadError, QuestionType, as_index, require_dict, require_list, text_of


def longest_increasing_run(sequence: list[int]) -> int:
    tails: list[int] = []
    for value in sequence:
        position = bisect_left(tails, value)
        if position == len(tails):
            tails.append(value)
        else:
            tails[position] = value
    return len(tails)


class Ordering(QuestionType):
    key = "ordering"

    def validate(self, payload: Any) -> dict:
        payload = require_dict(payload)
        items = [text_of(item, f"items[{i}]") for i, item in enumerate(require_list(payload, "items", 2))]
        if len(set(items)) != len(items):
            raise PayloadError("items", N_("two items have the same text"))
        return {"items": items}

    def render_context(self, payload: dict) -> dict:
        return {"items": [{"index": i, "text": t} for i, t in enumerate(payload["items"])], "shuffle": True}

    def grade(self, payload: dict, response: Any) -> Grade:
        size = len(payload["items"])
        if not isinstance(response, (list, tuple)):
            return Grade(0.0, 1.0)
        seen, order = set(), []
        for value in response:
            index = as_index(value, size)
            if index is not None and index not in seen:
                seen.add(index)
                order.append(index)
        if len(order) < 2:
            return Grade(0.0, 1.0)
        run = longest_increasing_run(order)
        return Grade(max(0.0, (run - 1) / (size - 1)), 1.0)

    def correct_response(self, payload: dict) -> list[int]:
        return list(range(len(payload["items"])))
