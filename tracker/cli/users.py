"""flask command: ``create-user NAME --role ROLE [--task-force CODE] [--password-stdin]``."""
import sys

import click
from flask.cli import with_appcontext

from ..services import accounts
from .errors import service_call

OPTIONS = {"username": "USERNAME", "role": "--role", "display_name": "--name",
           "email": "--email", "task_forces": "--task-force", "password": "password"}


def _password_from_stdin_or_prompt(password_stdin):
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


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
    fields = dict(username=username, role=role, display_name=display_name, email=email,
                  task_force_codes=task_forces)
    with service_call(OPTIONS):
        accounts.check_new_user(**fields)  # refuse bad input before asking for a password
    password = _password_from_stdin_or_prompt(password_stdin)
    with service_call(OPTIONS):
        user = accounts.create_user(None, password, **fields)
    click.echo(f"created user {user.username} ({user.role}).")


def init_app(app):
    app.cli.add_command(create_user)
