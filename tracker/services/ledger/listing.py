"""Read side of the project ledger: the filtered/sorted listing and its totals (a project's
timeline: services.ledger.timeline; the .xlsx export: services.ledger.export)."""
import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, Case, fn

from ... import clock
from ...db import backend_name
from ...domain import money, pipeline, text
from ...models import (CapitalIncrease, County, FundReceipt, Project, ProjectYear, StageEvent,
    TaskForce, User)
from . import cursor as cursors
from .. import memo
from ..compiled import CompiledFamily
from .choices import (counties, task_forces)
from ..pagination import Page, seek_condition

# Fixed choices of the ledger's forms.
CAPITAL_TYPES = Project.CAPITAL_TYPES
REGIONS = Project.REGIONS
TAGS = Project.TAGS
SOURCE_LAYERS = FundReceipt.SOURCE_LAYERS

SORT_COLUMNS = {
    "name": lambda: Project.name,
    "planned": lambda: Project.planned_investment,
    "contract": lambda: fn.COALESCE(Project.contract_value, 0),
    "stage": lambda: Case(Project.stage, [(s, i) for i, s in enumerate(pipeline.STAGES)], 99),
    "updated": lambda: Project.updated_at,
    # 最近进展 (the quick filters' order); no cursor: pages go by number
    "progress": lambda: fn.COALESCE(Project.last_progress_on, "1970-01-01"),
}
# The columns of a ledger row (LedgerRow, in this order): what the page, its cursors and
# _attach_* read.
LIST_COLUMNS = (Project.id, Project.name, Project.task_force, Project.county, Project.investor,
                Project.tags, Project.planned_investment, Project.contract_value, Project.stage,
                Project.owner, Project.last_progress_on, Project.updated_at)
# Filters of one plain value each: a page filtered by them (and 本专班) runs compiled
# queries (services.compiled), built once per shape; a search text (q) does not.
SHAPED = ("tf", "stage", "county", "year", "owner")


@dataclass(slots=True)
class LedgerRow:
    """One row of the ledger page: LIST_COLUMNS read as tuples (no model per row), and
    what ledger_page puts on it: task force and county (the choices), 责任人, 到位资金."""
    id: int
    name: str
    task_force_id: int
    county_id: int
    investor: str
    tags: str
    planned_investment: Decimal
    contract_value: Decimal
    stage: str
    owner_id: int
    last_progress_on: datetime.date
    updated_at: datetime.datetime
    task_force: object = None
    county: object = None
    owner_name: str = ""
    funds_total: Decimal = None

    tag_list = property(Project.tag_list.fget)


def _list_rows(query):
    return [LedgerRow(*row) for row in query.tuples()]


