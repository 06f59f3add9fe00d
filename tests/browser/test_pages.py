"""Key pages driven in a real Chromium: the ledger forms and the progress pages."""
from decimal import Decimal

import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker.models import Project, StageEvent
from tracker.services.targets import annual

from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def team(live_app):
    with live_app.app_context():
        tf = make_task_force("JXHG", "精细化工专班")
        make_user("member1", role="member", task_forces=[tf], display_name="李四")
        make_user("bureau1", role="bureau", display_name="商务局")
        return tf.id


def test_create_project_shows_field_errors_then_saves(live_app, live_server, page, team):
    login(page, live_server, "member1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/new")
    page.fill("input[name=name]", "年产5万吨新材料项目")
    page.fill("input[name=investor]", "中化集团")
    page.fill("input[name=planned_investment]", "-5")
    page.click("main form button[type=submit]")
    error = page.locator(".field.has-error .error").first.inner_text()
    assert "计划投资额" in error
    with live_app.app_context():
        assert Project.select().count() == 0

    page.fill("input[name=planned_investment]", "120000")
    page.click("main form button[type=submit]")
    page.wait_for_selector("h1")
    assert "年产5万吨新材料项目" in page.inner_text("h1")
    with live_app.app_context():
        project = Project.get()
        assert project.planned_investment == Decimal("120000")


def test_advance_to_signing_requires_contract_value(live_app, live_server, page, team):
    with live_app.app_context():
        project = make_project(team, "氢能装备项目", planned_investment="50000")
        project_id = project.id
    login(page, live_server, "member1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project_id}")
    page.select_option("select[name='stage-stage']", "signed")
    page.click("text=保存阶段")
    assert "签约额" in page.locator(".field.has-error").first.inner_text()
    with live_app.app_context():
        assert Project.get_by_id(project_id).stage == "reserve"

    page.select_option("select[name='stage-stage']", "signed")
    page.fill("input[name='stage-contract_value']", "30000")
    page.click("text=保存阶段")
    page.wait_for_selector(".timeline")
    assert "签约" in page.inner_text(".timeline")
    with live_app.app_context():
        project = Project.get_by_id(project_id)
        assert project.stage == "signed" and project.signed_on is not None
        assert StageEvent.select().where(StageEvent.project == project_id).count() == 2


def test_dashboard_and_task_force_page_show_progress(live_app, live_server, page, team):
    with live_app.app_context():
        bureau = make_user("admin1", role="admin")
        annual.apply_defaults(2026, bureau)
        make_project(team, "签约项目", planned_investment="300000", stage="signed",
                     contract_value="150000")
    login(page, live_server, "bureau1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/dashboard/?year=2026&as_of=2026-11-25")
    body = page.inner_text("main")
    assert "精细化工专班" in body and "签约额" in body
    page.click("text=精细化工专班")
    page.wait_for_selector("svg")
    assert page.locator("main svg").count() >= 3
    assert "15.00" in page.inner_text("main")  # 150000万 = 15.00亿 signed
