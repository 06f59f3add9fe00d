"""Account pages: user administration (admin; bureau reads), temporary passwords that must
be changed first, the password change page, API tokens (create once, list, revoke, expiry)."""
import datetime
import re

import pytest

from tracker import clock
from tracker.models import ApiToken, AuditLog, Membership, User
from tests.factories import DEFAULT_PASSWORD, make_task_force, make_user

NEW = "Lantern-River-42"


def _login(client, username, password=DEFAULT_PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def _html(response):
    return response.get_data(as_text=True)


def _error_next_to(html, field):
    """The error shown in the field block of ``field`` (macros/forms.html)."""
    match = re.search(rf'<div class="field[^"]*has-error">\s*<label for="{field}".*?'
                      r'<div class="error">([^<]+)</div>', html, re.S)
    return match.group(1) if match else None


@pytest.fixture
def people(app):
    with app.app_context():
        team = make_task_force("JXHG", "精细化工专班")
        make_task_force("XCL", "新材料专班")
        ids = {name: make_user(name, role=name if name != "li" else "member",
                               task_forces=[team] if name == "li" else []).id
               for name in ("admin", "bureau", "li")}
    return ids


def _audit(app, action):
    with app.app_context():
        return [(r.before, r.after) for r in AuditLog.select()
                .where((AuditLog.entity == "user") & (AuditLog.action == action))]


# --- who may see what --------------------------------------------------------------------

def test_bureau_reads_the_list_member_does_not_and_only_admin_changes(app, client, people):
    _login(client, "li")
    assert client.get("/accounts/").status_code == 403
    client.post("/logout")
    _login(client, "bureau")
    page = client.get("/accounts/")
    assert page.status_code == 200 and "li" in _html(page) and "重置密码" not in _html(page)
    assert client.get("/accounts/new").status_code == 403
    assert client.get(f"/accounts/edit?user={people['li']}").status_code == 403
    for url in ("/accounts/deactivate", "/accounts/reset-password", "/accounts/reactivate"):
        assert client.post(url, data={"user_id": people["li"]}).status_code == 403
    with app.app_context():
        assert User.get_by_id(people["li"]).active
        assert not AuditLog.select().where(AuditLog.entity == "user").count()


def test_my_account_page_links_password_and_tokens(client, people):
    _login(client, "li")
    html = _html(client.get("/account/"))
    assert "/account/password" in html and "/account/tokens" in html and "/accounts/" not in html
    assert "我的账号" in _html(client.get("/projects/"))


# --- create, edit, deactivate, reset ------------------------------------------------------

def test_admin_creates_a_user_with_a_temporary_password_shown_once(app, client, people):
    _login(client, "admin")
    form = client.get("/accounts/new")
    assert form.status_code == 200
    # a new account starts with the least role: 专班成员 is the one selected
    assert '<option selected value="member">' in form.get_data(as_text=True)
    page = client.post("/accounts/new", data={
        "username": "ｗａｎｇ ", "display_name": "王\u200b组长", "email": "wang@example.com",
        "role": "lead", "task_forces": ["JXHG", "XCL"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = re.search(r"<code>([A-Za-z0-9]{16})</code>", _html(page)).group(1)
    with app.app_context():
        user = User.get(User.username == "wang")
        assert (user.display_name, user.role, user.must_change_password) == ("王组长", "lead", True)
        assert {m.task_force.code for m in Membership.select().where(Membership.user == user)} \
            == {"JXHG", "XCL"}
    [(_, after)] = _audit(app, "create")
    assert secret not in after and "password" not in after and "hash" not in after
    assert secret not in _html(client.get("/accounts/"))


def test_create_shows_errors_next_to_the_fields(app, client, people):
    _login(client, "admin")
    page = client.post("/accounts/new", data={"username": "li", "email": "not-an-email",
                                              "role": "king", "task_forces": ["NOPE"]})
    html = _html(page)
    assert page.status_code == 200
    assert "请选择有效的角色" in _error_next_to(html, "role")
    assert "NOPE" in _error_next_to(html, "task_forces")
    page = client.post("/accounts/new", data={"username": "li", "email": "x@localhost",
                                              "role": "member"})
    html = _html(page)
    assert "邮箱地址格式不正确" in _error_next_to(html, "email")
    page = client.post("/accounts/new", data={"username": "li", "role": "member"})
    assert "已存在" in _error_next_to(_html(page), "username")
    with app.app_context():
        assert User.select().count() == 3


def test_admin_edits_name_email_role_and_task_forces_with_one_audit_row(app, client, people):
    _login(client, "admin")
    url = f"/accounts/edit?user={people['li']}"
    form = _html(client.get(url))
    assert 'value="JXHG" checked' in form or 'checked value="JXHG"' in form \
        or re.search(r'<input[^>]*checked[^>]*value="JXHG"', form)
    response = client.post(url, data={"display_name": " 李 四 ", "email": "Li@Example.com",
                                      "role": "lead", "task_forces": ["XCL"]})
    assert response.status_code == 302
    with app.app_context():
        user = User.get_by_id(people["li"])
        assert (user.display_name, user.email, user.role) == ("李 四", "Li@Example.com", "lead")
        assert [m.task_force.code for m in user.memberships] == ["XCL"]
    [(before, after)] = _audit(app, "edit")
    assert '"task_forces": ["JXHG"]' in before and '"task_forces": ["XCL"]' in after
    assert '"role": "member"' in before and '"role": "lead"' in after
    assert "username" not in after  # only what changed
    client.post(url, data={"display_name": "李 四", "email": "Li@Example.com", "role": "lead",
                           "task_forces": ["XCL"]})
    assert len(_audit(app, "edit")) == 1  # nothing changed: no row
    bad = client.post(url, data={"display_name": "李" * 65, "email": "a@b", "role": "lead"})
    assert _error_next_to(_html(bad), "display_name") and _error_next_to(_html(bad), "email")
    assert client.get("/accounts/edit?user=987654").status_code == 404
    assert client.get("/accounts/edit?user=abc").status_code == 404


def test_deactivate_ends_the_session_and_blocks_login_until_reactivated(app, people):
    admin, li = app.test_client(), app.test_client()
    _login(admin, "admin")
    _login(li, "li")
    assert li.get("/projects/").status_code == 200
    assert admin.post("/accounts/deactivate", data={"user_id": people["li"], "confirmed": "1"}).status_code == 302
    assert li.get("/projects/").status_code == 302  # logged out
    assert _login(app.test_client(), "li").status_code == 200  # refused
    assert admin.post("/accounts/deactivate", data={"user_id": people["li"], "confirmed": "1"}).status_code == 302
    assert len(_audit(app, "deactivate")) == 1  # the second was refused
    admin.post("/accounts/reactivate", data={"user_id": people["li"]})
    assert _login(app.test_client(), "li").status_code == 302
    assert [a for _, a in _audit(app, "activate")] == ['{"active": true}']


def test_admin_cannot_deactivate_or_demote_themself_or_the_last_admin(app, client, people):
    _login(client, "admin")
    response = client.post("/accounts/deactivate", data={"user_id": people["admin"], "confirmed": "1"},
                           follow_redirects=True)
    assert "不能停用自己的账号" in _html(response)
    page = client.post(f"/accounts/edit?user={people['admin']}",
                       data={"display_name": "admin", "role": "bureau"})
    assert "管理员" in _error_next_to(_html(page), "role")
    with app.app_context():
        assert User.get_by_id(people["admin"]).role == "admin"
    assert client.post("/accounts/deactivate", data={"user_id": "abc"}).status_code == 400
    assert client.post("/accounts/deactivate", data={"user_id": "987654"}).status_code == 404


def test_reset_password_gives_a_temporary_one_that_must_be_changed_first(app, people):
    admin = app.test_client()
    _login(admin, "admin")
    page = admin.post("/accounts/reset-password", data={"user_id": people["li"],
                                                       "confirmed": "1"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = re.search(r"<code>([A-Za-z0-9]{16})</code>", _html(page)).group(1)
    [(before, after)] = _audit(app, "reset_password")
    assert secret not in after and "hash" not in after + before
    assert _login(app.test_client(), "li").status_code == 200  # the old password is gone
    li = app.test_client()
    assert _login(li, "li", secret).status_code == 302
    for url in ("/projects/", "/dashboard/", "/account/tokens", "/accounts/", "/"):
        response = li.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/password"), url
    assert li.post("/account/tokens", data={"name": "x"}).status_code == 302
    page = li.get("/account/password")
    assert page.status_code == 200 and "临时密码" in _html(page)
    # only what can be used: no menu (every link would come back here), logout kept
    assert 'class="mainnav"' not in _html(page) and "/account/sessions" not in _html(page)
    assert 'action="/logout"' in _html(page)
    response = li.post("/account/password", data={
        "current_password": secret, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert li.get("/projects/").status_code == 200
    assert 'class="mainnav"' in _html(li.get("/account/password"))   # the menu is back
    with app.app_context():
        user = User.get_by_id(people["li"])
        assert not user.must_change_password and user.check_password(NEW)
        assert ApiToken.select().count() == 0
    assert li.post("/logout").status_code == 302


def test_logout_is_allowed_while_a_change_is_due(app, people):
    with app.app_context():
        User.update(must_change_password=True).where(User.id == people["li"]).execute()
    li = app.test_client()
    _login(li, "li")
    assert li.post("/logout").status_code == 302
    assert li.get("/projects/").headers["Location"].startswith("/login")


# --- change my password ----------------------------------------------------------------------

@pytest.mark.parametrize("current,new,confirm,field,message", [
    ("wrong-password", NEW, NEW, "current_password", "当前密码不正确"),
    (DEFAULT_PASSWORD, "short-1", "short-1", "new_password", "至少 10 个字符"),
    (DEFAULT_PASSWORD, "1qaz2wsx3edc", "1qaz2wsx3edc", "new_password", "过于常见"),
    (DEFAULT_PASSWORD, "QWERTYUIOP", "QWERTYUIOP", "new_password", "过于常见"),
    (DEFAULT_PASSWORD, NEW, NEW + "x", "confirm", "不一致"),
    (DEFAULT_PASSWORD, "", "", "new_password", "请输入新密码"),
    (DEFAULT_PASSWORD, "ab\x00cdefghijk", "ab\x00cdefghijk", "new_password", "NUL"),
])
def test_password_change_refusals_show_next_to_the_field(app, client, people, current, new,
                                                         confirm, field, message):
    _login(client, "li")
    page = client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm": confirm})
    assert page.status_code in (200, 400)
    if page.status_code == 200:
        assert message in (_error_next_to(_html(page), field) or "")
    with app.app_context():
        assert User.get_by_id(people["li"]).check_password(DEFAULT_PASSWORD)
        assert not _audit(app, "change_password")


def test_password_containing_the_username_is_refused(app, client, people):
    _login(client, "bureau")
    page = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "my-BUREAU-pass",
        "confirm": "my-BUREAU-pass"})
    assert "用户名" in _error_next_to(_html(page), "new_password")


def test_password_change_ends_other_sessions_only(app, people):
    here, there = app.test_client(), app.test_client()
    _login(here, "li")
    _login(there, "li")
    response = here.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert here.get("/projects/").status_code == 200
    assert there.get("/projects/").status_code == 302


def test_password_change_works_and_is_audited_without_the_password(app, client, people):
    _login(client, "li")
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 302
    [(before, after)] = _audit(app, "change_password")
    assert NEW not in after and DEFAULT_PASSWORD not in before + after and "hash" not in after
    client.post("/logout")
    assert _login(client, "li").status_code == 200
    assert _login(client, "li", NEW).status_code == 302


# --- API tokens --------------------------------------------------------------------------

def _create_token(client, **data):
    page = client.post("/account/tokens", data=data)
    assert page.status_code == 200, _html(page)
    match = re.search(r"<code>(trk_[^<]+)</code>", _html(page))
    return match.group(1) if match else None, page


def _api(app, token):
    return app.test_client().get("/api/v1/progress",
                                 headers={"Authorization": f"Bearer {token}"})


def test_user_creates_lists_and_revokes_own_tokens(app, client, people):
    _login(client, "li")
    tomorrow = clock.today() + datetime.timedelta(days=1)
    token, page = _create_token(client, name="大屏", expires_at=tomorrow.isoformat())
    assert token and page.headers["Cache-Control"] == "no-store"
    assert token not in _html(client.get("/account/tokens"))  # shown once
    listing = _html(client.get("/account/tokens"))
    assert "大屏" in listing and tomorrow.isoformat() in listing and "从未使用" in listing
    assert _api(app, token).status_code == 200
    listing = _html(client.get("/account/tokens"))
    assert "从未使用" not in listing
    with app.app_context():
        row = ApiToken.get()
        assert row.last_used_at is not None and row.expires_at == tomorrow
        row_id = row.id
    assert client.post("/account/tokens/revoke", data={"token_id": row_id}).status_code == 302
    assert _api(app, token).status_code == 401
    assert "已吊销" in _html(client.get("/account/tokens"))


def test_expired_token_is_refused_like_a_revoked_one(app, client, people):
    _login(client, "li")
    token, _ = _create_token(client, name="old", expires_at=clock.today().isoformat())
    assert _api(app, token).status_code == 200  # the last day still counts
    with app.app_context():
        ApiToken.update(expires_at=clock.today() - datetime.timedelta(days=1)).execute()
    expired = _api(app, token)
    token2, _ = _create_token(client, name="revoked")
    with app.app_context():
        ApiToken.update(revoked_at=datetime.datetime(2026, 1, 1)).where(
            ApiToken.expires_at.is_null()).execute()
    revoked = _api(app, token2)
    assert expired.status_code == revoked.status_code == 401
    assert expired.get_json() == revoked.get_json()
    assert "已过期" in _html(client.get("/account/tokens"))


@pytest.mark.parametrize("expires,message", [
    ("2020-01-01", "不能早于今天"), ("2026-02-30", "有效日期"), ("9999-12-31", "三年"),
    ("abc", "有效日期"),
])
def test_bad_expiry_dates_are_refused(app, client, people, expires, message):
    _login(client, "li")
    page = client.post("/account/tokens", data={"name": "x", "expires_at": expires})
    assert message in (_error_next_to(_html(page), "expires_at") or "")
    page = client.post("/account/tokens", data={"name": "x" * 65})
    assert _error_next_to(_html(page), "name")
    with app.app_context():
        assert ApiToken.select().count() == 0


def test_others_tokens_are_hidden_from_users_and_revocable_by_admins(app, people):
    li, bureau, admin = (app.test_client() for _ in range(3))
    _login(li, "li")
    _login(bureau, "bureau")
    _login(admin, "admin")
    token, _ = _create_token(li, name="li-token")
    with app.app_context():
        row_id = ApiToken.get().id
    assert "li-token" not in _html(bureau.get("/account/tokens"))
    response = bureau.post("/account/tokens/revoke", data={"token_id": row_id})
    assert response.status_code == 404
    assert _api(app, token).status_code == 200
    listing = _html(admin.get("/account/tokens"))
    assert "li-token" in listing and "<td>li</td>" in listing
    assert admin.post("/account/tokens/revoke", data={"token_id": row_id}).status_code == 302
    assert _api(app, token).status_code == 401
    with app.app_context():
        rows = list(AuditLog.select().where(AuditLog.entity == "api_token")
                    .order_by(AuditLog.id))
        assert [(r.action, r.user.username) for r in rows] == [("create", "li"),
                                                                ("revoke", "admin")]
        assert token not in "".join(r.after for r in rows)
    assert admin.post("/account/tokens/revoke", data={"token_id": "x"}).status_code == 400


# --- pages carry no inline script or style (the Content-Security-Policy forbids them) ----

def test_account_pages_have_no_inline_script_or_style(app, client, people):
    _login(client, "admin")
    _create_token(client, name="csp")
    pages = ["/account/", "/account/password", "/account/tokens", "/accounts/",
             "/accounts/new", f"/accounts/edit?user={people['li']}"]
    for url in pages:
        html = _html(client.get(url))
        # scripts only from files (<script src=...>), no inline script, style or handler
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


@pytest.mark.parametrize("url, title", [("/accounts/deactivate", "停用账号"),
                                        ("/accounts/reset-password", "重置密码")])
def test_deactivate_and_reset_ask_for_confirmation_first(app, people, url, title):
    """Issue 19: one click on 停用 or 重置密码 opens a page that says what happens (logged out
    at once, ...) and changes nothing; only its 确认 button acts."""
    admin, li = app.test_client(), app.test_client()
    _login(admin, "admin")
    _login(li, "li")
    page = admin.post(url, data={"user_id": people["li"]})
    html = _html(page)
    assert page.status_code == 200 and f"确认{title}" in html and "立即退出" in html
    assert 'name="confirmed" value="1"' in html
    assert li.get("/projects/").status_code == 200            # still logged in
    with app.app_context():
        user = User.get_by_id(people["li"])
        assert user.active and not user.must_change_password
        assert not AuditLog.select().where(AuditLog.entity == "user",
                                           AuditLog.entity_id == people["li"]).exists()
    done = admin.post(url, data={"user_id": people["li"], "confirmed": "1"})
    assert done.status_code in (200, 302)
    assert li.get("/projects/").status_code == 302             # now logged out
