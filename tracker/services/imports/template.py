"""The import template (.xlsx) for the person who downloads it (issues "Excel in and out", 18).

* Sheet 项目台账, first: 序号 and the export's columns (import_rules.COLUMNS, the amounts with
  their unit in the header: 计划投资额（万元）, 签约额（万元）), then one example row whose 序号
  cell says "注：示例（导入时跳过）": a note row the import skips (import_cells.skip_reason),
  so the untouched template imports nothing and reports no error.
* Sheet 填写说明: what to write in each column (its own text per column), the values of
  the lists, the file's requirements.
* Drop-downs (data validations) of names only: 专班 (the task forces the person may import
  into), 区县/开发区, 当前阶段, 内外资, 签约等级, 投资方来源地 and 责任人 (the display names of the
  active members of the person's task forces; every active user for the bureau and admins).
  A list whose text fits Excel's 255-character limit is written in the validation itself;
  a longer one is a range of the hidden sheet 取值列表, which holds every list. The import
  reads the sheet 项目台账 (or the first one), never a hidden one, so the lists sheet is
  never read as data.
"""
import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ... import clock
from ...domain import closed_periods
from ...domain import import_rules as rules
from ...domain import pipeline
from ...models import County, Membership, Project, TaskForce, User
from ..xlsx import DATE, append_row, workbook_bytes
from .parse import DATA_SHEET

NOTES_SHEET, LISTS_SHEET = "填写说明", "取值列表"
ROWS = 2000            # rows that get the drop-downs
INLINE_MAX = 255       # characters of a list Excel takes inside the validation itself
EXAMPLE_MARK = "注：示例（导入时跳过）"  # 序号 of the example row: a note row, skipped
EXAMPLE_FONT = Font(italic=True, color="808080")
HEADER = (rules.SEQ_TITLE,) + tuple(title for title, _ in rules.COLUMNS)
LETTERS = {key: get_column_letter(i) for i, key in
           enumerate((rules.SEQ_KEY,) + tuple(k for _, k in rules.COLUMNS), start=1)}
DATE_FORMS = ("可写 2026-03-05、2026/3/5、2026.3.5、2026年3月5日，或只到月份的 2026年3月"
              "（按当月1日）。")

# list title -> the field whose cells it validates; "stop": only a listed value is taken
# (the others also take a code, a user name, a clerk's stage word: a warning only)
VALIDATED = {"所属专班": ("task_force", False), "区县/开发区": ("county", False),
             "当前阶段": ("stage", False), "内外资": ("capital_type", True),
             "签约等级": ("signing_grade", True), "投资方来源地": ("investor_region", False),
             "责任人": ("owner", False)}

NOTES = {
    rules.SEQ_KEY: "不导入，可留空或填写序号。第2行是示例（序号为“注：示例”），导入时跳过；"
                   "可删除该行，或在该行填写真实项目并清空其序号（否则该行仍被跳过）。",
    "name": "必填，不超过100字。同一专班内名称和投资方相同（忽略空格、大小写、全半角、"
            "“有限公司”等后缀）即视为同一项目。",
    "task_force": "必填：从下拉列表选择专班名称（也可填专班代码）。列表为您可以导入的专班；"
                  "专班成员只能导入自己所在的专班。",
    "county": "选填：从下拉列表选择区县/开发区名称（也可填代码）。",
    "investor": "选填，不超过200字。与项目名称一起判断是否为同一项目。",
    "investor_region": "选填，不超过32字，建议从下拉列表选择：" + "、".join(Project.REGIONS) + "。",
    "capital_type": "选填：内资或外资（下拉列表），空白按内资。",
    "industry": "选填，不超过64字，如“精细化工”。",
    "tags": "选填，可填" + "、".join(Project.TAGS) + "；多个标签用顿号“、”分隔。",
    "planned_investment": "必填，单位万元，数字（可带千分位），保留两位小数。"
                          "如按亿元或元填写，请把列名中的单位改为（亿元）或（元），导入时按列名换算。",
    "contract_value": "选填，单位万元（列名中的单位可改为亿元或元），数字。项目签约后填写合同金额。",
    "signing_grade": "选填：正式合同、框架协议或意向（下拉列表）。",
    "stage": "选填：从下拉列表选择" + "、".join(pipeline.LABELS.values()) + "；空白按储备/谋划。"
             "也可写在谈、已签约、在建、已投产等常用说法。须同时填写当前阶段的日期（见各阶段日期列）。",
    "expected_sign_date": "选填：计划签约的日期，可以晚于今天（今天前后10年内）。" + DATE_FORMS,
    "last_progress_on": "选填：最近一次进展的日期，不能晚于今天。当前阶段没有单独的日期时，"
                        "作为当前阶段的日期。" + DATE_FORMS,
    "drop_reason": "当前阶段为退库时必填，不超过2000字。",
    "contact": "选填，不超过200字（如企业联系人及电话）。",
    "next_step": "选填：下一步工作计划，不超过2000字。",
    "problems": "选填：推进中存在的问题、需协调的事项，不超过2000字。",
}
OWNER_NOTE = ("选填：项目责任人，须为在用账号。从下拉列表选择姓名（列表为{whose}），也可填用户名，"
              "或姓名括号前的部分（如“张专员（精细化工）”可写“张专员”；对应多人时导入会要求改填）。")


