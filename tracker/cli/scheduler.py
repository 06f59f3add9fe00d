"""flask commands: ``scheduler`` (foreground scheduler + jobs/run/catch-up)
and ``recompute [--as-of YYYY-MM-DD]``."""
import datetime
import logging

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import clock
from .. import scheduler as scheduler_module
from ..services import audit, jobruns, maintenance

MIN_YEAR, MAX_YEAR = 2000, 2100


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


def _describe_trigger(trigger):
    return " ".join(f"{k}={v}" for k, v in trigger.items())


@scheduler_cli.command("jobs")
def jobs_command():
    """List the jobs with their schedule and latest run."""
    latest = jobruns.latest_runs([spec.name for spec in scheduler_module.JOBS])
    for spec in scheduler_module.JOBS:
        last = latest[spec.name]
        window = "不补跑" if spec.catch_up is None else (
            f"补跑 {spec.catch_up.days} 天内{'全部' if spec.catch_up_all else '最近一期'}")
        click.echo(f"{spec.name:<20} {_describe_trigger(spec.trigger):<34} {window}")
        click.echo(f"    {spec.description}")
        if last:
            when = clock.to_local(last.finished_at or last.started_at)
            click.echo(f"    最近：{last.period_key} {last.outcome_label} "
                       f"{when:%Y-%m-%d %H:%M} 第{last.attempts}次 {_first_line(last.detail)}")


@scheduler_cli.command("run")
@click.argument("name")
@click.option("--as-of", "as_of", callback=parse_day, metavar="YYYY-MM-DD",
              help="Local date the job is taken to fire on (default today).")
def run_command(name, as_of):
    """Run one job now for the period of --as-of, unless that period already ran
    (ok) or is running. A failed period is retried even after max attempts."""
    try:
        spec = scheduler_module.get_spec(name)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="NAME") from None
    as_of = as_of or clock.today()
    _not_future(as_of)
    run = scheduler_module.run_once(current_app._get_current_object(), spec, as_of,
                                   manual=True)
    key = spec.period_key(as_of)
    if run is None:
        click.echo(f"{spec.name} {key}: 已由其他进程运行或已完成，跳过。")
        return
    click.echo(f"{spec.name} {key}: {run.outcome_label} — {_first_line(run.detail)}")
    if run.outcome != "ok":
        raise SystemExit(1)


@scheduler_cli.command("catch-up")
def catch_up_command():
    """Run missed or failed periods once, then exit (e.g. from cron)."""
    runs = scheduler_module.catch_up(current_app._get_current_object())
    for run in runs:
        click.echo(f"{run.job} {run.period_key}: {run.outcome_label} — {_first_line(run.detail)}")
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
    as_of = as_of or clock.today()
    _not_future(as_of)
    with audit.origin("cli"):
        result, scan = maintenance.recompute_now(as_of, scan_staleness=as_of == clock.today())
    click.echo(result.summary())
    if scan is not None:
        click.echo("长期无进展项目：" + scan.summary())


def init_app(app):
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(recompute_command)
