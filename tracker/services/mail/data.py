"""What a week's summaries report, collected once for all recipients, and who gets them.

Numbers come from ``tracker.services.progress.report.build_report`` judged at the week's
Sunday (the same report as the dashboard); the week's changes from StageEvent,
FundReceipt and CapitalIncrease dated in the week; stale projects from the open
StaleFlags of the daily staleness scan; 督办逾期 (open items past their deadline) judged at the
same day as the progress. A preview of the week in progress
(``collect(week, settings, until=today)``) judges everything at ``until`` instead: the
changes from Monday to that day, the progress as of that day. ``settings`` (the
MailSettings) give how progress is judged, the links and the unsubscribe signer.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from ...domain import metrics as M
from ...domain import money, periods, pipeline
from ...domain import progress as P
from ...domain.weeks import Week
from ...models import CapitalIncrease, FundReceipt, Membership, Project, StageEvent, User
from ..activities import index as activity_index
from ..progress import report as progress
from ..staleness import flags as staleness
from ..supervision import overdue as supervision_overdue
from .unsubscribe import unsubscribe_url

CITY_ROLES = ("bureau", "admin")

# Next milestone by quarter of the reporting date: (name, goal share of the target).
MILESTONES = {1: ("开门红", "q1"), 2: ("双过半", "half"), 3: ("三季度目标", "q3"), 4: ("全年目标", "year")}


# -- week's changes -----------------------------------------------------------------

@dataclass
class Change:
    kind: str            # new | advance | back | dropped | funds | increase
    day: datetime.date
    task_force_id: int
    project_id: int
    project_name: str
    stage: str = ""
    from_stage: str = ""
    amount: Decimal | None = None
    note: str = ""

    @property
    def highlight(self):
        return self.kind == "advance" and self.stage in (pipeline.SIGNED, pipeline.STARTED)

    @property
    def text(self):
        if self.kind == "new":
            return f"新增项目（{pipeline.label(self.stage)}）"
        if self.kind == "dropped":
            return "退库" + (f"：{self.note}" if self.note else "")
        if self.kind in ("advance", "back"):
            arrow = "推进" if self.kind == "advance" else "退回"
            return f"{arrow}：{pipeline.label(self.from_stage)} → {pipeline.label(self.stage)}"
        if self.kind == "funds":
            return f"到位资金 {money.fmt_wan(self.amount)} 万元"
        if self.kind == "increase":
            return f"增资 {money.fmt_wan(self.amount)} 万元"
        return self.kind


def _stage_changes(scoped, start, end):
    events = scoped(StageEvent.select(StageEvent, Project.id, Project.name, Project.task_force,
                                      Project.contract_value)
                    .join(Project).where(StageEvent.occurred_on.between(start, end)
                                         & StageEvent.counted())   # a 作废 change never happened
                    .order_by(StageEvent.occurred_on, StageEvent.id))
    for ev in events:
        proj = ev.project
        amount = proj.contract_value if ev.stage in (pipeline.SIGNED,) else None
        yield Change(pipeline.change_kind(ev.from_stage, ev.stage), ev.occurred_on, proj.task_force_id, proj.id,
                     proj.name, ev.stage, ev.from_stage or "", amount, ev.note)


def _money_changes(scoped, start, end):
    funds = scoped(FundReceipt.select(FundReceipt, Project.id, Project.name, Project.task_force)
                   .join(Project).where(FundReceipt.received_on.between(start, end)
                                        & FundReceipt.counted())
                   .order_by(FundReceipt.received_on, FundReceipt.id))
    for fr in funds:
        yield Change("funds", fr.received_on, fr.project.task_force_id, fr.project.id,
                     fr.project.name, amount=money.to_decimal(fr.amount), note=fr.source_layer)
    increases = scoped(CapitalIncrease.select(CapitalIncrease, Project.id, Project.name,
                                              Project.task_force)
                       .join(Project).where(CapitalIncrease.occurred_on.between(start, end)
                                            & CapitalIncrease.counted())
                       .order_by(CapitalIncrease.occurred_on, CapitalIncrease.id))
    for ci in increases:
        yield Change("increase", ci.occurred_on, ci.project.task_force_id, ci.project.id,
                     ci.project.name, amount=money.to_decimal(ci.amount), note=ci.note)


def week_changes(week, task_force_ids=None, until=None):
    """{task_force_id: [Change]} for everything dated in the week (Monday..Sunday, or
    Monday..``until`` when that is earlier)."""
    start, end = week.monday, min(week.sunday, until or week.sunday)

    def scoped(query):
        if task_force_ids is not None:
            query = query.where(Project.task_force.in_(list(task_force_ids)))
        return query

    out = defaultdict(list)
    for source in (_stage_changes, _money_changes):
        for change in source(scoped, start, end):
            out[change.task_force_id].append(change)
    for changes in out.values():
        changes.sort(key=lambda c: (c.day, c.project_name))
    return out


def change_counts(changes):
    """Headline numbers of a list of changes (also stored with each message)."""
    signed = [c for c in changes if c.kind == "advance" and c.stage == pipeline.SIGNED]
    return {
        "new_projects": sum(c.kind == "new" for c in changes),
        "advances": sum(c.kind == "advance" for c in changes),
        "signed": len(signed),
        "signed_value": str(money.to_decimal(sum((c.amount or 0 for c in signed), Decimal(0)))),
        "started": sum(c.kind == "advance" and c.stage == pipeline.STARTED for c in changes),
        "dropped": sum(c.kind == "dropped" for c in changes),
        "funds": str(money.to_decimal(sum((c.amount for c in changes if c.kind == "funds"),
                                          Decimal(0)))),
    }


# -- numbers ------------------------------------------------------------------------

def as_text(value):
    return None if value is None else str(value)


def next_milestone(metric, as_of):
    """(name, goal, needed, reached) of the next milestone of a MetricProgress at
    ``as_of`` (None without a target)."""
    if metric.target is None:
        return None
    quarter = (as_of.month - 1) // 3 + 1
    name, which = MILESTONES[quarter]
    goal = {"q1": metric.checkpoints[0], "half": P.amount(metric.target / 2),
            "q3": metric.checkpoints[2], "year": metric.target}[which]
    needed = P.amount(max(goal - metric.actual, Decimal(0)))
    return {"name": name, "goal": goal, "needed": needed, "reached": needed == 0,
            "due": periods.quarter_end(as_of.year, quarter)}


def bar(pct_value):
    """A percentage as a bar width 0..100."""
    if pct_value is None:
        return 0
    return int(max(0, min(100, round(float(pct_value)))))


def metric_rows(metrics, as_of):
    """Template rows for the metrics of one task force (or the city totals)."""
    quarter = (as_of.month - 1) // 3 + 1
    rows = []
    for key in M.KEYS:
        m = metrics[key]
        q = m.quarters[quarter - 1]
        rows.append({
            "key": key, "label": m.label, "is_money": M.get(key).is_money, "metric": m,
            "quarter": q, "milestone": next_milestone(m, as_of),
            "bar": bar(m.completion), "time_bar": bar(m.time_progress),
        })
    return rows


def metric_numbers(metrics):
    """JSON-able figures of the metrics, as reported in the message."""
    return {key: {"target": as_text(m.target), "actual": as_text(m.actual),
                  "completion": as_text(m.completion), "time_progress": as_text(m.time_progress),
                  "gap_points": as_text(m.gap_points), "status": m.status}
            for key, m in metrics.items()}


# -- recipients ---------------------------------------------------------------------

def task_force_recipients(task_force_ids):
    """{task_force_id: [User]}: leads and members with a membership, opted in."""
    out = defaultdict(list)
    query = (User.select(User, Membership.task_force.alias("tf_id"))
             .join(Membership, on=(Membership.user == User.id))
             .where(Membership.task_force.in_(list(task_force_ids))
                    & (User.active == True) & (User.wants_summary == True)  # noqa: E712
                    & (User.email != ""))
             .order_by(User.username))
    for user in query.objects():
        out[user.tf_id].append(user)
    return out


def city_recipients():
    return list(User.select().where(
        User.role.in_(CITY_ROLES) & (User.active == True)  # noqa: E712
        & (User.wants_summary == True) & (User.email != "")).order_by(User.username))  # noqa: E712


# -- one week -----------------------------------------------------------------------

@dataclass
class WeekData:
    """Everything one week's mails need, computed once for all recipients."""
    week: Week
    report: object
    changes: dict
    stale: dict            # task_force_id -> [StaleProject], most severe first
    links: dict = field(default_factory=dict)
    until: datetime.date | None = None   # a week in progress, judged at this day
    settings: object = None              # the MailSettings it was collected with
    activity: list = field(default_factory=list)   # 招商活跃指数 of the week, ranked (TeamWeeks)
    overdue: dict = field(default_factory=dict)    # 督办逾期 at as_of: task_force_id -> Overdue
    overdue_city: supervision_overdue.Overdue = field(default_factory=supervision_overdue.Overdue)

    @property
    def as_of(self):
        """The day the numbers are judged at (Week.report_day: a week spanning the new
        year reports the year that ended)."""
        return self.week.report_day(self.until)

    @property
    def in_progress(self):
        """A preview of the week up to ``until`` (never stored as a weekly row)."""
        return self.until is not None

    def all_stale(self):
        return [s for flags in self.stale.values() for s in flags]

    def url(self, endpoint, **values):
        """The absolute URL of a page (BASE_URL + its path)."""
        return self.settings.links.url(endpoint, **values)

    def unsubscribe_url(self, user):
        return unsubscribe_url(user, self.settings.signer, self.settings.links)


def collect(week, settings, until=None):
    """What ``week``'s mails report (``settings``: the MailSettings); with ``until`` (a day
    of the week, clamped to it) the week in progress up to that day: its changes from
    Monday to ``until`` and the progress and stale projects as of ``until``."""
    if until is not None:
        until = max(week.monday, min(week.sunday, until))
    # a week spanning the new year reports the year that ended, judged at its 31 December
    as_of = week.report_day(until)
    report = progress.build_report(as_of.year, as_of, settings.progress)
    changes = week_changes(week, until=until)
    stale = defaultdict(list)
    for flag in staleness.open_flags(as_of=as_of):
        stale[flag.task_force_id].append(flag)
    links = {"prefs": settings.links.url("prefs.summary"),
             "dashboard": settings.links.url("dashboard.index")}
    teams = [(r.task_force_id, r.code, r.name) for r in report.rows]
    activity, _weeks = activity_index.weekly(week.sunday + datetime.timedelta(days=1),
                                             settings.activity_weights, teams)
    overdue = supervision_overdue.by_team(as_of)    # 督办逾期 at the day the week is judged
    return WeekData(week, report, changes, dict(stale), links, until, settings, activity, overdue,
                    supervision_overdue.combined(overdue))
