"""What a clerk types in the cells of a 台账 (issue 18), read for the ledger: amounts with
their unit, dates (month-only ones included), stage words, the rows that are not projects,
and the 责任人 a name means. Pure rules, used through domain.import_rules (whose docstring
states the rules chosen: 亿元 ×10000, a month is its first day, …)."""
import datetime
import functools
import re
import unicodedata
from decimal import Decimal
from typing import NamedTuple

from . import money, pipeline

UNIT_WAN, UNIT_YI, UNIT_YUAN = "万元", "亿元", "元"
DEFAULT_UNIT = UNIT_WAN     # an amount header without a unit: the export's 万元
UNIT_FACTORS = {UNIT_YI: Decimal(10000), UNIT_WAN: Decimal(1), UNIT_YUAN: Decimal("0.0001")}
UNIT_WORDS = {"亿元": UNIT_YI, "亿": UNIT_YI, "人民币亿元": UNIT_YI, "万元": UNIT_WAN,
               "万": UNIT_WAN, "人民币万元": UNIT_WAN, "元": UNIT_YUAN, "人民币元": UNIT_YUAN}

STAGE_ALIASES = {
    "储备": pipeline.RESERVE, "谋划": pipeline.RESERVE, "谋划中": pipeline.RESERVE,
    "储备中": pipeline.RESERVE, "储备谋划": pipeline.RESERVE,
    "包装": pipeline.PACKAGED, "策划": pipeline.PACKAGED, "已包装": pipeline.PACKAGED,
    "在谈": pipeline.NEGOTIATING, "洽谈中": pipeline.NEGOTIATING,
    "正在洽谈": pipeline.NEGOTIATING, "正在洽谈中": pipeline.NEGOTIATING,
    "已签约": pipeline.SIGNED,
    "在建": pipeline.STARTED, "已开工": pipeline.STARTED, "开工建设": pipeline.STARTED,
    "在建设": pipeline.STARTED,
    "已投产": pipeline.PRODUCING, "竣工投产": pipeline.PRODUCING,
    "已达产": pipeline.AT_CAPACITY,
    "已退库": pipeline.DROPPED,
}
# Words that name more than one stage: the cell is an error asking which.
AMBIGUOUS_STAGES = {"已落地": "签约、开工或投产", "落地": "签约、开工或投产"}

_DATE_FORMS = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
    re.compile(r"([0-9]{4})\.([0-9]{1,2})\.([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
)
_MONTH_FORMS = (
    re.compile(r"([0-9]{4})年([0-9]{1,2})月份?"),
    re.compile(r"([0-9]{4})[.\-/]([0-9]{1,2})"),
)
_MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")
BAD_DATE = ("日期格式无法识别（可用 2026-03-05、2026/3/5、2026.3.5、2026年3月5日，"
            "或只到月份的 2026年3月、2026.3）。")
MONTH_NOTE = "仅到月份，按当月1日"
AMBIGUOUS_MONTH = ("日期「{text}」是数字单元格，Excel 会把 {year}.10 存成 {year}.1，无法区分1月和10月。"
                   "请写成文字「{year}年1月」或「{year}年10月」。")


def fold_word(value):
    """Comparison form of a header or a word: NFKC, spaces removed, 【】 as brackets."""
    if value is None:
        return ""
    return _folded(str(value))


@functools.lru_cache(maxsize=4096)
def _folded(value):
    """fold_word of a text (a sheet repeats its stage and type words on every row)."""
    text = "".join(unicodedata.normalize("NFKC", value).split())
    return text.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")


def unit_label(unit):
    """The unit an amount column is read in: its own, or 万元."""
    return unit or DEFAULT_UNIT


# --- amounts ------------------------------------------------------------------------

def _number_text(value):
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


class Amount(NamedTuple):
    """An amount cell read for the ledger: ``value`` in 万元 for the check (exact, not yet
    rounded; the cell itself when it is no number, so the check names it), ``source``
    the cell as typed with its unit (``12 亿元``), ``unit`` the unit it was read in."""
    value: object
    source: str
    unit: str


