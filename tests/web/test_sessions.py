"""Server-side sessions (issue "Accounts, sessions and hardening"): both cookies name a
user_session row ("<user id>:<key>"); logout, sign out everywhere, deactivation and the idle
and age limits end it, and a cookie captured before is refused after."""
import datetime

from tests.factories import DEFAULT_PASSWORD, make_user
from tracker.models import User, UserSession, utcnow
from tracker.services.accounts import sessions
from tracker.services.accounts import users as accounts

REMEMBER = "remember_token"


def _login(client, username="alice", remember=False):
    data = {"username": username, "password": DEFAULT_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _logged_in(client):
    return client.get("/account/sessions").status_code == 200


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _session_rows():
    return list(UserSession.select().order_by(UserSession.id))


def test_session_cookie_captured_before_logout_is_refused_after_it(app, client):
    with app.app_context():
        make_user("alice")
    _login(client)
    captured = _cookie(client, "session")
    assert _logged_in(client)
    assert client.post("/logout").status_code == 302
    assert not _logged_in(client)
    client.set_cookie("session", captured)
    response = client.get("/projects/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        [row] = _session_rows()
        assert row.ended_at is not None and row.end_reason == "logout"


def test_remember_cookie_names_the_session_and_is_fresh_per_login(app):
    with app.app_context():
        user = make_user("alice")
    first, second = app.test_client(), app.test_client()
    _login(first, remember=True)
    _login(second, remember=True)
    one, two = _cookie(first, REMEMBER), _cookie(second, REMEMBER)
    assert one and two and one != two
    for value in (one, two):
        user_id, key = value.split("|")[0].split(":")
        assert int(user_id) == user.id and len(key) == 43
    with app.app_context():
        rows = _session_rows()
        assert len(rows) == 2 and all(r.remember for r in rows)
        assert len({r.key_hash for r in rows}) == 2
        assert key not in {r.key_hash for r in rows}  # only a hash of the key is stored
    later = app.test_client()
    later.set_cookie(REMEMBER, one)
    assert _logged_in(later)  # a new browser session comes back through the cookie


def test_remember_cookie_refused_after_logout(app):
    with app.app_context():
        make_user("alice")
    client = app.test_client()
    _login(client, remember=True)
    captured = _cookie(client, REMEMBER)
    client.post("/logout")
    assert _cookie(client, REMEMBER) is None  # the cookie is deleted as well
    other = app.test_client()
    other.set_cookie(REMEMBER, captured)
    assert not _logged_in(other)


def test_remember_cookie_refused_after_deactivation(app):
    with app.app_context():
        user = make_user("alice")
    client = app.test_client()
    _login(client, remember=True)
    captured = _cookie(client, REMEMBER)
    with app.app_context():
        User.update(active=False).where(User.id == user.id).execute()
    other = app.test_client()
    other.set_cookie(REMEMBER, captured)
    assert not _logged_in(other)
    assert not _logged_in(client)
    with app.app_context():  # active again: the session is still refused once ended
        assert sessions.end_all(user.id, "deactivated") == 1
        User.update(active=True).where(User.id == user.id).execute()
    assert not _logged_in(other)


def test_deactivation_and_password_changes_end_every_session(app):
    with app.app_context():
        admin = make_user("root", role="admin")
        user = make_user("alice")
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        _login(client, remember=True)
    with app.app_context():
        accounts.set_active(admin, user.id, False)
        assert {r.end_reason for r in _session_rows()} == {"deactivated"}
    assert not any(_logged_in(c) for c in clients)
    with app.app_context():
        accounts.set_active(admin, user.id, True)
    _login(clients[0])
    with app.app_context():
        accounts.change_password(user.id, DEFAULT_PASSWORD, "a-New-passw0rd-2026")
    assert not _logged_in(clients[0])


def test_sign_out_everywhere(app):
    with app.app_context():
        make_user("alice")
        make_user("bob")
    mine, elsewhere, bobs = app.test_client(), app.test_client(), app.test_client()
    _login(mine)
    _login(elsewhere, remember=True)
    _login(bobs, "bob")
    page = mine.get("/account/sessions").get_data(as_text=True)
    assert "当前会话" in page and page.count("<tr") == 3  # head + two sessions of alice
    response = mine.post("/account/sessions/end-all")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _logged_in(mine) and not _logged_in(elsewhere)
    assert _logged_in(bobs)


def test_end_one_session_from_the_list(app):
    with app.app_context():
        make_user("alice")
        make_user("bob")
    mine, other, bobs = app.test_client(), app.test_client(), app.test_client()
    _login(mine)
    _login(other)
    _login(bobs, "bob")
    with app.app_context():
        alice_other, bob_row = _session_rows()[1:]
    assert mine.post("/account/sessions/end", data={"session_id": bob_row.id}).status_code == 302
    assert _logged_in(bobs)  # not hers: nothing ended
    mine.post("/account/sessions/end", data={"session_id": alice_other.id})
    assert not _logged_in(other) and _logged_in(mine)


def _age(app, **columns):
    with app.app_context():
        UserSession.update(**columns).execute()


def test_idle_timeout(app, client):
    with app.app_context():
        make_user("alice")
    _login(client)
    limit = app.config["SESSION_IDLE_MINUTES"]
    assert limit == 480
    _age(app, last_seen_at=utcnow() - datetime.timedelta(minutes=limit - 1))
    assert _logged_in(client)  # still within the limit, and now seen again
    _age(app, last_seen_at=utcnow() - datetime.timedelta(minutes=limit + 1))
    assert not _logged_in(client)
    with app.app_context():
        assert _session_rows()[0].end_reason == "idle"


def test_idle_timeout_is_configurable_and_holds_for_remember_me(app):
    app.config["SESSION_IDLE_MINUTES"] = 10
    with app.app_context():
        make_user("alice")
    client = app.test_client()
    _login(client, remember=True)
    _age(app, last_seen_at=utcnow() - datetime.timedelta(minutes=11))
    later = app.test_client()
    later.set_cookie(REMEMBER, _cookie(client, REMEMBER))
    assert not _logged_in(later) and not _logged_in(client)


def test_a_session_older_than_30_days_is_refused(app, client):
    with app.app_context():
        make_user("alice")
    _login(client, remember=True)
    assert app.config["REMEMBER_COOKIE_DURATION"] == datetime.timedelta(days=30)
    _age(app, created_at=utcnow() - datetime.timedelta(days=30, minutes=1))
    assert not _logged_in(client)


def test_last_seen_is_written_at_most_once_a_minute(app, client):
    with app.app_context():
        make_user("alice")
    _login(client)
    seen = utcnow() - datetime.timedelta(seconds=30)
    _age(app, last_seen_at=seen)
    assert _logged_in(client)
    with app.app_context():
        assert abs(_session_rows()[0].last_seen_at - seen) < datetime.timedelta(seconds=1)
    _age(app, last_seen_at=seen - datetime.timedelta(seconds=40))
    assert _logged_in(client)
    with app.app_context():
        assert utcnow() - _session_rows()[0].last_seen_at < datetime.timedelta(seconds=5)


def test_a_cookie_without_a_session_key_is_refused(app, client):
    with app.app_context():
        user = make_user("alice")
    for value in (str(user.id), f"{user.id}:", f"{user.id}:{'x' * 43}", "x:y", "1" * 500):
        with client.session_transaction() as session:
            session["_user_id"] = value
            session["_fresh"] = True
        assert not _logged_in(client), value


def test_csrf_token_is_new_after_login_and_after_logout(csrf_app):
    import re
    with csrf_app.app_context():
        make_user("alice")
    client = csrf_app.test_client()

    def token(url):
        page = client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                         r'name="csrf_token" value="([^"]+)"', page)

    def raw():
        with client.session_transaction() as session:
            return session.get("csrf_token")

    found = token("/login")
    before = raw()
    assert found and before
    form_token = found.group(1) or found.group(2)
    client.post("/login", data={"username": "alice", "password": DEFAULT_PASSWORD,
                                "csrf_token": form_token})
    assert _logged_in(client)
    token("/projects/")
    after_login = raw()
    assert after_login and after_login != before
    page = client.get("/projects/").get_data(as_text=True)
    logout_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": logout_token}).status_code == 302
    token("/login")
    assert raw() not in (None, after_login)
