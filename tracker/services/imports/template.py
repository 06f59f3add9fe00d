"""The import template (.xlsx): the export's columns on sheet 项目台账, a notes sheet 填写说明
explaining each column and its allowed values, a visible sheet 取值列表 holding the lists,
and data-validation drop-downs in the cells (issue "Excel in and out")."""
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ...domain import import_rules as rules
from ...domain import pipeline
from ...models import County, Project, TaskForce
from .parse import DATA_SHEET
from ..xlsx import append_row, workbook_bytes

ROWS = 2000  # rows that get the drop-downs
NOTES = {
    "name": "必填，不超过100字。同一专班内名称和投资方相同（忽略空格、大小写、全半角、"
            "“有限公司”等后缀）即视为同一项目。",
    "task_force": "必填：专班名称或专班代码（见“取值列表”）。专班成员只能导入自己所在的专班。",
    "county": "选填：区县/开发区名称或代码（见“取值列表”）。",
    "investor": "选填，不超过200字。",
    "investor_region": "选填，建议从列表中选择。",
    "capital_type": "内资或外资，空白按内资。",
    "industry": "选填。",
    "tags": "选填，多个标签用顿号“、”分隔。",
    "planned_investment": "必填，单位万元，数字（可带千分位），保留两位小数。",
    "contract_value": "单位万元。当前阶段为签约及之后时必填。",
    "signing_grade": "正式合同、框架协议或意向。",
    "stage": "储备/谋划、策划包装、洽谈、签约、开工、投产、达产或退库；空白按储备/谋划。",
    "packaged_on": "达到该阶段的日期，不能晚于今天。可写 2026-03-05、2026/3/5、2026.3.5 或 2026年3月5日。"
                   "当前阶段须填写其日期（或填写最近进展日期），各阶段日期不能倒序。",
    "last_progress_on": "选填；当前阶段没有单独的日期时作为该阶段日期。",
    "drop_reason": "当前阶段为退库时必填。",
    "contact": "选填。",
    "next_step": "选填，不超过2000字。",
    "problems": "选填，不超过2000字。",
}


def _lists():
    teams = list(TaskForce.select().where(TaskForce.active).order_by(TaskForce.code))
    counties = list(County.select().where(County.active).order_by(County.code))
    return {
        "所属专班": [t.name for t in teams] + [t.code for t in teams],
        "区县/开发区": [c.name for c in counties] + [c.code for c in counties],
        "当前阶段": [pipeline.LABELS[s] for s in pipeline.STAGES],
        "内外资": list(Project.CAPITAL_TYPES.values()),
        "签约等级": list(pipeline.SIGNING_GRADES.values()),
        "投资方来源地": list(Project.REGIONS),
        "企业标签": list(Project.TAGS),
    }, teams, counties


def _lists_sheet(book, lists):
    sheet = book.create_sheet("取值列表")
    ranges = {}
    for index, (title, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=title).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
        sheet.column_dimensions[letter].width = 18
        ranges[title] = f"'取值列表'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    return ranges


def _notes_sheet(book, teams, counties):
    sheet = book.create_sheet("填写说明")
    append_row(sheet, ["列名", "说明"])
    for title, key in rules.COLUMNS:
        note = NOTES.get(key) or NOTES["packaged_on"]
        append_row(sheet, [title, note])
    append_row(sheet, [])
    append_row(sheet, ["专班代码", "专班名称"])
    for team in teams:
        append_row(sheet, [team.code, team.name])
    append_row(sheet, [])
    append_row(sheet, ["区县代码", "区县/开发区名称"])
    for county in counties:
        append_row(sheet, [county.code, county.name])
    append_row(sheet, [])
    append_row(sheet, ["文件要求", f"只导入“{DATA_SHEET}”工作表（须可见）；第1行为列名，不要合并单元格；"
                       "不要使用公式；不超过 50,000 行；不要放在隐藏工作表中。"])
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _validations(sheet, ranges):
    letters = {key: get_column_letter(i) for i, (_, key) in enumerate(rules.COLUMNS, start=1)}
    strict = {"task_force": "所属专班", "county": "区县/开发区", "stage": "当前阶段",
              "capital_type": "内外资", "signing_grade": "签约等级"}
    for key, list_name in strict.items():
        dv = DataValidation(type="list", formula1=ranges[list_name], allow_blank=True,
                            showErrorMessage=True, errorTitle="取值无效",
                            error=f"请从下拉列表中选择{rules.TITLES[key]}。")
        dv.add(f"{letters[key]}2:{letters[key]}{ROWS + 1}")
        sheet.add_data_validation(dv)
    region = DataValidation(type="list", formula1=ranges["投资方来源地"], allow_blank=True,
                            showErrorMessage=True, errorStyle="warning")
    region.add(f"{letters['investor_region']}2:{letters['investor_region']}{ROWS + 1}")
    sheet.add_data_validation(region)
    for key in ("planned_investment", "contract_value"):
        dv = DataValidation(type="decimal", operator="between", formula1="0",
                            formula2="100000000", allow_blank=True, showErrorMessage=True,
                            error="请填写 0 至 100,000,000 之间的数字（万元）。")
        dv.add(f"{letters[key]}2:{letters[key]}{ROWS + 1}")
        sheet.add_data_validation(dv)


def template_xlsx():
    """The import template as .xlsx bytes."""
    lists, teams, counties = _lists()
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    append_row(sheet, [title for title, _ in rules.COLUMNS])
    for index, cell in enumerate(sheet[1], start=1):
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(cell.value) * 2 + 2)
    sheet.freeze_panes = "B2"
    _notes_sheet(book, teams, counties)
    _validations(sheet, _lists_sheet(book, lists))
    return workbook_bytes(book)
