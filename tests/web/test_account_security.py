"""Issue 23's account items through HTTP with CSRF protection on, on every backend: weak
passwords refused with the reason, deactivation revokes API tokens for good, logout and
ending sessions audited, an admin lifts a login lock (with confirmation, audited), and
cookies that a plain-http intranet address can keep."""
import json
import re

import pytest

from tests.conftest import clean_tables, make_app
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.web import csrf_helpers as csrf
from tracker.models import ApiToken, AuditLog, User, UserSession
from tracker.services.accounts import tokens

WEAK = ["password12", "Admin@123456", "Aa123456789", "woaini1314520", "admin12345",
        "qwerty123456", "zhang123456", "88888888888"]


@pytest.fixture
def app(database_url, tmp_path):
    """The app on every backend with CSRF protection on, as in production."""
    app = make_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        clean_tables()


@pytest.fixture
def people(app):
    with app.app_context():
        return {u.username: u.id for u in (
            make_user("root", role="admin"),
            make_user("li", display_name="Fengzhang Li", email="fengzhang@example.test"),
            make_user("bureau", role="bureau"))}


def _client(app, username=None, address="127.0.0.1"):
    client = app.test_client()
    if username:
        assert csrf.login(client, username, address=address).status_code == 302
    return client


def _html(response):
    return response.get_data(as_text=True)


def _audit(app, **where):
    with app.app_context():
        query = AuditLog.select().order_by(AuditLog.id)
        for name, value in where.items():
            query = query.where(getattr(AuditLog, name) == value)
        return [(r.user_id, r.entity, r.entity_id, r.action, json.loads(r.before or "{}"),
                 json.loads(r.after or "{}")) for r in query]


# --- passwords ------------------------------------------------------------------------------

def test_weak_passwords_are_refused_with_the_reason_in_zh_cn(app, people):
    client = _client(app, "li")
    for weak in WEAK + ["Fengzhang#2026"]:   # the last: the user's own name and e-mail
        page = csrf.post(client, "/account/password", {
            "current_password": DEFAULT_PASSWORD, "new_password": weak, "confirm": weak})
        assert page.status_code == 200, weak
        assert "容易被猜中" in _html(page) or "常见" in _html(page), weak
    assert "含有您的用户名、姓名或邮箱" in _html(page)
    with app.app_context():
        assert User.get_by_id(people["li"]).check_password(DEFAULT_PASSWORD)
    good = "Lantern-River-42"
    response = csrf.post(client, "/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": good, "confirm": good})
    assert response.status_code == 302
    with app.app_context():
        assert User.get_by_id(people["li"]).check_password(good)


@pytest.mark.parametrize("weak,reason", [
    ("woaini1314520", "拼音或数字组合"), ("88888888888", "重复的字符"),
    ("zhang19900101", "日期或年份"), ("qwerty123456", "常见密码"),
])
def test_the_message_says_why(app, people, weak, reason):
    client = _client(app, "li")
    page = _html(csrf.post(client, "/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": weak, "confirm": weak}))
    assert reason in page


def test_the_minimum_score_is_a_setting(app, people):
    app.config["PASSWORD_MIN_SCORE"] = 0
    client = _client(app, "li")
    response = csrf.post(client, "/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": "zhang19900101",
        "confirm": "zhang19900101"})
    assert response.status_code == 302


# --- deactivation revokes API tokens ----------------------------------------------------------

def _api(app, token):
    return app.test_client().get("/api/v1/snapshots?year=2026&quarter=1",
                                 headers={"Authorization": f"Bearer {token}"}).status_code


def _admin_action(admin, url, user_id):
    page = csrf.post(admin, url, {"user_id": user_id}, page="/accounts/")
    assert page.status_code == 200 and 'name="confirmed" value="1"' in _html(page)
    return csrf.post(admin, url, {"user_id": user_id, "confirmed": "1"}, page="/accounts/")


def test_deactivation_revokes_api_tokens_and_reactivation_does_not_bring_them_back(app, people):
    with app.app_context():
        _, token = tokens.create("bureau", "大屏")
    assert _api(app, token) == 200
    admin = _client(app, "root")
    assert "API 令牌同时吊销" in _html(csrf.post(admin, "/accounts/deactivate",
                                                  {"user_id": people["bureau"]}, page="/accounts/"))
    assert _admin_action(admin, "/accounts/deactivate", people["bureau"]).status_code == 302
    assert _api(app, token) == 401
    assert csrf.post(admin, "/accounts/reactivate", {"user_id": people["bureau"]},
                     page="/accounts/").status_code == 302
    assert _api(app, token) == 401
    with app.app_context():
        assert ApiToken.get().revoked_at is not None and User.get_by_id(people["bureau"]).active
    [(who, _, _, _, before, after)] = _audit(app, action="deactivate")
    assert who == people["root"] and before == {"active": True}
    assert after == {"active": False, "sessions_ended": 0, "api_revoked": 1}