def _stage_date_note(stage):
    label = pipeline.label(stage)
    return (f"选填：项目进入“{label}”阶段的日期，不能晚于今天，各阶段日期不能倒序。"
            f"当前阶段为{label}时必填（或填写最近进展日期）。" + DATE_FORMS)


def notes(user=None):
    """field key (rules.SEQ_KEY for 序号) -> the 填写说明 of its column, for ``user``."""
    out = dict(NOTES, owner=OWNER_NOTE.format(
        whose="全部在用账号" if user is None or user.sees_all else "您所在专班的成员"))
    out.update((field, _stage_date_note(stage))
               for stage, field in pipeline.FIRST_REACHED_FIELD.items())
    return out


def _teams(user):
    """The active task forces ``user`` may import into (every one for None and sees_all)."""
    query = TaskForce.select().where(TaskForce.active == True)  # noqa: E712
    if user is not None and not user.sees_all:
        query = query.where(TaskForce.id.in_(
            Membership.select(Membership.task_force).where(Membership.user == user.id)))
    return list(query.order_by(TaskForce.code))


def _owners(user, teams):
    """Display names of the active users a 责任人 cell may name for ``user``: the members of
    ``teams`` (every active user for None and sees_all), each name once."""
    query = User.select().where(User.active == True)  # noqa: E712
    if user is not None and not user.sees_all:
        query = query.where(User.id.in_(
            Membership.select(Membership.user)
            .where(Membership.task_force.in_([t.id for t in teams]))))
    return list(dict.fromkeys(str(u) for u in query.order_by(User.username)))


def lists(user=None):
    """list title -> its values (names only) for ``user`` (None: a command, everything)."""
    teams = _teams(user)
    counties = County.select().where(County.active == True).order_by(County.code)  # noqa: E712
    return {
        "所属专班": [t.name for t in teams],
        "区县/开发区": [c.name for c in counties],
        "当前阶段": [pipeline.LABELS[s] for s in pipeline.STAGES],
        "内外资": list(Project.CAPITAL_TYPES.values()),
        "签约等级": list(pipeline.SIGNING_GRADES.values()),
        "投资方来源地": list(Project.REGIONS),
        "企业标签": list(Project.TAGS),
        "责任人": _owners(user, teams),
    }


def inline_formula(values):
    """The list written inside a validation (``"a,b"``), or None when it is too long for
    Excel or an item holds a comma or a quote."""
    if any("," in v or '"' in v for v in values):
        return None
    joined = ",".join(values)
    return f'"{joined}"' if len(joined) + 2 <= INLINE_MAX else None


def _lists_sheet(book, values):
    """The hidden sheet holding every list; returns list title -> its range."""
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    ranges = {}
    for index, (title, items) in enumerate(values.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=title).font = Font(bold=True)
        for row, value in enumerate(items, start=2):
            sheet.cell(row=row, column=index, value=value)
        sheet.column_dimensions[letter].width = 20
        ranges[title] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(len(items), 1) + 1}"
    return ranges


