"""Bureau dashboard: a compact ranking first (one line per task force), 本周动态, warnings,
the city totals, each task force's metrics folded, and the stale projects."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from ... import clock
from ...domain import metrics as M
from ...domain import progress as P
from ...domain import staleness
from ...domain.targets import all_first_unrevised
from ... import charts
from ...domain import activity_index as index_rules
from ...services.activities import index as activity_index
from ...services.supervision import listing as supervision_listing
from ...services.progress import report as progress_service
from ...services.progress import export as progress_export
from ...services.staleness import flags as stale_service
from ...services.targets import annual as target_service
from ...services.taskforces import teams as taskforce_service
from ...services.progress import week
from ...services.pagination import page_number
from ...services import memo
from .. import fragments
from ..supervision.todo import todo_html
from ..progress_helpers import STALE_LIMIT, rank_rows, stale_legend, template_helpers
from ..period import parse_period
from ... import settings

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

STALE_PER_PAGE = 50

# Sort orders of the ranking: key -> (label, function(row) -> sort key)
SORTS = {
    "rank": ("综合排名", lambda row: (row.rank,)),
    "code": ("编号", lambda row: (row.code,)),
    "status": ("状态", lambda row: (_STATUS_ORDER.get(row.status, 9), row.rank)),
}
_STATUS_ORDER = P.STATUS_ORDER


def _metric_sort(key, field):
    def sort_key(row):
        value = getattr(row.metrics[key], field)
        return (value is None, -(value or 0), row.rank)
    return sort_key


for _key in M.KEYS:
    SORTS[_key] = (f"{M.label(_key)}完成率", _metric_sort(_key, "completion"))
    SORTS[f"{_key}_gap"] = (f"{M.label(_key)}超/欠进度", _metric_sort(_key, "gap_points"))


def sorted_rows(rows, sort):
    """Rows in the order ``sort`` names (unknown -> rank); best first."""
    _label, key = SORTS.get(sort, SORTS["rank"])
    return sorted(rows, key=key)


@bp.route("/")
def index():
    period = parse_period(request.args)
    sort = request.args.get("sort", "rank")
    if sort not in SORTS:
        sort = "rank"
    # the body once per data version (web.fragments); the person's 督办 blocks per request
    body = fragments.body("dashboard/_body.html", (current_user.sees_all,),
                          lambda: _context(period, sort),
                          todo=todo_html, overdue=_overdue_html)
    return render_template("dashboard/index.html", body=body)


def _context(period, sort):
    """What the dashboard's body shows (computed only when it is not remembered)."""
    options = settings.progress()
    report = progress_service.build_report(period.year, period.as_of, options)
    stale = stale_service.worst_flags(as_of=period.as_of, limit=STALE_LIMIT)
    # 红黄预警: one set (domain.progress.WARNING_STATUSES) for the dashboard, mail and 通报
    warning_teams = [(status, [row for row in report.rows if row.status == status])
                     for status in P.WARNING_STATUSES]
    older_targets = any(m.target_superseded or m.target_before_set
                        for row in report.rows for m in row.metrics.values())
    # the rule of targets.all_set_after, from the report's own metrics (no second read)
    all_before_set = all_first_unrevised((m.target_before_set, m.target_superseded)
                                         for row in report.rows for m in row.metrics.values()
                                         if m.target is not None)
    rows = sorted_rows(report.rows, sort)
    return dict(
        report=report, period=period, sort=sort, sorts=SORTS,
        rows=rows, ranking=rank_rows(rows, report), stale=stale, warning_teams=warning_teams,
        older_targets=older_targets, all_before_set=all_before_set,
        news=week.dashboard_week(report),
        cap=options.ranking_cap, score_formula=P.SCORE_FORMULA,
        stale_legend=stale_legend(), last_year=_last_year_results(period),
        bulletin_url=_bulletin_url(period), activity=_activity_index(report),
        **template_helpers())


def _activity_index(report):
    """招商活跃指数 of the complete weeks before today, for the report's task forces."""
    weights = settings.activity_weights()
    teams = [(row.task_force_id, row.code, row.name) for row in report.rows]
    rows, weeks = activity_index.weekly(clock.today(), weights, teams)
    lines = {row.team_id: charts.sparkline(row.scores, label=f"{row.name}近{len(weeks)}周活跃指数")
             for row in rows}
    return {"rows": rows, "weeks": weeks, "lines": lines, "formula": index_rules.formula(weights)}


def _overdue_html():
    """督办逾期 of what the person may read, remembered per data version, day and scope."""
    scope = None if current_user.sees_all else tuple(sorted(current_user.task_force_ids()))
    return memo.remembered("overdue-slot", (scope, clock.today()),
                           lambda: render_template("dashboard/_overdue.html", overdue=_overdue()), small=True)


def _overdue():
    """督办逾期 of what the person may read: how many, and the three oldest."""
    today = clock.today()
    query = supervision_listing.filtered(current_user, supervision_listing.Filters(overdue=True), today)
    return {"count": query.count(), "oldest": list(query.limit(3)), "today": today}


def _bulletin_url(period):
    """The 通报 of the year shown (every signed-in role reads it: web.bulletin)."""
    return url_for("bulletin.index", year=period.year)


def _last_year_results(period):
    """Last year's year, in January on this year's dashboard: its final ranking and 通报
    are what everybody asks about then (None otherwise)."""
    today = clock.today()
    return today.year - 1 if today.month == 1 and period.year == today.year else None


@bp.route("/teams/<code>")
def team(code):
    """One task force's four metrics as judged on the dashboard (the table its folded
    detail shows), as an HTML fragment: the page loads it when the detail is opened
    (static/app.js), so the dashboard itself carries the ranking, not 50 × 4 rows."""
    period = parse_period(request.args)
    row = progress_service.task_force_report(taskforce_service.get_task_force(code),
                                             period.year, period.as_of, settings.progress())
    return render_template("dashboard/_team_detail.html", row=row, as_of=period.as_of,
                           all_before_set=target_service.all_set_after(period.year,
                                                                       period.as_of),
                           **template_helpers())


@bp.route("/export.xlsx")
def export():
    """The dashboard's numbers for ``year``/``as_of`` as .xlsx (services.progress.export)."""
    period = parse_period(request.args)
    if period.errors:
        abort(400, description="；".join(period.errors.values()))
    exported = progress_export.export_progress(period.year, period.as_of,
                                               options=settings.progress())
    return Response(exported.data, mimetype=exported.mimetype,
                    headers={"Content-Disposition": exported.content_disposition()})


@bp.route("/stale")
def stale():
    """Every open stale project, most severe first, paged; optionally one task
    force (``task_force`` = code) and one level."""
    period = parse_period(request.args)
    team = None
    code = (request.args.get("task_force") or "").strip()
    if code:
        team = taskforce_service.get_task_force(code[:64])
    level = request.args.get("level") or None
    if level not in staleness.LEVELS:
        level = None
    found, counts = stale_service.open_page([team.id] if team else None, level, period.as_of,
                                            page_number(request.args.get("page")),
                                            STALE_PER_PAGE)
    args = {"as_of": period.as_of.isoformat()}
    if team:
        args["task_force"] = team.code
    overview = stale_service.StaleOverview(rows=found.rows, counts=counts)
    return render_template("dashboard/stale.html", stale=found.rows, overview=overview,
                           team=team, level=level, total=found.total, page=found.page,
                           pages=found.pages, args=args, period=period, **template_helpers())
