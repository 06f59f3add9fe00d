"""Progress report: targets vs actuals per task force, city totals, counties.

This is the contract the scheduler (snapshots), dashboards/API and weekly
emails build on. All objects are frozen dataclasses; amounts are Decimal
万元 (a count for ``negotiations``); percentages are Decimal percent with 2
places (50.00 = 50%); dates are ``datetime.date``.

``build_report(year, as_of, options=None) -> CityReport``
    year, as_of, precision ("month" | "day"), time_progress (时序进度),
    rows:     tuple[TaskForceProgress], one per active task force, ranked
              (best first): task_force_id, code, name, kind,
              metrics {metric key: MetricProgress}, score, rank, status
    totals:   {metric key: MetricProgress} for the whole city (target = sum of
              the teams' targets; actual = sum over the active teams)
    counties: tuple[CountyProgress] (active counties/zones, by code)
    warnings: tuple[Warning] (red/orange metrics, missing targets, counties
              behind their growth goal)
    shares:   {metric key: (q1, q2, q3, q4)} checkpoint shares used

``MetricProgress`` (one task force or the city, one metric):
    key, label, unit, target (None = no target), target_version (the version in
    force at as_of, 0 = none), current_target_version (the newest version; greater
    when the target was revised after as_of), target_before_set (as_of precedes every
    version: the first is used), target_superseded,
    actual (cumulative from 1 Jan to as_of), completion, time_progress,
    gap_points (completion - time progress), status (green/yellow/orange/red,
    grey without a target), status_label, milestones (domain.milestones.
    Milestones: kaimenhong / shuangguoban / q3 / full_year each True, False,
    "pending" or None without a target, plus shuangguoban_early = 提前),
    checkpoints (cumulative targets at the end of Q1..Q4), quarters
    (tuple[QuarterProgress]: quarter, key "2026Q2", checkpoint, actual added in
    the quarter, cumulative at its end or at as_of, closed, completion,
    time_progress, gap_points, status, catch_up = needed for open quarters),
    catch_up (tuple[domain.progress.CatchUp] for the open quarters: quarter,
    checkpoint, needed, even_split), remaining (target - actual, >= 0),
    forecast (projected year-end value), forecast_completion, monthly
    (12 amounts per month), cumulative_monthly (12 running totals).

``task_force_report(task_force, year, as_of, options=None) -> TaskForceProgress``
gives the same numbers for one team (its rank is 0: not ranked alone);
``county_progress(year, as_of, options=None, county_ids=None)`` the counties alone.

``quarter_results(year, quarter, options=None) -> tuple[QuarterResult]`` gives what the
scheduler freezes at a quarter close: per task force and metric the target
and its version (in force on that day), checkpoint target, quarter actual,
cumulative, completion, time progress, gap points and status, judged at the
quarter's last day.

Targets: a report judges with the version in force at ``as_of`` (set on or before
that date in the app's zone; the first version when as_of precedes them all), so a
past view agrees with the frozen snapshot of that date (docs/design.md, Frozen
quarter snapshots; services.targets.annual.targets_in_force).

Settings (defaults in tracker.config.Defaults): PROGRESS_PRECISION,
PROGRESS_STATUS_BANDS, FORECAST_PROBABILITIES, COUNTY_GROWTH_GOAL (percent; a
county target version overrides it), FORECAST_CONTRACT_SHARE (expected contract
value of an unsigned project without one = planned investment x share), RANKING_CAP_PCT
(the score's cap per metric). ``options_from(config)`` (services.progress.options) turns a
config mapping into a frozen ProgressOptions; the edge builds it from the app's config
(tracker.settings.progress) and the entry points take it as ``options`` (the
defaults when left out). Nothing here reads the app config.

Forecast: actual + sum over open projects whose expected signing date lies
after ``as_of`` within the year of probability(stage) x amount (see
services.figures.metrics.pipeline_amounts); at or after year end it equals the actual.
"""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from ...domain import forecast as F
from ...domain import metrics as M
from ...domain import milestones as MS
from ...domain import periods
from ...domain import progress as P
from ...models import TaskForce
from .. import memo as cache
from . import county_growth
from ..figures import metrics as Q
from ..targets import annual as T
from ..targets.shares import shares_for
from .options import ProgressOptions

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class QuarterProgress:
    quarter: int
    key: str
    checkpoint: Decimal | None
    actual: Decimal
    cumulative: Decimal
    closed: bool
    completion: Decimal | None
    time_progress: Decimal
    gap_points: Decimal | None
    status: str
    catch_up: Decimal | None     # needed in this quarter (open quarters only)


