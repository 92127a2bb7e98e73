"""Pages of the scenario library: browse and preview, drill player and
debrief, drill assignments, live role-play sessions, rubrics and agreement.

Access: every signed-in user may browse and drill. A run is its owner's; its
debrief is also open to staff who can see the owner. Sessions: see
services.can_view_session / can_read_sheets (blind until one's own sheet is in).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.auth.forms import EmptyForm
from app.auth.models import Role
from app.auth.permissions import STAFF_ROLES, can_view_user, role_required
from app.auth.services import find_by_employee_numbers
from app.extensions import db
from app.quiz.staff_routes import assign_page
from app.scenarios import bp, drills, services
from app.scenarios.forms import CloseForm, SessionForm
from app.scenarios.models import (
    COMPETENCY_LABELS,
    EMOTION_LABELS,
    ENDING_LABELS,
    KIND_LABELS,
    RUBRIC_KIND_LABELS,
    SITUATION_LABELS,
    DrillRun,
    RoleplaySession,
    Rubric,
    RubricVersion,
    Scenario,
)
from app.scenarios.rubric import RatingError
from app.scenarios.schema import EMOTIONS
from app.scenarios.stats import alpha_level, icc_level
from app.web import localized, wants_partial

staff_only = role_required(*STAFF_ROLES)


@bp.context_processor
def labels():
    return {"SITUATIONS": SITUATION_LABELS, "COMPETENCIES": COMPETENCY_LABELS, "EMOTIONS": EMOTION_LABELS,
            "ENDINGS": ENDING_LABELS, "KINDS": KIND_LABELS, "RUBRIC_KINDS": RUBRIC_KIND_LABELS,
            "EMOTION_ORDER": EMOTIONS, "alpha_level": alpha_level, "icc_level": icc_level, "localized": localized}


def _int(value: str | None) -> int | None:
    """A plain non-negative integer from a form or query value, else None."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number < 2**31 else None


def _is_staff() -> bool:
    return current_user.role in STAFF_ROLES


def _scenario_or_404(scenario_id: int, kind: str | None = None) -> Scenario:
    scenario = db.session.get(Scenario, scenario_id)
    if scenario is None or scenario.current_version is None or (kind and scenario.kind != kind):
        abort(404)
    return scenario


# ------------------------------------------------------------------ library

@bp.route("/")
@login_required
def library():
    args = request.args
    query = select(Scenario).where(Scenario.status == "active")
    kind = args.get("kind", "")
    situation = args.get("situation", "")
    competency = args.get("competency", "")
    difficulty = args.get("difficulty", "")
    if kind in KIND_LABELS:
        query = query.where(Scenario.kind == kind)
    if situation in SITUATION_LABELS:
        query = query.where(Scenario.situation == situation)
    if (_int(difficulty) or 0) in range(1, 6):
        query = query.where(Scenario.difficulty == _int(difficulty))
    rows = db.session.scalars(query.options(joinedload(Scenario.current_version))
                              .order_by(Scenario.situation, Scenario.difficulty, Scenario.slug)).all()
    if competency in COMPETENCY_LABELS:
        rows = [s for s in rows if competency in (s.competencies or [])]
    best = dict(db.session.execute(
        select(DrillRun.scenario_id, func.max(DrillRun.percent)).where(
            DrillRun.user_id == current_user.id, DrillRun.status == "finished").group_by(DrillRun.scenario_id)).all())
    running = set(db.session.scalars(select(DrillRun.scenario_id).where(
        DrillRun.user_id == current_user.id, DrillRun.status == "in_progress")))
    assigned = services.drill_assignments_for(current_user)
    return render_template("scenarios/library.html", scenarios=rows, best=best, running=running, assigned=assigned,
                           filters={"kind": kind, "situation": situation, "competency": competency,
                                    "difficulty": difficulty})


