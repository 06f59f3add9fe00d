"""Weekly summaries: who gets which mail, what it says, and the outbox rows.

Building and sending are separate steps. ``build_week`` renders one outbox row per
(week, recipient, kind, scope) -- scope "tf:<id>" for a task-force summary, "city"
for the bureau summary -- under a unique constraint; building the same week again
creates nothing. ``tracker.services.mailer.send_pending`` delivers the rows.

Numbers come from ``tracker.services.progress.build_report`` judged at the week's
Sunday (the same report as the dashboard); the week's changes from StageEvent,
FundReceipt and CapitalIncrease dated in the week; stale projects from the open
StaleFlags of the daily staleness scan.
"""
import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, render_template
from peewee import IntegrityError, fn

from .. import clock
from ..db import database
from ..domain import metrics as M
from ..domain import money, periods, pipeline
from ..domain import progress as P
from ..domain.weeks import Week, last_week, parse_week
from ..models import (
    CapitalIncrease, FundReceipt, Membership, OutboxMessage, Project, StageEvent, User,
)
from . import mailer, progress, staleness
from .unsubscribe import absolute_url, unsubscribe_url

SUBJECT_PREFIX = "【招商专班周报】"
CITY_ROLES = ("bureau", "admin")
CITY_NAME = "全市汇总"

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


def week_changes(week, task_force_ids=None):
    """{task_force_id: [Change]} for everything dated in the week (Monday..Sunday)."""
    start, end = week.monday, week.sunday
    out = defaultdict(list)

    def scoped(query):
        if task_force_ids is not None:
            query = query.where(Project.task_force.in_(list(task_force_ids)))
        return query

    events = scoped(StageEvent.select(StageEvent, Project.id, Project.name, Project.task_force,
                                      Project.contract_value)
                    .join(Project).where(StageEvent.occurred_on.between(start, end))
                    .order_by(StageEvent.occurred_on, StageEvent.id))
    for ev in events:
        proj = ev.project
        if ev.from_stage is None:
            kind = "new"
        elif ev.stage == pipeline.DROPPED:
            kind = "dropped"
        elif ev.from_stage == pipeline.DROPPED or \
                (pipeline.rank(ev.stage) or 0) > (pipeline.rank(ev.from_stage) or 0):
            kind = "advance"
        else:
            kind = "back"
        amount = proj.contract_value if ev.stage in (pipeline.SIGNED,) else None
        out[proj.task_force_id].append(Change(kind, ev.occurred_on, proj.task_force_id, proj.id,
                                              proj.name, ev.stage, ev.from_stage or "",
                                              amount, ev.note))
    funds = scoped(FundReceipt.select(FundReceipt, Project.id, Project.name, Project.task_force)
                   .join(Project).where(FundReceipt.received_on.between(start, end))
                   .order_by(FundReceipt.received_on, FundReceipt.id))
    for fr in funds:
        out[fr.project.task_force_id].append(Change(
            "funds", fr.received_on, fr.project.task_force_id, fr.project.id, fr.project.name,
            amount=money.to_decimal(fr.amount), note=fr.source_layer))
    increases = scoped(CapitalIncrease.select(CapitalIncrease, Project.id, Project.name,
                                              Project.task_force)
                       .join(Project).where(CapitalIncrease.occurred_on.between(start, end))
                       .order_by(CapitalIncrease.occurred_on, CapitalIncrease.id))
    for ci in increases:
        out[ci.project.task_force_id].append(Change(
            "increase", ci.occurred_on, ci.project.task_force_id, ci.project.id,
            ci.project.name, amount=money.to_decimal(ci.amount), note=ci.note))
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

def _s(value):
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
            "bar": _bar(m.completion), "time_bar": _bar(m.time_progress),
        })
    return rows


def _bar(pct_value):
    if pct_value is None:
        return 0
    return int(max(0, min(100, round(float(pct_value)))))


def metric_numbers(metrics):
    """JSON-able figures of the metrics, as reported in the message."""
    return {key: {"target": _s(m.target), "actual": _s(m.actual), "completion": _s(m.completion),
                  "time_progress": _s(m.time_progress), "gap_points": _s(m.gap_points),
                  "status": m.status}
            for key, m in metrics.items()}


