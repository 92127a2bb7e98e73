"""Staff pages of the quiz engine: quiz list, results and exports, the
manual grading queue, assignments and item analysis."""

from __future__ import annotations

from datetime import UTC, date
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.models import TIER_LABELS, Role, User
from app.auth.permissions import STAFF_ROLES, role_required, visible_teams, visible_users
from app.auth.services import find_by_employee_numbers
from app.bank.i18n import translate
from app.bank.models import TYPE_LABELS
from app.bank.types import PayloadError
from app.errors import DomainError
from app.extensions import db
from app.form_fields import error_summary
from app.quiz import bp
from app.quiz.forms import AssignForm, GradeForm, QuizForm
from app.quiz.models import Attempt, AttemptSlot, AttemptStatus, Quiz
from app.quiz.reporting import (
    grading_queue,
    item_responses,
    overdue_assignments,
    results_csv,
    results_for,
    results_xlsx,
)
from app.quiz.routes import quiz_or_404 as _quiz_or_404
from app.quiz.services import QuizData, grade_by_hand, save_quiz
from app.quiz.services import assign as assign_to
from app.quiz.stats import analyse

staff_only = role_required(*STAFF_ROLES)
authors_only = role_required(Role.TRAINER, Role.ADMIN)


@bp.route("/manage")
@staff_only
def manage():
    quizzes = db.session.scalars(select(Quiz).order_by(Quiz.status, Quiz.kind, Quiz.title)).all()
    counts = dict(db.session.execute(select(Attempt.quiz_id, func.count(Attempt.id)).group_by(Attempt.quiz_id)).all())
    pending = len(grading_queue()) if current_user.role in (Role.TRAINER, Role.ADMIN) else 0
    overdue = overdue_assignments(current_user, date.today())
    return render_template("quiz/manage.html", quizzes=quizzes, counts=counts, pending=pending, overdue=overdue)


