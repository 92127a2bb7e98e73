"""Reading an answer from submitted form fields, per question type, and the
display order of shuffled options. Pure: takes a mapping with getlist()."""

from __future__ import annotations

import random
from typing import Any


def display_order(size: int, seed: int | str | None, shuffle: bool = True) -> list[int]:
    order = list(range(size))
    if shuffle and seed is not None:
        random.Random(f"{seed}").shuffle(order)
    return order


def _ints(values) -> list[int | None]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            out.append(None)
    return out


def response_from_form(type_key: str, form, prefix: str = "response") -> Any:
    """The response value the type's grade() expects, from form fields named
    `prefix` (and `prefix-N` for rows). Unanswered → None."""
    if type_key == "single_choice":
        value = form.get(prefix)
        return int(value) if value not in (None, "") and str(value).lstrip("-").isdigit() else None
    if type_key == "multiple_choice":
        chosen = [i for i in _ints(form.getlist(prefix)) if i is not None]
        return sorted(set(chosen)) or None
    if type_key == "true_false":
        value = form.get(prefix)
        return {"true": True, "false": False}.get(value)
    if type_key in ("fill_blank", "numeric", "case_analysis"):
        value = form.get(prefix, "")
        return value if value.strip() else None
    if type_key in ("ordering", "matching"):
        picks = _ints(form.getlist(prefix))
        return picks if any(p is not None for p in picks) else None
    return None


SHUFFLED_BY_POSITION = {"ordering": "items", "matching": "rights"}


def to_payload_indices(type_key: str, response: Any, order: dict | None) -> Any:
    """Ordering and matching pages send display positions; map them back to the
    payload's indices with the order the page was shown in."""
    key = SHUFFLED_BY_POSITION.get(type_key)
    if key is None or not isinstance(response, list):
        return response
    mapping = (order or {}).get(key) or []
    return [mapping[v] if v is not None and 0 <= v < len(mapping) else None for v in response]