# -- recipients ---------------------------------------------------------------------

def _can_receive(user):
    return user.active and user.wants_summary and bool((user.email or "").strip())


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


# -- rendering ----------------------------------------------------------------------

@dataclass
class Rendered:
    kind: str
    scope: str
    subject: str
    text: str
    html: str
    numbers: dict
    task_force_id: int | None = None
    unsubscribe: str = ""


@dataclass
class WeekData:
    """Everything one week's mails need, computed once for all recipients."""
    week: Week
    report: object
    changes: dict
    stale: list
    links: dict = field(default_factory=dict)

    @property
    def as_of(self):
        return self.week.as_of


def collect(week):
    report = progress.build_report(week.as_of.year, week.as_of)
    changes = week_changes(week)
    stale = staleness.open_flags(as_of=week.as_of)
    links = {"prefs": absolute_url("prefs.summary")}
    return WeekData(week, report, changes, stale, links)


def subject_for(week, name):
    return f"{SUBJECT_PREFIX}{week.label} · {name}"


def _context(data, user, unsub):
    return {"week": data.week, "as_of": data.as_of, "report": data.report, "user": user,
            "recipient": str(user), "unsubscribe_url": unsub, "links": data.links,
            "generated": clock.now()}


def render_task_force(data, row, user):
    """The task-force summary of ``row`` (a TaskForceProgress) for ``user``."""
    changes = data.changes.get(row.task_force_id, [])
    stale = [s for s in data.stale if s.task_force_id == row.task_force_id]
    unsub = unsubscribe_url(user)
    ctx = _context(data, user, unsub)
    ctx.update(row=row, metrics=metric_rows(row.metrics, data.as_of), changes=changes,
               counts=change_counts(changes), stale=stale,
               team_url=absolute_url("taskforces.detail", code=row.code)
               if "taskforces.detail" in current_app.view_functions else "")
    numbers = {"week": data.week.key, "as_of": data.as_of.isoformat(), "task_force": row.code,
               "rank": row.rank, "score": _s(row.score), "status": row.status,
               "metrics": metric_numbers(row.metrics), "changes": ctx["counts"],
               "stale": len(stale)}
    return Rendered("task_force", f"tf:{row.task_force_id}", subject_for(data.week, row.name),
                    render_template("email/task_force_summary.txt", **ctx),
                    render_template("email/task_force_summary.html", **ctx), numbers,
                    task_force_id=row.task_force_id, unsubscribe=unsub)


def city_view(data):
    """Shared (per week) parts of the bureau summary."""
    report = data.report
    all_changes = [c for changes in data.changes.values() for c in changes]
    names = {r.task_force_id: r.name for r in report.rows}
    signings = [c for c in all_changes if c.kind == "advance" and c.stage == pipeline.SIGNED]
    at_risk = []
    for row in report.rows:
        for key in M.KEYS:
            m = row.metrics[key]
            ms = next_milestone(m, data.as_of)
            if ms and not ms["reached"] and m.status in (P.RED, P.ORANGE):
                at_risk.append({"row": row, "metric": m, "milestone": ms,
                                "is_money": M.get(key).is_money})
    flags = [r for r in report.rows if r.status in (P.RED, P.ORANGE, P.YELLOW)]
    stale_by_level = defaultdict(int)
    for s in data.stale:
        stale_by_level[s.level] += 1
    ranking = [{"row": r, "bar": _bar(r.score)} for r in report.rows]
    return {"signings": signings, "at_risk": at_risk, "ranking": ranking, "flags": flags, "names": names,
            "counts": change_counts(all_changes), "stale_by_level": dict(stale_by_level),
            "totals": metric_rows(report.totals, data.as_of)}


def render_city(data, user, view=None):
    view = view or city_view(data)
    unsub = unsubscribe_url(user)
    ctx = _context(data, user, unsub)
    ctx.update(view, dashboard_url=absolute_url("dashboard.index")
               if "dashboard.index" in current_app.view_functions else data.links["prefs"])
    report = data.report
    numbers = {"week": data.week.key, "as_of": data.as_of.isoformat(),
               "totals": metric_numbers(report.totals),
               "ranking": [[r.code, r.rank, _s(r.score), r.status] for r in report.rows],
               "changes": view["counts"], "at_risk": len(view["at_risk"]),
               "stale": view["stale_by_level"]}
    return Rendered("bureau", "city", subject_for(data.week, CITY_NAME),
                    render_template("email/bureau_summary.txt", **ctx),
                    render_template("email/bureau_summary.html", **ctx), numbers,
                    unsubscribe=unsub)


