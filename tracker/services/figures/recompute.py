"""Nightly recompute: repair the denormalised project columns from the history.

Each project keeps the first date it reached every milestone stage
(packaged_on ... at_capacity_on) and its last progress date, updated on every
write (tracker/services/ledger/projects.py). This job re-derives them with SQL
aggregates over the dated history and repairs drift in the only safe
direction:

* a first-reached date is filled in or moved EARLIER, never later and never
  cleared (a later date could count a project twice or in the wrong period);
* last_progress_on is filled in or moved LATER, never earlier.

Only history dated on or before ``as_of`` is considered, and voided (作废) rows
never count. Every repaired project gets an audit row (user: none, action "repair").

Then the maintained monthly figures (tracker/services/figures/monthly.py) are rebuilt from the
ledger: every row that drifted from the full aggregate is listed in the result (key,
stored and expected value) and repaired. The task force and county rows are locked
first, before any read, so no ledger write interleaves with the rebuild.

A void rebuilds one project's columns at once, in both directions
(``first_reached_of`` and ``last_activity_of``, tracker/services/ledger/corrections.py):
taking back a wrong event is the one case where a date moves later or is cleared.
"""
import datetime
import logging
from dataclasses import dataclass, field

from peewee import fn

from ... import clock
from ...domain import pipeline
from ...models import (
    Activity, ActivityProject, CapitalIncrease, FundReceipt, Project, StageEvent, utcnow,
)
from .. import audit, dataversion, tx
from . import monthly as maintained
from . import years as project_years

log = logging.getLogger(__name__)


@dataclass
class RecomputeResult:
    as_of: datetime.date
    first_reached: dict = field(default_factory=dict)  # stage -> projects repaired
    last_progress: int = 0
    projects: set = field(default_factory=set)
    figures: maintained.FigureCheck = field(default_factory=maintained.FigureCheck)
    project_years: tuple = (0, 0)   # project_year rows (now, before the rebuild)

    @property
    def repaired(self):
        return len(self.projects)

    def summary(self):
        parts = [f"{pipeline.label(s)} {n}" for s, n in self.first_reached.items() if n]
        if self.last_progress:
            parts.append(f"最近进展 {self.last_progress}")
        detail = "，".join(parts) if parts else "无偏差"
        return (f"截至 {self.as_of.isoformat()} 修复项目 {self.repaired} 个（{detail}）；"
                + self.figures.summary())


def implied_stages(milestone):
    """Event stages that mean a project reached ``milestone``: the stage itself
    and every later live stage (skipping past counts). 达产 is optional, so only
    a 达产 event reaches 达产 (see pipeline.first_reached_updates)."""
    if milestone == pipeline.AT_CAPACITY:
        return (pipeline.AT_CAPACITY,)
    return pipeline.ORDER[pipeline.rank(milestone):]


def _earliest_events(milestone, as_of):
    return (StageEvent
            .select(StageEvent.project.alias("project_id"),
                    fn.MIN(StageEvent.occurred_on).alias("first_on"))
            .where(StageEvent.stage.in_(implied_stages(milestone))
                   & (StageEvent.occurred_on <= as_of) & StageEvent.counted())
            .group_by(StageEvent.project))


def _drifting_first_reached(milestone, as_of):
    """[(project id, stored date, date from history)] where the stored date is
    missing or later than the history says."""
    column = getattr(Project, pipeline.FIRST_REACHED_FIELD[milestone])
    first = _earliest_events(milestone, as_of).alias("first_event")
    query = (Project
             .select(Project.id, column, first.c.first_on)
             .join(first, on=(first.c.project_id == Project.id))
             .where(column.is_null() | (column > first.c.first_on))
             .tuples())
    return [(pid, stored, clock.as_date(found)) for pid, stored, found in query]