@dataclass(frozen=True)
class MetricProgress:
    key: str
    label: str
    unit: str
    target: Decimal | None
    target_version: int
    actual: Decimal
    completion: Decimal | None
    time_progress: Decimal
    gap_points: Decimal | None
    status: str
    milestones: MS.Milestones
    checkpoints: tuple
    quarters: tuple
    catch_up: tuple
    remaining: Decimal | None
    forecast: Decimal
    forecast_completion: Decimal | None
    monthly: tuple
    cumulative_monthly: tuple
    current_target_version: int = 0     # newest version (> target_version: revised since)
    target_before_set: bool = False     # as_of precedes every version: the first is used

    @property
    def target_superseded(self):
        """The view used an older target version than the current one."""
        return self.current_target_version > self.target_version

    @property
    def status_label(self):
        return P.STATUS_LABELS[self.status]

    @property
    def has_target(self):
        return self.target is not None


@dataclass(frozen=True)
class TaskForceProgress:
    task_force_id: int
    code: str
    name: str
    kind: str
    metrics: dict
    score: Decimal | None   # mean completion over the metrics with a target, each capped
                            # at RANKING_CAP_PCT (domain.progress.score)
    rank: int               # 1 = best; 0 when not ranked
    status: str             # worst colour over the metrics with a target

    def metric(self, key):
        return self.metrics[key]


@dataclass(frozen=True)
class Warning:
    level: str          # "red" | "orange" | "yellow" | "info"
    kind: str           # "behind" | "no_target" | "county_growth"
    text: str           # zh-CN
    task_force_id: int | None = None
    county_id: int | None = None
    metric: str | None = None


@dataclass(frozen=True)
class CityReport:
    year: int
    as_of: datetime.date
    precision: str
    time_progress: Decimal
    rows: tuple
    totals: dict
    counties: tuple
    warnings: tuple
    shares: dict = field(default_factory=dict)

    def row(self, code):
        """The TaskForceProgress of the task force with ``code`` (KeyError if absent)."""
        for row in self.rows:
            if row.code == code:
                return row
        raise KeyError(code)


@dataclass(frozen=True)
class QuarterResult:
    task_force_id: int
    code: str
    year: int
    quarter: int
    metric: str
    target: Decimal | None
    target_version: int
    checkpoint: Decimal | None
    quarter_actual: Decimal
    cumulative: Decimal
    completion: Decimal | None
    time_progress: Decimal
    gap_points: Decimal | None
    status: str


# --- pure assembly -----------------------------------------------------------------

def metric_progress(key, year, as_of, target, target_version, monthly, shares,
                    pipeline_by_stage=None, options=None, *, current_version=0,
                    before_set=False):
    """MetricProgress of one metric from its target (the version in force at ``as_of``;
    ``current_version``: the newest) and 12 monthly actuals."""
    options = options or ProgressOptions()
    metric = M.get(key)
    target = None if target is None else P.amount(target)
    tp = periods.time_progress(year, as_of, options.precision)
    running = P.cumulative(monthly)
    last = periods.clamp(as_of, year)
    actual = running[last.month - 1] if last else ZERO
    comp = P.completion(actual, target)
    gap = P.gap_points(comp, tp)
    cps = P.checkpoints(target, shares)
    catch = P.catch_up(target, cps, actual, periods.open_quarters(year, as_of))
    if as_of >= periods.year_end(year):
        projected = actual
    else:
        projected = F.project(key, actual, pipeline_by_stage or {}, options.probabilities)
    return MetricProgress(
        key=key, label=metric.label, unit=metric.unit, target=target,
        target_version=target_version or 0, actual=actual, completion=comp,
        time_progress=tp, gap_points=gap, status=P.status(gap, options.bands, tp),
        milestones=MS.judge(year, as_of, target, cps, monthly, running),
        checkpoints=cps, quarters=_quarters(year, as_of, target, cps, monthly, running, catch,
                                            options),
        catch_up=catch,
        remaining=None if target is None else P.amount(max(target - actual, ZERO)),
        forecast=projected, forecast_completion=P.completion(projected, target),
        monthly=tuple(monthly), cumulative_monthly=running,
        current_target_version=max(current_version or 0, target_version or 0),
        target_before_set=bool(before_set and target is not None))


