"""Summary preferences page and the signed one-click unsubscribe link."""
import pytest
from flask import current_app

from tests.conftest import AuthActions
from tests.factories import make_user
from tracker.models import AuditLog, OutboxMessage, User
from tracker.services.mail import summaries
from tracker import settings as web_settings
from tracker.services.mail.unsubscribe import make_token, unsubscribe_url


@pytest.fixture
def people(sqlite_app):
    with sqlite_app.app_context():
        return {"alice": make_user("alice", role="member").id,
                "bob": make_user("bob", role="member").id}


def wants(app, user_id):
    with app.app_context():
        return User.get_by_id(user_id).wants_summary


def token_for(app, user_id):
    with app.app_context():
        return make_token(User.get_by_id(user_id), web_settings.unsubscribe_signer())


def test_prefs_page_turns_the_summary_off_and_on(sqlite_app, people):
    client = sqlite_app.test_client()
    AuthActions(client).login("alice")
    page = client.get("/prefs/summary")
    assert page.status_code == 200 and "每周一接收招商专班周报邮件" in page.get_data(as_text=True)
    response = client.post("/prefs/summary", data={})            # checkbox cleared
    assert response.status_code == 302 and wants(sqlite_app, people["alice"]) is False
    assert "已关闭周报邮件" in client.get("/prefs/summary").get_data(as_text=True)
    client.post("/prefs/summary", data={"wants_summary": "y"})
    assert wants(sqlite_app, people["alice"]) is True
    assert wants(sqlite_app, people["bob"]) is True
    with sqlite_app.app_context():
        actions = [a.action for a in AuditLog.select().where(AuditLog.entity == "user")]
        assert actions == ["summary_prefs", "summary_prefs"]


def test_prefs_page_needs_login(sqlite_app):
    response = sqlite_app.test_client().get("/prefs/summary")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unsubscribe_link_confirms_then_unsubscribes_without_login(csrf_app):
    with csrf_app.app_context():
        user = make_user("carol", role="member")
        url = unsubscribe_url(user, web_settings.unsubscribe_signer(), web_settings.links())
        uid = user.id
    path = url.replace("http://127.0.0.1:5000", "")
    client = csrf_app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "确认退订" in page.get_data(as_text=True)
    assert wants(csrf_app, uid) is True                # GET alone changes nothing
    # RFC 8058 one-click POST: no session, no CSRF token, just the signed URL
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "已为" in done.get_data(as_text=True)
    assert wants(csrf_app, uid) is False
    with csrf_app.app_context():
        assert AuditLog.get(AuditLog.entity == "user").action == "unsubscribe"
    # the same link opened again says so instead of asking to confirm once more
    again = client.get(path).get_data(as_text=True)
    assert "已退订每周周报邮件，无需再次操作" in again and "确认退订" not in again


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),     # signature changed
    lambda t: "WzEsIjAwMDAwMDAwIl0" + t[t.index("."):],              # payload swapped
    lambda t: "garbage",
])
def test_tampered_unsubscribe_link_fails(sqlite_app, people, mangle):
    token = mangle(token_for(sqlite_app, people["alice"]))
    client = sqlite_app.test_client()
    assert client.get(f"/unsubscribe/{token}").status_code == 400
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 400 and "退订链接无效" in response.get_data(as_text=True)
    assert wants(sqlite_app, people["alice"]) is True


def test_token_from_another_secret_or_old_address_fails(sqlite_app, people):
    token = token_for(sqlite_app, people["alice"])
    with sqlite_app.app_context():
        User.update(email="alice.new@example.test").where(User.id == people["alice"]).execute()
    assert sqlite_app.test_client().post(f"/unsubscribe/{token}").status_code == 400
    sqlite_app.config["SECRET_KEY"] = "another-secret"
    with sqlite_app.app_context():
        User.update(email="alice@example.test").where(User.id == people["alice"]).execute()
    assert sqlite_app.test_client().post(f"/unsubscribe/{token}").status_code == 400
    assert wants(sqlite_app, people["alice"]) is True


def test_list_unsubscribe_url_of_a_built_mail_unsubscribes_and_stops_the_next_build(sqlite_app):
    from tests.services import summary_ledger as L
    with sqlite_app.app_context():
        L.build()
        summaries.build_week(L.WEEK, web_settings.mail(current_app))
        row = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        path = row.unsubscribe_url.replace("http://127.0.0.1:5000", "")
        uid = row.user_id
    response = sqlite_app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and wants(sqlite_app, uid) is False
    with sqlite_app.app_context():
        week27 = summaries.build_week("2026-W27", web_settings.mail(current_app))
        assert week27.created == 4           # lead1 no longer gets one (5 in W26)
        assert not OutboxMessage.select().where((OutboxMessage.week == "2026-W27")
                                                & (OutboxMessage.user == uid)).exists()


