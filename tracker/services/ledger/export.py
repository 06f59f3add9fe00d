"""The .xlsx export of a filtered project ledger (台账): a title row with the filters and
the export time, the header with an auto-filter, one numbered row per project with every
ledger column, its 责任人 and its 到位资金合计 (non-void receipts, one grouped query).

The cell rules (formula-safe text, typed numbers and dates) and the layout are
services.xlsx's: the rows stream from the query into a write-only sheet (linear time, one
chunk of rows in memory; bench/bench_export.py).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from ... import clock
from ...domain import money, periods, pipeline
from ...domain.errors import ValidationError
from ...models import County, FundReceipt, Project, TaskForce, User
from . import listing
from .. import xlsx
from ..xlsx import XlsxFile, workbook_bytes


@dataclass(slots=True)
class ExportRow:
    """One project as the export reads it: ROW_FIELDS as a tuple (no model per project),
    then the names of its task force, county and 责任人 and its 到位资金合计."""
    id: int
    name: str
    task_force_id: int
    county_id: int
    investor: str
    investor_region: str
    capital_type: str
    industry: str
    tags: str
    planned_investment: Decimal
    contract_value: Decimal
    signing_grade: str
    stage: str
    expected_sign_date: datetime.date
    owner_id: int
    packaged_on: datetime.date
    negotiating_on: datetime.date
    signed_on: datetime.date
    started_on: datetime.date
    producing_on: datetime.date
    at_capacity_on: datetime.date
    last_progress_on: datetime.date
    drop_reason: str
    contact: str
    next_step: str
    problems: str
    task_force_name: str = ""
    county_name: str = ""
    owner_name: str = ""
    funds_total: Decimal = None

    tag_list = property(Project.tag_list.fget)


ROW_FIELDS = tuple(getattr(Project, name) for name in (
    "id", "name", "task_force", "county", "investor", "investor_region", "capital_type",
    "industry", "tags", "planned_investment", "contract_value", "signing_grade", "stage",
    "expected_sign_date", "owner", "packaged_on", "negotiating_on", "signed_on", "started_on",
    "producing_on", "at_capacity_on", "last_progress_on", "drop_reason", "contact",
    "next_step", "problems"))


def _amount(value):
    return None if value is None else float(value)


# (title, value of an ExportRow, number format)
EXPORT_COLUMNS = (
    ("项目名称", lambda p: p.name, None),
    ("所属专班", lambda p: p.task_force_name, None),
    ("区县/开发区", lambda p: p.county_name, None),
    ("投资方", lambda p: p.investor, None),
    ("投资方来源地", lambda p: p.investor_region, None),
    ("内外资", lambda p: Project.CAPITAL_TYPES.get(p.capital_type, p.capital_type), None),
    ("产业", lambda p: p.industry, None),
    ("企业标签", lambda p: "、".join(p.tag_list), None),
    ("计划投资额（万元）", lambda p: float(p.planned_investment or 0), xlsx.MONEY),
    ("签约额（万元）", lambda p: _amount(p.contract_value), xlsx.MONEY),
    ("签约等级", lambda p: pipeline.SIGNING_GRADES.get(p.signing_grade or "", ""), None),
    ("当前阶段", lambda p: pipeline.label(p.stage), None),
    ("预计签约日期", lambda p: p.expected_sign_date, xlsx.DATE),
    ("责任人", lambda p: p.owner_name, None),
    ("到位资金合计（万元）", lambda p: _amount(p.funds_total), xlsx.MONEY),
    ("策划包装日期", lambda p: p.packaged_on, xlsx.DATE),
    ("洽谈日期", lambda p: p.negotiating_on, xlsx.DATE),
    ("签约日期", lambda p: p.signed_on, xlsx.DATE),
    ("开工日期", lambda p: p.started_on, xlsx.DATE),
    ("投产日期", lambda p: p.producing_on, xlsx.DATE),
    ("达产日期", lambda p: p.at_capacity_on, xlsx.DATE),
    ("最近进展日期", lambda p: p.last_progress_on, xlsx.DATE),
    ("退库原因", lambda p: p.drop_reason, None),
    ("联系人", lambda p: p.contact, None),
    ("下一步工作", lambda p: p.next_step, None),
    ("存在问题", lambda p: p.problems, None),
)
HEADER = ("序号",) + tuple(title for title, _, _ in EXPORT_COLUMNS)
FORMATS = {i: fmt for i, (_, _, fmt) in enumerate(EXPORT_COLUMNS, start=2) if fmt}


def funds_totals(query):
    """{project id: 到位资金合计 (万元)} of the projects of ``query``: every receipt that is
    not void, in one grouped query."""
    ids = query.clone().order_by().select(Project.id)
    rows = (FundReceipt.select(FundReceipt.project, fn.SUM(FundReceipt.amount))
            .where(FundReceipt.voided_at.is_null() & FundReceipt.project.in_(ids))
            .group_by(FundReceipt.project).tuples())
    return {project_id: money.to_decimal(total) for project_id, total in rows}


class _Names(dict):
    """{id: name} of a small table read once; a row added since is read when asked for."""

    def __init__(self, model, rows, name):
        super().__init__((row.id, name(row)) for row in rows)
        self.model, self.name = model, name

    def __missing__(self, row_id):
        row = self.model.get_or_none(self.model.id == row_id)
        self[row_id] = self.name(row) if row else ""
        return self[row_id]


def _owners(query):
    ids = query.clone().order_by().select(Project.owner)
    return _Names(User, User.select().where(User.id.in_(ids)), str)


def export_xlsx(query, title="招商项目台账"):
    """The projects of ``query`` as an .xlsx workbook (bytes), under a ``title`` row."""
    book, _count = _ledger_book(query, title)
    return workbook_bytes(book)


def _rows(query):
    """The numbered rows of ``query``'s projects, streamed: one tuple per project (no list
    of every project), the names from one read of each small table."""
    funds = funds_totals(query)
    teams = _Names(TaskForce, TaskForce.select(), lambda t: t.name)
    counties = _Names(County, County.select(), lambda c: c.name)
    owners = _owners(query)
    zero = money.to_decimal(0)
    getters = [get for _, get, _ in EXPORT_COLUMNS]
    for number, values in enumerate(query.clone().select(*ROW_FIELDS).tuples().iterator(),
                                    start=1):
        project = ExportRow(*values)
        project.task_force_name = teams[project.task_force_id]
        if project.county_id:
            project.county_name = counties[project.county_id]
        if project.owner_id:
            project.owner_name = owners[project.owner_id]
        project.funds_total = funds.get(project.id, zero)
        yield [number] + [get(project) for get in getters]


def _ledger_book(query, title):
    book = xlsx.new_book()
    count = xlsx.write_table(book, "项目台账", title, HEADER, _rows(query), FORMATS,
                             freeze="C3")
    return book, count


# --- title, file name, filters ----------------------------------------------------------

def _named(model, row_id):
    """The row of ``model`` with ``row_id`` (None without one)."""
    return model.get_or_none(model.id == row_id) if row_id else None


def describe_filters(filters):
    """zh-CN text of the filters applied ("全部" where none)."""
    team = _named(TaskForce, filters.get("tf"))
    county = _named(County, filters.get("county"))
    parts = [
        f"专班：{team.name if team else '全部'}",
        f"阶段：{pipeline.label(filters['stage']) if filters.get('stage') else '全部'}",
        f"区县/开发区：{county.name if county else '全部'}",
        f"年度：{str(filters['year']) + '年' if filters.get('year') else '全部'}",
    ]
    if (filters.get("q") or "").strip():
        parts.append(f"关键词：{filters['q'].strip()}")
    return "；".join(parts)


def _team_short_name(team):
    name = team.name
    return name[:-2] if name.endswith("专班") and len(name) > 2 else name


def export_ledger(filters, now=None):
    """The filtered ledger as an :class:`XlsxFile`, named like
    ``招商项目台账_精细化工_20261128.xlsx`` (the task force when filtered to one, else 全部)."""
    now = (now or clock.now()).astimezone(clock.zone())
    title = f"招商项目台账（{describe_filters(filters)}）　导出时间：{xlsx.export_time(now)}"
    book, count = _ledger_book(listing.filtered(filters), title)
    team = _named(TaskForce, filters.get("tf"))
    day = now.strftime("%Y%m%d")
    name = xlsx.file_part(_team_short_name(team)) if team else "全部"
    code = xlsx.ascii_part(team.code) if team else "all"
    return XlsxFile(workbook_bytes(book), f"招商项目台账_{name}_{day}.xlsx",
                    f"project-ledger_{code}_{day}.xlsx", count)


def cli_filters(task_force=None, stage=None, year=None):
    """Ledger filters from command-line values (a task-force code, a stage key or zh-CN
    name, a year); ValidationError naming the bad option."""
    filters = {"sort": "name", "dir": "asc"}
    if task_force:
        team = TaskForce.get_or_none(TaskForce.code == task_force.strip())
        if team is None:
            raise ValidationError({"task_force": f"没有编号为 {task_force[:32]} 的专班。"})
        filters["tf"] = team.id
    if stage:
        by_label = {pipeline.label(s): s for s in pipeline.STAGES}
        key = stage if stage in pipeline.STAGES else by_label.get(stage.strip())
        if key is None:
            raise ValidationError({"stage": f"阶段无效：{stage[:32]}（可选："
                                            f"{'、'.join(pipeline.STAGES)}）。"})
        filters["stage"] = key
    if year is not None:
        filters["year"] = periods.check_year(year, "year")
    return filters