def _quarters(year, as_of, target, cps, monthly, running, catch, options):
    """QuarterProgress Q1..Q4, each judged at its end (or at ``as_of`` while open)."""
    needed = {c.quarter: c.needed for c in catch}
    per_quarter = P.quarter_totals(monthly)
    out = []
    for q, key, closed, q_tp in periods.quarter_views(year, as_of, options.precision):
        cum = running[3 * q - 1]
        q_comp = P.completion(cum, target)
        q_gap = P.gap_points(q_comp, q_tp)
        out.append(QuarterProgress(
            q, key, cps[q - 1], per_quarter[q - 1], cum, closed,
            q_comp, q_tp, q_gap, P.status(q_gap, options.bands), needed.get(q)))
    return tuple(out)


_STATUS_ORDER = P.STATUS_ORDER


def _team_row(team, year, as_of, monthly, targets, shares, pipeline, options,
              cap=P.DEFAULT_RANKING_CAP):
    metrics = {}
    for key in M.KEYS:
        tgt = targets.get((team.id, key))
        metrics[key] = metric_progress(
            key, year, as_of, tgt.value if tgt else None, tgt.version if tgt else 0,
            monthly[key], shares[key], pipeline.get(key, {}), options,
            current_version=tgt.latest_version if tgt else 0,
            before_set=tgt.before_first if tgt else False)
    judged = [m for m in metrics.values() if m.completion is not None]
    score = P.score((m.completion for m in judged), cap)
    worst = min((m.status for m in judged), key=_STATUS_ORDER.get, default=P.GREY)
    return TaskForceProgress(team.id, team.code, team.name, team.kind, metrics, score, 0, worst)


def _ranked(rows):
    ordered = sorted(rows, key=lambda r: (r.score is None, -(r.score or 0), r.code))
    return tuple(TaskForceProgress(r.task_force_id, r.code, r.name, r.kind, r.metrics, r.score,
                                   i, r.status) for i, r in enumerate(ordered, start=1))


def _totals(rows, year, as_of, shares, options):
    totals = {}
    for key in M.KEYS:
        monthly = [ZERO] * 12
        target, forecast_extra = None, ZERO
        for row in rows:
            m = row.metrics[key]
            monthly = [a + b for a, b in zip(monthly, m.monthly)]
            if m.target is not None:
                target = (target or ZERO) + m.target
            forecast_extra += m.forecast - m.actual
        base = metric_progress(key, year, as_of, target, 0, tuple(P.amount(v) for v in monthly),
                               shares[key], None, options)
        forecast = P.amount(base.forecast + forecast_extra)
        totals[key] = MetricProgress(**{**base.__dict__, "forecast": forecast,
                                        "forecast_completion": P.completion(forecast, target)})
    return totals


# --- warnings -----------------------------------------------------------------------

