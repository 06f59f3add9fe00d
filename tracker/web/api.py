"""JSON API (v1): progress per task force and county.

Authentication: a logged-in session, or ``Authorization: Bearer <token>`` with a
token made by ``flask --app tracker api-token create USERNAME``. Failures are JSON
(401/400), never a redirect to the login page.
"""
from decimal import Decimal

import click
from flask import Blueprint, g, jsonify, request
from flask.cli import with_appcontext
from flask_login import current_user

from ..db import database
from ..models import ApiToken, User, utcnow
from ..services import audit
from ..services import progress as progress_service
from . import csrf, public
from .period import parse_period

bp = Blueprint("api", __name__, url_prefix="/api/v1", cli_group="api-token")
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
        row = ApiToken.lookup(token.strip())
        if row is None:
            return error_response(401, "unauthorized", "API 令牌无效或已吊销。")
        with database.atomic():
            ApiToken.update(last_used_at=utcnow()).where(ApiToken.id == row.id).execute()
        g.api_user = row.user
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
    report = progress_service.build_report(period.year, period.as_of)
    return jsonify(report_json(report))


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
        "target_version": m.target_version,
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


# --- CLI: flask --app tracker api-token create|list|revoke ---------------------------

def _user_or_fail(username):
    user = User.get_or_none(User.username == username)
    if user is None:
        raise click.UsageError(f"unknown user: {username!r}")
    return user


@bp.cli.command("create")
@click.argument("username")
@click.option("--name", default="", help="A label for the token (e.g. the calling system).")
@with_appcontext
def token_create(username, name):
    """Create an API token for USERNAME and print it (shown only once)."""
    user = _user_or_fail(username)
    if not user.active:
        raise click.UsageError(f"user {username!r} is inactive.")
    if len(name) > 64:
        raise click.UsageError("name must be at most 64 characters.")
    with database.atomic():
        row, token = ApiToken.issue(user, name=name.strip())
        audit.record(None, "api_token", row.id, "create", None,
                     {"user": user.username, "name": row.name, "hint": row.hint})
    click.echo(f"token #{row.id} for {user.username}: {token}")
    click.echo("Store it now: it is not shown again (only its hash is kept).", err=True)


@bp.cli.command("list")
@click.argument("username", required=False)
@with_appcontext
def token_list(username):
    """List tokens (all, or those of USERNAME): id, user, hint, name, created, last used, state."""
    query = ApiToken.select(ApiToken, User).join(User).order_by(ApiToken.id)
    if username:
        query = query.where(ApiToken.user == _user_or_fail(username))
    rows = list(query)
    if not rows:
        click.echo("no API tokens.")
    for row in rows:
        last = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
        state = "active" if row.active else f"revoked {row.revoked_at:%Y-%m-%d %H:%M}"
        click.echo(f"#{row.id}\t{row.user.username}\t{row.hint}…\t{row.name or '-'}\t"
                   f"created {row.created_at:%Y-%m-%d %H:%M}\tused {last}\t{state}")


@bp.cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def token_revoke(token_id):
    """Revoke token TOKEN_ID (see `list`); a revoked token is refused at once."""
    row = ApiToken.get_or_none(ApiToken.id == token_id)
    if row is None:
        raise click.UsageError(f"no API token #{token_id}.")
    if not row.active:
        raise click.UsageError(f"API token #{token_id} is already revoked.")
    with database.atomic():
        ApiToken.update(revoked_at=utcnow()).where(ApiToken.id == row.id).execute()
        audit.record(None, "api_token", row.id, "revoke", {"revoked_at": None},
                     {"revoked_at": utcnow()})
    click.echo(f"revoked token #{token_id} ({row.user.username}).")
