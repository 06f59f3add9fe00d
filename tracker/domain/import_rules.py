"""Pure rules of the Excel import (issue "Excel in and out"; issue 18, a clerk's own 台账): the
columns (the export's titles and the clerk's synonyms, with the unit an amount header names),
amounts converted to 万元, dates typed the ways Chinese ledgers type them (month-only ones
included), the clerk's stage words, the rows that are not projects (合计, 注, blank) and the
matching of a 责任人 to a user. No I/O: the services read the workbook and the database.

Rules chosen here, and stated in the preview:

* Units. An amount header may name its unit: ``计划投资额（亿元）``, ``签约额(万元)``, ``总投资（亿）``,
  ``投资额【单位：元】``, ``合同额/亿元``; full- and half-width brackets alike. 亿元 is ×10000,
  元 is ÷10000, no unit is 万元 (the export's unit). A cell may carry its own unit
  (``12亿``, ``3000万元``), which wins over the header's. The converted value is exact; it is
  rounded to 0.01 万元 afterwards, by the same check as a form (domain.money.check_number).
  A line above the header such as ``单位：亿元`` is the unit of the amount columns whose
  title names none. A foreign-currency unit (万美元…) is refused: the ledger's amounts are
  人民币万元.
* Month-only dates (``2026年3月``, ``2026.3``, ``2026-03``, ``2026/3``, and a number cell
  2026.3) are the FIRST day of that month (:data:`MONTH_NOTE`). The first day keeps an event
  of the current month acceptable (an event date may not lie after today) and puts the
  event in the same month, quarter and year as the clerk meant; a month in the future is
  refused for event dates like any future date. A number cell 2026.1 is refused (Excel
  stores 2026.10 as 2026.1: January or October cannot be told apart).
* 备注 has no field in the ledger (下一步工作 and 存在问题 say something else): the column is
  recognised as not imported, listed as such, and its values are shown per row as ignored.
"""
import re
import unicodedata
from typing import NamedTuple

from . import pipeline
from .import_cells import (  # noqa: F401 - the import's rules are read as import_rules.*
    AMBIGUOUS_MONTH, AMBIGUOUS_STAGES, BAD_DATE, DEFAULT_UNIT, MONTH_NOTE, STAGE_ALIASES,
    TOTAL_WORDS, UNIT_FACTORS, UNIT_WAN, UNIT_YI, UNIT_YUAN, Amount, DateRead, People,
    UNIT_WORDS, date_source, fold_word, match_key, match_people, parse_date, parse_stage,
    person_label, read_amount, read_date, skip_reason, unit_label)

MAX_ROWS = 50_000            # data rows of one file
MAX_BYTES = 10 * 1024 * 1024  # default TRACKER_IMPORT_MAX_BYTES
MAX_UNZIPPED = 200 * 1024 * 1024  # sum of the uncompressed sizes in the zip directory
MAX_RATIO = 200              # uncompressed / compressed of one member (a zip bomb is ~1000)

# (column title as exported, field key): the export's columns in its order, without 序号
# and 到位资金合计 (derived from the receipts: read past, never imported).
COLUMNS = (
    ("项目名称", "name"),
    ("所属专班", "task_force"),
    ("区县/开发区", "county"),
    ("投资方", "investor"),
    ("投资方来源地", "investor_region"),
    ("内外资", "capital_type"),
    ("产业", "industry"),
    ("企业标签", "tags"),
    ("计划投资额（万元）", "planned_investment"),
    ("签约额（万元）", "contract_value"),
    ("签约等级", "signing_grade"),
    ("当前阶段", "stage"),
    ("预计签约日期", "expected_sign_date"),
    ("责任人", "owner"),
    ("策划包装日期", "packaged_on"),
    ("洽谈日期", "negotiating_on"),
    ("签约日期", "signed_on"),
    ("开工日期", "started_on"),
    ("投产日期", "producing_on"),
    ("达产日期", "at_capacity_on"),
    ("最近进展日期", "last_progress_on"),
    ("退库原因", "drop_reason"),
    ("联系人", "contact"),
    ("下一步工作", "next_step"),
    ("存在问题", "problems"),
)
TITLES = {key: title for title, key in COLUMNS}
# Short zh-CN names of the fields (the preview's labels; amounts without their unit).
LABELS = dict(TITLES, planned_investment="计划投资额", contract_value="签约额")
DATE_KEYS = tuple(pipeline.FIRST_REACHED_FIELD.values()) + ("last_progress_on",)
STAGE_OF_DATE = {field: stage for stage, field in pipeline.FIRST_REACHED_FIELD.items()}
REQUIRED = ("name", "planned_investment")
AMOUNT_KEYS = ("planned_investment", "contract_value")
# Columns read past on purpose, with why (序号, the derived 到位资金合计, a free 备注).
IGNORED = {"序号": "序号", "到位资金合计": "到位资金由到位记录汇总，不从表格导入",
           "备注": "台账没有“备注”字段（可改列名为“存在问题”或“下一步工作”后导入）"}
SEQ_TITLE = "序号"
HEADER_ROWS = 10  # the header is the first of these rows naming 项目名称 (title rows above)

