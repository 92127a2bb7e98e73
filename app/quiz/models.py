"""Quizzes, their sections, assignments, attempts and attempt slots."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.bank.models import QuestionVersion
from app.db_types import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.scenarios.models import Scenario


class QuizKind(enum.StrEnum):
    PRACTICE = "practice"
    KNOWLEDGE = "knowledge"
    EXAM = "exam"
    ONBOARDING = "onboarding"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    QuizKind.PRACTICE: _l("Practice"),
    QuizKind.KNOWLEDGE: _l("Knowledge quiz"),
    QuizKind.EXAM: _l("Exam"),
    QuizKind.ONBOARDING: _l("Onboarding certification"),
}


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"     # waiting for a person to grade some answers
    GRADED = "graded"


DEFAULT_REVIEW = {"when": "immediately", "own_answers": True, "marks": True, "right_answers": True,
                  "feedback": True}


class Quiz(db.Model):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=QuizKind.KNOWLEDGE.value)
    questions_per_page: Mapped[int] = mapped_column(Integer, default=1)
    navigation: Mapped[str] = mapped_column(String(16), default="free")  # free | sequential
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts_allowed: Mapped[int | None] = mapped_column(Integer)
    grading_method: Mapped[str] = mapped_column(String(16), default="highest")
    pass_mark: Mapped[float | None] = mapped_column(Float)
    review: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_REVIEW))
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str] = mapped_column(String(16), default="browser")
    source_path: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sections: Mapped[list[QuizSection]] = relationship(
        back_populates="quiz", order_by="QuizSection.position", cascade="all, delete-orphan")

    @property
    def kind_enum(self) -> QuizKind:
        return QuizKind(self.kind)


class QuizSection(db.Model):
    __tablename__ = "quiz_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    mark: Mapped[float] = mapped_column(Float, default=1.0)
    fixed_uids: Mapped[list] = mapped_column(JSON, default=list)
    # {"count", "category", "tags", "types", "competencies", "difficulty_min", "difficulty_max"} or null
    rule: Mapped[dict | None] = mapped_column(JSON)

    quiz: Mapped[Quiz] = relationship(back_populates="sections")


class Assignment(db.Model):
    """A quiz or a drill given to a person, a team or a tier, with a due
    date. Exactly one of quiz_id and scenario_id is set."""

    __tablename__ = "assignments"
    __table_args__ = (CheckConstraint("(quiz_id IS NULL) <> (scenario_id IS NULL)", name="ck_assignment_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    due_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quiz: Mapped[Quiz | None] = relationship()
    scenario: Mapped[Scenario | None] = relationship("Scenario")


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.IN_PROGRESS.value, index=True)
    seed: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by: Mapped[str | None] = mapped_column(String(16))  # agent | deadline
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    slots: Mapped[list[AttemptSlot]] = relationship(
        back_populates="attempt", order_by="AttemptSlot.position", cascade="all, delete-orphan")


class AttemptSlot(db.Model):
    """One question of an attempt: the pinned version, its option order and
    the latest saved answer. Saves carry a sequence number; a save with a
    number not above the stored one is stale and changes nothing."""

    __tablename__ = "attempt_slots"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="RESTRICT"),
                                                     index=True)
    mark: Mapped[float] = mapped_column(Float, default=1.0)
    option_order: Mapped[dict] = mapped_column(JSON, default=dict)
    response: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    # Milliseconds since the epoch from the browser: 64-bit.
    response_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    fraction: Mapped[float | None] = mapped_column(Float)
    feedback: Mapped[list] = mapped_column(JSON, default=list)
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    rubric_scores: Mapped[list | None] = mapped_column(JSON)
    grader_comment: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="slots")
    question_version: Mapped[QuestionVersion] = relationship()
