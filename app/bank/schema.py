"""The file format of question_bank/**/*.yaml, checked with pydantic. Pure.

Each file is a YAML list of questions. Common keys: id (stable, unique across
the bank), type, category (an area/topic path), competency, difficulty 1–5,
tags, title, stem, stem_format (plain, markdown or html), explanation. Every
other key belongs to the type's payload (options, correct, answers, items,
pairs, reference_answer, key_points, rubric, …) and is checked by the type.
Quiz definitions under question_bank/quizzes/ are not questions and are
skipped here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app import yaml_safe as safe_yaml
from app.bank.types import PayloadError, UnknownQuestionType, get_type

COMPETENCIES = ("communication", "problem_solving", "emotion", "knowledge", "compliance")
SKIPPED_FOLDERS = {"quizzes"}


class QuestionSpec(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")
    type: str
    category: str = Field(min_length=1, max_length=200)
    competency: Literal["communication", "problem_solving", "emotion", "knowledge", "compliance"]
    difficulty: int = Field(ge=1, le=5)
    tags: list[str] = Field(default_factory=list)
    title: str = Field(default="", max_length=200)
    stem: str = Field(min_length=1)
    stem_format: Literal["plain", "markdown", "html"] = "plain"
    # May be empty: Aiken files never carry one and GIFT or Moodle XML imports often do not.
    explanation: str = ""


@dataclass(frozen=True)
class LoadedQuestion:
    uid: str
    type_key: str
    category: str
    competency: str
    difficulty: int
    tags: tuple[str, ...]
    title: str
    stem: str
    stem_format: str
    payload: dict
    explanation: str
    path: str
    line: int

    @property
    def content_hash(self) -> str:
        return content_hash(self.type_key, self.title, self.stem, self.stem_format, self.payload, self.explanation)


@dataclass(frozen=True)
class ContentError:
    path: str
    line: int
    item: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        parts = [where] + [p for p in (self.item, self.field) if p] + [self.message]
        return ": ".join(parts)


def content_hash(type_key, title, stem, stem_format, payload, explanation) -> str:
    canonical = json.dumps([type_key, title, stem, stem_format, payload, explanation],
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _item_lines(text: str) -> list[int]:
    node = safe_yaml.compose(text)
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []


def _field_of(error: dict) -> str:
    return ".".join(str(p) for p in error["loc"]) or "question"


def parse_question_file(path: str, text: str) -> tuple[list[LoadedQuestion], list[ContentError]]:
    try:
        data = safe_yaml.load(text)
        lines = _item_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return [], [ContentError(path, line, "", "", f"YAML syntax error: {getattr(exc, 'problem', exc)}")]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [ContentError(path, 1, "", "", "the file must be a list of questions")]
    questions, errors = [], []
    for index, raw in enumerate(data):
        line = lines[index] if index < len(lines) else 1
        label = str(raw.get("id", f"#{index + 1}")) if isinstance(raw, dict) else f"#{index + 1}"
        if not isinstance(raw, dict):
            errors.append(ContentError(path, line, label, "", "each question must be a mapping"))
            continue
        try:
            spec = QuestionSpec.model_validate(raw)
        except ValidationError as exc:
            errors.extend(ContentError(path, line, label, _field_of(e), e["msg"]) for e in exc.errors())
            continue
        try:
            payload = get_type(spec.type).validate(dict(spec.model_extra or {}))
        except UnknownQuestionType as exc:
            errors.append(ContentError(path, line, label, "type", str(exc)))
            continue
        except PayloadError as exc:
            errors.append(ContentError(path, line, label, exc.field, exc.message))
            continue
        questions.append(LoadedQuestion(
            uid=spec.id, type_key=spec.type, category=spec.category.strip("/"),
            competency=spec.competency, difficulty=spec.difficulty,
            tags=tuple(dict.fromkeys(t.strip() for t in spec.tags if t.strip())), title=spec.title,
            stem=spec.stem, stem_format=spec.stem_format, payload=payload,
            explanation=spec.explanation, path=path, line=line,
        ))
    return questions, errors


def load_question_bank(root: Path) -> tuple[list[LoadedQuestion], list[ContentError]]:
    """Every question under `root`, and every error, ids unique across files."""
    questions, errors = [], []
    for file in sorted(root.rglob("*.yaml")):
        relative = file.relative_to(root)
        if relative.parts and relative.parts[0] in SKIPPED_FOLDERS:
            continue
        shown = str(Path(root.name) / relative)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            errors.append(ContentError(shown, 1, "", "", "the file is not UTF-8"))
            continue
        found, problems = parse_question_file(shown, text)
        questions.extend(found)
        errors.extend(problems)
    first_seen: dict[str, LoadedQuestion] = {}
    unique = []
    for question in questions:
        if question.uid in first_seen:
            other = first_seen[question.uid]
            errors.append(ContentError(question.path, question.line, question.uid, "id",
                                       f"also used at {other.path}:{other.line}"))
        else:
            first_seen[question.uid] = question
            unique.append(question)
    return unique, errors
