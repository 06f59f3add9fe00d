"""Progress report: targets vs actuals per task force, city totals, counties.

This is the contract the scheduler (snapshots), dashboards/API and weekly
emails build on. All objects are frozen dataclasses; amounts are Decimal
万元 (a count for ``negotiations``); percentages are Decimal percent with 2
places (50.00 = 50%); dates are ``datetime.date``.

``build_report(year, as_of) -> CityReport``
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
    key, label, unit, target (None = no target), target_version (0 = none),
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

``task_force_report(task_force, year, as_of) -> TaskForceProgress`` gives the
same numbers for one team (its rank is 0: not ranked alone).

``quarter_results(year, quarter) -> tuple[QuarterResult]`` gives what the
scheduler freezes at a quarter close: per task force and metric the target
and its version, checkpoint target, quarter actual, cumulative, completion,
time progress, gap points and status, judged at the quarter's last day.

Settings (app config, all optional): PROGRESS_PRECISION ("month"),
PROGRESS_STATUS_BANDS (e.g. {"green": 0, "yellow": -10, "orange": -30}),
FORECAST_PROBABILITIES ({"reserve": 0.1, "packaged": 0.3, "negotiating": 0.6}),
COUNTY_GROWTH_GOAL (20, percent; a county target version overrides it),
FORECAST_CONTRACT_SHARE (0.2: expected contract value of an unsigned project
without one = planned investment x share).

Forecast: actual + sum over open projects whose expected signing date lies
after ``as_of`` within the year of probability(stage) x amount (see
services.metrics.pipeline_amounts); at or after year end it equals the actual.
"""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, has_app_context

from ..domain import forecast as F
from ..domain import metrics as M
from ..domain import milestones as MS
from ..domain import periods
from ..domain import progress as P
from ..models import County, TaskForce
from . import metrics as Q
from . import targets as T

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
    score: Decimal | None   # mean completion over the metrics with a target
    rank: int               # 1 = best; 0 when not ranked
    status: str             # worst colour over the metrics with a target

    def metric(self, key):
        return self.metrics[key]


@dataclass(frozen=True)
class CountyProgress:
    county_id: int
    code: str
    name: str
    kind: str
    actual: Decimal                    # funds received 1 Jan .. as_of
    last_year_same_period: Decimal | None
    last_year_total: Decimal           # previous year's ledger actual
    base: Decimal | None               # base used for the goal
    base_source: str                   # "ledger" | "manual" | "none"
    growth_goal: Decimal               # percent, default 20
    target: Decimal | None             # base x (1 + goal)
    target_version: int
    completion: Decimal | None         # actual / target
    growth: Decimal | None             # actual vs last year's same period, percent
    gap_points: Decimal | None         # growth - goal
    status: str

    @property
    def status_label(self):
        return P.STATUS_LABELS[self.status]


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


# --- settings -----------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    precision: str = periods.MONTH
    bands: P.StatusBands = P.DEFAULT_BANDS
    probabilities: dict = field(default_factory=lambda: dict(F.DEFAULT_PROBABILITIES))
    county_growth_goal: Decimal = T.DEFAULT_GROWTH_PCT
    contract_share: Decimal = Q.DEFAULT_CONTRACT_SHARE


def settings():
    """Settings from the app config (defaults outside an app context)."""
    if not has_app_context():
        return Settings()
    cfg = current_app.config
    return Settings(
        precision=cfg.get("PROGRESS_PRECISION", periods.MONTH),
        bands=P.StatusBands.from_config(cfg.get("PROGRESS_STATUS_BANDS")),
        probabilities=F.probabilities(cfg.get("FORECAST_PROBABILITIES")),
        county_growth_goal=Decimal(str(cfg.get("COUNTY_GROWTH_GOAL", T.DEFAULT_GROWTH_PCT))),
        contract_share=Decimal(str(cfg.get("FORECAST_CONTRACT_SHARE",
                                           Q.DEFAULT_CONTRACT_SHARE))),
    )


# --- pure assembly -----------------------------------------------------------------