def year_condition(year):
    """Projects with any counted activity, first-reached date or creation in ``year``.
    The ledger's 年度 filter reads the same set from the maintained ``project_year``
    rows (services.figures.years, kept equal to this by every write); this is the
    reference (tests/services/test_project_years.py) and bench/bench_pages.py's raw SQL."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    cond = Project.created_at.between(
        clock.local_midnight_utc(start), clock.local_midnight_utc(end + datetime.timedelta(days=1)))
    for field in pipeline.FIRST_REACHED_FIELD.values():
        cond |= getattr(Project, field).between(start, end)
    # Same meaning, two spellings (bench/bench_pages.py, 100,000 projects): SQLite
    # builds an IN list from every event of the year before it looks at a row,
    # while a correlated EXISTS (index on project id) runs only for the rows the
    # columns above did not match: 2-20x faster there. PostgreSQL turns IN into
    # one hash per subquery but runs OR-ed EXISTS row by row (2-3x slower).
    correlated = backend_name() == "sqlite"
    for model, day in ((StageEvent, StageEvent.occurred_on),
                       (FundReceipt, FundReceipt.received_on),
                       (CapitalIncrease, CapitalIncrease.occurred_on)):
        if correlated:
            cond |= fn.EXISTS(model.select(model.id).where(
                (model.project == Project.id) & day.between(start, end) & model.counted()))
        else:
            cond |= Project.id.in_(model.select(model.project).where(
                day.between(start, end) & model.counted()))
    return cond


def _in_year(query, year, join=False):
    """year_condition from the maintained project_year rows (UNIQUE (year, project): a
    join adds no duplicates). The totals join (one index range, then each project by
    key: 24 ms instead of 45-60 ms for 90,000 of 100,000 projects on SQLite); the rows
    use a correlated EXISTS on SQLite (the default order then reads 25 index entries
    instead of sorting every match), IN elsewhere."""
    if join:
        return query.join(ProjectYear, on=(ProjectYear.project == Project.id)
                          & (ProjectYear.year == year))
    years = ProjectYear.select(ProjectYear.project).where(ProjectYear.year == year)
    if backend_name() == "sqlite":
        return query.where(fn.EXISTS(years.where(ProjectYear.project == Project.id)))
    return query.where(Project.id.in_(years))


def _where(query, filters, join_year=False):
    # contains() is case-insensitive and escapes LIKE wildcards; the typed text and its NFKC
    # form (domain.text.search_terms): stored names keep full-width punctuation as typed.
    found = None
    for term in text.search_terms(filters.get("q")):
        cond = Project.name.contains(term) | Project.investor.contains(term)
        found = cond if found is None else found | cond
    if found is not None:
        query = query.where(found)
    if filters.get("tf"):
        query = query.where(Project.task_force == filters["tf"])
    if filters.get("stage"):
        query = query.where(Project.stage == filters["stage"])
    if filters.get("county"):
        query = query.where(Project.county == filters["county"])
    if filters.get("year"):
        query = _in_year(query, filters["year"], join_year)
    if filters.get("teams") is not None:      # 本专班: the user's own task forces
        query = query.where(Project.task_force.in_(list(filters["teams"]) or [0]))
    if filters.get("owner"):                  # 我负责的: owner is the user
        query = query.where(Project.owner == filters["owner"])
    return query


def _sort(filters):
    """(sort name, sort key expression, descending) of ``filters``."""
    name = filters.get("sort") if filters.get("sort") in SORT_COLUMNS else "updated"
    return name, SORT_COLUMNS[name](), filters.get("dir") != "asc"


def filtered(filters):
    """Projects (with task force and county joined) matching ``filters``:
    q, tf, stage, county, year, sort, dir (missing/None = no filter)."""
    query = _where(Project.select(Project, TaskForce, County)
                   .join(TaskForce)
                   .switch(Project).join(County, JOIN.LEFT_OUTER), filters)
    _name, column, descending = _sort(filters)
    # tie-breaker "id + 0": with a plain id term SQLite scans the projects through
    # the task-force index to sort them (random reads, ~5x slower on a big ledger)
    tie = Project.id + 0
    return query.order_by(*((column.desc(), tie.desc()) if descending
                            else (column.asc(), tie.asc())))


def ledger_page(filters, page, per_page, cursor=None, teams=None, counties_=None):
    """One page of the filtered ledger and the totals of every matching project.

    ``cursor`` ("after" | "before", token from a previous page's next/prev cursor) seeks
    from that row instead of skipping ``(page - 1) * per_page`` rows; ``page`` is then
    only the number shown. ``teams`` / ``counties_``: the filter choices the caller
    already loaded; their names are put on the rows (no join)."""
    shape = _shape(filters)
    query = _where(Project.select(*LIST_COLUMNS), filters)
    summary = _summary(filters, shape)
    total = summary["count"]
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = _seek(query, filters, cursor, per_page) if cursor and total else None
    if rows == []:
        rows = None                     # past the end (or a stale cursor): by number
    elif rows is not None and cursor[0] == "before" and len(rows) < per_page:
        rows, page = None, 1            # ran into the start: that is the first page
    if rows is None:
        rows = _numbered_rows(query, filters, shape, page, per_page) if total else []
    _attach_names(rows, teams, counties_)
    _attach_owners_and_funds(rows)
    sort = _sort(filters)[0]
    return Page(rows=rows, page=page, pages=pages, total=total, per_page=per_page,
                next_cursor=cursors.token(rows[-1], sort) if rows and page < pages else None,
                prev_cursor=cursors.token(rows[0], sort) if rows and page > 1 else None), summary


def _numbered_rows(query, filters, shape, page, per_page):
    """Rows of ``page`` by number: page 1 of a shaped filter by its compiled query."""
    if page == 1 and shape is not None:
        sort, _column, descending = _sort(filters)
        return [LedgerRow(*row) for row in
                _FIRST_PAGE[(shape[0], sort, descending)].run(*shape[1], per_page)]
    return _offset_rows(query, filters, page, per_page)


def _shape(filters):
    """(names, values) of ``filters`` for a compiled query (values in the order of the
    names, 本专班's ids as ("teams", count)), or None when they hold a search text."""
    if (filters.get("q") or "").strip():
        return None
    names, values = [], []
    for name in SHAPED:
        if filters.get(name):
            names.append(name)
            values.append(str(filters[name]) if name == "stage" else int(filters[name]))
    if filters.get("teams") is not None:
        ids = sorted(int(i) for i in filters["teams"]) or [0]
        names.append(("teams", len(ids)))
        values.extend(ids)
    return tuple(names), values


def _marked(names, marks):
    """The filters of ``names`` (a shape) with ``marks`` in place of their values."""
    marks, out = iter(marks), {}
    for name in names:
        if isinstance(name, tuple):
            out["teams"] = [next(marks) for _ in range(name[1])]
        else:
            out[name] = next(marks)
    return out


def _arity(names):
    return sum(name[1] if isinstance(name, tuple) else 1 for name in names)


def _first_page_query(key, *marks):
    names, sort, descending = key
    filters = dict(_marked(names, marks[:-1]), sort=sort, dir="desc" if descending else "asc")
    return (_where(Project.select(*LIST_COLUMNS), filters).order_by(*_order(filters))
            .limit(marks[-1]).tuples())


# Page 1 by (shape names, sort, descending), values + page size; totals by shape names.
_FIRST_PAGE = CompiledFamily(_first_page_query, lambda key: _arity(key[0]) + 1)
_TOTALS = CompiledFamily(lambda names, *marks: _totals_select(
    _where(Project.select(), _marked(names, marks), join_year=True)), _arity)


def _order(filters, reverse=False):
    _name, column, descending = _sort(filters)
    descending = descending != reverse
    return (column.desc(), Project.id.desc()) if descending else (column.asc(), Project.id.asc())


def _offset_rows(query, filters, page, per_page):
    """Rows of ``page`` by OFFSET. Past the first page the skipping runs on the ids alone
    (an index-only scan for an indexed sort), then one lookup by primary key."""
    order = _order(filters)
    if page == 1:
        return _list_rows(query.order_by(*order).limit(per_page))
    ids = [i for i, in query.select(Project.id).order_by(*order).limit(per_page)
           .offset((page - 1) * per_page).tuples()]
    by_id = {p.id: p for p in _list_rows(Project.select(*LIST_COLUMNS)
                                         .where(Project.id.in_(ids)))} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def _seek(query, filters, cursor, per_page):
    """Rows after/before the cursor (None when the token is not valid for this sort)."""
    direction, token = cursor
    sort, column, descending = _sort(filters)
    parsed = cursors.parse(token, sort)
    if parsed is None:
        return None
    ident, value = parsed
    forward = direction == "after"
    rows = _list_rows(query.where(seek_condition(column, Project.id, value, ident, descending,
                                                 forward))
                      .order_by(*_order(filters, reverse=not forward)).limit(per_page))
    return rows if forward else rows[::-1]


def _attach_names(rows, teams, counties_):
    """Task force and county of each row from the already loaded choices (no join)."""
    teams = {t.id: t for t in (task_forces() if teams is None else teams)}
    places = {c.id: c for c in (counties() if counties_ is None else counties_)}
    for row in rows:
        if row.task_force_id in teams:
            row.task_force = teams[row.task_force_id]
        if row.county_id in places:
            row.county = places[row.county_id]


_OWNERS = CompiledFamily(lambda n, *ids: User.select(User.id, User.username, User.display_name)
                         .where(User.id.in_(list(ids))), lambda n: n)
_FUNDS = CompiledFamily(lambda n, *ids: FundReceipt.select(
    FundReceipt.project, fn.SUM(FundReceipt.amount))
    .where(FundReceipt.voided_at.is_null() & FundReceipt.project.in_(list(ids)))
    .group_by(FundReceipt.project).tuples(), lambda n: n)


def _attach_owners_and_funds(rows):
    """责任人 and 到位资金合计 (non-void receipts) of the page's rows: one query each."""
    ids = [row.id for row in rows]
    owner_ids = sorted({row.owner_id for row in rows if row.owner_id})
    users = {u.id: u for u in _OWNERS[len(owner_ids)].run(*owner_ids)} if owner_ids else {}
    sums = dict(_FUNDS[len(ids)].run(*ids)) if ids else {}
    for row in rows:
        row.owner_name = str(users[row.owner_id]) if row.owner_id in users else ""
        row.funds_total = money.to_decimal(sums.get(row.id) or 0)


def _summary(filters, shape):
    """Totals of the projects matching ``filters``. Those of a compiled shape (every filter
    but a search text) are remembered per data version (services.memo): every write of a
    project moves the version in its own transaction (save_locked, figures.settle), so a
    total is never older than the last committed write, in any process."""
    if shape is None:
        return _totals(filters, shape)
    return dict(memo.remembered("ledger-totals", (shape[0], tuple(shape[1])),
                                lambda: _totals(filters, shape), small=True))


def _totals(filters, shape):
    if shape is None:
        return totals(_where(Project.select(), filters, join_year=True))
    return _totals_of(_TOTALS[shape[0]].first(*shape[1]))


def _totals_select(query):
    return (query.clone().order_by().select(
        fn.COUNT(Project.id), fn.SUM(Project.planned_investment),
        fn.SUM(Project.contract_value)).tuples())


def _totals_of(row):
    return {"count": row[0] or 0, "planned": money.to_decimal(row[1]),
            "contract": money.to_decimal(row[2])}


def totals(query):
    """Count and 万元 sums of a filtered project query."""
    return _totals_of(_totals_select(query).get())
