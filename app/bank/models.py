"""Questions and their immutable versions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.bank.sources import EntryState
from app.bank.types import QuestionType, get_type
from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class Competency(enum.StrEnum):
    COMMUNICATION = "communication"
    PROBLEM_SOLVING = "problem_solving"
    EMOTION = "emotion"
    KNOWLEDGE = "knowledge"
    COMPLIANCE = "compliance"

    @property
    def label(self):
        return COMPETENCY_LABELS[self]


COMPETENCY_LABELS = {
    Competency.COMMUNICATION: _l("Communication"),
    Competency.PROBLEM_SOLVING: _l("Problem solving"),
    Competency.EMOTION: _l("Emotion management"),
    Competency.KNOWLEDGE: _l("Product and business knowledge"),
    Competency.COMPLIANCE: _l("Compliance and information security"),
}

TYPE_LABELS = {
    "single_choice": _l("Single choice"),
    "multiple_choice": _l("Multiple choice"),
    "true_false": _l("True / false"),
    "fill_blank": _l("Fill in the blank"),
    "numeric": _l("Numeric"),
    "ordering": _l("Ordering"),
    "matching": _l("Matching"),
    "case_analysis": _l("Case analysis"),
}


class QuestionStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    category: Mapped[str] = mapped_column(String(200), index=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    competency: Mapped[str] = mapped_column(String(32), index=True)
    difficulty: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.ACTIVE.value, index=True)
    # "file" questions come from question_bank/*.yaml (path and line of their entry);
    # "browser" and "import" questions were made in the app, until `content export`
    # writes them to a file and a sync finds them there.
    source: Mapped[str] = mapped_column(String(16), default="browser")
    source_path: Mapped[str | None] = mapped_column(String(255))
    source_line: Mapped[int | None] = mapped_column(Integer)
    # Digest of the state (EntryState) the database last took from, or found equal
    # to, the file; a sync compares it to tell a file change from a browser edit.
    # None until a sync records one.
    synced_hash: Mapped[str | None] = mapped_column(String(64))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, ondelete="SET NULL")
    )
    # Title, stem, option texts, tags and category of the current version, for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.version", cascade="all, delete-orphan",
    )

    @property
    def area(self) -> str:
        return self.category.split("/", 1)[0]

    @property
    def entry_state(self) -> EntryState:
        return EntryState(self.current_version.content_hash, self.category, self.competency, self.difficulty,
                          tuple(self.tags or ()), self.status)

    @property
    def state(self) -> str:
        """in_step, browser_edit or unrecorded for a file question; else its source (browser, import)."""
        if self.source != "file":
            return self.source
        if self.synced_hash is None:
            return "unrecorded"
        return "in_step" if self.entry_state.digest == self.synced_hash else "browser_edit"


class QuestionVersion(db.Model):
    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    type_key: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200), default="")
    stem: Mapped[str] = mapped_column(Text)
    stem_format: Mapped[str] = mapped_column(String(16), default="plain")
    payload: Mapped[dict] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])

    @property
    def qtype(self) -> QuestionType:
        return get_type(self.type_key)
