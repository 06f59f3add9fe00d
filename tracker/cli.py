"""flask commands: db upgrade|status|check, create-user, seed, serve."""
import importlib.util
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from peewee import IntegrityError

from . import migrate
from .db import database

db_cli = AppGroup("db", help="Database schema migrations.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations (a no-op when up to date)."""
    applied = migrate.upgrade()
    for name in applied:
        click.echo(f"applied: {name}")
    if not applied:
        click.echo("database is up to date.")


@db_cli.command("status")
def db_status():
    """List migrations; exit 1 when some are pending."""
    rows = migrate.status()
    for name, applied in rows:
        mark = "x" if applied else " "
        when = applied.strftime("%Y-%m-%d %H:%M:%S") if applied else "pending"
        click.echo(f"[{mark}] {name}  {when}")
    if any(applied is None for _, applied in rows):
        sys.exit(1)


@db_cli.command("check")
def db_check():
    """Compare the migrated schema with the models; exit 1 on drift."""
    diff = migrate.schema_diff()
    if diff:
        click.echo(str(diff))
        sys.exit(1)
    click.echo("schema matches models.")


def _password_from_stdin_or_prompt(password_stdin):
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.UsageError("password must have at least 8 characters.")
    return password


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "bureau", "lead", "member"]),
              default="member", show_default=True)
@click.option("--name", "display_name", default="", help="Display name (姓名).")
@click.option("--email", default="")
@click.option("--task-force", "task_forces", multiple=True,
              help="Task-force code the user belongs to (repeatable).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
@with_appcontext
def create_user(username, role, display_name, email, task_forces, password_stdin):
    """Create a user. The password is prompted for (or read from stdin), never an argument."""
    from .models import Membership, TaskForce, User
    username = username.strip()
    if not username or len(username) > 64:
        raise click.UsageError("username must be 1-64 characters.")
    if email and ("@" not in email or len(email) > 254):
        raise click.UsageError(f"invalid email address: {email!r}")
    if len(display_name) > 64:
        raise click.UsageError("--name must be at most 64 characters.")
    teams = []
    for code in task_forces:
        team = TaskForce.get_or_none(TaskForce.code == code)
        if team is None:
            raise click.UsageError(f"unknown task force: {code!r}")
        teams.append(team)
    if User.get_or_none(User.username == username):
        raise click.UsageError(f"user {username!r} already exists.")
    password = _password_from_stdin_or_prompt(password_stdin)
    try:
        with database.atomic():
            user = User(username=username, role=role, display_name=display_name or username,
                        email=email)
            user.set_password(password)
            user.save()
            for team in teams:
                Membership.create(user=user, task_force=team)
    except IntegrityError:
        raise click.UsageError(f"user {username!r} already exists.")
    click.echo(f"created user {username} ({role}).")


def load_seed_module():
    root = os.path.dirname(current_app.root_path)
    spec = importlib.util.spec_from_file_location("tracker_seed", os.path.join(root, "seed.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Only seed when the ledger has no projects.")
@with_appcontext
def seed_command(if_empty):
    """Load the demo data (idempotent)."""
    load_seed_module().run(if_empty=if_empty, echo=click.echo)


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
        from . import scheduler as scheduler_module
        scheduler_module.start_background(app)
    if not is_running_from_reloader():
        click.echo(f" * 打开 http://{host}:{port}/ ，演示账号见上方（seed 输出）。")
    run_simple(host, port, app, use_reloader=reload, use_debugger=False, threaded=True)


def init_app(app):
    app.cli.add_command(db_cli)
    app.cli.add_command(create_user)
    app.cli.add_command(seed_command)
    app.cli.add_command(serve)
    from . import scheduler_cli
    scheduler_cli.init_app(app)
    from . import summaries_cli
    summaries_cli.init_app(app)
    from . import targets_cli
    targets_cli.init_app(app)
