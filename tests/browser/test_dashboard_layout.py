"""The dashboard at 1366×768 (a leader's laptop): the compact ranking of 12 task forces is
read in the first screen, without scrolling; the details stay folded until clicked."""
import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker.services.targets import annual

from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def twelve_teams(live_app):
    with live_app.app_context():
        teams = [make_task_force(f"T{i:02d}", f"第{i:02d}招商专班") for i in range(1, 13)]
        make_user("bureau1", role="bureau", display_name="商务局")
        annual.apply_defaults(2026, make_user("admin1", role="admin"))
        for i, team in enumerate(teams):
            make_project(team, f"签约项目{i}", planned_investment="300000", stage="signed",
                         contract_value=str(10000 * (i + 1)))


def test_compact_ranking_fits_the_first_screen(browser, live_server, twelve_teams):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server, "bureau1", DEFAULT_PASSWORD)
        page.goto(f"{live_server}/dashboard/?year=2026&as_of=2026-11-25")
        rows = page.locator("#ranking tr.team")
        assert rows.count() == 12
        box = page.locator("#ranking").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768, box
        assert page.evaluate("window.scrollY") == 0
        # no horizontal scrolling of the ranking either
        assert box["x"] + box["width"] <= 1366
        # details folded, one click away: opening one loads its table (static/app.js)
        detail = page.locator("#team-T01 table")
        assert detail.count() == 0
        page.click("#team-T01 summary")
        detail.wait_for(state="visible")
        assert detail.locator("tr[data-metric]").count() == 4
        assert page.locator("#team-T01").get_attribute("data-state") == "loaded"
        # the ranking's 展开 link opens (and loads) its task force's detail
        page.click('#ranking a[href="#team-T02"]')
        page.locator("#team-T02 table tr[data-metric]").first.wait_for(state="visible")
        assert page.locator("#team-T02").evaluate("box => box.open")
        # a detail that fails to load says so and keeps the link to the task-force page
        page.route("**/dashboard/teams/T03*", lambda route: route.fulfill(status=500))
        page.click("#team-T03 summary")
        page.locator("#team-T03 .error").wait_for(state="visible")
        assert "加载失败" in page.locator("#team-T03 .error").inner_text()
        assert page.locator('#team-T03 a[href*="/taskforces/T03"]').is_visible()
    finally:
        context.close()
