"""Writes to the question bank: syncing files, new versions, retiring."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import record_audit
from app.bank.models import Question, QuestionStatus, QuestionVersion
from app.bank.schema import LoadedQuestion
from app.bank.search import searchable_text
from app.extensions import db


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    new_version: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    metadata_changed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.new_version or self.retired or self.reactivated or self.metadata_changed)

    def summary(self) -> dict[str, int]:
        return {"added": len(self.added), "new_version": len(self.new_version), "retired": len(self.retired),
                "unchanged": len(self.unchanged), "reactivated": len(self.reactivated),
                "metadata_changed": len(self.metadata_changed)}


def add_version(question: Question, loaded: LoadedQuestion | None = None, *, type_key=None, title="", stem="",
                stem_format="plain", payload=None, explanation="", actor: User | None = None) -> QuestionVersion:
    """Append a version and make it current. Old versions are never edited."""
    if loaded is not None:
        type_key, title, stem, stem_format = loaded.type_key, loaded.title, loaded.stem, loaded.stem_format
        payload, explanation = loaded.payload, loaded.explanation
    from app.bank.schema import content_hash

    number = 1 + max((v.version for v in question.versions), default=0)
    version = QuestionVersion(
        version=number, type_key=type_key, title=title, stem=stem, stem_format=stem_format,
        payload=payload, explanation=explanation,
        content_hash=content_hash(type_key, title, stem, stem_format, payload, explanation),
        created_by_id=actor.id if actor else None,
    )
    question.versions.append(version)
    question.current_version = version
    refresh_search_text(question)
    return version


def refresh_search_text(question: Question) -> None:
    version = question.current_version
    if version is not None:
        question.search_text = searchable_text(version.type_key, version.title, version.stem, version.payload,
                                               question.tags or [], question.category)


def _apply_metadata(question: Question, loaded: LoadedQuestion) -> bool:
    wanted = {"category": loaded.category, "competency": loaded.competency, "difficulty": loaded.difficulty,
              "tags": list(loaded.tags), "source_path": loaded.path}
    changed = False
    for name, value in wanted.items():
        if getattr(question, name) != value:
            setattr(question, name, value)
            changed = name != "source_path" or changed
    return changed


def sync_questions(loaded: list[LoadedQuestion], actor: User | None = None) -> SyncReport:
    """Make the database match the files; idempotent. Commits once."""
    report = SyncReport()
    existing = {q.uid: q for q in db.session.scalars(select(Question))}
    seen = set()
    for item in loaded:
        seen.add(item.uid)
        question = existing.get(item.uid)
        if question is None:
            question = Question(uid=item.uid, source="file", status=QuestionStatus.ACTIVE.value)
            _apply_metadata(question, item)
            db.session.add(question)
            add_version(question, item)
            report.added.append(item.uid)
            continue
        question.source = "file"
        metadata_changed = _apply_metadata(question, item)
        if question.status != QuestionStatus.ACTIVE:
            question.status = QuestionStatus.ACTIVE.value
            report.reactivated.append(item.uid)
        current = question.current_version
        if current is None or current.content_hash != item.content_hash:
            add_version(question, item)
            report.new_version.append(item.uid)
        else:
            if metadata_changed:
                refresh_search_text(question)
                report.metadata_changed.append(item.uid)
            if item.uid not in report.reactivated and not metadata_changed:
                report.unchanged.append(item.uid)
    for uid, question in existing.items():
        if question.source == "file" and uid not in seen and question.status == QuestionStatus.ACTIVE:
            question.status = QuestionStatus.RETIRED.value
            report.retired.append(uid)
    if report.changed:
        record_audit(actor, "questions.sync", "question_bank", None, None, report.summary())
    db.session.commit()
    return report


def count_questions(status: str = QuestionStatus.ACTIVE.value) -> int:
    return db.session.scalar(select(func.count(Question.id)).where(Question.status == status))