def _warnings(rows, counties):
    out = []
    for row in sorted(rows, key=lambda r: r.code):
        missing = [m.label for k, m in row.metrics.items()
                   if m.target is None and M.get(k).default_target is not None]
        if missing:
            out.append(Warning("info", "no_target",
                               f"{row.name}未设置年度目标：{'、'.join(missing)}",
                               task_force_id=row.task_force_id))
        for key, m in row.metrics.items():
            if m.status in (P.RED, P.ORANGE):
                out.append(Warning(
                    m.status, "behind",
                    f"{row.name}「{m.label}」完成 {m.completion}%，"
                    f"欠进度 {-m.gap_points} 个百分点（{m.status_label}）",
                    task_force_id=row.task_force_id, metric=key))
    for c in counties:
        if c.status in (P.RED, P.ORANGE):
            out.append(Warning(c.status, "county_growth",
                               f"{c.name}到位资金同比增长 {c.growth}%，低于 {c.growth_goal}% 的目标",
                               county_id=c.county_id, metric=M.FUNDS_RECEIVED))
    order = {"red": 0, "orange": 1, "yellow": 2, "info": 3}
    return tuple(sorted(out, key=lambda w: order[w.level]))


# --- public entry points -------------------------------------------------------------

def _teams(task_force_ids=None):
    q = TaskForce.select().where(TaskForce.active == True)  # noqa: E712
    if task_force_ids is not None:
        q = q.where(TaskForce.id.in_(list(task_force_ids)))
    return list(q.order_by(TaskForce.code))


def _rows_for(teams, year, as_of, options, cap=P.DEFAULT_RANKING_CAP, every=False):
    # every: all active teams; read all figures (by id) rather than list ids in SQL
    ids = None if every else [t.id for t in teams]
    actuals = Q.monthly_actuals(year, as_of, ids)
    pipeline = Q.pipeline_amounts(year, ids, as_of=as_of, contract_share=options.contract_share)
    targets = T.targets_in_force(year, as_of, ids)   # the version in force at as_of
    shares = shares_for(year)
    rows = [_team_row(t, year, as_of, Q.team_monthly(actuals, t.id), targets, shares,
                      pipeline.get(t.id, {}), options, cap) for t in teams]
    return rows, shares


def build_report(year, as_of, options=None):
    """The city progress report for ``year`` judged at ``as_of``: computed once per data
    version (services.memo; the same as ``fresh_report``)."""
    options = options or ProgressOptions()
    return cache.remembered("city", (int(year), as_of, cache.options_key(options)),
                            lambda: fresh_report(year, as_of, options))


def fresh_report(year, as_of, options=None):
    """``build_report`` computed from the figures now."""
    options = options or ProgressOptions()
    year = int(year)
    rows, shares = _rows_for(_teams(), year, as_of, options, options.ranking_cap, every=True)
    ranked = _ranked(rows)
    counties = county_growth.county_progress(year, as_of, options)
    return CityReport(year=year, as_of=as_of, precision=options.precision,
                      time_progress=periods.time_progress(year, as_of, options.precision),
                      rows=ranked, totals=_totals(ranked, year, as_of, shares, options),
                      counties=counties, warnings=_warnings(ranked, counties), shares=shares)


def task_force_report(task_force, year, as_of, options=None):
    """TaskForceProgress of one task force (active or not), rank 0; computed once per data
    version like ``build_report``."""
    options = options or ProgressOptions()
    team = task_force if isinstance(task_force, TaskForce) else TaskForce.get_by_id(task_force)
    return cache.remembered(
        "team", (team.id, int(year), as_of, cache.options_key(options)),
        lambda: _rows_for([team], int(year), as_of, options, options.ranking_cap)[0][0])


def quarter_results(year, quarter, options=None, task_force_ids=None):
    """Per active task force and metric: the quarter's result judged at its last day."""
    options = options or ProgressOptions()
    as_of = periods.quarter_end(year, quarter)
    rows, _ = _rows_for(_teams(task_force_ids), year, as_of, options)
    out = []
    for row in rows:
        for key, m in row.metrics.items():
            qp = m.quarters[quarter - 1]
            out.append(QuarterResult(
                row.task_force_id, row.code, year, quarter, key, m.target, m.target_version,
                qp.checkpoint, qp.actual, qp.cumulative, qp.completion, qp.time_progress,
                qp.gap_points, qp.status))
    return tuple(out)


def county_progress(year, as_of, options=None, county_ids=None):
    """CountyProgress for the active counties/zones (or ``county_ids``)."""
    return county_growth.county_progress(year, as_of, options or ProgressOptions(), county_ids)
