"""Issue 20 in a real Chromium: a leader's phone (390×844) reads each task force's rank, name,
综合完成率, status with its reason and next milestone at risk without a sideways swipe, and
红黄预警 within the first two screens; the laptop (1366×768) keeps the one-line ranking. Every
page starts with a "跳到主要内容" link; the links of 本周动态 / 红黄预警 stand out from their
text; /awards/ keeps team names readable at 1366 px and its print page fits a phone."""
import datetime

import pytest

from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tracker import clock
from tracker.db import database
from tracker.domain import progress as P
from tracker.services.targets import annual

from .conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
TODAY = datetime.date(2026, 11, 25)   # a Wednesday: the week's signings are 本周动态
TWO_SCREENS = 2 * PHONE["height"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def city(live_app, monkeypatch):
    """12 task forces with long names, each with a project signed this week: every one is
    behind (洽谈 严重滞后), with a milestone at risk; 红黄预警 has more than six lines."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with live_app.app_context():
        admin = make_user("admin1", role="admin")
        make_user("bureau1", role="bureau", display_name="商务局")
        teams = [make_task_force(f"T{i:02d}", f"高端装备制造暨智能网联新能源汽车第{i:02d}招商专班")
                 for i in range(1, 13)]
        annual.apply_defaults(2026, admin)
        for i, team in enumerate(teams):
            make_project(team, f"签约项目{i}", planned_investment="300000", stage="signed",
                         on=datetime.date(2026, 11, 23), contract_value=str(10000 * (i + 1)))
    database.close()


def _context(browser, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


_BEFORE = "e => getComputedStyle(e, '::before').content"


def test_phone_ranking_says_who_is_behind_and_why_without_a_sideways_swipe(browser, live_server,
                                                                          city):
    context, page = _context(browser, PHONE)
    try:
        login(page, live_server, "bureau1", DEFAULT_PASSWORD)
        page.goto(f"{live_server}/dashboard/")
        assert page.evaluate(OVERFLOW) <= 0
        rows = page.locator("#ranking tr.team")
        assert rows.count() == 12
        wrap = page.locator("#ranking-card .table-wrap")
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the ranking scrolls sideways"
        for i in range(rows.count()):
            row = rows.nth(i)
            for cell in ("td[data-field=rank]", "td.team-name", "td[data-field=score]",
                         "td[data-field=status]", "td[data-field=risk]"):
                box = row.locator(cell).bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (i, cell, box)
            status = row.locator("td[data-field=status]").inner_text()
            assert status == f"洽谈 {P.STATUS_LABELS[P.RED]}", status
            # without the table head, each figure says what it is
            assert "综合完成率" in row.locator("td[data-field=score]").evaluate(_BEFORE)
            assert "下一节点风险" in row.locator("td[data-field=risk]").evaluate(_BEFORE)
            assert "还差" in row.locator("td[data-field=risk]").inner_text()
            # a name is read in one piece: at most two lines, never a character a line
            name = row.locator("td.team-name").bounding_box()
            assert name["width"] >= 150 and name["height"] <= 50, (i, name)
        # 红黄预警 starts within the first two screens, its heading in view there
        warnings = page.locator("#warnings").bounding_box()
        assert warnings["y"] + 60 <= TWO_SCREENS, warnings
        assert "红黄预警" in page.locator("#warnings h2").inner_text()
        # the formula and legend are one tap away, folded
        notes = page.locator("#dash-notes")
        assert not page.locator("#score-formula").is_visible()
        notes.locator("summary").click()
        assert page.locator("#score-formula").is_visible()
    finally:
        context.close()


def test_laptop_ranking_stays_one_line_a_team(browser, live_server, city):
    context, page = _context(browser, LAPTOP)
    try:
        login(page, live_server, "bureau1", DEFAULT_PASSWORD)
        page.goto(f"{live_server}/dashboard/")
        assert page.evaluate(OVERFLOW) <= 0
        assert page.locator("#ranking thead").is_visible()
        first = page.locator("#ranking tr.team").first
        heights = [first.locator(c).bounding_box()["y"] for c in
                   ("td[data-field=rank]", "td[data-field=score]", "td[data-field=status]",
                    "td[data-field=risk]")]
        assert max(heights) - min(heights) < 2, heights     # one table row, not stacked
        assert page.locator("#score-formula").is_visible()  # the legend is shown, not folded
        assert not page.locator("#dash-notes > summary").is_visible()
        assert page.locator("#bulletin-link").is_visible()
    finally:
        context.close()


_FIRST_FOCUSABLE = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
    .filter(e => e.tabIndex >= 0)[0].className"""


@pytest.mark.parametrize("path", ["/login", "/dashboard/", "/awards/", "/projects/?scope=all"])
def test_skip_link_is_the_first_tab_stop(browser, live_server, city, path):
    context, page = _context(browser, PHONE)
    try:
        if path != "/login":
            login(page, live_server, "bureau1", DEFAULT_PASSWORD)
        page.goto(live_server + path)
        assert page.evaluate(_FIRST_FOCUSABLE) == "skip-link"
        skip = page.locator("a.skip-link")
        assert skip.inner_text() == "跳到主要内容" and skip.get_attribute("href") == "#main"
        box = skip.bounding_box()
        assert box["y"] + box["height"] <= 0, "hidden until focused"
        if page.evaluate("document.activeElement === document.body"):
            page.keyboard.press("Tab")
        else:                  # the login form starts in 用户名 (autofocus)
            assert path == "/login"
            skip.focus()
        assert page.evaluate("document.activeElement.className") == "skip-link"
        box = skip.bounding_box()
        assert box["y"] >= 0 and box["x"] >= 0, box                  # visible on focus
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement.id === 'main'")
        assert page.evaluate("document.activeElement.tagName") == "MAIN"
    finally:
        context.close()


_LINK_CONTRAST = """sel => [...document.querySelectorAll(sel)].map(a => {
  const rgb = s => s.match(/\\d+/g).slice(0, 3).map(Number);
  const lum = c => { const v = c.map(x => x / 255).map(x => x <= 0.03928 ? x / 12.92
                                                           : ((x + 0.055) / 1.055) ** 2.4);
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const ratio = (a, b) => { const [h, l] = [lum(a), lum(b)].sort((x, y) => y - x);
                            return (h + 0.05) / (l + 0.05); };
  const link = rgb(getComputedStyle(a).color);
  const text = rgb(getComputedStyle(a.parentElement).color);
  return {text: a.innerText, vsText: ratio(link, text), vsCard: ratio(link, [255, 255, 255]),
          textVsCard: ratio(text, [255, 255, 255]),
          underline: getComputedStyle(a).textDecorationLine.includes('underline')};
})"""


def test_week_and_warning_links_stand_out_from_their_text(browser, live_server, city):
    context, page = _context(browser, LAPTOP)
    try:
        login(page, live_server, "bureau1", DEFAULT_PASSWORD)
        page.goto(f"{live_server}/dashboard/")
        links = page.evaluate(_LINK_CONTRAST, "#week-news li a, #week-news p a, #warnings p a")
        assert len(links) >= 12, links                       # signings and warned teams
        for link in links:
            assert link["underline"], link
            assert link["vsText"] >= 3, link
            assert link["vsCard"] >= 4.5 and link["textVsCard"] >= 4.5, link
    finally:
        context.close()


def test_awards_names_readable_and_print_fits_a_phone(browser, live_server, city):
    context, page = _context(browser, LAPTOP)
    try:
        login(page, live_server, "bureau1", DEFAULT_PASSWORD)
        page.goto(f"{live_server}/awards/?year=2026")
        cells = page.locator("#award-ranking td.team")
        assert cells.count() == 12
        for i in range(cells.count()):
            box = cells.nth(i).bounding_box()
            assert box["width"] >= 120, (i, box)     # not two characters a line
        assert page.evaluate(OVERFLOW) <= 0
        text = page.locator("#award-weights-words").inner_text()
        assert text.startswith("综合得分 = 履约率×") and "%" in text
        assert "AWARD_WEIGHTS" not in page.content()
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server}/awards/print?year=2026")
        assert page.locator("#award-ranking tr[data-code]").count() == 12
        assert page.evaluate(OVERFLOW) <= 0, page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
