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


# --- import and export ------------------------------------------------------

@dataclass
class ImportOutcome:
    created: list[Question] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


DEFAULT_CATEGORY = "未分类"


def check_parsed(parsed) -> list[dict]:
    """Type validation of parsed questions: [{"line", "message"}] for each problem."""
    from app.bank.interchange import M
    from app.bank.types import PayloadError, UnknownQuestionType, get_type

    problems = []
    for question in parsed:
        try:
            get_type(question.type).validate(question.payload)
        except UnknownQuestionType as exc:
            problems.append({"line": question.line, "message": exc.args[0]})
        except PayloadError as exc:
            problems.append({"line": question.line, "message": M("%(field)s: %(detail)s", field=exc.field,
                                                                  detail=M(exc.template, **exc.params))})
        for name, value, limit in (("title", question.title, 200), ("category", question.category, 200)):
            if len(value or "") > limit:
                problems.append({"line": question.line, "message": M("%(field)s: longer than %(n)d characters",
                                                                      field=name, n=limit)})
        if question.stem_format not in ("plain", "markdown", "html"):
            problems.append({"line": question.line, "message": M("stem_format: “%(value)s” is unknown",
                                                                  value=question.stem_format)})
    return problems


def import_questions(result, actor: User | None, *, only_valid: bool = False, source_name: str = "") -> ImportOutcome:
    """Create questions from a ParseResult. All or nothing, unless only_valid."""
    import secrets

    from app.bank.types import get_type

    problems = result.errors + check_parsed(result.questions)
    bad_lines = {p["line"] for p in problems}
    if problems and not only_valid:
        return ImportOutcome(errors=problems)
    outcome = ImportOutcome(errors=problems)
    for parsed in result.questions:
        if parsed.line in bad_lines:
            continue
        payload = get_type(parsed.type).validate(parsed.payload)
        question = Question(uid=f"imp-{secrets.token_hex(6)}", source="import",
                            category=(parsed.category or DEFAULT_CATEGORY).strip("/"),
                            tags=list(dict.fromkeys(parsed.tags)), competency="knowledge", difficulty=3,
                            status=QuestionStatus.ACTIVE.value)
        db.session.add(question)
        add_version(question, type_key=parsed.type, title=parsed.title, stem=parsed.stem,
                    stem_format=parsed.stem_format, payload=payload, explanation=parsed.general_feedback,
                    actor=actor)
        outcome.created.append(question)
    if outcome.created:
        db.session.flush()
        record_audit(actor, "questions.import", "question_bank", None, None,
                     {"file": source_name, "created": len(outcome.created), "skipped_errors": len(problems)})
        db.session.commit()
    return outcome


def export_dicts(questions: list[Question]) -> list[dict]:
    """Current versions in the interchange shape (plus id, competency, difficulty)."""
    out = []
    for question in questions:
        version = question.current_version
        out.append({"id": question.uid, "type": version.type_key, "category": question.category,
                    "title": version.title, "stem": version.stem, "stem_format": version.stem_format,
                    "general_feedback": version.explanation, "tags": list(question.tags or []),
                    "competency": question.competency, "difficulty": question.difficulty,
                    "payload": version.payload})
    return out


# --- editing in the browser -------------------------------------------------

@dataclass
class QuestionData:
    type_key: str
    category: str
    tags: list[str]
    competency: str
    difficulty: int
    title: str
    stem: str
    stem_format: str
    explanation: str
    payload: dict


def save_question(actor: User, question: Question | None, data: QuestionData) -> tuple[Question, bool]:
    """Create, or append a version when the content changed; metadata edits make no version.
    Raises PayloadError from the type's validation."""
    import secrets

    from app.bank.schema import content_hash
    from app.bank.types import get_type

    payload = get_type(data.type_key).validate(data.payload)
    if question is None:
        question = Question(uid=f"q-{secrets.token_hex(6)}", source="browser", status=QuestionStatus.ACTIVE.value)
        db.session.add(question)
    question.category = data.category.strip().strip("/")
    question.tags = list(dict.fromkeys(t for t in data.tags if t))
    question.competency = data.competency
    question.difficulty = data.difficulty
    digest = content_hash(data.type_key, data.title, data.stem, data.stem_format, payload, data.explanation)
    created = question.current_version is None or question.current_version.content_hash != digest
    if created:
        add_version(question, type_key=data.type_key, title=data.title, stem=data.stem,
                    stem_format=data.stem_format, payload=payload, explanation=data.explanation, actor=actor)
        db.session.flush()
        record_audit(actor, "question.version_created", "question", question.id, None,
                     {"uid": question.uid, "version": question.current_version.version})
    else:
        refresh_search_text(question)
    db.session.commit()
    return question, created


def set_question_status(actor: User, question: Question, status: str) -> None:
    if question.status == status:
        return
    before = question.status
    question.status = status
    record_audit(actor, f"question.{status}", "question", question.id, {"status": before}, {"status": status})
    db.session.commit()


def similar_questions(stem: str, exclude_id: int | None = None) -> list[tuple[Question, float]]:
    from app.bank.stats import near_duplicates

    rows = db.session.execute(
        select(Question.id, QuestionVersion.stem)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(Question.status == QuestionStatus.ACTIVE.value)
    ).all()
    found = near_duplicates(stem, [(qid, s) for qid, s in rows if qid != exclude_id])
    return [(db.session.get(Question, qid), score) for qid, score in found]
