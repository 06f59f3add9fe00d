"""Maintained monthly figures (docs/design.md, Metrics and counting rules; The write
path, step 9): ``monthly_figure`` rows per task force x metric x month and per county x month
(到位资金), kept equal to what the ledger aggregates give, so the progress report reads a
few thousand rows instead of aggregating the whole ledger.

Write path: every write that can change a project's figures (create, stage change, funds,
增资, 作废, 更正/变更, a move to another task force or county) runs inside its transaction,
after the project row is locked::

    before = figures.contribution_of(row)
    ... the write ...
    figures.settle(row, before)

``settle`` recomputes the project's contribution (a pure function of its rows,
tracker/domain/figures.py) and adds the difference to the affected rows. It first locks
the task force and county rows the difference touches (in id order), so the figures of
one owner are changed by one transaction at a time and the nightly rebuild (which locks
them all) never interleaves with a write; each row is then one upsert
``cents = cents + delta`` in key order.

``check()`` compares the rows with a full aggregate of the ledger; ``rebuild()`` does the
same and repairs every row that drifted (the nightly recompute and ``flask figures``).
"""
from dataclasses import dataclass, field

from peewee import Case, fn

from ... import clock
from ...db import backend_name, database
from ...domain import figures as F
from ...domain import metrics as M
from ...models import CapitalIncrease, County, FundReceipt, MonthlyFigure, Project, TaskForce
from .. import dataversion, tx

KEY_FIELDS = (MonthlyFigure.scope, MonthlyFigure.owner, MonthlyFigure.metric,
              MonthlyFigure.year, MonthlyFigure.month, MonthlyFigure.day)
UNIQUE = [MonthlyFigure.scope, MonthlyFigure.year, MonthlyFigure.month, MonthlyFigure.day,
          MonthlyFigure.owner, MonthlyFigure.metric]
SHOWN = 10   # drifted rows listed in a summary


# --- one project ------------------------------------------------------------------

def facts_of(row):
    """ProjectFacts of a Project row as it is in memory (written or about to be)."""
    return F.ProjectFacts(
        task_force_id=row.task_force_id, county_id=row.county_id,
        planned_investment=row.planned_investment, contract_value=row.contract_value,
        packaged_on=row.packaged_on, negotiating_on=row.negotiating_on,
        signed_on=row.signed_on, stage=row.stage, expected_sign_date=row.expected_sign_date)


def _dated(model, column, project_id):
    return list(model.select(column, model.amount)
                .where((model.project == project_id) & model.counted()).tuples())


def contribution_of(row):
    """{figure key: cents} of the project ``row`` and its counted 增资 and receipts."""
    if row.id is None:
        return {}
    return F.contribution(
        facts_of(row),
        _dated(CapitalIncrease, CapitalIncrease.occurred_on, row.id),
        _dated(FundReceipt, FundReceipt.received_on, row.id))


def settle(row, before):
    """Add the change of ``row``'s contribution since ``before`` to the figures; call
    in the write's transaction after writing the row and its events."""
    apply(F.difference(before, contribution_of(row)))


def settle_created(rows):
    """``settle(row, {})`` for many projects created in this transaction (no 增资 or
    receipts yet): their contributions summed, then one upsert per affected row."""
    total = {}
    for row in rows:
        for key, cents in F.contribution(facts_of(row)).items():
            total[key] = total.get(key, 0) + cents
    apply(F.difference({}, total))


def _lock_owners(keys):
    teams = sorted({k[1] for k in keys if k[0] == F.TASK_FORCE})
    counties = sorted({k[1] for k in keys if k[0] == F.COUNTY})
    if teams:
        tx.lock_all(TaskForce.select(TaskForce.id).where(TaskForce.id.in_(teams)))
    if counties:
        tx.lock_all(County.select(County.id).where(County.id.in_(counties)))


def _upsert(key, delta):
    scope, owner, metric, year, month, day = key
    query = MonthlyFigure.insert(scope=scope, owner=owner, metric=metric, year=year,
                                 month=month, day=day, cents=delta)
    target = None if backend_name() == "mysql" else UNIQUE
    query.on_conflict(conflict_target=target,
                      update={MonthlyFigure.cents: MonthlyFigure.cents + delta}).execute()