def metric_progress(key, year, as_of, target, target_version, monthly, shares,
                    pipeline_by_stage=None, cfg=None):
    """MetricProgress of one metric from its target and 12 monthly actuals."""
    cfg = cfg or Settings()
    metric = M.get(key)
    target = None if target is None else P.amount(target)
    tp = periods.time_progress(year, as_of, cfg.precision)
    running = P.cumulative(monthly)
    last = periods.clamp(as_of, year)
    actual = running[last.month - 1] if last else ZERO
    comp = P.completion(actual, target)
    gap = P.gap_points(comp, tp)
    cps = P.checkpoints(target, shares)
    open_qs = periods.open_quarters(year, as_of)
    catch = P.catch_up(target, cps, actual, open_qs)
    needed = {c.quarter: c.needed for c in catch}
    per_quarter = P.quarter_totals(monthly)
    quarters = []
    for q in periods.QUARTERS:
        end = periods.quarter_end(year, q)
        closed = as_of >= end
        cum = running[3 * q - 1]
        q_tp = periods.time_progress(year, min(end, as_of), cfg.precision)
        q_comp = P.completion(cum, target)
        q_gap = P.gap_points(q_comp, q_tp)
        quarters.append(QuarterProgress(
            q, periods.quarter_key(year, q), cps[q - 1], per_quarter[q - 1], cum, closed,
            q_comp, q_tp, q_gap, P.status(q_gap, cfg.bands), needed.get(q)))
    if as_of >= periods.year_end(year):
        projected = actual
    else:
        projected = F.project(key, actual, pipeline_by_stage or {}, cfg.probabilities)
    return MetricProgress(
        key=key, label=metric.label, unit=metric.unit, target=target,
        target_version=target_version or 0, actual=actual, completion=comp,
        time_progress=tp, gap_points=gap, status=P.status(gap, cfg.bands),
        milestones=MS.judge(year, as_of, target, cps, monthly),
        checkpoints=cps, quarters=tuple(quarters), catch_up=catch,
        remaining=None if target is None else P.amount(max(target - actual, ZERO)),
        forecast=projected, forecast_completion=P.completion(projected, target),
        monthly=tuple(monthly), cumulative_monthly=running)


_STATUS_ORDER = {P.RED: 0, P.ORANGE: 1, P.YELLOW: 2, P.GREEN: 3, P.GREY: 4}


def _team_row(team, year, as_of, monthly, targets, shares, pipeline, cfg):
    metrics = {}
    for key in M.KEYS:
        tgt = targets.get((team.id, key))
        metrics[key] = metric_progress(
            key, year, as_of, tgt.value if tgt else None, tgt.version if tgt else 0,
            monthly[key], shares[key], pipeline.get(key, {}), cfg)
    judged = [m for m in metrics.values() if m.completion is not None]
    score = P.pct(sum((m.completion for m in judged), Decimal(0)) / len(judged)) \
        if judged else None
    worst = min((m.status for m in judged), key=_STATUS_ORDER.get, default=P.GREY)
    return TaskForceProgress(team.id, team.code, team.name, team.kind, metrics, score, 0, worst)


def _ranked(rows):
    ordered = sorted(rows, key=lambda r: (r.score is None, -(r.score or 0), r.code))
    return tuple(TaskForceProgress(r.task_force_id, r.code, r.name, r.kind, r.metrics, r.score,
                                   i, r.status) for i, r in enumerate(ordered, start=1))


def _totals(rows, year, as_of, shares, cfg):
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
                               shares[key], None, cfg)
        forecast = P.amount(base.forecast + forecast_extra)
        totals[key] = MetricProgress(**{**base.__dict__, "forecast": forecast,
                                        "forecast_completion": P.completion(forecast, target)})
    return totals


# --- counties -----------------------------------------------------------------------

