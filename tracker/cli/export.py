"""flask commands: ``export ledger [--task-force CODE] [--stage S] [--year Y] -o FILE`` and
``export progress --year Y [--as-of D] -o FILE``: the same workbooks as the pages'
导出Excel links (services.ledger.export, services.progress.export), always written at once
(a command is not a web request); ``export work``: run the queued export jobs of the
ledger page (services.exports.jobs) now."""
import click
from flask.cli import AppGroup

export_cli = AppGroup("export", help="Excel exports (台账、进度报表).")

OPTION_NAMES = {"task_force": "--task-force", "stage": "--stage", "year": "--year",
                "as_of": "--as-of"}


def _bad_option(exc):
    """A ValidationError as click's usage error (exit 2) naming the option."""
    field, message = next(iter(exc.errors.items()))
    return click.BadParameter(message, param_hint=OPTION_NAMES.get(field, field))


def _write(exported, path):
    try:
        with open(path, "wb") as out:
            out.write(exported.data)
    except OSError as exc:
        raise click.ClickException(f"无法写入 {path}：{exc.strerror or exc}") from exc


output_option = click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
    help="The .xlsx file to write.")


@export_cli.command("ledger")
@click.option("--task-force", help="Task-force code (default: every task force).")
@click.option("--stage", help="Stage key (signed, ...) or name (签约, ...).")
@click.option("--year", help="Projects with activity in this year.")
@output_option
def ledger(task_force, stage, year, output):
    """Write the project ledger (台账), filtered like the ledger page, to an .xlsx file."""
    from ..domain.errors import ValidationError
    from ..services.ledger import export as ledger_export
    try:
        filters = ledger_export.cli_filters(task_force, stage, year)
    except ValidationError as exc:
        raise _bad_option(exc) from exc
    exported = ledger_export.export_ledger(filters)
    _write(exported, output)
    click.echo(f"已导出 {exported.rows} 个项目到 {output}（{exported.filename}）。")


@export_cli.command("progress")
@click.option("--year", required=True, help="Report year (YYYY).")
@click.option("--as-of", "as_of", help="Judged at this date (YYYY-MM-DD; default as on the "
                                       "dashboard: today, or the year's last/first day).")
@output_option
def progress(year, as_of, output):
    """Write the progress report of a year (the dashboard's numbers) to an .xlsx file."""
    from ..domain.errors import ValidationError
    from ..services.progress import export as progress_export
    from .. import settings
    try:
        year, as_of = progress_export.parse_period(year, as_of)
    except ValidationError as exc:
        raise _bad_option(exc) from exc
    exported = progress_export.export_progress(year, as_of, options=settings.progress())
    _write(exported, output)
    click.echo(f"已导出 {year} 年进度（截至 {as_of.isoformat()}，{exported.rows} 个专班）"
               f"到 {output}（{exported.filename}）。")


@export_cli.command("work")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Run at most this many queued jobs (default: until the queue is empty).")
def work(limit):
    """Run the queued export jobs now, oldest first (what the scheduler process does every
    2 seconds); a job another process already runs is left to it."""
    from flask import current_app

    from ..jobs import export_queue
    done = export_queue(current_app._get_current_object(), limit=limit)
    for job in done:
        click.echo(f"导出任务 #{job.id}：{job.state_label}，{job.rows_done}/{job.rows_total} 行"
                   + (f"（{job.file_name}）" if job.file_name else "")
                   + (f"：{job.error}" if job.error else ""))
    if not done:
        click.echo("没有排队的导出任务。")
    if any(job.state == "failed" for job in done):
        raise SystemExit(1)


def init_app(app):
    app.cli.add_command(export_cli)
