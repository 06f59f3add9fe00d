"""Logging a visit from the project page on a phone (issue 21): one tap from the project
page, the quick form's fields in one screen at 390×844, no sideways scrolling, the visit in
the project's timeline afterwards."""
import datetime

import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker import clock
from tracker.db import database
from tracker.domain import pipeline

from .conftest import login

pytestmark = pytest.mark.browser
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def project(live_app):
    with live_app.app_context():
        team = make_task_force("TF1", "精细化工产业招商专班")
        make_user("mia", "member", task_forces=[team], display_name="米专员")
        row = make_project(team, "年产3万吨高性能树脂项目", investor="某某化工集团有限公司",
                           planned_investment="120000", stage=pipeline.NEGOTIATING,
                           on=clock.today() - datetime.timedelta(days=20))
    database.close()
    return row.id


def test_log_a_visit_from_the_project_page_in_one_screen(live_server, project, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server, "mia", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project}")
    page.locator("nav.jump-links a", has_text="记跟进").click()
    page.wait_for_url("**/activities/new?project=*")
    for name in ("kind", "occurred_on", "counterpart", "summary"):
        box = page.locator(f"[name={name}]").bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, (name, box)
    assert page.evaluate(OVERFLOW) <= 0
    page.select_option("[name=kind]", "reception")
    page.fill("[name=counterpart]", "万华化学")
    page.fill("[name=summary]", "万华化学一行来抚考察，座谈二期用地（约300亩）。")
    page.locator("button[type=submit]", has_text="保存").click()
    page.wait_for_url(f"**/projects/{project}*")
    assert "跟进记录已保存" in page.content()
    assert page.locator("#timeline", has_text="跟进：企业来访（万华化学）").count() == 1
    assert page.evaluate(OVERFLOW) <= 0 and errors == []
    context.close()