@bp.route("/<int:scenario_id>")
@login_required
def preview(scenario_id):
    scenario = _scenario_or_404(scenario_id)
    version = scenario.current_version
    context = {"scenario": scenario, "version": version, "staff": _is_staff(), "form": EmptyForm()}
    if scenario.kind == "drill":
        spec = services.drill_spec(version)
        context["spec"] = spec
        context["runs"] = db.session.scalars(select(DrillRun).where(
            DrillRun.user_id == current_user.id, DrillRun.scenario_id == scenario.id).order_by(
            DrillRun.started_at.desc()).limit(20)).all()
        context["reply_steps"] = sum(1 for n in spec.nodes.values() if n.reply is not None)
    else:
        context["spec"] = services.roleplay_spec(version)
        context["rubric"] = db.session.scalar(select(Rubric).where(Rubric.slug == context["spec"].rubric))
    return render_template("scenarios/preview.html", **context)


# ------------------------------------------------------------------ drills

@bp.route("/<int:scenario_id>/run", methods=["POST"])
@login_required
def start_run(scenario_id):
    scenario = _scenario_or_404(scenario_id, "drill")
    if scenario.status != "active" or not EmptyForm().validate_on_submit():
        abort(400)
    run = services.start_run(current_user, scenario)
    return redirect(url_for("scenarios.run", run_id=run.id))


def _own_run_or_404(run_id: int) -> DrillRun:
    run = db.session.get(DrillRun, run_id)
    if run is None or run.user_id != current_user.id:
        abort(404)
    return run


def choice_order(run: DrillRun, node: str, count: int) -> list[int]:
    """The order the choices of `node` are shown in for this run: fixed per
    run and node (a reload shows the same), unguessable without the secret
    key. Buttons post the position shown, never the index in the file, so
    "the first one written is the best" cannot be read from the page."""
    seed = hmac.new(current_app.secret_key.encode(), f"{run.id}:{run.step_count}:{node}".encode(),
                    hashlib.sha256).hexdigest()
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return order


def _run_context(run: DrillRun, notice: str = "") -> dict:
    spec = services.drill_spec(run.version)
    state = drills.RunState.from_json(run.state)
    node = spec.nodes[state.node]
    order = choice_order(run, state.node, len(node.choices))
    return {"run": run, "spec": spec, "node": node, "state": state, "choice_order": order,
            "mood": EMOTIONS[state.mood], "form": EmptyForm(), "notice": notice}


@bp.route("/runs/<int:run_id>")
@login_required
def run(run_id):
    run = _own_run_or_404(run_id)
    return render_template("scenarios/run.html", **_run_context(run))


