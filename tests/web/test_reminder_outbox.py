"""The outbox page with 督办 reminder rows (issue 22): their kind's label, their day in the 周
filter beside the weeks, the filter by that day, and one row's page."""
import datetime

import pytest
from flask import current_app

from tests.conftest import DECEMBER_8, AuthActions
from tests.factories import make_task_force, make_user
from tracker import settings as web_settings
from tracker.models import OutboxBody, OutboxMessage, SupervisionItem
from tracker.services.reminders import daily
from tracker.services.reminders.settings import settings_from
from tracker.services.supervision import items

pytestmark = pytest.mark.usefixtures("december_8")


@pytest.fixture
def reminder_rows(sqlite_app):
    with sqlite_app.app_context():
        team = make_task_force("JXHG")
        member = make_user("member", task_forces=[team])
        bureau = make_user("bureau", role="bureau")
        item = items.open_item(bureau, title="用地指标协调", problem="用地指标未落实。", task_force=team.id,
                               deadline=DECEMBER_8, responsible=member.id)
        SupervisionItem.update(deadline=DECEMBER_8 - datetime.timedelta(days=1)).where(
            SupervisionItem.id == item.id).execute()
        daily.build(DECEMBER_8, settings_from(current_app.config), web_settings.mail(current_app))
        body = OutboxBody.store("周报正文", "<p>周报</p>")
        OutboxMessage.create(week="2026-W49", kind="bureau", scope="city", user=bureau, to_addr=bureau.email,
                             subject="【招商专班周报】全市汇总", message_id="<w49@example.test>", body=body)
        return OutboxMessage.get(OutboxMessage.kind == "reminder").id


def test_the_outbox_lists_and_filters_reminder_rows(sqlite_app, reminder_rows):
    client = sqlite_app.test_client()
    AuthActions(client).login("bureau")
    page = client.get("/outbox/").get_data(as_text=True)
    assert "督办提醒" in page and "【督办提醒】已逾期1天：用地指标协调" in page
    assert '<option value="2026-W49"' in page and '<option value="2026-12-08"' in page
    day = client.get("/outbox/?week=2026-12-08").get_data(as_text=True)
    assert "【督办提醒】已逾期1天" in day and "【招商专班周报】全市汇总" not in day
    week = client.get("/outbox/?week=2026-W49").get_data(as_text=True)
    assert "【督办提醒】" not in week and "【招商专班周报】全市汇总" in week
    show = client.get(f"/outbox/{reminder_rows}")
    text = show.get_data(as_text=True)
    assert show.status_code == 200 and "督办提醒" in text and "办理期限：2026-12-07（已逾期 1 天）" in text
