import pytest

from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD


def login(client, identifier, password=PASSWORD, **extra):
    return client.post_form("/auth/login", {"identifier": identifier, "password": password, **extra})


def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert 'name="identifier"' in response.get_data(as_text=True)


def test_login_success_by_employee_number_then_email(client, make_user):
    user = make_user(email="lin@example.com")
    response = login(client, user.employee_no)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None

    client.post_form("/auth/logout")
    assert login(client, "LIN@example.com").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    user = make_user()
    response = login(client, user.employee_no, "wrong-password")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "工号不存在或密码错误" in page or "Unknown employee number or wrong password" in page
    assert client.get("/").status_code == 302

    unknown = login(client, "NOSUCH", "wrong-password").get_data(as_text=True)
    assert ("工号不存在或密码错误" in unknown) or ("Unknown employee number" in unknown)


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user(is_active=False)
    response = login(client, user.employee_no)
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_deactivation_ends_an_existing_session(client, make_user, app):
    user = make_user()
    login(client, user.employee_no)
    assert client.get("/").status_code == 200
    user.is_active = False
    user.session_version += 1
    db.session.commit()
    assert client.get("/").status_code == 302


def test_csrf_token_missing_gives_400(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"identifier": user.employee_no, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_rate_limit_per_account_counts_failures(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_IP="3 per 5 minutes", LOGIN_LIMIT_PER_IP="100 per minute")
    with app.app_context():
        user = make_user()
        client = app.test_client()
        for _ in range(3):
            assert login(client, user.employee_no, "bad-password").status_code == 200
        blocked = login(client, user.employee_no, PASSWORD)
        assert blocked.status_code == 429
        # another account from the same address is not affected
        other = make_user()
        assert login(client, other.employee_no).status_code == 302


def test_failures_count_per_person_whatever_identifier_is_typed(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_IP="4 per 5 minutes", LOGIN_LIMIT_PER_IP="100 per minute")
    with app.app_context():
        user = make_user(email="Wang.Fang@example.com")
        client = app.test_client()
        for identifier in (user.employee_no, "wang.fang@example.com", user.employee_no, "WANG.FANG@example.com"):
            assert login(client, identifier, "bad-password").status_code == 200
        assert login(client, "wang.fang@example.com", PASSWORD).status_code == 429
        assert login(client, user.employee_no, PASSWORD).status_code == 429


def test_a_strangers_failures_slow_only_their_address_until_the_account_ceiling(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_IP="2 per 5 minutes", LOGIN_LIMIT_PER_ACCOUNT="5 per hour",
                      LOGIN_LIMIT_PER_IP="100 per minute")
    with app.app_context():
        user = make_user()

        def client_at(address):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = address
            return client

        attacker = client_at("203.0.113.7")
        for _ in range(2):
            assert login(attacker, user.employee_no, "guess").status_code == 200
        assert login(attacker, user.employee_no, "guess").status_code == 429
        # the person at their own desk is not locked out by the stranger
        assert login(client_at("198.51.100.20"), user.employee_no).status_code == 302

        # guesses spread over many addresses meet the account-wide ceiling
        crowd = [client_at(f"203.0.113.{n}") for n in range(10, 13)]
        for client in crowd:
            login(client, user.employee_no, "guess")
        assert login(client_at("198.51.100.21"), user.employee_no).status_code == 429


def test_rate_limit_per_ip(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_IP="4 per minute", LOGIN_LIMIT_PER_ACCOUNT="100 per minute")
    with app.app_context():
        client = app.test_client()
        for n in range(4):
            assert login(client, f"nobody{n}", "x-password").status_code == 200
        assert login(client, "nobody-else", "x-password").status_code == 429


def test_remember_me_sets_a_cookie(client, make_user):
    user = make_user()
    response = login(client, user.employee_no, remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target,expected", [
    ("/people/1", "/people/1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_only_follows_local_paths(client, make_user, target, expected):
    user = make_user()
    response = login(client, user.employee_no, next=target)
    assert response.headers["Location"] == expected


def test_logout_needs_post_with_token(client, login_as):
    login_as("agent")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.post_form("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def test_logout_ends_the_session_and_its_remember_me_cookie_on_the_server(app, make_user):
    user = make_user()
    device = app.test_client()
    assert login(device, user.employee_no, remember="y").status_code == 302
    session_cookie, remember_cookie = _cookie(device, "session"), _cookie(device, "remember_token")
    assert session_cookie and remember_cookie
    assert device.post_form("/auth/logout").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", session_cookie)
    assert replay.get("/").status_code == 302
    remembered = app.test_client()
    remembered.set_cookie("remember_token", remember_cookie)
    assert remembered.get("/").status_code == 302
    assert _cookie(remembered, "session") is None or remembered.get("/").status_code == 302


def test_remember_me_alone_signs_in_while_the_session_is_live(app, make_user):
    user = make_user()
    device = app.test_client()
    login(device, user.employee_no, remember="y")
    remembered = app.test_client()
    remembered.set_cookie("remember_token", _cookie(device, "remember_token"))
    assert remembered.get("/").status_code == 200


def test_logging_out_on_one_device_keeps_the_other_signed_in(app, make_user):
    user = make_user()
    phone, desk = app.test_client(), app.test_client()
    login(phone, user.employee_no, remember="y")
    login(desk, user.employee_no, remember="y")
    phone.post_form("/auth/logout")
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 200


def test_a_cookie_without_a_login_session_is_refused(app, make_user):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"   # the format before login sessions
    assert client.get("/").status_code == 302
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}.made-up-key"
    assert client.get("/").status_code == 302


def test_change_password(client, make_user):
    user = make_user()
    login(client, user.employee_no)
    bad = client.post_form("/auth/account/password", {
        "current_password": "not-it", "new_password": "new-secret-99", "confirm": "new-secret-99"})
    assert bad.status_code == 200
    assert "current password" in bad.get_data(as_text=True) or "当前密码" in bad.get_data(as_text=True)

    mismatch = client.post_form("/auth/account/password", {
        "current_password": PASSWORD, "new_password": "new-secret-99", "confirm": "other-secret"})
    assert mismatch.status_code == 200

    ok = client.post_form("/auth/account/password", {
        "current_password": PASSWORD, "new_password": "new-secret-99", "confirm": "new-secret-99"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session survives
    client.post_form("/auth/logout")
    assert login(client, user.employee_no, PASSWORD).status_code == 200
    assert login(client, user.employee_no, "new-secret-99").status_code == 302


def test_password_change_signs_out_other_sessions(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    login(first, user.employee_no)
    login(second, user.employee_no)
    first.post_form("/auth/account/password", {
        "current_password": PASSWORD, "new_password": "new-secret-99", "confirm": "new-secret-99"})
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


def test_temporary_password_forces_a_change(client, make_user):
    user = make_user(must_change_password=True)
    login(client, user.employee_no)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/account/password")
    client.post_form("/auth/account/password", {
        "current_password": PASSWORD, "new_password": "my-own-pass-1", "confirm": "my-own-pass-1"})
    assert client.get("/").status_code == 200


def test_passwords_are_hashed_with_scrypt_outside_tests(app_factory):
    app = app_factory(PASSWORD_HASH_METHOD="scrypt")
    with app.app_context():
        from app.auth.services import hash_password

        assert hash_password("whatever-123").startswith("scrypt:")


def _client_at(app, address, forwarded_for=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def test_one_address_pacing_its_guesses_never_reaches_the_account_ceiling(app_factory, make_user, monkeypatch):
    import limits.storage.memory as memory

    app = app_factory()                                   # the shipped limits
    clock = [1_900_000_000.0]
    monkeypatch.setattr(memory.time, "time", lambda: clock[0])
    with app.app_context():
        user = make_user()
        attacker = _client_at(app, "203.0.113.7")
        for _ in range(8):                                # two hours of guessing as fast as allowed
            for _ in range(5):
                assert login(attacker, user.employee_no, "guess").status_code == 200
            assert login(attacker, user.employee_no, "guess").status_code == 429
            clock[0] += 15 * 60 + 1
        assert login(_client_at(app, "198.51.100.20"), user.employee_no).status_code == 302


def test_behind_a_trusted_proxy_limits_count_per_forwarded_client(app_factory, make_user):
    app = app_factory(TRUSTED_PROXIES=1, LOGIN_LIMIT_PER_IP="100 per minute")
    with app.app_context():
        user = make_user()
        stranger = _client_at(app, "127.0.0.1", forwarded_for="203.0.113.7")
        for _ in range(5):
            assert login(stranger, user.employee_no, "guess").status_code == 200
        assert login(stranger, user.employee_no).status_code == 429
        person = _client_at(app, "127.0.0.1", forwarded_for="198.51.100.20")
        assert login(person, user.employee_no).status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_IP="2 per 5 minutes", LOGIN_LIMIT_PER_IP="100 per minute")
    with app.app_context():
        user = make_user()
        for n in range(2):
            login(_client_at(app, "203.0.113.7", forwarded_for=f"198.51.100.{n}"), user.employee_no, "guess")
        assert login(_client_at(app, "203.0.113.7", forwarded_for="198.51.100.99"),
                     user.employee_no).status_code == 429


def test_an_ipv6_slash_64_is_one_address(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_IP="2 per 5 minutes", LOGIN_LIMIT_PER_IP="100 per minute")
    with app.app_context():
        user = make_user()
        login(_client_at(app, "2001:db8:1:2::1"), user.employee_no, "guess")
        login(_client_at(app, "2001:db8:1:2:ffff::9"), user.employee_no, "guess")
        assert login(_client_at(app, "2001:db8:1:2::77"), user.employee_no).status_code == 429
        assert login(_client_at(app, "2001:db8:1:3::1"), user.employee_no).status_code == 302
