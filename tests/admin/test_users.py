import io

from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import AuditLog, Team, User
from app.auth.services import start_session
from app.extensions import db
from app.uploads import PendingUpload


def count_users():
    return db.session.scalar(select(db.func.count(User.id)))


def test_users_list_filters_and_htmx_partial(client, login_as, make_user, make_team):
    team = make_team(name="售后服务组")
    login_as("admin")
    make_user(team=team, name="王小明", tier="elite")
    make_user(name="李小红")
    make_user(name="停用者", is_active=False)

    page = client.get("/admin/users").get_data(as_text=True)
    assert "王小明" in page and "李小红" in page and "停用者" not in page
    assert "<html" in page

    filtered = client.get("/admin/users", query_string={"q": "小明"}).get_data(as_text=True)
    assert "王小明" in filtered and "李小红" not in filtered
    assert "王小明" in client.get("/admin/users", query_string={"tier": "elite"}).get_data(as_text=True)
    assert "王小明" in client.get("/admin/users", query_string={"team": str(team.id)}).get_data(as_text=True)
    assert "停用者" in client.get("/admin/users", query_string={"status": "inactive"}).get_data(as_text=True)

    partial = client.get("/admin/users", query_string={"q": "小红"}, headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and 'data-testid="user-table"' in body and "李小红" in body
    assert "HX-Request" in partial.headers["Vary"]


def test_users_list_paginates(app_factory, make_user):
    app = app_factory(USERS_PER_PAGE=2)
    with app.app_context():
        client = app.test_client()
        admin = make_user("admin", employee_no="A0")
        for n in range(4):
            make_user(employee_no=f"P{n}")
        with client.session_transaction() as session:
            session["_user_id"] = start_session(admin)
        first = client.get("/admin/users").get_data(as_text=True)
        assert ">A0<" in first and ">P0<" in first and ">P1<" not in first     # cells, not a CSRF token
        last = client.get("/admin/users?page=3").get_data(as_text=True)
        assert ">P3<" in last


def test_create_user_shows_a_temporary_password_once(client, login_as, make_team):
    team = make_team()
    admin = login_as("admin")
    response = client.post_form("/admin/users/new", {
        "employee_no": "KF7001", "name": "新同事", "email": "new@example.com", "role": "agent",
        "team_id": str(team.id), "hire_date": "2026-11-01", "tier": "onboarding",
        "ladder_level": "specialist", "locale": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.employee_no == "KF7001"))
    assert user is not None and user.team_id == team.id and user.must_change_password
    assert 'data-testid="temporary-password"' in page
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.created"))
    assert audit.actor_id == admin.id and audit.after["employee_no"] == "KF7001"
    assert "password" not in str(audit.after).lower()


def test_create_user_rejects_duplicates_and_bad_input(client, login_as, make_user):
    login_as("admin")
    make_user(employee_no="KF1")
    before = count_users()
    dup = client.post_form("/admin/users/new", {
        "employee_no": "KF1", "name": "重复", "role": "agent", "tier": "onboarding", "ladder_level": "specialist"})
    assert dup.status_code == 200
    bad = client.post_form("/admin/users/new", {
        "employee_no": "空 格", "name": "", "email": "nope", "role": "boss", "tier": "x", "ladder_level": "y"})
    assert bad.status_code == 200
    assert count_users() == before


def test_edit_deactivate_reactivate_and_reset(client, login_as, make_user):
    admin = login_as("admin")
    user = make_user(name="旧名字")
    form = {"employee_no": user.employee_no, "name": "新名字", "role": "agent", "team_id": "",
            "tier": "in_service", "ladder_level": "senior", "cleared_for_live_on": "2026-05-01", "locale": "en"}
    assert client.post_form(f"/admin/users/{user.id}/edit", form).status_code == 302
    user = db.session.get(User, user.id)
    assert (user.name, user.tier, user.ladder_level, user.locale) == ("新名字", "in_service", "senior", "en")
    assert user.cleared_for_live_at.date().isoformat() == "2026-05-01"
    updated = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.updated"))
    assert updated.before["name"] == "旧名字" and updated.after["name"] == "新名字"

    version = user.session_version
    assert client.post_form(f"/admin/users/{user.id}/deactivate").status_code == 302
    user = db.session.get(User, user.id)
    assert not user.is_active and user.session_version == version + 1
    assert client.post_form(f"/admin/users/{user.id}/activate").status_code == 302
    assert db.session.get(User, user.id).is_active

    old_hash = user.password_hash
    reset = client.post_form(f"/admin/users/{user.id}/reset-password")
    assert reset.status_code == 200
    user = db.session.get(User, user.id)
    assert user.password_hash != old_hash and user.must_change_password

    # an admin cannot lock themself out
    client.post_form(f"/admin/users/{admin.id}/deactivate")
    assert db.session.get(User, admin.id).is_active
    assert client.get("/admin/users/999999/edit").status_code == 404


def test_teams_create_and_assign_managers(client, login_as, make_user):
    admin = login_as("admin")
    m1, m2 = make_user("manager"), make_user("manager")
    agent = make_user("agent")
    response = client.post_form("/admin/teams/new", {"name": "投诉处理组", "description": "升级投诉",
                                                     "manager_ids": [str(m1.id), str(m2.id)]})
    assert response.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "投诉处理组"))
    assert {m.id for m in team.managers} == {m1.id, m2.id}

    refused = client.post_form(f"/admin/teams/{team.id}/edit", {"name": "投诉处理组", "manager_ids": [str(agent.id)]})
    assert refused.status_code == 200  # an agent is not a manager choice
    assert client.post_form("/admin/teams/new", {"name": "投诉处理组"}).status_code == 200  # duplicate name
    assert client.post_form(f"/admin/teams/{team.id}/edit", {"name": "投诉组", "manager_ids": [str(m2.id)]}).status_code == 302
    team = db.session.get(Team, team.id)
    assert team.name == "投诉组" and [m.id for m in team.managers] == [m2.id]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "team.updated")).actor_id == admin.id
    assert "投诉组" in client.get("/admin/teams").get_data(as_text=True)


