import pytest
from sqlalchemy import select

from app.api.models import ApiToken
from app.api.services import create_token
from app.auth.models import AuditLog
from app.extensions import db


@pytest.fixture
def token_for(make_user):
    def issue(user):
        admin = make_user("admin")
        _token, value = create_token(admin, user, "test")
        return {"Authorization": f"Bearer {value}"}

    return issue


def test_missing_or_bad_token_is_401_json(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["status"] == 401


def test_session_cookie_does_not_authenticate_the_api(client, login_as):
    login_as("admin")
    assert client.get("/api/v1/me").status_code == 401


def test_me_and_scoped_users(client, make_user, make_team, token_for):
    team, other = make_team(), make_team()
    manager = make_user("manager")
    team.managers.append(manager)
    db.session.commit()
    mine, theirs = make_user(team=team), make_user(team=other)
    headers = token_for(manager)

    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["employee_no"] == manager.employee_no and "password_hash" not in me

    listed = client.get("/api/v1/users", headers=headers).get_json()
    assert {u["id"] for u in listed["items"]} == {manager.id, mine.id}
    assert listed["total"] == 2
    assert client.get(f"/api/v1/users/{mine.id}", headers=headers).status_code == 200
    hidden = client.get(f"/api/v1/users/{theirs.id}", headers=headers)
    assert hidden.status_code == 404 and hidden.is_json
    assert [t["id"] for t in client.get("/api/v1/teams", headers=headers).get_json()["items"]] == [team.id]


def test_agent_token_sees_only_self(client, make_user, token_for):
    agent = make_user()
    make_user()
    items = client.get("/api/v1/users", headers=token_for(agent)).get_json()["items"]
    assert [u["id"] for u in items] == [agent.id]


def test_revoked_token_and_inactive_owner_stop_working(client, make_user, token_for, app):
    agent = make_user()
    headers = token_for(agent)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is not None
    agent.is_active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    agent.is_active = True
    db.session.commit()
    from app.api.services import revoke_token

    revoke_token(make_user("admin"), token)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_creates_and_revokes_tokens_in_the_browser(client, login_as, make_user):
    login_as("admin")
    owner = make_user()
    page = client.post_form("/admin/tokens", {"name": "CRM sync", "employee_no": owner.employee_no})
    html = page.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken))
    assert token.name == "CRM sync" and token.user_id == owner.id
    secret = html.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("ap_") and secret not in token.token_hash and len(token.token_hash) == 64
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in client.get("/admin/tokens").get_data(as_text=True)  # shown once only

    unknown = client.post_form("/admin/tokens", {"name": "x", "employee_no": "NOBODY"})
    assert unknown.status_code == 200 and db.session.scalar(select(db.func.count(ApiToken.id))) == 1

    assert client.post_form(f"/admin/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"api_token.created", "api_token.revoked"} <= actions


def test_openapi_describes_every_api_route(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
            assert path in documented, f"{rule.rule} is missing from openapi.json"
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in spec["paths"][path], f"{method} {rule.rule} undocumented"


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
