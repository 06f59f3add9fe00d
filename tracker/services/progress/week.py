"""本周动态 on the dashboard: what happened in the week of ``as_of`` (Monday to ``as_of``).

Reuses the weekly summary's reading of the week's stage events (summary_data, as in
``week_changes``) and adds what the leader asks about first:

``dashboard_week(report, previous=None) -> WeekNews``
    week (domain.weeks.Week), start, end (Monday .. as_of),
    deals:      tuple[Deal] the first ITEMS counted signings and 开工 of the week (signings
                first, each by day and entry): kind "signed" | "started", day, task force name, project id and
                name, amount (万元: the contract value; for 开工 the contract value or else
                the planned investment), amount_label; deal_count: how many there are,
                counted up to COUNT_CAP (``deals_capped``: at least that many);
    flags:      tuple[NewFlag] the first ITEMS 90天未推进 and 建议退库 levels reached in
                the week (open at ``as_of``), most severe first; flag_count (and
                flags_capped) likewise;
    milestones: tuple[ReachedMilestone] milestones a task force reached in the week:
                met at ``as_of`` but not on the Sunday before (``previous``:
                ``milestones_at`` that day; left out, it is judged here).
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from peewee import Case

from ... import clock

from ...domain import metrics as M
from ...domain import milestones as MS
from ...domain import pipeline, staleness
from ...domain import progress as P
from ...domain.weeks import week_of
from ...models import Project, StageEvent, StaleFlag, TaskForce
from ..figures import metrics
from ..targets import annual
from ..targets.shares import shares_for
from .. import memo as cache
# The weekly summary's reading of a stage change (new, advance, back, dropped).

DEAL_STAGES = (pipeline.SIGNED, pipeline.STARTED)
FLAG_LEVELS = (staleness.PROPOSE_DROP, staleness.RED)
MILESTONE_KEYS = ("kaimenhong", "shuangguoban", "q3", "full_year")
ITEMS = 15   # deals and flags listed; the rest are counted
COUNT_CAP = 1000   # counted up to this many (a province's busiest week: "1000 项以上")


@dataclass(frozen=True)
class Deal:
    kind: str
    day: datetime.date
    task_force: str
    project_id: int
    project_name: str
    amount: Decimal | None
    amount_label: str


@dataclass(frozen=True)
class NewFlag:
    level: str
    since: datetime.date
    task_force: str
    project_id: int
    project_name: str

    @property
    def label(self):
        return staleness.label(self.level)

    @property
    def css(self):
        return staleness.CSS_STATUS.get(self.level, "")

    @property
    def mark(self):
        return staleness.mark(self.level)


@dataclass(frozen=True)
class ReachedMilestone:
    task_force: str
    code: str
    metric: str
    name: str


@dataclass(frozen=True)
class WeekNews:
    week: object
    start: datetime.date
    end: datetime.date
    deals: tuple        # the first ITEMS of them
    flags: tuple        # the first ITEMS of them
    milestones: tuple
    deal_count: int = 0
    flag_count: int = 0

    @property
    def deals_capped(self):
        return self.deal_count >= COUNT_CAP

    @property
    def flags_capped(self):
        return self.flag_count >= COUNT_CAP

    @property
    def empty(self):
        return not (self.deals or self.flags or self.milestones)


def _advances(stage):
    """Condition of a stage event that moves a project forward into ``stage`` (a new
    project or a step up from a lower stage or 退库: domain.pipeline.change_kind)."""
    lower = [s for s in pipeline.STAGES if pipeline.change_kind(s, stage) == "advance"]
    return (StageEvent.stage == stage) & (StageEvent.from_stage.is_null()
                                          | StageEvent.from_stage.in_(lower))


def _reported():
    """The city report's task forces (the active ones, progress._teams) as a condition on
    the joined task force: read from the week's rows, not through the task forces'
    projects (with an id list SQLite, without ANALYZE, starts from there)."""
    return TaskForce.active == True  # noqa: E712


def _listed(query, count_column, order, limit):
    """(the first ``limit`` rows of ``query`` in ``order``, how many rows it has up to
    COUNT_CAP): the count reads at most COUNT_CAP of them."""
    total = query.select(count_column).order_by().limit(COUNT_CAP).count()
    return (list(query.order_by(*order).limit(limit).tuples()) if total else []), total


def _deals(report, start, end, limit):
    """The week's counted 签约 and 开工 (new or forward moves) of the report's task
    forces: the first ``limit`` (signings first, by day and entry), how many there are."""
    names = {row.task_force_id: row.name for row in report.rows}
    query = (StageEvent.select(StageEvent.occurred_on, StageEvent.stage, Project.id,
                               Project.name, Project.task_force, Project.contract_value,
                               Project.planned_investment)
             .join(Project).join(TaskForce, on=(Project.task_force == TaskForce.id))
             .where(StageEvent.stage.in_(DEAL_STAGES)   # index (stage, occurred_on)
                    & StageEvent.occurred_on.between(start, end) & StageEvent.counted()
                    & (_advances(pipeline.SIGNED) | _advances(pipeline.STARTED))
                    & _reported()))
    # signings, then 开工, each by day and entry: the index (stage, occurred_on, id) walked
    # in order, stopping after ``limit`` however busy the week was
    rows, total = _listed(query, StageEvent.id, (StageEvent.stage, StageEvent.occurred_on,
                                                 StageEvent.id), limit)
    out = []
    for day, stage, pid, name, team, contract, planned in rows:
        amount, label = contract, "签约额"
        if stage == pipeline.STARTED and not contract:
            amount, label = planned, "计划投资"
        out.append(Deal("signed" if stage == pipeline.SIGNED else "started",
                        clock.as_date(day), names[team], pid, name, amount, label))
    return tuple(out), total


def _flags(start, end, limit):
    """The week's new 90天未推进/建议退库 flags still open at ``end``: the first ``limit``
    (most severe, earliest, by name) and how many there are."""
    severity = Case(StaleFlag.level, [(lv, staleness.severity(lv)) for lv in FLAG_LEVELS], 0)
    query = (StaleFlag.select(StaleFlag.level, StaleFlag.since, Project.id, Project.name,
                              TaskForce.name)
             .join(Project, on=(StaleFlag.project == Project.id))
             .join(TaskForce, on=(Project.task_force == TaskForce.id))
             .where(StaleFlag.level.in_(FLAG_LEVELS) & StaleFlag.since.between(start, end)
                    & (StaleFlag.cleared_on.is_null() | (StaleFlag.cleared_on > end))
                    & _reported()))
    rows, total = _listed(query, StaleFlag.id, (severity.desc(), StaleFlag.since, Project.name,
                                                Project.id), limit)
    return tuple(NewFlag(level, clock.as_date(since), team, pid, name)
                 for level, since, pid, name, team in rows), total


def milestones_at(report, day):
    """{(task_force_id, metric key): Milestones} judged at ``day`` (before
    ``report.as_of``): the milestone part of the progress report (actuals, the targets in
    force, checkpoints) without its pipeline, counties or ranking. The actuals on ``day``
    are the report's own less what counted after ``day`` (metrics.earlier_actuals)."""
    year = report.year
    now = {row.task_force_id: {key: m.monthly for key, m in row.metrics.items()}
           for row in report.rows}
    actuals = metrics.earlier_actuals(now, year, report.as_of, day)
    in_force = annual.targets_in_force(year, day)
    shares = shares_for(year)
    out = {}
    for row in report.rows:
        monthly = metrics.team_monthly(actuals, row.task_force_id)
        for key in M.KEYS:
            tgt = in_force.get((row.task_force_id, key))
            target = None if tgt is None else P.amount(tgt.value)
            out[(row.task_force_id, key)] = MS.judge(
                year, day, target, P.checkpoints(target, shares[key]), monthly[key])
    return out


