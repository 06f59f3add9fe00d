"""周报发件箱 pages: list and filters, preview, resend of a failed mail, test mail."""
import os
import re

import pytest
from flask import current_app

from tests.conftest import AuthActions
from tests.mail_server import SMTPServer, parts
from tests.services import summary_ledger as L
from tracker.models import AuditLog, OutboxMessage
from tracker.services import summaries
from tracker.services.mail_settings import MailSettings


@pytest.fixture
def built(sqlite_app):
    with sqlite_app.app_context():
        people = L.build()
        summaries.build_week(L.WEEK, MailSettings.from_app(current_app))
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


def test_outbox_posts_need_csrf_token(csrf_app):
    with csrf_app.app_context():
        L.make_user("boss", role="bureau")
    client = csrf_app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "boss", "password": "password123",
                                "csrf_token": token})
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