# The clerk's header words: field key -> titles (besides the export's own, in COLUMNS).
SYNONYMS = {
    "name": ("项目", "项目名称", "项目全称"),
    "task_force": ("专班", "专班代码", "所属专班", "专班名称"),
    "county": ("区县", "开发区", "所属区县", "所在区县", "区县(开发区)", "所属区县/开发区",
               "县区", "所属县区"),
    "investor": ("投资主体", "签约企业", "企业名称", "投资企业", "投资方名称"),
    "investor_region": ("来源地区", "投资方来源地区", "来源地"),
    "planned_investment": ("计划投资额", "总投资", "投资额", "计划总投资", "总投资额",
                           "计划投资"),
    "contract_value": ("签约额", "合同额", "签约金额", "合同金额"),
    "stage": ("阶段", "当前阶段", "项目进展", "进展情况", "项目阶段", "推进阶段"),
    "owner": ("责任人", "包保领导", "包保责任人", "项目责任人"),
    "next_step": ("下一步工作计划", "下步工作"),
}
# Every stage date may be titled …日期 or …时间 (签约时间, 开工时间).
_DATE_TITLES = {key: (TITLES[key], TITLES[key][:-2] + "时间")
                for key in DATE_KEYS + ("expected_sign_date",)}

CAPITAL_TYPES = {"内资": "domestic", "外资": "foreign"}
TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")

# --- headers ------------------------------------------------------------------------

class Header(NamedTuple):
    """What a header cell names: the field ``key`` and, for an amount, the ``unit`` its
    title gives (亿元/万元/元; None: no unit, read as :data:`DEFAULT_UNIT`; a foreign
    currency as written, which :func:`unit_problem` refuses)."""
    key: str
    unit: str = None


class Column(str):
    """A column letter (``"I"``, a str, as the services always used it) that also carries
    the ``heading`` the file gives the column and the ``unit`` read from it."""
    heading: str
    unit: str

    def __new__(cls, letter, heading="", unit=None):
        column = super().__new__(cls, letter)
        column.heading, column.unit = heading, unit
        return column


def _bare_title(folded):
    """A folded title without a required-mark (``*项目名称``) or a trailing colon."""
    return folded.strip("*").rstrip(":")


_HEADERS = {fold_word(t): k for t, k in COLUMNS}
for _key, _titles in SYNONYMS.items():
    _HEADERS.update((fold_word(t), _key) for t in _titles)
for _key, _titles in _DATE_TITLES.items():
    _HEADERS.update((fold_word(t), _key) for t in _titles)
_FOREIGN = re.compile(r"美元|美金|港元|港币|欧元|日元|英镑|韩元")
_BRACKETED = re.compile(r"(?P<base>.+?)\((?P<inside>[^()]*)\)")
_UNIT_SUFFIX = re.compile(r"(?P<base>.+?)[/\-_:]?(?P<unit>人民币亿元|人民币万元|亿元|万元|亿|万|元)")


def _unit_of(inside):
    """The unit a bracket names (``亿元``, ``单位:万元``), a foreign currency as written, or
    None when the bracket says something else."""
    inside = re.sub(r"^(单位|金额单位)[:：]?", "", inside)
    if inside in UNIT_WORDS:
        return UNIT_WORDS[inside]
    return inside if _FOREIGN.search(inside) else None


def header_field(title):
    """The :class:`Header` a header cell names, or None.

    Titles compare after NFKC with spaces ignored: the export's own titles, the clerk's
    synonyms (:data:`SYNONYMS`, 签约时间 for 签约日期...), a unit in brackets or after the name of an
    amount (``计划投资额（亿元）``, ``总投资(亿)``, ``签约额/万元``), and a bracket after any
    other field's name (``开工时间（年月）``)."""
    folded = _bare_title(fold_word(title))
    if not folded:
        return None
    key = _HEADERS.get(folded)
    if key is not None:
        unit = None
        match = _BRACKETED.fullmatch(folded)
        if key in AMOUNT_KEYS and match:
            unit = _unit_of(match["inside"])
        return Header(key, unit)
    match = _BRACKETED.fullmatch(folded)
    if match:
        key = _HEADERS.get(match["base"])
        if key in AMOUNT_KEYS:
            return Header(key, _unit_of(match["inside"]))
        if key is not None:
            return Header(key)
    match = _UNIT_SUFFIX.fullmatch(folded)
    if match and _HEADERS.get(match["base"]) in AMOUNT_KEYS:
        return Header(_HEADERS[match["base"]], UNIT_WORDS[match["unit"]])
    return None


_UNIT_LINE = re.compile(r"(?:^|[^报])单位[:]?(人民币亿元|人民币万元|亿元|万元|元)(?:人民币)?"
                        r"(?![a-z\u4e00-\u9fff])")


def sheet_unit(cells):
    """The amount unit a line above the header names for the whole sheet ("单位：亿元",
    "金额单位：万元"), or None. It applies to the amount columns whose own title names none."""
    for value in cells:
        if isinstance(value, str):
            match = _UNIT_LINE.search(fold_word(value))
            if match:
                return UNIT_WORDS[match[1]]
    return None


