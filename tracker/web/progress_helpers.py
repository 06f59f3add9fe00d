"""Template helpers shared by the progress pages (dashboard and task-force page)."""
from flask import url_for

from .. import charts
from ..domain import metrics as M
from ..domain import milestones as MS
from ..domain import progress as P

# The dashboard and the task-force page show this many of the worst stale
# projects; the full list is the paged /dashboard/stale.
STALE_LIMIT = 20

MILESTONE_KEYS = ("kaimenhong", "shuangguoban", "q3", "full_year")


def milestone_badges(m):
    """[(name, state, css)] for one MetricProgress: state 'met'/'early'/'missed'/'pending'."""
    flags = m.milestones.as_dict()
    out = []
    for key in MILESTONE_KEYS:
        flag = flags[key]
        if flag is None:
            continue
        name = MS.NAMES[key]
        if flag is True and key == "shuangguoban" and flags["shuangguoban_early"]:
            out.append(("提前" + name, "early", "green"))
        elif flag is True:
            out.append((name, "met", "green"))
        elif flag is False:
            out.append((name, "missed", "red"))
        else:
            out.append((name, "pending", "grey"))
    return out


STATE_LABELS = {"met": "已实现", "early": "提前实现", "missed": "未实现", "pending": "待考核"}


def project_url(project_id):
    return url_for("projects.detail", project_id=project_id)


def template_helpers():
    return {"project_url": project_url, "metric_keys": M.KEYS, "metric_label": M.label,
            "milestone_badges": milestone_badges, "milestone_state_labels": STATE_LABELS,
            "charts": charts,
            "status_labels": P.STATUS_LABELS}
