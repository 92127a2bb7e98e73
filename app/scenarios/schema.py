"""The file formats of scenarios/: rubrics, branching drills and role-play
cards. Validated with pydantic; graph checks live in ``drills.py``.

Text shown in the library (titles, summaries, rubric labels) comes in zh and
en; the scenario body (customer lines, choices, feedback, briefs) is written
once, in the language the team works in (Chinese for the shipped content).
See scenarios/README.md for a worked example of each format.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

COMPETENCIES = ("communication", "problem_solving", "emotion", "knowledge", "compliance")
Competency = Literal["communication", "problem_solving", "emotion", "knowledge", "compliance"]
EMOTIONS = ("calm", "confused", "anxious", "annoyed", "angry")
Emotion = Literal["calm", "confused", "anxious", "annoyed", "angry"]
SITUATIONS = ("daily_inquiry", "complaint_escalation", "special_request", "privacy_identity", "outage", "handoff")
Situation = Literal["daily_inquiry", "complaint_escalation", "special_request", "privacy_identity", "outage",
                    "handoff"]
ENDINGS = ("resolved", "escalated", "lost")
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
Code = Annotated[str, Field(pattern=r"^[a-z0-9_][a-z0-9_-]{0,39}$")]
Points = dict[Competency, Annotated[float, Field(ge=-100, le=100, allow_inf_nan=False)]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)  # NaN, ±inf: no score


# ---------------------------------------------------------------- rubrics

class LevelSpec(_Strict):
    points: float = Field(ge=0, le=100)
    zh: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)


class CriterionSpec(_Strict):
    code: Code
    label_zh: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)
    competency: Competency
    weight: float = Field(gt=0, le=100)
    critical: bool = False
    allow_na: bool = False
    levels: list[LevelSpec] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def ordered_levels(self):
        points = [level.points for level in self.levels]
        if points != sorted(points) or len(set(points)) != len(points):
            raise ValueError("levels must be listed from the lowest to the highest points, no two equal")
        if points[-1] <= 0:
            raise ValueError("the highest level must be worth more than 0 points")
        if self.critical and points[0] != 0:
            raise ValueError("a critical criterion needs a level worth 0 points (the failing level)")
        return self


class RubricSpec(_Strict):
    id: Slug
    kind: Literal["observation", "chat_qa", "call_qa", "survey"]
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    description_zh: str = ""
    description_en: str = ""
    criteria: list[CriterionSpec] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def unique_codes(self):
        seen = set()
        for criterion in self.criteria:
            if criterion.code in seen:
                raise ValueError(f"criterion code {criterion.code} is used twice")
            seen.add(criterion.code)
        return self


# ----------------------------------------------------------------- drills

class Condition(_Strict):
    mood_at_least: Emotion | None = None
    mood_at_most: Emotion | None = None
    score_at_least: float | None = None
    score_at_most: float | None = None

    @model_validator(mode="after")
    def not_empty(self):
        if all(v is None for v in (self.mood_at_least, self.mood_at_most, self.score_at_least, self.score_at_most)):
            raise ValueError("a condition needs mood_at_least, mood_at_most, score_at_least or score_at_most")
        return self


class Route(_Strict):
    when: Condition | None = Field(default=None, alias="if")
    to: str = Field(min_length=1, max_length=60)


def _routes(value):
    """`next: node` is shorthand for one unconditional route."""
    if isinstance(value, str):
        return [{"to": value}]
    return value


def _check_routes(routes):
    if routes is None:
        return None
    if routes[-1].when is not None:
        raise ValueError("the last route needs no `if`: it is taken when no condition holds")
    if any(r.when is None for r in routes[:-1]):
        raise ValueError("only the last route may go without `if`")
    return routes


class _Routed(_Strict):
    next: list[Route] = Field(min_length=1, max_length=10)

    @field_validator("next", mode="before")
    @classmethod
    def shorthand(cls, value):
        return _routes(value)

    @field_validator("next")
    @classmethod
    def default_last(cls, routes):
        return _check_routes(routes)


class ChoiceSpec(_Routed):
    text: str = Field(min_length=1, max_length=500)
    points: Points = Field(default_factory=dict)
    mood: int = Field(default=0, ge=-4, le=4)
    feedback: str = Field(default="", max_length=1000)


class RequiredSpec(_Strict):
    code: Code
    label: str = Field(min_length=1, max_length=60)
    any: list[str] = Field(default_factory=list, max_length=60)
    patterns: list[str] = Field(default_factory=list, max_length=10)
    competency: Competency = "communication"
    points: float = Field(default=1, ge=0, le=100)
    ok: str = Field(default="", max_length=500)
    missing: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def has_phrasings(self):
        if not self.any and not self.patterns:
            raise ValueError("list the acceptable phrasings under `any` (or `patterns`)")
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
        return self


class ForbiddenSpec(_Strict):
    code: Code
    label: str = Field(min_length=1, max_length=60)
    any: list[str] = Field(min_length=1, max_length=60)
    competency: Competency = "communication"
    penalty: float = Field(default=0, ge=-100, le=0)
    feedback: str = Field(default="", max_length=500)


class ReplySpec(_Strict):
    prompt: str = Field(default="", max_length=500)
    min_chars: int | None = Field(default=None, ge=1, le=2000)
    max_chars: int | None = Field(default=None, ge=1, le=2000)
    required: list[RequiredSpec] = Field(default_factory=list, max_length=20)
    forbidden: list[ForbiddenSpec] = Field(default_factory=list, max_length=20)
    next: list[Route] = Field(min_length=1, max_length=10)
    next_if_failed: list[Route] | None = None
    mood_if_passed: int = Field(default=0, ge=-4, le=4)
    mood_if_failed: int = Field(default=0, ge=-4, le=4)
    model_answer: str = Field(default="", max_length=2000)

    @field_validator("next", "next_if_failed", mode="before")
    @classmethod
    def shorthand(cls, value):
        return _routes(value) if value is not None else None

    @field_validator("next", "next_if_failed")
    @classmethod
    def default_last(cls, routes):
        return _check_routes(routes)

    @model_validator(mode="after")
    def checks_something(self):
        if not (self.required or self.forbidden or self.min_chars or self.max_chars):
            raise ValueError("a reply step needs at least one rule: required, forbidden, min_chars or max_chars")
        if self.min_chars and self.max_chars and self.min_chars > self.max_chars:
            raise ValueError("min_chars is above max_chars")
        codes = [r.code for r in self.required] + [f.code for f in self.forbidden]
        if len(codes) != len(set(codes)):
            raise ValueError("rule codes must be unique within a reply step")
        return self


class NodeSpec(_Strict):
    customer: str = Field(default="", max_length=2000)
    emotion: Emotion | None = None
    choices: list[ChoiceSpec] = Field(default_factory=list, max_length=8)
    reply: ReplySpec | None = None
    ending: Literal["resolved", "escalated", "lost"] | None = None
    points: Points = Field(default_factory=dict)
    feedback: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def one_kind(self):
        kinds = sum([bool(self.choices), self.reply is not None, self.ending is not None])
        if kinds != 1:
            raise ValueError("a node has exactly one of: choices, reply, ending")
        if self.points and self.ending is None:
            raise ValueError("only endings carry points of their own; give choices their points")
        return self


class _Card(_Strict):
    id: Slug
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    summary_zh: str = Field(default="", max_length=1000)
    summary_en: str = Field(default="", max_length=1000)
    situation: Situation
    difficulty: int = Field(ge=1, le=5)
    competencies: list[Competency] = Field(min_length=1)


class DrillSpec(_Card):
    kind: Literal["drill"] = "drill"
    start: str = Field(min_length=1, max_length=60)
    nodes: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,60}$")], NodeSpec] = Field(min_length=2,
                                                                                          max_length=200)

    @model_validator(mode="after")
    def start_mood(self):
        start = self.nodes.get(self.start)
        if start is not None and start.emotion is None:
            raise ValueError(f"the start node {self.start} needs an emotion")
        return self


# -------------------------------------------------------------- role-play

class CustomerBrief(_Strict):
    persona: str = Field(min_length=1, max_length=1000)
    situation: str = Field(min_length=1, max_length=2000)
    hidden_facts: list[str] = Field(default_factory=list, max_length=20)
    mood: str = Field(min_length=1, max_length=1000)
    opening_line: str = Field(min_length=1, max_length=500)


class AgentBrief(_Strict):
    situation: str = Field(min_length=1, max_length=2000)
    goal: str = Field(min_length=1, max_length=1000)
    resources: list[str] = Field(default_factory=list, max_length=20)


class RoleplaySpec(_Card):
    kind: Literal["roleplay"] = "roleplay"
    rubric: Slug
    minutes: int = Field(default=10, ge=1, le=120)
    customer_brief: CustomerBrief
    agent_brief: AgentBrief
