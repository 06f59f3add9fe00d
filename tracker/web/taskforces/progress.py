"""Progress section of the task-force page (templates/taskforces/_progress.html).

Context for the task-force detail page: per metric a
quarterly table (checkpoint, catch-up, actual, cumulative, status, and for closed
quarters the frozen snapshot), a cumulative-vs-checkpoint chart, a funnel chart by
stage and the team's stale projects. Year and as-of date come from the query string.
"""
from dataclasses import dataclass

from flask import request

from ... import charts
from ...domain import periods, pipeline
from ...domain import progress as P
from ...services.progress import report as progress_service
from ...services.progress import snapshots as snapshot_service
from ...services.staleness import flags as stale_service
from ..period import parse_period
from ... import settings
from ..progress_helpers import STALE_LIMIT, template_helpers


@dataclass(frozen=True)
class QuarterLine:
    """One quarter of one metric: live numbers plus the frozen snapshot if any."""
    live: object            # services.progress.report.QuarterProgress
    snapshot: object        # models.QuarterSnapshot or None
    started: bool           # the quarter has begun by the as-of date


def amount_fmt(unit):
    """Axis/label formatter: 亿元 for money (stored 万元), integers for counts."""
    if unit == "个":
        return lambda v: f"{v:,.0f}"
    return lambda v: f"{v / 10000:,.2f}"


def metric_chart(m, year, as_of):
    """Cumulative actual (quarters begun by ``as_of``) against the checkpoints."""
    fmt = amount_fmt(m.unit)
    actuals = [q.cumulative if as_of >= periods.quarter_start(year, q.quarter) else None
               for q in m.quarters]
    catch = None
    if m.catch_up:
        # cumulative catch-up path: actual so far plus what each open quarter needs
        reached, catch = m.actual, [None] * 4
        for c in m.catch_up:
            reached = reached + c.needed
            catch[c.quarter - 1] = reached
    return charts.cumulative_chart(
        [f"Q{q.quarter}" for q in m.quarters],
        [q.checkpoint or 0 for q in m.quarters], actuals, catch_up=catch,
        forecast=m.forecast if m.target is not None else None,
        title=f"{m.label}（{'个' if m.unit == '个' else '亿元'}）", fmt=fmt)


def funnel_chart(funnel):
    steps = [s for s in funnel if s.stage in pipeline.ORDER]
    return charts.funnel([(s.label, s.reached) for s in steps], title="项目漏斗（累计到达各阶段）")


def progress_context(team, funnel):
    period = parse_period(request.args)
    progress = progress_service.task_force_report(team, period.year, period.as_of,
                                                  settings.progress())
    frozen = snapshot_service.snapshots(period.year, [team.id])
    lines = {key: [QuarterLine(q, frozen.get((team.id, key, q.quarter)) if q.closed else None,
                               period.as_of >= periods.quarter_start(period.year, q.quarter))
                   for q in m.quarters]
             for key, m in progress.metrics.items()}
    helpers = template_helpers()
    return {
        "milestone_badges": helpers["milestone_badges"],
        "milestone_state_labels": helpers["milestone_state_labels"],
        "project_url": helpers["project_url"],
        "status_label": lambda code: P.STATUS_LABELS.get(code, code or "—"),
        "charts": charts,
        "tf_progress": progress,
        "tf_period": period,
        "tf_quarter_lines": lines,
        "tf_charts": {key: metric_chart(m, period.year, period.as_of)
                      for key, m in progress.metrics.items()
                      if m.target is not None or m.actual},
        "tf_funnel_chart": funnel_chart(funnel),
        "tf_stale": stale_service.worst_flags([team.id], as_of=period.as_of,
                                              limit=STALE_LIMIT),
    }

