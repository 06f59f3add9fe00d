"""JSON API (v1): progress per task force and county; frozen quarter snapshots.

Authentication: a logged-in session, or ``Authorization: Bearer <token>`` with a
token made by ``flask --app tracker api-token create USERNAME``. Failures are JSON
(401/400), never a redirect to the login page.
"""
from decimal import Decimal

from flask import Blueprint, g, jsonify, request
from flask_login import current_user

from ...services.activities import listing as activity_listing
from ...services.awards import ranking as award_service
from ...services.pagination import paginate
from ...services.progress import report as progress_service
from ...services.progress import snapshots as snapshot_service
from ...services.accounts import tokens
from ...extensions import csrf
from ..permissions import public
from ..period import parse_period
from ... import settings
from ... import clock
from ...services.supervision import items as supervision_items
from ...services.supervision import listing as supervision_listing
from . import activity_json, award_json, supervision_json
from .snapshot_json import parse_quarter_query, snapshots_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def error_response(status, code, message, **extra):
    response = jsonify(dict(error=code, message=message, **extra))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    return response


@bp.before_request
def authenticate():
    """Bearer token first (when sent), else the session; 401 JSON otherwise."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_response(401, "unauthorized", "Authorization 头格式应为：Bearer <token>。")
        user = tokens.authenticate(token.strip())
        if user is None:
            return error_response(401, "unauthorized", "API 令牌无效或已吊销。")
        g.api_user = user
        return None
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        return None
    return error_response(401, "unauthorized", "需要登录或提供 API 令牌（Authorization: Bearer <token>）。")


@bp.route("/progress")
@public  # the blueprint's own check above answers 401 JSON instead of redirecting
def progress():
    period = parse_period(request.args)
    if period.errors:
        return error_response(400, "bad_request", "；".join(period.errors.values()),
                      fields=period.errors)
    report = progress_service.build_report(period.year, period.as_of, settings.progress())
    return jsonify(report_json(report))


@bp.route("/snapshots")
@public  # authenticated by the blueprint's check, like /progress
def snapshots():
    """The frozen figures of ``year``/``quarter`` per task force and metric (empty, with
    ``frozen: false``, before the quarter is closed)."""
    query = parse_quarter_query(request.args)
    if query.errors:
        return error_response(400, "bad_request", "；".join(query.errors.values()),
                              fields=query.errors)
    figures = snapshot_service.frozen_figures(query.year, query.quarter)
    return jsonify(snapshots_json(query.year, query.quarter, figures))


@bp.route("/awards")
@public  # authenticated by the blueprint's check, like /progress
def awards():
    """落地成效 ranking of ``year`` at ``as_of`` (``frozen=1``: the frozen one, when there
    is one); members get their own task forces' rows only."""
    period = parse_period(request.args)
    if period.errors:
        return error_response(400, "bad_request", "；".join(period.errors.values()),
                              fields=period.errors)
    user = g.api_user
    data = award_service.page_data(period.year, period.as_of,
                                   None if user.sees_all else user.task_force_ids(),
                                   use_frozen=request.args.get("frozen") in ("1", "true"),
                                   weights=settings.award_weights())
    return jsonify(award_json.ranking_json(data["ranking"], data["frozen_info"]))


@bp.route("/activities")
@public  # authenticated by the blueprint's check, like /progress
def activities():
    """The follow-up log the caller may read (members: their task forces'), newest first,
    with the list page's filters (task_force id, kind, region, tier, leader_led, from, to, q)
    and ``page``/``per_page``."""
    filters, page, per_page, errors = activity_json.parse_query(request.args, settings.activity_regions())
    if errors:
        return error_response(400, "bad_request", "；".join(errors.values()), fields=errors)
    found = paginate(activity_listing.filtered(g.api_user, filters), page, per_page)
    linked = activity_listing.projects_of(a.id for a in found.rows)
    return jsonify({"total": found.total, "page": found.page, "pages": found.pages,
                    "activities": [activity_json.activity_json(a, linked) for a in found.rows]})


