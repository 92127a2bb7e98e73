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
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app import yaml_safe as safe_yaml
from app.bank.schema import ContentError


class DrawSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=200)
    category: str = ""
    tags: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    competencies: list[str] = Field(default_factory=list)
    difficulty_min: int = Field(default=1, ge=1, le=5)
    difficulty_max: int = Field(default=5, ge=1, le=5)


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = ""
    mark: float = Field(default=1.0, gt=0, le=100)
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
    questions_per_page: int = Field(default=1, ge=1, le=50)
    navigation: Literal["free", "sequential"] = "free"
    shuffle_questions: bool = False
    shuffle_options: bool = True
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600)
    attempts_allowed: int | None = Field(default=None, ge=1, le=100)
    grading_method: Literal["highest", "last", "first", "average"] = "highest"
    pass_mark: float | None = Field(default=None, ge=0, le=100)
    review: ReviewSpec = Field(default_factory=ReviewSpec)
    assign_tiers: list[Literal["onboarding", "in_service", "elite"]] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(min_length=1)


def load_quiz_files(root: Path, known_uids: set[str]) -> tuple[list[tuple[QuizSpec, str]], list[ContentError]]:
    folder = root / "quizzes"
    quizzes, errors, seen = [], [], {}
    for file in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        shown = str(Path(root.name) / file.relative_to(root))
        try:
            data = safe_yaml.load(file.read_text(encoding="utf-8-sig"))
            spec = QuizSpec.model_validate(data)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            errors.append(ContentError(shown, mark.line + 1 if mark else 1, "", "", f"YAML syntax error: {exc}"))
            continue
        except ValidationError as exc:
            label = data.get("id", "") if isinstance(data, dict) else ""
            errors.extend(ContentError(shown, 1, str(label), ".".join(str(p) for p in e["loc"]), e["msg"])
                          for e in exc.errors())
            continue
        for index, section in enumerate(spec.sections):
            for uid in section.fixed:
                if uid not in known_uids:
                    errors.append(ContentError(shown, 1, spec.id, f"sections.{index}.fixed",
                                               f"question {uid} does not exist"))
        if spec.id in seen:
            errors.append(ContentError(shown, 1, spec.id, "id", f"also used in {seen[spec.id]}"))
            continue
        seen[spec.id] = shown
        quizzes.append((spec, shown))
    return quizzes, errors