def _latest_activity(as_of):
    """{project id: latest dated activity} over stage events, fund receipts and
    capital increases dated on or before ``as_of``."""
    latest = {}
    sources = ((StageEvent, StageEvent.occurred_on), (FundReceipt, FundReceipt.received_on),
               (CapitalIncrease, CapitalIncrease.occurred_on))
    queries = [model.select(model.project, fn.MAX(column))
               .where((column <= as_of) & model.counted()).group_by(model.project).tuples()
               for model, column in sources]
    queries.append(ActivityProject.select(ActivityProject.project, fn.MAX(Activity.occurred_on))
                   .join(Activity).where((Activity.occurred_on <= as_of) & Activity.voided_at.is_null())
                   .group_by(ActivityProject.project).tuples())
    for query in queries:
        for pid, day in query:
            day = clock.as_date(day)
            if day is not None and (pid not in latest or day > latest[pid]):
                latest[pid] = day
    return latest


def first_reached_of(project_id):
    """{milestone: first date one of the project's counted stage events reached it
    (or skipped past it), or None}."""
    earliest = {stage: clock.as_date(day) for stage, day in (
        StageEvent.select(StageEvent.stage, fn.MIN(StageEvent.occurred_on))
        .where((StageEvent.project == project_id) & StageEvent.counted())
        .group_by(StageEvent.stage).tuples())}
    out = {}
    for milestone in pipeline.MILESTONE_STAGES:
        days = [day for stage, day in earliest.items() if stage in implied_stages(milestone)]
        out[milestone] = min(days) if days else None
    return out


def last_activity_of(project_id):
    """The latest date of the project's counted events, receipts and increases and of the
    follow-up log's activities on it (None when it has none)."""
    days = []
    for model, column in ((StageEvent, StageEvent.occurred_on),
                          (FundReceipt, FundReceipt.received_on),
                          (CapitalIncrease, CapitalIncrease.occurred_on)):
        day = clock.as_date(model.select(fn.MAX(column))
                       .where((model.project == project_id) & model.counted()).scalar())
        if day is not None:
            days.append(day)
    logged = clock.as_date(ActivityProject.select(fn.MAX(Activity.occurred_on)).join(Activity)
                           .where((ActivityProject.project == project_id) & Activity.voided_at.is_null())
                           .scalar())
    if logged is not None:
        days.append(logged)
    return max(days) if days else None


def recompute(as_of):
    """Repair drifted project columns from history up to ``as_of``; call inside
    a transaction (the scheduler and the CLI do). Returns a RecomputeResult."""
    maintained.lock_owners()   # before any read: see docs in tracker/services/figures/monthly.py
    result = RecomputeResult(as_of=as_of)
    fixes = {}  # project id -> {field: (old, new)}
    for milestone in pipeline.MILESTONE_STAGES:
        name = pipeline.FIRST_REACHED_FIELD[milestone]
        rows = _drifting_first_reached(milestone, as_of)
        result.first_reached[milestone] = len(rows)
        for pid, stored, found in rows:
            fixes.setdefault(pid, {})[name] = (stored, found)

    stored_progress = dict(Project.select(Project.id, Project.last_progress_on).tuples())
    for pid, day in _latest_activity(as_of).items():
        if pid not in stored_progress:
            continue
        stored = stored_progress[pid]
        if stored is None or day > stored:
            fixes.setdefault(pid, {})["last_progress_on"] = (stored, day)
            result.last_progress += 1

    with tx.write():
        for pid, changes in sorted(fixes.items()):
            values = {getattr(Project, name): new for name, (old, new) in changes.items()}
            values[Project.updated_at] = utcnow()
            Project.update(values).where(Project.id == pid).execute()
            audit.record(None, "project", pid, "repair",
                         {k: old for k, (old, new) in changes.items()},
                         {k: new for k, (old, new) in changes.items()})
    result.projects = set(fixes)
    result.figures = maintained.rebuild()
    result.project_years = project_years.rebuild()
    if fixes or result.figures.rows:
        dataversion.changed()  # the reports' data version moves at the commit (last)
    if result.figures.rows:
        log.warning("monthly figures drifted from the ledger (repaired): %s",
                    "; ".join(result.figures.lines(limit=50)))
    return result


