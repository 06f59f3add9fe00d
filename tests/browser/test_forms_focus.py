"""After a failed submit the user stays at the form that failed (issue "The 通报 at a
glance", forms): the page opens at the form's section (#anchor), focus is on the first
invalid field, which is in view, and what was typed is still there. Phone and laptop."""
import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker.db import database
from tracker.models import Project

from .conftest import login

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}


@pytest.fixture
def project_id(live_app):
    with live_app.app_context():
        team = make_task_force("JXHG", "精细化工专班")
        make_user("member1", role="member", task_forces=[team], display_name="李四")
        project = make_project(team, "氢能装备项目", planned_investment="50000")
        for i in range(12):   # a long timeline and history push the forms far down
            make_project(team, f"其他项目{i}")
    database.close()
    return project.id


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser):
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[request.param])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console = []
    page.on("console", lambda m: page.console.append(m.text))
    page.on("pageerror", lambda e: page.console.append(str(e)))
    yield page
    context.close()


def _focused(page):
    # static/app.js focuses on DOMContentLoaded and once more right after "load"
    page.wait_for_function("document.activeElement.getAttribute('aria-invalid') === 'true'",
                           timeout=3000)
    return page.evaluate("""() => {
        const e = document.activeElement, r = e.getBoundingClientRect();
        return {id: e.id, value: e.value, invalid: e.getAttribute('aria-invalid'),
                described: e.getAttribute('aria-describedby'),
                top: r.top, bottom: r.bottom, height: window.innerHeight};
    }""")


def _in_view(f):
    return 0 <= f["top"] and f["bottom"] <= f["height"]




def test_failed_stage_change_focuses_the_amount(live_app, live_server, page, project_id):
    login(page, live_server, "member1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project_id}")
    page.select_option("select[name='stage-stage']", "signed")
    page.fill("input[name='stage-contract_value']", "一千万")
    page.click("#stage button[type=submit]")
    page.wait_for_load_state("load")
    assert page.url.endswith("#stage")
    focused = _focused(page)
    assert focused["id"] == "stage-contract_value" and focused["value"] == "一千万"
    assert focused["invalid"] == "true" and _in_view(focused), focused
    message = page.locator(f"#{focused['described'].split()[0]}")
    assert "必须是数字" in message.inner_text() and message.is_visible()
    assert page.evaluate("window.scrollY") > 0            # the page opened at the form
    assert page.locator("#stage .form-failed").is_visible()
    with live_app.app_context():
        assert Project.get_by_id(project_id).stage == "reserve"
    assert not [m for m in page.console if "Content Security Policy" in m], page.console


def test_failed_funds_form_focuses_its_first_invalid_field(live_server, page, project_id):
    login(page, live_server, "member1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project_id}")
    page.fill("input[name='funds-received_on']", "")
    page.fill("input[name='funds-amount']", "abc")
    page.click("#funds button[type=submit]")
    page.wait_for_load_state("load")
    assert page.url.endswith("#funds")
    focused = _focused(page)
    assert focused["id"] in ("funds-received_on", "funds-amount") and _in_view(focused), focused
    first = page.locator("[aria-invalid=true]").first.get_attribute("id")
    assert focused["id"] == first
    assert page.input_value("input[name='funds-amount']") == "abc"


def test_failed_new_project_focuses_the_first_invalid_field(live_server, page, project_id):
    login(page, live_server, "member1", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/new")
    page.fill("input[name=name]", "年产5万吨新材料项目")
    page.fill("input[name=planned_investment]", "一千万")
    assert page.locator("#planned_investment + .unit").inner_text() == "万元"
    assert page.get_attribute("#planned_investment", "inputmode") == "decimal"
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.url.endswith("#project-form")
    assert page.locator("#project-form .form-failed").is_visible()
    focused = _focused(page)
    assert focused["id"] == "planned_investment" and focused["value"] == "一千万"
    assert _in_view(focused), focused
    assert page.input_value("input[name=name]") == "年产5万吨新材料项目"
    assert not [m for m in page.console if "Content Security Policy" in m], page.console