def test_saving_an_unchanged_preference_writes_no_audit_row(sqlite_app, people):
    client = sqlite_app.test_client()
    AuthActions(client).login("alice")
    client.post("/prefs/summary", data={"wants_summary": "y"})      # already on
    assert wants(sqlite_app, people["alice"]) is True
    with sqlite_app.app_context():
        assert AuditLog.select().where(AuditLog.entity == "user").count() == 0


def test_unsubscribing_twice_records_one_change(sqlite_app, people):
    token = token_for(sqlite_app, people["alice"])
    client = sqlite_app.test_client()
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert wants(sqlite_app, people["alice"]) is False
    with sqlite_app.app_context():
        assert [a.action for a in AuditLog.select().where(AuditLog.entity == "user")] == \
            ["unsubscribe"]


def test_unsubscribe_link_of_a_removed_user_fails(sqlite_app, people):
    token = token_for(sqlite_app, people["bob"])
    with sqlite_app.app_context():
        User.delete().where(User.id == people["bob"]).execute()
    client = sqlite_app.test_client()
    assert client.get(f"/unsubscribe/{token}").status_code == 400
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 400 and "退订链接无效" in response.get_data(as_text=True)


def _path(url):
    return url.replace("http://127.0.0.1:5000", "")


def test_a_link_works_for_a_year_from_its_issue_date_then_shows_the_expired_page(
        sqlite_app, people, monkeypatch):
    import datetime

    from tracker import clock
    issued = datetime.date(2026, 11, 28)
    with sqlite_app.app_context():
        token = make_token(User.get_by_id(people["alice"]), web_settings.unsubscribe_signer(),
                           today=issued)
    client = sqlite_app.test_client()
    monkeypatch.setattr(clock, "today", lambda tz=None: issued + datetime.timedelta(days=365))
    assert client.get(f"/unsubscribe/{token}").status_code == 200          # last good day
    monkeypatch.setattr(clock, "today", lambda tz=None: issued + datetime.timedelta(days=366))
    for response in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
        text = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "退订链接已过期" in text and "周报与提醒设置" in text and "登录" in text
    assert wants(sqlite_app, people["alice"]) is True                      # nothing written
    sqlite_app.config["UNSUBSCRIBE_MAX_AGE_DAYS"] = 400
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert wants(sqlite_app, people["alice"]) is False


def test_an_undated_link_from_before_this_release_works_until_the_cut_off(
        sqlite_app, people, monkeypatch):
    import datetime

    from itsdangerous import URLSafeSerializer

    from tracker import clock
    from tracker.services.mail import unsubscribe
    with sqlite_app.app_context():
        user = User.get_by_id(people["alice"])
        old = URLSafeSerializer("test-secret", salt=unsubscribe.LEGACY_SALT).dumps(
            [user.id, unsubscribe._email_tag(user.email)])
    client = sqlite_app.test_client()
    cut_off = unsubscribe.LEGACY_ACCEPTED_UNTIL
    monkeypatch.setattr(clock, "today", lambda tz=None: cut_off)
    assert client.get(f"/unsubscribe/{old}").status_code == 200
    monkeypatch.setattr(clock, "today", lambda tz=None: cut_off + datetime.timedelta(days=1))
    response = client.post(f"/unsubscribe/{old}")
    assert response.status_code == 410 and "已过期" in response.get_data(as_text=True)
    assert wants(sqlite_app, people["alice"]) is True


def test_each_built_mail_gets_a_link_issued_on_its_build_date(sqlite_app, monkeypatch):
    import datetime

    from tests.services import summary_ledger as L
    from tracker import clock
    from tracker.services.mail.unsubscribe import decode_token
    with sqlite_app.app_context():
        L.build()
        monkeypatch.setattr(clock, "today", lambda tz=None: datetime.date(2026, 6, 29))
        summaries.build_week(L.WEEK, web_settings.mail(current_app))
        monkeypatch.setattr(clock, "today", lambda tz=None: datetime.date(2026, 7, 6))
        summaries.build_week("2026-W27", web_settings.mail(current_app))
        links = {row.week: row.unsubscribe_url for row in OutboxMessage.select().where(
            OutboxMessage.to_addr == "lead1@example.test")}
        tokens = {week: url.rsplit("/", 1)[1] for week, url in links.items()}
        assert tokens[L.WEEK] != tokens["2026-W27"]
        signer = web_settings.unsubscribe_signer()
        assert decode_token(tokens[L.WEEK], signer).issued_on == datetime.date(2026, 6, 29)
        assert decode_token(tokens["2026-W27"], signer).issued_on == datetime.date(2026, 7, 6)
    assert sqlite_app.test_client().get(_path(links[L.WEEK])).status_code == 200


def test_a_tampered_link_shows_a_page_pointing_to_the_settings(sqlite_app, people):
    response = sqlite_app.test_client().get("/unsubscribe/garbage")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "退订链接无效" in text and "周报与提醒设置" in text
