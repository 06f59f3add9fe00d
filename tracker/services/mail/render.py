"""Rendering the weekly summaries: once per scope ("tf:<id>" for a task force, "city"
for the bureau), with marks where each recipient's name and unsubscribe link go."""
import json
from collections import defaultdict
from dataclasses import dataclass

from flask import render_template
from markupsafe import escape

from ...domain import metrics as M
from ...domain import pipeline
from ...domain import progress as P
from ...models import OutboxBody
from ...models.mail import RECIPIENT_MARK, UNSUBSCRIBE_MARK, personalise
from ..supervision.overdue import Overdue
from .mime import compact_html
from .data import (CITY_ROLES, as_text, bar, change_counts, metric_numbers, metric_rows,
    next_milestone)

SUBJECT_PREFIX = "【招商专班周报】"
CITY_NAME = "全市汇总"

# Longest lists a mail shows (the rest is counted, the pages have everything).
MAX_CHANGES = 30
MAX_STALE = 10
MAX_AT_RISK = 20


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

    def for_user(self, user, unsub):
        """The draft for ``user``, with their unsubscribe link ``unsub``."""
        name = recipient_name(user)
        return Rendered(
            self.kind, self.scope, self.subject,
            personalise(self.text, name, unsub),
            personalise(self.html, str(escape(name)), str(escape(unsub))),
            self.numbers, self.task_force_id, unsub, self)

    @classmethod
    def render(cls, kind, scope, subject, template, ctx, numbers, task_force_id=None):
        return cls(kind, scope, subject, render_template(f"email/{template}.txt", **ctx),
                   compact_html(render_template(f"email/{template}.html", **ctx)),
                   numbers, task_force_id)


def store_drafts(drafts):
    """Store the bodies of ``drafts`` not stored yet, in one transaction."""
    drafts = [d for d in drafts if d.body_id is None]
    ids = OutboxBody.store_many([d.content() for d in drafts])
    for d, body_id in zip(drafts, ids):
        d.body_id = body_id


def subject_for(week, name, until=None):
    """The subject of ``week``'s summary for ``name``; a preview of the week in progress
    up to ``until`` is marked as such."""
    mark = f"（本周截至 {until:%m-%d}，预览）" if until is not None else ""
    return f"{SUBJECT_PREFIX}{week.label} · {name}{mark}"


def _context(data):
    return {"week": data.week, "as_of": data.as_of, "report": data.report,
            "recipient": RECIPIENT_MARK, "unsubscribe_url": UNSUBSCRIBE_MARK, "links": data.links}


def overdue_view(data, overdue, **list_args):
    """督办逾期 as a mail shows it: how many, the oldest with their links, the list's link."""
    return {"count": overdue.count, "more": overdue.more,
            "oldest": [{"late": late, "url": data.url("supervision.show", item_id=late.id)}
                       for late in overdue.oldest],
            "list_url": data.url("supervision.index", overdue=1, **list_args)}


def task_force_draft(data, row):
    """The task-force summary of ``row`` (a TaskForceProgress)."""
    changes = data.changes.get(row.task_force_id, [])
    stale = data.stale.get(row.task_force_id, [])
    ctx = _context(data)
    ctx.update(row=row, metrics=metric_rows(row.metrics, data.as_of),
               changes=changes[:MAX_CHANGES], more_changes=max(0, len(changes) - MAX_CHANGES),
               counts=change_counts(changes), stale=stale[:MAX_STALE],
               more_stale=max(0, len(stale) - MAX_STALE),
               team_url=data.url("taskforces.detail", code=row.code),
               activity=_activity_of(data, row.task_force_id), activity_top=data.activity[:3],
               overdue=overdue_view(data, data.overdue.get(row.task_force_id, Overdue()),
                                    task_force=row.task_force_id))
    numbers = {"week": data.week.key, "as_of": data.as_of.isoformat(), "task_force": row.code,
               "rank": row.rank, "score": as_text(row.score), "status": row.status,
               "metrics": metric_numbers(row.metrics), "changes": ctx["counts"],
               "stale": len(stale), "supervision_overdue": ctx["overdue"]["count"]}
    return Draft.render("task_force", f"tf:{row.task_force_id}",
                        subject_for(data.week, row.name, data.until), "task_force_summary",
                        ctx, numbers, task_force_id=row.task_force_id)


def _activity_of(data, team_id):
    """(rank, TeamWeeks) of the team in the week's 招商活跃指数, or None."""
    return next(((n, r) for n, r in enumerate(data.activity, start=1) if r.team_id == team_id), None)


def render_task_force(data, row, user):
    return task_force_draft(data, row).for_user(user, data.unsubscribe_url(user))


def _at_risk(data):
    """Metrics short of their next milestone with a red or orange status, worst first."""
    at_risk = []
    for row in data.report.rows:
        for key in M.KEYS:
            m = row.metrics[key]
            ms = next_milestone(m, data.as_of)
            if ms and not ms["reached"] and m.status in P.WARNING_STATUSES:
                at_risk.append({"row": row, "metric": m, "milestone": ms,
                                "is_money": M.get(key).is_money})
    at_risk.sort(key=lambda a: (a["metric"].gap_points, a["row"].code))
    return at_risk


def city_view(data):
    """The figures of the bureau summary."""
    report = data.report
    all_changes = [c for changes in data.changes.values() for c in changes]
    signings = [c for c in all_changes if c.kind == "advance" and c.stage == pipeline.SIGNED]
    at_risk = _at_risk(data)
    stale_by_level = defaultdict(int)
    for s in data.all_stale():
        stale_by_level[s.level] += 1
    return {"signings": signings, "at_risk": at_risk[:MAX_AT_RISK],
            "more_at_risk": max(0, len(at_risk) - MAX_AT_RISK), "at_risk_total": len(at_risk),
            "ranking": [{"row": r, "bar": bar(r.score)} for r in report.rows],
            # 红黄预警: the one set (domain.progress.WARNING_STATUSES), as on the dashboard and 通报
            "flags": [r for r in report.rows if r.status in P.WARNING_STATUSES],
            "warning_statuses": P.WARNING_STATUSES,
            "names": {r.task_force_id: r.name for r in report.rows},
            "counts": change_counts(all_changes), "stale_by_level": dict(stale_by_level),
            "totals": metric_rows(report.totals, data.as_of)}


def city_draft(data):
    view = city_view(data)
    ctx = _context(data)
    ctx.update(view, dashboard_url=data.links["dashboard"], activity_top=data.activity[:3],
               overdue=overdue_view(data, data.overdue_city))
    report = data.report
    numbers = {"week": data.week.key, "as_of": data.as_of.isoformat(),
               "totals": metric_numbers(report.totals),
               "ranking": [[r.code, r.rank, as_text(r.score), r.status] for r in report.rows],
               "changes": view["counts"], "at_risk": view["at_risk_total"],
               "stale": view["stale_by_level"], "supervision_overdue": data.overdue_city.count}
    return Draft.render("bureau", "city", subject_for(data.week, CITY_NAME, data.until),
                        "bureau_summary",
                        ctx, numbers)


def render_city(data, user):
    return city_draft(data).for_user(user, data.unsubscribe_url(user))


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
