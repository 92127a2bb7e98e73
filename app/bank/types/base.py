"""What every question type provides. Pure: no Flask, no database.

A type validates its payload (the JSON stored on a question version), gives
the context to render it *without the answer key*, grades a response, and
knows the response that earns full marks (for review pages and tests).
"""

from __future__ import annotations

import math
import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar


def N_(message: str) -> str:
    """Marks a message for extraction into the catalogues; the web layer
    translates it (pure code has no locale)."""
    return message


class PayloadError(ValueError):
    """A payload breaks its type's rules; `field` says where. `template` and
    `params` let the web layer show the message in the reader's language;
    `message` is the English text."""

    def __init__(self, field: str, template: str, **params):
        self.field = field
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(f"{field}: {self.message}")


@dataclass(frozen=True)
class Grade:
    score: float
    max_score: float
    feedback: list[str] = field(default_factory=list)
    # None for automatic grades; "pending" when a person must grade.
    state: str | None = None

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


class QuestionType(ABC):
    key: ClassVar[str]
    auto_graded: ClassVar[bool] = True

    @abstractmethod
    def validate(self, payload: Any) -> dict:
        """The normalised payload, or PayloadError naming the field."""

    @abstractmethod
    def render_context(self, payload: dict) -> dict:
        """What the agent's page needs, never the key."""

    @abstractmethod
    def grade(self, payload: dict, response: Any) -> Grade:
        """Score, maximum and feedback for a response (0 for no answer)."""

    @abstractmethod
    def correct_response(self, payload: dict) -> Any:
        """A response that earns full marks (for review pages and tests)."""

    def max_score(self, payload: dict) -> float:
        return 1.0


# --- shared helpers --------------------------------------------------------

def require_dict(payload: Any) -> dict:
    if not isinstance(payload, dict):
        raise PayloadError("payload", N_("must be a mapping"))
    return payload


def require_list(payload: dict, name: str, minimum: int = 1) -> list:
    value = payload.get(name)
    if not isinstance(value, list) or len(value) < minimum:
        raise PayloadError(name, N_("needs a list of at least %(n)d"), n=minimum)
    return value


def text_of(value: Any, where: str, *, allow_empty: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PayloadError(where, N_("must be text"))
    text = str(value).strip()
    if not text and not allow_empty:
        raise PayloadError(where, N_("must not be empty"))
    return text


def fraction_of(value: Any, where: str, low: float = -1.0, high: float = 1.0) -> float:
    if isinstance(value, bool):
        raise PayloadError(where, N_("must be a number"))
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    except (TypeError, ValueError):
        raise PayloadError(where, N_("“%(value)s” is not a number"), value=value) from None
    if math.isnan(number) or not low <= number <= high:
        raise PayloadError(where, N_("must be between %(low)s and %(high)s"), low=f"{low:g}", high=f"{high:g}")
    return round(number, 7)


TEXT_FORMATS = ("plain", "markdown", "html")


def text_format_of(value: Any, where: str) -> str:
    """The format of an option's or a pair's text; missing or empty means plain."""
    if value in (None, ""):
        return "plain"
    if value not in TEXT_FORMATS:
        raise PayloadError(where, N_("must be plain, markdown or html"))
    return value


def with_text_format(item: dict, text_format: str) -> dict:
    """Stored only when not plain, so payloads written before formats existed keep their hash."""
    return {**item, "format": text_format} if text_format != "plain" else item


def clamp(score: float, maximum: float = 1.0) -> float:
    return max(0.0, min(maximum, score))


_SPACES = re.compile(r"\s+")


def normalise_text(text: Any, *, case_sensitive: bool = False) -> str:
    """Full-width → half-width (NFKC), spaces collapsed and trimmed, case folded."""
    value = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    value = _SPACES.sub(" ", value).strip()
    return value if case_sensitive else value.casefold()


def as_index(value: Any, size: int) -> int | None:
    """An option index from a response value, or None when it is not one."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        return None
    try:
        index = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return index if 0 <= index < size else None
