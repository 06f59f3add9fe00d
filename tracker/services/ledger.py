"""Read side of the project ledger: filtered/sorted listing, a project's merged
timeline and money totals (the .xlsx export is services.ledger_export)."""
import datetime

from peewee import JOIN, Case, fn

from .. import clock
from ..db import backend_name
from ..domain import money, pipeline
from ..models import (
    CapitalIncrease, County, FundReceipt, Membership, Project, StageEvent, TaskForce, User,
)
from . import project_amounts
from .pagination import paginate

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
}


def _local_midnight_utc(day):
    """Naive-UTC datetime of local midnight at the start of ``day``."""
    local = datetime.datetime.combine(day, datetime.time(), tzinfo=clock.zone())
    return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def year_condition(year):
    """Projects with any activity, first-reached date or creation in ``year``."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    cond = Project.created_at.between(
        _local_midnight_utc(start), _local_midnight_utc(end + datetime.timedelta(days=1)))
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
                (model.project == Project.id) & day.between(start, end)))
        else:
            cond |= Project.id.in_(model.select(model.project).where(day.between(start, end)))
    return cond


def filtered(filters):
    """Projects (with task force and county joined) matching ``filters``:
    q, tf, stage, county, year, sort, dir (missing/None = no filter)."""
    query = (Project.select(Project, TaskForce, County)
             .join(TaskForce)
             .switch(Project).join(County, JOIN.LEFT_OUTER))
    q = (filters.get("q") or "").strip()
    if q:  # contains() is case-insensitive and escapes LIKE wildcards
        query = query.where(Project.name.contains(q) | Project.investor.contains(q))
    if filters.get("tf"):
        query = query.where(Project.task_force == filters["tf"])
    if filters.get("stage"):
        query = query.where(Project.stage == filters["stage"])
    if filters.get("county"):
        query = query.where(Project.county == filters["county"])
    if filters.get("year"):
        query = query.where(year_condition(filters["year"]))
    column = SORT_COLUMNS.get(filters.get("sort") or "updated", SORT_COLUMNS["updated"])()
    direction = "asc" if filters.get("dir") == "asc" else "desc"
    order = column.asc() if direction == "asc" else column.desc()
    # tie-breaker "id + 0": with a plain id term SQLite scans the projects through
    # the task-force index to sort them (random reads, ~5x slower on a big ledger)
    tie = Project.id + 0
    id_order = tie.asc() if direction == "asc" else tie.desc()
    return query.order_by(order, id_order)


def task_forces():
    """Every task force, by code (filter choices)."""
    return list(TaskForce.select(TaskForce.id, TaskForce.code, TaskForce.name)
                .order_by(TaskForce.code))


def counties(active_only=False):
    query = County.select(County.id, County.code, County.name).order_by(County.code)
    return list(query.where(County.active == True) if active_only else query)  # noqa: E712


def owners():
    """Active users a project may be assigned to (责任人)."""
    return list(User.select().where(User.active == True).order_by(User.username))  # noqa: E712


def editable_teams(user, include_id=None):
    """Active task forces ``user`` may put projects in (plus the one ``include_id`` names,
    a project's current team even when it is inactive now)."""
    query = TaskForce.select().where(TaskForce.active == True)  # noqa: E712
    if not user.sees_all:
        query = query.where(TaskForce.id.in_(
            Membership.select(Membership.task_force).where(Membership.user == user.id)))
    teams = list(query.order_by(TaskForce.code))
    if include_id is not None and include_id not in {t.id for t in teams}:
        extra = TaskForce.get_or_none(TaskForce.id == include_id)
        if extra is not None:
            teams.insert(0, extra)
    return teams


def ledger_page(filters, page, per_page):
    """One page of the filtered ledger and the totals of every matching project."""
    query = filtered(filters)
    summary = totals(query)
    return paginate(query, page, per_page, total=summary["count"]), summary


def totals(query):
    """Count and 万元 sums of a filtered project query."""
    base = query.clone().order_by()
    row = (Project.select(fn.COUNT(Project.id), fn.SUM(Project.planned_investment),
                          fn.SUM(Project.contract_value))
           .where(Project.id.in_(base.select(Project.id))).tuples().get())
    return {"count": row[0] or 0, "planned": money.to_decimal(row[1]),
            "contract": money.to_decimal(row[2])}


def _void_info(row, users):
    """Who voided ``row``, when and why (all None/"" when it counts)."""
    return {"id": row.id, "voided": row.voided, "voided_at": row.voided_at,
            "voided_by": users.get(row.voided_by_id), "void_reason": row.void_reason}


def _stage_title(e):
    if e.from_stage is None:
        return f"录入项目，阶段「{pipeline.label(e.stage)}」"
    return f"{pipeline.label(e.from_stage)} → {pipeline.label(e.stage)}"


def _amount_title(c):
    def show(value):
        return "（空）" if value is None else f"{money.fmt_wan(value)} 万元"
    effect = f"，自 {c.effective_on.isoformat()} 起" if c.effective_on else "，各日期均按新值"
    return f"{c.field_label}{c.kind_label}：{show(c.old_value)} → {show(c.new_value)}{effect}"


def timeline(project):
    """Stage events, capital increases, fund receipts and amount changes (更正/变更),
    merged by date (newest first). Voided rows stay, marked ``voided`` with who/when/why."""
    rows = {kind: list(model.select(model, User).join(User, JOIN.LEFT_OUTER)
                       .where(model.project == project))
            for kind, model in (("stage", StageEvent), ("increase", CapitalIncrease),
                                ("funds", FundReceipt))}
    voiders = {r.voided_by_id for kind_rows in rows.values() for r in kind_rows if r.voided_by_id}
    users = {u.id: u for u in User.select().where(User.id.in_(list(voiders)))} if voiders else {}
    items = []
    for e in rows["stage"]:
        items.append(dict(_void_info(e, users), on=e.occurred_on, kind="stage", stage=e.stage,
                          title=_stage_title(e), note=e.note, user=e.user,
                          created_at=e.created_at))
    for c in rows["increase"]:
        items.append(dict(_void_info(c, users), on=c.occurred_on, kind="increase",
                          title=f"增资 {money.fmt_wan(c.amount)} 万元", note=c.note,
                          user=c.user, created_at=c.created_at))
    for r in rows["funds"]:
        items.append(dict(_void_info(r, users), on=r.received_on, kind="funds",
                          title=f"资金到位 {money.fmt_wan(r.amount)} 万元（{r.source_layer}）",
                          note=r.evidence, user=r.user, created_at=r.created_at))
    for c in project_amounts.history(project):
        items.append({"on": c.effective_on or c.recorded_on, "kind": "amount", "id": c.id,
                      "title": _amount_title(c), "note": c.reason, "user": c.user,
                      "created_at": c.created_at, "voided": False})
    items.sort(key=lambda i: (i["on"], i["created_at"]), reverse=True)
    return items


def funds(project):
    """Fund receipts (newest first, voided ones too) and the totals of those that count,
    in 万元."""
    receipts = list(FundReceipt.select().where(FundReceipt.project == project)
                    .order_by(FundReceipt.received_on.desc(), FundReceipt.id.desc()))
    by_layer = {}
    counted = [r for r in receipts if not r.voided]
    for r in counted:
        by_layer[r.source_layer] = by_layer.get(r.source_layer, money.to_decimal(0)) + r.amount
    total = sum((r.amount for r in counted), money.to_decimal(0))
    return receipts, {"total": total, "by_layer": by_layer}


def capital_increases(project):
    """Capital increases (newest first, voided ones too) and the total of those that count."""
    rows = list(CapitalIncrease.select().where(CapitalIncrease.project == project)
                .order_by(CapitalIncrease.occurred_on.desc(), CapitalIncrease.id.desc()))
    return rows, sum((r.amount for r in rows if not r.voided), money.to_decimal(0))

