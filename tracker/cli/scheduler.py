"""flask commands: ``scheduler`` (foreground scheduler + jobs/run/catch-up)
and ``recompute [--as-of YYYY-MM-DD]``."""
import datetime
import logging

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import clock
from .. import scheduler as scheduler_module
from ..domain import periods
from ..domain.periods import MAX_YEAR, MIN_YEAR
from ..services import audit, jobruns, maintenance



def parse_day(ctx, param, value):
    """click callback: 'YYYY-MM-DD' -> date (None stays None)."""
    if value is None:
        return None
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"日期无效：{value!r}，格式应为 YYYY-MM-DD（例如 2026-06-30）。") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        # Jobs look at the period before (quarter, week): year 1 would overflow datetime.
        raise click.BadParameter(f"日期 {day.isoformat()} 超出范围（{MIN_YEAR}–{MAX_YEAR} 年）。")
    return day


def _not_future(day):
    if day > clock.today():
        raise click.BadParameter(f"日期 {day.isoformat()} 晚于今天 {clock.today().isoformat()}。",
                                 param_hint="'--as-of'")


def _logging():
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.group("scheduler", cls=AppGroup, invoke_without_command=True)
@with_appcontext
@click.pass_context
def scheduler_cli(ctx):
    """Run the job scheduler in the foreground (production: one process beside
    gunicorn); subcommands list, run or catch up jobs."""
    if ctx.invoked_subcommand is not None:
        return
    _logging()
    app = current_app._get_current_object()
    click.echo(f"scheduler: {len(scheduler_module.JOBS)} jobs, zone {scheduler_module.zone(app)}; "
               "Ctrl+C to stop.")
    scheduler_module.run_forever(app)


def _first_line(text):
    return (text or "").splitlines()[0] if text else ""


def _summary(text):
    """First line of a run's detail; after a take-over note, the job's own line too."""
    lines = (text or "").splitlines()
    if len(lines) > 1 and lines[0].startswith("接管："):
        return f"{lines[1]}（{lines[0]}）"
    return lines[0] if lines else ""


def _describe_trigger(trigger):
    return " ".join(f"{k}={v}" for k, v in trigger.items())


def _when(moment):
    return f"{clock.to_local(moment):%Y-%m-%d %H:%M:%S}" if moment else "—"


def _run_line(spec, run):
    """One running or failed run: state, period, attempt, started, owner, heartbeat, error."""
    owner = f"{run.host or '?'}:{run.pid or '?'}" if (run.host or run.pid) else "未记录"
    line = (f"    {run.outcome_label} {run.period_key} 第{run.attempts}次 开始 {_when(run.started_at)}"
            f" 进程 {owner} 心跳 {_when(run.heartbeat_at)}")
    if run.outcome == jobruns.RUNNING:
        alive = scheduler_module.liveness(spec, run)
        line += f"（{alive.reason}" + ("）" if alive.alive else "，可用 --take-over 接管）")
    elif run.detail:
        line += f" 错误：{_first_line(run.detail)}"
    return line


@scheduler_cli.command("jobs")
def jobs_command():
    """List the jobs with their schedule, latest run, and the runs still running or
    failed (owner host:pid and last heartbeat)."""
    names = [spec.name for spec in scheduler_module.JOBS]
    latest, open_runs = jobruns.latest_runs(names), jobruns.open_runs(names)
    for spec in scheduler_module.JOBS:
        last = latest[spec.name]
        window = "不补跑" if spec.catch_up is None else (
            f"补跑 {spec.catch_up.days} 天内{'全部' if spec.catch_up_all else '最近一期'}")
        click.echo(f"{spec.name:<20} {_describe_trigger(spec.trigger):<34} {window}")
        click.echo(f"    {spec.description}")
        if last:
            when = clock.to_local(last.finished_at or last.started_at)
            click.echo(f"    最近：{last.period_key} {last.outcome_label} "
                       f"{when:%Y-%m-%d %H:%M} 第{last.attempts}次 {_summary(last.detail)}")
        for run in open_runs[spec.name]:
            click.echo(_run_line(spec, run))


def parse_quarter(ctx, param, value):
    """click callback: 'YYYYQN' -> (year, quarter) (None stays None)."""
    if value is None:
        return None
    try:
        year, quarter = periods.parse_quarter_key(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"季度无效：{value!r}，格式应为 YYYYQN（例如 2026Q1）。") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise click.BadParameter(f"季度 {value} 超出范围（{MIN_YEAR}–{MAX_YEAR} 年）。")
    return year, quarter


