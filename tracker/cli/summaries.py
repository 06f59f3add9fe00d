"""flask commands: ``summaries build [--week 2026-W26]``, ``summaries send``,
``summaries preview --user NAME``."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from ..domain.weeks import parse_week

summaries_cli = AppGroup("summaries", help="Weekly emailed summaries (周报) and their outbox.")


def _week(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _default_week(week):
    from .. import clock
    from ..services import summaries
    return summaries.default_week(week, clock.today())


def _settings():
    from ..services.mail_settings import MailSettings
    return MailSettings.from_app(current_app)


@summaries_cli.command("build")
@click.option("--week", callback=_week, metavar="YYYY-Www",
              help="ISO week, e.g. 2026-W26 (default: last week).")
def build(week):
    """Render the week's summaries into the outbox (existing rows stay untouched)."""
    from ..services import summaries
    result = summaries.build_week(_default_week(week), _settings())
    click.echo(result.summary())


@summaries_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Send at most this many messages.")
def send(limit):
    """Deliver due pending messages (SMTP, or .eml files without MAIL_SERVER).
    Exits 1 when some messages are left for a retry or failed."""
    from ..services import outbox
    result = outbox.send_pending(_settings(), limit=limit)
    click.echo(result.summary())
    for line in result.errors[:20]:
        click.echo(f"  {line}", err=True)
    if result.retry or result.failed or result.stopped:
        sys.exit(1)


@summaries_cli.command("preview")
@click.option("--user", "username", required=True, help="Username of the recipient.")
@click.option("--week", callback=_week, metavar="YYYY-Www",
              help="ISO week, e.g. 2026-W26 (default: last week).")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
def preview(username, week, as_html):
    """Print the summaries USER would get (nothing is stored or sent)."""
    from ..domain.errors import NotFound
    from ..services import summaries
    try:
        found = summaries.preview(username, _default_week(week))
    except NotFound:
        raise click.UsageError(f"unknown user: {username!r}") from None
    user = found.user
    if not found.messages:
        raise click.UsageError(f"user {username!r} gets no summary (no task force, not bureau).")
    if not user.wants_summary:
        click.echo("（注意：该用户已退订周报，实际不会发送）", err=True)
    for msg in found.messages:
        click.echo(f"Subject: {msg.subject}")
        click.echo(f"To: {user.email or '（无邮箱）'}")
        click.echo("")
        click.echo(msg.html if as_html else msg.text)
        click.echo("=" * 60)


def init_app(app):
    app.cli.add_command(summaries_cli)
