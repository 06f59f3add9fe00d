"""flask commands: ``api-token create USERNAME [--name LABEL] [--expires YYYY-MM-DD]``,
``api-token list [USERNAME]``, ``api-token revoke TOKEN_ID``."""
import click
from flask.cli import AppGroup, with_appcontext

from ..services.accounts import tokens
from .errors import service_call

tokens_cli = AppGroup("api-token", help="API tokens for GET /api/v1/progress.")
OPTIONS = {"username": "USERNAME", "name": "--name", "token_id": "TOKEN_ID",
           "expires_at": "--expires"}


@tokens_cli.command("create")
@click.argument("username")
@click.option("--name", default="", help="A label for the token (e.g. the calling system).")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day the token is accepted (YYYY-MM-DD, Asia/Shanghai); default: none.")
@with_appcontext
def token_create(username, name, expires):
    """Create an API token for USERNAME and print it (shown only once)."""
    with service_call(OPTIONS):
        row, token = tokens.create(username, name, expires.date() if expires else None)
    click.echo(f"token #{row.id} for {row.user.username}: {token}")
    click.echo("Store it now: it is not shown again (only its hash is kept).", err=True)


def _line(row):
    last = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
    state = "active" if row.active else f"revoked {row.revoked_at:%Y-%m-%d %H:%M}"
    if row.active and tokens.expired(row):
        state = "expired"
    expires = f"expires {row.expires_at:%Y-%m-%d}" if row.expires_at else "no expiry"
    return (f"#{row.id}\t{row.user.username}\t{row.hint}…\t{row.name or '-'}\t"
            f"created {row.created_at:%Y-%m-%d %H:%M}\tused {last}\t{expires}\t{state}")


@tokens_cli.command("list")
@click.argument("username", required=False)
@with_appcontext
def token_list(username):
    """List tokens (all, or those of USERNAME): id, user, hint, name, created, last used,
    expiry, state."""
    with service_call(OPTIONS):
        rows = tokens.list_tokens(username)
    if not rows:
        click.echo("no API tokens.")
    for row in rows:
        click.echo(_line(row))


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def token_revoke(token_id):
    """Revoke token TOKEN_ID (see `list`); a revoked token is refused at once."""
    with service_call(OPTIONS):
        row = tokens.revoke(token_id)
    click.echo(f"revoked token #{token_id} ({row.user.username}).")


def init_app(app):
    app.cli.add_command(tokens_cli)
