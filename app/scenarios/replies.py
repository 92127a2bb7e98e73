"""Checking a typed reply against a drill step's phrasing rules. Pure.

This is a *phrasing check*, not a judge: it looks for the phrasings the
scenario's author listed, nothing more. The UI says so.

Matching is done on a normalised form of both the reply and the phrasings:

* Unicode NFKC, so full-width letters, digits and punctuation (，。！？：
  ０１２ ＡＢＣ) become their ASCII forms;
* lower case;
* whitespace and punctuation removed, so "您好！" matches "您好" and
  "24 小时" matches "24小时".

A required element is a *group* of acceptable phrasings (synonyms): any one
of its phrases, or any of its regular-expression patterns, satisfies it.
Patterns run on the normalised text, so write them without punctuation or
spaces (for example ``\\d+(分钟|小时|个?工作日)``).

A forbidden element fails the reply when any of its phrasings appears.
Length bounds count the characters the agent typed, after trimming.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC, lower case, no whitespace or punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "").lower())


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@dataclass(frozen=True)
class RequiredRule:
    code: str
    label: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    competency: str = "communication"
    points: float = 1.0
    feedback_ok: str = ""
    feedback_missing: str = ""


@dataclass(frozen=True)
class ForbiddenRule:
    code: str
    label: str
    phrases: tuple[str, ...]
    competency: str = "communication"
    penalty: float = 0.0            # ≤ 0: added to the competency when the rule is broken
    feedback: str = ""


@dataclass(frozen=True)
class ReplyRules:
    required: tuple[RequiredRule, ...] = ()
    forbidden: tuple[ForbiddenRule, ...] = ()
    min_chars: int | None = None
    max_chars: int | None = None


@dataclass(frozen=True)
class RuleOutcome:
    code: str
    label: str
    kind: str              # required | forbidden | length
    ok: bool
    feedback: str
    matched: str = ""      # the phrasing found (required: what satisfied it; forbidden: what broke it);
                           # for length outcomes (code too_short / too_long / length): the length typed


@dataclass(frozen=True)
class ReplyCheck:
    passed: bool
    outcomes: tuple[RuleOutcome, ...]
    points: dict[str, float]


def _find(normalised_reply: str, phrases: Sequence[str], patterns: Sequence[str] = ()) -> str:
    for phrase in phrases:
        key = normalise(phrase)
        if key and key in normalised_reply:
            return phrase
    for pattern in patterns:
        found = _compiled(pattern).search(normalised_reply)
        if found:
            return found.group(0)
    return ""


def check_reply(rules: ReplyRules, reply: str) -> ReplyCheck:
    """Check one reply. Passed = every required element present, nothing
    forbidden, length within bounds. Points: each required element found
    earns its points in its competency; each forbidden one broken adds its
    (negative) penalty."""
    text = (reply or "").strip()
    key = normalise(text)
    outcomes: list[RuleOutcome] = []
    points: dict[str, float] = {}
    length = len(text)
    if rules.min_chars is not None and length < rules.min_chars:
        outcomes.append(RuleOutcome("too_short", "", "length", False, "", str(length)))
    elif rules.max_chars is not None and length > rules.max_chars:
        outcomes.append(RuleOutcome("too_long", "", "length", False, "", str(length)))
    elif rules.min_chars is not None or rules.max_chars is not None:
        outcomes.append(RuleOutcome("length", "", "length", True, "", str(length)))
    for rule in rules.required:
        found = _find(key, rule.phrases, rule.patterns)
        if found:
            points[rule.competency] = points.get(rule.competency, 0.0) + rule.points
        outcomes.append(RuleOutcome(rule.code, rule.label, "required", bool(found),
                                    rule.feedback_ok if found else rule.feedback_missing, found))
    for rule in rules.forbidden:
        found = _find(key, rule.phrases)
        if found:
            points[rule.competency] = points.get(rule.competency, 0.0) + rule.penalty
        outcomes.append(RuleOutcome(rule.code, rule.label, "forbidden", not found, rule.feedback if found else "",
                                    found))
    return ReplyCheck(passed=all(o.ok for o in outcomes), outcomes=tuple(outcomes), points=points)
