"""周报发件箱 pages: list and filters, preview, resend of a failed mail, test mail."""
import os
import re

import pytest
from flask import current_app

from tests.conftest import AuthActions
from tests.mail_server import SMTPServer, parts
from tests.services import summary_ledger as L
from tracker.models import AuditLog, OutboxMessage
from tracker.services.mail import summaries
from tracker import settings as web_settings


@pytest.fixture
def built(sqlite_app):
    with sqlite_app.app_context():
        people = L.build()
        summaries.build_week(L.WEEK, web_settings.mail(current_app))
        return {name: u.id for name, u in people.items() if hasattr(u, "username")}


def login(app, username):
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def fail(app, to_addr, error="550 5.1.1 no such user"):
    with app.app_context():
        row = OutboxMessage.get(OutboxMessage.to_addr == to_addr)
        OutboxMessage.update(status="failed", attempts=5, last_error=error).where(
            OutboxMessage.id == row.id).execute()
        return row.id


def test_only_bureau_and_admin_open_the_outbox(sqlite_app, built):
    assert sqlite_app.test_client().get("/outbox/").status_code == 302     # to login
    member = login(sqlite_app, "lead1")
    assert member.get("/outbox/").status_code == 403
    assert member.get("/outbox/1").status_code == 403
    assert "周报发件箱" not in member.get("/prefs/summary").get_data(as_text=True)
    boss = login(sqlite_app, "boss")
    page = boss.get("/outbox/")
    assert page.status_code == 200 and "周报发件箱" in page.get_data(as_text=True)


def test_list_filters_by_status_and_week(sqlite_app, built):
    failed_id = fail(sqlite_app, "lead2@example.test")
    boss = login(sqlite_app, "boss")
    html = boss.get("/outbox/").get_data(as_text=True)
    assert html.count("【招商专班周报】2026年第26周") == 5
    html = boss.get("/outbox/?status=failed").get_data(as_text=True)
    assert html.count("【招商专班周报】2026年第26周") == 1 and f"/outbox/{failed_id}" in html
    assert "550 5.1.1 no such user" in html
    assert boss.get("/outbox/?week=2026-W27").get_data(as_text=True).count("【招商专班周报】") == 0
    # unknown filter values are ignored, not errors
    assert boss.get("/outbox/?status=bogus&page=x").status_code == 200


def test_preview_shows_headers_html_text_and_numbers(sqlite_app, built):
    with sqlite_app.app_context():
        row = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
    html = login(sqlite_app, "boss").get(f"/outbox/{row.id}").get_data(as_text=True)
    assert "【招商专班周报】2026年第26周 · 精细化工专班" in html
    assert "List-Unsubscribe" in html and row.message_id.replace("<", "&lt;").replace(">", "&gt;") in html
    assert '<iframe class="mail-preview" sandbox' in html and "srcdoc=" in html
    assert "签约额：完成 3.50 亿元" in html
    # the reported figures as a small table, never raw JSON
    assert "本邮件报告的数字" in html and "本专班指标" in html and "签约额（万元）" in html
    figures = html.split("本邮件报告的数字")[1]
    assert "signed_value" not in figures and "&#34;" not in figures and "{" not in figures
    assert "<table" in figures and "达到进度" in figures or "欠进度" in figures
    assert login(sqlite_app, "boss").get("/outbox/999999").status_code == 404


def test_resend_a_failed_message(sqlite_app, built):
    row_id = fail(sqlite_app, "lead2@example.test")
    boss = login(sqlite_app, "boss")
    response = boss.post(f"/outbox/{row_id}/resend", follow_redirects=True)
    assert "已重新写入文件" in response.get_data(as_text=True)      # .eml delivery
    with sqlite_app.app_context():
        row = OutboxMessage.get_by_id(row_id)
        assert (row.status, row.attempts, row.transport) == ("sent", 1, "eml")
        assert os.path.exists(os.path.join(sqlite_app.instance_path, "outbox", "2026-W26",
                                           f"{row_id:07d}.eml"))
        audit = AuditLog.get(AuditLog.entity == "outbox_message")
        assert (audit.action, audit.entity_id, audit.user_id) == ("resend", row_id, built["boss"])
        # only failed messages can be resent
        other = OutboxMessage.get(OutboxMessage.to_addr == "boss@example.test")
    response = boss.post(f"/outbox/{other.id}/resend", follow_redirects=True)
    assert "只有发送失败或状态未知的邮件可以重发" in response.get_data(as_text=True)
    with sqlite_app.app_context():
        assert OutboxMessage.get_by_id(other.id).status == "pending"


