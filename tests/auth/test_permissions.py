from app.auth.models import User
from app.auth.permissions import can_view_user, visible_teams, visible_users
from app.extensions import db


def ids(query):
    return {u.id for u in db.session.scalars(query)}


def test_visible_users_by_role(make_user, make_team):
    team_a, team_b, team_c = make_team(), make_team(), make_team()
    manager = make_user("manager")
    team_a.managers.append(manager)
    team_c.managers.append(manager)
    db.session.commit()
    a1, a2 = make_user(team=team_a), make_user(team=team_a)
    b1 = make_user(team=team_b)
    c1 = make_user(team=team_c)
    loner = make_user()
    trainer, admin = make_user("trainer"), make_user("admin")
    everyone = {u.id for u in db.session.scalars(db.select(User))}

    assert ids(visible_users(a1)) == {a1.id}
    assert ids(visible_users(manager)) == {manager.id, a1.id, a2.id, c1.id}
    assert ids(visible_users(trainer)) == everyone
    assert ids(visible_users(admin)) == everyone

    assert can_view_user(manager, a1) and can_view_user(manager, c1)
    assert not can_view_user(manager, b1) and not can_view_user(manager, loner)
    assert not can_view_user(a1, a2) and can_view_user(a1, a1)
    assert can_view_user(trainer, loner)

    assert {t.id for t in db.session.scalars(visible_teams(manager))} == {team_a.id, team_c.id}
    assert not list(db.session.scalars(visible_teams(a1)))
    assert len(list(db.session.scalars(visible_teams(admin)))) == 3


def test_people_pages_are_scoped(client, login_as, make_user, make_team):
    team_a, team_b = make_team(), make_team()
    manager = login_as("manager", team=team_a)
    own, other = make_user(team=team_a), make_user(team=team_b)
    assert client.get(f"/people/{own.id}").status_code == 200
    assert client.get(f"/people/{other.id}").status_code == 404
    assert client.get(f"/teams/{team_a.id}").status_code == 200
    assert client.get(f"/teams/{team_b.id}").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert team_a.name in home and team_b.name not in home
    assert manager.name in home


def test_agent_sees_only_themself(client, login_as, make_user, make_team):
    team = make_team()
    me = login_as("agent", team=team)
    colleague = make_user(team=team)
    assert client.get(f"/people/{me.id}").status_code == 200
    assert client.get(f"/people/{colleague.id}").status_code == 404
    assert client.get(f"/teams/{team.id}").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_team_page_shows_the_onboarding_pipeline(client, login_as, make_user, make_team):
    from datetime import UTC, datetime

    team = make_team()
    login_as("manager", team=team)
    new_hire = make_user(team=team, tier="onboarding", name="新同事甲")
    make_user(team=team, tier="in_service", name="老同事乙", cleared_for_live_at=datetime(2025, 1, 1, tzinfo=UTC))
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    pipeline = page.split('data-testid="pipeline"')[1].split("</table>")[0]
    assert new_hire.name in pipeline and "老同事乙" not in pipeline
