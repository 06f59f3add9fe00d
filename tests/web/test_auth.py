from urllib.parse import urlsplit

from tests.factories import make_user


def test_anonymous_is_sent_to_login(client):
    response = client.get("/projects/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.get_data(as_text=True)


def test_login_logout(app, client, auth):
    with app.app_context():
        make_user("alice")
    auth.login("alice")
    page = client.get("/login", follow_redirects=False)
    assert page.status_code == 302  # already logged in
    auth.logout()
    assert client.get("/login").status_code == 200


def test_wrong_password_shows_message(app, client):
    with app.app_context():
        make_user("alice")
    response = client.post("/login", data={"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(app, client):
    with app.app_context():
        make_user("bob", active=False)
    response = client.post("/login", data={"username": "bob", "password": "password123"})
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_open_redirect_is_refused(app, client):
    with app.app_context():
        make_user("alice")
    response = client.post("/login?next=https://evil.example/", data={
        "username": "alice", "password": "password123"})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


def test_password_hash_defaults_to_scrypt_and_is_configurable(sqlite_url, tmp_path):
    from tests.conftest import make_app
    from tracker.models import User
    strong = make_app(sqlite_url, tmp_path / "a", PASSWORD_HASH_METHOD=None)
    with strong.app_context():
        user = User(username="x")
        user.set_password("s3cret-pass")
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password("s3cret-pass") and not user.check_password("other")
    cheap = make_app(sqlite_url, tmp_path / "b")
    with cheap.app_context():
        user.set_password("s3cret-pass")
        assert user.password_hash.startswith("pbkdf2:sha256:1000$")
        assert user.check_password("s3cret-pass")