@bp.route("/runs/<int:run_id>/step", methods=["POST"])
@login_required
def step(run_id):
    run = _own_run_or_404(run_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    expected = _int(request.form.get("step"))
    if expected is None:
        abort(400)
    notice, status = "", 200
    shown = _int(request.form.get("choice"))
    choice = None
    if shown is not None and expected == run.step_count and run.status == "in_progress":
        node_name = run.state["node"]
        order = choice_order(run, node_name, len(services.drill_spec(run.version).nodes[node_name].choices))
        choice = order[shown] if shown < len(order) else None
    try:
        changed = services.take_step(run, expected, choice=choice, reply=request.form.get("reply"))
        if not changed and run.status == "in_progress":
            notice = _("That step was already taken; this is where the conversation is now.")
    except services.StepRefused as refused:
        status = 422
        notice = {"empty": _("Type a reply before sending."),
                  "too_long": _("Replies are limited to %(n)d characters.", n=services.MAX_REPLY_CHARS),
                  "choice": _("Choose one of the answers.")}[str(refused)]
    if wants_partial():
        context = _run_context(run, notice)
        context["draft"] = request.form.get("reply", "") if status == 422 else ""
        return render_template("scenarios/partials/conversation.html", **context), status
    if notice:
        flash(notice, "warning")
    return redirect(url_for("scenarios.run", run_id=run.id))


@bp.route("/runs/<int:run_id>/debrief")
@login_required
def debrief(run_id):
    run = db.session.get(DrillRun, run_id)
    if run is None or not (run.user_id == current_user.id or (_is_staff() and can_view_user(current_user, run.user))):
        abort(404)
    if run.status != "finished":
        if run.user_id == current_user.id:
            return redirect(url_for("scenarios.run", run_id=run.id))
        abort(404)
    spec = services.drill_spec(run.version)
    best = services.drill_maximum(run.version)
    return render_template("scenarios/debrief.html", run=run, spec=spec, best=best, form=EmptyForm(),
                           maximum=run.version.max_competencies or {})


@bp.route("/<int:scenario_id>/assign", methods=["GET", "POST"])
@staff_only
def assign_drill(scenario_id):
    scenario = _scenario_or_404(scenario_id, "drill")
    return assign_page("scenario_id", scenario, url_for("scenarios.preview", scenario_id=scenario.id))


# ------------------------------------------------------------------ role-play sessions

@bp.route("/roleplays")
@login_required
def sessions():
    rows = db.session.scalars(services.visible_sessions(current_user).options(
        joinedload(RoleplaySession.scenario), joinedload(RoleplaySession.agent),
        selectinload(RoleplaySession.raters)).order_by(
        RoleplaySession.status.desc(), RoleplaySession.held_on.desc(), RoleplaySession.id.desc()).limit(200)).all()
    return render_template("scenarios/sessions.html", sessions=rows)


SESSION_ERRORS = {
    "not_an_agent": lambda: _("Only an active agent can be assessed."),
    "not_your_team": lambda: _("You can only set up role-plays for agents in your own team or the teams you manage."),
    "no_observers": lambda: _("Name at least one observer."),
    "agent_cannot_observe": lambda: _("The agent assessed cannot observe or play the customer."),
    "inactive": lambda: _("That person's account is deactivated."),
    "not_a_teammate": lambda: _("Observers and the customer player must be the agent's teammates, the agent's managers, "
                                "trainers or admins."),
    "no_rubric": lambda: _("This card's rubric is missing; run content sync."),
}


@bp.route("/roleplays/new", methods=["GET", "POST"])
@login_required
def new_session():
    cards = db.session.scalars(select(Scenario).where(Scenario.kind == "roleplay", Scenario.status == "active")
                               .order_by(Scenario.difficulty, Scenario.slug)).all()
    form = SessionForm()
    form.scenario_id.choices = [(s.id, s.title) for s in cards]
    if request.method == "GET":
        form.held_on.data = date.today()
        form.scenario_id.data = request.args.get("scenario", type=int)
        if current_user.role == Role.AGENT:
            form.agent.data = current_user.employee_no
    if not _is_staff():
        del form.supervisor_weight
    if form.validate_on_submit():
        agents, missing = find_by_employee_numbers(form.agent.data)
        observers, missing_observers = find_by_employee_numbers(form.observers.data)
        player, missing_player = find_by_employee_numbers(form.customer_player.data or "")
        if missing or not agents:
            form.agent.errors.append(_("No one has the employee number %(no)s.", no=form.agent.data.strip()))
        elif missing_observers:
            form.observers.errors.append(_("No one has the employee numbers: %(nos)s", nos=", ".join(missing_observers)))
        elif missing_player:
            form.customer_player.errors.append(
                _("No one has the employee number %(no)s.", no=", ".join(missing_player)))
        else:
            weight = form.supervisor_weight.data if "supervisor_weight" in form else None
            try:
                session = services.create_session(current_user, _scenario_or_404(form.scenario_id.data, "roleplay"),
                                                  agents[0], observers, form.held_on.data,
                                                  player[0] if player else None, weight)
            except services.SessionError as error:
                target = {"agent": form.agent, "observers": form.observers,
                          "customer_player": form.customer_player}.get(error.field, form.scenario_id)
                target.errors.append(SESSION_ERRORS[error.message]())
            else:
                flash(_("Role-play session created."), "success")
                return redirect(url_for("scenarios.session", session_id=session.id))
    return render_template("scenarios/new_session.html", form=form, cards=cards)


def _session_or_404(session_id: int) -> RoleplaySession:
    session = db.session.get(RoleplaySession, session_id)
    if session is None or not services.can_view_session(session, current_user):
        abort(404)
    return session


def _session_page(session: RoleplaySession, sheet_errors=None, draft=None, status=200):
    criteria = services.rubric_criteria(session.rubric_version)
    own = services.rater_of(session, current_user)
    readable = services.can_read_sheets(session, current_user)
    result = session.result if session.status == "closed" else (services.aggregate(session) if readable else None)
    # Sorted by text, not by observer, so the order does not tell who wrote what.
    comments = sorted(r.comment for r in session.raters if r.submitted_at and r.comment) \
        if session.status == "closed" else []
    return render_template(
        "scenarios/session.html", session=session, spec=services.roleplay_spec(session.version), criteria=criteria,
        own=own, readable=readable, result=result, comments=comments, sheet_errors=sheet_errors or {},
        draft=draft or {}, form=EmptyForm(), close_form=CloseForm(),
        show_customer=services.can_see_customer_brief(session, current_user),
        can_close=services.can_close(session, current_user)), status


@bp.route("/roleplays/<int:session_id>")
@login_required
def session(session_id):
    return _session_page(_session_or_404(session_id))


def read_sheet(criteria, form) -> tuple[dict[str, int | None], dict[str, str]]:
    """The sheet as posted: criterion code → level index, None for N/A.
    Errors name the criterion; what was given is kept for the form."""
    ratings, errors = {}, {}
    for criterion in criteria:
        raw = form.get(f"c_{criterion.code}", "")
        if raw == "na":
            if criterion.allow_na:
                ratings[criterion.code] = None
            else:
                errors[criterion.code] = _("N/A is not allowed here.")
        elif _int(raw) is not None and _int(raw) < len(criterion.levels):
            ratings[criterion.code] = _int(raw)
        else:
            errors[criterion.code] = _("Choose a level.")
    return ratings, errors


@bp.route("/roleplays/<int:session_id>/sheet", methods=["POST"])
@login_required
def submit_sheet(session_id):
    session = _session_or_404(session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.rater_of(session, current_user) is None:
        abort(403)
    criteria = services.rubric_criteria(session.rubric_version)
    ratings, errors = read_sheet(criteria, request.form)
    draft = {k: v for k, v in request.form.items() if k.startswith("c_") or k == "comment"}
    if errors:
        return _session_page(session, errors, draft, 422)
    try:
        done = services.submit_sheet(session, current_user, ratings, request.form.get("comment", ""))
    except RatingError as error:
        return _session_page(session, {error.criterion: error.message}, draft, 422)
    if done:
        flash(_("Your sheet is in. You can now see the other observers' sheets."), "success")
    elif session.status != "open":
        flash(_("This session is closed; sheets can no longer be submitted."), "warning")
    else:
        flash(_("Your sheet was already submitted; it was not changed."), "warning")
    return redirect(url_for("scenarios.session", session_id=session.id))


@bp.route("/roleplays/<int:session_id>/close", methods=["POST"])
@login_required
def close(session_id):
    session = _session_or_404(session_id)
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    if session.status != "open":
        flash(_("This session is already closed."), "warning")
        return redirect(url_for("scenarios.session", session_id=session.id))
    if not services.can_close(session, current_user):
        abort(403)
    try:
        closed = services.close_session(session, current_user, form.summary.data or "")
    except services.SessionError:
        flash(_("No sheet has been submitted yet; the session cannot be closed."), "error")
    else:
        if closed:
            flash(_("Session closed; the agent can now see the result."), "success")
        else:
            flash(_("This session is already closed."), "warning")
    return redirect(url_for("scenarios.session", session_id=session.id))


# ------------------------------------------------------------------ rubrics

@bp.route("/rubrics")
@login_required
def rubrics():
    rows = db.session.scalars(select(Rubric).where(Rubric.status == "active").order_by(Rubric.kind, Rubric.slug)).all()
    return render_template("scenarios/rubrics.html", rubrics=rows)


@bp.route("/rubrics/<int:rubric_id>")
@login_required
def rubric(rubric_id):
    row = db.session.get(Rubric, rubric_id)
    if row is None or row.current_version is None:
        abort(404)
    version = row.current_version
    if "version" in request.args:
        requested = _int(request.args["version"])
        version = None if requested is None else db.session.scalar(select(RubricVersion).where(
            RubricVersion.rubric_id == row.id, RubricVersion.version == requested))
        if version is None:
            abort(404)
    table = None
    if _is_staff():
        closed = db.session.scalars(services.visible_sessions(current_user).where(
            RoleplaySession.rubric_version_id == version.id, RoleplaySession.status == "closed")
            .order_by(RoleplaySession.held_on, RoleplaySession.id)).all()
        table = services.agreement_across(closed)
    return render_template("scenarios/rubric.html", rubric=row, version=version,
                           criteria=services.rubric_criteria(version), table=table, staff=_is_staff())