def read_amount(value, unit=None):
    """The :class:`Amount` of a cell of a column in ``unit`` (None: 万元). A unit typed in
    the cell (``12亿``, ``3000万元``) wins over the column's. Empty is ``Amount(None, "",
    unit)``. A unit in the cell is read as in every amount field (domain.money.split_unit:
    1.5亿, 3千万, 3000万元)."""
    unit = unit_label(unit)
    if value is None or (isinstance(value, str) and not value.strip()):
        return Amount(None, "", unit)
    text, factor = _number_text(value), UNIT_FACTORS.get(unit)
    if isinstance(value, str):
        try:   # the same reading of a typed unit as every amount field (domain.money)
            typed = money.split_unit(text)
        except ValueError:
            factor = None   # a unit no field takes ("5千"): no number, the check says so
        else:
            if typed.unit:
                text, unit, factor = typed.number, typed.unit, typed.factor
    source = f"{text} {unit}"
    if isinstance(value, bool) or factor is None:
        return Amount(value, source, unit)
    try:
        number = money.parse_decimal(text if isinstance(value, str) else value)
    except ValueError:
        return Amount(value, source, unit)  # no number: the check says so
    return Amount(number * factor, source, unit)


# --- dates --------------------------------------------------------------------------

class DateRead(NamedTuple):
    """A date cell read: ``value`` (a date or None), ``error`` (zh-CN or None) and
    ``month_only`` (only a month was given: the value is its first day)."""
    value: object
    error: str = None
    month_only: bool = False


def _month(year, month, text):
    try:
        return DateRead(datetime.date(int(year), int(month), 1), None, True)
    except ValueError:
        return DateRead(None, f"日期「{text}」不存在。")


def read_date(value):
    """The :class:`DateRead` of a cell: a date cell, text in a common Chinese form, or a
    month only (text ``2026年3月``/``2026.3``/``2026-03``/``2026/3``, or a number cell
    ``2026.3``), which is the first day of that month. Empty is ``DateRead(None)``."""
    if value is None:
        return DateRead(None)
    if isinstance(value, datetime.datetime):
        return DateRead(value.date())
    if isinstance(value, datetime.date):
        return DateRead(value)
    if isinstance(value, float) and not isinstance(value, bool):
        text = repr(value)
        match = re.fullmatch(r"([0-9]{4})\.([0-9]{1,2})", text)
        if match is None:
            return DateRead(None, BAD_DATE)
        if match[2] == "1":
            return DateRead(None, AMBIGUOUS_MONTH.format(text=text, year=match[1]))
        return _month(match[1], match[2], text)
    if not isinstance(value, str):
        return DateRead(None, BAD_DATE)
    text = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", value).strip())
    if not text:
        return DateRead(None)
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return DateRead(datetime.date(*map(int, match.groups())))
            except ValueError:
                return DateRead(None, f"日期「{text}」不存在。")
    for form in _MONTH_FORMS:
        match = form.fullmatch(text)
        if match:
            return _month(match[1], match[2], text)
    return DateRead(None, BAD_DATE)


def parse_date(value):
    """``(date, error)`` of a cell (:func:`read_date`). Empty is ``(None, None)``."""
    read = read_date(value)
    return read.value, read.error


def date_source(value, read):
    """How the preview shows where a date came from: the cell as typed, and the rule for a
    month-only one (``2026年3月（仅到月份，按当月1日）``); "" for a plain date cell."""
    if isinstance(value, (datetime.date, datetime.datetime)) or value in (None, ""):
        return ""
    typed = str(value).strip()
    return f"{typed}（{MONTH_NOTE}）" if read.month_only else typed


# --- stages -------------------------------------------------------------------------