@bp.route("/supervision")
@public  # authenticated by the blueprint's check, like /progress
def supervision():
    """督办 items the caller may read (members: their task forces'), as the list page orders
    them, with its filters (state, task_force id, priority, overdue, due_this_week), ``page``/
    ``per_page``, and each item's thread with ``thread=1``."""
    filters, page, per_page, with_thread, errors = supervision_json.parse_query(request.args)
    if errors:
        return error_response(400, "bad_request", "；".join(errors.values()), fields=errors)
    today = clock.today()
    found = paginate(supervision_listing.filtered(g.api_user, filters, today), page, per_page)
    threads = supervision_listing.threads([i.id for i in found.rows]) if with_thread else {}
    return jsonify({"total": found.total, "page": found.page, "pages": found.pages,
                    "items": [supervision_json.item_json(i, today, threads.get(i.id)) for i in found.rows]})


@bp.route("/supervision/<int:item_id>")
@public  # authenticated by the blueprint's check, like /progress
def supervision_item(item_id):
    """One 督办 item with its thread (404 JSON when there is none, 403 when the caller may not read it)."""
    found = supervision_listing.one(item_id)
    if found is None:
        return error_response(404, "not_found", supervision_items.MISSING)
    if not supervision_listing.may_read(g.api_user, found):
        return error_response(403, "forbidden", "只能查看本专班的督办事项。")
    return jsonify(supervision_json.item_json(found, clock.today(), supervision_listing.thread(found.id)))


# --- JSON shape ----------------------------------------------------------------------

def _dec(value):
    """Decimal -> '123.45' (None stays None)."""
    return None if value is None else f"{Decimal(value):.2f}"


def _count(value):
    return None if value is None else int(Decimal(value))


def metric_json(m):
    """One metric: amounts as decimal strings in 万元 (counts as integers for
    ``negotiations``; its forecast, a weighted expectation, stays a decimal string);
    percentages as decimal strings in percent; milestone flags true/false/"pending"
    (null without a target)."""
    amount = _count if m.unit == "个" else _dec
    flags = m.milestones.as_dict()
    return {
        "label": m.label,
        "unit": m.unit,
        "target": amount(m.target),
        "target_version": m.target_version,                  # in force at as_of
        "current_target_version": m.current_target_version,  # newest (greater: revised since)
        "actual": amount(m.actual),
        "completion": _dec(m.completion),
        "time_progress": _dec(m.time_progress),
        "gap_points": _dec(m.gap_points),
        "status": m.status,
        "forecast": _dec(m.forecast),
        "forecast_completion": _dec(m.forecast_completion),
        "kaimenhong": flags["kaimenhong"],
        "shuangguoban": flags["shuangguoban"],
        "shuangguoban_early": flags["shuangguoban_early"],
        "q3": flags["q3"],
        "full_year": flags["full_year"],
    }


def county_json(c):
    return {
        "name": c.name,
        "kind": c.kind,
        "actual": _dec(c.actual),
        "last_year_same_period": _dec(c.last_year_same_period),
        "last_year_total": _dec(c.last_year_total),
        "growth": _dec(c.growth),
        "growth_goal": _dec(c.growth_goal),
        "gap_points": _dec(c.gap_points),
        "target": _dec(c.target),
        "completion": _dec(c.completion),
        "base_source": c.base_source,
        "status": c.status,
    }


def report_json(report):
    return {
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "precision": report.precision,
        "time_progress": _dec(report.time_progress),
        "task_forces": {
            row.code: {
                "name": row.name,
                "kind": row.kind,
                "rank": row.rank,
                "score": _dec(row.score),
                "status": row.status,
                "metrics": {key: metric_json(m) for key, m in row.metrics.items()},
            } for row in report.rows
        },
        "totals": {key: metric_json(m) for key, m in report.totals.items()},
        "counties": {c.code: county_json(c) for c in report.counties},
    }