def _milestones(report, previous):
    """Milestones met at ``report.as_of`` and not in ``previous`` (milestones_at)."""
    out = []
    for row in report.rows:
        for key in M.KEYS:
            now = row.metrics[key].milestones.as_dict()
            then = previous.get((row.task_force_id, key))
            then = then.as_dict() if then is not None else {}
            for name in MILESTONE_KEYS:
                if now[name] is True and then.get(name) is not True:
                    early = name == "shuangguoban" and now["shuangguoban_early"]
                    out.append(ReachedMilestone(row.name, row.code, M.label(key),
                                                ("提前" if early else "") + MS.NAMES[name]))
    return tuple(out)


def dashboard_week(report, previous=None):
    """WeekNews of the week of ``report.as_of`` (from Monday up to as_of)."""
    end = report.as_of
    week = week_of(end)
    start = week.monday
    before = start - datetime.timedelta(days=1)
    # both read only what moves the data version (services.memo), as the report
    key = (report.year, end, ITEMS, COUNT_CAP)
    if previous is None:
        # In January the week may start in the year before: nothing was reached then.
        previous = cache.remembered("week_milestones", key, lambda: milestones_at(
            report, before)) if before.year == report.year else {}
    deals, deal_count = cache.remembered("week_deals", key,
                                         lambda: _deals(report, start, end, ITEMS))
    flags, flag_count = _flags(start, end, ITEMS)
    return WeekNews(week, start, end, deals, flags, _milestones(report, previous),
                    deal_count, flag_count)
