"""The 通报 in a real Chromium on the demo data (issue 20): printed to PDF (page.pdf, the
page's own @page size and margins) the 上半年双过半 通报 takes at most 3 A4 pages, in the
公文 fonts, with the ranking table's heading repeated and no empty column; the page and its
print fit a 390 px phone and a 1366 px laptop without the body scrolling sideways, for the
bureau (who also sees the 下步要求 form) and for a lead and a member (who read it only)."""
import datetime
import re

import pytest

from tests.conftest import make_app
from tracker import clock
from tracker.db import database
from tracker.demo import seed as demo

from .conftest import login

pytestmark = pytest.mark.browser

TODAY = datetime.date(2026, 11, 25)
PASSWORD = "bulletin-print-pass"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
H1 = "/bulletin/?year=2026&checkpoint=h1"
MM_PER_PT = 25.4 / 72


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo data seeded once into a SQLite database, served by a werkzeug thread."""
    import threading

    from werkzeug.serving import make_server

    patch = pytest.MonkeyPatch()
    patch.setattr(clock, "today", lambda: TODAY)
    path = tmp_path_factory.mktemp("bulletin_demo")
    app = make_app(f"sqlite:///{path}/demo.db", path / "instance", SEED_PASSWORD=PASSWORD)
    with app.app_context():
        demo.run(echo=lambda _line: None)
    database.close()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    patch.undo()


@pytest.fixture
def open_page(browser):
    contexts = []

    def opener(viewport, user):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console = []
        page.on("console", lambda m: page.console.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: page.console.append(f"{page.url}: {e}"))
        return page

    yield opener
    for context in contexts:
        context.close()


def _pages(pdf):
    """Pages of a PDF: its /Type /Page objects (not /Pages)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_the_demo_h1_bulletin_prints_on_three_a4_pages(demo_server, open_page):
    page = open_page(LAPTOP, "bureau")
    login(page, demo_server, "bureau", PASSWORD)
    assert page.goto(demo_server + H1).status == 200
    page.set_viewport_size({"width": 590, "height": 1100})   # A4's 156 mm text width
    page.emulate_media(media="print")
    # the 公文 fonts, named with their fallbacks
    fonts = page.evaluate("""() => ({
        body: getComputedStyle(document.querySelector('#overview p')).fontFamily,
        h1: getComputedStyle(document.querySelector('.bulletin-head h1')).fontFamily,
        h2: getComputedStyle(document.querySelector('.bulletin-doc h2')).fontFamily,
        h3: getComputedStyle(document.querySelector('.bulletin-doc h3')).fontFamily,
        size: getComputedStyle(document.querySelector('#overview p')).fontSize,
        line: getComputedStyle(document.querySelector('#overview p')).lineHeight,
        indent: getComputedStyle(document.querySelector('#overview p')).textIndent})""")
    names = {k: [f.strip().strip('"') for f in v.split(",")] for k, v in fonts.items()}
    assert names["body"][0] == "仿宋_GB2312" and {"FangSong", "STFangsong", "Noto Serif CJK SC"} \
        <= set(names["body"]), fonts
    assert names["h1"][0] == "方正小标宋简体" and "STZhongsong" in names["h1"], fonts
    assert names["h2"][0] == "黑体" and "SimHei" in names["h2"], fonts
    assert names["h3"][0] == "楷体_GB2312" and "KaiTi" in names["h3"], fonts
    # 16pt body on a 28pt line, two characters in (CSS px: 1pt = 4/3 px)
    assert (fonts["size"], fonts["line"]) == ("21.3333px", "37.3333px"), fonts
    assert fonts["indent"] == "42.6667px", fonts
    # the ranking: one heading per column in print, nothing empty, no status broken in two
    table = page.evaluate("""() => {
        const t = document.querySelector('#bulletin-ranking');
        const rows = [...t.tBodies[0].rows];
        const cols = rows[0].cells.length;
        const empty = [...Array(cols).keys()]
            .filter(i => rows.every(r => r.cells[i].innerText.trim() === '—'));
        // a status ("严重滞后") or a number broken over two lines has two line boxes
        const broken = [...t.querySelectorAll('td .status')].filter(e => e.getClientRects().length > 1)
            .concat([...t.querySelectorAll('td.num')].filter(e => e.scrollWidth > e.clientWidth + 1))
            .map(e => e.innerText);
        return {cols, empty, broken, head: getComputedStyle(t.tHead).display,
                wide: t.getBoundingClientRect().width,
                box: document.querySelector('.bulletin-doc').getBoundingClientRect().width};
    }""")
    assert table["empty"] == [] and table["head"] == "table-header-group", table
    assert table["broken"] == [] and table["wide"] <= table["box"] + 1, table
    assert "funds_received" not in page.inner_html("#bulletin-ranking")   # all "—" in the demo
    # the page's own A4 margins and the outside page numbers "— 1 —" (CSS page-margin boxes)
    rules = page.evaluate("""() => [...document.styleSheets].flatMap(s => [...s.cssRules])
        .filter(r => r instanceof CSSPageRule && r.selectorText.startsWith('bulletin'))
        .map(r => r.cssText)""")
    assert any("margin: 37mm 26mm 35mm 28mm" in r for r in rules), rules
    assert any(":right" in r and "@bottom-right" in r and 'counter(page)' in r for r in rules), rules
    assert any(":left" in r and "@bottom-left" in r and 'counter(page)' in r for r in rules), rules
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = _pages(pdf)
    assert 1 <= pages <= 3, pages
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert sizes and all(abs(float(w) * MM_PER_PT - 210) < 1 and abs(float(h) * MM_PER_PT - 297) < 1
                         for w, h in sizes), sizes[:3]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("user", ["bureau", "lead", "member"])
def test_the_bulletin_fits_the_screen_for_every_reader(demo_server, open_page, viewport, user):
    page = open_page(viewport, user)
    login(page, demo_server, user, PASSWORD)
    response = page.goto(demo_server + H1)
    assert response.status == 200, user
    assert page.evaluate(OVERFLOW) <= 0, (user, page.evaluate(OVERFLOW))
    # a reader gets no form; the bureau gets the 下步要求 form
    assert page.locator("#note-form").count() == (1 if user == "bureau" else 0)
    assert page.locator("a", has_text="下载Word").count() == 1
    # team names are not wrapped a character or two a line
    narrow = page.evaluate("""() => [...document.querySelectorAll('#bulletin-ranking td[data-field=name]')]
        .filter(c => c.getBoundingClientRect().width < 4 * parseFloat(getComputedStyle(c).fontSize))
        .map(c => c.innerText)""")
    assert narrow == [], narrow
    # the print view fits too (the phone's own print preview)
    page.emulate_media(media="print")
    assert page.evaluate(OVERFLOW) <= 0, (user, "print", page.evaluate(OVERFLOW))
    refused = [m for m in page.console if "Content Security Policy" in m or "Refused" in m]
    assert not refused, refused
