"""flask command: ``create-user NAME --role ROLE [--task-force CODE] [--password-stdin]``."""
import sys

import click
from flask.cli import with_appcontext
from peewee import IntegrityError

from ..db import database

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
    from ..models import Membership, TaskForce, User
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


def init_app(app):
    app.cli.add_command(create_user)
