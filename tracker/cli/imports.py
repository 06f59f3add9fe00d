"""flask command: ``import-projects FILE [--task-force CODE] [--dry-run]
[--on-duplicate skip|update]``: the upload page's preview and commit in one go
(services.imports.uploads). Errors are listed with row and column; with any error, or a refused
file, nothing is written and the exit status is 2."""
import os

import click
from flask.cli import with_appcontext

OPTIONS = {"task_force": "--task-force", "file": "FILE"}
SHOWN_ERRORS = 200


def _echo_preview(preview):
    from ..services.imports.preview import STATUS_LABELS
    click.echo(f"{preview.file_name}：工作表「{preview.sheet}」，{len(preview.rows)} 行")
    click.echo("，".join(f"{label} {preview.count(key)}" for key, label in STATUS_LABELS.items()))
    if preview.ignored:
        click.echo(f"未识别、不导入的列：{'、'.join(preview.ignored)}")
    for number, column, title, message in preview.errors[:SHOWN_ERRORS]:
        click.echo(f"第 {number} 行 {column} 列（{title}）：{message}", err=True)
    if len(preview.errors) > SHOWN_ERRORS:
        click.echo(f"……共 {len(preview.errors)} 条错误。", err=True)
    for number, message in preview.warnings[:SHOWN_ERRORS]:
        click.echo(f"提示：第 {number} 行：{message}", err=True)


def _read(path, limit):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        raise click.BadParameter(f"无法读取：{exc.strerror or exc}", param_hint="FILE") from exc


@click.command("import-projects")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--task-force", help="Task-force code every row goes into (the file's 所属专班 "
                                   "column may then be left out).")
@click.option("--dry-run", is_flag=True, help="Preview only: write nothing.")
@click.option("--on-duplicate", type=click.Choice(["skip", "update"]), default="skip",
              show_default=True, help="A project already in the ledger with other values.")
def import_projects(file, task_force, dry_run, on_duplicate):
    """Import projects from a ledger file: .xlsx, .xls, .ods or .csv (UTF-8 or GBK), told
    apart by its content (the template's or the export's columns, or a clerk's 台账)."""
    from flask import current_app

    from ..services.imports import uploads
    from .errors import service_call
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    data = _read(file, limit)
    name = os.path.basename(file)
    with service_call(OPTIONS):
        preview = uploads.preview_bytes(None, data, name, limit, task_force=task_force)
    _echo_preview(preview)
    if preview.errors:
        raise click.UsageError(f"文件有 {preview.count('error')} 行错误，未导入任何数据。")
    if dry_run:
        click.echo("试运行（--dry-run）：未写入。")
        return
    with service_call(OPTIONS):
        batch, _ = uploads.import_file(None, data, name, limit, task_force=task_force,
                                       on_duplicate=on_duplicate)
    click.echo(f"导入批次 #{batch.id}：新增 {batch.created}，更新 {batch.updated}，"
               f"跳过 {batch.skipped}，无变化 {batch.unchanged}。")


@click.group("imports")
def imports_group():
    """Import jobs (large files committed outside the web workers)."""


@imports_group.command("work")
@with_appcontext
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Run at most this many queued jobs (default: until the queue is empty).")
def work(limit):
    """Run the queued import jobs now, oldest first (what the scheduler process does every
    2 seconds); a job another process already runs is left to it."""
    from flask import current_app

    from ..jobs import import_queue
    done = import_queue(current_app._get_current_object(), limit=limit)
    for job in done:
        click.echo(f"导入任务 #{job.id}（{job.file_name}）：{job.state_label}，"
                   f"{job.rows_done}/{job.rows_total} 行"
                   + (f"，批次 #{job.batch_id}" if job.batch_id else "")
                   + (f"：{job.error}" if job.error else ""))
    if not done:
        click.echo("没有排队的导入任务。")
    if any(job.state == "failed" for job in done):
        raise SystemExit(1)


def init_app(app):
    app.cli.add_command(import_projects)
    app.cli.add_command(imports_group)
