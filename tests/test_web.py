"""What every page shares: headers, error pages, language, formatting."""

from datetime import date

from app.auth.models import User
from app.extensions import db


def test_security_headers_and_csp_without_inline_scripts(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert "<script>" not in page and "onclick=" not in page and "style=" not in page
    assert "/static/vendor/htmx-2.0.11.min.js" in page


def test_static_assets_are_vendored(client):
    for path in ("/static/vendor/htmx-2.0.11.min.js", "/static/js/app.js", "/static/css/app.css",
                 "/static/vendor/chart-4.6.1.umd.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
    page = client.get("/auth/login").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_404_page_is_html_and_api_404_is_json(client, login_as):
    login_as("agent")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/v1/no-such")
    assert api.status_code == 404 and api.is_json


def test_500_page_rolls_back_and_renders(app_factory):
    app = app_factory()

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        response = app.test_client().get("/boom")
        assert response.status_code == 500
        assert "<html" in response.get_data(as_text=True)


def test_default_language_is_chinese_and_the_switch_is_remembered(client, make_user):
    assert "登录" in client.get("/auth/login").get_data(as_text=True)
    client.post_form("/auth/locale", {"locale": "en", "next": "/auth/login"})
    assert "Sign in to AgentPath" in client.get("/auth/login").get_data(as_text=True)

    user = make_user()
    client.post_form("/auth/login", {"identifier": user.employee_no, "password": "correct-horse-42"})
    assert "Welcome" not in client.get("/").get_data(as_text=True)  # a user's own choice wins: none yet → zh
    client.post_form("/auth/locale", {"locale": "en", "next": "/"})
    assert db.session.get(User, user.id).locale == "en"
    assert "Welcome" in client.get("/").get_data(as_text=True)
    client.post_form("/auth/logout")
    client.post_form("/auth/locale", {"locale": "zh_CN", "next": "/auth/login"})
    client.post_form("/auth/login", {"identifier": user.employee_no, "password": "correct-horse-42"})
    assert "Welcome" in client.get("/").get_data(as_text=True)  # remembered on the account


def test_bad_locale_is_ignored(client):
    client.post_form("/auth/locale", {"locale": "fr", "next": "/auth/login"})
    assert "登录" in client.get("/auth/login").get_data(as_text=True)


def test_dates_are_formatted_per_locale(client, login_as):
    user = login_as("agent", hire_date=date(2025, 3, 7))
    assert "2025年3月7日" in client.get(f"/people/{user.id}").get_data(as_text=True)
    client.post_form("/auth/locale", {"locale": "en", "next": "/"})
    assert "Mar 7, 2025" in client.get(f"/people/{user.id}").get_data(as_text=True)


def test_role_aware_navigation(client, login_as):
    login_as("agent")
    page = client.get("/").get_data(as_text=True)
    assert "/admin/users" not in page and "/teams" not in page


def test_admin_navigation(client, login_as):
    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert "/admin/users" in page and "/admin/tokens" in page and "/admin/audit" in page