def messages_for(data, user):
    """Every summary ``user`` would get for the week (ignores the opt-out)."""
    out = []
    if user.role in CITY_ROLES:
        out.append(render_city(data, user))
    team_ids = user.task_force_ids()
    for row in data.report.rows:
        if row.task_force_id in team_ids:
            out.append(render_task_force(data, row, user))
    return out


# -- building the outbox ---------------------------------------------------------------

@dataclass
class BuildResult:
    week: str
    created: int = 0
    existing: int = 0

    def summary(self):
        return f"{self.week}：新建 {self.created} 封，已存在 {self.existing} 封"


def row_fields(week, user, msg):
    return dict(week=week.key, kind=msg.kind, scope=msg.scope, user=user.id,
                task_force=msg.task_force_id, to_addr=user.email.strip(),
                to_name=str(user)[:64], subject=msg.subject[:255],
                message_id=mailer.new_message_id("summary", week.key, msg.scope, f"u{user.id}"),
                unsubscribe_url=msg.unsubscribe, body_text=msg.text, body_html=msg.html,
                numbers=json.dumps(msg.numbers, ensure_ascii=False, sort_keys=True))


def build_week(week, chunk=100):
    """Render and store the week's summaries; existing rows are left untouched."""
    if isinstance(week, str):
        week = parse_week(week)
    result = BuildResult(week.key)
    existing = {(u, k, s) for u, k, s in OutboxMessage
                .select(OutboxMessage.user, OutboxMessage.kind, OutboxMessage.scope)
                .where(OutboxMessage.week == week.key).tuples()}
    data = collect(week)
    wanted = []   # (user, render callable)
    city_users = city_recipients()
    view = city_view(data) if city_users else None
    for user in city_users:
        wanted.append((user, "bureau", "city", lambda u=user: render_city(data, u, view)))
    rows = {r.task_force_id: r for r in data.report.rows}
    for tf_id, users in task_force_recipients(list(rows)).items():
        for user in users:
            wanted.append((user, "task_force", f"tf:{tf_id}",
                           lambda u=user, r=rows[tf_id]: render_task_force(data, r, u)))
    todo = []
    for user, kind, scope, render in wanted:
        if (user.id, kind, scope) in existing:
            result.existing += 1
            continue
        existing.add((user.id, kind, scope))
        todo.append(row_fields(week, user, render()))
    for start in range(0, len(todo), chunk):
        with database.atomic():
            for fields in todo[start:start + chunk]:
                try:
                    with database.atomic():   # savepoint: a concurrent build may win a row
                        OutboxMessage.insert(**fields).execute()
                    result.created += 1
                except IntegrityError:
                    result.existing += 1
    return result


class MailStillPending(RuntimeError):
    """Raised by the weekly job while mail of the week waits for a retry, so the
    scheduler records the run as failed and its hourly catch-up runs it again."""


def weekly_job(app, as_of):
    """Scheduler job (Mondays 08:00): build and send the summaries of the ISO week
    before ``as_of``. Building is idempotent and sending claims rows one by one,
    so re-running it (catch-up, retries, a second process) never duplicates mail."""
    with app.app_context(), database.connection_context():
        week = last_week(as_of)
        built = build_week(week)
        sent = mailer.send_pending()
        detail = f"{built.summary()}；{sent.summary()}"
        waiting = OutboxMessage.select().where(
            (OutboxMessage.week == week.key)
            & OutboxMessage.status.in_(("pending", "sending"))).count()
        if waiting:
            raise MailStillPending(f"{detail}；{waiting} 封待重试")
        return detail


def outbox_counts(week=None):
    query = OutboxMessage.select(OutboxMessage.status, fn.COUNT(OutboxMessage.id).alias("n"))
    if week:
        query = query.where(OutboxMessage.week == week)
    return {r["status"]: r["n"] for r in query.group_by(OutboxMessage.status).dicts()}

