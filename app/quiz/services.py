"""The attempt engine: start, autosave, submit, finalise, grade by hand.

Every function loads what it needs, applies the pure rules in scoring.py and
draw.py, writes, and commits once.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Tier, User
from app.auth.services import record_audit
from app.bank.models import Question, QuestionStatus, QuestionVersion
from app.bank.types import get_type
from app.db_types import utcnow
from app.errors import DomainError
from app.extensions import db
from app.quiz.draw import Candidate, DrawError, DrawRule, Section, draw_attempt
from app.quiz.models import Assignment, Attempt, AttemptSlot, AttemptStatus, Quiz, QuizKind
from app.quiz.scoring import (
    SlotResult,
    accepts_answers,
    attempt_deadline,
    attempt_total,
    attempts_left,
    has_passed,
    quiz_grade,
)


def grace_seconds() -> int:
    return current_app.config.get("ATTEMPT_GRACE_SECONDS", 15)


# --- who may take what -------------------------------------------------------

def assignments_for(user: User) -> list[Assignment]:
    return list(db.session.scalars(
        select(Assignment).join(Quiz).where(
            Quiz.status == "active",
            or_(Assignment.user_id == user.id,
                and_(Assignment.team_id.is_not(None), Assignment.team_id == user.team_id),
                Assignment.tier == user.tier),
        ).order_by(Assignment.due_on.is_(None), Assignment.due_on)
    ))


def may_take(user: User, quiz: Quiz) -> bool:
    if quiz.status != "active":
        return False
    if quiz.kind == QuizKind.PRACTICE or user.role in ("trainer", "admin"):
        return True  # authors may try any quiz
    return any(a.quiz_id == quiz.id for a in assignments_for(user))


def user_attempts(user: User, quiz: Quiz) -> list[Attempt]:
    return list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id).order_by(Attempt.number)))


# --- starting ----------------------------------------------------------------

def _candidates(sections: list[Section]) -> list[Candidate]:
    """Active questions a draw may use; only the fixed ones when nothing is drawn."""
    query = (select(Question, QuestionVersion)
             .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
             .where(Question.status == QuestionStatus.ACTIVE.value))
    if all(s.rule is None for s in sections):
        query = query.where(Question.uid.in_([uid for s in sections for uid in s.fixed]))
    rows = db.session.execute(query).all()
    return [Candidate(uid=q.uid, version_id=v.id, area=q.area, category=q.category, tags=tuple(q.tags or ()),
                      type_key=v.type_key, competency=q.competency, difficulty=q.difficulty) for q, v in rows]


def _sections(rows) -> list[Section]:
    """Draw sections from QuizSection rows (or anything with mark, fixed_uids, rule)."""
    sections = []
    for s in rows:
        rule = None
        if s.rule:
            r = s.rule
            rule = DrawRule(count=int(r["count"]), category=r.get("category", ""), tags=tuple(r.get("tags", ())),
                            types=tuple(r.get("types", ())), competencies=tuple(r.get("competencies", ())),
                            difficulty_min=int(r.get("difficulty_min", 1)),
                            difficulty_max=int(r.get("difficulty_max", 5)))
        sections.append(Section(mark=s.mark, fixed=tuple(s.fixed_uids or ()), rule=rule))
    return sections


def _seen_uids(user: User, quiz: Quiz) -> set[str]:
    return set(db.session.scalars(
        select(Question.uid).join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .join(AttemptSlot, AttemptSlot.question_version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
    ))


def _option_order(version: QuestionVersion, seed: str, shuffle: bool) -> dict:
    context = version.qtype.render_context(version.payload)
    order = {}
    for key in ("options", "rights", "items"):
        if key in context:
            indices = list(range(len(context[key])))
            if (shuffle and context.get("shuffle", True)) or key in ("rights", "items"):
                random.Random(f"{seed}:{version.id}:{key}").shuffle(indices)
            order[key] = indices
    return order


def start_attempt(user: User, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """The agent's attempt in progress, or a new one. Raises DomainError."""
    now = now or utcnow()
    attempts = user_attempts(user, quiz)
    for earlier in attempts:
        finalise_if_overdue(earlier, now)
    running = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    if running is not None:
        return running
    if not may_take(user, quiz):
        raise DomainError(_("This quiz is not assigned to you."))
    if quiz.open_at and now < quiz.open_at:
        raise DomainError(_("This quiz opens on %(when)s.", when=quiz.open_at.strftime("%Y-%m-%d %H:%M UTC")))
    if quiz.close_at and now >= quiz.close_at:
        raise DomainError(_("This quiz has closed."))
    if attempts_left(quiz.attempts_allowed, len(attempts)) == 0:
        raise DomainError(_("You have used all %(n)d attempts.", n=quiz.attempts_allowed))
    seed = secrets.token_hex(8)
    try:
        sections = _sections(quiz.sections)
        drawn = draw_attempt(sections, _candidates(sections), _seen_uids(user, quiz), seed,
                             shuffle=quiz.shuffle_questions)
    except DrawError as error:
        raise DomainError(_("The quiz cannot be started: %(why)s", why=str(error))) from error
    versions = {v.id: v for v in db.session.scalars(
        select(QuestionVersion).where(QuestionVersion.id.in_([d.version_id for d in drawn])))}
    per_page = max(1, quiz.questions_per_page or 1)
    # Core inserts: an exam start is a burst of hundreds at once, and the ORM's
    # unit of work for an attempt and its slots costs more than the SQL.
    try:
        attempt_id = db.session.execute(insert(Attempt.__table__).values(
            quiz_id=quiz.id, user_id=user.id, number=len(attempts) + 1, seed=seed, started_at=now,
            deadline_at=attempt_deadline(now, quiz.time_limit_minutes, quiz.close_at),
            status=AttemptStatus.IN_PROGRESS.value, current_page=0, pages=max(1, -(-len(drawn) // per_page)),
        )).inserted_primary_key[0]
        db.session.execute(insert(AttemptSlot.__table__), [
            {"attempt_id": attempt_id, "position": position, "page": position // per_page,
             "question_version_id": slot.version_id, "mark": slot.mark, "response_seq": 0, "flagged": False,
             "needs_grading": False,
             "option_order": _option_order(versions[slot.version_id], seed, quiz.shuffle_options)}
            for position, slot in enumerate(drawn)])
        db.session.commit()
    except IntegrityError:
        # Two tabs pressed start at once: the other request's attempt stands.
        db.session.rollback()
        return next(a for a in user_attempts(user, quiz) if a.status == AttemptStatus.IN_PROGRESS)
    return db.session.get(Attempt, attempt_id)


# --- saving ------------------------------------------------------------------

class SaveRefused(DomainError):
    """The answer was not stored: the attempt is closed, late, or the page is locked."""


@dataclass(frozen=True)
class SaveResult:
    stored: bool        # False when the save was stale (an newer one is already stored)
    saved_at: datetime


def _ensure_open(attempt: Attempt, now: datetime) -> None:
    """Answers are taken only while the attempt runs and before the deadline
    (plus grace); a late save finalises the attempt with what it saved."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise SaveRefused(_("This attempt has been submitted; answers can no longer change."))
    if not accepts_answers(now, attempt.deadline_at, grace_seconds()):
        finalise(attempt, "deadline", now)
        raise SaveRefused(_("Time is up: the attempt was submitted with the answers saved before the deadline."))


@dataclass(frozen=True)
class SaveTarget:
    """What storing one answer needs to know, read in one query: autosave is
    the busiest request of an exam, so it loads no ORM objects."""
    attempt_id: int
    user_id: int
    status: str
    deadline_at: datetime | None
    current_page: int
    navigation: str
    position: int
    page: int
    type_key: str
    option_order: dict | None


_attempts, _slots_t = Attempt.__table__, AttemptSlot.__table__
_TARGET = (
    select(_attempts.c.id, _attempts.c.user_id, _attempts.c.status, _attempts.c.deadline_at,
           _attempts.c.current_page, Quiz.__table__.c.navigation, _slots_t.c.position, _slots_t.c.page,
           QuestionVersion.__table__.c.type_key, _slots_t.c.option_order)
    .select_from(_attempts)
    .join(Quiz.__table__, Quiz.__table__.c.id == _attempts.c.quiz_id)
    .join(_slots_t, _slots_t.c.attempt_id == _attempts.c.id)
    .join(QuestionVersion.__table__, QuestionVersion.__table__.c.id == _slots_t.c.question_version_id)
    .where(_attempts.c.id == bindparam("attempt_id"), _slots_t.c.position == bindparam("position"))
)
# The attempt must still be running when the row is written: a save racing a
# submit can never change a graded attempt.
_STORE = (
    update(_slots_t)
    .where(_slots_t.c.attempt_id.in_(select(_attempts.c.id).where(
               _attempts.c.id == bindparam("b_attempt"), _attempts.c.status == AttemptStatus.IN_PROGRESS.value)),
           _slots_t.c.position == bindparam("b_position"), _slots_t.c.response_seq < bindparam("b_seq"))
    .values(response=bindparam("b_value", type_=_slots_t.c.response.type),
            response_seq=bindparam("b_seq"), saved_at=bindparam("b_now", type_=_slots_t.c.saved_at.type))
)


def save_target(attempt_id: int, position: int) -> SaveTarget | None:
    """The slot at `position` of the attempt, with what decides whether it may
    change; None when there is no such attempt or question."""
    row = db.session.execute(_TARGET, {"attempt_id": attempt_id, "position": position}).first()
    return SaveTarget(*row) if row is not None else None


def store_answer(target: SaveTarget, value, seq: int, now: datetime | None = None) -> SaveResult:
    """Store an answer unless a newer one (higher seq) is already stored.
    Refused after the deadline (plus grace), once the attempt is finished, and
    on a page a sequential quiz has left behind."""
    now = now or utcnow()
    if target.status != AttemptStatus.IN_PROGRESS:
        raise SaveRefused(_("This attempt has been submitted; answers can no longer change."))
    if not accepts_answers(now, target.deadline_at, grace_seconds()):
        _ensure_open(db.session.get(Attempt, target.attempt_id), now)  # finalises it and refuses
    if target.navigation == "sequential" and target.page < target.current_page:
        raise SaveRefused(_("This page is closed: the quiz moves forward only."))
    stored = db.session.execute(_STORE, {"b_attempt": target.attempt_id, "b_position": target.position,
                                         "b_seq": seq, "b_value": value, "b_now": now}).rowcount
    db.session.commit()
    if not stored and db.session.scalar(select(_attempts.c.status).where(
            _attempts.c.id == target.attempt_id)) != AttemptStatus.IN_PROGRESS:
        raise SaveRefused(_("This attempt has been submitted; answers can no longer change."))
    return SaveResult(stored=stored == 1, saved_at=now)


def save_response(attempt: Attempt, position: int, value, seq: int, now: datetime | None = None) -> SaveResult:
    """store_answer for a loaded attempt (services, demo data, tests)."""
    target = save_target(attempt.id, position)
    if target is None:
        _ensure_open(attempt, now or utcnow())
        raise SaveRefused(_("This question is not part of the attempt."))
    return store_answer(target, value, seq, now)


def save_page(attempt: Attempt, answers: list[tuple[int, object]], seq: int, page: int,
              next_page: int | None = None, now: datetime | None = None) -> int:
    """Store a whole page's answers (each unless a newer one is stored) and
    where the agent goes next, in one transaction. Returns answers stored."""
    now = now or utcnow()
    _ensure_open(attempt, now)
    if attempt.quiz.navigation == "sequential" and page < attempt.current_page:
        raise SaveRefused(_("This page is closed: the quiz moves forward only."))
    still_open = select(Attempt.id).where(Attempt.id == attempt.id,
                                          Attempt.status == AttemptStatus.IN_PROGRESS.value)
    stored = 0
    for position, value in answers:
        stored += db.session.execute(
            update(AttemptSlot)
            .where(AttemptSlot.attempt_id.in_(still_open), AttemptSlot.position == position,
                   AttemptSlot.page == page, AttemptSlot.response_seq < seq)
            .values(response=value, response_seq=seq, saved_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    if next_page is not None and next_page != attempt.current_page:
        db.session.execute(update(Attempt).where(Attempt.id == attempt.id,
                                                 Attempt.status == AttemptStatus.IN_PROGRESS.value)
                           .values(current_page=next_page).execution_options(synchronize_session=False))
    db.session.commit()
    return stored


def set_flag(attempt: Attempt, position: int, flagged: bool) -> None:
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return
    db.session.execute(update(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id,
                                                 AttemptSlot.position == position).values(flagged=flagged))
    db.session.commit()


def page_to_show(attempt: Attempt, page: int | None) -> int:
    """The page a GET may show: any page in a free quiz, never an earlier one
    in a sequential quiz. Showing a page changes nothing."""
    if page is None:
        return attempt.current_page
    page = max(0, min(page, attempt.pages - 1))
    if attempt.quiz.navigation == "sequential":
        page = max(page, attempt.current_page)
    return page


# --- finishing ----------------------------------------------------------------

def _grade_slot(slot: AttemptSlot) -> None:
    version = slot.question_version
    qtype = get_type(version.type_key)
    grade = qtype.grade(version.payload, slot.response)
    if grade.state == "pending":
        slot.needs_grading, slot.fraction = True, None
    else:
        slot.needs_grading, slot.fraction = False, grade.fraction
    slot.feedback = grade.feedback


def _total(attempt: Attempt) -> None:
    total = attempt_total([SlotResult(s.mark, s.fraction if not s.needs_grading else None) for s in attempt.slots])
    attempt.score, attempt.max_score = total.score, total.max_score
    attempt.percent = total.percent if total.final else None
    attempt.status = (AttemptStatus.GRADED if total.final else AttemptStatus.SUBMITTED).value
    attempt.passed = has_passed(attempt.percent, attempt.quiz.pass_mark) if total.final else None


def finalise(attempt: Attempt, by: str, now: datetime | None = None) -> bool:
    """Grade and close an attempt once; False when it was already closed.
    The row lock (PostgreSQL) and the status check make a double submit harmless."""
    now = now or utcnow()
    locked = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS.value)
        .values(status=AttemptStatus.SUBMITTED.value, submitted_at=now, finished_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not locked:
        db.session.rollback()
        db.session.refresh(attempt)
        return False
    db.session.refresh(attempt)
    for slot in attempt.slots:
        _grade_slot(slot)
    _total(attempt)
    _after_grading(attempt)
    db.session.commit()
    return True


def _after_grading(attempt: Attempt) -> None:
    """The certification gate: passing the onboarding exam clears for live work."""
    if attempt.status != AttemptStatus.GRADED or not attempt.passed:
        return
    user, quiz = attempt.user, attempt.quiz
    if quiz.kind == QuizKind.ONBOARDING and user.cleared_for_live_at is None:
        before = {"tier": user.tier, "cleared_for_live_at": None}
        user.cleared_for_live_at = attempt.submitted_at or utcnow()
        if user.tier == Tier.ONBOARDING:
            user.tier = Tier.IN_SERVICE.value
        record_audit(None, "user.certified", "user", user.id, before,
                     {"tier": user.tier, "cleared_for_live_at": user.cleared_for_live_at.isoformat(),
                      "attempt_id": attempt.id})


def finalise_if_overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if attempt.status == AttemptStatus.IN_PROGRESS and not accepts_answers(now, attempt.deadline_at, grace_seconds()):
        return finalise(attempt, "deadline", now)
    return False


def close_overdue(now: datetime | None = None) -> int:
    """Finalise every attempt past its deadline (plus grace). The CLI runs this."""
    now = now or utcnow()
    overdue = list(db.session.scalars(select(Attempt).where(
        Attempt.status == AttemptStatus.IN_PROGRESS.value, Attempt.deadline_at.is_not(None))))
    return sum(1 for attempt in overdue if finalise_if_overdue(attempt, now))


# --- grading by a person -------------------------------------------------------

def grade_by_hand(grader: User, slot: AttemptSlot, awarded: list[float], comment: str = "") -> None:
    version = slot.question_version
    qtype = get_type(version.type_key)
    grade = qtype.grade_by_rubric(version.payload, awarded)
    before = {"fraction": slot.fraction}
    slot.rubric_scores, slot.fraction, slot.needs_grading = list(awarded), grade.fraction, False
    slot.grader_comment, slot.graded_by_id, slot.graded_at = comment.strip(), grader.id, utcnow()
    attempt = slot.attempt
    _total(attempt)
    _after_grading(attempt)
    record_audit(grader, "attempt.graded_by_hand", "attempt_slot", slot.id, before,
                 {"fraction": slot.fraction, "rubric_scores": slot.rubric_scores, "attempt_percent": attempt.percent})
    db.session.commit()


def quiz_result(user: User, quiz: Quiz) -> float | None:
    """The agent's grade on the quiz by its grading method, over final attempts."""
    percents = [a.percent for a in user_attempts(user, quiz) if a.status == AttemptStatus.GRADED]
    return quiz_grade(quiz.grading_method, percents)


# --- quizzes from files ----------------------------------------------------------

@dataclass
class QuizSyncReport:
    counts: dict[str, int]
    conflicts: list[str]


def sync_quizzes(specs, *, force: bool = False) -> QuizSyncReport:
    """Create or update file quizzes; retire those whose file is gone. A quiz
    made in the browser is never taken over by a file with its ID (reported,
    unless force). File quizzes cannot be edited in the browser. Commits."""
    from app.quiz.models import QuizSection

    counts = {"added": 0, "updated": 0, "retired": 0, "conflicts": 0}
    conflicts = []
    existing = {q.slug: q for q in db.session.scalars(select(Quiz))}
    seen = set()
    for spec, path in specs:
        seen.add(spec.id)
        quiz = existing.get(spec.id)
        if quiz is not None and quiz.source != "file" and not force:
            counts["conflicts"] += 1
            conflicts.append(f"{path}: {spec.id}: a quiz made in the browser has this ID; it is kept and the file "
                             "is not loaded (rename one of them, or `content sync --force` to replace it)")
            continue
        if quiz is None:
            quiz = Quiz(slug=spec.id, source="file")
            db.session.add(quiz)
            counts["added"] += 1
        fields = {"title": spec.title, "description": spec.description, "kind": spec.kind,
                  "questions_per_page": spec.questions_per_page, "navigation": spec.navigation,
                  "shuffle_questions": spec.shuffle_questions, "shuffle_options": spec.shuffle_options,
                  "time_limit_minutes": spec.time_limit_minutes, "attempts_allowed": spec.attempts_allowed,
                  "grading_method": spec.grading_method, "pass_mark": spec.pass_mark,
                  "review": spec.review.model_dump(), "status": "active", "source": "file", "source_path": path}
        sections = [{"position": i, "title": s.title, "mark": s.mark, "fixed_uids": list(s.fixed),
                     "rule": s.draw.model_dump() if s.draw else None} for i, s in enumerate(spec.sections)]
        current = [{"position": s.position, "title": s.title, "mark": s.mark, "fixed_uids": list(s.fixed_uids or []),
                    "rule": s.rule} for s in quiz.sections]
        changed = any(getattr(quiz, k, None) != v for k, v in fields.items()) or current != sections
        for key, value in fields.items():
            setattr(quiz, key, value)
        if current != sections:
            quiz.sections = [QuizSection(**s) for s in sections]
        if changed and quiz.id is not None:
            counts["updated"] += 1
        db.session.flush()
        for tier in spec.assign_tiers:
            if not db.session.scalar(select(Assignment).where(Assignment.quiz_id == quiz.id, Assignment.tier == tier)):
                db.session.add(Assignment(quiz_id=quiz.id, tier=tier))
    for slug, quiz in existing.items():
        if quiz.source == "file" and slug not in seen and quiz.status == "active":
            quiz.status = "retired"
            counts["retired"] += 1
    db.session.commit()
    return QuizSyncReport(counts, conflicts)


def assign(actor: User, target_column: str, target_id: int, people, team_ids, tiers, due_on) -> int:
    """Give a quiz (`quiz_id`) or a drill (`scenario_id`) to people, teams
    and tiers. An existing assignment to the same target only moves its due
    date. Commits; returns how many were created."""
    target = getattr(Assignment, target_column)
    created = 0
    targets = [("user_id", p.id) for p in people] + [("team_id", t) for t in team_ids] + [("tier", t) for t in tiers]
    for column, value in targets:
        existing = db.session.scalar(select(Assignment).where(target == target_id,
                                                              getattr(Assignment, column) == value))
        if existing is not None:
            existing.due_on = due_on or existing.due_on
            continue
        db.session.add(Assignment(due_on=due_on, created_by_id=actor.id, **{target_column: target_id, column: value}))
        created += 1
    kind = "quiz" if target_column == "quiz_id" else "scenario"
    record_audit(actor, f"{kind}.assigned", kind, target_id, None,
                 {"users": [p.id for p in people], "teams": list(team_ids), "tiers": list(tiers),
                  "due_on": due_on.isoformat() if due_on else None})
    db.session.commit()
    return created


# --- regrading after a corrected question ---------------------------------------------

def _compatible(old: QuestionVersion, new: QuestionVersion) -> bool:
    """The new version can stand in for the old one in saved answers: same
    type and the same number of options, items or pairs."""
    if old.type_key != new.type_key or new.type_key == "case_analysis":
        return False
    return all(len(old.payload.get(key, [])) == len(new.payload.get(key, []))
               for key in ("options", "items", "pairs"))


def regradable_slots(question: Question) -> list[AttemptSlot]:
    current = question.current_version
    older = [v for v in question.versions if v.id != current.id and _compatible(v, current)]
    if not older:
        return []
    return list(db.session.scalars(
        select(AttemptSlot).join(Attempt)
        .where(AttemptSlot.question_version_id.in_([v.id for v in older]),
               Attempt.status != AttemptStatus.IN_PROGRESS.value)
    ))


def regrade_question(actor: User, question: Question) -> int:
    """Grade finished answers that used an older compatible version again with
    the current one; one audit row per attempt with its score before and after."""
    slots = regradable_slots(question)
    by_attempt: dict[int, list[AttemptSlot]] = {}
    for slot in slots:
        by_attempt.setdefault(slot.attempt_id, []).append(slot)
    for attempt_slots in by_attempt.values():
        attempt = attempt_slots[0].attempt
        before = {"score": attempt.score, "percent": attempt.percent, "passed": attempt.passed,
                  "versions": sorted({s.question_version_id for s in attempt_slots})}
        for slot in attempt_slots:
            slot.question_version = question.current_version
            _grade_slot(slot)
        _total(attempt)
        _after_grading(attempt)
        record_audit(actor, "attempt.regraded", "attempt", attempt.id, before,
                     {"score": attempt.score, "percent": attempt.percent, "passed": attempt.passed,
                      "version": question.current_version.id})
    db.session.commit()
    return len(by_attempt)


# --- quizzes edited in the browser ----------------------------------------------

@dataclass
class QuizData:
    slug: str
    title: str
    description: str
    kind: str
    questions_per_page: int
    navigation: str
    shuffle_questions: bool
    shuffle_options: bool
    time_limit_minutes: int | None
    open_at: datetime | None
    close_at: datetime | None
    attempts_allowed: int | None
    grading_method: str
    pass_mark: float | None
    review: dict
    sections: list[dict]      # {"title", "mark", "fixed_uids", "rule"}


def save_quiz(actor: User, quiz: Quiz | None, data: QuizData) -> Quiz:
    """Create or update a browser quiz; checks that every section can be drawn."""
    from app.quiz.models import QuizSection

    clash = db.session.scalar(select(Quiz).where(Quiz.slug == data.slug))
    if clash is not None and (quiz is None or clash.id != quiz.id):
        raise DomainError(_("The ID %(slug)s is already used by another quiz.", slug=data.slug), field="slug")
    if data.open_at and data.close_at and data.close_at <= data.open_at:
        raise DomainError(_("The quiz must close after it opens."), field="close_at")
    try:
        built = _sections([SimpleNamespace(**s) for s in data.sections])
        draw_attempt(built, _candidates(built), set(), "check")
    except DrawError as error:
        raise DomainError(_("The sections cannot be drawn: %(why)s", why=str(error)), field="sections") from error
    before = None
    if quiz is None:
        quiz = Quiz(source="browser")
        db.session.add(quiz)
    else:
        before = {"title": quiz.title, "pass_mark": quiz.pass_mark, "sections": len(quiz.sections)}
    for key, value in vars(data).items():
        if key != "sections":
            setattr(quiz, key, value)
    quiz.sections = [QuizSection(position=i, **s) for i, s in enumerate(data.sections)]
    db.session.flush()
    record_audit(actor, "quiz.saved", "quiz", quiz.id, before,
                 {"title": quiz.title, "pass_mark": quiz.pass_mark, "sections": len(data.sections)})
    db.session.commit()
    return quiz
