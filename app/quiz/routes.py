"""My training, quiz pages and the attempt engine's pages."""

from __future__ import annotations

import time

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.forms import EmptyForm
from app.bank.models import TYPE_LABELS
from app.bank.responses import response_from_form, to_payload_indices
from app.errors import DomainError
from app.extensions import db
from app.quiz import bp
from app.quiz.models import Attempt, AttemptSlot, AttemptStatus, Quiz
from app.quiz.review import marks_visible, review_view
from app.quiz.scoring import attempts_left
from app.quiz.services import (
    SaveRefused,
    assignments_for,
    finalise,
    finalise_if_overdue,
    page_to_show,
    quiz_result,
    save_page,
    save_target,
    set_flag,
    start_attempt,
    store_answer,
    user_attempts,
)
from app.quiz.view import slot_view
from app.web import wants_partial


@bp.route("/")
@login_required
def my_training():
    rows = []
    seen = set()
    for assignment in assignments_for(current_user):
        if assignment.quiz_id in seen:
            continue
        seen.add(assignment.quiz_id)
        quiz = assignment.quiz
        attempts = user_attempts(current_user, quiz)
        rows.append({"quiz": quiz, "due_on": assignment.due_on, "attempts": attempts,
                     "result": quiz_result(current_user, quiz) if marks_visible(quiz) else None,
                     "running": any(a.status == AttemptStatus.IN_PROGRESS for a in attempts)})
    practice = db.session.scalars(select(Quiz).where(Quiz.kind == "practice", Quiz.status == "active")).all()
    return render_template("quiz/my_training.html", rows=rows, practice=practice)


def quiz_or_404(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        abort(404)
    return quiz


@bp.route("/<int:quiz_id>")
@login_required
def quiz(quiz_id):
    quiz = quiz_or_404(quiz_id)
    attempts = user_attempts(current_user, quiz)
    for attempt in attempts:
        finalise_if_overdue(attempt)
    return render_template("quiz/quiz.html", quiz=quiz, attempts=attempts, form=EmptyForm(),
                           left=attempts_left(quiz.attempts_allowed, len(attempts)),
                           result=quiz_result(current_user, quiz) if marks_visible(quiz) else None,
                           marks=marks_visible(quiz))


@bp.route("/<int:quiz_id>/start", methods=["POST"])
@login_required
def start(quiz_id):
    quiz = quiz_or_404(quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        attempt = start_attempt(current_user, quiz)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("quiz.quiz", quiz_id=quiz.id))
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id, page=attempt.current_page))


