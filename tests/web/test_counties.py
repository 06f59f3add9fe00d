"""County/zone pages: funds this year vs the same period last year, growth vs the goal."""
import re
import xml.etree.ElementTree as ET


from tracker.services.targets.counties import set_county_target

from . import progress_ledger as L

QUERY = "year=2026&as_of=2026-06-30"


def test_index_lists_growth_against_goal(client, auth, built):
    auth.login("mem")
    response = client.get(f"/counties/?{QUERY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cells = L.Cells(html, "counties")
    for code, (actual, last_year, growth) in L.COUNTIES.items():
        assert cells[(code, "actual")] == L.money(actual)
        assert cells[(code, "last_year")] == L.money(last_year)
        assert cells[(code, "growth")] == f"{growth}%"
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len([r for r in root.iter(f"{ns}rect") if r.get("class") == "bar"]) == 2
    assert any(t.text == "目标 20.00%" for t in root.iter(f"{ns}text"))


def test_growth_goal_from_county_target_and_red_status(app, client, auth, built):
    with app.app_context():
        # 西区 must now grow 60%: 50% growth is 10 points short -> yellow
        set_county_target(built["boss"], built["west"], 2026, growth_pct="60")
    auth.login("boss")
    html = client.get(f"/counties/?{QUERY}").get_data(as_text=True)
    row = re.search(r'<tr data-code="W1">.*?</tr>', html, re.S).group(0)
    assert "60.00%" in row and 'data-status="yellow"' in row and "-10.00" in row


def test_detail_shows_months_and_receipts(client, auth, built):
    auth.login("boss")
    response = client.get(f"/counties/W1?{QUERY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "西区" in html and "150.00%" not in html
    summary = html[html.index('id="county-summary"'):]
    assert f"{L.money('30000')} 亿元" in summary and f"{L.money('20000')} 亿元" in summary
    assert "50.00%" in summary
    months = html[html.index('id="county-months"'):]
    may = re.search(r"<tr><td>5 月</td>.*?</tr>", months, re.S).group(0)
    assert "30,000.00" in may and "20,000.00" in may
    assert "E项目" in html and "装备制造专班" in html
    ET.fromstring(re.search(r"<svg .*?</svg>", html, re.S).group(0))


def test_detail_unknown_county_404_and_bad_period_message(client, auth, built):
    auth.login("boss")
    assert client.get("/counties/NOPE").status_code == 404
    response = client.get("/counties/E1?as_of=2026-99-01")
    assert response.status_code == 200 and "统计日期无效" in response.get_data(as_text=True)