def parse_stage(value):
    """``(stage key, error)`` of a 当前阶段/项目进展 cell; empty is 储备/谋划.

    The stage names, their keys, and the clerk's words (:data:`STAGE_ALIASES`: 在谈,
    洽谈中 → 洽谈; 谋划中 → 储备/谋划; 在建, 开工建设 → 开工; 竣工投产 → 投产; …; a trailing 阶段
    is read past). 已落地 names three stages: an error asks which."""
    text = fold_word(value)
    if not text:
        return pipeline.RESERVE, None
    for word in (text, text[:-2] if text.endswith("阶段") and len(text) > 2 else None):
        if not word:
            continue
        for key, label in pipeline.LABELS.items():
            if word in (label, key) or word == label.replace("/", ""):
                return key, None
        if word in STAGE_ALIASES:
            return STAGE_ALIASES[word], None
        if word in AMBIGUOUS_STAGES:
            return None, (f"阶段「{text}」不明确：指{AMBIGUOUS_STAGES[word]}？"
                          "请改填其中之一（并填写该阶段的日期）。")
    names = "、".join(pipeline.LABELS.values())
    return None, f"阶段「{text}」无效，可填：{names}（或在谈、已签约、在建、已投产等）。"


# --- rows that are not projects -----------------------------------------------------

TOTAL_WORDS = ("合计", "小计", "总计")
_TOTAL = re.compile(r"(合计|小计|总计)(?:$|[:(,、0-9]|共)")
_NOTE = re.compile(r"(?:注[0-9一二三四五六七八九十]*[:、.]|注$|说明(?:$|[:0-9一二三四五六七八九十、.])"
                   r"|(?:填报|审核|填表|制表|审批|统计)(?:人|日期|时间|单位)"
                   r"|备注[:：]|联系电话)")


def _cell_text(value):
    return fold_word(value) if isinstance(value, str) else ""


def skip_reason(cells, *, name=None, seq=None):
    """Why a data row is not a project, or None: ``cells`` are the row's values in column
    order, ``name`` its 项目名称 cell, ``seq`` its 序号 cell.

    A 合计/小计/总计 row (its name, its 序号 or its first non-empty cell says so: ``合计``,
    ``合 计``, ``合计（6个）``), a note row (its first non-empty cell starts with 注：, 说明,
    填报人, 审核人, 填表人, 制表人, 备注：…) and a blank row are skipped, never errors (a =SUM in
    a 合计 row included)."""
    first = next((v for v in cells if v is not None and not (isinstance(v, str)
                                                              and not v.strip())), None)
    if first is None:
        return "空行，已跳过"
    for value in (name, seq, first):
        match = _TOTAL.match(_cell_text(value))
        if match:
            return f"{match[1]}行，已跳过"
    if _NOTE.match(_cell_text(first)):
        return "注释、说明行，已跳过"
    return None


# --- 责任人 --------------------------------------------------------------------------

def match_key(value):
    """Comparison form of a name typed in a cell (a person, a task force, a county): NFKC,
    case-folded, spaces removed."""
    return fold_word(value).casefold()


def _short(display_name):
    """A display name before its bracket: "张专员（精细化工）" -> "张专员"."""
    folded = match_key(display_name)
    cut = folded.find("(")
    return folded[:cut] if cut > 0 else ""


class People:
    """The people a 责任人 cell may name, indexed once for a whole file: each has
    ``username`` and ``display_name``."""

    def __init__(self, people):
        self.exact, self.short = {}, {}
        for person in people:
            for key in dict.fromkeys((match_key(person.username),
                                      match_key(person.display_name))):
                if key:
                    self.exact.setdefault(key, []).append(person)
            short = _short(person.display_name)
            if short:
                self.short.setdefault(short, []).append(person)

    def find(self, given):
        """The people ``given`` names: by the user name or the whole display name first;
        only when none matches, by the display name before its bracket ("张专员" is
        "张专员（精细化工）"). More than one is an ambiguous match the caller asks about."""
        key = match_key(given)
        return list(self.exact.get(key) or self.short.get(key) or ()) if key else []


def match_people(given, people):
    """:meth:`People.find` over ``people``."""
    return People(people).find(given)


def person_label(person):
    """A person as the messages list them: the display name, with the user name after it
    when it differs."""
    shown = person.display_name or person.username
    return shown if shown == person.username else f"{shown}（{person.username}）"
