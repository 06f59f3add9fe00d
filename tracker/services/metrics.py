"""Actuals per task force / county, per metric, per month, from SQL aggregates.

Counting rules (DESIGN.md): a project counts for a metric on the date it FIRST
reached the stage (the denormalised ``*_on`` columns, never cleared), so undo
and redo never count it again and 退库 projects keep what they earned.

- packaged_value: SUM(planned_investment) of projects with packaged_on in the period.
- negotiations: COUNT of projects with negotiating_on in the period.
- signed_value: SUM(contract_value) of projects with signed_on in the period,
  plus SUM(amount) of capital increases (增资) dated in the period.
- funds_received: SUM(amount) of fund receipts with received_on in the period
  (per task force through the project; per county by Project.county).

作废 (voided) receipts and increases never count (``counted()``), and the amount
summed for 策划包装/签约 is the one in force on ``as_of`` (a 变更 dated later does not
reach back; a 更正 does: tracker/services/project_amounts.py).

Every query is one aggregate with one ``SUM(CASE ...)`` column per month,
grouped by task force (or county): nothing loads projects into Python.
Results are 12-tuples of Decimals (months not started at ``as_of`` are 0;
the current month counts up to ``as_of`` inclusive).
"""
import datetime
from decimal import Decimal

from peewee import Case, fn

from ..domain import money, periods
from ..domain import metrics as M
from ..domain.forecast import OPEN_STAGES
from ..models import CapitalIncrease, FundReceipt, Project
from .project_amounts import value_in_force

ZERO12 = (Decimal("0.00"),) * 12
DEFAULT_CONTRACT_SHARE = Decimal("0.2")


def _monthly_columns(date_field, value, year, as_of):
    cols = []
    for month, start, end in periods.month_bounds(year, as_of):
        cols.append(fn.SUM(Case(None, ((date_field.between(start, end), value),), 0))
                    .alias(f"m{month}"))
    return cols


def _rows(query, key_field, date_field, value, year, as_of, where=None):
    """{group id: 12-tuple} for one aggregate query."""
    last = periods.clamp(as_of, year)
    if last is None:
        return {}
    cols = _monthly_columns(date_field, value, year, as_of)
    q = query.select(key_field.alias("gid"), *cols).where(
        date_field.between(periods.year_start(year), last))
    if where is not None:
        q = q.where(where)
    out = {}
    for row in q.group_by(key_field).dicts():
        if row["gid"] is None:
            continue
        values = [money.to_decimal(row.get(f"m{m}")) for m in range(1, 13)]
        out[row["gid"]] = tuple(values)
    return out


def _add(a, b):
    return tuple(money.to_decimal(x + y) for x, y in zip(a, b))


def _in(field, ids):
    return None if ids is None else field.in_(list(ids))


def _counted(model, where):
    """``where`` limited to the rows of ``model`` that are not voided."""
    return model.counted() if where is None else (where & model.counted())


def monthly_actuals(year, as_of, task_force_ids=None):
    """{task_force_id: {metric key: 12-tuple of monthly actuals}} for ``year``
    counted up to ``as_of``. Task forces without any activity are absent."""
    if task_force_ids is not None and not task_force_ids:
        return {}
    team = Project.task_force
    per_metric = {
        M.PACKAGED_VALUE: _rows(Project.select(), team, Project.packaged_on,
                                value_in_force("planned_investment", as_of), year, as_of,
                                _in(team, task_force_ids)),
        M.NEGOTIATIONS: _rows(Project.select(), team, Project.negotiating_on, 1, year, as_of,
                              _in(team, task_force_ids)),
    }
    signed = _rows(Project.select(), team, Project.signed_on,
                   fn.COALESCE(value_in_force("contract_value", as_of), 0), year, as_of,
                   _in(team, task_force_ids))
    increases = _rows(CapitalIncrease.select().join(Project), team,
                      CapitalIncrease.occurred_on, CapitalIncrease.amount, year, as_of,
                      _counted(CapitalIncrease, _in(team, task_force_ids)))
    for gid, values in increases.items():
        signed[gid] = _add(signed.get(gid, ZERO12), values)
    per_metric[M.SIGNED_VALUE] = signed
    per_metric[M.FUNDS_RECEIVED] = _rows(
        FundReceipt.select().join(Project), team, FundReceipt.received_on, FundReceipt.amount,
        year, as_of, _counted(FundReceipt, _in(team, task_force_ids)))

    out = {}
    for key, groups in per_metric.items():
        for gid, values in groups.items():
            out.setdefault(gid, {k: ZERO12 for k in M.KEYS})[key] = values
    return out


