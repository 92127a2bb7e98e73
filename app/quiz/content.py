"""Quiz definitions as files: question_bank/quizzes/*.yaml, one quiz a file.

    id: onboarding-certification        # stable slug
    title: 基础服务能力测评
    kind: onboarding                     # practice | knowledge | exam | onboarding
    questions_per_page: 2
    navigation: free                     # free | sequential
    shuffle_questions: true
    shuffle_options: true
    time_limit_minutes: 40               # optional
    attempts_allowed: 3                  # optional (unlimited)
    grading_method: highest              # highest | last | first | average
    pass_mark: 80                        # percent, optional
    review: {when: immediately, own_answers: true, marks: true, right_answers: false, feedback: true}
    assign_tiers: [onboarding]           # optional: a standing assignment to these tiers
    sections:
      - title: 服务礼仪
        mark: 1
        draw: {count: 3, category: 服务礼仪, difficulty_max: 3}
      - fixed: [etq-greet-001]

Synced by `flask --app app content sync` after the questions; a quiz whose
file disappears is retired, never deleted (attempts point at it).

Numbers are YAML numbers (not strings, not true/false), finite, and inside
the ranges below; `difficulty_min` may not exceed `difficulty_max`. An error
names the file and the line of the field at fault.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from app import yaml_safe as safe_yaml
from app.bank.schema import ContentError

# `true` is not 1 and "5" is not 5 in a settings file; NaN and infinities are no setting at all
Whole = Annotated[int, Field(strict=True)]
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class DrawSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Whole = Field(ge=1, le=200)
    category: str = ""
    tags: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    competencies: list[str] = Field(default_factory=list)
    difficulty_min: Whole = Field(default=1, ge=1, le=5)
    difficulty_max: Whole = Field(default=5, ge=1, le=5)

    @field_validator("difficulty_max")
    @classmethod
    def not_below_the_minimum(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("difficulty_min")
        if low is not None and value < low:
            raise ValueError(f"must not be below difficulty_min ({low})")
        return value


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = ""
    mark: Finite = Field(default=1.0, gt=0, le=100)
    fixed: list[str] = Field(default_factory=list)
    draw: DrawSpec | None = None

    @model_validator(mode="after")
    def has_questions(self):
        if not self.fixed and self.draw is None:
            raise ValueError("a section needs fixed questions or a draw")
        return self


class ReviewSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: Literal["immediately", "after_close"] = "immediately"
    own_answers: bool = True
    marks: bool = True
    right_answers: bool = True
    feedback: bool = True


class QuizSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    kind: Literal["practice", "knowledge", "exam", "onboarding"]
    questions_per_page: Whole = Field(default=1, ge=1, le=50)
    navigation: Literal["free", "sequential"] = "free"
    shuffle_questions: bool = False
    shuffle_options: bool = True
    time_limit_minutes: Whole | None = Field(default=None, ge=1, le=600)
    attempts_allowed: Whole | None = Field(default=None, ge=1, le=100)
    grading_method: Literal["highest", "last", "first", "average"] = "highest"
    pass_mark: Finite | None = Field(default=None, ge=0, le=100)
    review: ReviewSpec = Field(default_factory=ReviewSpec)
    assign_tiers: list[Literal["onboarding", "in_service", "elite"]] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(min_length=1)


def load_quiz_files(root: Path, known_uids: set[str]) -> tuple[list[tuple[QuizSpec, str]], list[ContentError]]:
    folder = root / "quizzes"
    quizzes, errors, seen = [], [], {}
    for file in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        shown = str(Path(root.name) / file.relative_to(root))
        try:
            text = file.read_text(encoding="utf-8-sig")
            data, composed = safe_yaml.load(text), safe_yaml.compose(text)
            spec = QuizSpec.model_validate(data)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            errors.append(ContentError(shown, mark.line + 1 if mark else 1, "", "", f"YAML syntax error: {exc}"))
            continue
        except ValidationError as exc:
            label = data.get("id", "") if isinstance(data, dict) else ""
            errors.extend(ContentError(shown, safe_yaml.line_of(composed, e["loc"]), str(label),
                                       ".".join(str(p) for p in e["loc"]), e["msg"])
                          for e in exc.errors())
            continue
        for index, section in enumerate(spec.sections):
            for uid in section.fixed:
                if uid not in known_uids:
                    errors.append(ContentError(shown, safe_yaml.line_of(composed, ["sections", index, "fixed"]),
                                               spec.id, f"sections.{index}.fixed", f"question {uid} does not exist"))
        if spec.id in seen:
            errors.append(ContentError(shown, safe_yaml.line_of(composed, ["id"]), spec.id, "id",
                                       f"also used in {seen[spec.id]}"))
            continue
        seen[spec.id] = shown
        quizzes.append((spec, shown))
    return quizzes, errors
