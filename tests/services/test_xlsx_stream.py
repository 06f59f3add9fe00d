"""The exports stream their rows into write-only workbooks (services.xlsx, issue 18 "Exports in
linear time") and the files hold what they held before: the expectation below was read
from the file the former writer (a normal openpyxl sheet, ``append_row`` reading
``max_row`` per row) produced for this ledger — cells, types, number formats, widths,
auto-filter, title, merged title row, frozen panes, size."""
import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from tests.factories import make_county, make_project, make_task_force, make_user
from tracker.domain import pipeline
from tracker.models import Project
from tracker.services import xlsx
from tracker.services.ledger import export

D = datetime.date
T = datetime.datetime
NOW = datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.timezone.utc)  # 09:30 Shanghai


def _small_ledger():
    """Three projects; the exported columns are set directly (fixed dates, hostile text
    and a control character as an old row may hold them)."""
    from tracker.services.ledger import corrections
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    ledger_service = backfill_ledger(ledger_projects)
    chem = make_task_force("JXHG", "精细化工专班")
    other = make_task_force("ZB", "@装备制造专班")
    county = make_county("DZ", "东洲区")
    boss = make_user("boss", "bureau", display_name="张处长")
    a = make_project(chem, "甲", user=boss, stage=pipeline.SIGNED, contract_value="500",
                     on=D(2025, 3, 10))
    ledger_service.record_funds(boss, a, received_on=D(2025, 4, 1), amount="300")
    ledger_service.record_funds(boss, a, received_on=D(2025, 4, 2), amount="200.5")
    voided = ledger_service.record_funds(boss, a, received_on=D(2025, 4, 3), amount="9999")
    corrections.void(boss, a.id, "funds", voided.id, "重复登记")
    b = make_project(chem, "乙", user=boss)
    c = make_project(other, "丙", user=boss)
    Project.update(name="精细化工乙烯下游一体化项目", investor="ABCDEFGHIJKLM", county=county,
                   owner=boss, investor_region="长三角", capital_type="foreign",
                   industry="精细化工", tags="央企,专精特新", planned_investment="250000.5",
                   signing_grade="contract", packaged_on=D(2025, 1, 5),
                   negotiating_on=D(2025, 2, 6), signed_on=D(2025, 3, 10),
                   last_progress_on=D(2025, 4, 2), contact="李四 13800000000",
                   next_step="第一行\n第二行很长很长很长很长", problems="无",
                   ).where(Project.id == a.id).execute()
    Project.update(name='=HYPERLINK("http://x?y="&A1,"点击")', investor="@坏",
                   contact="+86 138", problems="-1", next_step="\t=1", drop_reason="ctl\x08bs",
                   planned_investment="12345678.12", expected_sign_date=D(2027, 6, 30),
                   packaged_on=D(2025, 5, 1), last_progress_on=D(2025, 5, 1),
                   ).where(Project.id == b.id).execute()
    Project.update(name="#N/A", investor="a=b", planned_investment="0",
                   packaged_on=D(2025, 6, 1), last_progress_on=D(2025, 6, 1),
                   ).where(Project.id == c.id).execute()


TITLE = ("招商项目台账（专班：全部；阶段：全部；区县/开发区：全部；年度：全部）\u3000"
         "导出时间：2026-11-28 09:30（北京时间）")
HEADER = ("序号", "项目名称", "所属专班", "区县/开发区", "投资方", "投资方来源地", "内外资", "产业",
          "企业标签", "计划投资额（万元）", "签约额（万元）", "签约等级", "当前阶段", "预计签约日期",
          "责任人", "到位资金合计（万元）", "策划包装日期", "洽谈日期", "签约日期", "开工日期",
          "投产日期", "达产日期", "最近进展日期", "退库原因", "联系人", "下一步工作", "存在问题")
ROWS = [
    (1, "#N/A", "'@装备制造专班", None, "a=b", None, "内资", None, None, 0, None, None,
     "储备/谋划", None, None, 0, T(2025, 6, 1), None, None, None, None, None, T(2025, 6, 1),
     None, None, None, None),
    (2, "精细化工乙烯下游一体化项目", "精细化工专班", "东洲区", "ABCDEFGHIJKLM", "长三角", "外资",
     "精细化工", "央企、专精特新", 250000.5, 500, "正式合同", "签约", None, "张处长", 500.5,
     T(2025, 1, 5), T(2025, 2, 6), T(2025, 3, 10), None, None, None, T(2025, 4, 2), None,
     "李四 13800000000", "第一行\n第二行很长很长很长很长", "无"),
    (3, '\'=HYPERLINK("http://x?y="&A1,"点击")', "精细化工专班", None, "'@坏", None, "内资",
     None, None, 12345678.12, None, None, "储备/谋划", T(2027, 6, 30), None, 0, T(2025, 5, 1),
     None, None, None, None, None, T(2025, 5, 1), "ctlbs", "'+86 138", "'\t=1", "'-1"),
]
WIDTHS = {"A": 6, "B": 38, "C": 16, "D": 13, "E": 15, "F": 14, "G": 8, "H": 10, "I": 16,
          "J": 20, "K": 16, "L": 10, "M": 11, "N": 14, "O": 8, "P": 22, "Q": 14, "R": 12,
          "S": 12, "T": 10, "U": 10, "V": 10, "W": 14, "X": 10, "Y": 18, "Z": 24, "AA": 10}