def apply(deltas):
    """Add [(key, delta cents)] to the rows (created when missing), owners locked first."""
    dataversion.changed()   # every ledger write passes here (settle): the reports' version
    if not deltas:
        return
    _lock_owners([k for k, _d in deltas])
    for key, delta in sorted(deltas):
        _upsert(key, delta)


# --- reading ----------------------------------------------------------------------

def months(scope, years, owner_ids=None, metrics=None):
    """{(owner, metric, year): [cents of months 1..12]} for ``years`` (month rows)."""
    q = MonthlyFigure.select(MonthlyFigure.owner, MonthlyFigure.metric, MonthlyFigure.year,
                             MonthlyFigure.month, MonthlyFigure.cents).where(
        (MonthlyFigure.scope == scope) & (MonthlyFigure.day == 0)   # index (scope, day, ...)
        & MonthlyFigure.year.in_(list(years)))
    if owner_ids is not None:
        q = q.where(MonthlyFigure.owner.in_(list(owner_ids)))
    if metrics is not None:
        q = q.where(MonthlyFigure.metric.in_(list(metrics)))
    out = {}
    # the driver's ints and strs as they come (no per-value conversion): a report
    # reads a few thousand of these rows per scope
    for owner, metric, year, month, cents in database.execute(q).fetchall():
        out.setdefault((int(owner), metric, int(year)), [0] * 12)[int(month) - 1] += int(cents)
    return out


def first_days(scope, last, owner_ids=None, metrics=None, first=1):
    """{(owner, metric): cents} of the days ``first`` .. ``last`` of ``last``'s month (day
    rows)."""
    q = (MonthlyFigure.select(MonthlyFigure.owner, MonthlyFigure.metric,
                              fn.SUM(MonthlyFigure.cents))
         .where((MonthlyFigure.scope == scope) & (MonthlyFigure.year == last.year)
                & (MonthlyFigure.month == last.month)
                # the days named: one seek each in the index (scope, day, year, month, ...)
                & MonthlyFigure.day.in_(list(range(first, last.day + 1))))
         .group_by(MonthlyFigure.owner, MonthlyFigure.metric))
    if owner_ids is not None:
        q = q.where(MonthlyFigure.owner.in_(list(owner_ids)))
    if metrics is not None:
        q = q.where(MonthlyFigure.metric.in_(list(metrics)))
    return {(owner, metric): int(cents) for owner, metric, cents in q.tuples() if cents}


def stored():
    """{figure key: cents} of every non-zero row."""
    return {tuple(row[:-1]): int(row[-1]) for row in
            MonthlyFigure.select(*KEY_FIELDS, MonthlyFigure.cents).tuples() if row[-1]}


# --- the ledger in full -----------------------------------------------------------

def _grouped(out, query, scope, metric, owner, day, value):
    q = (query.select(owner, day, fn.SUM(value))
         .where(day.is_null(False) & owner.is_null(False))
         .group_by(owner, day).tuples())
    for o, on, total in q:
        F.add(out, scope, int(o), metric, clock.as_date(on), F.to_cents(total))


def expected():
    """{figure key: cents} aggregated from the whole ledger (what ``stored`` must be)."""
    out = {}
    team, county = Project.task_force, Project.county
    tf = F.TASK_FORCE
    _grouped(out, Project.select(), tf, M.PACKAGED_VALUE, team, Project.packaged_on,
             Project.planned_investment)
    _grouped(out, Project.select(), tf, M.NEGOTIATIONS, team, Project.negotiating_on, 1)
    _grouped(out, Project.select(), tf, M.SIGNED_VALUE, team, Project.signed_on,
             fn.COALESCE(Project.contract_value, 0))
    increases = CapitalIncrease.select().join(Project).where(CapitalIncrease.counted())
    _grouped(out, increases, tf, M.SIGNED_VALUE, team, CapitalIncrease.occurred_on,
             CapitalIncrease.amount)
    for scope, owner in ((tf, team), (F.COUNTY, county)):
        receipts = FundReceipt.select().join(Project).where(FundReceipt.counted())
        _grouped(out, receipts, scope, M.FUNDS_RECEIVED, owner, FundReceipt.received_on,
                 FundReceipt.amount)
    _pipeline_expected(out)
    return out