def _title(spec, key):
    """'quarter-close 2026Q1（结账季度：2026年第1季度）'."""
    label = spec.label(key)
    return f"{spec.name} {key}" + (f"（{label}）" if label else "")


def _fire_date(spec, as_of, quarter):
    """The local date the job is taken to fire on: --as-of, the day after --quarter ends
    (quarter-close only; the quarter must have ended), or today."""
    if quarter is None:
        as_of = as_of or clock.today()
        _not_future(as_of)
        return as_of
    if spec.name != "quarter-close":
        raise click.BadParameter("--quarter 只适用于 quarter-close。", param_hint="'--quarter'")
    if as_of is not None:
        raise click.UsageError("--as-of 与 --quarter 只能给一个。")
    end = periods.quarter_end(*quarter)
    if end >= clock.today():
        raise click.BadParameter(
            f"{quarter[0]}年第{quarter[1]}季度尚未结束（{end.isoformat()} 结束），不能结账。",
            param_hint="'--quarter'")
    return end + datetime.timedelta(days=1)


def _skipped(app, spec, key, title, take_over):
    """Say why the period was not run; a refused take-over exits 1."""
    run, alive = scheduler_module.status_of(app, spec, key)
    if take_over:
        if run is None:
            reason = "该期没有运行记录"
        elif alive is None:
            reason = f"该期不在运行中（{run.outcome_label}，第{run.attempts}次）"
        else:
            reason = f"{alive.reason}" if alive.alive else "另一进程已先接管"
        click.echo(f"{title}: 拒绝接管 — {reason}。")
        raise SystemExit(1)
    if alive is not None:
        hint = "" if alive.alive else "；该进程已不在，可用 --take-over 接管"
        click.echo(f"{title}: 运行中（开始于 {_when(run.started_at)}，{alive.reason}{hint}），跳过。")
        return
    click.echo(f"{title}: 已由其他进程运行或已完成，跳过。")


@scheduler_cli.command("run")
@click.argument("name")
@click.option("--as-of", "as_of", callback=parse_day, metavar="YYYY-MM-DD",
              help="Local date the job is taken to fire on (default today); quarter-close "
                   "closes the quarter before it (--as-of 2026-04-01 closes 2026Q1).")
@click.option("--quarter", "quarter", callback=parse_quarter, metavar="YYYYQN",
              help="quarter-close only: close this quarter (it must have ended).")
@click.option("--take-over", "take_over", is_flag=True,
              help="Take over the period's running run whose process is gone (refused while "
                   "its owner is alive: its pid on this host, or a fresh heartbeat).")
def run_command(name, as_of, quarter, take_over):
    """Run one job now for the period of --as-of (or --quarter), unless that period already
    ran (ok) or is running. A failed period is retried even after max attempts; an ok
    quarter close runs again while some task force has no snapshot for the quarter."""
    try:
        spec = scheduler_module.get_spec(name)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="NAME") from None
    as_of = _fire_date(spec, as_of, quarter)
    key = spec.period_key(as_of)
    title = _title(spec, key)
    app = current_app._get_current_object()
    run = scheduler_module.run_once(app, spec, as_of, manual=True, take_over=take_over,
                                    origin="cli")
    if run is None:
        _skipped(app, spec, key, title, take_over)
        return
    click.echo(f"{title}: {run.outcome_label} — {_summary(run.detail)}")
    if run.outcome != "ok":
        raise SystemExit(1)


@scheduler_cli.command("catch-up")
def catch_up_command():
    """Run missed or failed periods once, then exit (e.g. from cron)."""
    runs = scheduler_module.catch_up(current_app._get_current_object())
    for run in runs:
        title = _title(scheduler_module.get_spec(run.job), run.period_key)
        click.echo(f"{title}: {run.outcome_label} — {_summary(run.detail)}")
    if not runs:
        click.echo("没有需要补跑的任务。")
    if any(run.outcome != "ok" for run in runs):
        raise SystemExit(1)


@click.command("recompute")
@click.option("--as-of", "as_of", callback=parse_day, metavar="YYYY-MM-DD",
              help="Use history dated up to this day (default today).")
@with_appcontext
def recompute_command(as_of):
    """Run the nightly recompute by hand (one transaction); on today's date the
    staleness scan runs too."""
    from .. import settings as web_settings
    as_of = as_of or clock.today()
    _not_future(as_of)
    with audit.origin("cli"):
        result, scan = maintenance.recompute_now(as_of, scan_staleness=as_of == clock.today(),
                                                 stale=web_settings.stale())
    click.echo(result.summary())
    if scan is not None:
        click.echo("长期无进展项目：" + scan.summary())


def init_app(app):
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(recompute_command)