GOOD_CSV = "工号,姓名,团队,入职日期,层级,初始密码\nKF8001,周一,售后服务组,2026-01-05,在岗,\nKF8002,吴二,售后服务组,2026-02-05,,long-enough-1\n"
BAD_CSV = ("工号,姓名,团队,入职日期\n"
           "KF8001,周一,售后服务组,2026-01-05\n"
           "KF8001,重复,售后服务组,2026-01-05\n"
           "KF8003,郑三,没有这个组,2026-01-05\n"
           "KF8004,王四,售后服务组,2026-02-30\n"
           "KF8005,,售后服务组,2026-01-05\n")


def upload(client, content: bytes, filename: str):
    return client.post_form("/admin/users/import", {"file": (io.BytesIO(content), filename)},
                            content_type="multipart/form-data")


def test_import_preview_then_commit(client, login_as, make_team):
    make_team(name="售后服务组")
    login_as("admin")
    before = count_users()
    preview = upload(client, GOOD_CSV.encode("gbk"), "新员工.csv")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "KF8001" in page and "KF8002" in page
    assert count_users() == before  # a preview writes no user
    key = db.session.scalar(select(PendingUpload.key))

    done = client.post_form("/admin/users/import/commit", {"upload_key": key})
    assert done.status_code == 200
    assert count_users() == before + 2
    assert "KF8001" in done.get_data(as_text=True)  # its generated password is shown
    imported = db.session.scalar(select(User).where(User.employee_no == "KF8001"))
    assert imported.tier == "in_service" and imported.cleared_for_live_at is not None
    assert db.session.scalar(select(PendingUpload)) is None

    again = client.post_form("/admin/users/import/commit", {"upload_key": key})
    assert again.status_code == 302  # the upload is gone; nothing imported twice
    assert count_users() == before + 2


