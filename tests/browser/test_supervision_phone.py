"""督办 on a member's phone (issue 22, 390×844 in a real Chromium): the dashboard's 待办督办 block
and the task-force page's open items fit the width (no sideways swipe) with long titles and team
names, each item's deadline and days overdue visible, and the item one tap away."""
import datetime

import pytest

from tests.factories import DEFAULT_PASSWORD, make_task_force, make_user
from tracker import clock
from tracker.db import database
from tracker.models import SupervisionItem
from tracker.services.supervision import items

from .conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TODAY = datetime.date(2026, 12, 8)
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def city(live_app, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with live_app.app_context():
        team = make_task_force("T01", "高端装备制造暨智能网联新能源汽车第01招商专班")
        member = make_user("member1", task_forces=[team])
        bureau = make_user("bureau1", role="bureau")
        for n in range(4):
            made = items.open_item(bureau, title=f"关于二期项目用地指标与环评批复协调推进的第{n}项督办事项",
                                   problem="问题", task_force=team.id, deadline=TODAY,
                                   responsible=member.id if n == 2 else None)
            SupervisionItem.update(deadline=TODAY - datetime.timedelta(days=3 * n)).where(
                SupervisionItem.id == made.id).execute()
    database.close()
    return {"code": team.code}


@pytest.mark.parametrize("path, block", [("/dashboard/", "#supervision-todo"),
                                         ("/taskforces/{code}", "#team-supervision")])
def test_a_members_items_fit_the_phone(browser, live_server, city, path, block):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, "member1", DEFAULT_PASSWORD)
        page.goto(live_server + path.format(**city))
        assert page.evaluate(OVERFLOW) <= 0
        shown = page.locator(block)
        assert shown.is_visible()
        box = shown.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        text = shown.inner_text()
        assert "逾期 9 天" in text and "期限 2026-11-29" in text
        links = shown.locator("a[href^='/supervision/']")
        assert links.count() >= 4
        height = links.first.bounding_box()["height"]
        assert height >= 16                                        # a line of text to tap, not a sliver
    finally:
        context.close()
