"""The 导出Excel links: the ledger's and the dashboard's .xlsx downloads (RFC 6266 names,
the page's filters and period), refusals of a bad period, login required."""
import io
import re
from urllib.parse import quote

from openpyxl import load_workbook

from tracker import clock
from tracker.domain import progress as P

from . import progress_ledger as L


def _disposition(response):
    return response.headers["Content-Disposition"]


def test_ledger_export_is_named_for_its_task_force(client, auth, built):
    auth.login("boss")
    page = client.get(f"/projects/?tf={built['chem'].id}").get_data(as_text=True)
    link = re.search(r'href="(/projects/export\.xlsx\?[^"]*)"', page).group(1)
    assert f"tf={built['chem'].id}" in link.split("?")[1].split("&amp;")
    response = client.get(f"/projects/export.xlsx?tf={built['chem'].id}&stage=signed")
    assert response.status_code == 200
    day = clock.today().strftime("%Y%m%d")
    name = f"招商项目台账_精细化工_{day}.xlsx"
    assert _disposition(response) == (f'attachment; filename="project-ledger_CHEM_{day}.xlsx"; '
                                      f"filename*=UTF-8''{quote(name, safe='')}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "专班：精细化工专班；阶段：签约" in sheet["A1"].value
    assert [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["A项目"]
    everything = client.get("/projects/export.xlsx")
    assert f"filename*=UTF-8''{quote(f'招商项目台账_全部_{day}.xlsx', safe='')}" in \
        _disposition(everything)


def test_dashboard_links_its_period_and_exports_it(client, auth, built):
    auth.login("boss")
    page = client.get("/dashboard/?year=2026&as_of=2026-06-30").get_data(as_text=True)
    assert 'href="/dashboard/export.xlsx?year=2026&amp;as_of=2026-06-30"' in page
    response = client.get("/dashboard/export.xlsx?year=2026&as_of=2026-06-30")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert _disposition(response).startswith('attachment; filename="progress_2026_20260630.xlsx"')
    assert quote("招商专班进度_2026年_截至20260630.xlsx", safe="") in _disposition(response)
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["进度汇总"]
    header = [c.value for c in sheet[2]]
    chem_signed = next(r for r in sheet.iter_rows(min_row=3)
                       if r[1].value == "CHEM" and r[header.index("指标")].value == "签约额")
    status = chem_signed[header.index("状态")]
    assert status.value == "略欠进度"
    assert status.fill.fgColor.rgb.endswith(P.STATUS_COLOURS["yellow"])
    assert chem_signed[header.index("完成")].value == 8       # 80,000 万元 in 亿元
    assert L.AS_OF.isoformat() in sheet["A1"].value


def test_dashboard_export_refuses_a_bad_period(client, auth, built):
    auth.login("boss")
    for query in ("year=abc", "as_of=2026-02-30", "year=2026&as_of=2025-12-31"):
        response = client.get(f"/dashboard/export.xlsx?{query}")
        assert response.status_code == 400, query
        assert "无效" in response.get_data(as_text=True) or \
            "早于" in response.get_data(as_text=True)


def test_exports_need_a_login(client, built):
    for url in ("/projects/export.xlsx", "/dashboard/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
