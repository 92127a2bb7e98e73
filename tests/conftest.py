"""Fixtures shared by the whole suite.

The schema is built once per session by running the Alembic migrations (so
the migrations themselves are tested) on TEST_DATABASE_URL, or on a SQLite
file in a temporary folder. Each test gets a fresh app; its rows are deleted
afterwards.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from datetime import date

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.auth.services import start_session
from app.bank.services import QuestionData, save_question
from app.extensions import db
from app.quiz.models import Assignment, Quiz, QuizSection
from config import TestingConfig

CHROMIUM = "/usr/bin/chromium"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


# --- browser lane ----------------------------------------------------------

def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "e2e" in item.keywords]
    if not e2e or (os.path.exists(CHROMIUM) and shutil.which("chromium")):
        return
    if os.environ.get("AGENTPATH_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests are required here but chromium is missing at {CHROMIUM}")
    skip = pytest.mark.skip(
        reason=f"chromium not found at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei (.ci/run does this)"
    )
    for item in e2e:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


# --- database and app ------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def kpi_staging_dir(tmp_path_factory):
    """SQLite KPI imports stage their cells in files named by job id: each run
    of the suite gets its own folder, so runs side by side (CI's lanes, other
    checkouts) never share a job's file."""
    return os.environ.get("KPI_STAGING_DIR") or str(tmp_path_factory.mktemp("kpi-staging"))


def _config(database_url: str, **overrides):
    return type("SuiteConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture(scope="session")
def _schema(database_url):
    """Run the migrations once on an empty database."""
    from flask_migrate import upgrade

    app = create_app(_config(database_url))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        for scratch in ("kpi_staged_cells", "kpi_staged_values"):           # PostgreSQL only; not models
            db.session.execute(text(f"DROP TABLE IF EXISTS {scratch}"))
        db.session.commit()
        upgrade()
        db.engine.dispose()
    return database_url


class CSRFClient(FlaskClient):
    """A test client that can send forms with their CSRF token.

    Tests hold an app context so factories can use the session; Flask reuses
    it for requests, so each request starts with an empty `g` (as in
    production) and the test sees fresh rows afterwards.
    """

    _token: str | None = None

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.get("/auth/login", follow_redirects=True).get_data(as_text=True)
            match = CSRF_RE.search(page)
            assert match, "no csrf-token meta tag on the log-in page"
            self._token = match.group(1)
        return self._token

    def post_form(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def app_factory(_schema, kpi_staging_dir):
    """Build an app on the test database with config overrides."""
    apps = []

    def build(**overrides):
        app = create_app(_config(_schema, **{"KPI_STAGING_DIR": kpi_staging_dir, **overrides}))
        app.test_client_class = CSRFClient
        apps.append(app)
        return app

    yield build
    if apps:
        with apps[0].app_context():
            clear_tables()
            db.engine.dispose()


def clear_tables() -> None:
    """Delete every row, children first, so the next test starts empty."""
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------

_counter = itertools.count(1)
PASSWORD = "correct-horse-42"


def new_team(name=None, managers=()):
    """A committed team (needs an app context); the make_team fixture calls this."""
    from app.auth.models import Team

    team = Team(name=name or f"团队{next(_counter)}", description="", managers=list(managers))
    db.session.add(team)
    db.session.commit()
    return team


def new_user(role="agent", team=None, password=PASSWORD, **fields):
    """A committed user (needs an app context); the make_user fixture calls this."""
    from app.auth.models import User
    from app.auth.services import hash_password

    n = next(_counter)
    fields.setdefault("employee_no", f"E{n:05d}")
    fields.setdefault("name", f"测试用户{n}")
    fields.setdefault("hire_date", date(2025, 1, 6))
    user = User(role=str(role), team=team, password_hash=hash_password(password), **fields)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def make_team(app):
    return new_team


@pytest.fixture
def make_user(app):
    return new_user


@pytest.fixture
def login_as(client, make_user, make_team):
    """Sign the test client in as a new user of `role` (or as `user`)."""

    def login(role="agent", team=None, user=None, **fields):
        if user is None:
            if role == "manager":
                user = make_user("manager", **fields)
                managed = team or make_team()
                managed.managers.append(user)
                db.session.commit()
            else:
                user = make_user(role, team=team, **fields)
        with client.session_transaction() as session:
            session["_user_id"] = start_session(user)
            session["_fresh"] = True
        return user

    return login


# --- quizzes -----------------------------------------------------------------

SECRET = "只在提交后可见的解析"


def _question(author, n, type_key="single_choice", payload=None, stem=None):
    payload = payload or {"options": [{"text": f"正确选项{n}", "fraction": 1, "feedback": f"反馈对{n}"},
                                      {"text": f"错误选项{n}", "fraction": 0, "feedback": f"反馈错{n}"}]}
    question, _ = save_question(author, None, QuestionData(
        type_key=type_key, category="售后政策/退款", tags=["退款"], competency="knowledge", difficulty=2,
        title="", stem=stem or f"第{n}题：退款相关的问题", stem_format="plain", explanation=f"{SECRET}{n}",
        payload=payload))
    return question


@pytest.fixture
def make_quiz(make_user):
    def make(n_questions=4, kind="knowledge", per_page=2, assign_to=None, case=False, **settings):
        author = make_user("trainer")
        questions = [_question(author, i) for i in range(n_questions)]
        if case:
            questions.append(_question(author, 99, "case_analysis", {
                "reference_answer": "参考答案甲", "key_points": ["要点乙"],
                "rubric": [{"criterion": "共情", "points": 4}, {"criterion": "方案", "points": 6}]},
                stem="案例：客户第三次来电投诉"))
        quiz = Quiz(slug=f"quiz-{kind}-{n_questions}-{len(settings)}-{case}", title="退款知识测验", kind=kind,
                    questions_per_page=per_page, **settings)
        quiz.sections = [QuizSection(position=0, mark=1, fixed_uids=[q.uid for q in questions])]
        db.session.add(quiz)
        db.session.flush()
        if assign_to is not None:
            db.session.add(Assignment(quiz_id=quiz.id, user_id=assign_to.id))
        db.session.commit()
        return quiz

    return make