def own_attempt_or_404(attempt_id: int) -> Attempt:
    """Only the agent's own attempt: anyone else gets 404 (its existence stays hidden)."""
    attempt = db.session.scalar(select(Attempt).options(joinedload(Attempt.quiz)).where(Attempt.id == attempt_id))
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _slots(attempt: Attempt, **where) -> list[AttemptSlot]:
    """Some of an attempt's slots with their question versions, in one query."""
    query = (select(AttemptSlot).options(joinedload(AttemptSlot.question_version))
             .where(AttemptSlot.attempt_id == attempt.id).order_by(AttemptSlot.position))
    for name, value in where.items():
        query = query.where(getattr(AttemptSlot, name) == value)
    return list(db.session.scalars(query))


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id):
    attempt = own_attempt_or_404(attempt_id)
    finalise_if_overdue(attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    page = page_to_show(attempt, _bounded(request.args.get("page", type=int)))
    slots = [slot_view(s, attempt.seed) for s in _slots(attempt, page=page)]
    return render_template("quiz/attempt.html", attempt=attempt, quiz=attempt.quiz, page=page, slots=slots,
                           form=EmptyForm(), type_labels=TYPE_LABELS)


MAX_SEQ = 2**62


def _bounded(number: int | None, limit: int = 10_000) -> int | None:
    return number if number is not None and 0 <= number <= limit else None


def _response(slot, form):
    """The answer to one slot from the posted fields, in payload indices."""
    kind = slot.question_version.type_key
    return to_payload_indices(kind, response_from_form(kind, form, f"r{slot.position}"), slot.option_order)


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save(attempt_id):
    """Autosave one answer (htmx or JSON clients). Stale sequence numbers are
    ignored. The busiest request of an exam: one read, one write, no ORM objects."""
    position = _bounded(request.form.get("position", type=int))
    seq = request.form.get("seq", type=int)
    target = save_target(attempt_id, position) if position is not None else None
    if target is None or target.user_id != current_user.id:
        own_attempt_or_404(attempt_id)  # someone else's or no attempt: 404
        abort(400)  # the agent's own attempt has no such question
    if seq is None or not 1 <= seq <= MAX_SEQ:
        abort(400)
    value = to_payload_indices(target.type_key, response_from_form(target.type_key, request.form, f"r{position}"),
                               target.option_order)
    try:
        result = store_answer(target, value, seq)
    except SaveRefused as error:
        return render_template("quiz/partials/_save_state.html", error=error.message), 409
    if request.accept_mimetypes.best == "application/json" and not wants_partial():
        return jsonify({"stored": result.stored, "saved_at": result.saved_at.isoformat()})
    return render_template("quiz/partials/_save_state.html", result=result)


@bp.route("/attempts/<int:attempt_id>/page", methods=["POST"])
@login_required
def page_submit(attempt_id):
    """Save every answer of the page as sent, then go where the agent asked.
    Works without JavaScript and loses nothing a pending autosave still held."""
    attempt = own_attempt_or_404(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    page = _bounded(request.form.get("page", type=int))
    seq = request.form.get("seq", type=int) or int(time.time() * 1000)
    if not 1 <= seq <= MAX_SEQ:
        abort(400)
    if page is None:
        abort(400)
    target = request.form.get("goto", "")
    next_page = None if target == "summary" else page_to_show(
        attempt, _bounded(int(target)) if target.isdigit() else page)
    answers = [(slot.position, _response(slot, request.form)) for slot in _slots(attempt, page=page)]
    try:
        save_page(attempt, answers, seq, page, next_page)
    except SaveRefused as error:
        flash(error.message, "error")
        target_url = url_for("quiz.review", attempt_id=attempt.id) \
            if attempt.status != AttemptStatus.IN_PROGRESS else url_for("quiz.attempt", attempt_id=attempt.id)
        return redirect(target_url)
    if next_page is None:
        return redirect(url_for("quiz.summary", attempt_id=attempt.id))
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id, page=next_page))


@bp.route("/attempts/<int:attempt_id>/flag", methods=["POST"])
@login_required
def flag(attempt_id):
    attempt = own_attempt_or_404(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    position = _bounded(request.form.get("position", type=int))
    if position is None:
        abort(400)
    flagged = request.form.get("flagged") == "1"
    set_flag(attempt, position, flagged)
    return render_template("quiz/partials/_flag.html", attempt=attempt, position=position, flagged=flagged,
                           form=EmptyForm())


@bp.route("/attempts/<int:attempt_id>/summary")
@login_required
def summary(attempt_id):
    attempt = own_attempt_or_404(attempt_id)
    finalise_if_overdue(attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    unanswered = [s for s in attempt.slots if s.response is None]
    flagged = [s for s in attempt.slots if s.flagged]
    return render_template("quiz/summary.html", attempt=attempt, quiz=attempt.quiz, unanswered=unanswered,
                           flagged=flagged, form=EmptyForm())


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id):
    """Idempotent: a second submit (double click, another tab) changes nothing."""
    attempt = own_attempt_or_404(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    finalise(attempt, "agent")
    return redirect(url_for("quiz.review", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id):
    attempt = own_attempt_or_404(attempt_id)
    finalise_if_overdue(attempt)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
    return render_template("quiz/review.html", attempt=attempt, quiz=attempt.quiz,
                           view=review_view(attempt), type_labels=TYPE_LABELS)


@bp.route("/attempts/<int:attempt_id>/certificate")
@login_required
def certificate(attempt_id):
    attempt = own_attempt_or_404(attempt_id)
    if attempt.quiz.kind != "onboarding" or not attempt.passed:
        abort(404)
    return render_template("quiz/certificate.html", attempt=attempt, quiz=attempt.quiz, user=attempt.user)
