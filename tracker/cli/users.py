"""flask commands: ``create-user NAME --role ROLE [--task-force CODE] [--password-stdin]``;
``users list|edit|deactivate|reactivate|reset-password`` (passwords never on the command
line: prompted, read from stdin, or a temporary one printed once)."""
import sys

import click
from flask.cli import AppGroup, with_appcontext

from .. import settings
from ..services.accounts import prune, throttle, users
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
        users.check_new_user(**fields)  # refuse bad input before asking for a password
    password = _password_from_stdin_or_prompt(password_stdin)
    with service_call(OPTIONS):
        user = users.create_user(None, password, min_score=settings.password_min_score(), **fields)
    click.echo(f"created user {user.username} ({user.role}).")




users_cli = AppGroup("users", help="User accounts: list, edit, deactivate, reactivate, "
                                   "reset-password, unlock, prune-history.")
USER_OPTIONS = dict(OPTIONS, role="--role", active="USERNAME", task_forces="--task-force")


def _user_line(user):
    state = "active" if user.active else "inactive"
    if user.must_change_password:
        state += ", must change password"
    return (f"{user.username}\t{user.display_name}\t{user.email or '-'}\t{user.role}\t"
            f"{','.join(user.team_codes) or '-'}\t{state}")


@users_cli.command("list")
@with_appcontext
def users_list():
    """List users: username, name, e-mail, role, task forces, state."""
    for user in users.list_users():
        click.echo(_user_line(user))


@users_cli.command("edit")
@click.argument("username")
@click.option("--name", "display_name", default=None, help="Display name (姓名).")
@click.option("--email", default=None, help="E-mail address ('' to clear).")
@click.option("--role", type=click.Choice(["admin", "bureau", "lead", "member"]), default=None)
@click.option("--task-force", "task_forces", multiple=True,
              help="Task-force code (repeatable): replaces the user's task forces.")
@click.option("--no-task-forces", is_flag=True, help="Remove the user from every task force.")
@with_appcontext
def users_edit(username, display_name, email, role, task_forces, no_task_forces):
    """Change USERNAME's name, e-mail, role or task forces (options not given stay)."""
    if task_forces and no_task_forces:
        raise click.UsageError("--task-force and --no-task-forces exclude each other.")
    codes = () if no_task_forces else (task_forces or None)
    with service_call(USER_OPTIONS):
        user = users.edit_user(None, username, display_name=display_name, email=email,
                                  role=role, task_force_codes=codes)
    click.echo(f"saved user {user.username}: {_user_line(user)}")


@users_cli.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username):
    """Deactivate USERNAME: no login, sessions ended, API tokens revoked (for good)."""
    with service_call(USER_OPTIONS):
        user = users.set_active(None, username, False)
    click.echo(f"deactivated user {user.username}.")


@users_cli.command("reactivate")
@click.argument("username")
@with_appcontext
def users_reactivate(username):
    """Reactivate USERNAME."""
    with service_call(USER_OPTIONS):
        user = users.set_active(None, username, True)
    click.echo(f"reactivated user {user.username}.")


@users_cli.command("reset-password")
@click.argument("username")
@with_appcontext
def users_reset_password(username):
    """Give USERNAME a temporary password (printed once), to be changed at the next login."""
    with service_call(USER_OPTIONS):
        user, password = users.reset_password(None, username)
    click.echo(f"temporary password for {user.username}: {password}")
    click.echo("Pass it on securely: it is not shown again; the user must change it at the "
               "next login.", err=True)


@users_cli.command("unlock")
@click.argument("username")
@with_appcontext
def users_unlock(username):
    """Lift the login lockouts and delays of USERNAME (failed logins counted from zero)."""
    with service_call(USER_OPTIONS):
        user = throttle.unlock(None, users.get_user(username).id, settings.login_limits())
    click.echo(f"unlocked user {user.username}.")


@users_cli.command("prune-history")
@with_appcontext
def users_prune_history():
    """Delete login attempts and ended sessions older than LOGIN_ATTEMPT_KEEP_DAYS and
    ENDED_SESSION_KEEP_DAYS (what the nightly account-prune job does)."""
    with service_call():
        result = prune.prune(settings.account_retention())
    click.echo(f"deleted {result.attempts} login attempts and {result.sessions} ended sessions.")


def init_app(app):
    app.cli.add_command(create_user)
    app.cli.add_command(users_cli)
