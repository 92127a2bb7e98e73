"""Every registered route × every role, generated from app.url_map.

A new route fails `test_every_route_is_in_the_matrix` until it is added to
ACCESS with the roles that may use it, so nothing joins unchecked.

The sample world is built once for the module; each case runs in a
transaction that is rolled back, and a case whose writes survive the
rollback fails (see `client` below).
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, select

from app import create_app
from app.api.services import create_token
from app.auth.services import start_session
from app.bank.services import QuestionData, save_question
from app.extensions import db, limiter
from app.kpi.catalogue import seed_catalogue
from app.kpi.models import ImportBatch, ImportJob, KpiValue, Metric
from app.quiz.models import Assignment, Quiz, QuizSection
from app.quiz.services import finalise, start_attempt
from app.scenarios.services import create_session, start_run, take_step
from tests.conftest import CSRFClient, _config, clear_tables, new_team, new_user
from tests.scenarios.samples import sync_samples

ROLES = ("agent", "trainer", "manager", "admin")
EVERYONE = frozenset(ROLES)
STAFF = frozenset({"trainer", "manager", "admin"})
ADMIN = frozenset({"admin"})
AUTHORS = frozenset({"trainer", "admin"})
IMPORTERS = frozenset({"manager", "admin"})
PUBLIC = "public"

# endpoint → who may use it. API endpoints are checked with bearer tokens.
ACCESS: dict[str, frozenset | str] = {
    "healthz": PUBLIC,
    "favicon": PUBLIC,
    "auth.login": PUBLIC,
    "auth.switch_locale": PUBLIC,
    "api.openapi": PUBLIC,
    "auth.logout": EVERYONE,
    "auth.change_password_view": EVERYONE,
    "dashboard.home": EVERYONE,
    "dashboard.person": EVERYONE,  # scoped: an agent asking for someone else gets 404
    "dashboard.teams": STAFF,
    "dashboard.team": STAFF,       # scoped: a manager sees only their teams
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.deactivate_user": ADMIN,
    "admin.activate_user": ADMIN,
    "admin.reset_user_password": ADMIN,
    "admin.teams": ADMIN,
    "admin.edit_team": ADMIN,
    "admin.import_users_view": ADMIN,
    "admin.commit_user_import": ADMIN,
    "admin.tokens": ADMIN,
    "admin.revoke_api_token": ADMIN,
    "admin.audit_log": ADMIN,
    "bank.index": AUTHORS,
    "bank.question": AUTHORS,
    "bank.diff": AUTHORS,
    "bank.preview": AUTHORS,
    "bank.edit": AUTHORS,
    "bank.retire": AUTHORS,
    "bank.similar": AUTHORS,
    "bank.regrade": AUTHORS,
    "bank.restore": AUTHORS,
    "bank.import_view": AUTHORS,
    "bank.import_commit": AUTHORS,
    "bank.export": AUTHORS,
    "quiz.my_training": EVERYONE,
    "quiz.quiz": EVERYONE,
    "quiz.start": EVERYONE,          # refused with a message when not assigned
    "quiz.attempt": EVERYONE,        # owner only: everyone else gets 404
    "quiz.save": EVERYONE,
    "quiz.flag": EVERYONE,
    "quiz.page_submit": EVERYONE,
    "quiz.summary": EVERYONE,
    "quiz.submit": EVERYONE,
    "quiz.review": EVERYONE,
    "quiz.certificate": EVERYONE,
    "quiz.manage": STAFF,
    "quiz.results": STAFF,
    "quiz.assign": STAFF,
    "quiz.inspect": STAFF,           # scoped; a running attempt is 404 for everyone
    "quiz.analysis": AUTHORS,
    "quiz.grading": AUTHORS,
    "quiz.edit_quiz": AUTHORS,
    "quiz.grade": AUTHORS,
    "scenarios.library": EVERYONE,
    "scenarios.preview": EVERYONE,
    "scenarios.start_run": EVERYONE,
    "scenarios.run": EVERYONE,          # owner only
    "scenarios.step": EVERYONE,         # owner only
    "scenarios.debrief": EVERYONE,      # owner, or staff who can see the owner
    "scenarios.assign_drill": STAFF,
    "scenarios.sessions": EVERYONE,     # lists only the sessions one may open
    "scenarios.new_session": EVERYONE,  # agents for their own team; checked on submit
    "scenarios.session": EVERYONE,      # scoped: the sample agent's managers, trainers, admins, participants
    "scenarios.submit_sheet": frozenset({"trainer"}),  # observers only: the sample session's observer is the trainer
    "scenarios.close": STAFF,           # scoped like scenarios.session
    "scenarios.rubrics": EVERYONE,
    "scenarios.rubric": EVERYONE,
    "kpi.upload": IMPORTERS,
    "kpi.mapping": IMPORTERS,        # someone else's (or no) upload: back to the upload page
    "kpi.job": IMPORTERS,            # owner only: the sample job is the manager's
    "kpi.job_progress": IMPORTERS,
    "kpi.job_commit": IMPORTERS,
    "kpi.history": IMPORTERS,        # lists only imports touching one's teams
    "kpi.rollback": IMPORTERS,       # scoped: the sample import touches the sample manager's team
    "kpi.team": STAFF,               # scoped
    "kpi.team_export": STAFF,        # scoped; a month without data answers 404
    "kpi.person": EVERYONE,          # scoped: an agent sees only themself
    "kpi.metrics": STAFF,
    "kpi.edit_metric": ADMIN,
    "api.push_kpi_values": IMPORTERS,
    "api.read_kpi_values": EVERYONE,  # scoped to the token's user
    "api.me": EVERYONE,
    "api.users": EVERYONE,
    "api.user": EVERYONE,
    "api.teams": EVERYONE,
}

# Query strings a route needs to find its record.
QUERY = {"bank.diff": "?from=1&to=1", "kpi.team_export": "?month=2026-10"}

# Scoped routes where a role passes the role check but the sample record is
# outside its scope: they must answer 404, never the record.
OWNER_ONLY = ("quiz.attempt", "quiz.save", "quiz.page_submit", "quiz.flag", "quiz.summary", "quiz.submit", "quiz.review",
              "quiz.certificate")
SCOPED_404 = {("dashboard.person", "agent"), ("api.user", "agent"), ("scenarios.debrief", "agent"), ("kpi.person", "agent"),
              ("scenarios.session", "agent"), ("scenarios.submit_sheet", "agent"), ("scenarios.close", "agent")} | {
    (endpoint, role) for endpoint in ("scenarios.run", "scenarios.step") for role in ROLES} | {
    (endpoint, role) for endpoint in OWNER_ONLY for role in ROLES} | {
    ("quiz.inspect", role) for role in STAFF} | {
    (endpoint, "admin") for endpoint in ("kpi.job", "kpi.job_progress", "kpi.job_commit")}


def _routes():
    app = create_app(_config("sqlite://"))
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            cases.append((rule.endpoint, rule.rule, method))
    return sorted(set(cases))


ROUTES = _routes()


def test_every_route_is_in_the_matrix():
    missing = sorted({endpoint for endpoint, _, _ in ROUTES} - set(ACCESS))
    assert not missing, f"add these endpoints to ACCESS in {__file__}: {missing}"


def _build_world():
    """One sample of each record, reachable through URL arguments. Returns
    plain values (session ids, URL arguments, bearer tokens), not rows, so
    they outlive the session that made them."""
    team = new_team()
    other_team = new_team()
    users = {
        "admin": new_user("admin"),
        "trainer": new_user("trainer"),
        "manager": new_user("manager"),
        "agent": new_user("agent", team=other_team),
    }
    team.managers.append(users["manager"])
    sample_agent = new_user("agent", team=team)
    db.session.commit()
    token, _ = create_token(users["admin"], sample_agent, "sample")
    question, _ = save_question(users["trainer"], None, QuestionData(
        type_key="true_false", category="样例/判断", tags=["样例"], competency="knowledge", difficulty=1,
        title="", stem="客服可以承诺“绝对退款”。", stem_format="plain", explanation="不可过度承诺。",
        payload={"correct": False}))
    quiz = Quiz(slug="matrix-quiz", title="样例测验", kind="knowledge")
    quiz.sections = [QuizSection(position=0, fixed_uids=[question.uid])]
    db.session.add(quiz)
    db.session.flush()
    db.session.add(Assignment(quiz_id=quiz.id, user_id=sample_agent.id))
    db.session.commit()
    attempt = start_attempt(sample_agent, quiz)
    case, _ = save_question(users["trainer"], None, QuestionData(
        type_key="case_analysis", category="样例/案例", tags=[], competency="emotion", difficulty=3, title="",
        stem="客户第三次来电投诉，怎么办？", stem_format="plain", explanation="先共情。",
        payload={"reference_answer": "先道歉", "rubric": [{"criterion": "共情", "points": 10}]}))
    case_quiz = Quiz(slug="matrix-case", title="案例测验", kind="practice")
    case_quiz.sections = [QuizSection(position=0, fixed_uids=[case.uid])]
    db.session.add(case_quiz)
    db.session.commit()
    graded = start_attempt(sample_agent, case_quiz)
    finalise(graded, "agent")
    drill, roleplay, rubric = sync_samples()
    run = start_run(sample_agent, drill)
    take_step(run, 0, choice=0)
    take_step(run, 1, reply="抱歉，明天送到。")
    session = create_session(users["trainer"], roleplay, sample_agent, [users["trainer"]], date(2026, 12, 1))
    seed_catalogue()
    batch = ImportBatch(source="cli", filename="sample.csv", team_ids=[team.id])
    db.session.add(batch)
    db.session.flush()
    db.session.add(KpiValue(user_id=sample_agent.id, month=date(2026, 10, 1), metric_code="csat", value=91.0,
                            contacts=120, batch_id=batch.id))
    job = ImportJob(source="upload", user_id=users["manager"].id, filename="sample.csv", status="committed",
                    batch_id=batch.id, summary={"result": {"added": 1, "replaced": 0, "unchanged": 0}})
    db.session.add(job)
    db.session.commit()
    args = {"user_id": sample_agent.id, "team_id": team.id, "token_id": token.id, "question_id": question.id,
            "quiz_id": quiz.id, "attempt_id": attempt.id, "slot_id": graded.slots[0].id, "scenario_id": drill.id,
            "run_id": run.id, "session_id": session.id, "rubric_id": rubric.id, "key": "no-such-upload",
            "batch_id": batch.id, "job_id": job.id, "metric_id": db.session.scalar(select(Metric.id))}
    tokens = {role: create_token(users["admin"], user, role)[1] for role, user in users.items()}
    logins = {role: start_session(user) for role, user in users.items()}
    return logins, args, tokens


# --- one world per module, one rolled-back transaction per case --------------
#
# Building the world takes a few hundred milliseconds; the matrix has hundreds
# of cases. The world is built and committed once; each case then runs inside
# a transaction on one connection that is rolled back afterwards, and every
# commit the app makes in between only releases a savepoint within it. So a
# POST that writes (deactivating the sample agent, rolling back the sample
# import ...) is gone before the next case starts.

class _CaseSession(FlaskSession):
    """Flask-SQLAlchemy's session, but every statement goes through the
    case's connection instead of the engine."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind


