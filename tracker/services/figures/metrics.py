"""Actuals per task force / county, per metric, per month (docs/design.md, Metrics and
counting rules).

- packaged_value: SUM(planned_investment) of projects with packaged_on in the period.
- negotiations: COUNT of projects with negotiating_on in the period.
- signed_value: SUM(contract_value) of projects with signed_on in the period,
  plus SUM(amount) of capital increases (增资) dated in the period.
- funds_received: SUM(amount) of fund receipts with received_on in the period
  (per task force through the project; per county by Project.county).

作废 (voided) receipts and increases never count, and the amount summed for 策划包装/签约
is the one in force on ``as_of`` (a 变更 dated later does not reach back; a 更正 does).

Where the numbers come from (tracker/services/figures/monthly.py): the whole months up to
the as-of date are read from the maintained month rows of ``monthly_figure`` (a few
thousand rows), and when as_of is not a month's last day, the days 1 .. as_of of its
month from the day rows of the same table (a few thousand more). For a past as-of date
before a 变更 took effect (rare: then one cheap EXISTS says so), the difference between
the amount in force then and now is added for the projects with such a 变更
(metrics_ledger.amount_corrections). Windows not starting on a 1st are aggregated from
the ledger. The result is what the whole-ledger aggregate (``metrics_ledger``) gives.

Results are 12-tuples of Decimals (months not started at ``as_of`` are 0; the current
month counts up to ``as_of`` inclusive).
"""
import datetime
from decimal import Decimal

from ...domain import figures as FG
from ...domain import money, periods
from ...domain import metrics as M
from . import monthly as figures
from . import from_ledger as L

ZERO12 = L.ZERO12
DEFAULT_CONTRACT_SHARE = Decimal("0.2")


def _split(year, last):
    """(last whole month read from the month rows (0 = none), whether the days 1 ..
    ``last`` of ``last``'s month come from the day rows)."""
    if last == periods.month_end(year, last.month):
        return last.month, False
    return last.month - 1, True


def _from_figures(scope, years, upto, owner_ids=None):
    """{(owner, metric, year): 12-tuple of Decimals}, months after ``upto[year]`` zero;
    entries without any value in the months kept are left out."""
    out = {}
    for (owner, metric, year), cents in figures.months(scope, years, owner_ids, M.KEYS).items():
        kept = cents[:upto.get(year, 0)]
        if any(kept):   # like the ledger aggregate: no counted value, no entry
            out[(owner, metric, year)] = tuple(FG.from_cents(c) for c in kept) \
                + ZERO12[len(kept):]
    return out


def _merge(into, extra):
    for gid, per in extra.items():
        mine = into.setdefault(gid, {k: ZERO12 for k in M.KEYS})
        for key, values in per.items():
            mine[key] = L.add(mine[key], values)


def monthly_actuals(year, as_of, task_force_ids=None):
    """{task_force_id: {metric key: 12-tuple of monthly actuals}} for ``year``
    counted up to ``as_of``. Task forces without any activity are absent."""
    last = periods.clamp(as_of, year)
    if last is None or (task_force_ids is not None and not task_force_ids):
        return {}
    whole, tail = _split(year, last)
    out = {}
    if whole:
        for (owner, metric, _y), values in _from_figures(
                FG.TASK_FORCE, [year], {year: whole}, task_force_ids).items():
            out.setdefault(owner, {k: ZERO12 for k in M.KEYS})[metric] = values
    if tail:
        for (owner, metric), cents in figures.first_days(
                FG.TASK_FORCE, last, task_force_ids, M.KEYS).items():
            mine = out.setdefault(owner, {k: ZERO12 for k in M.KEYS})
            mine[metric] = _at(mine[metric], last.month, FG.from_cents(cents))
    _merge(out, L.amount_corrections(year, as_of, last, task_force_ids))
    return out


def earlier_actuals(actuals, year, as_of, day, task_force_ids=None):
    """``monthly_actuals(year, day, task_force_ids)`` for a ``day`` before ``as_of``,
    derived from ``actuals`` = ``monthly_actuals(year, as_of, task_force_ids)``: what counts
    on the days after ``day`` up to ``as_of`` is taken off (the figures' day rows of those
    days: a week's worth, not the month up to ``day``), and where a 变更 took effect in
    between, the amounts in force on ``day`` are put back (metrics_ledger.amount_corrections
    of both dates)."""
    if day < periods.year_start(year):
        return {}
    last = periods.clamp(as_of, year)
    out = {owner: dict(per) for owner, per in actuals.items()}
    first = day + datetime.timedelta(days=1)
    while first <= last:          # month by month (a week spans two at most)
        end = min(last, periods.month_end(first.year, first.month))
        for (owner, metric), cents in figures.first_days(
                FG.TASK_FORCE, end, task_force_ids, M.KEYS, first=first.day).items():
            mine = out.setdefault(owner, {k: ZERO12 for k in M.KEYS})
            mine[metric] = _at(mine[metric], end.month, -FG.from_cents(cents))
        first = end + datetime.timedelta(days=1)
    # ``actuals`` hold the corrections to as_of: replaced by those to ``day`` (each one
    # cheap EXISTS when no 变更 took effect after the date)
    _merge(out, {owner: {k: tuple(-v for v in values) for k, values in per.items()}
                 for owner, per in L.amount_corrections(year, as_of, last,
                                                        task_force_ids).items()})
    _merge(out, L.amount_corrections(year, day, day, task_force_ids))
    return {owner: per for owner, per in out.items() if any(map(any, per.values()))}