class HeaderRow(tuple):
    """The header row's cells, with the ``unit`` a line above it names (:func:`sheet_unit`)."""
    unit = None

    def __new__(cls, cells, unit=None):
        row = super().__new__(cls, cells)
        row.unit = unit
        return row


def header_key(title):
    """The field key of a header cell, or None (:func:`header_field`)."""
    found = header_field(title)
    return found.key if found else None


def unit_problem(title, header):
    """The zh-CN refusal of an amount header whose unit the ledger cannot take, or None."""
    if header is None or header.unit is None or header.unit in UNIT_FACTORS:
        return None
    return (f"列「{title}」的金额单位是{header.unit}，台账金额以人民币万元计。"
            "请换算为人民币（万元、亿元或元）并在列名中注明单位后再导入。")


def ignored_reason(title):
    """Why a column is read past on purpose (序号, 到位资金合计, 备注), or None."""
    folded = _bare_title(fold_word(title))
    match = _BRACKETED.fullmatch(folded)
    base = match["base"] if match else folded
    return IGNORED.get(folded) or IGNORED.get(base)


def is_ignored(title):
    """A column of the export read past without a word (序号, 到位资金合计); 备注 is not
    imported either, but listed as such."""
    return ignored_reason(title) in (IGNORED["序号"], IGNORED["到位资金合计"])


def is_seq(title):
    return _bare_title(fold_word(title)) == SEQ_TITLE


# Keys of the columns that name no field, so a row's every cell is seen (the 合计 and 注
# rows are told by their first non-empty cell): "_seq" for 序号, "_x:<letter>:<title>".
SEQ_KEY = "_seq"
_EXTRA = "_x:"


def extra_key(letter, title):
    return f"{_EXTRA}{letter}:{'' if title is None else title}"


def is_extra(key):
    return key == SEQ_KEY or key.startswith(_EXTRA)


def extra_letter(key):
    """The column letter of an extra column's key ("" for 序号)."""
    return key.split(":", 2)[1] if key.startswith(_EXTRA) else ""


def extra_title(key):
    """The title of an extra column's key ("" for 序号 and untitled columns)."""
    return key.split(":", 2)[2] if key.startswith(_EXTRA) else ""


def parse_capital_type(value):
    text = fold_word(value)
    if not text:
        return "domestic", None
    if text in CAPITAL_TYPES:
        return CAPITAL_TYPES[text], None
    if text in CAPITAL_TYPES.values():
        return text, None
    return None, f"内外资「{text}」无效，只能填内资或外资。"


def parse_signing_grade(value):
    text = fold_word(value)
    if not text:
        return None, None
    for key, label in pipeline.SIGNING_GRADES.items():
        if text in (label, key):
            return key, None
    names = "、".join(pipeline.SIGNING_GRADES.values())
    return None, f"签约等级「{text}」无效，可填：{names}。"


def parse_tags(value):
    """A list of tags from 、/，/; separated text."""
    if value is None:
        return []
    return [t for t in TAG_SEPARATORS.split(unicodedata.normalize("NFKC", str(value))) if t]


def stage_plan(stage, dates, fallback, today):
    """The dated stage events that give an imported project its history.

    ``stage`` is the row's current stage, ``dates`` maps milestone stage -> date (or None),
    ``fallback`` is the 最近进展日期 (or None). Returns ``(events, error)``: events are
    ``[(stage, date)]`` in order — the first creates the project, the others are moves —
    and error is ``(field key, message)`` or None. Dates must not go backwards along
    the pipeline, and a milestone stage needs its own date (or 最近进展日期)."""
    dated = [(s, dates[s]) for s in pipeline.MILESTONE_STAGES if dates.get(s)]
    for (s1, d1), (s2, d2) in zip(dated, dated[1:]):
        if d2 < d1:
            return [], (pipeline.FIRST_REACHED_FIELD[s2],
                        f"{pipeline.label(s2)}日期早于{pipeline.label(s1)}日期。")
    # Stages reached on one day are one event: the later one implies the others.
    events = [(s, d) for i, (s, d) in enumerate(dated)
              if i + 1 == len(dated) or dated[i + 1][1] != d]
    if stage in pipeline.MILESTONE_STAGES and not any(s == stage for s, _ in dated):
        field = pipeline.FIRST_REACHED_FIELD[stage]
        later = [s for s, _ in dated if pipeline.rank(s) > pipeline.rank(stage)]
        if fallback is None or later or (dated and fallback < dated[-1][1]):
            return [], (field, f"当前阶段为{pipeline.label(stage)}，请填写{TITLES[field]}。")
        events.append((stage, fallback))
    if not events:
        return [(stage if stage == pipeline.RESERVE else pipeline.RESERVE, fallback or today)] \
            + ([] if stage == pipeline.RESERVE else [(stage, fallback or today)]), None
    if events[-1][0] != stage:
        # 退库, or a current stage before the latest dated one (the project moved back).
        events.append((stage, max(d for d in (events[-1][1], fallback) if d)))
    return events, None
