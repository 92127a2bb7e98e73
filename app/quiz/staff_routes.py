"""Staff pages of the quiz engine: quiz list, results and exports, the
manual grading queue, assignments and item analysis."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.models import TIER_LABELS, Role, User
from app.auth.permissions import STAFF_ROLES, role_required, visible_teams, visible_users
from app.bank.i18n import translate
from app.bank.models import TYPE_LABELS
from app.bank.types import PayloadError
from app.extensions import db
from app.quiz import bp
from app.quiz.forms import AssignForm, GradeForm
from app.quiz.models import Attempt, AttemptSlot, AttemptStatus, Quiz
from app.quiz.reporting import (
    grading_queue,
    item_responses,
    overdue_assignments,
    results_csv,
    results_for,
    results_xlsx,
)
from app.quiz.services import assign_quiz, grade_by_hand
from app.quiz.stats import analyse

staff_only = role_required(*STAFF_ROLES)
authors_only = role_required(Role.TRAINER, Role.ADMIN)


def _quiz_or_404(quiz_id: int) -> Quiz:
    return db.session.get(Quiz, quiz_id) or abort(404)


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
    form = GradeForm()
    if request.method == "GET":
        while len(form.points.entries) < len(payload["rubric"]):
            form.points.append_entry(0)
    if form.validate_on_submit():
        try:
            grade_by_hand(current_user, slot, [p or 0 for p in form.points.data], form.comment.data or "")
        except PayloadError as error:
            form.form_errors.append(translate(error))
        else:
            flash(_("Graded. The attempt's score is updated."), "success")
            return redirect(url_for("quiz.grading"))
    return render_template("quiz/grade.html", slot=slot, attempt=slot.attempt, payload=payload, form=form)


@bp.route("/<int:quiz_id>/assign", methods=["GET", "POST"])
@staff_only
def assign(quiz_id):
    quiz = _quiz_or_404(quiz_id)
    teams = db.session.scalars(visible_teams(current_user)).all()
    form = AssignForm()
    tiers = TIER_LABELS if current_user.role in (Role.TRAINER, Role.ADMIN) else {}
    form.set_choices(teams, tiers)
    if form.validate_on_submit():
        numbers = [n.strip() for n in (form.employee_nos.data or "").replace("，", ",").split(",") if n.strip()]
        people = db.session.scalars(visible_users(current_user).where(User.employee_no.in_(numbers))).all()
        unknown = sorted(set(numbers) - {p.employee_no for p in people})
        if unknown:
            form.employee_nos.errors.append(_("Not found or not in your teams: %(nos)s", nos=", ".join(unknown)))
        elif not (people or form.team_ids.data or form.tiers.data):
            form.employee_nos.errors.append(_("Choose people, teams or tiers."))
        else:
            created = assign_quiz(current_user, quiz, people, form.team_ids.data, form.tiers.data, form.due_on.data)
            flash(_("%(n)d assignments created.", n=created), "success")
            return redirect(url_for("quiz.manage"))
    return render_template("quiz/assign.html", quiz=quiz, form=form)


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
