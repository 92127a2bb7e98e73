"""Read models for staff: results tables, exports, item analysis input,
the grading queue and overdue assignments. Scoped by permissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.permissions import visible_users
from app.extensions import db
from app.quiz.models import Assignment, Attempt, AttemptSlot, AttemptStatus, Quiz
from app.quiz.scoring import quiz_grade
from app.quiz.stats import ItemResponse
from app.spreadsheets import csv_text, xlsx_bytes


@dataclass(frozen=True)
class ResultRow:
    user: User
    attempts: int
    best: float | None
    grade: float | None
    passed: bool | None
    last_finished: object
    finished: tuple[Attempt, ...] = ()  # submitted or graded, for the drill-down links


def results_for(viewer: User, quiz: Quiz) -> list[ResultRow]:
    people = {u.id: u for u in db.session.scalars(visible_users(viewer))}
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id.in_(list(people)))
        .order_by(Attempt.user_id, Attempt.number)
    ).all()
    by_user: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_user.setdefault(attempt.user_id, []).append(attempt)
    rows = []
    for user_id, items in by_user.items():
        final = [a.percent for a in items if a.status == AttemptStatus.GRADED]
        grade = quiz_grade(quiz.grading_method, final)
        rows.append(ResultRow(
            user=people[user_id], attempts=len(items), best=max(final) if final else None, grade=grade,
            passed=None if grade is None or quiz.pass_mark is None else grade >= quiz.pass_mark,
            last_finished=max((a.submitted_at for a in items if a.submitted_at), default=None),
            finished=tuple(a for a in items if a.status != AttemptStatus.IN_PROGRESS)))
    return sorted(rows, key=lambda r: r.user.employee_no)


EXPORT_HEADER = ["employee_no", "name", "team", "attempts", "best_percent", "grade_percent", "passed", "last_finished"]


def export_rows(rows: list[ResultRow]) -> list[list]:
    out = []
    for r in rows:
        out.append([
            r.user.employee_no, r.user.name, r.user.team.name if r.user.team else "", r.attempts,
            r.best, r.grade, "" if r.passed is None else ("yes" if r.passed else "no"),
            r.last_finished.isoformat() if r.last_finished else ""])
    return out


def results_csv(rows: list[ResultRow]) -> str:
    return csv_text(EXPORT_HEADER, export_rows(rows))


def results_xlsx(rows: list[ResultRow], title: str) -> bytes:
    """One sheet named after the quiz (cleaned: quiz titles may hold `/ : [ ] * ?`)."""
    return xlsx_bytes([(title, EXPORT_HEADER, export_rows(rows))])


def item_responses(quiz: Quiz, first_only: bool) -> tuple[list[ItemResponse], dict[str, object]]:
    """Graded attempts as item responses for stats.analyse, and item_id → version."""
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.GRADED.value)
        .options(selectinload(Attempt.slots).selectinload(AttemptSlot.question_version))
        .order_by(Attempt.user_id, Attempt.number)
    ).all()
    if first_only:
        firsts: dict[int, Attempt] = {}
        for attempt in attempts:
            firsts.setdefault(attempt.user_id, attempt)
        attempts = list(firsts.values())
    responses, versions = [], {}
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for attempt in attempts:
        for slot in attempt.slots:
            version = slot.question_version
            item_id = version.question.uid
            versions[item_id] = version
            choice = None
            if version.type_key in ("single_choice", "multiple_choice", "true_false") and slot.response is not None:
                if version.type_key == "true_false":
                    choice = "TRUE" if slot.response else "FALSE"
                elif isinstance(slot.response, list):
                    choice = ",".join(letters[i] for i in sorted(slot.response) if 0 <= i < 26)
                elif isinstance(slot.response, int) and 0 <= slot.response < 26:
                    choice = letters[slot.response]
            responses.append(ItemResponse(attempt_id=attempt.id, item_id=item_id,
                                          fraction=min(1.0, max(0.0, slot.fraction or 0.0)),
                                          max_mark=slot.mark, choice=choice))
    return responses, versions


def grading_queue() -> list[AttemptSlot]:
    return list(db.session.scalars(
        select(AttemptSlot).join(Attempt).where(AttemptSlot.needs_grading,
                                                Attempt.status == AttemptStatus.SUBMITTED.value)
        .order_by(Attempt.submitted_at)
    ))


def overdue_assignments(viewer: User, today: date) -> list[tuple[User, Quiz, date]]:
    """People in the viewer's scope with an assignment past due and no finished attempt."""
    people = list(db.session.scalars(visible_users(viewer).where(User.is_active, User.role == "agent")))
    due = db.session.scalars(select(Assignment).where(Assignment.quiz_id.is_not(None), Assignment.due_on.is_not(None),
                                                      Assignment.due_on < today)).all()
    finished = {(a.user_id, a.quiz_id) for a in db.session.scalars(
        select(Attempt).where(Attempt.status != AttemptStatus.IN_PROGRESS.value))}
    out = []
    for person in people:
        for a in due:
            applies = a.user_id == person.id or (a.team_id and a.team_id == person.team_id) or a.tier == person.tier
            if applies and (person.id, a.quiz_id) not in finished:
                out.append((person, a.quiz, a.due_on))
    return out
