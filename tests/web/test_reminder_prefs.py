"""The preferences page's 督办 reminder settings (issue 22): e-mail reminders, the team robot's
@ and the mobile it @s -- one audited write, a bad mobile refused next to its field with
nothing written, an emptied mobile cleared."""
import json
import re

import pytest

from tests.conftest import AuthActions
from tests.factories import make_user
from tracker.models import AuditLog, User


@pytest.fixture
def alice(sqlite_app):
    with sqlite_app.app_context():
        user_id = make_user("alice", role="member").id
    client = sqlite_app.test_client()
    AuthActions(client).login("alice")
    return client, user_id


def stored(app, user_id):
    with app.app_context():
        user = User.get_by_id(user_id)
        return user.wants_summary, user.remind_email, user.robot_mention, user.mobile


def audits(app):
    with app.app_context():
        return [(a.action, json.loads(a.before or "{}"), json.loads(a.after or "{}"))
                for a in AuditLog.select().where(AuditLog.entity == "user").order_by(AuditLog.id)]


def mobile_error(html):
    """The messages shown next to the mobile field."""
    block = re.search(r'id="mobile-error">((?:<div class="error">.*?</div>)+)', html, re.S)
    return re.findall(r'<div class="error">(.*?)</div>', block.group(1)) if block else []


def test_the_page_offers_the_reminder_settings(sqlite_app, alice):
    client, _ = alice
    html = client.get("/prefs/summary").get_data(as_text=True)
    for text in ("督办事项到期、逾期提醒", "专班群机器人发送督办提醒时可以@我", "手机号码", 'inputmode="tel"'):
        assert text in html


def test_saving_writes_once_with_one_audit_row_and_a_masked_mobile(sqlite_app, alice):
    client, user_id = alice
    response = client.post("/prefs/summary", data={"reminder_fields": "1", "wants_summary": "y",
                                                   "remind_email": "y", "robot_mention": "y",
                                                   "mobile": "+86 138-0013-8000"})
    assert response.status_code == 302
    assert stored(sqlite_app, user_id) == (True, True, True, "13800138000")
    assert audits(sqlite_app) == [("summary_prefs", {"robot_mention": False, "mobile": None},
                                   {"robot_mention": True, "mobile": "138****8000"})]
    page = client.get("/prefs/summary").get_data(as_text=True)
    assert "允许（手机号 138****8000）" in page and "13800138000" in page     # the form shows the number
    client.post("/prefs/summary", data={"reminder_fields": "1", "wants_summary": "y", "remind_email": "y",
                                        "robot_mention": "y", "mobile": "13800138000"})
    assert len(audits(sqlite_app)) == 1                        # nothing changed: nothing written


def test_emptying_the_mobile_clears_it_and_turns_off_reminder_mail(sqlite_app, alice):
    client, user_id = alice
    client.post("/prefs/summary", data={"reminder_fields": "1", "wants_summary": "y", "remind_email": "y",
                                        "mobile": "13912345678"})
    assert stored(sqlite_app, user_id) == (True, True, False, "13912345678")
    response = client.post("/prefs/summary", data={"reminder_fields": "1", "wants_summary": "y", "mobile": "  "},
                           follow_redirects=True)
    assert stored(sqlite_app, user_id) == (True, False, False, None)
    assert "督办提醒不再发送邮件" in response.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"mobile": "1380013800"}, "请填写11位中国大陆手机号码"),
    ({"mobile": "021-12345678"}, "请填写11位中国大陆手机号码"),
    ({"robot_mention": "y", "mobile": ""}, "允许专班群机器人@您时，请填写手机号码。"),
])
def test_a_bad_mobile_is_refused_next_to_its_field_and_nothing_is_written(sqlite_app, alice, data, message):
    client, user_id = alice
    response = client.post("/prefs/summary", data=dict(data, remind_email="y", reminder_fields="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-invalid="true"' in html
    assert any(message in e for e in mobile_error(html))
    assert stored(sqlite_app, user_id) == (True, True, False, None) and audits(sqlite_app) == []


def test_a_post_of_the_page_before_leaves_the_reminder_settings_alone(sqlite_app, alice):
    client, user_id = alice
    client.post("/prefs/summary", data={"reminder_fields": "1", "wants_summary": "y", "remind_email": "y",
                                        "robot_mention": "y", "mobile": "13800138000"})
    client.post("/prefs/summary", data={})          # no reminder part: only the summary changes
    assert stored(sqlite_app, user_id) == (False, True, True, "13800138000")