# --- logout and ending sessions are audited ---------------------------------------------------

def test_logout_writes_an_audit_row(app, people):
    client = _client(app, "li")
    assert csrf.post(client, "/logout", page="/account/").status_code == 302
    [(who, entity, session_id, action, before, after)] = _audit(app, entity="user_session")
    assert (who, entity, action, before) == (people["li"], "user_session", "end",
                                             {"ended_at": None})
    assert after["reason"] == "logout" and after["user"] == people["li"]
    with app.app_context():
        assert UserSession.get_by_id(session_id).end_reason == "logout"


def test_ending_my_sessions_writes_audit_rows(app, people):
    laptop, phone = _client(app, "li"), _client(app, "li")
    with app.app_context():
        other = UserSession.select().order_by(UserSession.id.desc()).first().id
    assert csrf.post(laptop, "/account/sessions/end", {"session_id": other},
                     page="/account/sessions").status_code == 302
    assert phone.get("/account/sessions").status_code == 302   # ended: back to the login
    [row] = _audit(app, entity="user_session")
    assert row[:4] == (people["li"], "user_session", other, "end")
    assert row[5]["reason"] == "ended_by_user"
    csrf.post(laptop, "/account/sessions/end-all", page="/account/sessions")
    [row] = _audit(app, action="end_sessions")
    assert row[:3] == (people["li"], "user", people["li"])
    assert row[4:] == ({"live_sessions": 1}, {"live_sessions": 0, "reason": "signed_out_everywhere"})


def test_an_admin_ends_all_sessions_of_a_user_with_confirmation(app, people):
    li = _client(app, "li")
    admin = _client(app, "root")
    assert "结束全部登录会话" in _html(admin.get(f"/accounts/edit?user={people['li']}"))
    response = _admin_action(admin, "/accounts/end-sessions", people["li"])
    assert response.status_code == 302
    assert "已结束该账号的全部登录会话（1 个）" in _html(admin.get(response.location))
    assert li.get("/account/").status_code == 302
    [row] = _audit(app, action="end_sessions")
    assert row[:3] == (people["root"], "user", people["li"])
    assert row[5] == {"live_sessions": 0, "reason": "ended_by_admin"}


# --- an admin lifts a login lock --------------------------------------------------------------

def test_an_admin_lifts_a_lock_from_the_account_page(app, people):
    stranger = app.test_client()
    for _ in range(5):
        page = _html(csrf.login(stranger, "li", "wrong-password", address="10.6.0.1"))
        assert "用户名或密码错误" in page
    assert "已暂时锁定" in _html(csrf.login(stranger, "li", address="10.6.0.1"))
    admin = _client(app, "root")
    edit = _html(admin.get(f"/accounts/edit?user={people['li']}"))
    assert "已限制登录" in edit and "10.6.0.1" in edit and "解除登录锁定" in edit
    confirm = _html(csrf.post(admin, "/accounts/unlock", {"user_id": people["li"]},
                              page="/accounts/"))
    assert "请先与本人核实" in confirm
    assert not _audit(app, action="unlock")
    assert _admin_action(admin, "/accounts/unlock", people["li"]).status_code == 302
    [row] = _audit(app, action="unlock")
    assert row[:3] == (people["root"], "user", people["li"])
    assert row[4]["locked_addresses"] == ["10.6.0.1"] and row[5]["failures"] == 0
    assert "没有因登录失败而产生的锁定" in _html(admin.get(f"/accounts/edit?user={people['li']}"))
    assert csrf.login(app.test_client(), "li", address="10.6.0.1").status_code == 302


def test_unlock_needs_a_valid_csrf_token(app, people):
    admin = _client(app, "root")
    response = admin.post("/accounts/unlock", data={"user_id": people["li"], "confirmed": "1"})
    assert response.status_code == 400
    assert not _audit(app, action="unlock")


# --- cookies on a plain-http intranet address ------------------------------------------------

def _set_cookies(response):
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("base_url,secure", [
    ("http://10.1.2.3:8000", False), ("https://tracker.example.gov.cn", True)])
def test_login_cookies_are_secure_exactly_when_the_base_url_is_https(
        database_url, tmp_path, base_url, secure):
    app = make_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=True, BASE_URL=base_url)
    try:
        with app.app_context():
            make_user("li")
        client = app.test_client()
        data = {"username": "li", "password": DEFAULT_PASSWORD, "remember": "y",
                "csrf_token": csrf.token(client, "/login")}
        response = client.post("/login", data=data)
        assert response.status_code == 302
        cookies = _set_cookies(response)
        assert {"session", "remember_token"} <= set(cookies)
        for cookie in cookies.values():
            assert bool(re.search(r";\s*Secure(;|$)", cookie)) is secure, cookie
            assert "HttpOnly" in cookie
        if not secure:   # what a browser on http://10.1.2.3:8000 sends back: it is logged in
            assert client.get("/account/").status_code == 200
    finally:
        with app.app_context():
            clean_tables()
