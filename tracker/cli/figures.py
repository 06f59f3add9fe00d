"""flask commands: ``figures check`` (compare the maintained monthly figures with the
ledger; exit status 1 when they drifted) and ``figures rebuild`` (repair every drifted
row; run once after loading a ledger in bulk or upgrading to migration 0015)."""
import sys

import click
from flask.cli import AppGroup

figures_cli = AppGroup("figures", help="Maintained monthly figures (月度数据) of the progress report.")


def _print(result):
    click.echo(result.summary())
    for line in result.lines(limit=50):
        click.echo("  " + line)


@figures_cli.command("check")
def check():
    """Compare the figures with a full aggregate of the ledger (nothing written)."""
    from ..services.figures import monthly
    result = monthly.check_now()
    _print(result)
    if result.rows:
        sys.exit(1)


@figures_cli.command("rebuild")
def rebuild():
    """Rebuild the figures from the ledger, listing and repairing every drifted row."""
    from ..services.figures import monthly
    _print(monthly.rebuild_now())


def init_app(app):
    app.cli.add_command(figures_cli)