@bp.route("/<int:quiz_id>/results")
@staff_only
def results(quiz_id):
    quiz = _quiz_or_404(quiz_id)
    rows = results_for(current_user, quiz)
    export = request.args.get("export")
    if export == "csv":
        return Response(results_csv(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=results-{quiz.slug}.csv"})
    if export == "xlsx":
        return Response(results_xlsx(rows, quiz.title),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=results-{quiz.slug}.xlsx"})
    return render_template("quiz/results.html", quiz=quiz, rows=rows)


@bp.route("/<int:quiz_id>/analysis")
@authors_only
def analysis(quiz_id):
    quiz = _quiz_or_404(quiz_id)
    first_only = request.args.get("attempts", "first") == "first"
    responses, versions = item_responses(quiz, first_only)
    return render_template("quiz/analysis.html", quiz=quiz, report=analyse(responses), versions=versions,
                           first_only=first_only, type_labels=TYPE_LABELS)


@bp.route("/grading")
@authors_only
def grading():
    return render_template("quiz/grading_queue.html", slots=grading_queue())


@bp.route("/grading/<int:slot_id>", methods=["GET", "POST"])
@authors_only
def grade(slot_id):
    slot = db.session.get(AttemptSlot, slot_id)
    if slot is None or slot.question_version.type_key != "case_analysis" \
            or slot.attempt.status == AttemptStatus.IN_PROGRESS:
        abort(404)  # only submitted answers that a person grades
    payload = slot.question_version.payload
    form = GradeForm.for_rubric(payload["rubric"])
    if form.validate_on_submit():
        try:
            grade_by_hand(current_user, slot, [field.data for field in form.point_fields], form.comment.data or "")
        except PayloadError as error:
            form.form_errors.append(translate(error))
        else:
            flash(_("Graded. The attempt's score is updated."), "success")
            return redirect(url_for("quiz.grading"))
    status = 200
    if form.is_submitted():
        form.form_errors.extend(error_summary(form))
        status = 422
    return render_template("quiz/grade.html", slot=slot, attempt=slot.attempt, payload=payload, form=form), status


@bp.route("/<int:quiz_id>/assign", methods=["GET", "POST"])
@staff_only
def assign(quiz_id):
    quiz = _quiz_or_404(quiz_id)
    return assign_page("quiz_id", quiz, url_for("quiz.manage"))


def assign_page(target_column: str, target, done_url: str):
    """The assignment form for a quiz (`quiz_id`) or a drill (`scenario_id`):
    people by employee number (within the assigner's scope), teams they can
    see, tiers for trainers and admins, an optional due date."""
    teams = db.session.scalars(visible_teams(current_user)).all()
    form = AssignForm()
    tiers = TIER_LABELS if current_user.role in (Role.TRAINER, Role.ADMIN) else {}
    form.set_choices(teams, tiers)
    if form.validate_on_submit():
        people, unknown = find_by_employee_numbers(form.employee_nos.data, visible_users(current_user))
        if unknown:
            form.employee_nos.errors.append(_("Not found or not in your teams: %(nos)s", nos=", ".join(unknown)))
        elif not (people or form.team_ids.data or form.tiers.data):
            form.employee_nos.errors.append(_("Choose people, teams or tiers."))
        else:
            created = assign_to(current_user, target_column, target.id, people, form.team_ids.data, form.tiers.data,
                                form.due_on.data)
            flash(_("%(n)d assignments created.", n=created), "success")
            return redirect(done_url)
    return render_template("quiz/assign.html", quiz=target, form=form)


@bp.route("/attempts/<int:attempt_id>/inspect")
@staff_only
def inspect(attempt_id):
    """A staff view of someone's attempt, scoped: a manager sees only their people."""
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    if db.session.scalar(visible_users(current_user).where(User.id == attempt.user_id)) is None:
        abort(404)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        abort(404)  # nobody reads answers of a running attempt
    from app.quiz.review import review_view

    view = review_view(attempt)
    view["show"] = {k: True for k in view["show"]}
    view["waiting"] = False
    from app.quiz.view import ordered_context

    view["slots"] = [{"slot": s, "version": s.question_version, "render": ordered_context(s), "response": s.response}
                     for s in attempt.slots]
    return render_template("quiz/review.html", attempt=attempt, quiz=attempt.quiz, view=view,
                           type_labels=TYPE_LABELS, staff=True)


def _local_to_utc(value):
    if value is None:
        return None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.replace(tzinfo=zone).astimezone(UTC)


def _utc_to_local(value):
    if value is None:
        return None
    return value.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).replace(tzinfo=None)


def _split(text: str) -> list[str]:
    return [p.strip() for p in (text or "").replace("，", ",").replace("\n", ",").split(",") if p.strip()]


def _quiz_data(form: QuizForm) -> QuizData:
    sections = []
    for entry in form.sections.entries:
        row = entry.form
        rule = None
        if row.count.data:
            rule = {"count": row.count.data, "category": (row.category.data or "").strip().strip("/"),
                    "tags": _split(row.tags.data), "types": list(row.types.data or []), "competencies": [],
                    "difficulty_min": row.difficulty_min.data or 1, "difficulty_max": row.difficulty_max.data or 5}
        fixed = _split(row.fixed.data)
        if rule or fixed:
            sections.append({"title": row.title.data or "", "mark": row.mark.data or 1, "fixed_uids": fixed,
                             "rule": rule})
    return QuizData(
        slug=form.slug.data.strip(), title=form.title.data.strip(), description=form.description.data or "",
        kind=form.kind.data, questions_per_page=form.questions_per_page.data, navigation=form.navigation.data,
        shuffle_questions=form.shuffle_questions.data, shuffle_options=form.shuffle_options.data,
        time_limit_minutes=form.time_limit_minutes.data, open_at=_local_to_utc(form.open_at.data),
        close_at=_local_to_utc(form.close_at.data), attempts_allowed=form.attempts_allowed.data,
        grading_method=form.grading_method.data, pass_mark=form.pass_mark.data,
        review={"when": form.review_when.data, "own_answers": form.review_own_answers.data,
                "marks": form.review_marks.data, "right_answers": form.review_right_answers.data,
                "feedback": form.review_feedback.data},
        sections=sections)


def _fill_quiz_form(form: QuizForm, quiz: Quiz) -> None:
    for name in ("slug", "title", "description", "kind", "questions_per_page", "navigation", "shuffle_questions",
                 "shuffle_options", "time_limit_minutes", "attempts_allowed", "grading_method", "pass_mark"):
        getattr(form, name).data = getattr(quiz, name)
    form.open_at.data, form.close_at.data = _utc_to_local(quiz.open_at), _utc_to_local(quiz.close_at)
    review = quiz.review or {}
    form.review_when.data = review.get("when", "immediately")
    for key in ("own_answers", "marks", "right_answers", "feedback"):
        getattr(form, f"review_{key}").data = review.get(key, True)
    while form.sections.entries:
        form.sections.pop_entry()
    for section in quiz.sections:
        rule = section.rule or {}
        form.sections.append_entry({
            "title": section.title, "mark": section.mark, "fixed": "\n".join(section.fixed_uids or []),
            "count": rule.get("count"), "category": rule.get("category", ""), "tags": ", ".join(rule.get("tags", [])),
            "types": rule.get("types", []), "difficulty_min": rule.get("difficulty_min", 1),
            "difficulty_max": rule.get("difficulty_max", 5)})


@bp.route("/manage/new", methods=["GET", "POST"])
@bp.route("/<int:quiz_id>/edit", methods=["GET", "POST"])
@authors_only
def edit_quiz(quiz_id=None):
    quiz = _quiz_or_404(quiz_id) if quiz_id else None
    form = QuizForm()
    if request.method == "GET" and quiz is not None:
        _fill_quiz_form(form, quiz)
    status = 200
    if request.form.get("add_section"):
        form.sections.append_entry()
    elif form.validate_on_submit():
        if quiz is not None and quiz.source == "file":
            abort(409)
        try:
            saved = save_quiz(current_user, quiz, _quiz_data(form))
        except DomainError as error:
            form.form_errors.append(error.message)
            status = 422
        else:
            flash(_("Quiz saved."), "success")
            return redirect(url_for("quiz.quiz", quiz_id=saved.id))
    elif form.is_submitted():
        form.form_errors.extend(error_summary(form))
        status = 422
    return render_template("quiz/edit.html", form=form, quiz=quiz), status
