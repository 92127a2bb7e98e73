"""Writes and reads for the scenario library: syncing files, drill runs,
role-play sessions and their sheets, agreement between raters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import combinations

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.auth.models import Role, User, team_managers
from app.auth.services import record_audit
from app.db_types import utcnow
from app.extensions import db
from app.quiz.models import Assignment
from app.scenarios import drills, rubric, stats
from app.scenarios.content import LoadedContent
from app.scenarios.models import (
    DrillRun,
    RoleplayRater,
    RoleplaySession,
    Rubric,
    RubricVersion,
    Scenario,
    ScenarioVersion,
)
from app.scenarios.schema import EMOTIONS, DrillSpec, RoleplaySpec, RubricSpec

SUPERVISOR_ROLES = (Role.TRAINER.value, Role.MANAGER.value, Role.ADMIN.value)
MAX_REPLY_CHARS = 2000


# ------------------------------------------------------------------ sync

def _sync_rows(model, version_model, items, counts: dict, label: str, fields, version_fields) -> set[str]:
    """Upsert one kind of row (rubrics or scenarios) by slug; a changed
    content hash appends a version and makes it current."""
    rows = {r.slug: r for r in db.session.scalars(select(model))}
    for loaded in items:
        row = rows.get(loaded.spec.id)
        current = row.current_version if row is not None else None
        if row is None:
            row = rows[loaded.spec.id] = model(slug=loaded.spec.id)
            db.session.add(row)
            counts[f"{label}_added"] += 1
        elif current is not None and current.content_hash == loaded.content_hash:
            counts["unchanged"] += 1
        else:
            counts[f"{label}_new_version"] += 1
        for name, value in {**fields(loaded.spec), "status": "active", "source_path": loaded.path}.items():
            setattr(row, name, value)
        if current is None or current.content_hash != loaded.content_hash:
            version = version_model(version=1 + max((v.version for v in row.versions), default=0),
                                    definition=loaded.definition, content_hash=loaded.content_hash,
                                    **version_fields(loaded))
            row.versions.append(version)
            row.current_version = version
    seen = {item.spec.id for item in items}
    for slug, row in rows.items():
        if slug not in seen and row.status == "active":
            row.status = "retired"
            counts["retired"] += 1
    return seen


def sync_content(content: LoadedContent) -> dict[str, int]:
    """Make the database match scenarios/: new files are added, changed ones
    get a new version, vanished ones are retired. Idempotent; commits once."""
    counts = {"rubrics_added": 0, "rubrics_new_version": 0, "scenarios_added": 0, "scenarios_new_version": 0,
              "retired": 0, "unchanged": 0}
    _sync_rows(Rubric, RubricVersion, content.rubrics, counts, "rubrics",
               lambda spec: {"kind": spec.kind, "title_zh": spec.title_zh, "title_en": spec.title_en},
               lambda loaded: {})
    _sync_rows(Scenario, ScenarioVersion, content.scenarios, counts, "scenarios",
               lambda spec: {"kind": spec.kind, "title_zh": spec.title_zh, "title_en": spec.title_en,
                             "situation": spec.situation, "difficulty": spec.difficulty,
                             "competencies": list(spec.competencies)},
               lambda loaded: {"max_total": loaded.max_total, "max_competencies": loaded.max_competencies})
    db.session.commit()
    return counts


# ------------------------------------------------------------ specs

@lru_cache(maxsize=256)
def _drill_spec(version_id: int, content_hash: str) -> DrillSpec:
    version = db.session.get(ScenarioVersion, version_id)
    return DrillSpec.model_validate(version.definition)


def drill_spec(version: ScenarioVersion) -> DrillSpec:
    """The parsed drill of a version (versions never change: cached)."""
    return _drill_spec(version.id, version.content_hash)


@lru_cache(maxsize=64)
def _drill_maximum(version_id: int, content_hash: str) -> drills.Maximum:
    return drills.maximum(_drill_spec(version_id, content_hash))


def drill_maximum(version: ScenarioVersion) -> drills.Maximum:
    """The best path and maxima of a version, computed once per process."""
    return _drill_maximum(version.id, version.content_hash)


def roleplay_spec(version: ScenarioVersion) -> RoleplaySpec:
    return RoleplaySpec.model_validate(version.definition)


def rubric_criteria(version: RubricVersion) -> tuple[rubric.Criterion, ...]:
    """The criteria of a rubric version (versions never change: cached)."""
    return _rubric_criteria(version.id, version.content_hash)


@lru_cache(maxsize=64)
def _rubric_criteria(version_id: int, content_hash: str) -> tuple[rubric.Criterion, ...]:
    spec = RubricSpec.model_validate(db.session.get(RubricVersion, version_id).definition)
    return tuple(
        rubric.Criterion(code=c.code, competency=c.competency, weight=c.weight, critical=c.critical,
                         allow_na=c.allow_na, label_zh=c.label_zh, label_en=c.label_en,
                         levels=tuple(rubric.Level(lv.points, lv.zh, lv.en) for lv in c.levels))
        for c in spec.criteria)


# ------------------------------------------------------------ drill runs

def open_run(user: User, scenario: Scenario) -> DrillRun | None:
    return db.session.scalar(select(DrillRun).where(
        DrillRun.user_id == user.id, DrillRun.scenario_id == scenario.id, DrillRun.status == "in_progress"))


def start_run(user: User, scenario: Scenario) -> DrillRun:
    """Resume the open run of this drill (on the version it started with),
    or start a new one on the current version."""
    run = open_run(user, scenario)
    if run is not None:
        return run
    version = scenario.current_version
    state = drills.start(drill_spec(version))
    run = DrillRun(scenario_id=scenario.id, scenario_version_id=version.id, user_id=user.id, state=state.as_json(),
                   steps=[])
    db.session.add(run)
    db.session.commit()
    return run


class StepRefused(ValueError):
    """Input the current drill step cannot take: "empty", "too_long" or "choice"."""


def _record(spec: DrillSpec, node_name: str, mood: int, result: drills.StepResult, kind: str, text: str,
            feedback: str) -> dict:
    entry = {"node": node_name, "customer": spec.nodes[node_name].customer, "mood": EMOTIONS[mood],
             "kind": kind, "text": text, "points": result.points, "repeated": result.repeated,
             "feedback": feedback, "next": result.next_node}
    if result.reply is not None:
        entry["passed"] = result.reply.passed
        entry["rules"] = [{"code": o.code, "label": o.label, "kind": o.kind, "ok": o.ok, "feedback": o.feedback,
                           "matched": o.matched} for o in result.reply.outcomes]
    return entry


def take_step(run: DrillRun, expected_count: int, *, choice: int | None = None, reply: str | None = None) -> bool:
    """Apply one step. Returns False (and changes nothing) when the step is
    stale: the run moved on or finished (a double submit, a second tab).
    Raises StepRefused for input the current node cannot take."""
    if run.status != "in_progress" or expected_count != run.step_count:
        return False
    spec = drill_spec(run.version)
    state = drills.RunState.from_json(run.state)
    node_name, mood = state.node, state.mood
    node = spec.nodes[node_name]
    if node.reply is not None:
        text = (reply or "").strip()
        if not text:
            raise StepRefused("empty")
        if len(text) > MAX_REPLY_CHARS:
            raise StepRefused("too_long")
        result = drills.answer(spec, state, text)
        entry = _record(spec, node_name, mood, result, "reply", text, "")
    else:
        if choice is None or not 0 <= choice < len(node.choices):
            raise StepRefused("choice")
        result = drills.choose(spec, state, choice)
        picked = node.choices[choice]
        entry = _record(spec, node_name, mood, result, "choice", picked.text, picked.feedback)
    values = {"state": state.as_json(), "steps": [*run.steps, entry], "step_count": run.step_count + 1}
    if state.finished:
        total = state.score
        maximum = run.version.max_total or 0
        values.update(status="finished", total=total, ending=state.ending, finished_at=utcnow(),
                      percent=max(0.0, min(100.0, 100 * total / maximum)) if maximum > 0 else None)
    done = db.session.execute(
        update(DrillRun).where(DrillRun.id == run.id, DrillRun.step_count == expected_count).values(**values)
    ).rowcount
    db.session.commit()
    db.session.refresh(run)
    return bool(done)


def drill_assignments_for(user: User) -> list[Assignment]:
    return list(db.session.scalars(
        select(Assignment).join(Scenario, Assignment.scenario_id == Scenario.id).where(
            Scenario.status == "active",
            or_(Assignment.user_id == user.id,
                and_(Assignment.team_id.is_not(None), Assignment.team_id == user.team_id),
                Assignment.tier == user.tier),
        ).order_by(Assignment.due_on.is_(None), Assignment.due_on)))


# ------------------------------------------------------------ role-play

def is_supervisor(user: User) -> bool:
    return user.role in SUPERVISOR_ROLES


def manages(user: User, team_id: int | None) -> bool:
    if team_id is None:
        return False
    return db.session.scalar(select(team_managers.c.team_id).where(
        team_managers.c.user_id == user.id, team_managers.c.team_id == team_id)) is not None


def rater_of(session: RoleplaySession, user: User) -> RoleplayRater | None:
    return next((r for r in session.raters if r.user_id == user.id), None)


def has_scope(session: RoleplaySession, user: User) -> bool:
    """Staff responsible for the assessed agent: trainers, admins, the agent's managers."""
    return user.role in (Role.TRAINER, Role.ADMIN) or (user.role == Role.MANAGER and manages(user, session.team_id))


