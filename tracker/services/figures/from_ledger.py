"""The metrics aggregated from the whole ledger: the definition the maintained figures
(tracker/services/figures/monthly.py) must agree with, and the exact part of a figure the rows
cannot give (the days of the as-of month up to as_of, amounts in force on a past date).

Counting rules (docs/design.md, Metrics and counting rules): a project counts for a
metric on the date it FIRST reached the stage (the ``*_on`` columns, never cleared);
作废 receipts and increases never count (``counted()``); the amount summed for
策划包装/签约 is the one in force on ``as_of`` (domain.amounts, in SQL figures.in_force).

Every query is one aggregate with one ``SUM(CASE ...)`` column per month, grouped by
task force (or county). Results are {group id: 12-tuple of Decimals}, zero outside the
counted days ``first`` .. ``last``.
"""
import datetime
from decimal import Decimal

from peewee import Case, fn

from ...domain import money, periods
from ...domain import metrics as M
from ...domain.forecast import OPEN_STAGES
from ...models import AmountChange, CapitalIncrease, FundReceipt, Project
from .in_force import later_changes, value_in_force

ZERO12 = (Decimal("0.00"),) * 12


def _rows(query, key_field, date_field, value, first, last, where=None):
    """{group id: 12-tuple} of ``value`` summed by the month of ``date_field`` over the
    days ``first`` .. ``last`` (one year)."""
    cols = []
    for month in range(first.month, last.month + 1):
        lo = max(first, datetime.date(first.year, month, 1))
        hi = min(last, periods.month_end(first.year, month))
        cols.append(fn.SUM(Case(None, ((date_field.between(lo, hi), value),), 0))
                    .alias(f"m{month}"))
    q = query.select(key_field.alias("gid"), *cols).where(date_field.between(first, last))
    if where is not None:
        q = q.where(where)
    out = {}
    for row in q.group_by(key_field).dicts():
        if row["gid"] is None:
            continue
        out[row["gid"]] = tuple(money.to_decimal(row.get(f"m{m}")) for m in range(1, 13))
    return out


def add(a, b):
    return tuple(money.to_decimal(x + y) for x, y in zip(a, b))


def _in(field, ids):
    return None if ids is None else field.in_(list(ids))


def _both(*conditions):
    out = None
    for c in conditions:
        if c is not None:
            out = c if out is None else (out & c)
    return out


def _span(year, as_of, first):
    last = periods.clamp(as_of, year)
    if last is None:
        return None, None
    first = max(first or periods.year_start(year), periods.year_start(year))
    return (first, last) if first <= last else (None, None)


def monthly_actuals(year, as_of, task_force_ids=None, first=None):
    """{task_force_id: {metric key: 12-tuple}} of ``year`` over ``first`` (default 1 Jan)
    .. ``as_of``, straight from the ledger. Task forces without activity are absent."""
    first, last = _span(year, as_of, first)
    if first is None or (task_force_ids is not None and not task_force_ids):
        return {}
    team, ids = Project.task_force, _in(Project.task_force, task_force_ids)
    per_metric = {
        M.PACKAGED_VALUE: _rows(Project.select(), team, Project.packaged_on,
                                value_in_force("planned_investment", as_of), first, last, ids),
        M.NEGOTIATIONS: _rows(Project.select(), team, Project.negotiating_on, 1, first, last,
                              ids),
    }
    signed = _rows(Project.select(), team, Project.signed_on,
                   fn.COALESCE(value_in_force("contract_value", as_of), 0), first, last, ids)
    increases = _rows(CapitalIncrease.select().join(Project), team, CapitalIncrease.occurred_on,
                      CapitalIncrease.amount, first, last, _both(ids, CapitalIncrease.counted()))
    for gid, values in increases.items():
        signed[gid] = add(signed.get(gid, ZERO12), values)
    per_metric[M.SIGNED_VALUE] = signed
    per_metric[M.FUNDS_RECEIVED] = _rows(
        FundReceipt.select().join(Project), team, FundReceipt.received_on, FundReceipt.amount,
        first, last, _both(ids, FundReceipt.counted()))
    return regroup(per_metric)


def regroup(per_metric):
    """{metric: {gid: 12-tuple}} -> {gid: {metric: 12-tuple}} (zeros filled in)."""
    out = {}
    for key, groups in per_metric.items():
        for gid, values in groups.items():
            out.setdefault(gid, {k: ZERO12 for k in M.KEYS})[key] = values
    return out


def amount_corrections(year, as_of, last, task_force_ids=None):
    """{task_force_id: {metric: 12-tuple}} to add to figures of 1 Jan .. ``last`` (built
    with the amounts in force now) to get the amounts in force on ``as_of``: value in
    force - current value, over the projects with a 变更 that took effect after
    ``as_of`` (none in the usual case: then one cheap EXISTS and {})."""
    later = later_changes(as_of).select(AmountChange.project)
    first = periods.year_start(year)
    if last is None or last < first or not later.exists():
        return {}
    ids = _in(Project.task_force, task_force_ids)
    per_metric = {}
    for name, key, day in (("planned_investment", M.PACKAGED_VALUE, Project.packaged_on),
                           ("contract_value", M.SIGNED_VALUE, Project.signed_on)):
        column = getattr(Project, name)
        value = fn.COALESCE(value_in_force(name, as_of), 0) - fn.COALESCE(column, 0)
        changed = Project.id.in_(later.where(AmountChange.field_name == name))
        per_metric[key] = _rows(Project.select(), Project.task_force, day, value, first, last,
                                _both(ids, changed))
    return regroup(per_metric)