def _at(values, month, amount):
    """``values`` (12-tuple) with ``amount`` added in ``month``."""
    return tuple(money.to_decimal(v + amount) if m == month else v
                 for m, v in enumerate(values, start=1))


def team_monthly(actuals, task_force_id):
    """The 12-tuples of one task force from ``monthly_actuals`` (zeros when absent)."""
    return actuals.get(task_force_id) or {k: ZERO12 for k in M.KEYS}


def county_monthly_funds(year, as_of, county_ids=None):
    """{county_id: 12-tuple of 到位资金} for ``year`` up to ``as_of`` (by Project.county)."""
    last = periods.clamp(as_of, year)
    if last is None or (county_ids is not None and not county_ids):
        return {}
    whole, tail = _split(year, last)
    out = {owner: values for (owner, _m, _y), values in _from_figures(
        FG.COUNTY, [year], {year: whole}, county_ids).items()} if whole else {}
    if tail:
        for (owner, _m), cents in figures.first_days(FG.COUNTY, last, county_ids).items():
            out[owner] = _at(out.get(owner, ZERO12), last.month, FG.from_cents(cents))
    return out


def same_day_last_year(day):
    """The same calendar day one year earlier (29 Feb -> 28 Feb)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def county_funds_between(start, end, county_ids=None):
    """{county_id: total 到位资金 received in start..end inclusive}."""
    return county_funds_windows({"w": (start, end)}, county_ids)["w"]


def _whole_months(start, end):
    """(whole months [(year, month)] from ``start`` (a 1st of a month), the last day of
    a partial last month or None); None when ``start`` is not the 1st of a month (the
    ledger is read instead)."""
    if start.day != 1 or end < start:
        return None
    whole, day = [], start
    while periods.month_end(day.year, day.month) <= end:
        whole.append((day.year, day.month))
        day = periods.month_end(day.year, day.month) + datetime.timedelta(days=1)
    return whole, (end if day <= end else None)


def county_funds_windows(windows, county_ids=None):
    """{name: {county_id: total 到位资金 in that window}} for several date windows at
    once. ``windows`` maps a name to (start, end) inclusive, or to None for an empty
    window ({}). Whole months come from the month rows (one read), a partial last month
    from the day rows; a window not starting on a 1st is aggregated from the ledger.
    Only counties with funds in a window are listed in it."""
    out = {name: {} for name in windows}
    parts, ledger, tails = {}, {}, {}
    for name, span in windows.items():
        split = None if span is None else _whole_months(*span)
        if span is not None and split is None:
            ledger[name] = span
        elif split is not None:
            parts[name] = split[0]
            if split[1] is not None:
                tails[name] = split[1]
    years = sorted({y for months in parts.values() for y, _m in months})
    stored = figures.months(FG.COUNTY, years, county_ids, [M.FUNDS_RECEIVED]) if years else {}
    for name, months in parts.items():
        for (owner, _metric, year), cents in stored.items():
            total = sum(cents[m - 1] for y, m in months if y == year)
            if total:
                out[name][owner] = out[name].get(owner, Decimal(0)) + FG.from_cents(total)
    for name, last in tails.items():
        for (owner, _m), cents in figures.first_days(FG.COUNTY, last, county_ids).items():
            out[name][owner] = out[name].get(owner, Decimal(0)) + FG.from_cents(cents)
    for name, span in ledger.items():   # one by one: their overall span may be years
        for owner, amount in L.county_funds_windows({name: span}, county_ids)[name].items():
            out[name][owner] = money.to_decimal(out[name].get(owner, Decimal(0)) + amount)
    for name in out:
        out[name] = {k: money.to_decimal(v) for k, v in out[name].items() if v}
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

    Read from the maintained pipeline figures (domain.figures.PIPELINE: the whole months
    after as-of from the month rows, the rest of as-of's month from the day rows), what
    ``metrics_ledger.pipeline_amounts`` aggregates from the projects; stages without an
    amount are left out.
    """
    if task_force_ids is not None and not task_force_ids:
        return {}
    start = periods.year_start(year)
    if as_of is not None:
        start = max(start, as_of + datetime.timedelta(days=1))
        if start.year != year:
            return {}
    names = list(FG.PIPELINE)
    cents = {}
    first_whole = start.month if start.day == 1 else start.month + 1
    for (owner, name, _y), months in figures.months(FG.TASK_FORCE, [year], task_force_ids,
                                                    names).items():
        cents[(owner, name)] = sum(months[first_whole - 1:])
    if start.day != 1:
        last = periods.month_end(year, start.month)
        for key, value in figures.first_days(FG.TASK_FORCE, last, task_force_ids, names,
                                             first=start.day).items():
            cents[key] = cents.get(key, 0) + value
    return _pipeline_out(cents, Decimal(str(contract_share)))


def _pipeline_out(cents, share):
    out = {}
    for (owner, name), value in cents.items():
        if not value:
            continue
        metric, stage, part = FG.PIPELINE[name]
        amount = FG.from_cents(value) * (share if part == "planned" else 1)
        per_stage = out.setdefault(owner, {}).setdefault(metric, {})
        per_stage[stage] = per_stage.get(stage, Decimal(0)) + amount
    for per_metric in out.values():
        for per_stage in per_metric.values():
            for stage, amount in per_stage.items():
                per_stage[stage] = money.to_decimal(amount)
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