def _begin_explicitly(engine) -> None:
    """pysqlite starts transactions late and would let a SAVEPOINT run
    outside one, so that releasing it commits: let SQLAlchemy emit BEGIN
    itself (the recipe in SQLAlchemy's SQLite dialect documentation)."""

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


def _contents(connection) -> dict[str, list[tuple]]:
    """Every row of every table, in key order."""
    return {table.name: list(connection.execute(select(table).order_by(*table.primary_key.columns)))
            for table in db.metadata.sorted_tables}


@pytest.fixture(scope="module")
def matrix(_schema, kpi_staging_dir):
    app = create_app(_config(_schema, KPI_STAGING_DIR=kpi_staging_dir))
    app.test_client_class = CSRFClient
    try:
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                _begin_explicitly(db.engine)
            world = _build_world()
            db.session.remove()
            with db.engine.connect() as connection:
                rows = _contents(connection)
        yield app, world, rows
    finally:                                   # also when building failed: the next module starts empty
        with app.app_context():
            clear_tables()
            db.engine.dispose()


@pytest.fixture
def world(matrix):
    _, world, _ = matrix
    return world


@pytest.fixture
def client(matrix):
    """A fresh client on the shared app; whatever the case writes is rolled back."""
    app, _, world_rows = matrix
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.session.registry.set(_CaseSession(db, bind=connection, join_transaction_mode="create_savepoint",
                                             query_cls=db.Query))
        limiter.reset()  # the log-in limits count per app; each case starts with none used
        try:
            yield app.test_client()
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
        with db.engine.connect() as connection:
            left = _contents(connection)
        changed = sorted(name for name, rows in left.items() if rows != world_rows[name])
        assert not changed, f"this case's writes outlived its rollback, in {changed}: the next cases see them"


