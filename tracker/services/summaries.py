"""Weekly summaries: who gets which mail, what it says, and the outbox rows.

Building and sending are separate steps. ``build_week`` renders each summary once per
scope -- "tf:<id>" for a task-force summary, "city" for the bureau summary -- stores
it once (OutboxBody) and writes one outbox row per (week, recipient, kind, scope)
under a unique constraint, with the recipient's name and unsubscribe link that fill
in the shared body; building the same week again creates nothing.
``tracker.services.mailer.send_pending`` delivers the rows.

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
from markupsafe import escape
from peewee import IntegrityError, fn

from ..db import database
from ..domain import metrics as M
from ..domain import money, periods, pipeline
from ..domain import progress as P
from ..domain.weeks import Week, last_week, parse_week
from ..models import (
    CapitalIncrease, FundReceipt, Membership, OutboxBody, OutboxMessage, Project, StageEvent, User,
)
from ..models.mail import RECIPIENT_MARK, UNSUBSCRIBE_MARK, personalise
from . import mailer, progress, staleness
from .unsubscribe import absolute_url, unsubscribe_links, unsubscribe_url

SUBJECT_PREFIX = "【招商专班周报】"
CITY_ROLES = ("bureau", "admin")
CITY_NAME = "全市汇总"

# Longest lists a mail shows (the rest is counted, the pages have everything).
MAX_CHANGES = 30
MAX_STALE = 10
MAX_AT_RISK = 20

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
    """One recipient's message (the preview of what a built row holds)."""
    kind: str
    scope: str
    subject: str
    text: str
    html: str
    numbers: dict
    task_force_id: int | None = None
    unsubscribe: str = ""
    draft: "Draft | None" = None


def recipient_name(user):
    """How a mail addresses the user (as stored in the row's ``to_name``)."""
    return str(user)[:64]


@dataclass
class Draft:
    """A summary rendered once per scope (task force or city) for all its recipients,
    with RECIPIENT_MARK / UNSUBSCRIBE_MARK where each recipient's name and link go.
    Stored once as an OutboxBody that the recipients' outbox rows share."""
    kind: str
    scope: str
    subject: str
    text: str
    html: str
    numbers: dict
    task_force_id: int | None = None
    body_id: int | None = None

    def content(self):
        """(text, html, numbers JSON) as stored."""
        return self.text, self.html, json.dumps(self.numbers, ensure_ascii=False, sort_keys=True)

    def store(self):
        """Id of the stored body of this draft (stored on first use)."""
        if self.body_id is None:
            self.body_id = OutboxBody.store(*self.content())
        return self.body_id

    def for_user(self, user):
        unsub = unsubscribe_url(user)
        name = recipient_name(user)
        return Rendered(
            self.kind, self.scope, self.subject,
            personalise(self.text, name, unsub),
            personalise(self.html, str(escape(name)), str(escape(unsub))),
            self.numbers, self.task_force_id, unsub, self)

    @classmethod
    def render(cls, kind, scope, subject, template, ctx, numbers, task_force_id=None):
        return cls(kind, scope, subject, render_template(f"email/{template}.txt", **ctx),
                   mailer.compact_html(render_template(f"email/{template}.html", **ctx)),
                   numbers, task_force_id)


@dataclass
class WeekData:
    """Everything one week's mails need, computed once for all recipients."""
    week: Week
    report: object
    changes: dict
    stale: dict            # task_force_id -> [StaleProject], most severe first
    links: dict = field(default_factory=dict)

    @property
    def as_of(self):
        return self.week.as_of

    def all_stale(self):
        return [s for flags in self.stale.values() for s in flags]


def collect(week):
    report = progress.build_report(week.as_of.year, week.as_of)
    changes = week_changes(week)
    stale = defaultdict(list)
    for flag in staleness.open_flags(as_of=week.as_of):
        stale[flag.task_force_id].append(flag)
    links = {"prefs": absolute_url("prefs.summary")}
    return WeekData(week, report, changes, dict(stale), links)


def subject_for(week, name):
    return f"{SUBJECT_PREFIX}{week.label} · {name}"


def _context(data):
    return {"week": data.week, "as_of": data.as_of, "report": data.report,
            "recipient": RECIPIENT_MARK, "unsubscribe_url": UNSUBSCRIBE_MARK, "links": data.links}


def task_force_draft(data, row):
    """The task-force summary of ``row`` (a TaskForceProgress)."""
    changes = data.changes.get(row.task_force_id, [])
    stale = data.stale.get(row.task_force_id, [])
    ctx = _context(data)
    ctx.update(row=row, metrics=metric_rows(row.metrics, data.as_of),
               changes=changes[:MAX_CHANGES], more_changes=max(0, len(changes) - MAX_CHANGES),
               counts=change_counts(changes), stale=stale[:MAX_STALE],
               more_stale=max(0, len(stale) - MAX_STALE),
               team_url=absolute_url("taskforces.detail", code=row.code)
               if "taskforces.detail" in current_app.view_functions else "")
    numbers = {"week": data.week.key, "as_of": data.as_of.isoformat(), "task_force": row.code,
               "rank": row.rank, "score": _s(row.score), "status": row.status,
               "metrics": metric_numbers(row.metrics), "changes": ctx["counts"],
               "stale": len(stale)}
    return Draft.render("task_force", f"tf:{row.task_force_id}",
                        subject_for(data.week, row.name), "task_force_summary", ctx, numbers,
                        task_force_id=row.task_force_id)