def _notes_sheet(book, user, values):
    sheet = book.create_sheet(NOTES_SHEET)
    append_row(sheet, ["列名", "说明"])
    texts = notes(user)
    for title, key in zip(HEADER, LETTERS):
        append_row(sheet, [title, texts[key]])
    append_row(sheet, [])
    append_row(sheet, ["可选值", "（下拉列表中的名称）"])
    for title, items in values.items():
        append_row(sheet, [title, "、".join(items) or "（无）"])
    append_row(sheet, [])
    append_row(sheet, ["文件要求", f"数据填在“{DATA_SHEET}”工作表（须可见，请勿改名）；第1行为列名，"
                       "不要合并单元格；不要使用公式；不超过 50,000 行。下拉列表取自隐藏的"
                       f"“{LISTS_SHEET}”工作表，请勿修改。"])
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _validations(sheet, values, ranges):
    for title, (key, stop) in VALIDATED.items():
        items = values[title]
        if not items:
            continue
        others = "" if stop else "（列表之外的值导入时再核对，可能被拒）"
        dv = DataValidation(type="list", formula1=inline_formula(items) or ranges[title],
                            allow_blank=True, showErrorMessage=True,
                            errorStyle="stop" if stop else "warning", errorTitle="不在列表中",
                            error=f"请从下拉列表中选择{rules.TITLES[key]}{others}。")
        dv.add(f"{LETTERS[key]}2:{LETTERS[key]}{ROWS + 1}")
        sheet.add_data_validation(dv)
    for key in rules.AMOUNT_KEYS:
        dv = DataValidation(type="decimal", operator="between", formula1="0",
                            formula2="100000000", allow_blank=True, showErrorMessage=True,
                            error="请填写 0 至 100,000,000 之间的数字（万元）。")
        dv.add(f"{LETTERS[key]}2:{LETTERS[key]}{ROWS + 1}")
        sheet.add_data_validation(dv)


def example(values, today=None):
    """The example row: field key -> value (a 洽谈 project; names from the lists). Its dates
    lie in the current quarter: a row dated into a closed quarter is a 更正申请, not an import
    (domain.closed_periods), so the example a member copies imports as it stands."""
    today = today or clock.today()
    start = closed_periods.current_quarter_start(today)
    packaged = max(start, today - datetime.timedelta(days=120))
    negotiating = max(packaged, today - datetime.timedelta(days=30))

    def first(title):
        return values[title][0] if values[title] else None

    return {
        rules.SEQ_KEY: EXAMPLE_MARK, "name": "年产3万吨高性能树脂项目",
        "task_force": first("所属专班"), "county": first("区县/开发区"),
        "investor": "某某化工集团有限公司", "investor_region": "长三角", "capital_type": "内资",
        "industry": "精细化工", "tags": "中国500强、上市公司", "planned_investment": 120000,
        "stage": "洽谈", "expected_sign_date": today + datetime.timedelta(days=90),
        "owner": first("责任人"), "packaged_on": packaged, "negotiating_on": negotiating,
        "last_progress_on": max(negotiating, today - datetime.timedelta(days=7)), "contact": "李经理",
        "next_step": "完成合同文本谈判，推动签约。", "problems": "用地指标待落实。",
    }


def _data_sheet(sheet, values):
    sheet.title = DATA_SHEET
    append_row(sheet, HEADER)
    for index, cell in enumerate(sheet[1], start=1):
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(cell.value) * 2 + 2)
    sheet.column_dimensions[LETTERS[rules.SEQ_KEY]].width = 24
    row = example(values)
    append_row(sheet, [row.get(key) for key in LETTERS])
    for cell in sheet[2]:
        cell.font = EXAMPLE_FONT
        if isinstance(cell.value, datetime.date):
            cell.number_format = DATE
    sheet.freeze_panes = "C2"


def template_xlsx(user=None):
    """The import template as .xlsx bytes, its lists for ``user`` (None: a command, every
    task force and every active user)."""
    values = lists(user)
    book = Workbook()
    _data_sheet(book.active, values)
    _notes_sheet(book, user, values)
    _validations(book.active, values, _lists_sheet(book, values))
    return workbook_bytes(book)