def test_import_with_bad_rows_lists_every_error_and_imports_nothing(client, login_as, make_team):
    make_team(name="售后服务组")
    login_as("admin")
    before = count_users()
    page = upload(client, BAD_CSV.encode(), "bad.csv").get_data(as_text=True)
    assert 'data-testid="import-errors"' in page
    for row in ("<td>3</td>", "<td>4</td>", "<td>5</td>", "<td>6</td>"):
        assert row in page
    assert "Import 1 people" not in page and "导入 1 人" not in page  # no commit button
    key = db.session.scalar(select(PendingUpload.key))
    client.post_form("/admin/users/import/commit", {"upload_key": key})
    assert count_users() == before


def test_import_xlsx_and_unreadable_files(client, login_as, make_team):
    make_team(name="售后服务组")
    login_as("admin")
    book = Workbook()
    book.active.append(["employee_no", "name", "team"])
    book.active.append(["X1", "Xu", "售后服务组"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert "X1" in upload(client, buffer.getvalue(), "p.xlsx").get_data(as_text=True)
    refused = upload(client, b"garbage", "p.xlsx").get_data(as_text=True)
    assert "XLSX" in refused and 'class="field-error"' in refused
    empty = upload(client, b"", "p.csv").get_data(as_text=True)
    assert 'class="field-error"' in empty
    wrong_type = upload(client, b"a,b", "p.pdf").get_data(as_text=True)
    assert 'class="field-error"' in wrong_type
    assert db.session.scalar(select(db.func.count(PendingUpload.id))) == 1  # only the good file was kept


def test_someone_elses_upload_cannot_be_committed(client, login_as, make_user, make_team, app):
    make_team(name="售后服务组")
    other_admin = make_user("admin")
    from app.uploads import stash_upload

    stashed = stash_upload(other_admin.id, "users", "x.csv", GOOD_CSV.encode())
    db.session.commit()
    login_as("admin")
    before = count_users()
    assert client.post_form("/admin/users/import/commit", {"upload_key": stashed.key}).status_code == 302
    assert count_users() == before


def test_history_restore_gets_the_full_page(client, login_as):
    login_as("admin")
    response = client.get("/admin/users", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_a_manager_turned_agent_stops_managing(client, login_as, make_user, make_team):
    login_as("admin")
    manager = make_user("manager")
    team = make_team(managers=[manager])
    client.post_form(f"/admin/users/{manager.id}/edit", {
        "employee_no": manager.employee_no, "name": manager.name, "role": "agent", "team_id": str(team.id),
        "tier": "in_service", "ladder_level": "specialist"})
    assert db.session.get(Team, team.id).managers == []
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.updated"))
    assert audit.before["managed_team_ids"] == [team.id] and audit.after["managed_team_ids"] == []


def test_user_search_and_audit_filter_treat_wildcards_literally(client, login_as, make_user):
    login_as("admin")
    make_user(name="王_小明", employee_no="KF_100")
    make_user(name="李小红", employee_no="KF2100")
    for term, expected in (("_", {"王_小明"}), ("%", set()), ("F_1", {"王_小明"}), ("KF%", set())):
        page = client.get("/admin/users", query_string={"q": term}).get_data(as_text=True)
        assert {name for name in ("王_小明", "李小红") if name in page} == expected, term

    db.session.add_all([AuditLog(action="user_x.create", entity_type="user"),
                        AuditLog(action="userx.create", entity_type="user")])
    db.session.commit()
    page = client.get("/admin/audit", query_string={"action": "user_"}).get_data(as_text=True)
    assert "user_x.create" in page and "userx.create" not in page
    page = client.get("/admin/audit", query_string={"action": "%"}).get_data(as_text=True)
    assert "user_x.create" not in page and "userx.create" not in page