def county_progress(year, as_of, cfg=None, county_ids=None):
    """CountyProgress for the active counties/zones (or ``county_ids``).

    Base: a hand-entered base in the county's current target version wins
    (entered when the ledger has no history); otherwise last year's full-year
    ledger actual. Growth compares this year's funds up to ``as_of`` with the
    same period last year (from the ledger; with a manual base, the base
    pro-rated by time progress). Status colours growth - goal with the bands;
    grey without a base; green when last year's same period had nothing (growth
    is then None) but this year has funds.
    """
    cfg = cfg or Settings()
    q = County.select().where(County.active == True)  # noqa: E712
    if county_ids is not None:
        q = q.where(County.id.in_(list(county_ids)))
    counties = list(q.order_by(County.code))
    ids = [c.id for c in counties]
    last = periods.clamp(as_of, year)
    prev_start, prev_end = periods.year_start(year - 1), periods.year_end(year - 1)
    funds = Q.county_funds_windows({
        "this_year": (periods.year_start(year), last) if last else None,
        "prev_total": (prev_start, prev_end),
        "prev_same": (prev_start, Q.same_day_last_year(last)) if last else None,
    }, ids)
    this_year, prev_total, prev_same = \
        funds["this_year"], funds["prev_total"], funds["prev_same"]
    goals = T.current_county_targets(year, ids)
    tp = periods.time_progress(year, as_of, cfg.precision)
    out = []
    for c in counties:
        goal_row = goals.get(c.id)
        growth_goal = Decimal(goal_row.growth_pct) if goal_row else cfg.county_growth_goal
        actual = this_year.get(c.id, ZERO)
        total_prev = prev_total.get(c.id, ZERO)
        if goal_row is not None and goal_row.base is not None:
            base, source = Decimal(goal_row.base), "manual"
            same = P.amount(base * tp / periods.HUNDRED)
        elif total_prev > 0:
            base, source = total_prev, "ledger"
            same = prev_same.get(c.id, ZERO)
        else:
            base, source, same = None, "none", None
        target = P.amount(base * (periods.HUNDRED + growth_goal) / periods.HUNDRED) \
            if base is not None else None
        growth = P.pct((actual - same) * periods.HUNDRED / same) if same else None
        gap = P.pct(growth - growth_goal) if growth is not None else None
        colour = P.status(gap, cfg.bands)
        if base is not None and not same and actual > 0:
            colour = P.GREEN   # nothing by this date last year: any funds beat it
        out.append(CountyProgress(
            c.id, c.code, c.name, c.kind, actual, same, total_prev, base, source, growth_goal,
            target, goal_row.version if goal_row else 0, P.completion(actual, target), growth,
            gap, colour))
    return tuple(out)


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


def _rows_for(teams, year, as_of, cfg):
    ids = [t.id for t in teams]
    actuals = Q.monthly_actuals(year, as_of, ids)
    pipeline = Q.pipeline_amounts(year, ids, as_of=as_of, contract_share=cfg.contract_share)
    targets = T.current_targets(year, ids)
    shares = T.shares_for(year)
    rows = [_team_row(t, year, as_of, Q.team_monthly(actuals, t.id), targets, shares,
                      pipeline.get(t.id, {}), cfg) for t in teams]
    return rows, shares


def build_report(year, as_of, cfg=None):
    """The city progress report for ``year`` judged at ``as_of``."""
    cfg = cfg or settings()
    year = int(year)
    rows, shares = _rows_for(_teams(), year, as_of, cfg)
    ranked = _ranked(rows)
    counties = county_progress(year, as_of, cfg)
    return CityReport(year=year, as_of=as_of, precision=cfg.precision,
                      time_progress=periods.time_progress(year, as_of, cfg.precision),
                      rows=ranked, totals=_totals(ranked, year, as_of, shares, cfg),
                      counties=counties, warnings=_warnings(ranked, counties), shares=shares)


def task_force_report(task_force, year, as_of, cfg=None):
    """TaskForceProgress of one task force (active or not), rank 0."""
    cfg = cfg or settings()
    team = task_force if isinstance(task_force, TaskForce) else TaskForce.get_by_id(task_force)
    rows, _ = _rows_for([team], int(year), as_of, cfg)
    return rows[0]


def quarter_results(year, quarter, cfg=None, task_force_ids=None):
    """Per active task force and metric: the quarter's result judged at its last day."""
    cfg = cfg or settings()
    as_of = periods.quarter_end(year, quarter)
    rows, _ = _rows_for(_teams(task_force_ids), year, as_of, cfg)
    out = []
    for row in rows:
        for key, m in row.metrics.items():
            qp = m.quarters[quarter - 1]
            out.append(QuarterResult(
                row.task_force_id, row.code, year, quarter, key, m.target, m.target_version,
                qp.checkpoint, qp.actual, qp.cumulative, qp.completion, qp.time_progress,
                qp.gap_points, qp.status))
    return tuple(out)