def can_view_session(session: RoleplaySession, user: User) -> bool:
    return (has_scope(session, user) or user.id in (session.agent_id, session.customer_player_id,
                                                     session.created_by_id)
            or rater_of(session, user) is not None)


def can_read_sheets(session: RoleplaySession, user: User) -> bool:
    """Individual sheets: blind until the reader's own sheet is in. Raters
    who submitted and responsible staff who are not pending raters may read
    them; the assessed agent never does (they get the aggregate)."""
    if user.id == session.agent_id:
        return False
    own = rater_of(session, user)
    if own is not None:
        return own.submitted_at is not None
    return has_scope(session, user)


def can_see_customer_brief(session: RoleplaySession, user: User) -> bool:
    return user.id != session.agent_id or session.status == "closed"


PEER_CLOSE_MIN_SHEETS = 2


def can_close(session: RoleplaySession, user: User) -> bool:
    """Responsible staff may close. An agent who set a peer session up may
    close it once at least two observers have submitted (so no one peer
    publishes a result alone) — never the agent assessed."""
    if session.status != "open":
        return False
    if has_scope(session, user):
        return True
    sheets = sum(1 for r in session.raters if r.submitted_at is not None)
    return user.id == session.created_by_id and user.id != session.agent_id and sheets >= PEER_CLOSE_MIN_SHEETS


