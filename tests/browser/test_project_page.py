"""The project page on a phone and the edit form in a real Chromium (issue 20): on a project
with 20 receipts the action forms start within the first screen at 390×844 (and 1366×768);
the jump links reach each form; the history is folded; amounts echo what they store while
typed; the 金额修改类型 appears when an amount changes and is asked before the form is
sent, so the first 保存 does not fail."""
import datetime

import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker import clock
from tracker.db import database
from tracker.domain import pipeline

from .conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def project(live_app):
    from tracker.services.ledger import projects as service
    with live_app.app_context():
        team = make_task_force("TF1", "高端装备制造暨智能网联新能源汽车招商专班")
        make_user("mia", "member", task_forces=[team], display_name="米专员")
        row = make_project(team, "智能起重机产业园（二期）", investor="永茂建机",
                           planned_investment="80000", contract_value="60000",
                           stage=pipeline.SIGNED, on=clock.today() - datetime.timedelta(days=60))
        for day in range(20):
            service.record_funds(None, row.id, amount=str(100 + day), source_layer="省外",
                                 received_on=clock.today() - datetime.timedelta(days=day + 1),
                                 evidence=f"第{day + 1}笔银行回单")
    database.close()
    return row.id


@pytest.fixture
def open_page(browser):
    contexts = []

    def opener(viewport):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.console = []
        page.on("console", lambda m: page.console.append(m.text))
        page.on("pageerror", lambda e: page.console.append(str(e)))
        return page

    yield opener
    for context in contexts:
        context.close()


def top(page, selector):
    return page.locator(selector).bounding_box()["y"]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_actions_start_within_the_first_screen(live_server, project, open_page, viewport):
    page = open_page(viewport)
    login(page, live_server, "mia", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project}")
    page.wait_for_load_state("load")
    height = viewport["height"]
    links = page.locator("nav.jump-links a")
    assert links.first.is_visible() and top(page, "nav.jump-links") < height / 3
    assert [t.strip() for t in links.all_inner_texts()][:4] == ["推进阶段", "登记到位资金", "增资", "退库"]
    # the first action form starts in the first screen; before this issue it was 5,000 px down
    assert top(page, "#stage form") < height - 100, top(page, "#stage form")
    assert top(page, "#stage") < top(page, "#info") < top(page, "#timeline")
    assert page.evaluate(OVERFLOW) <= 0
    # a jump link brings its form into view
    page.locator("nav.jump-links a", has_text="登记到位资金").click()
    page.wait_for_function("() => location.hash === '#funds'")
    box = page.locator("#funds h2").bounding_box()
    assert 0 <= box["y"] < height, box
    # 20 receipts: the timeline shows the latest 5 and folds the rest; the table is folded
    timeline = page.locator("#timeline")
    assert timeline.locator("ul.timeline").first.locator("li").count() == 5
    fold = timeline.locator("details.fold")
    assert not fold.locator("li").first.is_visible()
    timeline.locator("details.fold > summary").click()
    assert fold.locator("li").first.is_visible()
    receipts = page.locator("#receipts details.fold")
    assert receipts.get_attribute("open") is None
    assert "20 笔" in page.locator("#receipts details.fold > summary").inner_text()
    assert not page.locator("#receipts table").is_visible()
    assert not page.console, page.console


def test_an_amount_echoes_what_it_stores_and_the_change_kind_is_asked(live_server, project,
                                                                     open_page):
    page = open_page(PHONE)
    login(page, live_server, "mia", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project}/edit")
    box = page.locator("#amount-change")
    assert not box.is_visible()                      # nothing changed yet
    contract = page.locator("#contract_value")
    contract.fill("1.5亿")
    echo = page.locator("#contract_value-echo")
    assert echo.inner_text() == "= 15,000.00 万元" and echo.get_attribute("aria-live") == "polite"
    assert box.is_visible()
    kind = page.locator("#change_kind")
    assert kind.get_attribute("aria-required") == "true"
    assert kind.locator("option:checked").inner_text() != "（未修改金额）"
    # back to the stored value: not asked
    contract.fill("60,000")
    assert echo.inner_text() == "= 60,000.00 万元" and not box.is_visible()
    contract.fill("约1.5亿")
    assert "无法识别" in echo.inner_text() and box.is_visible()
    contract.fill("１５００万")
    assert echo.inner_text() == "= 1,500.00 万元"
    # 保存 without the kind: asked right there, nothing sent
    url = page.url
    page.locator("button[type=submit]", has_text="保存").click()
    note = box.locator(".amount-change-note")
    assert note.is_visible() and "请选择修改类型" in note.inner_text()
    assert page.url == url
    assert page.evaluate("document.activeElement.id") == "change_kind"
    kind.select_option("correction")
    page.locator("#change_reason").fill("多写了一位")
    page.locator("button[type=submit]", has_text="保存").click()
    page.wait_for_url(f"**/projects/{project}#top")
    assert "签约额 = 1,500.00 万元" in page.locator(".flash-success").inner_text()
    assert not page.console, page.console


def test_the_funds_form_echoes_and_needs_a_source(live_server, project, open_page):
    page = open_page(LAPTOP)
    login(page, live_server, "mia", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/{project}#funds")
    layer = page.locator("#funds-source_layer")
    assert layer.input_value() == "" and layer.locator("option:checked").inner_text() == "请选择"
    page.locator("#funds-amount").fill("1.5 亿元")
    assert page.locator("#funds-amount-echo").inner_text() == "= 15,000.00 万元"
    page.locator("#funds button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator("#funds-source_layer").get_attribute("aria-invalid") == "true"
    assert page.locator("#funds-amount").input_value() == "1.5 亿元"
    assert page.locator("#funds-amount-echo").inner_text() == "= 15,000.00 万元"
    page.locator("#funds-source_layer").select_option("省外")
    page.locator("#funds button[type=submit]").click()
    page.wait_for_url(f"**/projects/{project}#top")
    assert "到位金额 = 15,000.00 万元" in page.locator(".flash-success").inner_text()
    assert not page.console, page.console
