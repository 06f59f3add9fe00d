"""The progress report .xlsx: the summary equals GET /api/v1/progress for the same year and
as-of date, closed quarters show their frozen snapshots, status cells carry the dashboard's
colours (the same as the pages: /colours.css), amounts in 亿元 as real numbers."""
import datetime
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.web import progress_ledger as L
from tracker.domain import metrics as M
from tracker.domain import progress as P
from tracker.domain.errors import ValidationError
from tracker.services.progress import export
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.progress import snapshots

ledger = backfill_ledger(ledger_projects)

NOW = datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture
def built(app):
    with app.app_context():
        return L.build()


def _book(year, as_of):
    exported = export.export_progress(year, as_of, now=NOW)
    return exported, load_workbook(io.BytesIO(exported.data))


def _records(sheet):
    """Rows below the header (row 2) as {header: value}, with the status cell itself."""
    header = [c.value for c in sheet[2]]
    out = []
    for row in sheet.iter_rows(min_row=3):
        record = dict(zip(header, (c.value for c in row)))
        record["_status_cell"] = row[header.index("状态")]
        out.append(record)
    return out


def _shown(metric_key, value):
    """An API amount (万元 text, or a count) as the sheet's number (亿元 for money)."""
    if value is None:
        return None
    value = Decimal(str(value))
    return pytest.approx(float(value / 10000 if M.get(metric_key).is_money else value))


def _pct(value):
    return None if value is None else pytest.approx(float(Decimal(value) / 100))


def _fill(cell):
    return cell.fill.fgColor.rgb[-6:].upper()


def _check_row(record, key, api):
    label = M.get(key).label
    assert record["指标"] == label
    assert record["单位"] == ("亿元" if M.get(key).is_money else "个")
    assert record["年度目标"] == _shown(key, api["target"])
    assert record["完成"] == _shown(key, api["actual"])
    assert record["完成率"] == _pct(api["completion"])
    assert record["时序进度"] == _pct(api["time_progress"])
    gap = api["gap_points"]
    assert record["超/欠进度（百分点）"] == (None if gap is None else pytest.approx(float(gap)))
    assert record["状态"] == P.STATUS_LABELS[api["status"]]
    assert _fill(record["_status_cell"]) == P.STATUS_COLOURS[api["status"]]
    assert record["年末预测"] == _shown(key, api["forecast"])
    assert record["预测完成率"] == _pct(api["forecast_completion"])
    expected = {True: "已实现", False: "未实现", "pending": "待考核", None: None}
    for flag, title in (("kaimenhong", "开门红"), ("q3", "三季度"), ("full_year", "全年完成")):
        assert record[title] == expected[api[flag]], (label, title)
    double = "提前实现" if api["shuangguoban_early"] else expected[api["shuangguoban"]]
    assert record["双过半"] == double


@pytest.mark.parametrize("as_of", ["2026-06-30", "2026-03-15", "2026-11-28"])
def test_summary_equals_the_api(app, client, auth, built, as_of):
    auth.login("boss")
    api = client.get(f"/api/v1/progress?year=2026&as_of={as_of}").get_json()
    with app.app_context():
        _, book = _book(2026, datetime.date.fromisoformat(as_of))
    sheet = book["进度汇总"]
    assert book.sheetnames == ["进度汇总"] + [m.label for m in M.METRICS.values()]
    records = _records(sheet)
    assert len(records) == 4 * (len(api["task_forces"]) + 1)
    for record in records[:-4]:
        team = api["task_forces"][record["专班编号"]]
        assert (record["专班"], record["排名"]) == (team["name"], team["rank"])
        assert record["综合完成率"] == _pct(team["score"])
        _check_row(record, next(k for k in M.KEYS if M.label(k) == record["指标"]),
                   team["metrics"][next(k for k in M.KEYS if M.label(k) == record["指标"])])
    for record, key in zip(records[-4:], M.KEYS):
        assert record["专班"] == "全市合计" and record["排名"] is None
        _check_row(record, key, api["totals"][key])
    # ranked as on the dashboard: EQUIP first
    assert [r["专班编号"] for r in records[:8:4]] == sorted(
        api["task_forces"], key=lambda c: api["task_forces"][c]["rank"])