def _url(rule: str, args: dict) -> str:
    for name, value in args.items():
        rule = rule.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in rule, f"no sample value for {rule}"
    return rule


def _request(client, method, url, **kwargs):
    if method == "GET":
        return client.get(url, **kwargs)
    return client.post_form(url, {}, **kwargs)


@pytest.mark.parametrize("endpoint,rule,method", ROUTES)
def test_anonymous(client, world, endpoint, rule, method):
    _, args, _ = world
    response = _request(client, method, _url(rule, args) + QUERY.get(endpoint, ""))
    access = ACCESS[endpoint]
    if access == PUBLIC:
        assert response.status_code < 400
    elif endpoint.startswith("api."):
        assert response.status_code == 401
        assert response.is_json
    else:
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint,rule,method", ROUTES)
def test_roles(client, world, role, endpoint, rule, method):
    logins, args, tokens = world
    url = _url(rule, args) + QUERY.get(endpoint, "")
    access = ACCESS[endpoint]
    if endpoint.startswith("api."):
        response = _request(client, method, url, headers={"Authorization": f"Bearer {tokens[role]}"})
    else:
        with client.session_transaction() as session:
            session["_user_id"] = logins[role]
        response = _request(client, method, url)

    if access == PUBLIC:
        assert response.status_code < 500
    elif (endpoint, role) in SCOPED_404:
        assert response.status_code == 404
    elif role in access:
        assert response.status_code not in (401, 403, 404), response.status_code
        assert response.status_code < 500
    else:
        assert response.status_code == 403