def render_task_force(data, row, user):
    return task_force_draft(data, row).for_user(user)


def city_view(data):
    """The figures of the bureau summary."""
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
    at_risk.sort(key=lambda a: (a["metric"].gap_points, a["row"].code))
    flags = [r for r in report.rows if r.status in (P.RED, P.ORANGE, P.YELLOW)]
    stale_by_level = defaultdict(int)
    for s in data.all_stale():
        stale_by_level[s.level] += 1
    ranking = [{"row": r, "bar": _bar(r.score)} for r in report.rows]
    return {"signings": signings, "at_risk": at_risk[:MAX_AT_RISK],
            "more_at_risk": max(0, len(at_risk) - MAX_AT_RISK), "at_risk_total": len(at_risk),
            "ranking": ranking, "flags": flags, "names": names,
            "counts": change_counts(all_changes), "stale_by_level": dict(stale_by_level),
            "totals": metric_rows(report.totals, data.as_of)}


def city_draft(data):
    view = city_view(data)
    ctx = _context(data)
    ctx.update(view, dashboard_url=absolute_url("dashboard.index")
               if "dashboard.index" in current_app.view_functions else data.links["prefs"])
    report = data.report
    numbers = {"week": data.week.key, "as_of": data.as_of.isoformat(),
               "totals": metric_numbers(report.totals),
               "ranking": [[r.code, r.rank, _s(r.score), r.status] for r in report.rows],
               "changes": view["counts"], "at_risk": view["at_risk_total"],
               "stale": view["stale_by_level"]}
    return Draft.render("bureau", "city", subject_for(data.week, CITY_NAME), "bureau_summary",
                        ctx, numbers)


def render_city(data, user):
    return city_draft(data).for_user(user)


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
    """Fields of the outbox row that sends ``msg`` (a Rendered) to ``user``."""
    return _row_fields(week, user, msg.draft, msg.unsubscribe)


def _row_fields(week, user, draft, unsubscribe):
    return dict(week=week.key, kind=draft.kind, scope=draft.scope, user=user.id,
                task_force=draft.task_force_id, to_addr=user.email.strip(),
                to_name=recipient_name(user), subject=draft.subject[:255],
                message_id=mailer.new_message_id("summary", week.key, draft.scope, f"u{user.id}"),
                unsubscribe_url=unsubscribe, body=draft.store())


def build_week(week, chunk=200):
    """Render and store the week's summaries; existing rows are left untouched."""
    if isinstance(week, str):
        week = parse_week(week)
    result = BuildResult(week.key)
    existing = {(u, k, s) for u, k, s in OutboxMessage
                .select(OutboxMessage.user, OutboxMessage.kind, OutboxMessage.scope)
                .where(OutboxMessage.week == week.key).tuples()}
    data = collect(week)
    wanted = []   # (user, kind, scope, draft maker)
    drafts = {}

    def draft(scope, make):
        if scope not in drafts:
            drafts[scope] = make()
        return drafts[scope]

    for user in city_recipients():
        wanted.append((user, "bureau", "city", lambda: draft("city", lambda: city_draft(data))))
    rows = {r.task_force_id: r for r in data.report.rows}
    for tf_id, users in task_force_recipients(list(rows)).items():
        scope = f"tf:{tf_id}"
        for user in users:
            wanted.append((user, "task_force", scope, lambda s=scope, r=rows[tf_id]: draft(
                s, lambda: task_force_draft(data, r))))
    todo = []     # (user, draft): only the scopes with a missing row are rendered
    for user, kind, scope, make in wanted:
        if (user.id, kind, scope) in existing:
            result.existing += 1
            continue
        existing.add((user.id, kind, scope))
        todo.append((user, make()))
    store_drafts(drafts.values())
    link = unsubscribe_links()
    todo = [_row_fields(week, user, d, link(user)) for user, d in todo]
    columns, values = _as_tuples(todo)
    for start in range(0, len(todo), chunk):
        batch = todo[start:start + chunk]
        try:
            with database.atomic():
                OutboxMessage.insert_many(values[start:start + chunk], fields=columns).execute()
            result.created += len(batch)
            continue
        except IntegrityError:
            pass   # another build stored some of these meanwhile: go row by row
        for fields in batch:
            try:
                with database.atomic():
                    OutboxMessage.insert(**fields).execute()
                result.created += 1
            except IntegrityError:
                result.existing += 1
    return result


def _as_tuples(rows):
    """(columns, value tuples) of dict rows with the same keys, the model's defaults
    filled in once: peewee inserts tuples with named columns about twice as fast as
    dicts (it looks each dict value up under several keys)."""
    if not rows:
        return [], []
    names = list(rows[0])
    defaults = {f: d() if callable(d) else d for f, d in OutboxMessage._meta.defaults.items()
                if f.name not in rows[0]}
    fields = OutboxMessage._meta.fields
    tail = tuple(defaults.values())
    return ([fields[n] for n in names] + list(defaults),
            [tuple(row[n] for n in names) + tail for row in rows])


def store_drafts(drafts):
    """Store the bodies of ``drafts`` not stored yet, in one transaction."""
    drafts = [d for d in drafts if d.body_id is None]
    ids = OutboxBody.store_many([d.content() for d in drafts])
    for d, body_id in zip(drafts, ids):
        d.body_id = body_id


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

