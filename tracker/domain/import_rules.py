"""Pure rules of the Excel import (issue "Excel in and out"): the columns (the export's,
by title), dates typed the ways Chinese ledgers type them, and the zh-CN names of stages,
内资/外资 and signing grades. No I/O: the services read the workbook and the database."""
import datetime
import re
import unicodedata

from . import pipeline

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
DATE_KEYS = tuple(pipeline.FIRST_REACHED_FIELD.values()) + ("last_progress_on",)
STAGE_OF_DATE = {field: stage for stage, field in pipeline.FIRST_REACHED_FIELD.items()}
REQUIRED = ("name", "planned_investment")
IGNORED = frozenset(("序号", "到位资金合计(万元)", "到位资金合计"))
HEADER_ROWS = 5  # the header is the first of these rows holding 项目名称 (title rows above)

STAGE_ALIASES = {"储备": pipeline.RESERVE, "谋划": pipeline.RESERVE, "包装": pipeline.PACKAGED,
                 "策划": pipeline.PACKAGED, "已签约": pipeline.SIGNED, "已开工": pipeline.STARTED,
                 "已投产": pipeline.PRODUCING, "已达产": pipeline.AT_CAPACITY}
CAPITAL_TYPES = {"内资": "domestic", "外资": "foreign"}
TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")

_DATE_FORMS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")
BAD_DATE = "日期格式无法识别（可用 2026-03-05、2026/3/5、2026.3.5 或 2026年3月5日）。"


def header_key(title):
    """The field key of a header cell (NFKC, spaces ignored), or None."""
    if title is None:
        return None
    folded = "".join(unicodedata.normalize("NFKC", str(title)).split())
    return _HEADERS.get(folded)


_HEADERS = {"".join(unicodedata.normalize("NFKC", t).split()): k for t, k in COLUMNS}
_HEADERS.update({"专班": "task_force", "专班代码": "task_force", "阶段": "stage",
                 "区县": "county", "计划投资额": "planned_investment", "签约额": "contract_value",
                 "来源地区": "investor_region"})


def is_ignored(title):
    """A column of the export that is read past (序号, 到位资金合计)."""
    return "".join(unicodedata.normalize("NFKC", str(title)).split()) in IGNORED


def parse_date(value):
    """``(date, error)`` of a cell: a date cell, or text in a common Chinese form.
    Empty is ``(None, None)``."""
    if value is None:
        return None, None
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    if not isinstance(value, str):
        return None, BAD_DATE
    text = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", value).strip())
    if not text:
        return None, None
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return datetime.date(*map(int, match.groups())), None
            except ValueError:
                return None, f"日期「{text}」不存在。"
    return None, BAD_DATE


def _folded(value):
    return "".join(unicodedata.normalize("NFKC", str(value)).split()) if value is not None else ""


def parse_stage(value):
    """``(stage key, error)``; empty is 储备/谋划."""
    text = _folded(value)
    if not text:
        return pipeline.RESERVE, None
    for key, label in pipeline.LABELS.items():
        if text in (label, key) or text == label.replace("/", ""):
            return key, None
    if text in STAGE_ALIASES:
        return STAGE_ALIASES[text], None
    names = "、".join(pipeline.LABELS.values())
    return None, f"阶段「{text}」无效，可填：{names}。"


def parse_capital_type(value):
    text = _folded(value)
    if not text:
        return "domestic", None
    if text in CAPITAL_TYPES:
        return CAPITAL_TYPES[text], None
    if text in CAPITAL_TYPES.values():
        return text, None
    return None, f"内外资「{text}」无效，只能填内资或外资。"


def parse_signing_grade(value):
    text = _folded(value)
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