def _pipeline_expected(out):
    """The pipeline figures of every open project (domain.figures._pipeline), one
    aggregate grouped by task force, stage and expected signing date."""
    def when(condition, value):
        return fn.SUM(Case(None, ((condition, value),), None))
    signed_open = Project.signed_on.is_null()
    q = (Project.select(Project.task_force, Project.stage, Project.expected_sign_date,
                        when(Project.packaged_on.is_null(), Project.planned_investment),
                        when(Project.negotiating_on.is_null(), 1),
                        when(signed_open, Project.contract_value),
                        when(signed_open & Project.contract_value.is_null(),
                             Project.planned_investment))
         .where(Project.stage.in_(sorted({s for _m, s, _p in F.PIPELINE.values()}))
                & Project.expected_sign_date.is_null(False))
         .group_by(Project.task_force, Project.stage, Project.expected_sign_date).tuples())
    for team, stage, day, packaged, negotiating, contract, planned in q:
        sums = {(M.PACKAGED_VALUE, None): packaged, (M.NEGOTIATIONS, None): negotiating,
                (M.SIGNED_VALUE, "contract"): contract, (M.SIGNED_VALUE, "planned"): planned}
        for (metric, part), total in sums.items():
            name = F.PIPELINE_NAME.get((metric, stage, part))
            if name is not None and total is not None:
                F.add(out, F.TASK_FORCE, int(team), name, clock.as_date(day), F.to_cents(total))


@dataclass
class FigureCheck:
    """What a check or rebuild found: the drifted rows (key, stored, expected cents)."""
    rows: list = field(default_factory=list)
    checked: int = 0
    repaired: bool = False

    @property
    def drifted(self):
        return len(self.rows)

    def lines(self, limit=SHOWN):
        out = []
        for (scope, owner, metric, year, month, day), got, want in self.rows[:limit]:
            when = f"{year}-{month:02d}" + (f"-{day:02d}" if day else "")
            out.append(f"{scope}#{owner} {metric} {when}: "
                       f"{F.from_cents(got)} -> {F.from_cents(want)} "
                       f"(差 {F.from_cents(want - got)})")
        if len(self.rows) > limit:
            out.append(f"…… 另有 {len(self.rows) - limit} 行")
        return out

    def summary(self):
        if not self.rows:
            return f"月度数据核对 {self.checked} 行，无偏差"
        verb = "已修复" if self.repaired else "未修复"
        return (f"月度数据偏差 {self.drifted} 行（{verb}）：" + "；".join(self.lines(3)))


def check():
    """Compare the stored figures with the ledger (nothing written)."""
    have, want = stored(), expected()
    return FigureCheck(rows=F.drift(have, want), checked=len(set(have) | set(want)))


def lock_owners():
    """Lock every task force and county row (id order): no figure write can interleave.
    Take it first in the transaction (MariaDB fixes its snapshot at the first read)."""
    tx.lock_all(TaskForce.select(TaskForce.id))
    tx.lock_all(County.select(County.id))


def rebuild():
    """Lock every task force and county, then set each drifted row to what the ledger
    gives; call inside a transaction. Returns the FigureCheck of what was repaired."""
    lock_owners()
    result = check()
    MonthlyFigure.delete().where(MonthlyFigure.cents == 0).execute()
    missing = [dict(zip(("scope", "owner", "metric", "year", "month", "day"), key),
                    cents=want) for key, got, want in result.rows if got == 0]
    for start in range(0, len(missing), 500):   # e.g. after a bulk load: many at once
        MonthlyFigure.insert_many(missing[start:start + 500]).execute()
    for key, got, want in result.rows:
        if got != 0:
            _upsert(key, want - got)
    MonthlyFigure.delete().where(MonthlyFigure.cents == 0).execute()
    result.repaired = True
    return result


def check_now():
    """``check()`` in its own transaction (``flask figures check``)."""
    with tx.write():
        return check()


def rebuild_now():
    """``rebuild()`` in its own transaction, the lock first (``flask figures rebuild``)."""
    with tx.write():
        result = rebuild()
        if result.rows:
            dataversion.changed()
        return result
