"""flask commands: ``robots send`` (post the group robots' due messages) and ``robots list``
(the robots with their masked webhook URLs)."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

robots_cli = AppGroup("robots", help="Group robots (企业微信 / 钉钉) and their outbox.")


def robot_settings(app=None):
    """RobotSettings of the app (ROBOT_*), with the links the digests use."""
    from .. import settings
    from ..services.robots.settings import RobotSettings
    app = app or current_app
    return RobotSettings.from_config(app.config, links=settings.links(app))


SEND_HELP = """Post the due robot messages (each robot at most ROBOT_PER_MINUTE a minute).

\b
Exit status 1 when this run marked messages failed or in doubt (状态未知), or
robots broken (their webhook is invalid); else 0."""


@robots_cli.command("send", help=SEND_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Post at most this many messages.")
def send(limit):
    from ..services.robots import delivery
    from .errors import service_call
    with service_call():
        result = delivery.send_pending(robot_settings(), limit=limit)
    click.echo(result.summary())
    for line in result.errors[:20]:
        click.echo(f"  {line}", err=True)
    if result.failed or result.unknown or result.broken:
        sys.exit(1)


@robots_cli.command("list")
def list_robots():
    """Every robot: team, kind, state and its webhook URL masked."""
    from ..services.robots import listing
    for row in listing.all_robots():
        team = row.task_force.name if row.task_force_id else "商务局（全市）"
        click.echo(f"#{row.id}\t{team}\t{row.kind_label}\t{row.name}\t{row.state_label}\t"
                   f"{listing.masked_url(row)}")


def init_app(app):
    app.cli.add_command(robots_cli)
