"""Trainer pages of the question bank: browse, search, view, diff, preview,
try, create and edit, import, export."""

from __future__ import annotations

import secrets

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.auth.forms import EmptyForm
from app.auth.models import Role
from app.auth.permissions import role_required
from app.bank import bp
from app.bank.forms import ROW_LISTS, ImportCommitForm, ImportForm, QuestionFilterForm, QuestionForm
from app.bank.i18n import translate
from app.bank.interchange import FORMATS, UnreadableFile, parse
from app.bank.interchange.writers import write
from app.bank.models import TYPE_LABELS, Question, QuestionStatus, QuestionVersion
from app.bank.responses import display_order, response_from_form, to_payload_indices
from app.bank.search import apply_search
from app.bank.services import (
    QuestionData,
    check_parsed,
    export_dicts,
    import_questions,
    save_question,
    set_question_status,
    similar_questions,
)
from app.bank.stats import diff_versions
from app.bank.types import PayloadError
from app.extensions import db
from app.uploads import claim_upload, stash_upload
from app.web import page_number, wants_partial

authors_only = role_required(Role.TRAINER, Role.ADMIN)


FILTER_FIELDS = ("q", "area", "tag", "type", "competency", "difficulty", "status")


def _areas() -> list[str]:
    categories = db.session.scalars(select(Question.category).distinct())
    return sorted({c.split("/", 1)[0] for c in categories})


def _filtered(form: QuestionFilterForm):
    query = (select(Question).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
             .options(selectinload(Question.current_version)))
    status = form.status.data or "active"
    if status != "all":
        query = query.where(Question.status == status)
    if form.area.data:
        query = query.where(or_(Question.category == form.area.data, Question.category.startswith(form.area.data + "/", autoescape=True)))
    if form.type.data:
        query = query.where(QuestionVersion.type_key == form.type.data)
    if form.competency.data:
        query = query.where(Question.competency == form.competency.data)
    if form.difficulty.data in ("1", "2", "3", "4", "5"):
        query = query.where(Question.difficulty == int(form.difficulty.data))
    if form.tag.data:
        # tags are a JSON list; match the quoted tag inside its text form
        query = query.where(func.lower(func.cast(Question.tags, db.String)).contains(f'"{form.tag.data.strip().lower()}"', autoescape=True))
    if form.q.data:
        query = apply_search(query, form.q.data.strip())
    return query.order_by(Question.category, Question.id)


@bp.route("/")
@authors_only
def index():
    form = QuestionFilterForm(request.args, areas=_areas())
    form.validate()
    page = db.paginate(_filtered(form), page=page_number(), per_page=current_app.config["QUESTIONS_PER_PAGE"],
                       error_out=False)
    args = {name: form[name].data for name in FILTER_FIELDS if form[name].data}
    template = "bank/partials/_question_table.html" if wants_partial() else "bank/index.html"
    return render_template(template, form=form, page=page, filter_args=args, type_labels=TYPE_LABELS)


def _question_or_404(question_id: int) -> Question:
    return db.session.get(Question, question_id) or abort(404)


@bp.route("/questions/<int:question_id>")
@authors_only
def question(question_id):
    from app.quiz.services import regradable_slots

    question = _question_or_404(question_id)
    regradable = len({s.attempt_id for s in regradable_slots(question)})
    return render_template("bank/question.html", question=question, version=question.current_version,
                           type_labels=TYPE_LABELS, action_form=EmptyForm(), regradable=regradable)


@bp.route("/questions/<int:question_id>/regrade", methods=["POST"])
@authors_only
def regrade(question_id):
    from app.quiz.services import regrade_question

    question = _question_or_404(question_id)
    if EmptyForm().validate_on_submit():
        count = regrade_question(current_user, question)
        flash(_("%(n)d attempts were regraded with version %(v)d.", n=count, v=question.current_version.version),
              "success")
    return redirect(url_for("bank.question", question_id=question.id))


