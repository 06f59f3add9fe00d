"""flask commands: ``db upgrade``, ``db status``, ``db check`` (schema migrations)."""
import sys

import click
from flask.cli import AppGroup

from .. import migrate

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


def init_app(app):
    app.cli.add_command(db_cli)
