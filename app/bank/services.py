"""Writes to the question bank: syncing files, new versions, retiring, writing back to files."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.services import record_audit
from app.bank.models import Question, QuestionStatus, QuestionVersion
from app.bank.schema import LoadedQuestion
from app.bank.search import searchable_text
from app.bank.sources import EntryState, Verdict, differing_fields, judge
from app.extensions import db


@dataclass(frozen=True)
class Comparison:
    """A question against its file entry: the verdict, and the fields in which they differ."""
    path: str
    line: int | None
    uid: str
    verdict: Verdict
    fields: tuple[str, ...]
    in_files: bool = True
    source: str = "file"

    @property
    def message(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else (self.path or "(no file)")
        return f"{where}: {self.uid}: {self._what()} (fields: {', '.join(self.fields)})"

    def _what(self) -> str:
        if self.verdict == Verdict.FORCED:
            return "the file's version replaced the browser's edit"
        if self.source != "file":
            made = "imported in the app" if self.source == "import" else "made in the browser"
            return f"{made} with the same id as this file entry"
        if not self.in_files:
            if self.verdict == Verdict.NO_RECORD:
                return "removed from the files, and no sync has recorded whether the browser changed it"
            return "removed from the files but changed in the browser since the last sync"
        if self.verdict == Verdict.BROWSER_EDIT:
            return "edited in the browser since the last sync"
        if self.verdict == Verdict.BOTH_CHANGED:
            return "changed in the file and in the browser since the last sync"
        return "differs from its file and no sync has recorded which side changed"


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    new_version: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    metadata_changed: list[str] = field(default_factory=list)
    # questions made in the app that a file now holds unchanged (after `content export`)
    now_in_files: list[str] = field(default_factory=list)
    # browser versions kept although the file differs; and, with --force, those replaced by the file
    conflicts: list[Comparison] = field(default_factory=list)
    overridden: list[Comparison] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.new_version or self.retired or self.reactivated or self.metadata_changed
                    or self.now_in_files)

    def summary(self) -> dict[str, int]:
        return {"added": len(self.added), "new_version": len(self.new_version), "retired": len(self.retired),
                "unchanged": len(self.unchanged), "reactivated": len(self.reactivated),
                "metadata_changed": len(self.metadata_changed), "now_in_files": len(self.now_in_files),
                "conflicts": len(self.conflicts), "overridden": len(self.overridden)}


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


def file_state(loaded: LoadedQuestion) -> EntryState:
    return EntryState(loaded.content_hash, loaded.category, loaded.competency, loaded.difficulty, loaded.tags,
                      QuestionStatus.ACTIVE.value)


def question_fields(question: Question) -> dict:
    version = question.current_version
    return {"type_key": version.type_key, "title": version.title, "stem": version.stem,
            "stem_format": version.stem_format, "payload": version.payload, "explanation": version.explanation,
            "category": question.category, "competency": question.competency, "difficulty": question.difficulty,
            "tags": list(question.tags or []), "status": question.status}


def loaded_fields(loaded: LoadedQuestion) -> dict:
    return {"type_key": loaded.type_key, "title": loaded.title, "stem": loaded.stem,
            "stem_format": loaded.stem_format, "payload": loaded.payload, "explanation": loaded.explanation,
            "category": loaded.category, "competency": loaded.competency, "difficulty": loaded.difficulty,
            "tags": list(loaded.tags), "status": QuestionStatus.ACTIVE.value}


def judge_question(question: Question, loaded: LoadedQuestion | None, *, force: bool = False) -> Comparison:
    """The verdict between a question and its file entry (None: the entry is gone), with the fields that differ."""
    if loaded is None:
        wanted = question.entry_state.retired()
        fields = ("status",) if question.status != wanted.status else ()
        path, line = question.source_path or "", question.source_line
    else:
        wanted = file_state(loaded)
        fields = tuple(differing_fields(question_fields(question), loaded_fields(loaded)))
        path, line = loaded.path, loaded.line
    # a question made in the app has no file history: any difference is unattributed
    synced = question.synced_hash if question.source == "file" else None
    verdict = judge(question.entry_state, wanted, synced, force=force)
    return Comparison(path, line, question.uid, verdict, fields, in_files=loaded is not None,
                        source=question.source)


def _take_file(question: Question, item: LoadedQuestion, report: SyncReport) -> None:
    metadata = {"category": item.category, "competency": item.competency, "difficulty": item.difficulty,
                "tags": list(item.tags)}
    metadata_changed = any(getattr(question, name) != value for name, value in metadata.items())
    for name, value in metadata.items():
        setattr(question, name, value)
    if question.status != QuestionStatus.ACTIVE:
        question.status = QuestionStatus.ACTIVE.value
        report.reactivated.append(item.uid)
    if question.current_version is None or question.current_version.content_hash != item.content_hash:
        add_version(question, item)
        report.new_version.append(item.uid)
    elif metadata_changed:
        refresh_search_text(question)
        report.metadata_changed.append(item.uid)


def _sync_entry(question: Question, item: LoadedQuestion, report: SyncReport, force: bool) -> None:
    found = judge_question(question, item, force=force)
    if found.verdict.keeps_browser:
        report.conflicts.append(found)
        if question.source == "file":  # it still lives there, perhaps moved
            question.source_path, question.source_line = item.path, item.line
        return
    was_in_files = question.source == "file"
    question.source, question.source_path, question.source_line = "file", item.path, item.line
    if found.verdict == Verdict.IN_STEP:
        (report.unchanged if was_in_files else report.now_in_files).append(item.uid)
    else:
        if found.verdict == Verdict.FORCED:
            report.overridden.append(found)
        _take_file(question, item, report)
    question.synced_hash = file_state(item).digest


def _sync_removed(question: Question, report: SyncReport, force: bool) -> None:
    found = judge_question(question, None, force=force)
    if found.verdict.keeps_browser:
        report.conflicts.append(found)
        return
    if found.verdict != Verdict.IN_STEP:
        if found.verdict == Verdict.FORCED:
            report.overridden.append(found)
        question.status = QuestionStatus.RETIRED.value
        report.retired.append(question.uid)
    question.synced_hash = question.entry_state.digest


def sync_questions(loaded: list[LoadedQuestion], actor: User | None = None, *, force: bool = False) -> SyncReport:
    """Make the database match the files, except where the browser changed a
    question since the last sync: that is kept and reported (unless force).
    Idempotent. Commits once."""
    report = SyncReport()
    # every question's current version is compared with its file: loaded in one query, not one per question
    existing = {q.uid: q for q in db.session.scalars(select(Question).options(selectinload(Question.current_version)))}
    seen = set()
    for item in loaded:
        seen.add(item.uid)
        question = existing.get(item.uid)
        if question is None:
            question = Question(uid=item.uid, source="file", source_path=item.path, source_line=item.line,
                                status=QuestionStatus.ACTIVE.value)
            _take_file(question, item, SyncReport())
            question.synced_hash = file_state(item).digest
            db.session.add(question)
            report.added.append(item.uid)
            continue
        _sync_entry(question, item, report, force)
    for uid, question in existing.items():
        if question.source == "file" and uid not in seen and question.current_version is not None:
            _sync_removed(question, report, force)
    if report.changed or report.overridden:
        record_audit(actor, "questions.sync", "question_bank", None, None,
                     {**report.summary(), "overridden_uids": [c.uid for c in report.overridden]})
    db.session.commit()
    return report


# --- writing the database back to the files ----------------------------------------

BROWSER_FOLDER = "_browser"
BROWSER_FILE_HEADER = ("# Questions made in the app, written by `flask --app app content export`.\n"
                       "# Edit them here like any other bank file, then run `flask --app app content sync`.\n")


@dataclass
class WrittenFile:
    shown: str
    updated: int = 0
    added: int = 0
    removed: int = 0


@dataclass
class ExportResult:
    files: list[WrittenFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _FilePlan:
    replace: dict = field(default_factory=dict)
    append: list = field(default_factory=list)
    added: int = 0


def browser_file_for(category: str) -> Path:
    """Where `content export` puts a question made in the app: one file per area."""
    area = re.sub(r'[\\/:*?"<>|\s]+', "_", category.split("/", 1)[0]).strip("._") or "uncategorised"
    return Path(BROWSER_FOLDER) / f"{area}.yaml"


def _in_bank(shown_path: str) -> Path:
    """question_bank/a/b.yaml → a/b.yaml (paths are stored with the bank folder's name in front)."""
    return Path(*Path(shown_path).parts[1:])


def _export_target(question: Question, item: LoadedQuestion | None, force: bool) -> tuple[Path, str] | str | None:
    """(file in the bank, replace | remove | append); a problem; or None when there is nothing to write."""
    if item is None and question.source != "file":
        if question.status != QuestionStatus.ACTIVE:
            return None
        return browser_file_for(question.category), "append"
    found = judge_question(question, item, force=force)
    if found.verdict in (Verdict.IN_STEP, Verdict.FROM_FILE):
        return None
    if found.verdict not in (Verdict.BROWSER_EDIT, Verdict.FORCED):
        return f"{found.message}; `content export --force` writes the browser's version over the file's"
    if item is not None:
        return _in_bank(item.path), "replace" if question.status == QuestionStatus.ACTIVE else "remove"
    target = _in_bank(question.source_path) if question.source_path else browser_file_for(question.category)
    return target, "append"


def _entry_fields(question: Question, shown: str) -> tuple[dict | None, list[str]]:
    """The question as a bank entry, read back to prove the file will hold exactly it."""
    from app.bank import bankfile
    from app.bank.schema import parse_question_file

    version = question.current_version
    fields = bankfile.entry(question.uid, type_key=version.type_key, category=question.category,
                            competency=question.competency, difficulty=question.difficulty,
                            tags=list(question.tags or []), title=version.title, stem=version.stem,
                            stem_format=version.stem_format, explanation=version.explanation,
                            payload=version.payload)
    reread, errors = parse_question_file(shown, bankfile.dump_entry(fields))
    if errors:
        return None, [f"{shown}: {question.uid}: {e.field or 'question'}: {e.message} "
                      "(fix it in the browser, then export again)" for e in errors]
    wanted = {**question_fields(question), "status": QuestionStatus.ACTIVE.value}
    if file_state(reread[0]) != dataclasses.replace(question.entry_state, status=QuestionStatus.ACTIVE.value):
        differ = ", ".join(differing_fields(wanted, loaded_fields(reread[0])))
        return None, [f"{shown}: {question.uid}: a bank file cannot hold this question unchanged (fields: {differ}); "
                      "fix it in the browser, then export again"]
    return fields, []


def export_to_files(root: Path, out: Path, *, force: bool = False) -> ExportResult:
    """Write the questions made in the app, and the browser's edits of file
    questions, into question_bank/ files under `out` — all or nothing. Other
    entries, comments and layout in those files are kept as they are."""
    from app.bank import bankfile
    from app.bank.schema import load_question_bank, parse_question_file

    result = ExportResult()
    loaded, errors = load_question_bank(root)
    if errors:
        result.problems = [str(e) for e in errors] + [f"fix the files in {root} first"]
        return result
    by_uid = {item.uid: item for item in loaded}
    plans: dict[Path, _FilePlan] = {}
    questions = db.session.scalars(select(Question).where(Question.current_version_id.is_not(None))
                                   .order_by(Question.id))
    for question in questions:
        target = _export_target(question, by_uid.get(question.uid), force)
        if target is None:
            continue
        if isinstance(target, str):
            result.problems.append(target)
            continue
        relative, action = target
        plan = plans.setdefault(relative, _FilePlan())
        if action == "remove":
            plan.replace[question.uid] = None
            continue
        fields, problems = _entry_fields(question, f"{root.name}/{relative.as_posix()}")
        result.problems.extend(problems)
        if action == "replace":
            plan.replace[question.uid] = fields
        else:
            plan.append.append(fields)
    texts = {}
    for relative, plan in sorted(plans.items()):
        shown = f"{root.name}/{relative.as_posix()}"
        source = root / relative
        old = source.read_text(encoding="utf-8-sig") if source.exists() else ""
        header = BROWSER_FILE_HEADER if relative.parts[0] == BROWSER_FOLDER else ""
        try:
            text = bankfile.rewrite(old, plan.replace, plan.append, header)
        except bankfile.UnsplicableFile as error:
            result.problems.append(f"{shown}: {error}")
            continue
        result.problems.extend(str(e) for e in parse_question_file(shown, text)[1])
        texts[relative] = text
        result.files.append(WrittenFile(
            shown if out == root else str(out / relative),
            updated=sum(1 for f in plan.replace.values() if f is not None),
            added=len(plan.append), removed=sum(1 for f in plan.replace.values() if f is None)))
    if result.problems:
        result.files = []
        return result
    try:
        bankfile.write_all_or_nothing({out / relative: text for relative, text in texts.items()})
    except OSError as error:
        result.files = []
        result.problems.append(f"{error.filename or out}: {error.strerror or error}")
    return result


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


def _unix_newlines(value):
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, list):
        return [_unix_newlines(v) for v in value]
    if isinstance(value, dict):
        return {k: _unix_newlines(v) for k, v in value.items()}
    return value


def _with_unix_newlines(data: QuestionData) -> QuestionData:
    """Browsers send textareas with CRLF line ends; files hold LF. Without this an
    untouched stem would read as edited in the browser and be rewritten on export."""
    return dataclasses.replace(data, title=_unix_newlines(data.title), stem=_unix_newlines(data.stem),
                               explanation=_unix_newlines(data.explanation), payload=_unix_newlines(data.payload))


def save_question(actor: User, question: Question | None, data: QuestionData) -> tuple[Question, bool]:
    """Create, or append a version when the content changed; metadata edits make no version.
    Raises PayloadError from the type's validation."""
    import secrets

    from app.bank.schema import content_hash
    from app.bank.types import get_type

    data = _with_unix_newlines(data)
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
