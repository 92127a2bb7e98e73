from sqlalchemy import func, select

from app.auth.models import Role, Team, Tier, User
from app.extensions import db


def test_seed_demo_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "A001" in first.output and "agentpath-demo" in first.output
    users = db.session.scalar(select(func.count(User.id)))
    teams = db.session.scalar(select(func.count(Team.id)))

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == users
    assert db.session.scalar(select(func.count(Team.id))) == teams == 3

    agents = list(db.session.scalars(select(User).where(User.role == Role.AGENT.value)))
    assert len(agents) >= 24
    assert {a.tier for a in agents} == {t.value for t in Tier}
    assert all(a.team_id for a in agents)
    assert all(a.cleared_for_live_at is None for a in agents if a.tier == Tier.ONBOARDING)
    assert len({a.hire_date for a in agents}) > 10
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {r.value for r in Role}
    managers = db.session.scalars(select(User).where(User.role == "manager")).all()
    assert len(managers) == 2 and all(m.managed_teams for m in managers)


def test_seed_demo_if_empty_leaves_a_real_database_alone(runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_demo_users_can_log_in(client, runner):
    runner.invoke(args=["seed-demo"])
    response = client.post_form("/auth/login", {"identifier": "KF1003", "password": "agentpath-demo"})
    assert response.status_code == 302


def test_users_import_cli(runner, make_team, tmp_path):
    make_team(name="售前咨询组")
    good = tmp_path / "good.csv"
    good.write_text("工号,姓名,团队\nKF9100,甲,售前咨询组\nKF9101,乙,\n", encoding="gbk")

    dry = runner.invoke(args=["users", "import", str(good), "--dry-run"])
    assert dry.exit_code == 0 and "2" in dry.output
    assert db.session.scalar(select(func.count(User.id))) == 0

    done = runner.invoke(args=["users", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "KF9100" in done.output  # its temporary password is printed
    assert db.session.scalar(select(func.count(User.id))) == 2

    again = runner.invoke(args=["users", "import", str(good)])
    assert again.exit_code == 1
    assert "row 2" in again.output and "row 3" in again.output
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_users_import_cli_reports_bad_files(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("工号,姓名,入职日期\nA1,甲,2026-02-30\nA1,乙,2026-01-01\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: row 2: hire_date:" in result.output
    assert f"{bad}: row 3: employee_no:" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0

    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    result = runner.invoke(args=["users", "import", str(empty)])
    assert result.exit_code == 1


def test_seed_demo_builds_quiz_history_once(runner):
    from app.quiz.models import Attempt

    assert runner.invoke(args=["content", "sync"]).exit_code == 0
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    attempts = db.session.scalar(select(func.count(Attempt.id)))
    assert attempts > 80
    statuses = set(db.session.scalars(select(Attempt.status)))
    assert statuses == {"graded", "submitted"}  # some case answers wait for a trainer
    assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.passed.is_(False))) > 0
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count(Attempt.id))) == attempts
    new_hire = db.session.scalar(select(User).where(User.employee_no == "KF1001"))
    assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == new_hire.id)) == 0


def test_questions_export_category_is_literal(runner, make_user):
    from app.bank.services import QuestionData, save_question

    author = make_user("trainer")
    for category in ("售后_政策/退款", "售后x政策/退款"):
        save_question(author, None, QuestionData(
            type_key="true_false", category=category, tags=[], competency="knowledge", difficulty=2, title="",
            stem=f"{category} 的判断题", stem_format="plain", explanation="", payload={"correct": True}))
    result = runner.invoke(args=["questions", "export", "--format", "yaml", "--category", "售后_政策"])
    assert result.exit_code == 0, result.output
    assert "售后_政策/退款 的判断题" in result.output and "售后x政策" not in result.output