def _version_dict(version: QuestionVersion) -> dict:
    return {k: getattr(version, k) for k in ("type_key", "title", "stem", "stem_format", "explanation", "payload")}


@bp.route("/questions/<int:question_id>/diff")
@authors_only
def diff(question_id):
    question = _question_or_404(question_id)
    numbers = {v.version: v for v in question.versions}
    current = question.current_version.version
    old = numbers.get(request.args.get("from", max(1, current - 1), type=int))
    new = numbers.get(request.args.get("to", current, type=int))
    if old is None or new is None:
        abort(404)
    return render_template("bank/diff.html", question=question, old=old, new=new,
                           lines=diff_versions(_version_dict(old), _version_dict(new)))


def _render_context(version: QuestionVersion, seed) -> dict:
    context = version.qtype.render_context(version.payload)
    for key in ("options", "rights", "items"):
        if key in context:
            order = display_order(len(context[key]), seed, context.get("shuffle", True))
            context[key] = [context[key][i] for i in order]
    return context


@bp.route("/questions/<int:question_id>/preview", methods=["GET", "POST"])
@authors_only
def preview(question_id):
    question = _question_or_404(question_id)
    version = question.current_version
    seed = request.values.get("seed") or secrets.token_hex(4)
    grade, response = None, None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        shown = {key: display_order(len(items), seed, True) for key, items in
                 version.qtype.render_context(version.payload).items() if key in ("items", "rights")}
        response = to_payload_indices(version.type_key, response_from_form(version.type_key, request.form), shown)
        grade = version.qtype.grade(version.payload, response)
    context = dict(question=question, version=version, render=_render_context(version, seed), seed=seed,
                   response=response, grade=grade, type_labels=TYPE_LABELS,
                   correct=version.qtype.correct_response(version.payload), form=EmptyForm())
    if grade is not None and wants_partial():
        return render_template("bank/partials/_try_result.html", **context)
    return render_template("bank/preview.html", **context)


# --- create and edit ---------------------------------------------------------

def _rows(entries, *names):
    return [{n: e.form[n].data for n in names} for e in entries
            if any(e.form[n].data not in (None, "") for n in names)]


def _payload_from_form(form: QuestionForm) -> dict:
    kind = form.type_key.data
    if kind in ("single_choice", "multiple_choice"):
        rows = [r for r in _rows(form.options, "text", "fraction", "feedback", "format") if r["text"]]
        payload = {"options": [{**r, "fraction": r["fraction"] or 0} for r in rows]}
        if kind == "multiple_choice":
            payload["grading"] = form.grading.data or "partial"
        return payload
    if kind == "true_false":
        return {"correct": form.correct.data == "true", "feedback_true": form.feedback_true.data or "",
                "feedback_false": form.feedback_false.data or ""}
    if kind == "fill_blank":
        rows = [r for r in _rows(form.answers, "text", "fraction", "feedback") if r["text"]]
        return {"answers": rows, "case_sensitive": form.case_sensitive.data}
    if kind == "numeric":
        rows = [r for r in _rows(form.numeric_answers, "value", "tolerance", "fraction", "feedback")
                if r["value"] is not None]
        return {"answers": [{**r, "tolerance": r["tolerance"] or 0,
                             "fraction": 1 if r["fraction"] is None else r["fraction"]} for r in rows],
                "unit": form.unit.data or "", "other_feedback": form.other_feedback.data or ""}
    if kind == "ordering":
        return {"items": [r["text"] for r in _rows(form.items, "text")]}
    if kind == "matching":
        rows = _rows(form.pairs, "left", "right", "format")
        # a row with only a right side is a distractor
        return {"pairs": [r for r in rows if r["left"]],
                "distractors": [r["right"] for r in rows if r["right"] and not r["left"]]}
    if kind == "case_analysis":
        return {"reference_answer": form.reference_answer.data or "",
                "key_points": [p.strip() for p in (form.key_points.data or "").splitlines() if p.strip()],
                "rubric": [r for r in _rows(form.rubric, "criterion", "points") if r["criterion"]]}
    abort(400)