def test_send_a_test_to_me_over_smtp(sqlite_app, built):
    server = SMTPServer().start()
    sqlite_app.config.update(server.config())
    try:
        boss = login(sqlite_app, "boss")
        response = boss.post("/outbox/test", follow_redirects=True)
        assert "测试邮件已发送到 boss@example.test" in response.get_data(as_text=True)
        [msg] = server.messages
        assert msg.envelope_to == ["boss@example.test"]
        assert msg["Subject"].startswith("[测试] 【招商专班周报】")
        assert msg["Subject"].endswith("· 全市汇总")
        assert "全市合计" in parts(msg)[0]
        with sqlite_app.app_context():
            test_row = OutboxMessage.get(OutboxMessage.kind == "test")
            assert test_row.status == "sent" and test_row.message_id == msg["Message-ID"]
            # the weekly rows are untouched
            assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 5
        # a second test is a new message, not a duplicate key
        boss.post("/outbox/test")
        assert len(server.messages) == 2
    finally:
        server.stop()


def _bureau_with_csrf(csrf_app):
    """A client logged in as a bureau user through the login form's CSRF token."""
    with csrf_app.app_context():
        L.make_user("boss", role="bureau")
    client = csrf_app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "boss", "password": "password123",
                                "csrf_token": token})
    return client


def test_outbox_posts_need_csrf_token(csrf_app):
    client = _bureau_with_csrf(csrf_app)
    assert client.post("/outbox/test").status_code == 400
    assert client.post("/outbox/1/resend").status_code == 400


def test_missing_message_is_404_and_a_page_past_the_end_shows_the_last(sqlite_app, built):
    boss = login(sqlite_app, "boss")
    assert boss.post("/outbox/999999/resend").status_code == 404
    html = boss.get("/outbox/?page=99").get_data(as_text=True)
    assert html.count("【招商专班周报】2026年第26周") == 5


def test_send_a_test_without_an_email_address(sqlite_app, built):
    with sqlite_app.app_context():
        L.make_user("noaddr", role="bureau", email="")
    client = login(sqlite_app, "noaddr")
    response = client.post("/outbox/test", follow_redirects=True)
    assert "您的账号没有设置邮箱" in response.get_data(as_text=True)
    with sqlite_app.app_context():
        assert not OutboxMessage.select().where(OutboxMessage.kind == "test").exists()
        assert not AuditLog.select().where(AuditLog.action == "test").exists()


# -- recovery on the pages: retry now, in-doubt rows, status words --------------------

def _in_doubt(app, to_addr, reaped=True):
    """Leave the row of ``to_addr`` as a crashed sender does: claimed an hour ago (and
    reaped to failed/unknown when ``reaped``)."""
    import datetime
    from tracker.models import utcnow
    from tracker.services.mail import delivery
    with app.app_context():
        row = OutboxMessage.get(OutboxMessage.to_addr == to_addr)
        old = utcnow() - datetime.timedelta(hours=1)
        assert delivery._claim(row, old, "smtp", claimed_at=old)
        if reaped:
            delivery.reap_stale_sending(web_settings.mail(current_app))
        return row.id


