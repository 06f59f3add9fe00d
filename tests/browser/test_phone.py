"""Phones (390×844) and laptops (1366×768) in a real Chromium (issue "The 通报 at a glance"):
the page body never scrolls sideways (wide tables scroll inside their own box), the
navigation is a 菜单 button on the phone, the ledger shows the amounts, and the weekly mail
fits a 360 px screen with its status chips on one line. No CSP errors on the way."""
import pytest

from tests.factories import DEFAULT_PASSWORD, make_task_force
from tests.web.test_no_server_errors import _seed
from tracker.db import database
from tracker.models import OutboxBody

from .conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
PAGES = ["/dashboard/", "/projects/?scope=all", "/projects/{project}", "/taskforces/{team}",
         "/dashboard/stale", "/projects/new"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def ledger(live_app):
    with live_app.app_context():
        data = _seed()
        for i in range(3):      # long team names, as in the city's ranking
            make_task_force(f"LONG{i}", f"高端装备制造暨智能网联新能源汽车第{i}招商专班")
    database.close()
    return dict(project=data["projects"][0].id, team=data["teams"][0].code)


@pytest.fixture
def open_page(browser):
    contexts = []

    def opener(viewport):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.console = []
        page.on("console", lambda m: page.console.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: page.console.append(f"{page.url}: {e}"))
        return page

    yield opener
    for context in contexts:
        context.close()


def _csp_errors(page):
    return [m for m in page.console if "Content Security Policy" in m or "Refused" in m]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_no_page_scrolls_sideways(live_server, ledger, open_page, viewport):
    page = open_page(viewport)
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    for path in PAGES:
        response = page.goto(live_server + path.format(**ledger))
        assert response.status == 200, path
        page.wait_for_load_state("load")
        assert page.evaluate(OVERFLOW) <= 0, (path, page.evaluate(OVERFLOW))
    assert not _csp_errors(page), "\n".join(_csp_errors(page))


def test_phone_header_is_a_menu_button(live_server, ledger, open_page):
    page = open_page(PHONE)
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/dashboard/")
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= 56, header            # one row, not a fifth of the screen
    button = page.locator("summary.menu-button")
    assert button.is_visible() and "菜单" in button.inner_text()
    assert not page.locator(".mainnav").is_visible()
    button.click()
    assert page.locator(".mainnav").is_visible()
    link = page.locator(".mainnav a", has_text="项目台账")
    assert link.is_visible()
    assert page.evaluate(OVERFLOW) <= 0
    link.click()
    page.wait_for_url("**/projects/**")
    assert not page.locator(".mainnav").is_visible()  # a new page opens with the menu closed


def test_laptop_header_shows_the_navigation(live_server, ledger, open_page):
    page = open_page(LAPTOP)
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/dashboard/")
    assert not page.locator("summary.menu-button").is_visible()
    assert page.locator(".mainnav a", has_text="项目台账").is_visible()
    assert page.locator("header .who").is_visible()


def test_phone_ledger_shows_the_amounts(live_server, ledger, open_page):
    page = open_page(PHONE)
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/projects/?scope=all")
    for field in ("planned", "contract"):
        cell = page.locator(f"table.ledger td[data-field={field}]").first
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (field, box)
    # a wider table scrolls in its box, which says so; the names stay in view
    wrap = page.locator(".table-wrap").first
    if page.evaluate("e => e.scrollWidth > e.clientWidth", wrap.element_handle()):
        assert "is-scrollable" in wrap.get_attribute("class")
        wrap.evaluate("e => e.scrollLeft = 400")
        name = page.locator("table.ledger td.sticky-col").first.bounding_box()
        assert name["x"] >= 0


def test_phone_names_do_not_wrap_per_character(live_server, ledger, open_page):
    page = open_page(PHONE)
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    for path in ("/dashboard/", "/taskforces/"):
        page.goto(live_server + path)
        # no table cell of text is narrower than two characters (wrapped a character a line)
        narrow = page.evaluate("""() => [...document.querySelectorAll('.table-wrap td, .table-wrap th')]
            .filter(c => c.innerText.trim().length > 3 && c.getBoundingClientRect().width > 0
                         && c.getBoundingClientRect().width < 40)
            .map(c => c.innerText.trim())""")
        assert not narrow, (path, narrow[:5])


def test_weekly_mail_fits_360_px(live_app, ledger, open_page):
    with live_app.app_context():
        bodies = [b.body_html for b in OutboxBody.select()]
    database.close()
    assert bodies
    page = open_page({"width": 360, "height": 740})
    for html in bodies:
        page.set_content(html)
        assert page.evaluate(OVERFLOW) <= 0, page.evaluate("document.documentElement.scrollWidth")
        heights = page.evaluate("""() => [...document.querySelectorAll('span')]
            .filter(s => s.style.borderRadius === '3px')
            .map(s => [s.innerText, s.getBoundingClientRect().height])""")
        assert heights and all(h <= 24 for _, h in heights), heights


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_dashboard_detail_loads_inside_its_fold(live_server, ledger, open_page, viewport):
    """A task force's fold loads its four metrics when opened; on a phone the table scrolls
    inside the fold, never the page; the fetch passes the CSP (connect-src 'self')."""
    page = open_page(viewport)
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    page.goto(f"{live_server}/dashboard/")
    fold = page.locator("details.team-detail").first
    fold.locator("summary").click()
    rows = fold.locator("table.team-metrics tr[data-metric]")
    rows.first.wait_for(state="visible")
    assert rows.count() == 4
    assert page.evaluate(OVERFLOW) <= 0, page.evaluate(OVERFLOW)
    assert not _csp_errors(page), "\n".join(_csp_errors(page))