MONEY_COLUMNS, DATE_COLUMNS = "JKP", "NQRSTUVW"   # every data cell of these, empty or not


@pytest.mark.parametrize("chunk, memory", [(None, None), (2, 0)])
def test_ledger_file_holds_what_the_former_writer_wrote(db, monkeypatch, chunk, memory):
    if chunk:      # rows through the temporary file in chunks of 2, on disk
        monkeypatch.setattr(xlsx, "SPILL_CHUNK", chunk)
        monkeypatch.setattr(xlsx, "SPILL_MEMORY", memory)
    _small_ledger()
    exported = export.export_ledger({"sort": "planned", "dir": "asc"}, now=NOW)
    assert exported.rows == 3
    book = load_workbook(io.BytesIO(exported.data))
    assert book.sheetnames == ["项目台账"]
    sheet = book.active
    assert sheet.dimensions == "A1:AA5"
    assert sheet["A1"].value == TITLE and sheet["A1"].font.b and sheet["A1"].font.sz == 12
    assert sheet["A1"].alignment.wrap_text and sheet.row_dimensions[1].height == 36
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:AA1"]
    assert [c.value for c in sheet[2]] == list(HEADER)
    assert all(c.font.b and c.fill.fgColor.rgb == "00E4E7EB" for c in sheet[2])
    assert list(sheet.iter_rows(min_row=3, values_only=True)) == ROWS
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            letter = cell.column_letter
            expected = xlsx.MONEY if letter in MONEY_COLUMNS else \
                xlsx.DATE if letter in DATE_COLUMNS else "General"
            assert cell.number_format == expected, cell.coordinate
            value = cell.value
            kind = {str: "s", int: "n", float: "n", T: "d"}.get(type(value))
            assert kind is None or cell.data_type == kind, cell.coordinate   # "#N/A": text
    assert {k: d.width for k, d in sheet.column_dimensions.items()} == WIDTHS
    assert sheet.auto_filter.ref == "A2:AA5"
    assert sheet.freeze_panes == "C3"


def test_an_empty_ledger_has_its_title_header_and_filter(db):
    make_task_force("JXHG", "精细化工专班")
    sheet = load_workbook(io.BytesIO(export.export_ledger({}, now=NOW).data)).active
    assert sheet.max_row == 2 and sheet.auto_filter.ref == "A2:AA2"
    assert sheet.dimensions == "A1:AA2" and sheet["A1"].value.startswith("招商项目台账（")


def test_a_table_with_its_own_formats_and_status_per_row():
    book = xlsx.new_book()
    count = xlsx.write_table(book, "表", "=标题", ["名称", "数值", "状态"], iter([
        ["a", 0.5, "领先"],
        xlsx.Row(["#REF!", 2, "落后"], {2: xlsx.COUNT}, (3, "red")),
        xlsx.Row(["b", None, None], status=(3, None)),
    ]), {2: xlsx.PERCENT}, freeze="B3")
    assert count == 3
    sheet = load_workbook(io.BytesIO(xlsx.workbook_bytes(book)))["表"]
    assert sheet["A1"].value == "'=标题" and sheet["A1"].data_type == "s"
    assert [c.number_format for c in sheet["B"][2:]] == [xlsx.PERCENT, xlsx.COUNT, xlsx.PERCENT]
    assert sheet["A4"].value == "#REF!" and sheet["A4"].data_type == "s"
    assert sheet["C4"].fill.fgColor.rgb == "00D02020" and sheet["C4"].font.b
    assert sheet["C3"].fill.fill_type is None and sheet["C5"].fill.fill_type is None
    assert sheet.auto_filter.ref == "A2:C5" and sheet.freeze_panes == "B3"
    # widest shown + 2: "#REF!" (5) in A, "50.00%" (6) in B, "领先"/"状态" (4) in C
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [7, 8, 6]


def test_append_row_on_a_normal_sheet_numbers_rows_and_keeps_text_text():
    sheet = Workbook().active
    assert xlsx.append_row(sheet, ["=1+1", "#N/A", 3]) == 1
    assert xlsx.append_row(sheet, []) == 2
    assert xlsx.append_row(sheet, ["x"]) == 3
    assert [(c.value, c.data_type) for c in sheet[1]] == [("'=1+1", "s"), ("#N/A", "s"),
                                                          (3, "n")]
