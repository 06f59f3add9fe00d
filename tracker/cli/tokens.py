"""flask commands: ``api-token create USERNAME [--name LABEL]``, ``api-token list [USERNAME]``,
``api-token revoke TOKEN_ID``."""
import click
from flask.cli import AppGroup, with_appcontext

from ..db import database
from ..models import ApiToken, User, utcnow
from ..services import audit

tokens_cli = AppGroup("api-token", help="API tokens for GET /api/v1/progress.")

def _user_or_fail(username):
    user = User.get_or_none(User.username == username)
    if user is None:
        raise click.UsageError(f"unknown user: {username!r}")
    return user


@tokens_cli.command("create")
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


@tokens_cli.command("list")
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


@tokens_cli.command("revoke")
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


def init_app(app):
    app.cli.add_command(tokens_cli)
