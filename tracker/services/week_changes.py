"""本周动态 on the dashboard: what happened in the week of ``as_of`` (Monday to ``as_of``).

Reuses the weekly summary's reading of the week's stage events (summary_data, as in
``week_changes``) and adds what the leader asks about first:

``dashboard_week(report, previous=None) -> WeekNews``
    week (domain.weeks.Week), start, end (Monday .. as_of),
    deals:      tuple[Deal] signings and 开工 of the week, by day: kind "signed" | "started",
                day, task force name, project id and name, amount (万元: the contract value;
                for 开工 the contract value or else the planned investment), amount_label;
    flags:      tuple[NewFlag] 90天未推进 and 建议退库 levels reached in the week
                (open at ``as_of``), most severe first;
    milestones: tuple[ReachedMilestone] milestones a task force reached in the week:
                met at ``as_of`` but not on the Sunday before (``previous``:
                ``milestones_at`` that day; left out, it is judged here).
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from ..domain import metrics as M
from ..domain import milestones as MS
from ..domain import pipeline, staleness
from ..domain import progress as P
from ..domain.weeks import week_of
from ..models import Project, StageEvent, StaleFlag, TaskForce
from . import metrics, targets
# The weekly summary's reading of a stage change (new, advance, back, dropped).
from .summary_data import stage_change_kind

DEAL_STAGES = (pipeline.SIGNED, pipeline.STARTED)
FLAG_LEVELS = (staleness.PROPOSE_DROP, staleness.RED)
MILESTONE_KEYS = ("kaimenhong", "shuangguoban", "q3", "full_year")


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
    deals: tuple
    flags: tuple
    milestones: tuple

    @property
    def empty(self):
        return not (self.deals or self.flags or self.milestones)


def _deals(report, start, end):
    """The week's counted 签约 and 开工 (new or forward moves), read by date as plain
    rows and kept by task force here: with the task forces in SQL, SQLite (no ANALYZE)
    walks their projects instead of the week."""
    names = {row.task_force_id: row.name for row in report.rows}
    rows = (StageEvent.select(StageEvent.occurred_on, StageEvent.from_stage, StageEvent.stage,
                              Project.id, Project.name, Project.task_force,
                              Project.contract_value, Project.planned_investment)
            .join(Project)
            .where(StageEvent.occurred_on.between(start, end)
                   & StageEvent.stage.in_(DEAL_STAGES) & StageEvent.counted())
            .tuples())
    out = []
    for day, from_stage, stage, pid, name, team, contract, planned in rows:
        if team not in names or stage_change_kind(from_stage, stage) not in ("new", "advance"):
            continue
        amount, label = contract, "签约额"
        if stage == pipeline.STARTED and not contract:
            amount, label = planned, "计划投资"
        out.append(Deal("signed" if stage == pipeline.SIGNED else "started", day,
                        names[team], pid, name, amount, label))
    return tuple(sorted(out, key=lambda d: (d.day, d.kind, d.project_name)))


def _flags(start, end, task_force_ids):
    """The week's new flags, read by date and kept by task force (as in ``_deals``)."""
    wanted = set(task_force_ids)
    query = (StaleFlag.select(StaleFlag.level, StaleFlag.since, Project.id, Project.name,
                              Project.task_force, TaskForce.name.alias("tf_name"))
             .join(Project, on=(StaleFlag.project == Project.id))
             .join(TaskForce, on=(Project.task_force == TaskForce.id))
             .where(StaleFlag.level.in_(FLAG_LEVELS) & StaleFlag.since.between(start, end)
                    & (StaleFlag.cleared_on.is_null() | (StaleFlag.cleared_on > end))))
    out = [NewFlag(row["level"], row["since"], row["tf_name"], row["id"], row["name"])
           for row in query.dicts() if row["task_force"] in wanted]
    return tuple(sorted(out, key=lambda f: (-staleness.severity(f.level), f.since,
                                            f.project_name)))


def milestones_at(year, day, task_force_ids):
    """{(task_force_id, metric key): Milestones} judged at ``day``: the milestone part
    of the progress report (actuals, the targets in force, checkpoints) without its
    pipeline, counties or ranking."""
    actuals = metrics.monthly_actuals(year, day, task_force_ids)
    in_force = targets.targets_in_force(year, day, task_force_ids)
    shares = targets.shares_for(year)
    out = {}
    for tf_id in task_force_ids:
        monthly = metrics.team_monthly(actuals, tf_id)
        for key in M.KEYS:
            tgt = in_force.get((tf_id, key))
            target = None if tgt is None else P.amount(tgt.value)
            out[(tf_id, key)] = MS.judge(year, day, target, P.checkpoints(target, shares[key]),
                                         monthly[key])
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
    ids = [row.task_force_id for row in report.rows]
    week = week_of(end)
    start = week.monday
    if previous is None:
        before = start - datetime.timedelta(days=1)
        # In January the week may start in the year before: nothing was reached then.
        previous = milestones_at(report.year, before, ids) if before.year == report.year \
            else {}
    return WeekNews(week, start, end, _deals(report, start, end), _flags(start, end, ids),
                    _milestones(report, previous))