def test_title_formats_filter_and_file_name(app, built):
    with app.app_context():
        exported, book = _book(2026, L.AS_OF)
    assert exported.filename == "招商专班进度_2026年_截至20260630.xlsx"
    assert exported.ascii_filename == "progress_2026_20260630.xlsx"
    assert "filename*=UTF-8''%E6%8B%9B" in exported.content_disposition()
    sheet = book["进度汇总"]
    title = sheet["A1"].value
    assert "2026 年招商专班进度汇总（统计截至 2026-06-30，时序进度 50.00%，按月）" in title
    assert "金额单位：亿元" in title and "导出时间：2026-11-28 09:30（北京时间）" in title
    last = sheet.cell(row=2, column=sheet.max_column).column_letter
    assert sheet.auto_filter.ref == f"A2:{last}{sheet.max_row}"
    record = next(r for r in _records(sheet) if r["专班编号"] == "CHEM" and r["指标"] == "签约额")
    assert record["完成"] == pytest.approx(8.0)         # 80,000 万元 = 8.00 亿元
    row = record["_status_cell"].row
    header = [c.value for c in sheet[2]]
    cell = sheet.cell(row=row, column=header.index("完成") + 1)
    assert cell.data_type == "n" and cell.number_format == "#,##0.00"
    assert sheet.cell(row=row, column=header.index("完成率") + 1).number_format == "0.00%"
    for name in ("专班", "超/欠进度（百分点）"):   # CJK headers get room
        letter = sheet.cell(row=2, column=header.index(name) + 1).column_letter
        assert sheet.column_dimensions[letter].width >= 2 * len(name.split("（")[0])


def _quarter_rows(book, key, code):
    return {r["季度"]: r for r in _records(book[M.label(key)]) if r["专班编号"] == code}


def test_quarter_sheets_use_frozen_snapshots(app, built):
    as_of = datetime.date(2026, 8, 15)
    with app.app_context():
        snapshots.freeze_quarter(2026, 1)
        frozen = {(f.code, f.metric): f for f in snapshots.frozen_figures(2026, 1)}
        # a back-dated Q1 project after the close: the ledger changes, the snapshot not
        ledger.create_project(built["boss"], task_force=built["chem"], name="补录项目",
                              planned_investment="200000", on=datetime.date(2026, 2, 1),
                              stage="packaged")
        _, book = _book(2026, as_of)
    rows = _quarter_rows(book, M.PACKAGED_VALUE, "CHEM")
    assert list(rows) == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    q1, snap = rows["2026Q1"], frozen[("CHEM", M.PACKAGED_VALUE)]
    assert q1["数据来源"].startswith("冻结快照")
    assert q1["累计完成"] == pytest.approx(float(snap.cumulative_actual) / 10000) == 30.0
    assert q1["当季完成"] == pytest.approx(float(snap.quarter_actual) / 10000)
    assert q1["累计节点目标"] == pytest.approx(float(snap.checkpoint_target) / 10000)
    assert q1["追赶目标"] == pytest.approx(float(snap.catch_up_target) / 10000)
    assert q1["完成率"] == pytest.approx(float(snap.completion) / 100)
    assert q1["状态"] == P.STATUS_LABELS[snap.status]
    assert _fill(q1["_status_cell"]) == P.STATUS_COLOURS[snap.status]
    q2 = rows["2026Q2"]            # closed, never frozen: the ledger's numbers, said so
    assert q2["数据来源"].startswith("已结束（未冻结")
    assert q2["累计完成"] == pytest.approx(75.0)   # 300,000 + 250,000 + the back-dated 200,000
    assert rows["2026Q3"]["数据来源"] == "进行中（截至 2026-08-15）"
    q4 = rows["2026Q4"]
    assert q4["数据来源"] == "未开始" and q4["累计完成"] is None and q4["状态"] is None
    assert q4["累计节点目标"] == pytest.approx(100.0)
    counts = _quarter_rows(book, M.NEGOTIATIONS, "EQUIP")["2026Q1"]
    assert counts["累计完成"] == 1 and counts["年度目标"] == 20


def test_status_colours_are_the_pages():
    """The export fills its status cells with the colours the pages get (/colours.css is
    generated from the same definition)."""
    from tracker.web.colours import stylesheet
    shown = {name: value.upper() for name, value in
             re.findall(r"--([a-z]+):\s*#([0-9a-fA-F]{6})", stylesheet())}
    assert shown == P.STATUS_COLOURS
    assert set(P.STATUS_COLOURS) == set(P.STATUSES)


def test_parse_period(app):
    with app.app_context():
        assert export.parse_period("2026", "2026-06-30") == (2026, L.AS_OF)
        assert export.parse_period("2025") == (2025, datetime.date(2025, 12, 31))
        assert export.parse_period("2099")[1] == datetime.date(2099, 1, 1)
    for year, as_of, field in (("26", None, "year"), ("x", None, "year"),
                               ("2026", "2026-02-30", "as_of"), ("2026", "2025-12-31", "as_of"),
                               ("2026", "20260630", "as_of")):
        with pytest.raises(ValidationError) as caught:
            export.parse_period(year, as_of)
        assert field in caught.value.errors