def _fill_form(form: QuestionForm, question: Question) -> None:
    version = question.current_version
    payload = version.payload
    form.type_key.data = version.type_key
    form.category.data, form.tags.data = question.category, ", ".join(question.tags or [])
    form.competency.data, form.difficulty.data = question.competency, question.difficulty
    form.title.data, form.stem.data = version.title, version.stem
    form.stem_format.data, form.explanation.data = version.stem_format, version.explanation
    lists = {"options": payload.get("options", []) if "options" in payload else [],
             "answers": payload.get("answers", []) if version.type_key == "fill_blank" else [],
             "numeric_answers": payload.get("answers", []) if version.type_key == "numeric" else [],
             "items": [{"text": t} for t in payload.get("items", [])],
             "pairs": payload.get("pairs", []) + [{"left": "", "right": d} for d in payload.get("distractors", [])],
             "rubric": payload.get("rubric", [])}
    for name, rows in lists.items():
        field = getattr(form, name)
        while len(field.entries):
            field.pop_entry()
        for row in rows:
            field.append_entry(row)
    form.grading.data = payload.get("grading", "partial")
    form.correct.data = "true" if payload.get("correct", True) else "false"
    form.feedback_true.data, form.feedback_false.data = payload.get("feedback_true", ""), payload.get("feedback_false", "")
    form.case_sensitive.data, form.unit.data = payload.get("case_sensitive", False), payload.get("unit", "")
    form.other_feedback.data = payload.get("other_feedback", "")
    form.reference_answer.data = payload.get("reference_answer", "")
    form.key_points.data = "\n".join(payload.get("key_points", []))


STARTING_ROWS = {"single_choice": ("options", 4), "multiple_choice": ("options", 5), "fill_blank": ("answers", 2),
                 "numeric": ("numeric_answers", 1), "ordering": ("items", 4), "matching": ("pairs", 3),
                 "case_analysis": ("rubric", 3)}


def _pad_rows(form: QuestionForm) -> None:
    name, count = STARTING_ROWS.get(form.type_key.data, (None, 0))
    if name:
        field = getattr(form, name)
        while len(field.entries) < count:
            field.append_entry()


def _question_data(form: QuestionForm) -> QuestionData:
    return QuestionData(
        type_key=form.type_key.data, category=form.category.data, competency=form.competency.data,
        tags=[t.strip() for t in (form.tags.data or "").replace("，", ",").split(",") if t.strip()],
        difficulty=form.difficulty.data, title=form.title.data or "", stem=form.stem.data.strip(),
        stem_format=form.stem_format.data, explanation=(form.explanation.data or "").strip(),
        payload=_payload_from_form(form),
    )


@bp.route("/questions/new", methods=["GET", "POST"])
@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@authors_only
def edit(question_id=None):
    question = _question_or_404(question_id) if question_id else None
    form = QuestionForm()
    if request.method == "GET":
        if question is not None:
            _fill_form(form, question)
        else:
            form.type_key.data = request.args.get("type", "single_choice")
    if form.type_key.data not in TYPE_LABELS or (question and form.type_key.data != question.current_version.type_key):
        abort(400)
    if form.validate_on_submit() and "add_row" not in request.form:
        try:
            saved, created = save_question(current_user, question, _question_data(form))
        except PayloadError as error:
            form.form_errors.append(translate(error))
        else:
            flash(_("Saved as version %(n)d.", n=saved.current_version.version) if created
                  else _("Saved. The content did not change, so no new version was made."), "success")
            return redirect(url_for("bank.question", question_id=saved.id))
    added = request.form.get("add_row")
    if added in ROW_LISTS:
        getattr(form, added).append_entry()
    if request.method == "GET":
        _pad_rows(form)
    duplicates = similar_questions(form.stem.data, question.id if question else None) if form.stem.data else []
    template = "bank/partials/_rows.html" if wants_partial() and added else "bank/edit.html"
    return render_template(template, form=form, question=question, type_labels=TYPE_LABELS,
                           duplicates=duplicates, rows=added)


