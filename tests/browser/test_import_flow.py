"""A clerk's own 台账 through the real pages at 1366 px (issue "Spreadsheets in and out"):
upload a sheet with an unrecognised column, decide it on the mapping page, read the
preview (amounts in 万元 with the source beside them, the warning to acknowledge), confirm,
then 撤销本批导入 from the batch page. No console error, no CSP violation."""
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from tests.factories import DEFAULT_PASSWORD, make_task_force, make_user
from tracker.db import database
from tracker.models import Project

from .conftest import login

pytestmark = pytest.mark.browser


def _clerk_sheet(path):
    book = Workbook()
    sheet = book.active
    sheet.title = "项目台账"
    sheet.append(["2026年精细化工专班招商项目台账"])
    sheet.append(["序号", "项目名称", "所属专班", "投资规模（亿元）", "项目进展", "洽谈时间", "备注"])
    sheet.append([1, "年产3万吨新材料项目", "精细化工专班", 12, "在谈", "2026年11月", "重点"])
    sheet.append([2, "储能电池（二期）", "精细化工专班", 3.5, "谋划中", None, ""])
    sheet.append(["合计", None, None, "=SUM(D3:D4)", None, None])
    sheet.append(["注：金额单位为亿元。"])
    book.save(path)


@pytest.fixture
def sheet(live_app, tmp_path):
    with live_app.app_context():
        team = make_task_force("JXHG", "精细化工专班")
        make_user("member1", role="member", task_forces=[team], display_name="张专员")
    database.close()
    path = tmp_path / "台账.xlsx"
    _clerk_sheet(path)
    return path


def test_upload_map_preview_confirm_undo(live_app, live_server, browser, sheet):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        login(page, live_server, "member1", DEFAULT_PASSWORD)
        page.goto(f"{live_server}/imports/")
        page.set_input_files("input[type=file]", str(sheet))
        page.click("form[action$='/imports/upload'] button[type=submit]")
        # the unrecognised column must be decided before any preview
        page.wait_for_url("**/imports/mapping")
        assert "投资规模（亿元）" in page.content()
        page.click("text=保存并预览")
        assert page.locator(".field-errors").count() >= 1          # undecided: refused
        letter = page.locator("tr", has_text="投资规模（亿元）").locator("td").first.inner_text()
        page.select_option(f"#col-{letter}", "planned_investment")
        page.select_option(f"select[name=unit-{letter}]", "亿元")
        page.click("text=保存并预览")
        page.wait_for_url("**/imports/preview")
        text = page.inner_text("main")
        assert "120,000.00" in text and "35,000.00" in text       # 12亿, 3.5亿 in 万元
        assert "合计" in text and "跳过" in text and "2026年11月" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        acknowledge = page.locator("input[name=acknowledge]")
        if acknowledge.count():
            acknowledge.check()
        page.click("text=确认导入")
        page.wait_for_url("**/imports/batch**")
        with live_app.app_context():
            planned = sorted(p.planned_investment for p in Project.select())
        database.close()
        assert planned == [Decimal("35000"), Decimal("120000")]
        page.click("text=撤销本批导入…")
        page.wait_for_url("**/undo")
        assert "不能恢复" in page.inner_text("main")
        page.fill("textarea[name=reason]", "单位填错，重新导入")
        page.click("text=确认撤销")
        page.wait_for_url("**/imports/batch**")
        assert "已撤销导入批次" in page.inner_text("body")
        with live_app.app_context():
            assert Project.select().count() == 0
        database.close()
        # the one refused mapping answers 400 on purpose; nothing else may fail
        assert [p for p in problems if "status of 400" not in p] == []
        assert len(problems) <= 1
    finally:
        context.close()


def test_sheet_fixture_is_a_clerks_sheet(tmp_path):
    """The sheet above is built the way a clerk builds it (guards the fixture itself)."""
    path = tmp_path / "x.xlsx"
    _clerk_sheet(path)
    data = io.BytesIO(path.read_bytes())
    from openpyxl import load_workbook
    rows = list(load_workbook(data).active.iter_rows(values_only=True))
    assert rows[0][0].endswith("台账") and rows[4][0] == "合计" and rows[5][0].startswith("注：")