class SessionError(ValueError):
    """A session that cannot be created as asked; `field` says which input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def check_session_people(actor: User, agent: User, observers: list[User], customer_player: User | None) -> None:
    """Who may set up what: staff for agents in their scope; an agent for
    their own team (peers take turns). Observers and the customer player are
    the agent's teammates or staff responsible for the agent (trainers,
    admins, the managers of the agent's team); nobody observes themself. The
    customer player may also observe (pairs score each other)."""
    from app.auth.permissions import can_view_user

    if agent.role != Role.AGENT or not agent.is_active:
        raise SessionError("agent", "not_an_agent")
    if actor.role == Role.AGENT:
        if actor.team_id is None or agent.team_id != actor.team_id:
            raise SessionError("agent", "not_your_team")
    elif not can_view_user(actor, agent):
        raise SessionError("agent", "not_your_team")
    if not observers:
        raise SessionError("observers", "no_observers")
    for person in [*observers, *([customer_player] if customer_player else [])]:
        field = "observers" if person in observers else "customer_player"
        if person.id == agent.id:
            raise SessionError(field, "agent_cannot_observe")
        if not person.is_active:
            raise SessionError(field, "inactive")
        responsible = person.role in (Role.TRAINER, Role.ADMIN) or (
            person.role == Role.MANAGER and manages(person, agent.team_id))
        if not (responsible or (person.role == Role.AGENT and person.team_id is not None
                                and person.team_id == agent.team_id)):
            raise SessionError(field, "not_a_teammate")


def create_session(actor: User, scenario: Scenario, agent: User, observers: list[User], held_on: date,
                   customer_player: User | None = None, supervisor_weight: float | None = None) -> RoleplaySession:
    check_session_people(actor, agent, observers, customer_player)
    rubric_row = db.session.scalar(select(Rubric).where(
        Rubric.slug == scenario.current_version.definition["rubric"]))
    if rubric_row is None or rubric_row.current_version is None:
        raise SessionError("scenario", "no_rubric")
    weight = supervisor_weight if supervisor_weight is not None else \
        current_app.config.get("ROLEPLAY_SUPERVISOR_WEIGHT", 2.0)
    session = RoleplaySession(
        scenario_id=scenario.id, scenario_version_id=scenario.current_version_id,
        rubric_version_id=rubric_row.current_version_id, agent_id=agent.id, team_id=agent.team_id,
        customer_player_id=customer_player.id if customer_player else None, held_on=held_on,
        supervisor_weight=weight, created_by_id=actor.id,
        raters=[RoleplayRater(user_id=o.id, is_supervisor=is_supervisor(o)) for o in dict.fromkeys(observers)])
    db.session.add(session)
    db.session.flush()
    record_audit(actor, "roleplay.created", "roleplay_session", session.id, None,
                 {"scenario": scenario.slug, "agent": agent.employee_no,
                  "observers": [o.employee_no for o in observers], "held_on": held_on.isoformat()})
    db.session.commit()
    return session


def submit_sheet(session: RoleplaySession, user: User, ratings: dict[str, int | None], comment: str) -> bool:
    """Score and store an observer's sheet. Final once submitted (so nobody
    can adjust after reading the others); returns False when it was already
    in or the session closed. Raises rubric.RatingError for a bad sheet."""
    rater = rater_of(session, user)
    if rater is None:
        raise PermissionError("not an observer of this session")
    if session.status != "open" or rater.submitted_at is not None:
        return False
    result = rubric.score(rubric_criteria(session.rubric_version), ratings)
    done = db.session.execute(
        update(RoleplayRater).where(
            RoleplayRater.id == rater.id, RoleplayRater.submitted_at.is_(None),
            RoleplayRater.session_id.in_(select(RoleplaySession.id).where(RoleplaySession.status == "open"))
        ).values(
            ratings=dict(ratings), percent=result.percent, competencies=result.competencies,
            critical_failures=list(result.critical_failures), comment=comment.strip()[:4000],
            submitted_at=utcnow())).rowcount
    db.session.commit()
    db.session.refresh(rater)
    return bool(done)


def _weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    weight = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / weight if weight else None


def criterion_percent(criteria, ratings: dict) -> dict[str, float | None]:
    out = {}
    for c in criteria:
        choice = ratings.get(c.code)
        out[c.code] = None if choice is None else 100 * c.levels[choice].points / c.max_points
    return out


def aggregate(session: RoleplaySession) -> dict | None:
    """The session's result from the submitted sheets: weighted mean of the
    raters' scores (supervisors weigh `supervisor_weight`, peers 1), the same
    per competency and per criterion, critical failures counted, and the
    agreement between raters on the criteria."""
    sheets = [r for r in session.raters if r.submitted_at is not None]
    if not sheets:
        return None
    criteria = rubric_criteria(session.rubric_version)
    weight = {r.id: (session.supervisor_weight if r.is_supervisor else 1.0) for r in sheets}
    percent = _weighted_mean([(r.percent, weight[r.id]) for r in sheets if r.percent is not None])
    competencies = {}
    for competency in dict.fromkeys(c.competency for c in criteria):
        competencies[competency] = _weighted_mean([(r.competencies[competency], weight[r.id]) for r in sheets
                                                   if (r.competencies or {}).get(competency) is not None])
    per_rater = {r.id: criterion_percent(criteria, r.ratings or {}) for r in sheets}
    by_criterion = {c.code: _weighted_mean([(per_rater[r.id][c.code], weight[r.id]) for r in sheets
                                            if per_rater[r.id][c.code] is not None]) for c in criteria}
    failures: dict[str, int] = {}
    for r in sheets:
        for code in r.critical_failures or []:
            failures[code] = failures.get(code, 0) + 1
    result = {"percent": percent, "competencies": competencies, "criteria": by_criterion,
              "critical_failures": failures, "raters": len(sheets),
              "supervisors": sum(1 for r in sheets if r.is_supervisor),
              "unsubmitted": sum(1 for r in session.raters if r.submitted_at is None)}
    if len(sheets) >= 2:
        units = [[per_rater[r.id][c.code] for r in sheets] for c in criteria]
        try:
            alpha = stats.krippendorff_alpha_interval(units)
        except stats.AgreementError:
            alpha = None
        result["alpha"] = alpha
        result["alpha_level"] = stats.alpha_level(alpha) if alpha is not None else None
    return result


def close_session(session: RoleplaySession, actor: User, summary: str) -> bool:
    if session.status != "open":
        return False
    result = aggregate(session)
    if result is None:
        raise SessionError("close", "no_sheets")
    done = db.session.execute(
        update(RoleplaySession).where(RoleplaySession.id == session.id, RoleplaySession.status == "open").values(
            status="closed", result=result, summary=summary.strip()[:4000], closed_at=utcnow(),
            closed_by_id=actor.id)).rowcount
    if done:
        record_audit(actor, "roleplay.closed", "roleplay_session", session.id, None,
                     {"percent": result["percent"], "raters": result["raters"]})
    db.session.commit()
    db.session.refresh(session)
    return bool(done)


def visible_sessions(user: User):
    """A SELECT of the sessions `user` may open."""
    query = select(RoleplaySession)
    if user.role in (Role.TRAINER, Role.ADMIN):
        return query
    involved = or_(RoleplaySession.agent_id == user.id, RoleplaySession.customer_player_id == user.id,
                   RoleplaySession.created_by_id == user.id,
                   RoleplaySession.id.in_(select(RoleplayRater.session_id).where(RoleplayRater.user_id == user.id)))
    if user.role == Role.MANAGER:
        return query.where(or_(involved, RoleplaySession.team_id.in_(
            select(team_managers.c.team_id).where(team_managers.c.user_id == user.id))))
    return query.where(involved)


def practice_of(person: User, limit: int = 10) -> tuple[list[DrillRun], list[RoleplaySession]]:
    """The person's latest finished drill runs and closed role-play sessions
    as the one assessed (for their profile page; the caller checks scope)."""
    runs = db.session.scalars(select(DrillRun).where(DrillRun.user_id == person.id, DrillRun.status == "finished")
                              .order_by(DrillRun.finished_at.desc()).limit(limit)).all()
    sessions = db.session.scalars(select(RoleplaySession).where(
        RoleplaySession.agent_id == person.id, RoleplaySession.status == "closed")
        .order_by(RoleplaySession.held_on.desc()).limit(limit)).all()
    return list(runs), list(sessions)


# ------------------------------------------------------------ agreement across sessions

@dataclass(frozen=True)
class AgreementTable:
    raters: list[User]
    sessions: list[RoleplaySession]
    matrix: list[list[float]]                       # sessions × raters, totals 0..100
    icc: stats.ICC | None
    alpha_totals: float | None
    dropped_sessions: int


MAX_RATERS_SEARCHED = 12


def _rater_groups(raters: list[int]):
    """Every group of two or more raters (up to MAX_RATERS_SEARCHED raters);
    beyond that, the pairs and the whole set, which is what fits a page."""
    if len(raters) <= MAX_RATERS_SEARCHED:
        for size in range(2, len(raters) + 1):
            yield from combinations(raters, size)
    else:
        yield from combinations(raters, 2)
        yield tuple(raters)


def agreement_across(sessions: list[RoleplaySession]) -> AgreementTable:
    """ICC needs every rater to have scored every target. From closed
    sessions on one rubric version, keep the raters who scored at least two
    of them, then the largest complete block: the group of two or more
    raters who all scored the most sessions (ties: more raters). With more
    than MAX_RATERS_SEARCHED raters only pairs and the whole set are tried.
    Krippendorff's α on the totals uses every sheet (it allows gaps)."""
    sheets = {}
    for s in sessions:
        for r in s.raters:
            if r.submitted_at is not None and r.percent is not None:
                sheets[(s.id, r.user_id)] = r.percent
    users = {r.user_id: r.user for s in sessions for r in s.raters if (s.id, r.user_id) in sheets}
    raters = [u for u in users if sum(1 for s in sessions if (s.id, u) in sheets) >= 2]
    alpha_units = [[sheets.get((s.id, u)) for u in users] for s in sessions]
    try:
        alpha = stats.krippendorff_alpha_interval(alpha_units) if len(users) >= 2 else None
    except stats.AgreementError:
        alpha = None
    best: tuple[list[int], list[RoleplaySession]] = ([], [])
    for group in _rater_groups(raters):
        complete = [s for s in sessions if all((s.id, u) in sheets for u in group)]
        if (len(complete), len(group)) > (len(best[1]), len(best[0])):
            best = (list(group), complete)
    kept_raters, kept_sessions = best
    matrix = [[sheets[(s.id, u)] for u in kept_raters] for s in kept_sessions]
    icc = None
    if len(kept_sessions) >= 2 and len(kept_raters) >= 2:
        try:
            icc = stats.icc(matrix)
        except stats.AgreementError:
            icc = None
    return AgreementTable([users[u] for u in kept_raters], kept_sessions, matrix, icc, alpha,
                          len(sessions) - len(kept_sessions))
