"""flask commands: ``backup PATH [--portable]`` and ``restore PATH [--allow-modified]``
(README, Backup and restore; docs/operations.md)."""
import click

from ..services.backup import archive as backup_service
from .errors import service_call

OPTIONS = {"path": "PATH"}


def _tables(tables):
    for table, rows in tables:
        click.echo(f"  {table:<28} {rows:>9}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--portable", is_flag=True,
              help="SQLite: write the portable dump (gzip'd JSON lines) instead of a SQLite "
                   "file. PostgreSQL and MariaDB always write the portable dump.")
def backup_command(path, portable):
    """Back the database up into PATH (replaced when it exists; never half written)."""
    with service_call(OPTIONS):
        result = backup_service.backup(path, portable=portable)
    kind = "SQLite database file" if result.kind == "sqlite" else "portable dump (JSON lines, gzip)"
    click.echo(f"backup written: {result.path} ({kind})")
    click.echo(f"migrations: {len(result.migrations)}"
               + (f", latest {result.migrations[-1]}" if result.migrations else ""))
    _tables(result.tables)
    click.echo(f"rows: {result.rows}")
    for secret in result.secrets:
        click.echo(f"WARNING: this file contains {secret}; keep it as safe as the server itself.", err=True)


CHECKSUM = {"verified": "checksum verified",
            "modified": "WARNING: checksum does not match, restored because of --allow-modified",
            "missing": "WARNING: no checksum in the file, restored because of --allow-modified"}


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--allow-modified", is_flag=True,
              help="Restore even when the file's checksum does not match (it was changed "
                   "after the backup) or it has none (an old backup).")
def restore_command(path, allow_modified):
    """Restore the backup at PATH into this database, which must be empty and migrated
    (flask db upgrade) to the backup's migrations, after verifying the file's checksum.
    Refused otherwise: nothing written."""
    with service_call(OPTIONS):
        result = backup_service.restore(path, allow_modified=allow_modified)
    origin = f" from {result.backend}" if result.backend else ""
    made = f", taken {result.created_at}" if result.created_at else ""
    click.echo(f"restored {result.kind} backup{origin}{made}: {path}")
    click.echo(CHECKSUM.get(result.checksum, result.checksum),
               err=result.checksum != "verified")
    _tables(result.tables)
    click.echo(f"rows: {result.rows} (row counts verified)")


def init_app(app):
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