def team_monthly(actuals, task_force_id):
    """The 12-tuples of one task force from ``monthly_actuals`` (zeros when absent)."""
    return actuals.get(task_force_id) or {k: ZERO12 for k in M.KEYS}


def county_monthly_funds(year, as_of, county_ids=None):
    """{county_id: 12-tuple of 到位资金} for ``year`` up to ``as_of`` (by Project.county)."""
    if county_ids is not None and not county_ids:
        return {}
    return _rows(FundReceipt.select().join(Project), Project.county, FundReceipt.received_on,
                 FundReceipt.amount, year, as_of,
                 _counted(FundReceipt, _in(Project.county, county_ids)))


def same_day_last_year(day):
    """The same calendar day one year earlier (29 Feb -> 28 Feb)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def county_funds_between(start, end, county_ids=None):
    """{county_id: total 到位资金 received in start..end inclusive}."""
    q = (FundReceipt.select(Project.county.alias("gid"), fn.SUM(FundReceipt.amount).alias("s"))
         .join(Project).where(FundReceipt.received_on.between(start, end)
                              & FundReceipt.counted())
         .group_by(Project.county))
    if county_ids is not None:
        q = q.where(Project.county.in_(list(county_ids)))
    return {row["gid"]: money.to_decimal(row["s"]) for row in q.dicts() if row["gid"]}


def county_funds_windows(windows, county_ids=None):
    """{name: {county_id: total 到位资金 in that window}} for several date
    windows at once: one aggregate with one ``SUM(CASE ...)`` column per window
    over the receipts in their overall span. ``windows`` maps a name to
    (start, end) inclusive, or to None for an empty window ({})."""
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
            if amount:   # like county_funds_between: only counties with funds in it
                out[name][row["gid"]] = amount
    return out


def pipeline_amounts(year, task_force_ids=None, *, as_of=None,
                     contract_share=DEFAULT_CONTRACT_SHARE):
    """Open pipeline expected to reach each metric within ``year``.

    {task_force_id: {metric: {stage: amount}}} over projects still before the
    metric's stage (its first-reached date empty), not dropped, with an
    expected signing date inside the year and, when ``as_of`` is given, after
    ``as_of`` (a date already passed without signing no longer counts until it
    is updated). Amounts: planned_investment for packaged_value, a count for
    negotiations, and for signed_value the contract value when known, else
    planned_investment x ``contract_share`` (default 0.2: the 20亿 signed vs
    100亿 packaged of the default targets).
    """
    if task_force_ids is not None and not task_force_ids:
        return {}
    start, end = periods.year_start(year), periods.year_end(year)
    if as_of is not None:
        start = max(start, as_of + datetime.timedelta(days=1))
        if start > end:
            return {}
    share = Decimal(str(contract_share))
    specs = {
        M.PACKAGED_VALUE: (Project.packaged_on, Project.planned_investment),
        M.NEGOTIATIONS: (Project.negotiating_on, 1),
        M.SIGNED_VALUE: (Project.signed_on,
                         fn.COALESCE(Project.contract_value, Project.planned_investment * share)),
    }
    out = {}
    for key, (reached, value) in specs.items():
        q = (Project.select(Project.task_force.alias("gid"), Project.stage.alias("stage"),
                            fn.SUM(value).alias("s"))
             .where(Project.stage.in_(OPEN_STAGES[key]) & reached.is_null()
                    & Project.expected_sign_date.between(start, end))
             .group_by(Project.task_force, Project.stage))
        if task_force_ids is not None:
            q = q.where(Project.task_force.in_(list(task_force_ids)))
        for row in q.dicts():
            out.setdefault(row["gid"], {}).setdefault(key, {})[row["stage"]] = \
                money.to_decimal(row["s"])
    return out


def actual_between(task_force_id, metric, start, end):
    """One task force's actual for one metric over an arbitrary date range
    (inclusive); used by tests and by anything needing a single number."""
    if end < start:
        return Decimal("0.00")
    total = Decimal(0)
    year = start.year
    while year <= end.year:
        as_of = min(end, periods.year_end(year))
        monthly = monthly_actuals(year, as_of, [task_force_id]).get(task_force_id)
        if monthly:
            lo = max(start, periods.year_start(year))
            if lo == periods.year_start(year):
                total += sum(monthly[metric], Decimal(0))
            else:
                before = monthly_actuals(year, lo - datetime.timedelta(days=1),
                                         [task_force_id]).get(task_force_id)
                total += sum(monthly[metric], Decimal(0)) - (
                    sum(before[metric], Decimal(0)) if before else Decimal(0))
        year += 1
    return money.to_decimal(total)