def county_monthly_funds(year, as_of, county_ids=None, first=None):
    """{county_id: 12-tuple of 到位资金} of ``first`` .. ``as_of`` (by Project.county)."""
    first, last = _span(year, as_of, first)
    if first is None or (county_ids is not None and not county_ids):
        return {}
    return _rows(FundReceipt.select().join(Project), Project.county, FundReceipt.received_on,
                 FundReceipt.amount, first, last,
                 _both(_in(Project.county, county_ids), FundReceipt.counted()))


def county_funds_windows(windows, county_ids=None):
    """{name: {county_id: 到位资金 in that window}} for date windows (start, end)
    inclusive (None: an empty window): one aggregate, one SUM(CASE) per window. Only
    counties with funds in a window are listed in it."""
    live = {name: span for name, span in windows.items() if span is not None}
    out = {name: {} for name in windows}
    if not live:
        return out
    names = list(live)
    columns = [fn.SUM(Case(None, [(FundReceipt.received_on.between(*live[name]),
                                   FundReceipt.amount)], 0)).alias(f"s{i}")
               for i, name in enumerate(names)]
    q = (FundReceipt.select(Project.county.alias("gid"), *columns).join(Project)
         .where(FundReceipt.received_on.between(min(s for s, _e in live.values()),
                                                max(e for _s, e in live.values()))
                & FundReceipt.counted())
         .group_by(Project.county))
    if county_ids is not None:
        q = q.where(Project.county.in_(list(county_ids)))
    for row in q.dicts():
        if not row["gid"]:
            continue
        for i, name in enumerate(names):
            amount = money.to_decimal(row[f"s{i}"])
            if amount:
                out[name][row["gid"]] = amount
    return out


def pipeline_amounts(year, task_force_ids=None, *, as_of=None, contract_share=Decimal("0.2")):
    """``metrics.pipeline_amounts`` (same arguments and result) aggregated from the open
    projects themselves: the reference the maintained pipeline figures are tested against."""
    if task_force_ids is not None and not task_force_ids:
        return {}
    start, end = periods.year_start(year), periods.year_end(year)
    if as_of is not None:
        start = max(start, as_of + datetime.timedelta(days=1))
        if start > end:
            return {}
    share = Decimal(str(contract_share))
    # Grouped by stage, the per-stage conditions and the share are applied here, once
    # per group, rather than on every row in SQL (numeric CASE/IN per row was most of
    # the query's time on PostgreSQL).
    q = (Project.select(Project.task_force.alias("gid"), Project.stage.alias("stage"),
                        *_pipeline_columns())
         .where(Project.stage.in_(sorted({s for k in PIPELINE_METRICS for s in OPEN_STAGES[k]}))
                & Project.expected_sign_date.between(start, end))
         .group_by(Project.task_force, Project.stage))
    if task_force_ids is not None:
        q = q.where(Project.task_force.in_(list(task_force_ids)))
    out = {}
    for row in q.dicts():   # one scan; a NULL sum: no open project of that metric
        for key, amount in _pipeline_row(row, share).items():
            out.setdefault(row["gid"], {}).setdefault(key, {})[row["stage"]] = amount
    return out


PIPELINE_METRICS = (M.PACKAGED_VALUE, M.NEGOTIATIONS, M.SIGNED_VALUE)


def _pipeline_columns():
    def when(condition, value, alias):
        return fn.SUM(Case(None, ((condition, value),), None)).alias(alias)
    not_signed = Project.signed_on.is_null()
    return (when(Project.packaged_on.is_null(), Project.planned_investment, "packaged"),
            when(Project.negotiating_on.is_null(), 1, "negotiating"),
            when(not_signed, Project.contract_value, "contract"),
            when(not_signed & Project.contract_value.is_null(), Project.planned_investment,
                 "planned"))


def _pipeline_row(row, share):
    """{metric: amount} of one (task force, stage) group of ``pipeline_amounts``."""
    stage, out = row["stage"], {}
    if stage in OPEN_STAGES[M.PACKAGED_VALUE] and row["packaged"] is not None:
        out[M.PACKAGED_VALUE] = money.to_decimal(row["packaged"])
    if stage in OPEN_STAGES[M.NEGOTIATIONS] and row["negotiating"] is not None:
        out[M.NEGOTIATIONS] = money.to_decimal(row["negotiating"])
    if stage in OPEN_STAGES[M.SIGNED_VALUE] and (row["contract"], row["planned"]) != (None, None):
        out[M.SIGNED_VALUE] = money.to_decimal(
            money.to_decimal(row["contract"] or 0) + share * money.to_decimal(row["planned"] or 0))
    return out