@bp.route("/similar", methods=["POST"])
@authors_only
def similar():
    """The near-duplicate warning for a stem being typed (htmx)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    stem = (request.form.get("stem") or "").strip()
    exclude = request.form.get("question_id", type=int)
    duplicates = similar_questions(stem, exclude) if len(stem) >= 4 else []
    return render_template("bank/partials/_near_duplicates.html", duplicates=duplicates)


@bp.route("/questions/<int:question_id>/retire", methods=["POST"])
@authors_only
def retire(question_id):
    return _set_status(question_id, QuestionStatus.RETIRED.value)


@bp.route("/questions/<int:question_id>/restore", methods=["POST"])
@authors_only
def restore(question_id):
    return _set_status(question_id, QuestionStatus.ACTIVE.value)


def _set_status(question_id: int, status: str):
    question = _question_or_404(question_id)
    if EmptyForm().validate_on_submit():
        set_question_status(current_user, question, status)
    return redirect(url_for("bank.question", question_id=question.id))


# --- import and export ---------------------------------------------------------

def _preview(content: bytes, format_name: str):
    result = parse(format_name, content)
    result.errors.extend(check_parsed(result.questions))
    result.errors.sort(key=lambda e: e["line"])
    bad_lines = {e["line"] for e in result.errors}
    duplicates = {q.line: similar_questions(q.stem) for q in result.questions}
    return result, bad_lines, duplicates


@bp.route("/import", methods=["GET", "POST"])
@authors_only
def import_view():
    form = ImportForm()
    if form.validate_on_submit():
        content = form.file.data.read()
        try:
            result, bad_lines, duplicates = _preview(content, form.format.data)
        except UnreadableFile as error:
            form.file.errors.append(translate(error.args[0]))
        else:
            upload = stash_upload(current_user.id, "questions", form.file.data.filename or "questions", content)
            db.session.commit()
            commit = ImportCommitForm(upload_key=upload.key, format=form.format.data)
            return render_template("bank/import_preview.html", result=result, bad_lines=bad_lines,
                                   duplicates=duplicates, commit_form=commit, filename=upload.filename,
                                   type_labels=TYPE_LABELS)
    return render_template("bank/import.html", form=form)


@bp.route("/import/commit", methods=["POST"])
@authors_only
def import_commit():
    form = ImportCommitForm()
    if not form.validate_on_submit():
        abort(400)
    if form.format.data not in FORMATS:
        abort(400)
    claimed = claim_upload(form.upload_key.data, current_user.id, "questions")
    if claimed is None:
        db.session.rollback()
        flash(_("That upload has expired or was already imported. Upload the file again."), "error")
        return redirect(url_for("bank.import_view"))
    filename, content = claimed
    # The claim and the import commit together: either both happen or neither.
    outcome = import_questions(parse(form.format.data, content), current_user, only_valid=form.only_valid.data,
                               source_name=filename)
    if not outcome.created:
        db.session.rollback()
        flash(_("Nothing was imported: the file has %(n)d errors.", n=len(outcome.errors)), "error")
        return redirect(url_for("bank.import_view"))
    flash(_("%(n)d questions imported.", n=len(outcome.created)), "success")
    return redirect(url_for("bank.index", status="active"))


EXPORT_TYPES = {"gift": ("text/plain", "gift"), "moodlexml": ("application/xml", "xml"),
                "yaml": ("application/yaml", "yaml"), "aiken": ("text/plain", "txt")}


@bp.route("/export")
@authors_only
def export():
    format_name = request.args.get("format", "gift")
    if format_name not in EXPORT_TYPES:
        abort(404)
    form = QuestionFilterForm(request.args, areas=_areas())
    form.validate()
    questions = list(db.session.scalars(_filtered(form)))
    text, _skipped = write(format_name, export_dicts(questions))
    mimetype, suffix = EXPORT_TYPES[format_name]
    return Response(text, mimetype=f"{mimetype}; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=questions.{suffix}"})
