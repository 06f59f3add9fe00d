"""The .xlsx export of a filtered project ledger (台账): a title row with the filters and
the export time, the header with an auto-filter, one numbered row per project with every
ledger column, its 责任人 and its 到位资金合计 (non-void receipts, one grouped query).

The cell rules (formula-safe text, typed numbers and dates) and the layout are
services.xlsx's: the rows stream from the query into a write-only sheet (linear time, one
chunk of rows in memory; bench/bench_export.py). On PostgreSQL and MySQL the driver would
buffer a query's whole result: the rows are read through a server-side cursor instead
(:func:`streamed`), STREAM_CHUNK at a time, in one REPEATABLE READ snapshot with the
names read before them. The 到位资金合计 is a correlated sum in the same query (no map of
every project). A large export of the page is written by an export job
(services.exports.jobs) with the same :func:`write_ledger`.
"""

import contextlib
import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from ... import clock
from ...db import backend_name, database
from ...domain import money, periods, pipeline
from ...domain.errors import ValidationError
from ...models import County, FundReceipt, Project, TaskForce, User
from . import listing
from .. import tx, xlsx
from ..xlsx import XlsxFile, workbook_bytes

STREAM_CHUNK = 2000   # rows fetched at a time through a server-side cursor


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


class _Chunked:
    """A server-side cursor read ``size`` rows at a time, as peewee's result wrapper reads
    a cursor (fetchone, description): one round trip per chunk, not per row."""

    def __init__(self, cursor, size):
        self.cursor, self.size, self.rows = cursor, size, iter(())

    @property
    def description(self):
        return self.cursor.description

    def fetchone(self):
        row = next(self.rows, None)
        if row is None:
            self.rows = iter(self.cursor.fetchmany(self.size))
            row = next(self.rows, None)
        return row

    def close(self):
        """Once every row is read (peewee's wrapper calls it): the cursor closes."""
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None


def server_cursor(connection, backend):
    """A cursor that leaves the result on the server: psycopg2's named cursor (``WITH HOLD``:
    psycopg2 refuses a plain one on an autocommit connection; closed before the snapshot
    ends, nothing is kept past it) or pymysql's unbuffered SSCursor."""
    if backend == "postgresql":
        return connection.cursor(name=f"export_{uuid.uuid4().hex}", withhold=True)
    from pymysql.cursors import SSCursor
    return connection.cursor(SSCursor)


def streamed(query, chunk=STREAM_CHUNK):
    """The rows of ``query`` (as its ``.tuples()`` etc. give them), streamed: SQLite steps
    through them anyway; PostgreSQL and MySQL read them through :func:`server_cursor`,
    ``chunk`` at a time. Inside :func:`snapshot` there (no other query on the connection
    until the rows are read, on MySQL)."""
    backend = backend_name()
    if backend == "sqlite":
        yield from query.iterator()
        return
    chunked = _Chunked(server_cursor(database.connection(), backend), chunk)
    try:
        chunked.cursor.execute(*query.sql())
        yield from query._get_cursor_wrapper(chunked).iterator()
    finally:
        chunked.close()


def snapshot():
    """One consistent read for the whole export on PostgreSQL/MySQL (tx.snapshot); none on
    SQLite, where a transaction would take the write lock (one SELECT reads one snapshot)."""
    return contextlib.nullcontext() if backend_name() == "sqlite" else tx.snapshot()


def _funds_column():
    """到位资金合计 of the row's project: its receipts that are not void (a correlated sum)."""
    receipt = FundReceipt.alias()
    return (receipt.select(fn.SUM(receipt.amount))
            .where((receipt.project == Project.id) & receipt.voided_at.is_null()))


def _rows(query):
    """The numbered rows of ``query``'s projects, streamed (:func:`streamed`): one tuple
    per project, the names from one read of each small table made before."""
    teams = _Names(TaskForce, TaskForce.select(), lambda t: t.name)
    counties = _Names(County, County.select(), lambda c: c.name)
    owners = _owners(query)
    zero = money.to_decimal(0)
    getters = [get for _, get, _ in EXPORT_COLUMNS]
    rows = query.clone().select(*ROW_FIELDS, _funds_column()).tuples()
    with contextlib.closing(streamed(rows)) as stream:
        for number, values in enumerate(stream, start=1):
            project = ExportRow(*values[:-1])
            project.task_force_name = teams[project.task_force_id]
            if project.county_id:
                project.county_name = counties[project.county_id]
            if project.owner_id:
                project.owner_name = owners[project.owner_id]
            project.funds_total = zero if values[-1] is None else money.to_decimal(values[-1])
            yield [number] + [get(project) for get in getters]


def _ledger_book(query, title, progress=None):
    book, rows = xlsx.new_book(), _rows(query)
    with snapshot(), contextlib.closing(rows):   # the cursor closed before the snapshot ends
        count = xlsx.write_table(book, "项目台账", title, HEADER, rows, FORMATS,
                                 freeze="C3", progress=progress)
    return book, count


# --- title, file name, filters ----------------------------------------------------------

def _named(model, row_id):
    """The row of ``model`` with ``row_id`` (None without one)."""
    return model.get_or_none(model.id == row_id) if row_id else None


def _scope_teams(filters):
    """The task forces an export holds: the one filtered to (``tf``), else those of 本专班
    (``teams``, the user's own), else None (every task force)."""
    if filters.get("tf"):
        team = _named(TaskForce, filters["tf"])
        return [team] if team else None
    if filters.get("teams") is not None:
        ids = sorted(set(filters["teams"])) or [0]
        return list(TaskForce.select().where(TaskForce.id.in_(ids)).order_by(TaskForce.code))
    return None


def describe_filters(filters):
    """zh-CN text of the filters applied ("全部" where none; 本专班 names its task forces)."""
    teams = _scope_teams(filters)
    county = _named(County, filters.get("county"))
    parts = [
        f"专班：{'全部' if teams is None else '、'.join(t.name for t in teams) or '无'}",
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


def ledger_count(filters):
    """How many projects the export of ``filters`` holds."""
    return listing.filtered(filters).order_by().count()


def file_names(filters, now=None):
    """(zh-CN name, ASCII name) of the export of ``filters`` on ``now``'s day, like
    ``招商项目台账_精细化工_20261128.xlsx``: named after its scope, the task force when it holds
    one (filtered to it, or 本专班 of a one-team user), 本专班 for several, else 全部."""
    now = (now or clock.now()).astimezone(clock.zone())
    teams = _scope_teams(filters)
    day = now.strftime("%Y%m%d")
    if teams is None:
        name, code = "全部", "all"
    elif len(teams) == 1:
        name, code = xlsx.file_part(_team_short_name(teams[0])), xlsx.ascii_part(teams[0].code)
    else:
        name, code = "本专班", "own-teams"
    return f"招商项目台账_{name}_{day}.xlsx", f"project-ledger_{code}_{day}.xlsx"


def write_ledger(filters, now=None, progress=None):
    """(write-only workbook, rows) of the filtered ledger under its title row (filters and
    export time); ``progress``: see xlsx.write_table."""
    now = (now or clock.now()).astimezone(clock.zone())
    title = f"招商项目台账（{describe_filters(filters)}）　导出时间：{xlsx.export_time(now)}"
    return _ledger_book(listing.filtered(filters), title, progress)


def export_ledger(filters, now=None):
    """The filtered ledger as an :class:`XlsxFile` (:func:`file_names`)."""
    book, count = write_ledger(filters, now)
    return XlsxFile(workbook_bytes(book), *file_names(filters, now), count)


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
