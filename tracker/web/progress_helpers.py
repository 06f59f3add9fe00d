"""Template helpers shared by the progress pages (dashboard and task-force page)."""
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, url_for

from .. import charts
from ..domain import metrics as M
from ..domain import progress as P
from ..domain import staleness
from ..services.mail.data import next_milestone

# The dashboard and the task-force page show this many of the worst stale
# projects; the full list is the paged /dashboard/stale.
STALE_LIMIT = 20

MILESTONE_KEYS = ("kaimenhong", "shuangguoban", "q3", "full_year")
# Milestone names on the badges: whole words that do not read as cut off ("全年目标 未到期",
# not "全年完成…").
BADGE_NAMES = {"kaimenhong": "开门红", "shuangguoban": "双过半", "q3": "三季度",
               "full_year": "全年目标"}
# Short metric names for a task force's status: "洽谈 严重滞后".
SHORT_LABELS = {M.PACKAGED_VALUE: "策划包装", M.NEGOTIATIONS: "洽谈", M.SIGNED_VALUE: "签约",
                M.FUNDS_RECEIVED: "到位资金"}


def milestone_badges(m):
    """[(name, state, css)] for one MetricProgress: state 'met'/'early'/'missed'/'pending'."""
    flags = m.milestones.as_dict()
    out = []
    for key in MILESTONE_KEYS:
        flag = flags[key]
        if flag is None:
            continue
        name = BADGE_NAMES[key]
        if flag is True and key == "shuangguoban" and flags["shuangguoban_early"]:
            out.append(("提前" + name, "early", "green"))
        elif flag is True:
            out.append((name, "met", "green"))
        elif flag is False:
            out.append((name, "missed", "red"))
        else:
            out.append((name, "pending", "grey"))
    return out


def milestone_runs(m):
    """[(state, [names])]: the badges of ``m`` with neighbours of one state joined
    (开门红、双过半 ✓), for the dashboard's light detail rows."""
    runs = []
    for name, state, _css in milestone_badges(m):
        if runs and runs[-1][0] == state:
            runs[-1][1].append(name)
        else:
            runs.append((state, [name]))
    return runs


STATE_LABELS = {"met": "已实现", "early": "提前实现", "missed": "未实现", "pending": "未到期"}


@dataclass(frozen=True)
class RankRow:
    """One line of the compact ranking: the team, its 超/欠进度 (综合完成率 − 时序进度), the
    worst metric that sets its status (None when all are green or none has a target) and
    its next milestone at risk (summary_data.next_milestone of a red/orange metric)."""
    row: object
    gap: Decimal | None
    worst: object
    risk: dict | None

    @property
    def reason(self):
        """The team's status with the metric that sets it: "洽谈 严重滞后"."""
        label = P.STATUS_LABELS[self.row.status]
        return f"{SHORT_LABELS[self.worst.key]} {label}" if self.worst else label


def _worst(row):
    judged = [m for m in row.metrics.values() if m.completion is not None]
    if row.status in (P.GREEN, P.GREY, P.WAIT) or not judged:
        return None
    return min(judged, key=lambda m: (P.STATUS_ORDER[m.status], m.gap_points))


def _risk(row, as_of):
    at_risk = []
    for m in row.metrics.values():
        ms = next_milestone(m, as_of)
        if ms and not ms["reached"] and m.status in (P.RED, P.ORANGE):
            share = ms["needed"] / ms["goal"] if ms["goal"] else Decimal(0)
            at_risk.append((P.STATUS_ORDER[m.status], -share, m.key, dict(ms, metric=m)))
    return min(at_risk, key=lambda t: t[:3])[3] if at_risk else None


def rank_rows(rows, report):
    """RankRow for each TaskForceProgress of ``rows`` (in their order)."""
    return [RankRow(row, P.gap_points(row.score, report.time_progress), _worst(row),
                    _risk(row, report.as_of)) for row in rows]


def stale_legend():
    """[(css, mark, name, days)] of the stale levels, mildest first."""
    days = staleness.DEFAULT
    return [(staleness.CSS_STATUS[lv], staleness.mark(lv), staleness.label(lv), days.days(lv))
            for lv in staleness.LEVELS]


def project_url(project_id):
    return url_for("projects.detail", project_id=project_id)


_MARK = "__code__"


def code_urls(endpoint, **args):
    """A function ``code -> url_for(endpoint, code=code, **args)`` that builds the URL once:
    the dashboard links 50 task forces three ways, at ~30 µs a url_for. The code goes in
    through the route's own converter (quoted the same way)."""
    url = url_for(endpoint, code=_MARK, **args)
    head, found, tail = url.partition(_MARK)
    if not found or _MARK in tail or _MARK in head:
        return lambda code: url_for(endpoint, code=code, **args)
    to_url = current_app.url_map.converters["default"](current_app.url_map).to_url
    return lambda code: head + to_url(code) + tail


def template_helpers():
    return {"project_url": project_url, "code_urls": code_urls, "metric_keys": M.KEYS,
            "metric_label": M.label,
            "milestone_badges": milestone_badges, "milestone_state_labels": STATE_LABELS,
            "milestone_runs": milestone_runs,
            "charts": charts,
            "status_labels": P.STATUS_LABELS, "short_labels": SHORT_LABELS}