def test_retry_now_button_delivers_the_waiting_mail_after_an_outage(sqlite_app, built):
    server = SMTPServer()                      # down
    sqlite_app.config.update(server.config())
    with sqlite_app.app_context():
        from tracker.services.mail import delivery
        assert delivery.send_pending(web_settings.mail(current_app)).retry == 1
    boss = login(sqlite_app, "boss")
    html = boss.get("/outbox/").get_data(as_text=True)
    assert "立即重试待发邮件" in html and 'action="/outbox/retry-now"' in html
    server.start()
    try:
        page = boss.post("/outbox/retry-now", follow_redirects=True).get_data(as_text=True)
        assert "1 封等待重试的邮件已改为立即发送" in page and "已发送 5 封" in page
        assert len(server.messages) == 5
        with sqlite_app.app_context():
            assert {r.status for r in OutboxMessage.select()} == {"sent"}
            entry = AuditLog.get(AuditLog.action == "retry_now")
            assert (entry.entity, entry.user_id) == ("outbox", built["boss"])
        assert login(sqlite_app, "lead1").post("/outbox/retry-now").status_code == 403
    finally:
        server.stop()


def test_an_in_doubt_message_can_be_confirmed_delivered(sqlite_app, built):
    row_id = _in_doubt(sqlite_app, "lead1@example.test")
    boss = login(sqlite_app, "boss")
    html = boss.get(f"/outbox/{row_id}").get_data(as_text=True)
    assert "状态未知" in html and "已确认送达" in html and "重发" in html
    assert boss.get("/outbox/?status=unknown").get_data(as_text=True).count(
        f'href="/outbox/{row_id}"') >= 1
    html = boss.post(f"/outbox/{row_id}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "已标记为“已确认送达”" in html
    with sqlite_app.app_context():
        row = OutboxMessage.get_by_id(row_id)
        assert (row.status, row.outcome) == ("sent", "confirmed")
        entry = AuditLog.get(AuditLog.action == "confirm_delivered")
        assert (entry.entity_id, entry.user_id) == (row_id, built["boss"])
    html = boss.get(f"/outbox/{row_id}").get_data(as_text=True)
    assert "已确认送达" in html and f'action="/outbox/{row_id}/confirm"' not in html
    # a second confirmation is refused, nothing written
    html = boss.post(f"/outbox/{row_id}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "只有状态未知的邮件可以确认送达" in html
    with sqlite_app.app_context():
        assert AuditLog.select().where(AuditLog.action == "confirm_delivered").count() == 1


def test_an_in_doubt_message_can_be_resent_with_the_same_message_id(sqlite_app, built):
    server = SMTPServer().start()
    sqlite_app.config.update(server.config())
    try:
        # not reaped yet: still 'sending', its lease ran out
        row_id = _in_doubt(sqlite_app, "lead2@example.test", reaped=False)
        boss = login(sqlite_app, "boss")
        assert "状态未知" in boss.get(f"/outbox/{row_id}").get_data(as_text=True)
        html = boss.post(f"/outbox/{row_id}/resend", follow_redirects=True).get_data(as_text=True)
        assert "已重新发送" in html
        with sqlite_app.app_context():
            row = OutboxMessage.get_by_id(row_id)
            assert (row.status, row.outcome, row.transport) == ("sent", "", "smtp")
            assert [m["Message-ID"] for m in server.messages] == [row.message_id]
            assert AuditLog.get(AuditLog.action == "resend").entity_id == row_id
        assert "已发送" in boss.get(f"/outbox/{row_id}").get_data(as_text=True)
    finally:
        server.stop()


def test_status_words_for_staff_and_no_command_lines(sqlite_app, built):
    import datetime
    now = datetime.datetime(2026, 6, 29, 1, 0)
    changes = {"lead1@example.test": dict(status="sent", transport="eml", sent_at=now),
               "lead2@example.test": dict(status="sent", transport="smtp", sent_at=now),
               "boss@example.test": dict(status="failed", last_error="550 no")}
    with sqlite_app.app_context():
        ids = {r.to_addr: r.id for r in OutboxMessage.select()}
        for addr, fields in changes.items():
            OutboxMessage.update(**fields).where(OutboxMessage.id == ids[addr]).execute()
    boss = login(sqlite_app, "boss")
    html = boss.get("/outbox/").get_data(as_text=True)
    body = html.split("<tbody>")[1]
    words = dict(re.findall(
        r'href="/outbox/(\d+)">\d+</a>.*?<span class="badge[^"]*">([^<]+)</span>', body, re.S))
    assert {words[str(ids[a])] for a in changes} == {"已写入文件", "已发送", "发送失败"}
    assert sorted(words.values()).count("待发送") == 2
    eml_page = boss.get(f"/outbox/{ids['lead1@example.test']}").get_data(as_text=True)
    assert "已写入文件" in eml_page and "写入时间" in eml_page and "已发送" not in eml_page
    for page in (html, eml_page, boss.get("/outbox/?week=2030-W01").get_data(as_text=True)):
        main = page.split("<main", 1)[1].split("</main>")[0]
        assert "flask" not in main and "--retry" not in main and "summaries " not in main


def test_new_outbox_posts_need_csrf_token(csrf_app):
    client = _bureau_with_csrf(csrf_app)
    assert client.post("/outbox/retry-now").status_code == 400
    assert client.post("/outbox/1/confirm").status_code == 400
    with csrf_app.app_context():
        assert not AuditLog.select().where(AuditLog.action == "retry_now").exists()
    html = client.get("/outbox/").get_data(as_text=True)
    assert re.search(r'action="/outbox/retry-now"[^>]*>\s*<input type="hidden" name="csrf_token"',
                     html)


def test_only_the_recipient_reads_the_unsubscribe_link_of_a_message(sqlite_app, built):
    """The one-click link works without a login: another bureau user previewing a message
    sees neither it nor its token, in the headers or either body; the recipient does."""
    with sqlite_app.app_context():
        lead1 = OutboxMessage.get(OutboxMessage.to_addr == "lead1@example.test")
        city = OutboxMessage.get(OutboxMessage.to_addr == "boss@example.test")
        link, own_link = lead1.unsubscribe_url, city.unsubscribe_url
    token = link.rsplit("/", 1)[1]
    html = login(sqlite_app, "boss").get(f"/outbox/{lead1.id}").get_data(as_text=True)
    assert token not in html and "/unsubscribe/" not in html
    assert "List-Unsubscribe" in html and "退订链接仅收件人本人可见" in html
    assert "退订周报" in html and "李组长" in html           # the rest of the mail is shown
    own = login(sqlite_app, "boss").get(f"/outbox/{city.id}").get_data(as_text=True)
    assert own_link.rsplit("/", 1)[1] in own and "退订链接仅收件人本人可见" not in own


# -- a test mail (and its preview) of the week in progress ----------------------------

TODAY_PROJECT = "今日签约项目"


def sign_today(app):
    """A project of TF1 signed today (local date); returns today."""
    from tracker import clock
    from tracker.models import TaskForce, User
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    S = backfill_ledger(ledger_projects)
    with app.app_context():
        today = clock.today()
        boss, tf1 = User.get(User.username == "boss"), TaskForce.get(TaskForce.code == "TF1")
        project = S.create_project(boss, task_force=tf1, name=TODAY_PROJECT,
                                   planned_investment="4000", on=today, stage="negotiating")
        S.change_stage(boss, project, "signed", on=today, contract_value="3200")
        return today


def test_index_offers_last_or_current_week_for_the_test_mail(sqlite_app, built):
    html = login(sqlite_app, "boss").get("/outbox/").get_data(as_text=True)
    form = html.split('action="/outbox/test"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form
    assert '<input type="radio" name="week" value="last" checked> 上周（完整周）' in form
    assert '<input type="radio" name="week" value="current" > 本周（截至今天）' in form
    assert "给我发一封测试周报" in form and "<script" not in html.split("<main", 1)[1]
    assert 'href="/outbox/preview?week=current"' in html
    assert 'href="/outbox/preview?week=last"' in html


def test_send_a_test_of_the_week_in_progress(sqlite_app, built):
    from tracker.domain.weeks import week_of
    today = sign_today(sqlite_app)
    mark = f"（本周截至 {today:%m-%d}，预览）"
    server = SMTPServer().start()
    sqlite_app.config.update(server.config())
    try:
        boss = login(sqlite_app, "boss")
        response = boss.post("/outbox/test", data={"week": "current"}, follow_redirects=True)
        assert "测试邮件已发送到 boss@example.test" in response.get_data(as_text=True)
        [msg] = server.messages
        assert msg["Subject"].startswith("[测试] 【招商专班周报】")
        assert msg["Subject"].endswith("· 全市汇总" + mark)
        text, html = parts(msg)
        assert TODAY_PROJECT in text and TODAY_PROJECT in html
        assert f"数据截至 {today.isoformat()}" in text
        # last week's test has neither today's signing nor the mark
        boss.post("/outbox/test", data={"week": "last"})
        last = server.messages[1]
        assert "预览" not in last["Subject"] and TODAY_PROJECT not in parts(last)[0]
        with sqlite_app.app_context():
            tests = list(OutboxMessage.select().where(OutboxMessage.kind == "test")
                         .order_by(OutboxMessage.id))
            assert [t.week for t in tests] == [week_of(today).key,
                                               week_of(today).previous().key]
            # the weekly rows are untouched
            assert OutboxMessage.select().where(OutboxMessage.kind != "test").count() == 5
            assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 5
    finally:
        server.stop()


def test_a_bad_week_choice_sends_last_week_with_a_message(sqlite_app, built):
    sign_today(sqlite_app)
    boss = login(sqlite_app, "boss")
    for bad in ("bogus", "x" * 5000, "2026-W99"):
        page = boss.post("/outbox/test", data={"week": bad}, follow_redirects=True)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "未识别的周选项，已改用上周（完整周）" in html and "测试邮件已" in html
    with sqlite_app.app_context():
        tests = list(OutboxMessage.select().where(OutboxMessage.kind == "test"))
        assert len(tests) == 3
        assert all("预览" not in t.subject and TODAY_PROJECT not in t.body_text for t in tests)


def test_preview_of_the_week_in_progress_and_of_last_week(sqlite_app, built):
    today = sign_today(sqlite_app)
    mark = f"（本周截至 {today:%m-%d}，预览）"
    boss = login(sqlite_app, "boss")
    response = boss.get("/outbox/preview?week=current")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<iframe class="mail-preview" sandbox' in html and "srcdoc=" in html
    assert TODAY_PROJECT in html and "全市汇总" + mark in html
    assert '<input type="radio" name="week" value="current" checked>' in html
    assert re.search(r'action="/outbox/test"[^>]*>\s*<input type="hidden" name="csrf_token"'
                     r'[^>]*>\s*<input type="hidden" name="week" value="current">', html)
    last = boss.get("/outbox/preview?week=last").get_data(as_text=True)
    assert TODAY_PROJECT not in last and "预览）" not in last and "srcdoc=" in last
    # bad values show last week, with a message, never an error
    for query in ("?week=bogus", "?week=", "", "?week=2026-W99&week=current"):
        response = boss.get("/outbox/preview" + query)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert TODAY_PROJECT not in page and "srcdoc=" in page
        assert ("未识别的周选项" in page) == (query in ("?week=bogus", "?week=2026-W99&week=current"))
    with sqlite_app.app_context():                     # a preview stores nothing
        assert not OutboxMessage.select().where(OutboxMessage.kind == "test").exists()
    assert login(sqlite_app, "lead1").get("/outbox/preview?week=current").status_code == 403
    assert sqlite_app.test_client().get("/outbox/preview").status_code == 302


def test_a_test_of_the_week_in_progress_needs_the_csrf_token(csrf_app):
    client = _bureau_with_csrf(csrf_app)
    assert client.post("/outbox/test", data={"week": "current"}).status_code == 400
    assert client.post("/outbox/test", data={"week": "current",
                                             "csrf_token": "forged"}).status_code == 400
    with csrf_app.app_context():
        assert not OutboxMessage.select().where(OutboxMessage.kind == "test").exists()
        assert not AuditLog.select().where(AuditLog.action == "test").exists()
