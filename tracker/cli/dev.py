"""flask commands: ``seed [--if-empty]`` (demo data) and ``serve`` (dev server + scheduler)."""
import click
from flask import current_app
from flask.cli import with_appcontext

@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Only seed when the ledger has no projects.")
@with_appcontext
def seed_command(if_empty):
    """Load the demo data (idempotent)."""
    from ..demo import seed
    seed.run(if_empty=if_empty, echo=click.echo)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--reload/--no-reload", default=True, show_default=True)
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Run the background scheduler inside the server process.")
@with_appcontext
def serve(host, port, reload, scheduler):
    """Development server with the scheduler started exactly once."""
    from werkzeug.serving import is_running_from_reloader, run_simple
    app = current_app._get_current_object()
    # Under the reloader the parent process only watches files: start the
    # scheduler in the child that serves requests, never in both.
    if scheduler and (is_running_from_reloader() or not reload):
        from .. import scheduler as scheduler_module
        scheduler_module.start_background(app)
    if not is_running_from_reloader():
        click.echo(f" * 打开 http://{host}:{port}/ ，演示账号见上方（seed 输出）。")
    run_simple(host, port, app, use_reloader=reload, use_debugger=False, threaded=True)


def init_app(app):
    app.cli.add_command(seed_command)
    app.cli.add_command(serve)
